"""Answering a modal dialog with the keyboard, as an officer does.

A modal dialog runs its own event loop (``exec``), so a test cannot type into it after the
call that opens it returns. A timer polls for the dialog, then sends key events to whatever
widget has the focus in it: no widget calls, only what a keyboard would do.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QListWidget

_alive: list[QTimer] = []  # the timers, kept until the process ends


def answer_modal(object_name: str, typed: str, key: Qt.Key = Qt.Key.Key_Return) -> list[str]:
    """When the modal dialog named ``object_name`` opens, type ``typed`` into its focused
    widget and press ``key``. Returns a list that gets the texts the dialog showed (its
    labels and list items) just before it was answered."""
    shown: list[str] = []
    timer = QTimer()
    timer.setInterval(20)

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        widget = QApplication.focusWidget()
        if dialog is None or dialog.objectName() != object_name or widget is None:
            return
        if not dialog.isAncestorOf(widget):
            return
        timer.stop()
        shown.extend(label.text() for label in dialog.findChildren(QLabel))
        for items in dialog.findChildren(QListWidget):
            shown.extend(items.item(i).text() for i in range(items.count()))
        QTest.keyClicks(widget, typed)
        QTest.keyClick(widget, key)

    timer.timeout.connect(poll)
    timer.start()
    _alive.append(timer)
    return shown
