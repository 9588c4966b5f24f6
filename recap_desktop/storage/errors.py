"""The store's typed errors, shared by every component: the CLI and the window catch these."""

from __future__ import annotations

import sqlite3


class StorageError(Exception):
    """The store cannot be opened or written (locked, read-only, full, newer schema).

    ``reason`` is "full", "readonly", "io" or None; ``store.<reason>`` names its message in
    the catalogue (recap_desktop.messages), for the CLI and the window alike.
    """

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


# SQLite's primary result codes that a person can act on.
_REASONS = {13: "full", 8: "readonly", 10: "io"}


def reason_of(exc: sqlite3.Error) -> str | None:
    """The ``reason`` of a StorageError for an SQLite error, if a person can act on it."""
    code = getattr(exc, "sqlite_errorcode", None)
    return _REASONS.get(code & 0xFF) if isinstance(code, int) else None


class TamperedStore(StorageError):
    """A row read back is not what this program wrote: someone edited the file."""
