"""An officer at the real window, with the keyboard only: the counting day's building blocks.

Every step is a key event sent to whatever widget has the focus (``QApplication.focusWidget``),
as a person's keyboard would; no widget method is called to type, move or press. A dialog
the window opens (the passphrase, a correction's reason) is answered the same way, by keys
queued before the key that opens it. Other desks extend ``Officer`` (double entry, photos,
the supervisor's dispute view) with their own steps built on ``press`` and ``type``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from shiboken6 import isValid

from recap_desktop.ui.main_window import MainWindow
from recap_desktop.ui.qt import (
    QAction,
    QApplication,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    Qt,
    QTimer,
    QWidget,
)

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
NONE = Qt.KeyboardModifier.NoModifier


def focused() -> QWidget:
    """Where a key goes: an open menu takes the keyboard (as the window system routes it),
    else the widget with the focus, else the active window itself (its shortcuts work)."""
    widget = (
        QApplication.activePopupWidget()
        or QApplication.focusWidget()
        or QApplication.activeWindow()
    )
    assert widget is not None, "no window is active"
    return widget


def _boxes() -> list[QMessageBox]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


@dataclass
class SheetLog:
    """What one sheet cost: key presses and the program's own milliseconds (the test types
    at once, so the time spent is the window's: checks, painting, signing, storing)."""

    station: str
    keys: int = 0
    program_ms: float = 0.0
    mistakes_caught: int = 0


@dataclass
class Officer:
    qtbot: object
    window: MainWindow
    keys: int = 0
    sheets: list[SheetLog] = field(default_factory=list)

    # -- the keyboard -----------------------------------------------------------------------

    def _window_manager(self) -> None:
        """What a window manager does when a dialog closes: the main window is active again
        (the offscreen platform has none, so the window would stay without focus)."""
        if QApplication.activeWindow() is None and QApplication.activeModalWidget() is None:
            self.window.activateWindow()
            self.qtbot.waitUntil(lambda: QApplication.activeWindow() is not None)  # type: ignore[attr-defined]

    def press(self, key: Qt.Key, modifiers: Qt.KeyboardModifier = NONE) -> None:
        self._window_manager()
        self.keys += 1
        self.qtbot.keyClick(focused(), key, modifiers)  # type: ignore[attr-defined]

    def type(self, text: str) -> None:
        self._window_manager()
        self.keys += len(text)
        self.qtbot.keyClicks(focused(), text)  # type: ignore[attr-defined]

    def answer_dialog(self, text: str, *, then: Iterable[Qt.Key] = (Qt.Key.Key_Return,)) -> None:
        """Queue the answer to the next input dialog (a passphrase, a reason): typed into its
        focused field, then ``then`` (Enter accepts a one-line dialog; a multi-line one tabs
        to OK first). Only an input dialog: not a modal dialog already open (the dispute's)."""
        keys = list(then)

        def answer() -> None:
            dialog = QApplication.activeModalWidget()
            edit = QApplication.focusWidget()
            if isinstance(dialog, QInputDialog) and QApplication.activeWindow() is not dialog:
                dialog.activateWindow()  # the window manager's part: a new dialog is active
            if (
                not isinstance(dialog, QInputDialog)
                or not isinstance(edit, (QLineEdit, QPlainTextEdit))
                or not dialog.isAncestorOf(edit)
            ):
                QTimer.singleShot(10, answer)
                return
            if isinstance(edit, QPlainTextEdit):  # the window's reason box: Tab leaves it
                assert edit.tabChangesFocus(), "Tab would be typed into the reason"
            self.type(text)
            for key in keys:
                self.press(key)

        QTimer.singleShot(0, answer)

    def read_next_box(self, said: list[str]) -> None:
        """Queue the reading of the next message box to open: Enter (its one button) closes
        it, then its text goes into ``said``."""
        before = set(map(id, _boxes()))

        def read() -> None:
            new = [b for b in _boxes() if id(b) not in before]
            if not new:
                QTimer.singleShot(10, read)
                return
            close(new[0], new[0].text())

        def close(box: QMessageBox, text: str) -> None:
            """Enter until the box has gone (a box that has just opened may not take it yet);
            ``said`` is filled once it has, so a wait on it ends with the box closed."""
            if isValid(box) and box.isVisible():  # closed, it is deleted (WA_DeleteOnClose)
                self.qtbot.keyClick(box, Qt.Key.Key_Return)  # type: ignore[attr-defined]
                QTimer.singleShot(10, lambda: close(box, text))
            else:
                said.append(text)

        QTimer.singleShot(0, read)

    def answer_file_dialog(self, path: str) -> None:
        """Queue the answer to the next file dialog (Qt's own, as offscreen and under Xvfb):
        the file's path typed into its name box, then Enter."""

        def answer() -> None:
            dialog = QApplication.activeModalWidget()
            box = QApplication.focusWidget()
            if not isinstance(dialog, QFileDialog) or box is None or not dialog.isAncestorOf(box):
                QTimer.singleShot(10, answer)
                return
            if QApplication.activeWindow() is not dialog:
                dialog.activateWindow()  # the window manager's part: a new dialog is active
            self.type(path)
            self.press(Qt.Key.Key_Return)

        QTimer.singleShot(0, answer)

    def menu(self, alt: Qt.Key, action: QAction) -> None:
        """Alt+letter opens a menu, Down until ``action`` is the active entry, Enter."""
        self.press(alt, Qt.KeyboardModifier.AltModifier)
        self.qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))  # type: ignore[attr-defined]
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu) and action in menu.actions(), action.text()
        for _ in range(len(menu.actions())):
            if menu.activeAction() is action:
                break
            self.press(Qt.Key.Key_Down)
        assert menu.activeAction() is action, f"Down never reached {action.text()!r}"
        self.press(Qt.Key.Key_Return)

    # -- the officer's steps ----------------------------------------------------------------

    def open_station(self, code: str) -> None:
        """Ctrl+F, the station's code, Enter: its sheet opens with the focus in field 1."""
        self.press(Qt.Key.Key_F, CTRL)
        self.type(code)
        self.press(Qt.Key.Key_Return)
        form = self.window.form
        self.qtbot.waitUntil(lambda: focused() is form.first_edit())  # type: ignore[attr-defined]

    def type_sheet(
        self,
        values: Mapping[str, int],
        *,
        mistakes: Mapping[str, int] | None = None,
        on_mistake: Callable[[str], None] | None = None,
    ) -> int:
        """Type every field in the order the focus moves, each ending with Enter. A field in
        ``mistakes`` is first typed wrong; when the form flags it live (beside a field and
        in the summary), the officer goes back with Shift+Tab, retypes it and moves on.
        Returns how many mistakes the form caught."""
        form = self.window.form
        order = list(form.edits)
        caught = 0
        for fid in order:
            assert focused() is form.edits[fid], f"focus is not on {fid}: paper order broken"
            wrong = (mistakes or {}).get(fid)
            self.type(str(values[fid] if wrong is None else wrong))
            self.press(Qt.Key.Key_Return)
            if wrong is None:
                continue
            if form.summary.isVisible():
                caught += 1
                if on_mistake is not None:
                    on_mistake(fid)
            self.press(Qt.Key.Key_Tab, SHIFT)
            while focused() is not form.edits[fid]:  # back to the mistyped field
                self.press(Qt.Key.Key_Tab, SHIFT)
            self.press(Qt.Key.Key_A, CTRL)
            self.type(str(values[fid]))
            self.press(Qt.Key.Key_Return)
        return caught

    def save(self) -> None:
        """Ctrl+S, then wait for the signing job (it runs off the GUI thread)."""
        self.press(Qt.Key.Key_S, CTRL)
        form = self.window.form
        self.qtbot.waitUntil(lambda: form.signing is None)  # type: ignore[attr-defined]

    def count_sheet(
        self, code: str, values: Mapping[str, int], *, mistakes: Mapping[str, int] | None = None
    ) -> SheetLog:
        """One station's sheet from Ctrl+F to its signature, with its cost."""
        start_keys, start = self.keys, time.perf_counter()
        self.open_station(code)
        caught = self.type_sheet(values, mistakes=mistakes)
        self.save()
        log = SheetLog(code, self.keys - start_keys, (time.perf_counter() - start) * 1000, caught)
        self.sheets.append(log)
        return log

    TAB_TO_OK = (Qt.Key.Key_Tab, Qt.Key.Key_Return)  # a multi-line dialog: leave the box, OK

    def press_correct(self) -> None:
        """Ctrl+E on a signed sheet: its fields open for a correction, the focus in field 1."""
        self.press(Qt.Key.Key_E, CTRL)
        form = self.window.form
        assert form.mode == "correct", form.banner.text()

    def retype(self, field_id: str, value: int) -> None:
        """Tab to a field, select what it holds (Ctrl+A), type the new number."""
        form = self.window.form
        for _ in range(len(form.edits) + 2):
            if focused() is form.edits[field_id]:
                break
            self.press(Qt.Key.Key_Tab)
        assert focused() is form.edits[field_id], f"Tab never reached {field_id}"
        self.press(Qt.Key.Key_A, CTRL)
        self.type(str(value))

    def open_station_viewed(self, code: str) -> None:
        """Ctrl+F and the code of a station whose sheet is signed: it opens read-only."""
        self.press(Qt.Key.Key_F, CTRL)
        self.type(code)
        self.press(Qt.Key.Key_Return)
        form = self.window.form
        self.qtbot.waitUntil(lambda: form.mode == "view")  # type: ignore[attr-defined]

    def double_entry(self, code: str, values: Mapping[str, int], slip: str) -> bool:
        """Ctrl+F to the station, Ctrl+Shift+D: the sheet typed twice blind (``slip`` one
        digit off the second time), then only the differing field typed a third time from
        the paper. Returns whether the mistyped field alone was shown for that third look."""
        self.open_station(code)
        self.press(Qt.Key.Key_D, CTRL | SHIFT)
        form = self.window.form
        self.qtbot.waitUntil(lambda: getattr(form, "double_dialog", None) is not None)  # type: ignore[attr-defined]
        dialog = form.double_dialog
        self.qtbot.waitUntil(lambda: focused().objectName().startswith("first_"))  # type: ignore[attr-defined]
        order = [f.id for f in dialog.fields]
        wrong = values[slip] + 9 if values[slip] % 10 == 0 else values[slip] - 1
        for typing in (values, {**values, slip: wrong}):
            for fid in order:
                self.type(str(typing[fid]))
                self.press(Qt.Key.Key_Return)
        third = dialog.third is not None and list(dialog.third.edits) == [slip]
        third = third and focused().objectName() == f"third_{slip}"
        self.type(str(values[slip]))
        self.press(Qt.Key.Key_Return)
        self.qtbot.waitUntil(lambda: not dialog.isVisible() and form.signing is None)  # type: ignore[attr-defined]
        return third

    def attach_photo(self, path: str) -> None:
        """Ctrl+Shift+P opens Qt's file dialog; the photo's path typed into it, Enter."""
        self.answer_file_dialog(path)
        self.press(Qt.Key.Key_P, CTRL | SHIFT)
        panel = self.window.form.photos
        self.qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None)  # type: ignore[attr-defined]
        self.qtbot.waitUntil(lambda: focused() is panel.view)  # type: ignore[attr-defined]
