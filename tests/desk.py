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

from recap_desktop.ui.main_window import MainWindow
from recap_desktop.ui.qt import (
    QApplication,
    QLineEdit,
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
    widget = QApplication.focusWidget()
    assert widget is not None, "no widget has the focus"
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
        """Queue the answer to the next modal dialog: typed into its focused field, then
        ``then`` (Enter accepts a one-line dialog; a multi-line one tabs to OK first)."""
        keys = list(then)

        def answer() -> None:
            dialog = QApplication.activeModalWidget()
            edit = QApplication.focusWidget()
            if dialog is not None and QApplication.activeWindow() is not dialog:
                dialog.activateWindow()  # the window manager's part: a new dialog is active
            if (
                dialog is None
                or not isinstance(edit, (QLineEdit, QPlainTextEdit))
                or not dialog.isAncestorOf(edit)
            ):
                QTimer.singleShot(10, answer)
                return
            if isinstance(edit, QPlainTextEdit):
                edit.setTabChangesFocus(True)  # as a form's text box: Tab leaves it
            self.type(text)
            for key in keys:
                self.press(key)

        QTimer.singleShot(0, answer)

    def read_next_box(self, said: list[str]) -> None:
        """Queue the reading of the next message box to open: its text into ``said``, then
        Enter (its one button) closes it."""
        before = set(map(id, _boxes()))

        def read() -> None:
            new = [b for b in _boxes() if id(b) not in before]
            if not new:
                QTimer.singleShot(10, read)
                return
            said.append(new[0].text())
            self.qtbot.keyClick(new[0], Qt.Key.Key_Return)  # type: ignore[attr-defined]

        QTimer.singleShot(0, read)

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
