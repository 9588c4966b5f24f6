"""The window as an officer uses it: typing sheets with the keyboard, refusals, corrections.

Every test drives the real MainWindow on a real data folder (offscreen), and checks what was
signed and stored through the services, not through the widgets alone.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.messages import local_time
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import identity as identity_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services.election import current_election
from recap_desktop.services.verify import verify_store
from recap_desktop.ui import i18n
from recap_desktop.ui.keyholder import KeyHolder
from recap_desktop.ui.main_window import MainWindow
from recap_desktop.ui.qt import QApplication, QSettings, Qt
from recap_desktop.ui.settings import Settings
from tests.dialog_keys import answer_modal

STATION = "32.01.01.2001.001"


class Asker:
    """Stands in for the passphrase dialog and counts how often the officer was asked."""

    def __init__(self, answer: str = identity_service.DEMO_PASSPHRASE) -> None:
        self.answer = answer
        self.asked = 0

    def __call__(self, parent: object, hint: str) -> str | None:
        self.asked += 1
        return self.answer


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


def open_window(qtbot, ws: Workspace, settings: Settings, asker: Asker, **kw) -> MainWindow:
    i18n.install("en")
    keys = KeyHolder(ws, settings.idle_minutes, ask=asker)
    window = MainWindow(ws, settings, keys=keys, **kw)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.election is not None)
    return window


@pytest.fixture
def asker() -> Asker:
    return Asker()


@pytest.fixture
def window(qtbot, demo_ws: Workspace, settings: Settings, asker: Asker) -> Iterator[MainWindow]:
    win = open_window(qtbot, demo_ws, settings, asker, verify_on_open=False)
    yield win
    win.close()


def focused():
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def type_sheet(qtbot, window: MainWindow, values: dict[str, int]) -> None:
    """Type every field in the order the focus moves; Enter on odd lines, Tab on even ones."""
    form = window.form
    order = list(form.edits)
    qtbot.waitUntil(lambda: focused() is form.edits[order[0]])
    for i, fid in enumerate(order):
        assert focused() is form.edits[fid], f"focus is not on {fid}: paper order broken"
        qtbot.keyClicks(focused(), str(values[fid]))
        qtbot.keyClick(focused(), Qt.Key.Key_Return if i % 2 else Qt.Key.Key_Tab)


def saved(qtbot, window: MainWindow) -> None:
    """Wait for the signing job a save started (it runs on the task runner's thread)."""
    qtbot.waitUntil(lambda: window.form.signing is None)


def on_runner(qtbot, window: MainWindow, work) -> None:
    """Run ``work(ws)`` on the task runner's quick thread, with its Workspace, and wait."""
    done: list[object] = []
    window.tasks.run("test", lambda ws, handle: work(ws), done.append, done.append)
    qtbot.waitUntil(lambda: bool(done))
    assert not isinstance(done[0], BaseException), done[0]


def sheet_values(ws: Workspace, contest_id: str, seed: int = 7) -> dict[str, int]:
    election = current_election(ws)
    station = election.stations[STATION]
    return random_sheet(election.contests[contest_id], station.registered, random.Random(seed))


@pytest.mark.parametrize("contest_id", ["ppwp", "dpr-jabar-1"])
def test_type_a_whole_sheet_with_the_keyboard_and_save_it_signed(
    qtbot, window: MainWindow, demo_ws: Workspace, contest_id: str, asker: Asker
) -> None:
    values = sheet_values(demo_ws, contest_id)
    window.regions.select_station(STATION)
    window.open_sheet(STATION, contest_id)
    type_sheet(qtbot, window, values)
    qtbot.keyClick(focused(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved(qtbot, window)

    status = demo_ws.store.sheets.status(STATION, contest_id)
    assert status is not None and status["state"] == "signed"
    record = demo_ws.store.records.get(status["current"])
    assert record is not None and record.payload["values"] == values
    assert verify_store(demo_ws).ok
    assert asker.asked == 1
    assert window.history.rowCount() == 1
    assert window.form.mode == "view"  # the signed sheet is now shown read-only
    item = window.regions.station_items[STATION]
    assert item.data(Qt.ItemDataRole.UserRole + 3) in ("partial", "signed")


def test_a_broken_rule_refuses_the_save_with_its_message_next_to_the_total(
    qtbot, window: MainWindow, demo_ws: Workspace
) -> None:
    values = sheet_values(demo_ws, "ppwp")
    values["total"] += 1  # valid + invalid no longer equals the total
    window.open_sheet(STATION, "ppwp")
    type_sheet(qtbot, window, values)
    qtbot.keyClick(focused(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    assert demo_ws.store.sheets.status(STATION, "ppwp") is None  # nothing stored
    note = window.form.message_for("total")
    assert "Valid + invalid votes" in note
    assert window.form.message_for("valid") == ""
    assert window.form.edits["total"].property("problem") == "error"
    assert focused() is window.form.edits["total"]
    assert window.form.banner.isVisible() and "Not saved" in window.form.banner.text()


def test_an_empty_field_is_named_next_to_itself(qtbot, window: MainWindow) -> None:
    window.open_sheet(STATION, "ppwp")
    qtbot.keyClicks(window.form.edits["dpt"], "240")
    window.form.save()
    assert "missing" in window.form.message_for("dpt_voted")
    assert window.form.message_for("dpt") == ""


def test_sums_show_while_typing(qtbot, window: MainWindow) -> None:
    window.open_sheet(STATION, "ppwp")
    form = window.form
    for fid, value in (("dpt_voted", "100"), ("dptb_voted", "3"), ("dpk_voted", "2")):
        qtbot.keyClicks(form.edits[fid], value)
    assert form.sums["voted_total"].text() == "Σ 105"
    qtbot.keyClicks(form.edits["voted_total"], "104")
    assert "105" in form.message_for("voted_total")


def test_a_warning_must_be_ticked_before_the_save(
    qtbot, window: MainWindow, demo_ws: Workspace
) -> None:
    values = sheet_values(demo_ws, "ppwp")
    values["dpt"] += 1  # differs from the station's official list: a warning, not an error
    window.open_sheet(STATION, "ppwp")
    type_sheet(qtbot, window, values)
    assert "dpt_matches_package" in window.form.acks
    assert "official list" in window.form.message_for("dpt")
    window.form.save()
    assert demo_ws.store.sheets.status(STATION, "ppwp") is None
    box = window.form.acks["dpt_matches_package"]
    assert focused() is box
    qtbot.keyClick(box, Qt.Key.Key_Space)
    shown = answer_modal("warnings_dialog", "DPT baru dari KPU kabupaten")
    qtbot.keyClick(focused(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved(qtbot, window)
    assert any("official list" in line for line in shown)
    status = demo_ws.store.sheets.status(STATION, "ppwp")
    assert status is not None
    payload = demo_ws.store.records.get(status["current"]).payload
    assert payload["warnings"] == ["dpt_matches_package"]
    assert payload["warnings_reason"] == "DPT baru dari KPU kabupaten"


def test_a_correction_asks_a_reason_and_shows_in_the_history(
    qtbot, window: MainWindow, demo_ws: Workspace, demo_key: SigningKey
) -> None:
    values = sheet_values(demo_ws, "ppwp")
    first = sheet_service.enter_sheet(demo_ws, demo_key, STATION, "ppwp", values)
    reasons: list[str | None] = [None, "Line B.2 was misread from the paper"]
    window.form.ask_reason = lambda parent: reasons.pop(0)
    window.open_sheet(STATION, "ppwp")
    assert window.form.mode == "view" and window.form.edits["dpt"].isReadOnly()

    window.form.start_correction()
    edit = window.form.edits["disabled_voted"]
    edit.selectAll()
    qtbot.keyClicks(edit, "0")
    qtbot.keyClick(edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert demo_ws.store.sheets.status(STATION, "ppwp")["current"] == first.hash  # cancelled

    qtbot.keyClick(edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved(qtbot, window)
    history = sheet_service.sheet_history(demo_ws, STATION, "ppwp")
    assert history["state"] == "corrected"
    assert [v["supersedes"] for v in history["versions"]] == [None, first.hash]
    texts = [
        window.history.item(row, col).text()
        for row in range(window.history.rowCount())
        for col in range(window.history.columnCount())
    ]
    assert window.history.rowCount() == 2
    assert "Line B.2 was misread from the paper" in texts
    assert any("Petugas Demo" in t for t in texts)


def test_the_key_locks_after_idle_time_and_is_asked_again(
    qtbot, window: MainWindow, demo_ws: Workspace, asker: Asker
) -> None:
    keys = window.keys
    assert keys.timer.interval() == 15 * 60_000  # the default
    assert keys.key(window) is not None and asker.asked == 1
    assert keys.key(window) is not None and asker.asked == 1  # asked once
    keys.timer.timeout.emit()  # the idle time has passed
    assert keys.locked
    assert "locked" in window.key_state.text()
    assert keys.key(window) is not None and asker.asked == 2


def test_a_wrong_passphrase_keeps_the_key_locked(qtbot, demo_ws, settings) -> None:
    answers = ["wrong-one", None]
    keys = KeyHolder(demo_ws, 15, ask=lambda parent, hint: answers.pop(0))
    assert keys.key(None) is None
    assert keys.locked and answers == []


def test_recap_view_totals_progress_and_csv(
    qtbot, window: MainWindow, demo_ws: Workspace, demo_key: SigningKey, tmp_path: Path
) -> None:
    election = current_election(demo_ws)
    expected_valid = 0
    for n, code in enumerate(sorted(election.stations)[:4]):
        values = random_sheet(
            election.contests["ppwp"], election.stations[code].registered, random.Random(n)
        )
        sheet_service.enter_sheet(demo_ws, demo_key, code, "ppwp", values)
        expected_valid += values["valid"]
    with qtbot.waitSignal(window.recap.loaded):
        window.show_region("32.01")
    assert window.recap.counted.text() == "4 of 60 polling stations entered"
    assert window.recap.progress.value() == 4 and window.recap.progress.maximum() == 60
    shown = {
        window.recap.table.item(r, 0).text().strip(): window.recap.table.item(r, 1)
        for r in range(window.recap.table.rowCount())
    }
    assert shown["Valid votes"].text().replace(",", "") == str(expected_valid)
    out = tmp_path / "recap.csv"
    window.recap.export_csv(out)
    lines = out.read_text().splitlines()
    assert lines[0].startswith("region,contest,field")
    assert f"32.01,ppwp,valid,Valid votes,{expected_valid},4,60" in lines


@pytest.fixture
def jakarta(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This laptop's clock in Western Indonesian Time (UTC+7, no daylight saving)."""
    import time

    monkeypatch.setenv("TZ", "Asia/Jakarta")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_status_bar_sync_state(qtbot, window: MainWindow, jakarta: None) -> None:
    assert window.sync_label.text() == "Sync not configured: set the central server in Settings"
    raw = "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /v1/health"
    window.sync.update_sync_status(False, 12, "2026-02-14T10:00:00Z", raw, None, "connection")
    text = window.sync_label.text()
    assert "offline" in text and "12 unsent" in text
    assert "last sync 2026-02-14 17:00 WIB" in text  # local time, with its zone
    assert "cannot be reached: check the network and the server address" in text
    assert "Max retries" not in text and "Max retries" in window.sync_label.toolTip()
    window.sync.update_sync_status(True, 1, None, "HTTP 404: b''", None, "protocol")
    assert "b''" not in window.sync_label.text() and "1 unsent" in window.sync_label.text()
    window.set_language("id")
    try:
        assert "server menolak permintaan" in window.sync_label.text()
        assert "1 belum terkirim" in window.sync_label.text()
    finally:
        window.set_language("en")


def test_status_bar_takes_the_engine_status(qtbot, window: MainWindow) -> None:
    from types import SimpleNamespace

    status = SimpleNamespace(
        state="idle",
        online=True,
        unsent=0,
        last_sync="2026-02-14T11:00:00Z",
        last_error=None,
        error_kind=None,
    )
    window.sync.show_engine_status(status)
    assert window.sync_label.text() == "online · 0 unsent · last sync " + local_time(
        "2026-02-14T11:00:00Z"
    )


def test_a_misbehaving_server_is_said_plainly_in_the_status_bar(qtbot, window: MainWindow) -> None:
    from types import SimpleNamespace

    status = SimpleNamespace(
        state="idle",
        online=True,
        unsent=3,
        last_sync=None,
        last_error="a pull left out records the signed head says a partition holds: ...",
        error_kind="server_misbehaved",
    )
    window.sync.show_engine_status(status)
    text = window.sync_label.text()
    assert "3 unsent" in text and "broke its own signed promises" in text
    assert "Tell the election authority" in text and "pull left out" not in text
    assert "c62828" in window.sync_label.styleSheet()
    window.sync.show_engine_status(SimpleNamespace(**{**vars(status), "error_kind": None}))
    assert window.sync_label.styleSheet() == ""


def test_a_clock_off_the_servers_is_said_in_the_status_bar(qtbot, window: MainWindow) -> None:
    from types import SimpleNamespace

    status = SimpleNamespace(
        state="idle",
        online=True,
        unsent=0,
        last_sync="2026-02-14T11:00:00Z",
        last_error=None,
        error_kind=None,
        clock_offset=-3 * 3600,
    )
    window.sync.show_engine_status(status)
    text = window.sync_label.text()
    assert text.startswith("online · 0 unsent")  # records still go up
    assert "clock is -180 minutes off the server's" in text
    window.sync.show_engine_status(SimpleNamespace(**{**vars(status), "clock_offset": None}))
    assert "clock" not in window.sync_label.text()


def test_text_from_a_server_or_a_record_is_shown_as_text_never_as_html(
    qtbot, window: MainWindow
) -> None:
    """An HTTP error body with a huge font and a link showed as such in the status bar."""
    from recap_desktop.ui.qt import QLabel, QMessageBox

    hostile = '<font size=7>SERVER DOWN</font> <a href="http://evil.example">update here</a>'
    window.sync.update_sync_status(False, 3, None, hostile)
    assert "SERVER DOWN" not in window.sync_label.text()  # plain words, the body in the tip
    tip = window.sync_label.toolTip()
    assert "&lt;font size=7&gt;SERVER DOWN" in tip and "<font" not in tip and "<a " not in tip
    assert window.sync_label.textFormat() == Qt.TextFormat.PlainText
    labels = window.findChildren(QLabel)
    assert labels and all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)
    box = QMessageBox(QMessageBox.Icon.Warning, "t", hostile)
    assert box.textFormat() == Qt.TextFormat.PlainText


def test_demo_is_said_plainly(window: MainWindow) -> None:
    assert window.demo_banner.isVisible()
    assert "DEMO election: not a real election" in window.demo_banner.text()


def test_switch_language_to_indonesian(qtbot, window: MainWindow, settings: Settings) -> None:
    window.set_language("id")
    try:
        assert settings.language == "id"
        assert window.tabs.tabText(1) == "Rekapitulasi"
        assert (
            window.sync_label.text() == "Sinkronisasi belum diatur: isi server pusat di Pengaturan"
        )
    finally:
        window.set_language("en")


def test_help_about_shows_the_installed_version_in_both_languages(
    qtbot, window: MainWindow
) -> None:
    from recap_desktop.version import version

    assert window.help_menu.actions() == [window.help_action, window.about_action]
    box = window.about_box()
    assert box.text() == f"Recap Desktop {version()}"
    assert str(window.ws.data_dir) in box.informativeText()
    box.deleteLater()
    window.set_language("id")
    try:
        assert window.help_menu.title() == "Ban&tuan"
        box = window.about_box()
        assert box.windowTitle() == "Tentang Recap Desktop"
        assert box.informativeText().startswith("Rekapitulasi hasil penghitungan suara manual")
        box.deleteLater()
    finally:
        window.set_language("en")


def test_a_full_disk_refuses_the_save_with_a_message_and_the_retry_saves(
    qtbot, window: MainWindow, demo_ws: Workspace
) -> None:
    """The officer sees what is wrong and what to do; nothing is half-saved; freeing space
    and pressing Ctrl+S again saves the same typed sheet."""
    values = sheet_values(demo_ws, "ppwp")
    window.open_sheet(STATION, "ppwp")
    type_sheet(qtbot, window, values)
    election = current_election(demo_ws)
    key = identity_service.unlock(demo_ws, identity_service.DEMO_PASSPHRASE)
    others = [code for code in sorted(election.stations) if code != STATION]

    def fill_the_disk(ws: Workspace) -> None:
        """On the connection the window signs with (the task runner's): a disk two pages
        from full, then other stations' sheets until it is full."""
        db = ws.store.db
        db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0] + 2}")
        with pytest.raises(RecapError, match="disk is full"):
            for n, code in enumerate(others):
                values_n = random_sheet(
                    election.contests["ppwp"], election.stations[code].registered, random.Random(n)
                )
                sheet_service.enter_sheet(ws, key, code, "ppwp", values_n)

    assert window.keys.key(window) is not None  # unlocked before: the save goes straight on
    on_runner(qtbot, window, fill_the_disk)
    qtbot.keyClick(focused(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved(qtbot, window)
    assert "The disk is full" in window.form.banner.text()
    assert demo_ws.store.sheets.status(STATION, "ppwp") is None
    on_runner(qtbot, window, lambda ws: ws.store.db.execute("PRAGMA max_page_count = 4294967294"))
    window.form.save()
    saved(qtbot, window)
    status = demo_ws.store.sheets.status(STATION, "ppwp")
    assert status is not None and status["state"] == "signed"
    assert verify_store(demo_ws).ok


def test_find_a_station_by_code_with_the_keyboard(
    qtbot, window: MainWindow, demo_ws: Workspace
) -> None:
    """Ctrl+F, the end of the code, Enter: the sheet opens ready for typing."""
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert focused() is window.regions.search
    qtbot.keyClicks(focused(), "2003.007")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    assert window.station_code == "32.01.01.2003.007"
    assert window.form.mode == "new"
    qtbot.waitUntil(lambda: focused() is window.form.first_edit())


def test_state_filter_opens_matching_stations_anywhere(
    qtbot, window: MainWindow, demo_ws: Workspace, demo_key: SigningKey
) -> None:
    far = "32.01.02.2002.003"  # a village in the second district, not opened yet
    election = current_election(demo_ws)
    values = random_sheet(
        election.contests["ppwp"], election.stations[far].registered, random.Random(1)
    )
    sheet_service.enter_sheet(demo_ws, demo_key, far, "ppwp", values)  # dpr not yet: partial
    panel = window.regions
    assert far not in panel.station_items
    panel.filter.setCurrentIndex(panel.filter.findData("attention"))
    # The whole election is searched on the quick worker thread, then the branches open.
    qtbot.waitUntil(lambda: far in panel.station_items and panel.searching is None)
    item = panel.station_items[far]
    view = panel.view
    assert not view.isRowHidden(item.row(), item.parent().index())
    assert panel.note.text() == "Polling stations in this state: 1."
    first_district = panel.model.index(0, 0, panel.model.index(0, 0, panel.model.index(0, 0)))
    assert first_district.data(Qt.ItemDataRole.UserRole + 1) == "32.01.01"
    assert view.isRowHidden(first_district.row(), first_district.parent())
    panel.filter.setCurrentIndex(panel.filter.findData("all"))
    assert not view.isRowHidden(first_district.row(), first_district.parent())


def test_rebuild_runs_in_the_background_and_changes_nothing(
    qtbot, window: MainWindow, demo_ws: Workspace, demo_key: SigningKey
) -> None:
    values = sheet_values(demo_ws, "ppwp")
    sheet_service.enter_sheet(demo_ws, demo_key, STATION, "ppwp", values)
    before = demo_ws.store.projections.dump()
    with qtbot.waitSignal(window.tasks.started) as started:
        window.rebuild_action.trigger()
    handle = started.args[0]
    assert window.cancel_button.isVisible()
    qtbot.waitUntil(lambda: not handle.running, timeout=30_000)
    assert demo_ws.store.projections.dump() == before
    assert not window.cancel_button.isVisible()
