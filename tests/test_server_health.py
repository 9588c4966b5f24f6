"""/v1/health under a crowd: the real server on a loopback port, its database made slow.

Every laptop asks /v1/health first in each sync, 7,000 of them at once after an outage. Its
answer names the newest head and the trust, which are asked of the database (another worker
may have written them): a slow database must not hold the event loop (every other request
waits behind it), and a crowd asking at once must not ask the database once each.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.sync_support import LiveServer


class SlowHeads:
    """The server's storage, its newest-head probe made slow once armed (a database under
    load): a fault a test cannot make for real on a loopback database."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage
        self.delay = 0.0
        self.asked = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def newest_head_hash(self) -> str | None:
        with self._lock:
            self.asked += 1
        time.sleep(self.delay)
        return self._storage.newest_head_hash()  # type: ignore[no-any-return]


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[tuple[LiveServer, SlowHeads]]:
    held: list[SlowHeads] = []

    def wrap(storage: Any) -> SlowHeads:
        held.append(SlowHeads(storage))
        return held[0]

    server = LiveServer(tmp_path / "server", storage=wrap)
    yield server, held[0]
    server.stop()


def test_a_slow_database_does_not_hold_other_requests_behind_health(
    slow: tuple[LiveServer, SlowHeads],
) -> None:
    server, storage = slow
    storage.delay = 1.5
    done: list[str] = []

    def health() -> None:
        assert requests.get(server.url + "/v1/health", timeout=30).json()["status"] == "ok"
        done.append("health")

    asking = threading.Thread(target=health)
    asking.start()
    while storage.asked == 0:  # the health's build has reached the database
        time.sleep(0.01)
    # Served on the event loop: answered while health still waits for the database.
    assert requests.get(server.url + "/openapi.json", timeout=30).status_code == 200
    done.append("openapi")
    asking.join()
    assert done == ["openapi", "health"]


def test_a_crowd_asking_health_at_once_does_not_ask_the_database_once_each(
    slow: tuple[LiveServer, SlowHeads],
) -> None:
    server, storage = slow
    requests.get(server.url + "/v1/health", timeout=30).raise_for_status()
    storage.delay, storage.asked = 0.5, 0

    def health(_: int) -> dict[str, Any]:
        answer = requests.get(server.url + "/v1/health", timeout=30)
        answer.raise_for_status()
        return dict(answer.json())

    with ThreadPoolExecutor(20) as crowd:
        answers = list(crowd.map(health, range(20)))
    assert {a["status"] for a in answers} == {"ok"}
    # A build, then one for all who came while it ran (each answer begun after its asking),
    # and perhaps one more for the last to be sent: never one each.
    assert 1 <= storage.asked <= 3, storage.asked
