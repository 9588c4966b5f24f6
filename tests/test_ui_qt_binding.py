"""The Qt binding must not eat references to None: PySide6 6.12.0 does, once per event.

On Python 3.11 None is an ordinary object; a binding that decrements its count on every
event or slot call crashes the window ("deallocating None") after a few thousand events,
seconds of typing. pyproject.toml keeps PySide6 below 6.12 for this; this test fails if an
upgrade brings the bug back.
"""

from __future__ import annotations

import sys

from recap_desktop.ui.qt import QLabel, QTimer


def test_events_and_slots_keep_none_alive(qapp, qtbot) -> None:
    label = QLabel("0")
    qtbot.addWidget(label)
    label.show()
    ticks: list[int] = []

    def tick() -> None:
        ticks.append(1)
        label.setText(str(len(ticks)))

    timer = QTimer()
    timer.timeout.connect(tick)
    for _ in range(5):
        qapp.processEvents()
    before = sys.getrefcount(None)
    timer.start(0)
    qtbot.waitUntil(lambda: len(ticks) >= 500)
    timer.stop()
    for _ in range(500):
        qapp.processEvents()
        label.repaint()
    assert sys.getrefcount(None) >= before - 50, "the Qt binding leaks references to None"
