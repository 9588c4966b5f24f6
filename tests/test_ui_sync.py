"""The window and the sync worker together: the status bar follows a real server, and a save
sends itself without the officer asking."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from recap_desktop.services import sync as sync_service
from recap_desktop.ui import i18n
from recap_desktop.ui.keyholder import KeyHolder
from recap_desktop.ui.main_window import MainWindow
from recap_desktop.ui.settings import Settings
from recap_desktop.ui.sync_worker import SyncWorker
from tests.sync_support import (
    Laptop,
    LiveServer,
    district_stations,
    enter,
    live_server,
    make_laptop,
    server_hashes,
)

__all__ = ["live_server"]


def _window_with_worker(qtbot, laptop: Laptop, tmp_path: Path) -> tuple[MainWindow, SyncWorker]:  # type: ignore[no-untyped-def]
    """The window over ``laptop``'s folder with its sync worker started (hourly: the tests
    poke it), as the app starts them."""
    worker = SyncWorker(laptop.data_dir, interval=3600)
    i18n.install("en")
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(
        laptop.ws,
        settings,
        verify_on_open=False,
        keys=KeyHolder(laptop.ws, settings.idle_minutes, ask=lambda *_: None),
        sync_worker=worker,
    )
    qtbot.addWidget(window)
    window.show()
    worker.start()
    return window, worker


def test_status_bar_follows_the_server_and_a_save_is_sent(
    qtbot, live_server: LiveServer, tmp_path: Path
) -> None:
    laptop = make_laptop(tmp_path / "a", "op-a")
    stations = district_stations(laptop.ws)
    first = enter(laptop, stations[0])
    sync_service.set_server_url(laptop.ws.store, live_server.url)
    window, worker = _window_with_worker(qtbot, laptop, tmp_path)
    try:
        qtbot.waitUntil(lambda: "online · 0 unsent" in window.sync_label.text(), timeout=30_000)
        assert first in server_hashes(live_server)
        # A sheet saved in the window goes up at once: the window pokes the worker.
        second = enter(laptop, stations[1])
        window.form.saved.emit(laptop.ws.store.records.get(second))
        qtbot.waitUntil(lambda: second in server_hashes(live_server), timeout=30_000)
        qtbot.waitUntil(lambda: "online · 0 unsent" in window.sync_label.text(), timeout=30_000)
    finally:
        window.close()  # stops the worker; a request in flight is cut
    assert worker._thread is None


def test_what_a_background_pull_brings_shows_without_asking(
    qtbot, live_server: LiveServer, tmp_path: Path
) -> None:
    """A colleague's sheet reaches this laptop by the worker's pull: the open sheet's history
    and the station's state in the tree change on their own, the form is left alone."""
    mine = make_laptop(tmp_path / "a", "op-a")
    colleague = make_laptop(tmp_path / "b", "op-b")
    stations = district_stations(mine.ws)
    station = stations[3]
    sync_service.set_server_url(mine.ws.store, live_server.url)
    sync_service.set_server_url(colleague.ws.store, live_server.url)
    window, worker = _window_with_worker(qtbot, mine, tmp_path)
    try:
        qtbot.waitUntil(lambda: window.election is not None, timeout=30_000)
        window.show_station(station)
        qtbot.waitUntil(lambda: window.station_code == station, timeout=10_000)
        assert window.history.rowCount() == 0
        qtbot.waitUntil(lambda: "online · 0 unsent" in window.sync_label.text(), timeout=30_000)

        theirs = enter(colleague, station)
        sync_service.sync_once(colleague.ws, live_server.url)
        assert theirs in server_hashes(live_server)
        worker.sync_now()  # as the worker's own interval would, sooner
        qtbot.waitUntil(lambda: window.history.rowCount() == 1, timeout=30_000)
        assert window.history.item(0, 3).text() == theirs[:16]
    finally:
        window.close()
