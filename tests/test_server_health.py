"""/v1/health under a crowd: the real server on a loopback port, its database made slow.

Every laptop asks /v1/health first in each sync, 7,000 of them at once after an outage. Its
answer names the newest head and the trust, which are asked of the database (another worker
may have written them): a slow database must not hold the event loop (every other request
waits behind it), and a crowd asking at once must not ask the database once each.
"""

from __future__ import annotations

import os
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
    """The server's storage, whose newest-head probes (``newest_head_hash``, and ``newest``,
    which health and a push ask) wait, once armed, until the test lets them go (a database
    under load): a fault a test cannot make for real on a loopback one."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage
        self.armed = False
        self.go = threading.Event()
        self.asked = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def _wait(self) -> None:
        with self._lock:
            self.asked += 1
        if self.armed:
            self.go.wait(30)

    def newest_head_hash(self) -> str | None:
        self._wait()
        return self._storage.newest_head_hash()  # type: ignore[no-any-return]

    def newest(self) -> tuple[str | None, int]:
        self._wait()
        return self._storage.newest()  # type: ignore[no-any-return]


def _until_asked(storage: SlowHeads) -> None:
    """Until a health's build has reached the database (and waits there)."""
    deadline = time.monotonic() + 30
    while storage.asked == 0:
        assert time.monotonic() < deadline, "no health build reached the database"
        time.sleep(0.01)


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[tuple[LiveServer, SlowHeads]]:
    held: list[SlowHeads] = []

    def wrap(storage: Any) -> SlowHeads:
        held.append(SlowHeads(storage))
        return held[0]

    server = LiveServer(tmp_path / "server", storage=wrap)
    yield server, held[0]
    held[0].go.set()
    server.stop()


def _health(url: str) -> dict[str, Any]:
    answer = requests.get(url + "/v1/health", timeout=60)
    answer.raise_for_status()
    return dict(answer.json())


def test_a_slow_database_does_not_hold_other_requests_behind_health(
    slow: tuple[LiveServer, SlowHeads],
) -> None:
    server, storage = slow
    storage.armed = True
    with ThreadPoolExecutor(1) as laptop:
        health = laptop.submit(_health, server.url)
        _until_asked(storage)
        # Served on the event loop: answered while health still waits for the database
        # (without the fix the event loop itself waits there, and this times out).
        assert requests.get(server.url + "/openapi.json", timeout=10).status_code == 200
        assert not health.done()
        storage.go.set()
        assert health.result()["status"] == "ok"


def test_a_crowd_asking_health_at_once_does_not_ask_the_database_once_each(
    slow: tuple[LiveServer, SlowHeads],
) -> None:
    server, storage = slow
    _health(server.url)
    storage.asked, storage.armed = 0, True
    with ThreadPoolExecutor(20) as crowd:
        first = crowd.submit(_health, server.url)
        _until_asked(storage)  # a build waits on the database
        rest = [crowd.submit(_health, server.url) for _ in range(19)]
        time.sleep(0.5)  # the 19 are sent; they wait behind the build (or their own, without)
        storage.armed = False
        storage.go.set()
        answers = [first.result(), *(r.result() for r in rest)]
    assert {a["status"] for a in answers} == {"ok"}
    # The build they waited behind, then one for all who came meanwhile (each answer begun
    # after its asking), and one more for each round of stragglers a loaded machine sends
    # late: never one each (20 without the coalescing).
    assert 2 <= storage.asked <= 10, storage.asked


def test_the_servers_lifespan_gives_the_other_reads_their_few_threads(tmp_path: Path) -> None:
    """What uvicorn runs as the app starts (its lifespan) sets the event loop's default thread
    pool, which Starlette runs the reads in, to READ_THREADS, not anyio's 40."""
    import anyio
    from anyio import to_thread

    from recap_server.app import READ_THREADS, create_app
    from recap_server.server import open_ledger
    from tests.pg_support import database_for

    ledger = open_ledger(tmp_path / "s", demo=True, database=database_for(tmp_path / "s"))
    app = create_app(ledger, demo=True)

    async def started() -> tuple[float, float]:
        before = to_thread.current_default_thread_limiter().total_tokens
        async with app.router.lifespan_context(app):
            return before, to_thread.current_default_thread_limiter().total_tokens

    try:
        assert anyio.run(started) == (40, READ_THREADS)
    finally:
        ledger.storage.close()


def test_a_crowd_waiting_for_one_build_is_woken_at_once_each_by_a_build_after_it_asked() -> None:
    """``Coalesced``, which /v1/health builds its answer through: one caller starts a build;
    fifty who ask while it runs share the next one, begun after they asked, and all of them
    resume within one pass of the event loop once it is done. (Under the lock health used,
    each waiter took a pass of its own to see it had nothing to build: fifty passes here,
    0.3 s of a national surge's loop.) A failed build fails those who waited for it only;
    the next caller gets a build of its own."""
    import asyncio

    from recap_server.app import BuildFailed, Coalesced

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        passes = [0]

        def tick() -> None:  # counts the event loop's passes
            passes[0] += 1
            loop.call_soon(tick)

        loop.call_soon(tick)
        release = asyncio.Event()
        began: list[int] = []

        async def build() -> int:
            began.append(passes[0])
            await release.wait()
            if len(began) == 3:
                raise OSError("the database went away")
            return len(began)

        builds = Coalesced(build)
        resumed: list[int] = []
        asked: list[int] = []

        async def ask() -> int:
            asked.append(passes[0])
            answer = await builds.get()
            resumed.append(passes[0])
            return answer

        first = asyncio.ensure_future(ask())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert len(began) == 1 and began[0] >= asked[0]  # the first build runs
        crowd = [asyncio.ensure_future(ask()) for _ in range(50)]
        for _ in range(3):
            await asyncio.sleep(0)
        assert len(began) == 1  # the crowd waits for the next build, not a build each
        release.set()
        answers = await asyncio.gather(first, *crowd)
        assert answers == [1] + [2] * 50
        assert began[1] >= max(asked[1:])  # the crowd's build began after each of them asked
        assert max(resumed[1:]) - min(resumed[1:]) <= 1  # woken together (50 passes before)
        with pytest.raises(BuildFailed) as failed:
            await builds.get()
        assert isinstance(failed.value.__cause__, OSError)
        assert await builds.get() == 4

    asyncio.run(scenario())


def test_a_caller_that_leaves_does_not_stop_the_build_the_others_wait_for() -> None:
    """A client that goes away while health is built (its request cancelled) takes nothing
    from the others waiting for that build; a build the loop cancels fails its callers with
    an error, not a cancellation of their own."""
    import asyncio

    from recap_server.app import BuildFailed, Coalesced

    async def scenario() -> None:
        release = asyncio.Event()
        built: list[int] = []

        async def build() -> int:
            await release.wait()
            built.append(1)
            return len(built)

        builds = Coalesced(build)
        first = asyncio.ensure_future(builds.get())
        await asyncio.sleep(0)
        leaving = asyncio.ensure_future(builds.get())  # both wait for the next build
        staying = asyncio.ensure_future(builds.get())
        await asyncio.sleep(0)
        leaving.cancel()
        await asyncio.sleep(0)
        release.set()
        assert await first == 1 and await staying == 2 and leaving.cancelled()

        release.clear()
        waiting = asyncio.ensure_future(builds.get())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        running = builds._running
        assert running is not None
        running.cancel()
        with pytest.raises(BuildFailed):
            await waiting
        release.set()
        assert await builds.get() == 3  # the next caller gets a build of its own

    asyncio.run(scenario())


def test_a_serving_start_freezes_what_it_built_and_leaves_the_collector_as_it_was() -> None:
    """``settled_heap``, around a serving process's start (what made health's slowest answers
    in a national surge: full collections walking the election, docs/PERFORMANCE.md): no
    collection runs while the start builds, what it built is frozen out of later ones, and
    the collector is left on or off as it was."""
    import gc

    from recap_server.server import settled_heap

    was = gc.isenabled()
    try:
        gc.disable()
        with settled_heap():
            assert not gc.isenabled()
        assert not gc.isenabled()  # off before: still off
        gc.enable()
        before = gc.get_freeze_count()
        with settled_heap():
            assert not gc.isenabled()
            built = [[n] for n in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + len(built)
    finally:
        gc.unfreeze()
        if was:
            gc.enable()
        else:
            gc.disable()


def test_only_a_process_that_serves_freezes_its_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`recap-server` freezes what its start built in a process that serves: one process, or
    each worker of ``--workers N``; not the parent of workers, which only sets the folder up
    and serves nothing, nor ``--request`` or ``--load-certificates``, which write and leave.
    Serving itself (uvicorn's loop) is replaced by a note of the freeze count at its start."""
    import gc
    import json

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from recap_server.__main__ import main as server_main
    from recap_server.asgi import WORKER_ENV, worker_app

    at_serving: dict[str, int] = {}
    monkeypatch.setattr(
        uvicorn.Server, "run", lambda self: at_serving.update(one=gc.get_freeze_count())
    )
    monkeypatch.setattr(  # the parent of workers starts them (edge.serve)
        Multiprocess, "run", lambda self: at_serving.update(parent=gc.get_freeze_count())
    )
    monkeypatch.delenv(WORKER_ENV, raising=False)  # the parent of workers sets it: unset after
    data = tmp_path / "server"
    base = ["--data-dir", str(data), "--demo", "--port", "0"]
    try:
        frozen = gc.get_freeze_count()
        assert server_main([*base, "--request", str(tmp_path / "server.request")]) == 0
        assert gc.get_freeze_count() == frozen
        certificates = tmp_path / "none.json"
        certificates.write_text('{"records":[]}')
        assert server_main([*base, "--load-certificates", str(certificates)]) == 0
        assert gc.get_freeze_count() == frozen
        assert server_main([*base, "--workers", "2"]) == 0
        assert at_serving["parent"] == gc.get_freeze_count() == frozen

        assert server_main(base) == 0
        assert at_serving["one"] > frozen
        gc.unfreeze()
        frozen = gc.get_freeze_count()
        # What the parent handed its workers (WORKER_ENV, above): each worker freezes.
        assert json.loads(os.environ[WORKER_ENV])["data_dir"] == str(data)
        worker_app()
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
