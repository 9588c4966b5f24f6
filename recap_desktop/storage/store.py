"""The local store: one SQLite file, append-only records, projections rebuilt from them.

``Store`` opens the file and hands out its parts, one job each, as Anki's ``Collection``
hands out ``col.decks`` and ``col.models``:

- ``records``: the records table read back, parsed like untrusted input (records.py)
- ``keys``: keys known outside certificates; certificates and revocations (keys.py)
- ``integrity``: what the file says of itself beyond signatures: chains, gaps (integrity.py)
- ``projections``: the tables derived from the records, and their rebuild (projections.py)
- ``package``: the newest election package, parsed once, or only its outline (package.py)
- ``places``: regions and polling stations, for the window's tree and search (places.py)
- ``sheets``: sheet versions, reviews, states and region totals (sheets.py)
- ``outbox``: what sync sent, on which receipt, and its cursors (outbox.py)
- ``evidence``: fork evidence and the server's log positions: proof kept beside the records
  (evidence.py)
- ``view``: what is held, as the admission rule asks it (view.py)
- ``trust``: the trust this folder holds, rebuilt only when it changes (trust.py)
- ``witness``: the server's tree heads verified, partitions checked, evidence of its
  misbehaviour (witness.py)
- ``recaps``: D.Hasil versions, objections and rulings, with their standing (recaps.py)
- ``photos``: images of the paper kept by hash beside the store (photos.py)

``append`` stays here: it is the one way records enter, whatever the door (appender.py).
Every part shares the store's one connection and its write transaction (connection.py): a
``Store`` belongs to the thread that opened it (sqlite3's rule), and the window opens one per
worker thread. Every write is one transaction, so a crash leaves either all of a save or
none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from recap_desktop.crypto.envelope import Record
from recap_desktop.storage.appender import Appender
from recap_desktop.storage.connection import Connection
from recap_desktop.storage.evidence import Evidence
from recap_desktop.storage.integrity import Integrity
from recap_desktop.storage.keys import Keys
from recap_desktop.storage.outbox import Outbox
from recap_desktop.storage.package import CurrentPackage
from recap_desktop.storage.photos import PhotoFiles
from recap_desktop.storage.places import Places
from recap_desktop.storage.projections import Projections
from recap_desktop.storage.recaps import Recaps
from recap_desktop.storage.records import Records
from recap_desktop.storage.sheets import Sheets
from recap_desktop.storage.trust import TrustHeld
from recap_desktop.storage.view import HeldRecords
from recap_desktop.storage.witness import Witness

DB_NAME = "recap.db"


class Store:
    """An open store file and its parts, all on one connection (see the module's docstring)."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self._connection = Connection(path, readonly=readonly)
        self.path = self._connection.path
        self.db = self._connection.db
        self.records = Records(self._connection)
        self.keys = Keys(self._connection)
        self.integrity = Integrity(self._connection)
        self.projections = Projections(self._connection, self.records, self.integrity)
        self._appender = Appender(self._connection, self.records, self.projections)
        self.package = CurrentPackage(self._connection, self.records)
        self.places = Places(self._connection)
        self.sheets = Sheets(self._connection, self.package)
        self.evidence = Evidence(self._connection)
        self.outbox = Outbox(self._connection, self._appender, self.evidence)
        self.view = HeldRecords(self._connection, self.records, self.integrity)
        self.trust = TrustHeld(self._connection, self.keys, self.evidence)
        self.witness = Witness(self._connection)
        self.recaps = Recaps(self._connection)
        self.photos = PhotoFiles(self._connection)

    @classmethod
    def in_dir(cls, data_dir: Path, *, readonly: bool = False) -> Store:
        return cls(Path(data_dir) / DB_NAME, readonly=readonly)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write(self) -> AbstractContextManager[None]:
        """One write transaction around the writes of several parts (each of them then a
        savepoint of it): what must be kept together or not at all."""
        return self._connection.write()

    def append(self, records: Sequence[Record], origin: str) -> list[bool]:
        """Append records not yet held and project them; True for each one that was new.

        All or none, in one write transaction (``Appender.append``)."""
        return self._appender.append(records, origin)
