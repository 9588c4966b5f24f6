"""The store's checks of its own file: what signatures cannot show.

Deleting the last record of a chain, or a record no chain names (a certificate, a package),
leaves every remaining signature good. These reads compare the records with what the
program last wrote (the ``heads`` projection, the projections' references, the row numbers),
for ``recap verify`` and for the next save, which must never sign on top of a damaged chain.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from recap_desktop.crypto.envelope import Record
from recap_desktop.crypto.keys import key_id
from recap_desktop.protocol.trust import Certificate
from recap_desktop.protocol.wire import receipt_hashes
from recap_desktop.storage.connection import Connection, chunks
from recap_desktop.storage.errors import TamperedStore
from recap_desktop.storage.records import RAW_COLUMNS, parse_row


class Integrity:
    """Chain heads, chain links, gaps in the rows and projections naming missing records."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection.db

    def chain_head(self, signer: str) -> tuple[int, str] | None:
        """The signer's last record, read from the records themselves (the truth)."""
        record = self.head_record(signer)
        return None if record is None else (int(record.payload["seq"]), record.hash)

    def head_record(self, signer: str) -> Record | None:
        """The signer's last record itself, checked as ``chain_head`` says."""
        row = self._db.execute(
            f"SELECT id, {RAW_COLUMNS} FROM records"
            " WHERE signer = ? AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
            [signer],
        ).fetchone()
        if row is None:
            return None
        # The next record is signed on top of this one: a damaged head would make the
        # officer sign a fork, so it is checked like any row read back.
        parsed = parse_row(*row)
        if parsed.record is None:
            raise TamperedStore(f"the last record of {signer[:16]}… is damaged: {parsed.error}")
        head = (int(row[6]), parsed.record.hash)
        seen = self._db.execute("SELECT seq, hash FROM heads WHERE signer = ?", [signer]).fetchone()
        if seen is None or (int(seen[0]), str(seen[1])) != head:
            raise TamperedStore(
                f"the chain of {signer[:16]}… ends at record {head[0]}, but the store last "
                f"wrote record {seen[0] if seen else 'none'}"
            )
        return parsed.record

    def row_problems(self, hashes: Sequence[str]) -> dict[str, str]:
        """hash -> ``malformed`` or ``bad_signature`` for each of ``hashes`` whose held row is
        no longer the record it was: it does not parse, its hash or columns disagree with its
        payload, or its signature fails under the signer's key. A handful of rows (what one
        station shows); a row not held, or whose signer's key is unknown, is left out."""
        rows: list[Any] = []
        for chunk in chunks(list(dict.fromkeys(hashes))):
            marks = ", ".join("?" for _ in chunk)
            rows += self._db.execute(
                f"SELECT id, {RAW_COLUMNS} FROM records WHERE hash IN ({marks})", chunk
            ).fetchall()
        out: dict[str, str] = {}
        keys: dict[str, bytes | None] = {}
        for row in rows:
            parsed = parse_row(*row)
            if parsed.record is None:
                out[parsed.hash] = "malformed"
                continue
            signer = parsed.record.signer
            if signer not in keys:
                keys[signer] = self._public_key(signer)
            public = keys[signer]
            if public is not None and not parsed.record.verify_signature(public):
                out[parsed.hash] = "bad_signature"
        return out

    def _public_key(self, signer: str) -> bytes | None:
        """The signer's public key from a held certificate or the keys table: any source will
        do, since a key is accepted only if it hashes to the signer's id."""
        candidates: list[bytes] = []
        for (public,) in self._db.execute("SELECT public_key FROM keys WHERE key_id = ?", [signer]):
            try:
                candidates.append(bytes.fromhex(str(public)))
            except ValueError:
                continue
        for row in self._db.execute(
            f"SELECT id, {RAW_COLUMNS} FROM records WHERE type = 'certificate' AND hash IN"
            " (SELECT record FROM certificates WHERE key_id = ?)",
            [signer],
        ):
            parsed = parse_row(*row)
            if parsed.record is None:
                continue
            try:
                candidates.append(Certificate.from_record(parsed.record).public_key)
            except (ValueError, KeyError, TypeError):
                continue
        return next((k for k in candidates if key_id(k) == signer), None)

    def tampered(self) -> dict[str, str]:
        """Every row found edited so far: hash -> the problem's name."""
        return {str(h): str(k) for h, k in self._db.execute("SELECT hash, kind FROM tampered")}

    def heads(self) -> dict[str, tuple[int, str]]:
        return {
            s: (int(q), h) for s, q, h in self._db.execute("SELECT signer, seq, hash FROM heads")
        }

    def dangling_references(self) -> list[tuple[str, str]]:
        """(table, hash) for projection rows naming a record the records table no longer has.

        Deleting a record that closes no chain (a certificate, a package) shows up only here.
        """
        out: list[tuple[str, str]] = []
        for table, column in (
            ("packages", "record"),
            ("certificates", "record"),
            ("sheets", "hash"),
            ("reviews", "hash"),
            ("heads", "hash"),
            ("recaps", "hash"),
            ("objections", "hash"),
            ("resolutions", "hash"),
        ):
            rows = self._db.execute(
                f"SELECT {column} FROM {table} WHERE {column} NOT IN (SELECT hash FROM records)"
            )
            out.extend((table, str(r[0])) for r in rows)
        return out

    def missing_from_receipts(self) -> list[str]:
        """Hashes a kept receipt says the server stored or held that the records no longer
        have: the trace of deleting the newest records (with their projections) after they
        were sent, which nothing else in the file shows."""
        named: dict[str, None] = {}
        for (payload,) in self._db.execute("SELECT CAST(payload AS BLOB) FROM sync_receipts"):
            try:
                parsed = json.loads(payload)
            except ValueError:
                continue  # a damaged receipt is reported by the receipts' own read
            if isinstance(parsed, dict):
                named.update(dict.fromkeys(receipt_hashes(parsed)))
        hashes = list(named)
        held: set[str] = set()
        for i in range(0, len(hashes), 500):
            chunk = hashes[i : i + 500]
            held.update(
                str(r[0])
                for r in self._db.execute(
                    f"SELECT hash FROM records WHERE hash IN ({', '.join('?' for _ in chunk)})",
                    chunk,
                )
            )
        return [h for h in hashes if h not in held]

    def missing_rows(self) -> list[int]:
        """Row numbers missing below the last record: each gap is a deleted record.

        Rows are numbered in arrival order and a number is reused only after the last row;
        so this finds a deletion even when the projections were emptied too.
        """
        first = self._db.execute("SELECT MIN(id) FROM records").fetchone()[0]
        gaps = [1] if first is not None and first > 1 else []
        gaps += [
            int(r[0])
            for r in self._db.execute(
                "SELECT id + 1 FROM records AS r WHERE id < (SELECT MAX(id) FROM records)"
                " AND NOT EXISTS (SELECT 1 FROM records AS s WHERE s.id = r.id + 1) ORDER BY id"
            )
        ]
        return gaps


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
