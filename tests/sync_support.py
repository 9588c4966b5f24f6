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

from recap_desktop.crypto.envelope import Record
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service
from recap_server.app import create_app
from recap_server.edge import EdgeLimits, uvicorn_config
from recap_server.gate import GateLimits
from recap_server.ledger import Ledger
from recap_server.server import open_ledger
from tests import pg_support
from tests.pg_support import database_for

DISTRICT = "32.01.01"  # a district (kecamatan) of the demo election: 3 villages, 30 stations


class LiveServer:
    """The real FastAPI app under uvicorn on 127.0.0.1, port 0, in a thread of the test."""

    def __init__(
        self,
        data_dir: Path,
        *,
        storage: Callable[[Any], Any] | None = None,
        clock: Callable[[], datetime] | None = None,
        gate: GateLimits | None = None,
    ) -> None:
        """``storage``: wraps the server's storage (a dishonest server: tests/dishonest.py);
        ``clock``: the server's clock (a laptop whose clock is off); ``gate``: who may push
        or send photos and how much (None: the API alone, no tokens required, no rates)."""
        self.data_dir = data_dir
        self.ledger: Ledger = open_ledger(data_dir, demo=True, database=database_for(data_dir))
        if storage is not None:
            self.ledger.storage = storage(self.ledger.storage)
        if clock is not None:
            self.ledger.clock = clock
        # Behind the server's own edge (recap_server/edge.py), as `recap-server` serves it.
        app = create_app(self.ledger, demo=True, gate=gate)
        self.app = app
        self.asked: list[str] = []  # "METHOD /path?query" of every request, in order

        async def recorded(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                query = scope["query_string"].decode()
                self.asked.append(
                    f"{scope['method']} {scope['path']}" + (f"?{query}" * bool(query))
                )
            await app(scope, receive, send)

        config = uvicorn_config(
            recorded,
            "127.0.0.1",
            0,
            EdgeLimits(),
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
        pg_support.stopped(self.data_dir)  # on the PostgreSQL pass: for a backup copied now


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


def certificates_of(laptop: Laptop) -> list[dict[str, Any]]:
    """The certificates a laptop holds, as a push carries them (its own among them)."""
    return [
        r.to_json() for r in laptop.ws.store.records.authority_records() if r.type == "certificate"
    ]


def district_stations(ws: Workspace, prefix: str = DISTRICT) -> list[str]:
    election = ws.store.package.election()
    assert election is not None
    return sorted(s.code for s in election.stations_within(prefix))


def enter(laptop: Laptop, station: str, contest: str = "ppwp", seed: int = 0) -> str:
    """Enter one consistent random sheet, as an operator typing the paper form would."""
    import random

    from recap_desktop.domain.chasil_demo import random_sheet
    from recap_desktop.services import RecapError
    from recap_desktop.services.sheets import enter_sheet

    election = laptop.ws.store.package.election()
    assert election is not None
    values = random_sheet(
        election.contests[contest], election.stations[station].registered, random.Random(seed)
    )
    try:
        return enter_sheet(laptop.ws, laptop.key, station, contest, values).hash
    except RecapError as exc:
        if exc.key != "sheet.warnings_need_reason":
            raise
        # A random form may fire one of the package's warning bounds (turnout, spoilt
        # ballots): the officer then says why, as the window asks them to.
        return enter_sheet(
            laptop.ws, laptop.key, station, contest, values, warnings_reason="as on the paper form"
        ).hash


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


class MemoryLog:
    """A server's log kept in memory and signed with a certified key: pages and heads exactly
    as the real server makes them (PROTOCOL §10), for tests whose client must control the
    timing of pages. Built from the protocol's own functions, so it is the log, not a stub."""

    def __init__(self, key: SigningKey, election: str, received: str = "2026-02-14T12:00:00Z"):
        from recap_desktop.protocol import merkle

        self.key, self.election, self.received = key, election, received
        self.entries: list[tuple[Any, str]] = []  # (record, partition)
        self.tree = merkle.InMemoryNodes()
        self.parts: dict[str, merkle.InMemoryNodes] = {}

    def append(self, records: Any) -> None:
        from recap_desktop.protocol import merkle
        from recap_desktop.protocol.log import leaf_hash, partition_of

        for record in records:
            name = partition_of(record)
            leaf = leaf_hash(record.hash, len(self.entries), name, self.received)
            self.tree.append([leaf])
            self.parts.setdefault(name, merkle.InMemoryNodes()).append([leaf])
            self.entries.append((record, name))

    def summary(self) -> Any:
        from recap_desktop.protocol import merkle
        from recap_server.log import Summary

        return Summary(
            {n: (t.tree_size, merkle.tree_root(t, t.tree_size)) for n, t in self.parts.items()}
        )

    def head(self) -> Any:
        from datetime import UTC, datetime

        from recap_desktop.protocol import merkle
        from recap_desktop.protocol.log import sign_head

        size = len(self.entries)
        summary = self.summary()
        root = merkle.tree_root(self.tree, size) if size else merkle.EMPTY_ROOT
        return sign_head(
            self.key, self.election, size, root, summary.root, summary.count, datetime.now(UTC)
        )

    def page(self, jurisdiction: str, since: int, limit: int) -> dict[str, Any]:
        from recap_desktop.protocol.log import in_ranges, needed_ranges

        ranges = needed_ranges(jurisdiction)
        wanted = [
            (i, r) for i, (r, n) in enumerate(self.entries) if i >= since and in_ranges(n, ranges)
        ]
        taken, more = wanted[:limit], len(wanted) > limit
        summary = self.summary()
        return {
            "entries": [
                {"index": i, "received": self.received, "record": r.to_json()} for i, r in taken
            ],
            "next": taken[-1][0] + 1 if taken else since,
            "more": more,
            "head": self.head().to_json(),
            "partitions": None if more else [summary.prove(lo, hi) for lo, hi in ranges],
        }


def server_certificate(
    key: SigningKey, officer_id: str = "server-test", name: str = "test server"
) -> Record:
    """The DEMO authority's certificate of ``key`` as a server of the DEMO election."""
    from recap_desktop.crypto import authority

    return authority.certificate(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        officer_id=officer_id,
        name=name,
        role="server",
        jurisdiction="",
        public_key=key.public_key,
        valid_from=demo_service.ISSUED,
        valid_until=demo_service.EXPIRES,
        issued=demo_service.ISSUED,
    )


def certify_server(ws: Workspace, key: SigningKey) -> None:
    """The DEMO authority certifies ``key`` as a server of the DEMO election, in this folder."""
    from recap_desktop.services.admission import admit_into

    assert not admit_into(ws, [server_certificate(key)], "import").refused
