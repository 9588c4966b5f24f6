"""The local SQLite store (sqlite-utils). The only package that writes SQL on the desktop."""

from recap_desktop.storage.errors import StorageError, TamperedStore
from recap_desktop.storage.store import Store

__all__ = ["StorageError", "Store", "TamperedStore"]
