"""Runs the sync engine on a worker thread and reports its status to the window.

The window never waits on the network (DESIGN, promise 3): every request happens on this
worker's QThread, which owns its own store connection (sqlite3 objects belong to one thread);
the GUI thread only receives ``status_changed`` (queued across threads by Qt) and calls
``sync_now`` and ``stop``, which never block on the network.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from recap_desktop.services import Workspace
from recap_desktop.services import sync as sync_service
from recap_desktop.sync.backoff import Backoff
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
    (timeout, connection, server, bad_answer, protocol, server_key_changed, wrong_server,
    no_server).
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
        self._poke_pending = False
        self._thread: _EngineThread | None = None
        self.last_status: Status | None = None

    def start(self) -> None:
        """Start syncing in the background: at once, then every ``interval`` seconds."""
        if self._thread is not None:
            return
        self._thread = _EngineThread(self)
        self._thread.start()

    def sync_now(self) -> None:
        """ "Sync now", or a sheet was just saved: end the current wait without blocking."""
        with self._lock:
            if self._engine is None:
                self._poke_pending = True
            else:
                self._engine.poke()

    def stop(self) -> None:
        """Cancel and wait for the thread; a request in flight ends within its timeout."""
        with self._lock:
            self._stopping = True
            if self._engine is not None:
                self._engine.cancel()
        if self._thread is not None:
            self._thread.wait()
            self._thread = None

    # -- on the worker thread ---------------------------------------------------------------

    def _emit(self, status: Status) -> None:
        self.last_status = status
        self.status_changed.emit(status)

    def _run_engine(self) -> None:
        self.engine_thread_id = threading.get_ident()
        ws = Workspace(self.data_dir)
        try:
            store = ws.store
            self._emit(sync_service.local_status(store))
            try:
                engine = sync_service.make_engine(
                    store,
                    self.server_url,
                    connect_timeout=self.connect_timeout,
                    read_timeout=self.read_timeout,
                    attempts=self.attempts,
                    backoff=self.backoff,
                    on_status=self._emit,
                )
            except sync_service.RecapError as exc:
                status = sync_service.local_status(store)
                self._emit(
                    Status(
                        status.state,
                        None,
                        status.unsent,
                        status.last_sync,
                        exc.message(),
                        "no_server",
                    )
                )
                return
            with self._lock:
                if self._stopping:
                    return
                self._engine = engine
                if self._poke_pending:
                    engine.poke()
            try:
                engine.run(self.interval)
            finally:
                engine.client.close()
        finally:
            with self._lock:
                self._engine = None
            ws.close()
