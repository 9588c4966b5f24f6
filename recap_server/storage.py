"""The server's storage behind one small interface; SQLite is the embedded default.

Everything the ledger needs from a database is in ``ServerStorage``. A PostgreSQL backend
(psycopg 3) implements the same methods with the same tables; the SQL here is kept to what
both dialects accept apart from the placeholders and the upsert of ``status``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from recap_desktop.crypto.envelope import CHAINED_TYPES, Record, from_json, from_parts
from recap_desktop.domain.election import ElectionError, format_time, parse_time
from recap_desktop.domain.status import COUNTED, DISPUTED, Review, SheetVersion, sheet_state
from recap_desktop.protocol.admit import Fork, Head, Ref
from recap_desktop.protocol.log import leaf_hash, partition_of
from recap_desktop.protocol.records import RECAP_TYPES, overrides, place_of
from recap_desktop.protocol.standing import standing
from recap_desktop.protocol.trust import AUTHORITY_TYPES, Trust
from recap_server import log
from recap_server.log import Appended


@dataclass(frozen=True)
class Held:
    """A record as the server holds it, with its index in the server's log."""

    index: int
    record: Record


@dataclass(frozen=True)
class RawHeld:
    """A record as stored: its canonical payload text, unparsed (what a pull page sends),
    with its index in the log, its partition and when the server received it."""

    index: int
    hash: str
    signer: str
    payload: str
    sig: str
    received: str
    partition: str


# What the server tells of a record it holds: its log index and when it first held it.
Position = tuple[int, str]
# Makes the tree head and the receipt once the stored records are in the log (in the same
# transaction): from their positions and what the commit did to the log.
Sealer = Callable[[Mapping[str, Position], Appended], tuple[Record, Record]]


class ServerStorage(Protocol):
    """What the ledger needs from a database. Every method is safe to call from any thread.

    It is also the server's ``protocol.admit.HeldView``: the admission rule asks it what is
    held (held, ref, chain_head, hash_at, record)."""

    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def authority_records(self, types: Iterable[str] | None = None) -> list[Record]: ...
    def authority_rows(self) -> list[tuple[Record, str, int]]: ...
    def held(self, hashes: Iterable[str]) -> set[str]: ...
    def ref(self, hash_: str) -> Ref | None: ...
    def record(self, hash_: str) -> Record | None: ...
    def payload(self, hash_: str) -> dict[str, Any] | None: ...
    def chain_head(self, signer: str) -> Head | None: ...
    def hash_at(self, signer: str, seq: int) -> str | None: ...
    def signer(self, hash_: str) -> str | None: ...
    def positions(self, hashes: Iterable[str]) -> dict[str, Position]: ...
    def commit(
        self,
        records: Sequence[Record],
        seal: Sealer,
        *,
        received: str,
        trust: Trust,
        restate_signers: Iterable[str] = (),
        keep_receipt: bool = True,
    ) -> tuple[Record, Record, Appended]: ...
    def record_fork(self, fork: Fork, received: str) -> None: ...
    def restate(self, trust: Trust, *, signers: Sequence[str] | None = None) -> None: ...
    def forks(self) -> dict[str, int]: ...
    def evidence(self, jurisdiction: str) -> list[tuple[Record, Record]]: ...
    def pull(
        self, ranges: Sequence[tuple[str, str]] | None, since: int, limit: int, upto: int
    ) -> list[Held]: ...
    def pull_raw(
        self, ranges: Sequence[tuple[str, str]] | None, since: int, limit: int, upto: int
    ) -> list[RawHeld]: ...
    def log_size(self) -> int: ...
    def head(self) -> Record | None: ...
    def keep_head(self, head: Record) -> None: ...
    def heads_at(self, size: int) -> list[Record]: ...
    def partition_states(self) -> dict[str, tuple[int, bytes]]: ...
    def log_root(self, size: int) -> bytes: ...
    def consistency(self, first: int, second: int) -> list[bytes]: ...
    def inclusion(self, index: int, size: int) -> list[bytes]: ...
    def stats(self) -> dict[str, int]: ...
    def all_totals(self, contest: str) -> dict[str, tuple[dict[str, int], int, dict[str, int]]]: ...
    def totals(self, prefix: str, contest: str) -> tuple[dict[str, int], int, dict[str, int]]: ...
    def close(self) -> None: ...


_NO_UPDATE = """CREATE TRIGGER IF NOT EXISTS records_no_update BEFORE UPDATE ON records
        BEGIN SELECT RAISE(ABORT, 'records are append-only'); END"""
_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS records (
        id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
        signer TEXT NOT NULL, seq INTEGER, station TEXT, payload TEXT NOT NULL,
        sig TEXT NOT NULL, received TEXT NOT NULL, idx INTEGER, partition TEXT)""",
    """CREATE UNIQUE INDEX IF NOT EXISTS records_chain ON records(signer, seq)
        WHERE seq IS NOT NULL""",
    """CREATE INDEX IF NOT EXISTS records_station ON records(station, id)""",
    _NO_UPDATE,
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
    """CREATE INDEX IF NOT EXISTS sheets_signer ON sheets(signer)""",
    """CREATE INDEX IF NOT EXISTS reviews_signer ON reviews(signer)""",
    *log.SCHEMA,
]
# Indexes on columns added since (made after the columns exist).
_LATE_INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS records_idx ON records(idx)",
    "CREATE INDEX IF NOT EXISTS records_partition ON records(partition, idx)",
]
# Columns added since a table was first made: (table, column, definition). A server folder
# of an earlier version gains them when it opens.
_ADDED_COLUMNS = [
    ("status", "attention", "TEXT NOT NULL DEFAULT '[]'"),
    ("records", "idx", "INTEGER"),
    ("records", "partition", "TEXT"),
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
        if self.path.stat().st_mode & 0o077:
            self.path.chmod(0o600)  # SQLite gives the -wal and -shm files the same mode
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        with self.transaction():
            for statement in _SCHEMA:
                self._conn.execute(statement)
            for table, column, definition in _ADDED_COLUMNS:
                have = {r[1] for r in self._conn.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
            for statement in _LATE_INDEXES:
                self._conn.execute(statement)
            self._log_records_before_the_log()

    def _log_records_before_the_log(self) -> None:
        """A server folder from before the log: its records enter the log in the order they
        were stored (inside the opening transaction)."""
        conn = self._conn
        rows = conn.execute(
            "SELECT id, hash, type, payload, signer, sig, received FROM records"
            " WHERE idx IS NULL ORDER BY id"
        ).fetchall()
        if not rows:
            return
        size = self._size(conn)
        leaves = []
        # The one update records ever get: their place in the log, which they had none of.
        conn.execute("DROP TRIGGER records_no_update")
        for offset, (row_id, hash_, _type, payload, signer, sig, received) in enumerate(rows):
            record = from_parts(str(payload).encode("utf-8"), signer, sig, hash_)
            name = partition_of(record)
            index = size + offset
            conn.execute(
                "UPDATE records SET idx = ?, partition = ? WHERE id = ?", [index, name, row_id]
            )
            leaves.append((name, leaf_hash(hash_, index, name, _protocol_time(received))))
        conn.execute(_NO_UPDATE)
        log.append(conn, size, leaves)

    @staticmethod
    def _size(conn: sqlite3.Connection) -> int:
        top = conn.execute("SELECT MAX(idx) FROM records").fetchone()[0]
        return 0 if top is None else int(top) + 1

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

    def authority_rows(self) -> list[tuple[Record, str, int]]:
        """Every authority record with when it was received and its log index, in log order:
        what the server's trust is built from."""
        kinds = sorted(AUTHORITY_TYPES)
        rows = self._query(
            "SELECT hash, signer, payload, sig, received, idx FROM records"
            f" WHERE type IN ({', '.join('?' for _ in kinds)}) ORDER BY idx",
            kinds,
        )
        return [(self._parse(r[:4]), str(r[4]), int(r[5])) for r in rows]

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

    def payload(self, hash_: str) -> dict[str, Any] | None:
        """A held record's payload (what a D.Hasil's children say, what a ruling rules on)."""
        found = self.record(hash_)
        return None if found is None else found.payload

    def ref(self, hash_: str) -> Ref | None:
        rows = self._query(
            "SELECT 'sheet', station, contest FROM sheets WHERE hash = ?"
            " UNION ALL SELECT 'review', station, contest FROM reviews WHERE hash = ?",
            [hash_, hash_],
        )
        if rows:
            return (str(rows[0][0]), str(rows[0][1]), str(rows[0][2]))
        kind = self._query("SELECT type FROM records WHERE hash = ?", [hash_])
        if not kind:
            return None
        if kind[0][0] in RECAP_TYPES or kind[0][0] == "requirement":  # placed by its payload
            p = self.payload(hash_) or {}
            return (str(kind[0][0]), place_of(str(kind[0][0]), p), p.get("contest"))
        return (str(kind[0][0]), None, None)

    def chain_head(self, signer: str) -> Head | None:
        rows = self._query(
            "SELECT seq, hash, json_extract(payload, '$.time') FROM records"
            " WHERE signer = ? AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
            [signer],
        )
        return (int(rows[0][0]), str(rows[0][1]), str(rows[0][2])) if rows else None

    def positions(self, hashes: Iterable[str]) -> dict[str, Position]:
        """The log index and received time of each held record of ``hashes``."""
        wanted = list(dict.fromkeys(hashes))
        out: dict[str, Position] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            rows = self._query(
                "SELECT hash, idx, received FROM records"
                f" WHERE hash IN ({', '.join('?' for _ in chunk)})",
                chunk,
            )
            out.update((str(h), (int(n), _protocol_time(t))) for h, n, t in rows)
        return out

    def signer(self, hash_: str) -> str | None:
        rows = self._query("SELECT signer FROM records WHERE hash = ?", [hash_])
        return str(rows[0][0]) if rows else None

    def hash_at(self, signer: str, seq: int) -> str | None:
        rows = self._query("SELECT hash FROM records WHERE signer = ? AND seq = ?", [signer, seq])
        return str(rows[0][0]) if rows else None

    def commit(
        self,
        records: Sequence[Record],
        seal: Sealer,
        *,
        received: str,
        trust: Trust,
        restate_signers: Iterable[str] = (),
        keep_receipt: bool = True,
    ) -> tuple[Record, Record, Appended]:
        """Store the admitted records in the log, their projections, the new tree head and
        the receipt in one transaction; returns (head, receipt, what the log did), the head
        and receipt made by ``seal`` once the records have their log positions.

        Rows go in with one ``executemany`` per table, in the batch's order, and each
        (station, contest) the batch touches is restated once, from the final rows: the same
        tables as inserting and restating record by record. ``restate_signers``: keys whose
        standing changed (a certificate, a revocation, a fork): every station they signed
        for is restated too. ``keep_receipt`` False: a push that stored nothing keeps none.
        """
        rows, sheets, reviews, leaves = [], [], [], []
        touched: dict[tuple[str, str], None] = {}
        with self._lock:
            size = self._size(self._conn)  # the push lock is held: nothing appends meanwhile
        for offset, record in enumerate(records):
            p = record.payload
            chained = record.type in CHAINED_TYPES
            # The place column serves the record to laptops of regions containing it.
            station = place_of(record.type, p) if chained else None
            name = partition_of(record)
            index = size + offset
            leaves.append((name, leaf_hash(record.hash, index, name, received)))
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
                    index,
                    name,
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
            if self._size(conn) != size:
                raise RuntimeError("the log grew during a push: pushes must be serialised")
            conn.executemany(
                "INSERT INTO records (hash, type, signer, seq, station, payload, sig,"
                " received, idx, partition) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            appended = log.append(conn, size, leaves)
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
            signers = list(dict.fromkeys(restate_signers))
            for chunk in _chunks(signers):
                marks = ", ".join("?" for _ in chunk)
                for table in ("sheets", "reviews"):
                    for station, contest in conn.execute(
                        f"SELECT DISTINCT station, contest FROM {table} WHERE signer IN ({marks})",
                        chunk,
                    ):
                        touched[(str(station), str(contest))] = None
            for station, contest in touched:
                self._restate(conn, station, contest, trust)
            positions = {r.hash: (size + i, received) for i, r in enumerate(records)}
            head, made = seal(positions, appended)
            self._keep_head(conn, head, appended.size)
            if keep_receipt:
                conn.execute(
                    "INSERT INTO receipts (hash, payload, sig) VALUES (?, ?, ?)",
                    [made.hash, made.canonical.decode("utf-8"), made.sig],
                )
        return head, made, appended

    # -- the log ----------------------------------------------------------------------------

    def log_size(self) -> int:
        with self._lock:
            return self._size(self._conn)

    def head(self) -> Record | None:
        """The newest tree head signed."""
        rows = self._query("SELECT record FROM heads ORDER BY size DESC, rowid DESC LIMIT 1")
        return from_json(json.loads(rows[0][0])) if rows else None

    def heads_at(self, size: int) -> list[Record]:
        """Every tree head this server signed of a log of ``size`` entries, oldest first: what
        a laptop holding a head of that size asks when shown a smaller one (§10.3)."""
        rows = self._query("SELECT record FROM heads WHERE size = ? ORDER BY rowid", [size])
        return [from_json(json.loads(text)) for (text,) in rows]

    def keep_head(self, head: Record) -> None:
        with self.transaction() as conn:
            self._keep_head(conn, head, int(head.payload["size"]))

    @staticmethod
    def _keep_head(conn: sqlite3.Connection, head: Record, size: int) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO heads (size, hash, record) VALUES (?, ?, ?)",
            [size, head.hash, json.dumps(head.to_json(), sort_keys=True)],
        )

    def partition_states(self) -> dict[str, tuple[int, bytes]]:
        with self._lock:
            return log.partition_states(self._conn)

    def log_root(self, size: int) -> bytes:
        with self._lock:
            return log.root(self._conn, size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        with self._lock:
            return log.consistency(self._conn, first, second)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        with self._lock:
            return log.inclusion(self._conn, index, size)

    def restate(self, trust: Trust, *, signers: Sequence[str] | None = None) -> None:
        """The state of every station the ``signers`` signed for (None: every station) again,
        after their standing changed outside a push (fork evidence) or the rule did."""
        with self.transaction() as conn:
            if signers is None:
                keys = conn.execute(
                    "SELECT DISTINCT station, contest FROM sheets"
                    " UNION SELECT DISTINCT station, contest FROM reviews"
                ).fetchall()
            else:
                keys = []
                for chunk in _chunks(list(signers)):
                    marks = ", ".join("?" for _ in chunk)
                    keys += conn.execute(
                        f"SELECT DISTINCT station, contest FROM sheets WHERE signer IN ({marks})"
                        f" UNION SELECT DISTINCT station, contest FROM reviews"
                        f" WHERE signer IN ({marks})",
                        [*chunk, *chunk],
                    ).fetchall()
            for station, contest in dict.fromkeys(keys):
                self._restate(conn, str(station), str(contest), trust)

    def _restate(self, conn: sqlite3.Connection, station: str, contest: str, trust: Trust) -> None:
        """The same rule as every laptop (domain.status, protocol.standing): a disagreement is
        a dispute; a record whose signer may not count it is set aside and shown."""
        mandates, revoked, forks = trust.mandates, trust.revoked, trust.forks

        def stand(
            kind: str, signer: str, seq: int, time: str, received: str, at: int
        ) -> str | None:
            try:
                claimed, seen = parse_time(time, "time"), parse_received(received)
            except (ElectionError, ValueError):
                return "malformed"
            return standing(
                kind,
                signer,
                seq,
                station,
                claimed,
                seen,
                at,
                mandates=mandates,
                revoked=revoked,
                forks=forks,
            )

        versions = [
            SheetVersion(
                r[0],
                r[1],
                r[2],
                r[3],
                json.loads(r[4]),
                stand("sheet", r[1], r[2], r[5], r[6], r[7]),
            )
            for r in conn.execute(
                'SELECT s.hash, s.signer, s.seq, s.supersedes, s."values",'
                " json_extract(r.payload, '$.time'), r.received, r.idx"
                " FROM sheets s JOIN records r ON r.hash = s.hash"
                " WHERE s.station = ? AND s.contest = ?",
                [station, contest],
            )
        ]
        reviews = [
            Review(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                overrides({"overrides": json.loads(r[5]) if r[5] else []}),
                stand("review", r[2], r[3], r[6], r[7], r[8]),
            )
            for r in conn.execute(
                "SELECT v.hash, v.sheet, v.signer, v.seq, v.decision,"
                " json_extract(r.payload, '$.overrides'), v.time, r.received, r.idx"
                " FROM reviews v JOIN records r ON r.hash = v.hash"
                " WHERE v.station = ? AND v.contest = ?",
                [station, contest],
            )
        ]
        state = sheet_state(versions, reviews)
        conn.execute(
            "INSERT OR REPLACE INTO status (station, contest, state, current, attention)"
            " VALUES (?, ?, ?, ?, ?)",
            [station, contest, state.state, state.current, json.dumps(list(state.attention))],
        )

    def record_fork(self, fork: Fork, received: str) -> None:
        """Keep both records of a signer's fork as evidence (the offered one is refused)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO equivocations (signer, seq, held, offered, record,"
                " received) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    fork.signer,
                    fork.seq,
                    fork.held.hash,
                    fork.offered.hash,
                    json.dumps(fork.offered.to_json(), sort_keys=True),
                    received,
                ],
            )

    def forks(self) -> dict[str, int]:
        """Signer -> the first place its chain forked, from the evidence kept."""
        return {
            str(s): int(q)
            for s, q in self._query("SELECT signer, MIN(seq) FROM equivocations GROUP BY signer")
        }

    def evidence(self, jurisdiction: str) -> list[tuple[Record, Record]]:
        """The forks (held record, offered record) of stations within a region."""
        out = []
        for held_hash, offered in self._query("SELECT held, record FROM equivocations ORDER BY id"):
            second = from_json(json.loads(offered))
            station = place_of(second.type, second.payload)
            first = self.record(str(held_hash))
            if first is None or not isinstance(station, str):
                continue
            if station == jurisdiction or station.startswith(jurisdiction + "."):
                out.append((first, second))
        return out

    # -- reading ----------------------------------------------------------------------------

    def pull(
        self, ranges: Sequence[tuple[str, str]] | None, since: int, limit: int, upto: int
    ) -> list[Held]:
        """Log entries from index ``since`` up to (not including) ``upto`` whose partition
        lies in ``ranges`` (None: every entry), in log order."""
        return [
            Held(r.index, self._parse((r.hash, r.signer, r.payload, r.sig)))
            for r in self.pull_raw(ranges, since, limit, upto)
        ]

    def pull_raw(
        self, ranges: Sequence[tuple[str, str]] | None, since: int, limit: int, upto: int
    ) -> list[RawHeld]:
        """The same entries as ``pull``, as stored: every one was verified when it came in,
        and the laptop verifies each again, so a page needs no parsing here."""
        where, params = "", []
        if ranges is not None:
            either = " OR ".join("(partition >= ? AND partition < ?)" for _ in ranges)
            where, params = f" AND ({either})", [bound for pair in ranges for bound in pair]
        rows = self._query(
            "SELECT idx, hash, signer, payload, sig, received, partition FROM records"
            f" WHERE idx >= ? AND idx < ?{where} ORDER BY idx LIMIT ?",
            [since, upto, *params, limit],
        )
        return [
            RawHeld(
                int(r[0]),
                str(r[1]),
                str(r[2]),
                str(r[3]),
                str(r[4]),
                _protocol_time(r[5]),
                str(r[6]),
            )
            for r in rows
        ]

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

    def all_totals(self, contest: str) -> dict[str, tuple[dict[str, int], int, dict[str, int]]]:
        """What ``totals`` gives, for every region holding a station of the contest, in one
        pass over the stations' states (an auditor compares them all)."""
        out: dict[str, tuple[dict[str, int], int, dict[str, int]]] = {}
        rows = self._query(
            'SELECT s.station, s.state, h."values" FROM status s'
            " LEFT JOIN sheets h ON h.hash = s.current WHERE s.contest = ?",
            [contest],
        )
        for station, state, values in rows:
            parts = str(station).split(".")
            counted = state in COUNTED and values is not None
            decoded = json.loads(values) if counted else {}
            for depth in range(1, len(parts)):
                region = ".".join(parts[:depth])
                sums, number, states = out.setdefault(region, ({}, 0, {}))
                states[state] = states.get(state, 0) + 1
                if counted:
                    for field, value in decoded.items():
                        sums[field] = sums.get(field, 0) + int(value)
                    out[region] = (sums, number + 1, states)
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


def parse_received(value: str) -> datetime:
    """A ``received`` column: the server's own clock, in the protocol's time format (older
    server folders wrote microseconds too)."""
    try:
        return parse_time(value, "received")
    except ElectionError:
        return datetime.fromisoformat(value).astimezone(UTC)


def _protocol_time(received: Any) -> str:
    text = str(received)
    return text if len(text) == 20 else format_time(parse_received(text))


def _chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for at in range(0, len(items), size):
        yield items[at : at + size]
