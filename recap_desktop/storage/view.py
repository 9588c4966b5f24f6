"""The store as the admission rule sees it (``protocol.admit.HeldView``): what is held, where
each signer's chain ends, what a record refers to. Every door of a laptop (a save, a pull, a
bundle) hands this to ``admit``; the rule itself never reads a table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recap_desktop.crypto.envelope import Record
from recap_desktop.protocol.admit import Head, Ref
from recap_desktop.protocol.records import RECAP_TYPES, place_of
from recap_desktop.storage.connection import Connection
from recap_desktop.storage.errors import TamperedStore
from recap_desktop.storage.integrity import Integrity
from recap_desktop.storage.records import Records


class HeldRecords:
    def __init__(self, connection: Connection, records: Records, integrity: Integrity) -> None:
        self._db = connection.db
        self._records = records
        self._integrity = integrity

    def held(self, hashes: Sequence[str]) -> set[str]:
        return self._records.held(hashes)

    def ref(self, hash_: str) -> Ref | None:
        row = self._db.execute(
            "SELECT 'sheet', station, contest FROM sheets WHERE hash = ?"
            " UNION ALL SELECT 'review', station, contest FROM reviews WHERE hash = ?"
            " UNION ALL SELECT type, NULL, NULL FROM records WHERE hash = ?"
            " AND type NOT IN ('sheet', 'review') LIMIT 1",
            [hash_, hash_, hash_],
        ).fetchone()
        if row is None:
            return None
        if row[0] in RECAP_TYPES or row[0] == "requirement":
            # Read from the record itself: a planted row has no projection to name it by.
            p = self.payload(hash_) or {}
            return (str(row[0]), place_of(str(row[0]), p), p.get("contest"))
        return (str(row[0]), row[1], row[2])

    def chain_head(self, signer: str) -> Head | None:
        """The signer's last record, checked like the next save checks it (a damaged or
        deleted head raises ``TamperedStore``), with its claimed time."""
        record = self._integrity.head_record(signer)
        if record is None:
            return None
        return (int(record.payload["seq"]), record.hash, str(record.payload.get("time")))

    def hash_at(self, signer: str, seq: int) -> str | None:
        row = self._db.execute(
            "SELECT hash FROM records WHERE signer = ? AND seq = ?", [signer, seq]
        ).fetchone()
        return None if row is None else str(row[0])

    def signer(self, hash_: str) -> str | None:
        row = self._db.execute("SELECT signer FROM records WHERE hash = ?", [hash_]).fetchone()
        return None if row is None else str(row[0])

    def record(self, hash_: str) -> Record | None:
        return self._records.get(hash_)

    def payload(self, hash_: str) -> dict[str, Any] | None:
        """A held record's payload, read back like any record (a damaged row: None, so what
        names it is reported as naming nothing held)."""
        try:
            record = self._records.get(hash_)
        except TamperedStore:
            return None
        return None if record is None else record.payload
