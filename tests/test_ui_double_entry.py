"""Double entry through the real window, keyboard only: Ctrl+Shift+D on the sheet, the sheet
typed twice blind with one digit mistyped the second time, only that field shown for a third
look at the paper, then signed with ``double_entry`` recorded. Every key goes to the widget
that has the focus, as a keyboard would send it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from recap_desktop.services import Workspace
from recap_desktop.services.verify import verify_store
from recap_desktop.ui.main_window import MainWindow
from recap_desktop.ui.qt import QApplication, QLineEdit, QSettings, Qt
from recap_desktop.ui.settings import Settings
from tests.dialog_keys import answer_modal
from tests.test_ui_window import STATION, Asker, open_window, sheet_values


@pytest.fixture
def window(qtbot, demo_ws: Workspace, tmp_path: Path) -> Iterator[MainWindow]:
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    win = open_window(qtbot, demo_ws, settings, Asker(), verify_on_open=False)
    yield win
    win.close()


def focused() -> QLineEdit:
    widget = QApplication.focusWidget()
    assert isinstance(widget, QLineEdit), widget
    return widget


def type_with_enter(qtbot, values: list[int]) -> None:
    for value in values:
        qtbot.keyClicks(focused(), str(value))
        qtbot.keyClick(focused(), Qt.Key.Key_Return)


def open_double_entry(qtbot, window: MainWindow):
    window.open_sheet(STATION, "ppwp")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.form.first_edit())
    qtbot.keyClick(
        QApplication.focusWidget(),
        Qt.Key.Key_D,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: getattr(window.form, "double_dialog", None) is not None)
    dialog = window.form.double_dialog
    qtbot.waitUntil(lambda: focused().objectName().startswith("first_"))
    return dialog


def test_one_mistyped_digit_is_caught_shown_alone_and_the_agreed_sheet_signed(
    qtbot, window: MainWindow, demo_ws: Workspace
) -> None:
    values = sheet_values(demo_ws, "ppwp")
    dialog = open_double_entry(qtbot, window)
    order = [f.id for f in dialog.fields]
    assert focused().objectName() == f"first_{order[0]}"

    type_with_enter(qtbot, [values[f] for f in order])
    assert focused().objectName() == f"second_{order[0]}"
    # Blind: nothing of the first typing is on the second page.
    assert all(not e.text() for e in dialog.second.edits.values())
    assert not dialog.first.isVisible()

    slip = "v_p02"
    mistyped = {**values, slip: values[slip] + 9 if values[slip] % 10 == 0 else values[slip] - 1}
    type_with_enter(qtbot, [mistyped[f] for f in order])

    # Only the differing field is shown for a third look, and it has the focus.
    assert dialog.third is not None
    assert list(dialog.third.edits) == [slip]
    assert focused().objectName() == f"third_{slip}"
    assert demo_ws.store.sheets.status(STATION, "ppwp") is None  # nothing signed yet

    type_with_enter(qtbot, [values[slip]])
    qtbot.waitUntil(lambda: demo_ws.store.sheets.status(STATION, "ppwp") is not None)
    status = demo_ws.store.sheets.status(STATION, "ppwp")
    record = demo_ws.store.records.get(status["current"])
    assert record is not None
    assert record.payload["values"] == values
    assert record.payload["double_entry"] == {"second": None}
    assert not dialog.isVisible()
    assert verify_store(demo_ws).ok


def test_two_typings_that_agree_are_signed_without_a_third_look(
    qtbot, window: MainWindow, demo_ws: Workspace
) -> None:
    values = sheet_values(demo_ws, "ppwp", seed=11)
    dialog = open_double_entry(qtbot, window)
    order = [f.id for f in dialog.fields]
    type_with_enter(qtbot, [values[f] for f in order])
    type_with_enter(qtbot, [values[f] for f in order])
    qtbot.waitUntil(lambda: demo_ws.store.sheets.status(STATION, "ppwp") is not None)
    assert dialog.third is None
    record = demo_ws.store.records.get(demo_ws.store.sheets.status(STATION, "ppwp")["current"])
    assert record is not None and record.payload["double_entry"] == {"second": None}


def test_escape_leaves_the_double_entry_without_signing(
    qtbot, window: MainWindow, demo_ws: Workspace
) -> None:
    values = sheet_values(demo_ws, "ppwp")
    dialog = open_double_entry(qtbot, window)
    order = [f.id for f in dialog.fields]
    type_with_enter(qtbot, [values[f] for f in order])
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert demo_ws.store.sheets.status(STATION, "ppwp") is None


def test_a_required_region_refuses_ctrl_s_and_says_to_press_ctrl_shift_d(
    qtbot, window: MainWindow, demo_ws: Workspace
) -> None:
    """A supervisor of the station's sub-district requires double entry (its certificate and
    requirement arrive as from a USB bundle): the sheet typed once is not signed."""
    from recap_desktop.crypto import authority
    from recap_desktop.crypto.envelope import sign
    from recap_desktop.crypto.keys import SigningKey
    from recap_desktop.services import admission
    from recap_desktop.services import demo as demo_service

    supervisor = SigningKey.generate()
    cert = authority.certificate(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        officer_id="pengawas-9",
        name="Pengawas Sembilan",
        role="supervisor",
        jurisdiction="32.01.01",
        public_key=supervisor.public_key,
        valid_from=demo_service.ISSUED,
        valid_until=demo_service.EXPIRES,
        issued=demo_service.ISSUED,
    )
    requirement = sign(
        supervisor,
        {
            "type": "requirement",
            "signer": supervisor.key_id,
            "seq": 1,
            "prev": None,
            "time": "2026-02-14T07:00:00Z",
            "election": demo_service.ELECTION_ID,
            "region": "32.01.01",
            "double_entry": True,
        },
    )
    assert not admission.admit_into(demo_ws, [cert, requirement], "bundle").refused

    values = sheet_values(demo_ws, "ppwp")
    window.open_sheet(STATION, "ppwp")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.form.first_edit())
    for fid in window.form.contest.form.field_ids:  # type: ignore[union-attr]
        qtbot.keyClicks(focused(), str(values[fid]))
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert demo_ws.store.sheets.status(STATION, "ppwp") is None
    banner = window.form.banner.text()
    assert "32.01.01" in banner and "Ctrl+Shift+D" in banner


def test_the_second_typing_by_another_operator_is_recorded_with_its_key(
    qtbot, window: MainWindow, demo_ws: Workspace
) -> None:
    from recap_desktop.crypto.keys import SigningKey
    from recap_desktop.services import demo as demo_service
    from recap_desktop.services import identity as identity_service

    colleague = SigningKey.generate()
    demo_service.certify(
        demo_ws,
        identity_service.Identity(
            colleague.key_id, colleague.public_key, "Agus Setiawan", "ptg-002", "operator",
            True, None,
        ),
        role="operator",
        jurisdiction="32.01",
    )  # fmt: skip
    values = sheet_values(demo_ws, "ppwp", seed=3)
    dialog = open_double_entry(qtbot, window)
    order = [f.id for f in dialog.fields]
    type_with_enter(qtbot, [values[f] for f in order])
    # Shift+Tab from the second typing's first field reaches "typed by"; Down picks the colleague.
    qtbot.keyClick(focused(), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    combo = QApplication.focusWidget()
    assert combo is dialog.typist
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert "Agus Setiawan" in dialog.typist.currentText()
    qtbot.keyClick(combo, Qt.Key.Key_Tab)
    type_with_enter(qtbot, [values[f] for f in order])
    qtbot.waitUntil(lambda: demo_ws.store.sheets.status(STATION, "ppwp") is not None)
    record = demo_ws.store.records.get(demo_ws.store.sheets.status(STATION, "ppwp")["current"])
    assert record is not None and record.payload["double_entry"] == {"second": colleague.key_id}


def test_a_double_entered_sheet_with_a_warning_asks_the_reason_over_the_dialog(
    qtbot, window: MainWindow, demo_ws: Workspace
) -> None:
    values = sheet_values(demo_ws, "ppwp")
    values["dpt"] += 1  # differs from the station's official list: a warning
    dialog = open_double_entry(qtbot, window)
    order = [f.id for f in dialog.fields]
    type_with_enter(qtbot, [values[f] for f in order])
    shown = answer_modal("warnings_dialog", "DPT diperbarui KPU")
    type_with_enter(qtbot, [values[f] for f in order])
    qtbot.waitUntil(lambda: demo_ws.store.sheets.status(STATION, "ppwp") is not None)
    assert any("official list" in line for line in shown)
    record = demo_ws.store.records.get(demo_ws.store.sheets.status(STATION, "ppwp")["current"])
    assert record is not None
    assert record.payload["warnings_reason"] == "DPT diperbarui KPU"
    assert record.payload["double_entry"] == {"second": None}
