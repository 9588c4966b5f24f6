"""The one way records enter the store, whatever the door: a save, an import, a pull.

Each append writes the new records and their projections in one write transaction, so a crash
leaves all of it or none; a record held already is skipped, and a different record in the
same place of a chain (a fork) is refused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from recap_desktop.crypto.envelope import CHAINED_TYPES, Record
from recap_desktop.storage.connection import Connection
from recap_desktop.storage.errors import StorageError, reason_of
from recap_desktop.storage.projections import Projections
from recap_desktop.storage.records import Records, timestamp


class Appender:
    """Appends records not yet held to the records table and projects them."""

    def __init__(self, connection: Connection, records: Records, projections: Projections) -> None:
        self._connection = connection
        self._db = connection.db
        self._records = records
        self._projections = projections

    def append(self, records: Sequence[Record], origin: str) -> list[bool]:
        """Append records not yet held and project them; True for each one that was new.

        All or none. Sheets and reviews are written in batches (records, heads, sheets,
        reviews, then each touched station and contest restated once): the same rows, in the
        same order, as appending them one at a time.
        """
        added: list[bool] = []
        received = timestamp()
        try:
            with self._connection.write():
                held = self._records.held([r.hash for r in records])
                chained: list[Record] = []
                for record in records:
                    if record.hash in held:
                        added.append(False)
                        continue
                    held.add(record.hash)
                    added.append(True)
                    if record.type in CHAINED_TYPES:
                        chained.append(record)
                        continue
                    # Packages, certificates and revocations, one at a time and in their place.
                    self._append_chained(chained, received, origin)
                    chained = []
                    self._insert([record], received, origin)
                    self._projections.project(record)
                self._append_chained(chained, received, origin)
        except sqlite3.IntegrityError as exc:
            raise StorageError(
                f"the store refused the records ({exc}); a record with the same signer and "
                "sequence number but different contents is held already"
            ) from exc
        except sqlite3.OperationalError as exc:
            raise StorageError(
                f"could not write to the store: {exc}", reason=reason_of(exc)
            ) from exc
        return added

    def _insert(self, records: Sequence[Record], received: str, origin: str) -> None:
        # A plain INSERT: a different record in the same (signer, seq) place is a fork and
        # must fail loudly, never be dropped as if already held.
        self._db.conn.executemany(
            "INSERT INTO records (hash, type, signer, seq, payload, sig, received, origin)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.hash,
                    r.type,
                    r.signer,
                    r.seq if r.type in CHAINED_TYPES else None,
                    r.canonical.decode("utf-8"),
                    r.sig,
                    received,
                    origin,
                )
                for r in records
            ],
        )

    def _append_chained(self, records: Sequence[Record], received: str, origin: str) -> None:
        """Insert and project new sheets and reviews in bulk (what ``project`` does for each)."""
        if not records:
            return
        self._insert(records, received, origin)
        self._projections.project_chained(records)
