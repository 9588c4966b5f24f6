"""The supervisor's desk in the window, driven by the keyboard alone (key events to whichever
widget has the focus, as a person's keyboard sends them): the board, a dispute compared side
by side, decided in one signed step."""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from PySide6.QtTest import QTest

from recap_desktop.services import Workspace
from recap_desktop.services import board as board_service
from recap_desktop.ui.qt import QApplication, Qt, QTimer, QTreeWidgetItem
from recap_desktop.ui.supervisor_desk import PLACE_ROLE, DisputeDialog, SupervisorDesk, local_time
from tests.supervisor_support import (
    CONTEST,
    COUNTED,
    DISPUTED,
    DISTRICT,
    REJECTED,
    Folder,
    make_folder,
)
from tests.test_ui_window import Asker, open_window, settings  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Folder:
    return make_folder(tmp_path_factory.mktemp("desk") / "data")


@pytest.fixture
def folder(template: Folder, data_dir: Path) -> Folder:
    shutil.copytree(template.path, data_dir)
    return template


def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """One key, to the widget that has the focus now."""
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    QTest.keyClick(widget, key, modifier)


def type_text(text: str) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None
    QTest.keyClicks(widget, text)


def test_a_dispute_is_resolved_on_the_desk_by_keyboard_alone(
    qtbot,
    folder: Folder,
    data_dir: Path,
    settings,  # noqa: F811
) -> None:
    ws = Workspace(data_dir)
    asker = Asker()
    window = open_window(qtbot, ws, settings, asker, verify_on_open=False)
    desk = window.desk
    qtbot.waitUntil(lambda: desk.board is not None)

    press(Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)  # Tools > Supervisor's desk
    qtbot.waitUntil(lambda: QApplication.focusWidget() is desk.tree)
    assert window.tabs.currentWidget() is desk
    groups = [desk.tree.topLevelItem(i).text(0) for i in range(desk.tree.topLevelItemCount())]
    assert groups[0] == "1 dispute: officers signed different numbers"
    assert "1 rejected sheet waiting for a correction" in groups
    assert any(g.endswith("stations not entered yet") for g in groups)

    press(Qt.Key.Key_Down)  # from the disputes' group to its one dispute
    assert desk.tree.currentItem().text(0) == DISPUTED
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), DisputeDialog))
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, DisputeDialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.choice)

    # What the supervisor reads: both officers, their ids and keys, local times, the two
    # fields that differ highlighted.
    heads = [dialog.table.horizontalHeaderItem(c).text() for c in range(2)]
    names = {"Siti Rahma": "op-1", "Budi Santoso": "op-2"}
    for head, version in zip(heads, dialog.dispute.versions, strict=True):
        assert f"{version.officer}" in head and f"officer id {names[version.officer]}" in head
        assert version.signer[:16] in head and local_time(version.time) in head
    highlighted = {
        dialog.dispute.fields[r][0]
        for r in range(dialog.table.rowCount())
        if dialog.table.item(r, 0).font().bold()
    }
    assert highlighted == {"v_p01", "v_p02"}

    press(Qt.Key.Key_Down)  # approve the second version
    chosen = dialog.dispute.versions[1]
    other = dialog.dispute.versions[0]
    press(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.reason
    press(Qt.Key.Key_Return)  # no reason yet: refused, nothing signed
    assert dialog.isVisible() and "reason" in dialog.status.text()
    assert ws.store.sheets.status(DISPUTED, CONTEST)["state"] == "disputed"
    type_text("paper C.Hasil checked: 01 and 02 swapped")
    with qtbot.waitSignal(desk.loaded):  # signed, then the board read again
        press(Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not dialog.isVisible())

    status = ws.store.sheets.status(DISPUTED, CONTEST)
    assert status["state"] == "approved" and status["current"] == chosen.hash
    reviews = {r["sheet"]: r for r in ws.store.sheets.reviews(DISPUTED, CONTEST)}
    assert reviews[chosen.hash]["decision"] == "approve"
    assert reviews[other.hash]["decision"] == "reject"
    assert reviews[other.hash]["reason"] == "paper C.Hasil checked: 01 and 02 swapped"
    assert asker.asked == 1  # the key was unlocked once, for both signatures
    groups = [desk.tree.topLevelItem(i).text(0) for i in range(desk.tree.topLevelItemCount())]
    assert not any("dispute" in g for g in groups)
    assert f"{chosen.officer}" in desk.message.text()
    window.close()
    ws.close()


def test_only_problems_keeps_the_disputed_sheets(
    qtbot,
    folder: Folder,
    data_dir: Path,
    settings,  # noqa: F811
) -> None:
    """Both versions of a dispute verify, yet they are what "only problems" must show."""
    ws = Workspace(data_dir)
    window = open_window(qtbot, ws, settings, Asker(), verify_on_open=False)
    with qtbot.waitSignal(window.supervisor.verified, timeout=60_000):
        window.supervisor.start_verification()
    view = window.supervisor
    summary = re.fullmatch(
        r"(\d+) (records?) verified; \d+ with problems; (\d+) open (problems?)\.",
        view.summary.text(),
    )
    assert summary is not None, view.summary.text()
    for count, word in ((summary[1], summary[2]), (summary[3], summary[4])):
        assert word.endswith("s") == (count != "1"), view.summary.text()  # "1 problems" no more
    view.only_problems.setChecked(True)
    shown = view.table.model()
    stations = {shown.index(r, 1).data() for r in range(shown.rowCount())}
    assert DISPUTED in stations and REJECTED in stations
    window.close()
    ws.close()


def test_the_board_in_indonesian_counts_with_the_right_forms(
    qtbot,
    folder: Folder,
    data_dir: Path,
    settings,  # noqa: F811
) -> None:
    ws = Workspace(data_dir)
    window = open_window(qtbot, ws, settings, Asker(), verify_on_open=False)
    window.set_language("id")
    with qtbot.waitSignal(window.desk.loaded):
        window.desk.show_region(DISTRICT)
    groups = [
        window.desk.tree.topLevelItem(i).text(0)
        for i in range(window.desk.tree.topLevelItemCount())
    ]
    assert groups[0].startswith("1 sengketa")
    window.set_language("en")
    window.close()
    ws.close()


def test_a_record_edited_in_the_file_reads_tampered_in_the_sheet_tab_and_is_not_counted(
    qtbot,
    folder: Folder,
    data_dir: Path,
    settings,  # noqa: F811
) -> None:
    """One byte of a saved sheet changed in SQLite behind the program's back."""
    with sqlite3.connect(data_dir / "recap.db") as conn:
        conn.execute("DROP TRIGGER records_no_update")
        (row_id, payload) = conn.execute(
            "SELECT r.id, CAST(r.payload AS BLOB) FROM records r JOIN sheets s ON s.hash = r.hash"
            " WHERE s.station = ?",
            [COUNTED],
        ).fetchone()
        edited = bytearray(payload)
        edited[len(edited) // 2] ^= 0x01
        conn.execute(
            "UPDATE records SET payload = CAST(? AS TEXT) WHERE id = ?", [bytes(edited), row_id]
        )
    ws = Workspace(data_dir)
    window = open_window(qtbot, ws, settings, Asker(), verify_on_open=False)
    window.open_sheet(COUNTED, CONTEST)
    history = window.history
    rows = [history.item(r, 1).text() for r in range(history.rowCount())]
    assert rows and all("does not count" in r for r in rows), rows
    assert "not counted" in window.form.title.text()
    with qtbot.waitSignal(window.recap.loaded, timeout=30_000):
        window.show_region(DISTRICT)
    assert window.recap.counted.text().startswith("0 of ")
    assert "3 stations hold sheets that do not count" in window.recap.counted.text()
    qtbot.waitUntil(lambda: window.desk.board is not None and window.desk.pending is None)
    groups = [
        window.desk.tree.topLevelItem(i).text(0)
        for i in range(window.desk.tree.topLevelItemCount())
    ]
    assert "1 station with a tampered or missing record" in groups
    window.close()
    ws.close()


def test_a_dispute_decided_meanwhile_is_refused_in_the_dialog_and_nothing_is_signed(
    qtbot,
    folder: Folder,
    data_dir: Path,
    settings,  # noqa: F811
) -> None:
    ws = Workspace(data_dir)
    window = open_window(qtbot, ws, settings, Asker(), verify_on_open=False)
    qtbot.waitUntil(lambda: window.desk.board is not None)
    press(Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.desk.tree)
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), DisputeDialog))
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, DisputeDialog)
    # Meanwhile the decision arrives from elsewhere (another session of the supervisor).
    other = Workspace(data_dir)
    board_service.resolve_dispute(
        other, folder.supervisor, DISPUTED, CONTEST, folder.first_sheet, "decided at the office"
    )
    other.close()
    before = ws.store.records.count()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.choice)
    press(Qt.Key.Key_Tab)
    type_text("paper checked")
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "no dispute" in dialog.status.text())
    assert dialog.isVisible() and dialog.sign_button.isEnabled()
    assert ws.store.records.count() == before
    window.close()
    ws.close()


def test_a_dispute_in_the_verification_tab_opens_the_comparison(
    qtbot,
    folder: Folder,
    data_dir: Path,
    settings,  # noqa: F811
) -> None:
    ws = Workspace(data_dir)
    window = open_window(qtbot, ws, settings, Asker(), verify_on_open=False)
    with qtbot.waitSignal(window.supervisor.verified, timeout=60_000):
        window.supervisor.start_verification()
    problems = window.supervisor.problems
    [row] = [r for r in range(problems.count()) if problems.item(r).text().startswith("Dispute")]
    problems.setFocus()
    problems.setCurrentRow(row)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), DisputeDialog))
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, DisputeDialog)
    assert (dialog.dispute.station, dialog.dispute.contest) == (DISPUTED, CONTEST)
    assert window.tabs.currentWidget() is window.desk
    dialog.reject()
    window.close()
    ws.close()


def _not_entered_group(desk: SupervisorDesk) -> QTreeWidgetItem:
    """The board's group of the stations not entered yet."""
    tops = [desk.tree.topLevelItem(i) for i in range(desk.tree.topLevelItemCount())]
    return next(g for g in tops if g.text(0).endswith("stations not entered yet"))


def test_a_reload_keeps_the_supervisors_place_on_the_board(
    qtbot,
    folder: Folder,
    data_dir: Path,
    settings,  # noqa: F811
) -> None:
    """A background sync reloads the board every interval: the row the supervisor stands on
    and the groups they opened stay as they were."""
    ws = Workspace(data_dir)
    window = open_window(qtbot, ws, settings, Asker(), verify_on_open=False)
    desk = window.desk
    qtbot.waitUntil(lambda: desk.board is not None)
    missing = _not_entered_group(desk)
    assert not missing.isExpanded()
    missing.setExpanded(True)
    row = missing.child(3)
    desk.tree.setCurrentItem(row)
    place = row.data(0, PLACE_ROLE)
    with qtbot.waitSignal(desk.loaded):
        desk.reload()
    assert desk.tree.currentItem() is not row  # a new tree ...
    assert desk.tree.currentItem().data(0, PLACE_ROLE) == place  # ... the same place
    tops = [desk.tree.topLevelItem(i) for i in range(desk.tree.topLevelItemCount())]
    assert next(g for g in tops if g.text(0).endswith("not entered yet")).isExpanded()
    window.close()
    ws.close()


def test_the_board_is_read_off_the_gui_thread_and_the_newest_request_wins(
    qtbot,
    folder: Folder,
    data_dir: Path,
    settings,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The board's queries cover every station of the region (a tenth of a second on a
    province): read on the GUI thread, they froze the window as it first showed and at every
    sync. The window answers while the board is read, and a reload asked for meanwhile wins."""
    read_on: list[tuple[int, str]] = []
    real = board_service.board

    def board(ws: Workspace, region: str) -> board_service.Board:
        read_on.append((threading.get_ident(), region))  # a spy: the real board is read
        return real(ws, region)

    monkeypatch.setattr(board_service, "board", board)
    ws = Workspace(data_dir)
    window = open_window(qtbot, ws, settings, Asker(), verify_on_open=False)
    desk = window.desk
    qtbot.waitUntil(lambda: desk.board is not None)
    assert read_on and all(t != threading.main_thread().ident for t, _ in read_on)

    gate = threading.Event()
    window.tasks.run("busy", lambda _ws, _h: gate.wait(30))  # the worker is busy elsewhere
    try:
        desk.show_region(COUNTED)
        desk.show_region(DISPUTED)  # the supervisor moved on before the first board came
        answered: list[bool] = []
        QTimer.singleShot(0, lambda: answered.append(True))
        qtbot.waitUntil(lambda: bool(answered))  # the event loop runs while the board is read
        assert desk.board is not None and desk.board.region == DISTRICT  # the new one: not yet
        with qtbot.waitSignal(desk.loaded, timeout=10_000):
            gate.set()
    finally:
        gate.set()
    assert desk.board.region == DISPUTED and read_on[-1][1] == DISPUTED
    assert DISPUTED in desk.title.text()  # the tree shows the board that came
    qtbot.wait(50)  # the first request, cancelled, changes nothing even if it was read
    assert desk.board.region == DISPUTED
    window.close()
    ws.close()


def test_a_shut_group_gets_its_rows_when_the_supervisor_opens_it(
    qtbot,
    folder: Folder,
    data_dir: Path,
    settings,  # noqa: F811
) -> None:
    """The stations not entered yet are thousands on a province's board: their rows are made
    when the group opens, not before the board first shows. Enter opens it, all rows there."""
    ws = Workspace(data_dir)
    window = open_window(qtbot, ws, settings, Asker(), verify_on_open=False)
    desk = window.desk
    qtbot.waitUntil(lambda: desk.board is not None)
    missing = _not_entered_group(desk)
    assert not missing.isExpanded() and missing.childCount() == 0  # made only when opened
    shown = QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator
    assert missing.childIndicatorPolicy() == shown  # yet it shows it can open
    press(Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is desk.tree)
    desk.tree.setCurrentItem(missing)
    press(Qt.Key.Key_Return)
    assert missing.isExpanded()
    expected = [i.station for i in desk.board.groups["missing"]]
    assert [missing.child(r).text(0) for r in range(missing.childCount())] == expected
    press(Qt.Key.Key_Down)
    assert desk.tree.currentItem() is missing.child(0)
    window.close()
    ws.close()
