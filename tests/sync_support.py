"""Helpers for the sync tests: the real server on a loopback port, and demo laptops."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn

from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service
from recap_server.app import create_app
from recap_server.ledger import Ledger
from recap_server.server import open_ledger

DISTRICT = "32.01.01"  # a district (kecamatan) of the demo election: 3 villages, 30 stations


class LiveServer:
    """The real FastAPI app under uvicorn on 127.0.0.1, port 0, in a thread of the test."""

    def __init__(
        self,
        data_dir: Path,
        *,
        storage: Callable[[Any], Any] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``storage``: wraps the server's storage (a dishonest server: tests/dishonest.py);
        ``clock``: the server's clock (a laptop whose clock is off)."""
        self.data_dir = data_dir
        self.ledger: Ledger = open_ledger(data_dir, demo=True)
        if storage is not None:
            self.ledger.storage = storage(self.ledger.storage)
        if clock is not None:
            self.ledger.clock = clock
        config = uvicorn.Config(
            create_app(self.ledger, demo=True),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> Any:
        response = requests.get(self.url + path, timeout=10)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, int]:
        return dict(self.get("/v1/stats"))

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.ledger.storage.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "server")
    yield server
    server.stop()


@dataclass
class Laptop:
    ws: Workspace
    key: SigningKey

    @property
    def data_dir(self) -> Path:
        return self.ws.data_dir


_TEMPLATES = tempfile.TemporaryDirectory(prefix="recap-laptops-")
_KEYS: dict[tuple[str, str, str], SigningKey] = {}


def make_laptop(
    path: Path, officer_id: str, *, role: str = "operator", jurisdiction: str = DISTRICT
) -> Laptop:
    """A `recap demo init` laptop: the demo election and a certified officer.

    Each officer's fresh data folder is made once per test session and copied: sealing and
    unlocking a keystore costs two Argon2id runs (64 MiB each), and tests make dozens of
    laptops. Tests never share a server, so sharing an officer's key between tests is sound.
    """
    spec = (officer_id, role, jurisdiction)
    template = Path(_TEMPLATES.name) / "-".join(spec)
    if spec not in _KEYS:
        ws = Workspace(template)
        demo_service.init_demo(ws, officer_id=officer_id, role=role, jurisdiction=jurisdiction)
        _KEYS[spec] = identity_service.unlock(ws, identity_service.DEMO_PASSPHRASE)
        ws.close()
    shutil.copytree(template, path)
    return Laptop(Workspace(path), _KEYS[spec])


def district_stations(ws: Workspace, prefix: str = DISTRICT) -> list[str]:
    election = ws.store.package.election()
    assert election is not None
    return sorted(s.code for s in election.stations_within(prefix))


def enter(laptop: Laptop, station: str, contest: str = "ppwp", seed: int = 0) -> str:
    """Enter one consistent random sheet, as an operator typing the paper form would."""
    import random

    from recap_desktop.domain.chasil_demo import random_sheet
    from recap_desktop.services.sheets import enter_sheet

    election = laptop.ws.store.package.election()
    assert election is not None
    values = random_sheet(
        election.contests[contest], election.stations[station].registered, random.Random(seed)
    )
    return enter_sheet(laptop.ws, laptop.key, station, contest, values).hash


def sign_sheet(laptop: Laptop, station: str, *, seed: int = 0, **overrides: Any) -> Any:
    """A sheet signed by the laptop's key but NOT stored: for records a server must refuse."""
    import random

    from recap_desktop.crypto.envelope import sign
    from recap_desktop.domain.chasil_demo import random_sheet
    from recap_desktop.services.election import current_election
    from recap_desktop.services.sheets import _now, next_link

    election = current_election(laptop.ws)
    contest = election.contests["ppwp"]
    registered = election.stations[station].registered if station in election.stations else 200
    payload = {
        "type": "sheet",
        **next_link(laptop.ws, laptop.key),
        "time": _now(),
        "election": election.id,
        "station": station,
        "contest": "ppwp",
        "values": random_sheet(contest, registered, random.Random(seed)),
        "warnings": [],
        "supersedes": None,
        "reason": None,
    }
    payload.update(overrides)
    return sign(laptop.key, payload)


def server_hashes(server: LiveServer) -> list[str]:
    rows = server.ledger.storage._query("SELECT hash FROM records")  # type: ignore[attr-defined]
    return [str(r[0]) for r in rows]


def laptop_hashes(laptop: Laptop) -> list[str]:
    return [str(r[0]) for r in laptop.ws.store.db.execute("SELECT hash FROM records")]
