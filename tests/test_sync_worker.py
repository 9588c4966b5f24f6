"""The window's sync worker: network work off the GUI thread; a hang shows as timeout, offline."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from recap_desktop.sync.backoff import Backoff
from recap_desktop.sync.engine import Status
from recap_desktop.ui.sync_worker import SyncWorker
from tests.faultproxy import FaultProxy
from tests.sync_support import LiveServer, district_stations, enter, live_server, make_laptop

__all__ = ["live_server"]


@pytest.fixture
def proxy(live_server: LiveServer) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(live_server.port)
    yield fault_proxy
    fault_proxy.stop()


def test_hanging_server_keeps_the_window_free_then_offline_then_resumes(
    qtbot, live_server: LiveServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    laptop = make_laptop(tmp_path / "a", "op-a")
    enter(laptop, district_stations(laptop.ws)[0])
    laptop.ws.close()
    proxy.queue(*["hang"] * 4)  # every request hangs: health, retry, after offline...
    worker = SyncWorker(
        tmp_path / "a",
        proxy.url,
        interval=3600,
        read_timeout=2.0,
        attempts=2,
        backoff=Backoff(base=0.05, cap=0.1),
    )
    seen: list[Status] = []
    gui_thread = threading.get_ident()
    delivered_on: set[int] = set()

    def on_status(status: Status) -> None:
        delivered_on.add(threading.get_ident())
        seen.append(status)

    worker.status_changed.connect(on_status)
    worker.start()
    try:
        # While the worker is stuck in a request that hangs, the GUI thread runs events.
        qtbot.waitUntil(lambda: bool(proxy.applied), timeout=10_000)
        ran_during_hang: list[str] = []
        QTimer.singleShot(0, lambda: ran_during_hang.append(worker.last_status.state))  # type: ignore[union-attr]
        qtbot.waitUntil(lambda: bool(ran_during_hang), timeout=10_000)
        assert ran_during_hang == ["pushing"]  # the network call is still in flight
        assert worker.engine_thread_id is not None and worker.engine_thread_id != gui_thread

        qtbot.waitUntil(lambda: any(s.state == "offline" for s in seen), timeout=20_000)
        first_error = next(s for s in seen if s.last_error)
        assert first_error.error_kind == "timeout" and first_error.state == "backing_off"
        offline = next(s for s in seen if s.state == "offline")
        assert offline.online is False and offline.error_kind == "timeout"
        assert offline.unsent == 3  # package, certificate, one sheet: all still waiting
        assert delivered_on == {gui_thread}  # signals arrive on the GUI thread, queued

        # The server comes back: the worker retries by itself and gets everything across.
        proxy.clear()
        qtbot.waitUntil(lambda: seen[-1].state == "idle" and seen[-1].unsent == 0, timeout=20_000)
        assert seen[-1].online is True and seen[-1].last_error is None
        assert seen[-1].last_sync is not None
        assert live_server.stats()["sheets"] == 1
    finally:
        worker.stop()


def test_no_server_setting_waits_for_sync_now_then_syncs(
    qtbot, live_server: LiveServer, tmp_path: Path
) -> None:
    from recap_desktop.services import Workspace
    from recap_desktop.services import sync as sync_service

    make_laptop(tmp_path / "b", "op-b").ws.close()
    worker = SyncWorker(tmp_path / "b", interval=3600)
    seen: list[Status] = []
    worker.status_changed.connect(seen.append)
    worker.start()
    try:
        qtbot.waitUntil(lambda: any(s.error_kind == "no_server" for s in seen), timeout=10_000)
        assert seen[-1].unsent == 2 and seen[-1].online is None
        ws = Workspace(tmp_path / "b")  # the window's settings dialog writes the URL
        sync_service.set_server_url(ws.store, live_server.url)
        ws.close()
        worker.sync_now()
        qtbot.waitUntil(lambda: seen[-1].state == "idle" and seen[-1].unsent == 0, timeout=20_000)
        assert seen[-1].online is True
    finally:
        worker.stop()
