"""Photos of the paper in the window, with the keyboard alone: attach through the file
dialog, zoom with + - 0, sign with the sheet; a missing or altered file is said on the sheet,
on the officer's desk and on the supervisor's."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from recap_desktop.crypto.keys import SigningKey
from recap_desktop.protocol.photos import describe
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import photos as photo_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.ui.main_window import MainWindow
from recap_desktop.ui.photos import ZOOM_STEP
from recap_desktop.ui.qt import (
    QApplication,
    QEvent,
    QLineEdit,
    Qt,
    QThreadPool,
    QTimer,
    QWidget,
)
from recap_desktop.ui.settings import Settings
from tests.photo_support import png
from tests.test_ui_window import (
    STATION,
    Asker,
    asker,
    focused,
    open_window,
    settings,
    sheet_values,
    type_sheet,
)

__all__ = ["asker", "settings"]
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(autouse=True)
def settled(qapp) -> Iterator[None]:
    """Photos load on the pool's threads: each test ends with them done and their results
    delivered, so nothing of it is freed during a later test."""
    yield
    QThreadPool.globalInstance().waitForDone()
    for _ in range(3):
        qapp.processEvents()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()


@pytest.fixture
def window(qtbot, demo_ws: Workspace, settings: Settings, asker: Asker) -> Iterator[MainWindow]:
    win = open_window(qtbot, demo_ws, settings, asker, verify_on_open=False)
    yield win
    win.close()


def open_station_by_keyboard(qtbot, window: MainWindow, code_end: str) -> None:
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(focused(), code_end)
    qtbot.keyClick(focused(), Qt.Key.Key_Return)


def attach_by_keyboard(qtbot, path: Path) -> None:
    """Ctrl+Shift+P opens Qt's file dialog; the file's path is typed into it, then Enter.

    A busy machine shows the dialog late, and a dialog can stay up after the Enter (a
    completer's popup, a "file not found" box): a timer looks every 100 ms and types once the
    dialog has the focus; after 10 s it closes whatever modal window is left and the test
    fails, saying what it was, where it used to wait in ``dialog.exec()`` for ever."""
    deadline = time.monotonic() + 10
    typed: list[str] = []
    left: list[str] = []
    timer = QTimer()

    def tick() -> None:
        modal = QApplication.activeModalWidget()
        if time.monotonic() > deadline:
            for _ in range(5):  # the dialog and a message box over it, at most
                if (modal := QApplication.activeModalWidget()) is None:
                    break
                left.append(f"{type(modal).__name__} {modal.windowTitle()!r}")
                modal.close()
            timer.stop()
            return
        box = QApplication.focusWidget()
        if typed or modal is None or box is None or box.window() is not modal:
            return  # not up yet, or typed already and closing
        typed.append(type(box).__name__)
        # Typed from a timer of its own: a box the Enter opens runs its own event loop inside
        # the typing, and Qt does not fire a timer again while its slot runs.
        QTimer.singleShot(0, lambda: type_path(box))

    def type_path(box: QWidget) -> None:
        qtbot.keyClicks(box, str(path))
        typed.append(repr(box.text()) if isinstance(box, QLineEdit) else "")
        qtbot.keyClick(box, Qt.Key.Key_Return)

    timer.timeout.connect(tick)
    timer.start(100)
    try:
        qtbot.keyClick(focused(), Qt.Key.Key_P, CTRL_SHIFT)
    finally:
        timer.stop()
    assert typed, "the file dialog did not take the focus"
    assert not left, f"left open after the path and Enter were typed into {typed}: {left}"
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)  # the window is active again


def test_attach_a_photo_view_it_zoomed_and_sign_it_with_the_sheet(
    qtbot, window: MainWindow, demo_ws: Workspace, tmp_path: Path
) -> None:
    page = tmp_path / "c-hasil-hal-1.png"
    page.write_bytes(png(400, 300, seed=11))
    (tmp_path / "notes.png").write_text("a text file with an image's name")
    open_station_by_keyboard(qtbot, window, "2001.001")
    type_sheet(qtbot, window, sheet_values(demo_ws, "ppwp"))  # the numbers first
    panel = window.form.photos

    attach_by_keyboard(qtbot, tmp_path / "notes.png")
    assert panel.rows == []
    assert "not a PNG or JPEG" in panel.message.text()

    attach_by_keyboard(qtbot, page)
    assert [r.state for r in panel.rows] == ["pending"]
    view = panel.view
    assert focused() is view and view.has_image()  # the photo shows, ready to zoom
    qtbot.keyClick(focused(), Qt.Key.Key_0)  # fit the page
    fitted = view.zoom
    qtbot.keyClick(focused(), Qt.Key.Key_Plus)
    qtbot.keyClick(focused(), Qt.Key.Key_Plus)
    assert view.zoom == pytest.approx(fitted * ZOOM_STEP**2)
    qtbot.keyClick(focused(), Qt.Key.Key_Minus)
    assert view.zoom == pytest.approx(fitted * ZOOM_STEP)
    qtbot.keyClick(focused(), Qt.Key.Key_0)
    assert view.zoom == pytest.approx(fitted)
    # The numbers checked against the paper: sign from where the officer is.
    qtbot.keyClick(focused(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.form.signing is None)  # signed on the task runner

    status = demo_ws.store.sheets.status(STATION, "ppwp")
    assert status is not None and status["state"] == "signed"
    record = demo_ws.store.records.get(status["current"])
    photo = describe(page.read_bytes())
    assert record is not None and record.payload["photos"] == [photo.to_json()]
    assert [(r.state, r.photo) for r in panel.rows] == [("ok", photo)]  # shown, signed
    assert "photo kept" in panel.state.text()
    qtbot.waitUntil(panel.view.has_image)  # read and decoded off the GUI thread

    # A second page, added by a correction: the first is named again, the second attached.
    second = tmp_path / "c-hasil-hal-2.jpg"
    from recap_desktop.ui.qt import QImage

    assert QImage(str(page)).save(str(second), "JPEG")  # a scan saved as JPEG
    window.form.ask_reason = lambda parent: "foto halaman 2 ditambahkan"  # the reason dialog
    window.form.correct_button.setFocus()  # (where a Tab or a click puts it)
    qtbot.keyClick(focused(), Qt.Key.Key_Space)  # "Correct this sheet…"
    attach_by_keyboard(qtbot, second)
    qtbot.keyClick(focused(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.form.signing is None)  # signed on the task runner
    status = demo_ws.store.sheets.status(STATION, "ppwp")
    assert status is not None
    corrected = demo_ws.store.records.get(status["current"])
    assert corrected is not None and corrected.payload["supersedes"] == record.hash
    assert {p["sha256"] for p in corrected.payload["photos"]} == {
        photo.sha256,
        describe(second.read_bytes()).sha256,
    }
    assert {p["type"] for p in corrected.payload["photos"]} == {"image/png", "image/jpeg"}


def test_an_altered_or_missing_photo_is_said_on_both_desks(
    qtbot, demo_ws: Workspace, demo_key: SigningKey, settings: Settings, tmp_path: Path
) -> None:
    first, second = png(60, 40, seed=12), png(60, 40, seed=13)
    values = sheet_values(demo_ws, "ppwp")
    sheet_service.enter_sheet(demo_ws, demo_key, STATION, "ppwp", values, photos=[first, second])
    altered, missing = describe(first), describe(second)
    files = demo_ws.store.photos
    files.path(altered.sha256).write_bytes(second)
    files.path(missing.sha256).unlink()

    window = open_window(qtbot, demo_ws, settings, Asker(), verify_on_open=False)
    open_station_by_keyboard(qtbot, window, "2001.001")
    panel = window.form.photos
    states = {r.photo.sha256: r.state for r in panel.rows}
    assert states == {altered.sha256: "altered", missing.sha256: "missing"}
    labels = [panel.list.item(i).toolTip() for i in range(panel.list.count())]
    assert any("PHOTO ALTERED" in t for t in labels) and any("PHOTO MISSING" in t for t in labels)
    assert "photos missing: 1 · photos ALTERED: 1" in window.form.title.text()
    assert not panel.view.has_image()  # an altered file is never shown as the photo
    window.close()

    # The supervisor's desk shows the sheet read-only, with the same states.
    boss = Workspace(tmp_path / "boss")
    demo_service.init_demo(boss, officer_id="sup-1", role="supervisor")
    from recap_desktop.services.admission import admit_into

    record = demo_ws.store.records.get(demo_ws.store.sheets.status(STATION, "ppwp")["current"])
    held = [
        r.record for r in demo_ws.store.records.rows() if r.record and r.record.type != "election"
    ]
    admit_into(boss, [r for r in held if r.type in ("certificate",)], "import")
    assert not admit_into(boss, [record], "import").refused
    window = open_window(qtbot, boss, settings, Asker(), verify_on_open=False)
    open_station_by_keyboard(qtbot, window, "2001.001")
    assert window.form.mode == "readonly"
    assert {r.state for r in window.form.photos.rows} == {"missing"}
    boss.store.photos.put(first)  # what a sync fetches
    open_station_by_keyboard(qtbot, window, "2001.002")
    open_station_by_keyboard(qtbot, window, "2001.001")
    rows = window.form.photos.rows
    assert sorted(r.state for r in rows) == ["missing", "ok"]
    assert photo_service.problems(boss)[0].state == "missing"
    window.close()
    boss.close()
