"""The sync state the status bar shows, as a small object the sync engine feeds.

The engine (another module) calls ``update_sync_status`` from any thread; the status bar
listens to ``changed``. Until the engine calls it once, the state says honestly that sync is
not configured.
"""

from __future__ import annotations

from dataclasses import dataclass

from recap_desktop.ui.qt import QObject, Signal


@dataclass(frozen=True)
class SyncState:
    configured: bool = False
    online: bool | None = None  # None: not known yet
    unsent: int = 0
    last_sync: str | None = None  # UTC time like 2026-02-14T10:00:00Z
    last_error: str | None = None
    clock_offset: int | None = None  # seconds off the server's clock, when over tolerance
    error_kind: str | None = None  # the engine's kind of failure (server_misbehaved, ...)


class SyncStatus(QObject):
    changed = Signal(object)  # SyncState

    def __init__(self) -> None:
        super().__init__()
        self.state = SyncState()

    def update_sync_status(
        self,
        online: bool | None,
        unsent: int,
        last_sync: str | None,
        last_error: str | None,
        clock_offset: int | None = None,
        error_kind: str | None = None,
    ) -> None:
        """Record the engine's latest state; safe from a worker thread (the signal is queued)."""
        self.state = SyncState(
            True, online, unsent, last_sync, last_error, clock_offset, error_kind
        )
        self.changed.emit(self.state)

    def show_engine_status(self, status: object) -> None:
        """Slot for the sync worker's ``status_changed``: any object with the engine Status's
        fields (online, unsent, last_sync, last_error, clock_offset), so this module needs no
        sync import.
        """
        if getattr(status, "error_kind", None) == "no_server":
            self.state = SyncState()  # no server set: nothing to sync with, say so
            self.changed.emit(self.state)
            return
        self.update_sync_status(
            getattr(status, "online", None),
            int(getattr(status, "unsent", 0) or 0),
            getattr(status, "last_sync", None),
            getattr(status, "last_error", None),
            getattr(status, "clock_offset", None),
            getattr(status, "error_kind", None),
        )
