"""Python's cycle collector, run on the GUI thread only (as pyqtgraph's and GitFourchette's are).

Python runs its cycle collector on whichever thread happens to allocate when a generation
fills up: a task runner's worker, the sync worker, a test's server thread. A Qt object caught
in a reference cycle (a job's handle whose ``ended`` slot is a lambda over itself, a window
whose slots close over the window) is then destroyed on that thread, and Qt crashes when a
QObject dies off its own thread while the GUI thread delivers its queued signals: the rare
segfault CI met in the window's bundle test. Python offers no per-thread collector, so the
automatic one is switched off and this timer, on the GUI thread, collects when Python would
have (the same thresholds).
"""

from __future__ import annotations

import gc
import time

from recap_desktop.ui.qt import QObject, QTimer

INTERVAL_MS = 500
# A full collection walks every object (a parsed national election is millions of them: a
# second of stalled window), and Python's own collector runs one only when a quarter of the
# old objects are new, which it does not tell. At most one every five minutes instead.
FULL_EVERY_S = 300.0


class GuiThreadCollector(QObject):
    """While it runs, cycles are collected on the thread that made it (the GUI thread)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._threshold = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._full_at = time.monotonic()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations Python's own collector would have collected by now."""
        counts = gc.get_count()
        generation = -1
        for level in range(3):
            if counts[level] > self._threshold[level]:
                generation = level
            else:
                break
        if generation == 2:
            if time.monotonic() - self._full_at < FULL_EVERY_S:
                generation = 1
            else:
                self._full_at = time.monotonic()
        if generation >= 0:
            gc.collect(generation)

    def freeze(self) -> None:
        """Leave what is alive now out of every later collection (``gc.freeze``).

        Called once the window has opened its store: the election just read is hundreds of
        thousands of objects that live as long as the window, and walking them again at the
        next ticks' collections stalled the window's first second (~20-90 ms a walk on
        20,000 records). A cycle among them that dies later waits for ``stop``."""
        gc.freeze()

    def stop(self) -> None:
        """Collect everything now, on this thread, and give collecting back to Python."""
        self._timer.stop()
        gc.unfreeze()
        gc.collect()
        if self._was_enabled:
            gc.enable()
