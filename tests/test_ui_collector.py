"""Qt objects caught in cycles die on the GUI thread, never on a worker's (ui/collector.py)."""

from __future__ import annotations

import gc
import threading

from recap_desktop.ui.collector import GuiThreadCollector


class _Cycle:
    """Stands for a Qt object in a reference cycle; says on which thread it died."""

    def __init__(self, died_on: list[int]) -> None:
        self.me = self
        self.died_on = died_on

    def __del__(self) -> None:
        self.died_on.append(threading.get_ident())


def _drop_a_cycle_and_allocate(died_on: list[int], kept: list[object]) -> None:
    cycle = _Cycle(died_on)
    del cycle
    kept.append([[] for _ in range(50_000)])  # far past the point where Python would collect


def test_a_cycle_dropped_on_a_worker_thread_dies_on_the_gui_thread(qtbot) -> None:
    died_on: list[int] = []
    kept: list[object] = []
    worker = threading.Thread(target=_drop_a_cycle_and_allocate, args=(died_on, kept))
    worker.start()
    worker.join()
    assert died_on == [], "collected on the worker's thread"
    qtbot.waitUntil(lambda: bool(died_on), timeout=5000)
    assert died_on == [threading.get_ident()]


def test_stopping_gives_collecting_back_to_python(qapp) -> None:
    was = gc.isenabled()  # off: the fixture's collector runs for this test (conftest)
    gc.enable()  # as in a program without one
    try:
        collector = GuiThreadCollector()
        assert not gc.isenabled()
        collector.stop()
        assert gc.isenabled()
    finally:
        if not was:
            gc.disable()


def test_what_was_frozen_at_opening_is_still_collected_on_the_gui_thread_at_the_stop(
    qapp,
) -> None:
    """The election read at opening is left out of the ticks' collections (``freeze``): a
    cycle among it that dies later is not lost, the stop collects it, on this thread."""
    died_on: list[int] = []
    collector = GuiThreadCollector()
    try:
        cycle = _Cycle(died_on)
        collector.freeze()
        del cycle
        collector.check()
        gc.collect()  # not even a full collection walks what was frozen
        assert died_on == []
    finally:
        collector.stop()
    assert died_on == [threading.get_ident()]
