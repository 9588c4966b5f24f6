"""The sync outbox: what was sent, on which receipt, what the server refused, and the cursors.

The records table cannot change, so what was sent lives beside it: a record is unsent until a
sent mark names it, and marks come only from verified receipts, written in the same transaction
as the receipt (or from a pull: the server holds what it sends, and the pulled records, their
marks and the new cursor are written together). Used by ``recap_desktop.sync``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from recap_desktop.crypto.envelope import CHAINED_TYPES, Record
from recap_desktop.domain.election import format_time
from recap_desktop.protocol.log import Unvouched
from recap_desktop.protocol.wire import Receipt
from recap_desktop.storage.appender import Appender
from recap_desktop.storage.connection import Connection
from recap_desktop.storage.errors import TamperedStore
from recap_desktop.storage.evidence import Evidence, Position
from recap_desktop.storage.records import parse_row, timestamp


class Outbox:
    """Unsent records, sent marks and receipts, refusals, and sync settings (cursor, server)."""

    def __init__(self, connection: Connection, appender: Appender, evidence: Evidence) -> None:
        self._connection = connection
        self._db = connection.db
        self._appender = appender
        self._evidence = evidence

    def unsent(
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
        for row_id, hash_, signer, payload, sig, type_, seq in self._db.execute(
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

    def unsent_count(self) -> int:
        return int(
            self._db.execute(
                "SELECT COUNT(*) FROM records r LEFT JOIN sync_sent s ON s.hash = r.hash"
                " WHERE s.hash IS NULL"
            ).fetchone()[0]
        )

    def mark_sent(
        self, hashes: Iterable[str], receipt: Receipt, partitions: Mapping[str, str]
    ) -> None:
        """Keep the receipt, where its server's log put each record it names (``partitions``:
        each one's partition, computed here from the record), and mark ``hashes`` (ours, that
        it names, and checked to be in the server's log) as sent: one transaction."""
        now = timestamp()
        record = receipt.record
        server = record.signer
        with self._connection.write():
            self._db.execute(
                "INSERT OR IGNORE INTO sync_receipts (hash, server, payload, sig, received)"
                " VALUES (?, ?, ?, ?, ?)",
                [record.hash, server, record.canonical.decode("utf-8"), record.sig, now],
            )
            self._evidence.note_positions(
                [
                    (h, i, format_time(t), partitions[h])
                    for h, (i, t) in receipt.holds.items()
                    if h in partitions
                ],
                server,
            )
            for hash_ in hashes:
                self._db.execute(
                    "INSERT OR IGNORE INTO sync_sent (hash, receipt, sent, server)"
                    " VALUES (?, ?, ?, ?)",
                    [hash_, record.hash, now, server],
                )
                self._db.execute("DELETE FROM sync_refused WHERE hash = ?", [hash_])
            self._acknowledge(self._places(receipt.holds))

    def note_refused(self, refused: Iterable[tuple[str, str, str]]) -> None:
        """Remember the server's last refusal of each record (hash, reason, detail)."""
        now = timestamp()
        with self._connection.write():
            for hash_, reason, detail in refused:
                self._db.execute(
                    "INSERT OR REPLACE INTO sync_refused (hash, reason, detail, time)"
                    " VALUES (?, ?, ?, ?)",
                    [hash_, reason, detail, now],
                )

    def refused(self) -> list[dict[str, Any]]:
        return list(self._db.query("SELECT hash, reason, detail, time FROM sync_refused"))

    def receipts(self) -> list[Record]:
        out = []
        for hash_, signer, payload, sig in self._db.execute(
            "SELECT hash, server, payload, sig FROM sync_receipts ORDER BY received, hash"
        ):
            parsed = parse_row(0, hash_, signer, payload, sig, None, None)
            if parsed.record is None:
                raise TamperedStore(f"receipt {hash_[:16]}… is damaged: {parsed.error}")
            out.append(parsed.record)
        return out

    def append_pulled(
        self,
        records: Sequence[Record],
        cursor_key: str,
        cursor: str,
        *,
        positions: Sequence[Position] = (),
        server: str | None = None,
        unvouched: Sequence[Unvouched] = (),
        proven: bool = False,
    ) -> list[bool]:
        """Admitted records from the server, where its log put each record of the page (those
        held already too), their sent marks and the new cursor: all or none. The positions go
        first, so the records are projected knowing them; they are the server's word until
        the partitions' check proves them (``Evidence.note_pending``), unless ``proven`` (the
        auditor, who reads the whole log in order and checks its root). Records of the page
        refused ``unknown_signer`` are kept with it (``unvouched``): a cursor past them must
        not let the laptop forget what the partitions' check will judge."""
        now = timestamp()
        with self._connection.write():
            if server is not None and proven:
                self._evidence.note_positions(positions, server)
            elif server is not None:
                self._evidence.note_pending(positions, server)
            self._evidence.note_unvouched(unvouched)
            added = self._appender.append(records, "server")
            self._db.conn.executemany(
                "INSERT OR IGNORE INTO sync_sent (hash, receipt, sent, server)"
                " VALUES (?, NULL, ?, ?)",
                [(record.hash, now, server) for record in records],
            )
            self._db.execute(
                "INSERT OR REPLACE INTO sync_settings (key, value) VALUES (?, ?)",
                [cursor_key, cursor],
            )
            self._acknowledge(
                (r.signer, r.seq) for r in records if r.type in CHAINED_TYPES and r.seq
            )
        return added

    # -- the highest place of each chain the server holds ---------------------------------
    # The next save refuses to sign when the store's chain ends below it (records deleted
    # after sync would otherwise have their places reused: a fork of one's own). Kept as one
    # setting per signer so that each save asks one row; ``recap verify`` still reads every
    # receipt, and a save reads them all when the setting is missing (a store from before).

    def _places(self, hashes: Iterable[str]) -> list[tuple[str, int]]:
        wanted = list(hashes)
        out: list[tuple[str, int]] = []
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            out.extend(
                (str(signer), int(seq))
                for signer, seq in self._db.execute(
                    "SELECT signer, MAX(seq) FROM records WHERE seq IS NOT NULL"
                    f" AND hash IN ({', '.join('?' for _ in chunk)}) GROUP BY signer",
                    chunk,
                )
            )
        return out

    def _acknowledge(self, places: Iterable[tuple[str, int]]) -> None:
        highest: dict[str, int] = {}
        for signer, seq in places:
            highest[signer] = max(seq, highest.get(signer, 0))
        self._db.conn.executemany(
            "INSERT INTO sync_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE"
            " SET value = excluded.value"
            " WHERE CAST(excluded.value AS INTEGER) > CAST(sync_settings.value AS INTEGER)",
            [(f"acknowledged {signer}", str(seq)) for signer, seq in highest.items()],
        )

    def acknowledged(self, signer: str) -> int | None:
        """The highest place of ``signer``'s chain a receipt or a pull showed the server
        holding; None if no sync since this was kept."""
        value = self.setting(f"acknowledged {signer}")
        try:
            return None if value is None else int(value)
        except ValueError as exc:
            raise TamperedStore(
                f"the sync setting 'acknowledged {signer[:16]}…' is damaged"
            ) from exc

    def has_receipts(self) -> bool:
        return self._db.execute("SELECT 1 FROM sync_receipts LIMIT 1").fetchone() is not None

    def held_of_types(self, types: Sequence[str]) -> frozenset[str]:
        """The hashes of the records of these types held (the certificates and revocation
        lists a pull's helper thread need not fetch, PROTOCOL §9.5)."""
        marks = ", ".join("?" for _ in types)
        rows = self._db.execute(f"SELECT hash FROM records WHERE type IN ({marks})", list(types))
        return frozenset(str(r[0]) for r in rows)

    def setting(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM sync_settings WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str | None) -> None:
        with self._connection.write():
            if value is None:
                self._db.execute("DELETE FROM sync_settings WHERE key = ?", [key])
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO sync_settings (key, value) VALUES (?, ?)", [key, value]
                )
