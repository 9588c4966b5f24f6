"""The local store: one SQLite file, append-only records, projections rebuilt from them.

A ``Store`` belongs to the thread that opened it (sqlite3's rule); the window opens one per
worker thread. Every write is one transaction, so a crash leaves either all of a save or
none of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from recap_desktop.crypto.envelope import Record
from recap_desktop.storage.appender import Appender
from recap_desktop.storage.connection import Connection
from recap_desktop.storage.errors import TamperedStore
from recap_desktop.storage.integrity import Integrity
from recap_desktop.storage.keys import Keys
from recap_desktop.storage.package import CurrentPackage
from recap_desktop.storage.places import Places
from recap_desktop.storage.projections import Projections
from recap_desktop.storage.records import Records, parse_row, timestamp
from recap_desktop.storage.sheets import Sheets

DB_NAME = "recap.db"


class Store:
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

    @classmethod
    def in_dir(cls, data_dir: Path, *, readonly: bool = False) -> Store:
        return cls(Path(data_dir) / DB_NAME, readonly=readonly)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(self, records: Sequence[Record], origin: str) -> list[bool]:
        """Append records not yet held and project them; True for each one that was new.

        All or none, in one write transaction (``Appender.append``)."""
        return self._appender.append(records, origin)

    # -- reading --------------------------------------------------------------------------

    # -- sync -----------------------------------------------------------------------------
    # The outbox is every record without a sent mark; marks come only from verified receipts
    # (or from a pull: the server holds what it sends). Used by recap_desktop.sync.

    def sync_unsent(
        self, after: int, limit: int, max_bytes: int, authority: bool | None = None
    ) -> list[tuple[int, Record]]:
        """Unsent records after row ``after``, oldest first (so chains go up in order).

        ``authority`` True: only packages, certificates and revocations (sent first, so that a
        certificate imported after its officer's sheets still reaches the server before them);
        False: only the others. Bounded by count and by bytes; at least one record.
        """
        kinds = "'election', 'certificate', 'revocations'"
        where = {
            None: "",
            True: f" AND r.type IN ({kinds})",
            False: f" AND r.type NOT IN ({kinds})",
        }
        out: list[tuple[int, Record]] = []
        size = 0
        for row_id, hash_, signer, payload, sig, type_, seq in self.db.execute(
            "SELECT r.id, r.hash, r.signer, r.payload, r.sig, r.type, r.seq FROM records r"
            " LEFT JOIN sync_sent s ON s.hash = r.hash WHERE s.hash IS NULL AND r.id > ?"
            f"{where[authority]} ORDER BY r.id LIMIT ?",
            [after, limit],
        ):
            parsed = parse_row(row_id, hash_, signer, payload, sig, type_, seq)
            if parsed.record is None:
                raise TamperedStore(f"record {hash_[:16]}… in the store is damaged: {parsed.error}")
            size += len(payload) + 300  # the envelope around the payload
            if out and size > max_bytes:
                break
            out.append((int(row_id), parsed.record))
        return out

    def sync_is_held(self, hash_: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM records WHERE hash = ?", [hash_]).fetchone() is not None
        )

    def sync_held(self, hashes: Sequence[str]) -> set[str]:
        """Which of ``hashes`` the store holds (a pulled page's, in one query or a few)."""
        return self.records.held(hashes)

    def sync_authority_records(self) -> list[Record]:
        """Packages, certificates and revocations held: what incoming records verify against."""
        out = []
        for row in self.records.rows(types=("election", "certificate", "revocations")):
            if row.record is None:
                raise TamperedStore(f"record {row.hash[:16]}… in the store is damaged: {row.error}")
            out.append(row.record)
        return out

    def sync_unsent_count(self) -> int:
        return int(
            self.db.execute(
                "SELECT COUNT(*) FROM records r LEFT JOIN sync_sent s ON s.hash = r.hash"
                " WHERE s.hash IS NULL"
            ).fetchone()[0]
        )

    def sync_mark_sent(self, hashes: Iterable[str], receipt: Record) -> None:
        """Keep the receipt and mark what it covers as sent, in one transaction."""
        now = timestamp()
        with self._connection.write():
            self.db.execute(
                "INSERT OR IGNORE INTO sync_receipts (hash, server, payload, sig, received)"
                " VALUES (?, ?, ?, ?, ?)",
                [receipt.hash, receipt.signer, receipt.canonical.decode("utf-8"), receipt.sig, now],
            )
            for hash_ in hashes:
                self.db.execute(
                    "INSERT OR IGNORE INTO sync_sent (hash, receipt, sent) VALUES (?, ?, ?)",
                    [hash_, receipt.hash, now],
                )
                self.db.execute("DELETE FROM sync_refused WHERE hash = ?", [hash_])

    def sync_note_refused(self, refused: Iterable[tuple[str, str, str]]) -> None:
        """Remember the server's last refusal of each record (hash, reason, detail)."""
        now = timestamp()
        with self._connection.write():
            for hash_, reason, detail in refused:
                self.db.execute(
                    "INSERT OR REPLACE INTO sync_refused (hash, reason, detail, time)"
                    " VALUES (?, ?, ?, ?)",
                    [hash_, reason, detail, now],
                )

    def sync_refused(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT hash, reason, detail, time FROM sync_refused"))

    def sync_receipts(self) -> list[Record]:
        out = []
        for hash_, signer, payload, sig in self.db.execute(
            "SELECT hash, server, payload, sig FROM sync_receipts ORDER BY received, hash"
        ):
            parsed = parse_row(0, hash_, signer, payload, sig, None, None)
            if parsed.record is None:
                raise TamperedStore(f"receipt {hash_[:16]}… is damaged: {parsed.error}")
            out.append(parsed.record)
        return out

    def sync_append_pulled(
        self, records: Sequence[Record], cursor_key: str, cursor: str
    ) -> list[bool]:
        """Verified records from the server, their sent marks and the new cursor: all or none."""
        now = timestamp()
        with self._connection.write():
            added = self._appender.append(records, "server")
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO sync_sent (hash, receipt, sent) VALUES (?, NULL, ?)",
                [(record.hash, now) for record in records],
            )
            self.db.execute(
                "INSERT OR REPLACE INTO sync_settings (key, value) VALUES (?, ?)",
                [cursor_key, cursor],
            )
        return added

    def sync_get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM sync_settings WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def sync_set(self, key: str, value: str | None) -> None:
        with self._connection.write():
            if value is None:
                self.db.execute("DELETE FROM sync_settings WHERE key = ?", [key])
            else:
                self.db.execute(
                    "INSERT OR REPLACE INTO sync_settings (key, value) VALUES (?, ?)", [key, value]
                )
