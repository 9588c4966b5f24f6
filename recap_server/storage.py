"""The server's storage behind one small interface; SQLite is the embedded default.

Everything the ledger needs from a database is in ``ServerStorage``. A PostgreSQL backend
(psycopg 3) implements the same methods with the same tables; the SQL here is kept to what
both dialects accept apart from the placeholders and the upsert of ``status``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from recap_desktop.crypto.envelope import CHAINED_TYPES, Record, from_parts
from recap_desktop.crypto.verifier import AUTHORITY_TYPES
from recap_desktop.domain.status import COUNTED, DISPUTED, Review, SheetVersion, sheet_state


@dataclass(frozen=True)
class Held:
    """A record as the server holds it, with its position in the server's log (the cursor)."""

    id: int
    record: Record


@dataclass(frozen=True)
class RawHeld:
    """A record as stored: its canonical payload text, unparsed (what a pull page sends)."""

    id: int
    hash: str
    signer: str
    payload: str
    sig: str


class ServerStorage(Protocol):
    """What the ledger needs from a database. Every method is safe to call from any thread."""

    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def authority_records(self, types: Iterable[str] | None = None) -> list[Record]: ...
    def held(self, hashes: Iterable[str]) -> set[str]: ...
    def record(self, hash_: str) -> Record | None: ...
    def chain_head(self, signer: str) -> tuple[int, str] | None: ...
    def hash_at(self, signer: str, seq: int) -> str | None: ...
    def commit(self, records: Sequence[Record], receipt: Record) -> None: ...
    def record_equivocation(self, record: Record, held: str, received: str) -> None: ...
    def pull(self, jurisdiction: str, since: int, limit: int) -> list[Held]: ...
    def pull_raw(self, jurisdiction: str, since: int, limit: int) -> list[RawHeld]: ...
    def stats(self) -> dict[str, int]: ...
    def totals(self, prefix: str, contest: str) -> tuple[dict[str, int], int, dict[str, int]]: ...
    def close(self) -> None: ...


_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS records (
        id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
        signer TEXT NOT NULL, seq INTEGER, station TEXT, payload TEXT NOT NULL,
        sig TEXT NOT NULL, received TEXT NOT NULL)""",
    """CREATE UNIQUE INDEX IF NOT EXISTS records_chain ON records(signer, seq)
        WHERE seq IS NOT NULL""",
    """CREATE INDEX IF NOT EXISTS records_station ON records(station, id)""",
    """CREATE TRIGGER IF NOT EXISTS records_no_update BEFORE UPDATE ON records
        BEGIN SELECT RAISE(ABORT, 'records are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS records_no_delete BEFORE DELETE ON records
        BEGIN SELECT RAISE(ABORT, 'records are append-only'); END""",
    """CREATE TABLE IF NOT EXISTS equivocations (
        id INTEGER PRIMARY KEY, signer TEXT NOT NULL, seq INTEGER NOT NULL,
        held TEXT NOT NULL, offered TEXT NOT NULL, record TEXT NOT NULL,
        received TEXT NOT NULL, UNIQUE (held, offered))""",
    """CREATE TABLE IF NOT EXISTS receipts (
        hash TEXT PRIMARY KEY, payload TEXT NOT NULL, sig TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sheets (
        hash TEXT PRIMARY KEY, station TEXT NOT NULL, contest TEXT NOT NULL,
        signer TEXT NOT NULL, seq INTEGER NOT NULL, supersedes TEXT,
        "values" TEXT NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS sheets_key ON sheets(station, contest)""",
    """CREATE TABLE IF NOT EXISTS reviews (
        hash TEXT PRIMARY KEY, sheet TEXT NOT NULL, station TEXT NOT NULL,
        contest TEXT NOT NULL, signer TEXT NOT NULL, seq INTEGER NOT NULL,
        time TEXT NOT NULL, decision TEXT NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS reviews_key ON reviews(station, contest)""",
    """CREATE TABLE IF NOT EXISTS status (
        station TEXT NOT NULL, contest TEXT NOT NULL, state TEXT NOT NULL,
        current TEXT, PRIMARY KEY (station, contest))""",
]


class SqliteStorage:
    """One SQLite file, one connection guarded by a lock (uvicorn serves from a thread pool).

    A lock rather than a connection per thread: pushes must be serialised anyway, because the
    chain check and the insert that follows it have to see the same state.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30
        )
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        with self.transaction():
            for statement in _SCHEMA:
                self._conn.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", [key])
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])

    # -- records ----------------------------------------------------------------------------

    @staticmethod
    def _parse(row: Sequence[Any]) -> Record:
        hash_, signer, payload, sig = row
        return from_parts(str(payload).encode("utf-8"), signer, sig, hash_)

    def authority_records(self, types: Iterable[str] | None = None) -> list[Record]:
        """Packages, certificates and revocations (or only ``types`` of them), oldest first."""
        kinds = sorted(AUTHORITY_TYPES if types is None else set(types) & AUTHORITY_TYPES)
        rows = self._query(
            "SELECT hash, signer, payload, sig FROM records"
            f" WHERE type IN ({', '.join('?' for _ in kinds)}) ORDER BY id",
            kinds,
        )
        return [self._parse(r) for r in rows]

    def held(self, hashes: Iterable[str]) -> set[str]:
        wanted = list(hashes)
        out: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            rows = self._query(
                f"SELECT hash FROM records WHERE hash IN ({', '.join('?' for _ in chunk)})", chunk
            )
            out.update(str(r[0]) for r in rows)
        return out

    def record(self, hash_: str) -> Record | None:
        rows = self._query("SELECT hash, signer, payload, sig FROM records WHERE hash = ?", [hash_])
        return self._parse(rows[0]) if rows else None

    def chain_head(self, signer: str) -> tuple[int, str] | None:
        rows = self._query(
            "SELECT seq, hash FROM records WHERE signer = ? AND seq IS NOT NULL"
            " ORDER BY seq DESC LIMIT 1",
            [signer],
        )
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def hash_at(self, signer: str, seq: int) -> str | None:
        rows = self._query("SELECT hash FROM records WHERE signer = ? AND seq = ?", [signer, seq])
        return str(rows[0][0]) if rows else None

    def commit(self, records: Sequence[Record], receipt: Record) -> None:
        """Store the accepted records, their projections and the receipt in one transaction.

        Rows go in with one ``executemany`` per table, in the batch's order, and each
        (station, contest) the batch touches is restated once, from the final rows: the same
        tables as inserting and restating record by record.
        """
        received = str(receipt.payload["time"])
        rows, sheets, reviews = [], [], []
        touched: dict[tuple[str, str], None] = {}
        for record in records:
            p = record.payload
            chained = record.type in CHAINED_TYPES
            station = p.get("station") if chained else None
            rows.append(
                (
                    record.hash,
                    record.type,
                    record.signer,
                    record.seq if chained else None,
                    station if isinstance(station, str) else None,
                    record.canonical.decode("utf-8"),
                    record.sig,
                    received,
                )
            )
            if record.type == "sheet":
                sheets.append(
                    (
                        record.hash,
                        p["station"],
                        p["contest"],
                        record.signer,
                        record.seq,
                        p.get("supersedes"),
                        json.dumps(p["values"], sort_keys=True),
                    )
                )
            elif record.type == "review":
                reviews.append(
                    (
                        record.hash,
                        p["sheet"],
                        p["station"],
                        p["contest"],
                        record.signer,
                        record.seq,
                        p["time"],
                        p["decision"],
                    )
                )
            else:
                continue
            touched[(str(p["station"]), str(p["contest"]))] = None
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO records (hash, type, signer, seq, station, payload, sig,"
                " received) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.executemany(
                'INSERT INTO sheets (hash, station, contest, signer, seq, supersedes, "values")'
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                sheets,
            )
            conn.executemany(
                "INSERT INTO reviews (hash, sheet, station, contest, signer, seq, time, decision)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                reviews,
            )
            for station, contest in touched:
                self._restate(conn, station, contest)
            conn.execute(
                "INSERT INTO receipts (hash, payload, sig) VALUES (?, ?, ?)",
                [receipt.hash, receipt.canonical.decode("utf-8"), receipt.sig],
            )

    def _restate(self, conn: sqlite3.Connection, station: str, contest: str) -> None:
        """The same rule as every laptop (domain.status): a disagreement is a dispute."""
        versions = [
            SheetVersion(r[0], r[1], r[2], r[3], json.loads(r[4]))
            for r in conn.execute(
                'SELECT hash, signer, seq, supersedes, "values" FROM sheets'
                " WHERE station = ? AND contest = ?",
                [station, contest],
            )
        ]
        reviews = [
            Review(*r)
            for r in conn.execute(
                "SELECT hash, sheet, signer, seq, time, decision FROM reviews"
                " WHERE station = ? AND contest = ?",
                [station, contest],
            )
        ]
        state = sheet_state(versions, reviews)
        conn.execute(
            "INSERT OR REPLACE INTO status (station, contest, state, current) VALUES (?, ?, ?, ?)",
            [station, contest, state.state, state.current],
        )

    def record_equivocation(self, record: Record, held: str, received: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO equivocations (signer, seq, held, offered, record,"
                " received) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    record.signer,
                    record.seq,
                    held,
                    record.hash,
                    json.dumps(record.to_json(), sort_keys=True),
                    received,
                ],
            )

    # -- reading ----------------------------------------------------------------------------

    def pull(self, jurisdiction: str, since: int, limit: int) -> list[Held]:
        """Records after ``since`` that a laptop of ``jurisdiction`` needs, in log order.

        Authority records (packages, certificates, revocations) go to everyone: they are what
        a laptop verifies its colleagues' records with.
        """
        return [
            Held(r.id, self._parse((r.hash, r.signer, r.payload, r.sig)))
            for r in self.pull_raw(jurisdiction, since, limit)
        ]

    def pull_raw(self, jurisdiction: str, since: int, limit: int) -> list[RawHeld]:
        """The same records as ``pull``, as stored: every one was verified when it came in,
        and the laptop verifies each again, so a page needs no parsing here."""
        rows = self._query(
            "SELECT id, hash, signer, payload, sig FROM records WHERE id > ?"
            " AND (station IS NULL OR station = ? OR (station >= ? AND station < ?))"
            " ORDER BY id LIMIT ?",
            [since, jurisdiction, jurisdiction + ".", jurisdiction + "/", limit],
        )
        return [RawHeld(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in rows]

    def stats(self) -> dict[str, int]:
        out: dict[str, int] = {}
        out["records"] = int(self._query("SELECT COUNT(*) FROM records")[0][0])
        for kind, name in (
            ("sheet", "sheets"),
            ("review", "reviews"),
            ("certificate", "certificates"),
            ("election", "packages"),
            ("revocations", "revocation_lists"),
        ):
            out[name] = int(
                self._query("SELECT COUNT(*) FROM records WHERE type = ?", [kind])[0][0]
            )
        out["disputes"] = int(
            self._query("SELECT COUNT(*) FROM status WHERE state = ?", [DISPUTED])[0][0]
        )
        out["equivocations"] = int(self._query("SELECT COUNT(*) FROM equivocations")[0][0])
        out["receipts"] = int(self._query("SELECT COUNT(*) FROM receipts")[0][0])
        return out

    def totals(self, prefix: str, contest: str) -> tuple[dict[str, int], int, dict[str, int]]:
        """(sums over counted sheets, stations counted, stations per state) within a region."""
        rows = self._query(
            'SELECT s.state, h."values" FROM status s LEFT JOIN sheets h ON h.hash = s.current'
            " WHERE s.contest = ? AND (s.station = ? OR (s.station >= ? AND s.station < ?))",
            [contest, prefix, prefix + ".", prefix + "/"],
        )
        sums: dict[str, int] = {}
        counted = 0
        states: dict[str, int] = {}
        for state, values in rows:
            states[state] = states.get(state, 0) + 1
            if state in COUNTED and values is not None:
                counted += 1
                for field, value in json.loads(values).items():
                    sums[field] = sums.get(field, 0) + int(value)
        return sums, counted, states
