"""The officer's desk as a new officer found it (issue 13: 1, 5, 7, 8): a form that follows
the keyboard, every broken rule at once, nothing on the GUI thread but painting and input,
bundles, receipts, help and local times in the window. Each test failed on the code before.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.services import Workspace
from recap_desktop.services import identity as identity_service
from recap_desktop.services import sync as sync_service
from recap_desktop.services.election import current_election
from recap_desktop.ui import i18n
from recap_desktop.ui.desk import HelpDialog, ReceiptsDialog
from recap_desktop.ui.keyholder import KeyHolder
from recap_desktop.ui.main_window import MainWindow
from recap_desktop.ui.qt import QApplication, QLineEdit, QSettings, Qt, QTimer, QWidget
from recap_desktop.ui.settings import Settings
from tests.desk import CTRL, Officer, focused
from tests.sync_support import LiveServer, make_laptop
from tests.sync_support import live_server as live_server  # a fixture

STATION = "32.01.01.2001.001"


class Asker:
    def __init__(self) -> None:
        self.asked = 0

    def __call__(self, parent: object, hint: str) -> str | None:
        self.asked += 1
        return identity_service.DEMO_PASSPHRASE


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


def open_window(qtbot, ws: Workspace, settings: Settings, asker=None) -> MainWindow:
    i18n.install("en")
    keys = KeyHolder(ws, settings.idle_minutes, ask=asker or Asker())
    window = MainWindow(ws, settings, keys=keys, verify_on_open=False)
    qtbot.addWidget(window)
    window.resize(1100, 560)  # a laptop's screen: the 17 fields do not all fit
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.election is not None)
    return window


@pytest.fixture
def window(qtbot, demo_ws: Workspace, settings: Settings) -> Iterator[MainWindow]:
    win = open_window(qtbot, demo_ws, settings)
    yield win
    win.close()


def values_for(ws: Workspace, station: str = STATION, seed: int = 7) -> dict[str, int]:
    election = current_election(ws)
    return random_sheet(
        election.contests["ppwp"], election.stations[station].registered, random.Random(seed)
    )


def on_screen(window: MainWindow, widget: QWidget) -> bool:
    """Whether the whole widget lies inside the form's visible part (its scroll viewport)."""
    viewport = window.form.scroller.viewport()
    top_left = widget.mapTo(viewport, widget.rect().topLeft())
    bottom_right = widget.mapTo(viewport, widget.rect().bottomRight())
    return viewport.rect().contains(top_left) and viewport.rect().contains(bottom_right)


# -- 1. the form follows Enter; every broken rule at once ------------------------------------


def test_the_field_typed_into_is_always_on_screen(qtbot, window: MainWindow, demo_ws) -> None:
    """After 17 fields typed with Enter the scroll bar stayed at the top."""
    officer = Officer(qtbot, window)
    officer.open_station(STATION)
    form = window.form
    assert form.scroller.verticalScrollBar().maximum() > 0, "the test needs a form that scrolls"
    values = values_for(demo_ws)
    for fid in form.edits:
        assert focused() is form.edits[fid]
        qtbot.wait(1)  # what the officer sees: once the window has laid itself out
        assert on_screen(window, focused()), f"{fid} has the focus off screen"
        officer.type(str(values[fid]))
        officer.press(Qt.Key.Key_Return)
    assert form.scroller.verticalScrollBar().value() > 0


def test_a_refused_save_shows_the_broken_field_its_message_and_every_rule(
    qtbot, window: MainWindow, demo_ws
) -> None:
    """The focus jumped off screen, only the first rule showed, and it stayed after the fix."""
    officer = Officer(qtbot, window)
    officer.open_station(STATION)
    form = window.form
    values = values_for(demo_ws)
    wrong = dict(values, dpt_voted=values["dpt_voted"] + 1, total=values["total"] + 1)
    for fid in form.edits:
        officer.type(str(wrong[fid]))
        officer.press(Qt.Key.Key_Return)
    form.scroller.verticalScrollBar().setValue(0)  # the officer scrolled back to the top
    officer.press(Qt.Key.Key_S, CTRL)
    assert demo_ws.store.sheets.status(STATION, "ppwp") is None
    errors = [v for v in form.violations if v.severity == "error"]
    assert len(errors) >= 2
    assert "2 rules broken" in form.banner.text() or f"{len(errors)} rules broken" in (
        form.banner.text()
    )
    for v in errors:  # every one in the summary, and beside its field
        assert v.text("en") in form.summary.text()
        assert any(v.text("en") in form.message_for(f) for f in v.fields)
    qtbot.wait(1)
    broken = focused()
    assert isinstance(broken, QLineEdit) and broken in form.edits.values()
    assert on_screen(window, broken)
    fid = next(f for f, e in form.edits.items() if e is broken)
    assert form.message_for(fid) and on_screen(window, form.notes[fid])

    for fid in ("dpt_voted", "total"):  # fixed one by one: the list shrinks, then goes
        edit = form.edits[fid]
        while focused() is not edit:
            officer.press(Qt.Key.Key_Tab)
        officer.press(Qt.Key.Key_A, CTRL)
        officer.type(str(values[fid]))
        if fid == "dpt_voted":
            assert form.banner.isVisible()  # one rule still broken
    assert not form.summary.isVisible()
    assert not form.banner.isVisible(), form.banner.text()
    officer.save()
    assert demo_ws.store.sheets.status(STATION, "ppwp") is not None


# -- 7. nothing on the GUI thread but painting and input ------------------------------------


class Ticks:
    """A timer on the GUI thread: its ticks can only happen while that thread is free."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self.tick)
        self.marker = ""
        self.timer.start()

    def tick(self) -> None:
        self.seen.append(self.marker)


def test_a_save_waiting_behind_a_sync_commit_leaves_the_window_responsive(
    qtbot, window: MainWindow, demo_ws: Workspace
) -> None:
    """The save ran on the GUI thread and could wait up to the 30 s busy timeout behind
    another connection's write (the sync worker's commit): the window froze meanwhile."""
    assert window.keys.key(window) is not None
    officer = Officer(qtbot, window)
    officer.open_station(STATION)
    officer.type_sheet(values_for(demo_ws))
    locked = threading.Event()
    release = threading.Event()

    def sync_commit() -> None:
        """Another connection to the same file holds the write lock, as a sync commit does."""
        db = sqlite3.connect(db_path)
        db.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(timeout=20)
        db.rollback()
        db.close()

    db_path = demo_ws.store.path
    holder = threading.Thread(target=sync_commit)
    holder.start()
    assert locked.wait(10)
    ticks = Ticks()
    ticks.marker = "saving"
    officer.press(Qt.Key.Key_S, CTRL)
    # Back in the event loop at once: the timer ticks while the save waits for the lock.
    qtbot.waitUntil(lambda: ticks.seen.count("saving") >= 5, timeout=5000)
    assert window.form.signing is not None
    assert demo_ws.store.sheets.status(STATION, "ppwp") is None
    release.set()
    qtbot.waitUntil(lambda: window.form.signing is None, timeout=30_000)
    holder.join()
    assert demo_ws.store.sheets.status(STATION, "ppwp") is not None
    assert "Saved and signed" in window.form.banner.text()


def test_unlocking_the_key_leaves_the_window_responsive(
    qtbot, demo_ws: Workspace, settings: Settings
) -> None:
    """Argon2id (64 MiB, about a second) ran on the GUI thread."""
    ticks = Ticks()

    class Watching(Asker):
        def __call__(self, parent: object, hint: str) -> str | None:
            ticks.marker = "unlocking"
            return super().__call__(parent, hint)

    window = open_window(qtbot, demo_ws, settings, Watching())
    try:
        assert window.keys.locked
        key = window.keys.key(window)
        assert key is not None and not window.keys.locked
        # Ticks came while the key was being unsealed: the GUI thread was free.
        assert ticks.seen.count("unlocking") >= 1
    finally:
        window.close()


# -- 8. bundles, receipts, help and local times in the window -------------------------------


def test_f1_opens_help_in_the_windows_language(qtbot, window: MainWindow) -> None:
    officer = Officer(qtbot, window)
    officer.open_station(STATION)
    officer.press(Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: any(w.isVisible() for w in window.findChildren(HelpDialog)))
    shown = next(w for w in window.findChildren(HelpDialog) if w.isVisible())
    assert "press Enter" in shown.browser.toPlainText()
    shown.close()
    window.set_language("id")
    try:
        officer.press(Qt.Key.Key_F1)
        qtbot.waitUntil(
            lambda: any(
                w.isVisible() and "tekan Enter" in w.browser.toPlainText()
                for w in window.findChildren(HelpDialog)
            )
        )
    finally:
        for w in window.findChildren(HelpDialog):
            w.close()
        window.set_language("en")


def test_bundles_carry_the_days_sheets_between_two_windows(
    qtbot, tmp_path: Path, settings: Settings
) -> None:
    first = make_laptop(tmp_path / "first", "demo-operator-1")
    second = make_laptop(tmp_path / "second", "demo-operator-2")
    from recap_desktop.services import sheets as sheet_service
    from tests.photo_support import png

    photos = {STATION: [png(seed=61)], "32.01.01.2001.002": [png(seed=62), png(seed=63)]}
    for station, images in photos.items():
        sheet_service.enter_sheet(
            first.ws, first.key, station, "ppwp", values_for(first.ws, station), photos=images
        )
    window = open_window(qtbot, first.ws, settings)
    bundle = tmp_path / "usb" / "bundle.json"
    bundle.parent.mkdir()
    try:
        handle = window.export_bundle(str(bundle))
        qtbot.waitUntil(lambda: not handle.running)
        assert bundle.exists()
        assert "records written to the bundle" in window.last_told
        assert "3 photos written beside it" in window.last_told  # the photos travel too
    finally:
        window.close()
    folder = tmp_path / "usb" / "bundle.photos"
    victim = sorted(folder.iterdir())[0]
    victim.write_bytes(png(seed=64))  # one photo changed on the stick: refused, not kept
    other = open_window(qtbot, second.ws, settings)
    try:
        handle = other.import_bundle(str(bundle))
        qtbot.waitUntil(lambda: not handle.running)
        assert "new records imported" in other.last_told
        assert "2 photos kept from the bundle" in other.last_told
        assert "1 photo refused:" in other.last_told
        assert f"photo {victim.name[:16]}: its bytes do not hash to its name" in other.last_told
        assert second.ws.store.sheets.status(STATION, "ppwp") is not None
        assert not second.ws.store.photos.path(victim.name).exists()
        bundle.write_bytes(bundle.read_bytes()[:-40])  # a damaged file: refused, said plainly
        told = other.last_told
        said: list[str] = []
        Officer(qtbot, other).read_next_box(said)
        handle = other.import_bundle(str(bundle))
        qtbot.waitUntil(lambda: bool(said))
        assert "cannot be read" in said[0] and "nothing was changed" in said[0], said
        assert other.last_told == told  # no import result claimed
    finally:
        other.close()


def test_the_receipts_kept_show_in_local_time(
    qtbot, tmp_path: Path, settings: Settings, live_server: LiveServer, jakarta: None
) -> None:
    laptop = make_laptop(tmp_path / "laptop", "demo-operator-1")
    from recap_desktop.services import sheets as sheet_service

    sheet_service.enter_sheet(laptop.ws, laptop.key, STATION, "ppwp", values_for(laptop.ws))
    result = sync_service.sync_once(laptop.ws, live_server.url)
    assert result.sent >= 1
    window = open_window(qtbot, laptop.ws, settings)
    try:
        dialog = window.show_receipts()
        assert isinstance(dialog, ReceiptsDialog)
        qtbot.waitUntil(lambda: dialog.table.rowCount() >= 1)
        assert dialog.table.item(0, 0).text().endswith(" WIB")
        assert int(dialog.table.item(0, 1).text()) >= 1
        assert "receipt kept" in dialog.summary.text() or "receipts kept" in dialog.summary.text()
        dialog.close()
    finally:
        window.close()


@pytest.fixture
def jakarta(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Jakarta")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_history_shows_local_time_with_its_zone(
    qtbot, window: MainWindow, demo_ws: Workspace, jakarta: None
) -> None:
    officer = Officer(qtbot, window)
    officer.open_station(STATION)
    officer.type_sheet(values_for(demo_ws))
    officer.save()
    shown = window.history.item(0, 0).text()
    assert shown.endswith(" WIB"), shown
    assert window.history.horizontalHeaderItem(0).text() == "Time"


def test_counts_read_right_in_both_languages(qtbot, window: MainWindow) -> None:
    """ "1 problems", "1 records": a count now picks its form."""
    window.sync.update_sync_status(True, 1, None, None)
    assert "1 unsent" in window.sync_label.text()
    window.supervisor.bad = 1
    window._verified(None)
    assert window.statusBar().currentMessage().startswith("1 record with problems")
    window.supervisor.bad = 2
    window._verified(None)
    assert window.statusBar().currentMessage().startswith("2 records with problems")
    window.set_language("id")
    try:
        window._verified(None)
        assert window.statusBar().currentMessage().startswith("2 catatan bermasalah")
    finally:
        window.set_language("en")
    assert QApplication.instance() is not None
