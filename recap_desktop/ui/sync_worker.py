"""Runs the sync engine on a worker thread and reports its status to the window.

The window never waits on the network (DESIGN, promise 3): every request happens on this
worker's QThread, which owns its own store connection (sqlite3 objects belong to one thread);
the GUI thread only receives ``status_changed`` (queued across threads by Qt) and calls
``sync_now`` and ``stop``, which never block on the network.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from recap_desktop.services import RecapError, Workspace
from recap_desktop.sync.backoff import Backoff
from recap_desktop.ui.qt import QObject, QThread, Signal

if TYPE_CHECKING:  # the worker reads the store only through services
    from recap_desktop.sync.engine import Status, SyncEngine


class _EngineThread(QThread):
    def __init__(self, worker: SyncWorker) -> None:
        super().__init__()
        self.worker = worker

    def run(self) -> None:
        self.worker._run_engine()


class SyncWorker(QObject):
    """Background sync for one data folder.

    ``status_changed(Status)``: state (idle, pushing, pulling, backing_off, offline), online
    (None before the first try), unsent, last_sync (UTC, ISO 8601), last_error, error_kind
    (timeout, too_slow, connection, server, bad_answer, too_large, protocol, redirect,
    server_key_changed, wrong_server, no_server, error).

    Use: ``worker = SyncWorker(data_dir)``; ``worker.status_changed.connect(bar.show_status)``;
    ``worker.start()``; ``worker.sync_now()`` from a button or after a save;
    ``worker.stop()`` when the window closes.
    """

    status_changed = Signal(object)

    def __init__(
        self,
        data_dir: Path,
        server_url: str | None = None,
        *,
        interval: float = 30.0,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        attempts: int = 2,
        backoff: Backoff | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.server_url = server_url
        self.interval = interval
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.attempts = attempts
        self.backoff = backoff or Backoff(base=2.0, cap=300.0)
        self.engine_thread_id: int | None = None  # the thread the network calls run on
        self._engine: SyncEngine | None = None
        self._lock = threading.Lock()
        self._stopping = False
        self._wake = threading.Event()  # "Sync now" or stop while no engine is running
        self._thread: _EngineThread | None = None
        self.last_status: Status | None = None

    def start(self) -> None:
        """Start syncing in the background: at once, then every ``interval`` seconds."""
        if self._thread is not None:
            return
        self._stopping = False
        self._wake.clear()
        self._thread = _EngineThread(self)
        self._thread.start()

    def sync_now(self) -> None:
        """ "Sync now", a sheet just saved, or the server URL just set: never blocks."""
        with self._lock:
            if self._engine is None:
                self._wake.set()
            else:
                self._engine.poke()

    def stop(self) -> None:
        """Cancel and wait for the thread: a request in flight is cut, so this is quick."""
        with self._lock:
            self._stopping = True
            self._wake.set()
            if self._engine is not None:
                self._engine.cancel()
        if self._thread is not None:
            self._thread.wait()
            self._thread = None

    # -- on the worker thread ---------------------------------------------------------------

    def _emit(self, status: Status) -> None:
        self.last_status = status
        self.status_changed.emit(status)

    def _emit_error(self, ws: Workspace, message: str, kind: str) -> None:
        from recap_desktop.services import sync as sync_service
        from recap_desktop.sync.engine import Status

        try:
            base: Status | None = sync_service.local_status(ws)
        except Exception:  # a store that does not open, or is damaged: the message says
            base = None  # why, and the worker must live on to say it
        self._emit(
            Status(
                "offline" if kind != "no_server" else "idle",
                None if kind == "no_server" else False,
                base.unsent if base else 0,
                base.last_sync if base else None,
                message,
                kind,
            )
        )

    def _idle_until_woken(self, seconds: float | None) -> bool:
        """Wait for "Sync now", ``stop`` or ``seconds``; True when stopping."""
        self._wake.wait(seconds)
        self._wake.clear()
        return self._stopping

    def _run_engine(self) -> None:
        self.engine_thread_id = threading.get_ident()
        # Imported here, on the worker thread: the HTTP stack (requests, urllib3) is a good
        # part of the window's start-up, and nothing before the first paint needs it.
        from recap_desktop.services import sync as sync_service

        ws = Workspace(self.data_dir)
        try:
            while not self._stopping:
                try:
                    self._emit(sync_service.local_status(ws))
                    engine = sync_service.make_engine(
                        ws,
                        self.server_url,
                        connect_timeout=self.connect_timeout,
                        read_timeout=self.read_timeout,
                        attempts=self.attempts,
                        backoff=self.backoff,
                        on_status=self._emit,
                    )
                except RecapError as exc:
                    # No server set yet (or the store cannot open): wait for "Sync now".
                    kind = "no_server" if exc.key == "sync.no_server" else "error"
                    self._emit_error(ws, exc.message(), kind)
                    if self._idle_until_woken(None if kind == "no_server" else self.interval):
                        return
                    continue
                with self._lock:
                    if self._stopping:
                        engine.client.close()
                        return
                    self._engine = engine
                    if self._wake.is_set():
                        self._wake.clear()
                        engine.poke()
                try:
                    engine.run(self.interval)
                    return  # run returns only when cancelled
                except Exception as exc:  # a damaged store, a bug: say so, keep the window alive
                    self._emit_error(ws, str(exc), "error")
                finally:
                    engine.client.close()
                    with self._lock:
                        self._engine = None
                if self._idle_until_woken(self.backoff.next_delay()):
                    return
        finally:
            ws.close()
