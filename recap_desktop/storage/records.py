"""The records table read back: the truth, parsed like any untrusted input.

Rows are read as bytes and parsed as a stranger's file would be (``crypto.envelope.from_row``):
a row edited behind the program's back comes back as a ``StoredRow`` that says why it is not
a record, or raises ``TamperedStore`` where the caller needs the record itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from recap_desktop.crypto.envelope import Record, from_row
from recap_desktop.storage.connection import Connection, chunks
from recap_desktop.storage.errors import TamperedStore
from recap_desktop.storage.standing import Held, standings

# Read as bytes: a row edited behind the program's back may hold text that is not UTF-8,
# which sqlite3 would otherwise refuse to fetch at all (and the verifier could not name it).
RAW_COLUMNS = (
    "CAST(hash AS BLOB), CAST(signer AS BLOB), CAST(payload AS BLOB), CAST(sig AS BLOB),"
    " CAST(type AS BLOB), seq"
)


_RAW_R = (
    "CAST(r.hash AS BLOB), CAST(r.signer AS BLOB), CAST(r.payload AS BLOB), CAST(r.sig AS BLOB),"
    " CAST(r.type AS BLOB), r.seq"
)

# Where the store's trust (``storage.trust``) places an authority record ``r``, as (log index,
# log received): proved (``server_log``), else as a pull page not yet proved says
# (``log_pending``): the page its door admitted it by. The pending index only for a
# revocation list, whose place can only count against a record (PROTOCOL §5.4); the
# position of every other record, and of any record not the authority's, is proved or none.
AUTHORITY_PLACE = (
    "COALESCE(l.idx, CASE WHEN r.type = 'revocations' THEN p.idx END),"
    " COALESCE(l.received, p.received)"
)
AUTHORITY_PLACE_JOIN = (
    " LEFT JOIN server_log l ON l.hash = r.hash LEFT JOIN log_pending p ON p.hash = r.hash"
)


@dataclass(frozen=True)
class StoredRow:
    """A records row as read back: the record, or why it cannot be one."""

    id: int
    hash: str
    signer: str
    record: Record | None
    error: str | None


def parse_row(
    row_id: int, hash_: Any, signer: Any, payload: Any, sig: Any, type_: Any, seq: Any
) -> StoredRow:
    # Receipts live in their own table, with no type or seq columns to compare (None).
    return StoredRow(row_id, *from_row(hash_, signer, payload, sig, type_, seq))


def timestamp() -> str:
    """The store's time stamps (received, sent): UTC to the microsecond."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Records:
    """Reads of the records table: one record, all of them in arrival order, counts."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection.db

    def get(self, hash_: str) -> Record | None:
        row = self._db.execute(
            f"SELECT id, {RAW_COLUMNS} FROM records WHERE hash = ?", [hash_]
        ).fetchone()
        if row is None:
            return None
        parsed = parse_row(*row)
        if parsed.record is None:
            raise TamperedStore(f"record {hash_[:16]}… in the store is damaged: {parsed.error}")
        return parsed.record

    def rows(self, types: Iterable[str] | None = None, batch: int = 2000) -> Iterator[StoredRow]:
        """Every records row in arrival order, parsed; a row that does not parse says why."""
        where, params = "", []
        if types is not None:
            kinds = list(types)
            where = f" AND type IN ({', '.join('?' for _ in kinds)})"
            params = kinds
        last = 0
        while True:
            chunk = self._db.execute(
                f"SELECT id, {RAW_COLUMNS} FROM records WHERE id > ?{where} ORDER BY id LIMIT ?",
                [last, *params, batch],
            ).fetchall()
            if not chunk:
                return
            for row in chunk:
                last = row[0]
                yield parse_row(*row)

    def raw_chunks(self, batch: int = 2000) -> Iterator[list[tuple[Any, ...]]]:
        """Every records row in arrival order, unparsed, ``batch`` at a time: for verifiers
        that parse in worker processes. Each row is what ``parse_row(*row)`` takes (and
        ``crypto.envelope.from_row(*row[1:])``)."""
        last = 0
        while True:
            chunk = self._db.execute(
                f"SELECT id, {RAW_COLUMNS} FROM records WHERE id > ? ORDER BY id LIMIT ?",
                [last, batch],
            ).fetchall()
            if not chunk:
                return
            last = chunk[-1][0]
            yield chunk

    def raw_arrivals(
        self, types: Iterable[str], *, authority: bool = False
    ) -> list[tuple[Any, ...]]:
        """The rows of these types in arrival order, unparsed, each with when this store took
        it and where the server's log put it, proved: (id, ``from_row``'s columns, received,
        log index, log received), what ``protocol.rowcheck.check_rows`` reads. ``authority``:
        the authority's records, placed as the store's trust places them
        (``AUTHORITY_PLACE``: a revocation list's place a pull said counts already)."""
        kinds = sorted(types)
        place, join = (
            (AUTHORITY_PLACE, AUTHORITY_PLACE_JOIN)
            if authority
            else ("l.idx, l.received", " LEFT JOIN server_log l ON l.hash = r.hash")
        )
        return self._db.execute(
            f"SELECT r.id, {_RAW_R}, r.received, {place} FROM records r{join}"
            f" WHERE r.type IN ({', '.join('?' for _ in kinds)}) ORDER BY r.id",
            kinds,
        ).fetchall()

    def raw_arrival_chunks(
        self, batch: int, exclude: Iterable[str] = ()
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Every other row, as ``raw_arrivals`` gives them, ``batch`` at a time."""
        kinds = sorted(exclude)
        where = f" AND r.type NOT IN ({', '.join('?' for _ in kinds)})" if kinds else ""
        last = 0
        while True:
            chunk = self._db.execute(
                f"SELECT r.id, {_RAW_R}, r.received, l.idx, l.received FROM records r"
                f" LEFT JOIN server_log l ON l.hash = r.hash WHERE r.id > ?{where}"
                " ORDER BY r.id LIMIT ?",
                [last, *kinds, batch],
            ).fetchall()
            if not chunk:
                return
            last = chunk[-1][0]
            yield chunk

    def requirements(self) -> list[tuple[Record, str | None]]:
        """Every held ``requirement`` that parses, in arrival order, with its standing
        (``storage.standing``: None when it may count). §6.3 weighs only requirements that
        may count, both as in force and as lifting an earlier one: a forked or revoked
        supervisor's later word must not undo its earlier one."""
        held: list[tuple[Record, Held]] = []
        for _id, *raw, received, position, logged in self.raw_arrivals(["requirement"]):
            _hash, _signer, record, _error = from_row(*raw)
            if record is None or not isinstance(record.payload.get("region"), str):
                continue
            p = record.payload
            held.append(
                (
                    record,
                    Held(
                        record.hash,
                        "requirement",
                        record.signer,
                        record.seq or 0,
                        p["region"],
                        str(p.get("time")),
                        str(received),
                        position,
                        logged,
                    ),
                )
            )
        why = standings(self._db, [h for _, h in held])
        return [(record, why.get(record.hash)) for record, _ in held]

    def count(self, type_: str | None = None) -> int:
        if type_ is None:
            return int(self._db.execute("SELECT COUNT(*) FROM records").fetchone()[0])
        return int(
            self._db.execute("SELECT COUNT(*) FROM records WHERE type = ?", [type_]).fetchone()[0]
        )

    def held(self, hashes: Sequence[str]) -> set[str]:
        """Which of ``hashes`` the store holds (a pulled page's, in one query or a few)."""
        held: set[str] = set()
        for chunk in chunks(list(dict.fromkeys(hashes))):
            held.update(
                r[0]
                for r in self._db.execute(
                    f"SELECT hash FROM records WHERE hash IN ({', '.join('?' for _ in chunk)})",
                    chunk,
                )
            )
        return held

    def starting_with(self, prefix: str, limit: int = 5) -> list[str]:
        """Held hashes that begin with ``prefix`` (lowercase hex), at most ``limit``: a range
        of the hash column's unique index, so one probe whatever the store's size."""
        high = prefix + "g"  # every hex digit sorts below "g"
        return [
            str(r[0])
            for r in self._db.execute(
                "SELECT hash FROM records WHERE hash >= ? AND hash < ? ORDER BY hash LIMIT ?",
                [prefix, high, limit],
            )
        ]

    def is_held(self, hash_: str) -> bool:
        return (
            self._db.execute("SELECT 1 FROM records WHERE hash = ?", [hash_]).fetchone() is not None
        )

    def certificates_of(self, key_id: str) -> list[Record]:
        """The certificate records of one key (read back like any record)."""
        out = []
        for row in self._db.execute(
            f"SELECT id, {RAW_COLUMNS} FROM records WHERE type = 'certificate' AND hash IN"
            " (SELECT record FROM certificates WHERE key_id = ?) ORDER BY id",
            [key_id],
        ):
            parsed = parse_row(*row)
            if parsed.record is None:
                raise TamperedStore(f"certificate {parsed.hash[:16]}… is damaged: {parsed.error}")
            out.append(parsed.record)
        return out

    def authority_records(self) -> list[Record]:
        """Packages, certificates and revocations held: what incoming records verify against."""
        out = []
        for row in self.rows(types=("election", "certificate", "revocations")):
            if row.record is None:
                raise TamperedStore(f"record {row.hash[:16]}… in the store is damaged: {row.error}")
            out.append(row.record)
        return out
