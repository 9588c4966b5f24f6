"""Work off the GUI thread, with progress and cancel (after Anki's QueryOp and taskman).

Two single-thread pools: ``quick`` for short reads (the election, a recap) keeps one
Workspace open on its one thread, so the election package is parsed once; ``long`` runs the
slow jobs (verify the whole store, rebuild, import) each with a Workspace of its own. An sqlite
connection belongs to the thread that opened it, so no connection ever crosses threads: only
plain Python results do, through queued signals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from recap_desktop.services import Workspace
from recap_desktop.ui.qt import QObject, QRunnable, QThreadPool, QTimer, Signal

# Longer than this and a job shows in the status bar, with its progress (a blink: ~150 ms).
SHOW_PROGRESS_AFTER_MS = 150

# Keyed by the OS thread, not in a threading.local: a pool thread is Qt's, and Python may
# give it a fresh thread state for each job it runs, so a threading.local came back empty
# now and then and a job opened (and leaked) a Workspace of its own, on another connection.
_held: dict[tuple[int, Path], Workspace] = {}
_held_lock = threading.Lock()


def _thread_workspace(data_dir: Path) -> Workspace:
    """The quick pool's one thread keeps its Workspace (and parsed election) between tasks."""
    key = (threading.get_ident(), data_dir)
    with _held_lock:
        if key not in _held:
            _held[key] = Workspace(data_dir)
        return _held[key]


def close_thread_workspaces() -> None:
    """Close the calling thread's Workspaces (run on that thread: a connection is its own)."""
    me = threading.get_ident()
    with _held_lock:
        mine = [k for k in _held if k[0] == me]
        closing = [_held.pop(k) for k in mine]
    for ws in closing:
        ws.close()


class TaskHandle(QObject):
    """The GUI thread's view of one background job: its signals and its cancel switch."""

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)
    ended = Signal()

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label
        self._cancel = threading.Event()
        self.running = True

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def progress(self, done: int, total: int) -> bool:
        """Called from the worker: report progress; False once the user asked to cancel."""
        self.progressed.emit(done, total)
        return not self._cancel.is_set()


Work = Callable[[Workspace, TaskHandle], Any]


class _Runnable(QRunnable):
    def __init__(self, work: Work, data_dir: Path, handle: TaskHandle, keep: bool) -> None:
        super().__init__()
        self.work, self.data_dir, self.handle, self.keep = work, data_dir, handle, keep

    def run(self) -> None:
        ws = _thread_workspace(self.data_dir) if self.keep else Workspace(self.data_dir)
        handle, self.handle = self.handle, None  # type: ignore[assignment]
        try:
            result = self.work(ws, handle)
        except Exception as exc:  # every failure goes back to the window, which shows it
            handle.failed.emit(exc)
        else:
            handle.succeeded.emit(result)
        finally:
            if not self.keep:
                ws.close()
            handle.ended.emit()
            # The window may have let go of the handle already (its ``ended`` arrived): the
            # last reference must not die here. A QObject deleted on a thread other than its
            # own while that thread delivers its queued signals crashes the program (a rare
            # segfault seen in the window's tests), so it goes back to the GUI thread to die.
            with _released_lock:
                _released.append(handle)
            del handle


# Handles whose worker is done with them, dropped on the GUI thread (``_bury``).
_released: list[TaskHandle] = []
_released_lock = threading.Lock()


def _bury() -> None:
    """Drop, on the calling (GUI) thread, the handles workers have finished with."""
    with _released_lock:
        dead = _released[:]
        _released.clear()
    del dead


class TaskRunner(QObject):
    """Starts jobs and tells the status bar which one runs, so it can show progress and cancel."""

    started = Signal(object)  # TaskHandle

    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.quick = QThreadPool()
        self.quick.setMaxThreadCount(1)
        self.quick.setExpiryTimeout(-1)  # keep the thread, and with it its Workspace
        self.long = QThreadPool()
        self.long.setMaxThreadCount(1)
        self.handles: list[TaskHandle] = []

    def run(
        self,
        label: str,
        work: Work,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        *,
        slow: bool = False,
        prepare: Callable[[TaskHandle], None] | None = None,
        show_after_ms: int | None = None,
    ) -> TaskHandle:
        """Start ``work`` on a worker thread.

        Every connection is made before the work starts: a signal emitted by a fast worker
        before its receiver is connected would be lost. ``prepare`` makes the caller's own.
        """
        handle = TaskHandle(label)
        if on_success is not None:
            handle.succeeded.connect(on_success)
        if on_failure is not None:
            handle.failed.connect(on_failure)
        handle.ended.connect(lambda: self._ended(handle))
        if prepare is not None:
            prepare(handle)
        self.handles.append(handle)
        if slow:
            self.started.emit(handle)
        elif show_after_ms is not None:
            # A quick job shows its progress only if it outlasts a blink (a save waiting
            # behind a sync commit, a key unlock): no flicker for the usual few milliseconds.
            QTimer.singleShot(show_after_ms, self, lambda: self._show_if_running(handle))
        pool = self.long if slow else self.quick
        pool.start(_Runnable(work, self.data_dir, handle, keep=not slow))
        return handle

    def _show_if_running(self, handle: TaskHandle) -> None:
        if handle.running:
            self.started.emit(handle)

    def _ended(self, handle: TaskHandle) -> None:
        handle.running = False
        if handle in self.handles:
            self.handles.remove(handle)
        # The ones released before this: their ``ended`` was delivered (this one's worker
        # may still be on its way out; it goes at the next end).
        QTimer.singleShot(0, _bury)

    def shutdown(self) -> None:
        """Cancel what runs, wait for it, and close the quick thread's Workspace."""
        for handle in list(self.handles):
            handle.cancel()
        self.long.waitForDone()
        self.quick.start(_Closer())
        self.quick.waitForDone()


class _Closer(QRunnable):
    def run(self) -> None:
        close_thread_workspaces()
