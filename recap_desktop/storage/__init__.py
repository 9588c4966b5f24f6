"""The local SQLite store (sqlite-utils). The only package that writes SQL on the desktop."""

from recap_desktop.storage.store import StorageError, Store, TamperedStore

__all__ = ["StorageError", "Store", "TamperedStore"]
