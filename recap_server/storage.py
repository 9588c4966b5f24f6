"""The server's storage behind one small interface; SQLite is the embedded default.

Everything the ledger needs from a database is in ``ServerStorage``. A PostgreSQL backend
(psycopg 3) implements the same methods with the same tables; the SQL here is kept to what
both dialects accept apart from the placeholders and the upsert of ``status``.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import msgspec

from recap_desktop.crypto.envelope import CHAINED_TYPES, Record, from_json, from_parts
from recap_desktop.domain.election import ElectionError, format_time, parse_time
from recap_desktop.domain.status import COUNTED, DISPUTED, Review, SheetVersion, sheet_state
from recap_desktop.protocol.admit import Fork, Head, Ref
from recap_desktop.protocol.log import leaf_hash, partition_of
from recap_desktop.protocol.records import RECAP_TYPES, overrides, place_of
from recap_desktop.protocol.standing import standing
from recap_desktop.protocol.trust import AUTHORITY_TYPES, Trust
from recap_server import bulk, log, migrations
from recap_server.log import Appended
from recap_server.statistics import EVERY as STATISTICS_EVERY
from recap_server.statistics import StatisticsKeeper


class NewerSchema(Exception):
    """The database was migrated by a newer recap-server than this one."""


class DamagedStore(Exception):
    """The database holds what the server never wrote there (a row edited or damaged behind
    its back): the sentence says what, and what the operator does. Raised inside the
    request's transaction, which is rolled back: the request that met it changes nothing."""


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
    payload: str | None  # None: an authority record read without its body (pull_raw)
    sig: str
    received: str
    partition: str
    # Read without its body: how a pull page names it, "package" (an election package) or
    # "authority" (a certificate or revocation list); None when the body was read.
    named: str | None = None


# Authority records a pull page names by hash (PROTOCOL §9.5), and the key it names them by.
NAMED_TYPES = {"election": "package", "certificate": "authority", "revocations": "authority"}
MAX_AUTHORITY_FETCH = 1000  # hashes per POST /v1/authority/records
_Tail = tuple[int, str, str, str]  # a row's log index, sig, received, partition
# Authority records whose payload may be megabytes (a national package: 124 MB). SQLite keeps
# a row's columns in their order and reaches a column stored after such a payload (sig,
# received, idx) only by walking the payload's overflow pages one by one: 26 ms for the
# received time of the package, in every laptop's first pull and first contact (run I,
# docs/PERFORMANCE.md). So the reads that meet these rows without their body leave those
# columns to ``SqlStorage._tails``. (PostgreSQL keeps a large value apart, TOAST: no walk.)
_LARGE_TYPES = ("election", "revocations")
_LARGE_IN = ", ".join(f"'{t}'" for t in _LARGE_TYPES)


def _unless_large(column: str) -> str:
    """``column``, or NULL for a row of a large type (read with ``SqlStorage._tails``)."""
    return f"CASE WHEN type IN ({_LARGE_IN}) THEN NULL ELSE {column} END"


# What the server tells of a record it holds: its log index and when it first held it.
Position = tuple[int, str]
# Makes the tree head and the receipt once the stored records are in the log (in the same
# transaction): from their positions and what the commit did to the log.
Sealer = Callable[[Mapping[str, Position], Appended], tuple[Record, Record]]


class ServerStorage(Protocol):
    """What the ledger needs from a database. Every method is safe to call from any thread.

    It is also the server's ``protocol.admit.HeldView``: the admission rule asks it what is
    held (held, ref, chain_head, hash_at, record)."""

    dialect: str  # "sqlite" or "postgresql"
    groups_pushes: bool  # whether pushes waiting together are best admitted together

    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def authority_records(self, types: Iterable[str] | None = None) -> list[Record]: ...
    def authority_rows(self, after: int = -1) -> list[tuple[Record, str, int]]: ...
    def held(self, hashes: Iterable[str]) -> set[str]: ...
    def ask_ahead(self, records: Sequence[Record], prepared: Prepared | None = None) -> None: ...
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
        prepared: Prepared | None = None,
    ) -> tuple[Record, Record, Appended]: ...
    def record_fork(self, fork: Fork, received: str) -> None: ...
    def restate(self, trust: Trust, *, signers: Sequence[str] | None = None) -> None: ...
    def forks(self) -> dict[str, int]: ...
    def evidence(self, jurisdiction: str) -> list[tuple[Record, Record]]: ...
    def pull(
        self, ranges: Sequence[tuple[str, str]] | None, since: int, limit: int, upto: int
    ) -> list[Held]: ...
    def pull_raw(
        self,
        ranges: Sequence[tuple[str, str]] | None,
        since: int,
        limit: int,
        upto: int,
        bodies: bool = True,
        names: Sequence[str] | None = None,
    ) -> list[RawHeld]: ...
    def authority_raw(self, hashes: Sequence[str]) -> list[RawHeld]: ...
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
    def recount_totals(self) -> int: ...
    def close(self) -> None: ...
    def transaction(self, *, pipelined: bool = False) -> AbstractContextManager[Any]: ...
    def in_transaction(self) -> bool: ...
    def snapshot(self) -> AbstractContextManager[Any]: ...
    def trust_version(self) -> int: ...
    def newest_head_hash(self) -> str | None: ...
    def newest(self) -> tuple[str | None, int]: ...
    def partitions_grown(self, first: int, second: int) -> dict[str, tuple[int, bytes]]: ...


# The writers' lock on PostgreSQL (pg_advisory_xact_lock): one log, so one writer at a time,
# held to the end of the transaction; on SQLite BEGIN IMMEDIATE is the same lock.
WRITERS_LOCK = 0x7265636170  # "recap"
MAX_SEEKS = 32  # partitions a pull reads one by one; more: one pass from the cursor
POOL_SIZE = 8  # connections per process; the thread pool's other threads wait for one
_FILL_PAGE = 10_000  # stations a page of migration 5's count
# A log index no record reaches: ``_restate`` with no fresh records reads every row.
_NO_INDEX = 2**62


class _Pool:
    """Connections shared by the threads of one process, each used by one thread at a time.

    Our own (some 30 lines) rather than psycopg_pool: sqlite3 has no pool, and one mechanism
    for both databases keeps the two backends one class."""

    def __init__(self, connect: Callable[[], Any], size: int) -> None:
        self._connect = connect
        self._size = size
        # A lock and a count rather than a queue.Queue of the idle and a BoundedSemaphore of
        # the slots: both are Python code around a condition, and going through them at each
        # take and give back was 6.5 % of a one-sheet push's samples holding Python's lock
        # (py-spy, stop 31). The condition is waited on and notified only when all are out.
        self._guard = threading.Lock()
        self._free = threading.Condition(self._guard)
        self._idle: list[Any] = []
        self._all: list[Any] = []
        self._out = 0  # lent now
        self._waiting = 0  # threads waiting for one to come back

    @contextmanager
    def connection(self) -> Iterator[Any]:
        with self._guard:
            while self._out >= self._size:
                self._waiting += 1
                try:
                    self._free.wait()
                finally:
                    self._waiting -= 1
            self._out += 1
            conn = self._idle.pop() if self._idle else None
        fit = False
        try:
            if conn is None:
                conn = self._connect()
                with self._guard:
                    self._all.append(conn)
            try:
                yield conn
            finally:
                # Back only if fit: not broken, and with no transaction left open (one whose
                # rollback failed would keep SQLite's write lock, or PostgreSQL's aborted
                # transaction, for every later user of the connection).
                fit = not (getattr(conn, "broken", False) or conn.in_transaction)
                if not fit:
                    with self._guard:
                        self._all.remove(conn)
                    conn.close()
        finally:
            with self._guard:
                if fit:
                    self._idle.append(conn)
                self._out -= 1
                if self._waiting:
                    self._free.notify()

    def close(self) -> None:
        with self._guard:
            for conn in self._all:
                conn.close()
            self._all.clear()


class _PgConnection:
    """A psycopg connection that takes the ``?`` placeholders the shared SQL is written with
    (recap_server/log.py's too), so the statements are written once for both databases."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.in_pipeline = False  # bulk.insert sends no COPY then

    @property
    def broken(self) -> bool:
        return bool(self.raw.broken or self.raw.closed)

    @property
    def in_transaction(self) -> bool:
        """As sqlite3's: a transaction is open (or failed and not yet rolled back)."""
        from psycopg.pq import TransactionStatus

        return bool(self.raw.info.transaction_status != TransactionStatus.IDLE)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        if not params:
            return self.raw.execute(sql)  # no placeholders: the text goes as it is
        return self.raw.execute(_pg_sql(sql), list(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            with self.raw.cursor() as cursor:
                cursor.executemany(_pg_sql(sql), rows)

    def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """``bulk.insert`` on PostgreSQL: one COPY, not a statement per row."""
        with self.raw.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def upsert_arrays(
        self,
        table: str,
        columns: Sequence[tuple[str, str]],
        rows: Sequence[Sequence[Any]],
        conflict: str,
    ) -> None:
        """``bulk.upsert`` on PostgreSQL: the rows as one array per column, unnested by one
        statement (in the rows' order). The arrays go in binary (``%b``): in text each
        element is searched for characters to quote, ~40% of the client's CPU for a steady
        push's ~80 rows of region totals (one a key, before migration 5), under the writers'
        lock."""
        names = ", ".join(name for name, _ in columns)
        arrays = ", ".join(f"%b::{kind}[]" for _, kind in columns)
        self.raw.execute(
            # The table, columns and clause are the callers' constants, with no "%" in them.
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT {conflict}",
            [list(column) for column in zip(*rows, strict=True)],
        )

    def rollback(self) -> None:
        """End a failed pipelined transaction by psycopg's own rollback, not a ROLLBACK
        statement: a statement psycopg meant to prepare (at its sixth use) that was queued
        behind the failure was skipped by the server, and only this makes psycopg forget it
        (else every later use on this connection fails: InvalidSqlStatementName)."""
        self.raw.rollback()

    @contextmanager
    def pipelined(self) -> Iterator[None]:
        """psycopg's pipeline mode for what runs inside (``SqlStorage.transaction``)."""
        with self.raw.pipeline():
            self.in_pipeline = True
            try:
                yield
            finally:
                self.in_pipeline = False

    def close(self) -> None:
        self.raw.close()


@functools.lru_cache(maxsize=512)
def _pg_sql(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


@dataclass(frozen=True)
class Rows:
    """A record's rows as ``commit`` inserts them, less what only the commit knows (when it
    was received, its log index): made from the record alone, so that a push makes them
    before the writers' lock."""

    record: tuple[Any, ...]  # records: hash, type, signer, seq, station, payload, sig
    partition: str
    sheet: tuple[Any, ...] | None = None  # a sheet's row of sheets
    review: tuple[Any, ...] | None = None  # a review's row of reviews
    key: tuple[str, str] | None = None  # the (station, contest) a sheet or review restates


def _rows_of(record: Record) -> Rows:
    p = record.payload
    chained = record.type in CHAINED_TYPES
    # The place column serves the record to laptops of regions containing it.
    station = place_of(record.type, p) if chained else None
    row = (
        record.hash,
        record.type,
        record.signer,
        record.seq if chained else None,
        station if isinstance(station, str) else None,
        record.canonical.decode("utf-8"),
        record.sig,
    )
    name = partition_of(record)
    if record.type == "sheet":
        sheet = (
            record.hash,
            p["station"],
            p["contest"],
            record.signer,
            record.seq,
            p.get("supersedes"),
            _VALUES.encode(p["values"]).decode("utf-8"),
        )
        return Rows(row, name, sheet=sheet, key=(str(p["station"]), str(p["contest"])))
    if record.type == "review":
        review = (
            record.hash,
            p["sheet"],
            p["station"],
            p["contest"],
            record.signer,
            record.seq,
            p["time"],
            p["decision"],
        )
        return Rows(row, name, review=review, key=(str(p["station"]), str(p["contest"])))
    return Rows(row, name)


_HEAD = (
    "SELECT seq, hash, payload FROM records"
    " WHERE signer = ? AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
)
_SIZE = "SELECT MAX(idx) FROM records"
_AHEAD_SIGNERS = 8  # chain heads asked ahead at most (a laptop's push has one signer)


@dataclass
class _Ahead:
    """The reads ``SqlStorage.ask_ahead`` sent, each until it is taken: (the hashes asked,
    their cursors); signer -> cursor; the log's size; (the partitions asked, cursors)."""

    held: tuple[list[str], list[Any]] | None
    heads: dict[str, Any]
    size: Any | None
    partitions: tuple[frozenset[str], list[Any]]

    def read_out(self) -> None:
        """Every cursor read to its end (one taken already reads as empty): no statement of
        it is left pending on the connection (a failed transaction's connection is closed
        or rolled back anyway, ``SqlStorage._failed``)."""
        held = self.held[1] if self.held is not None else []
        size = [self.size] if self.size is not None else []
        for cursor in [*held, *self.heads.values(), *size, *self.partitions[1]]:
            with suppress(Exception):  # a failed transaction's: it is being rolled back
                cursor.fetchall()


class Prepared:
    """The rows of a batch's records, made by a push's worker before the writers' lock (a
    tenth of what a push did under it); ``commit`` takes a record's rows from here only for
    that very record object, and makes any other's itself."""

    def __init__(self, records: Iterable[Record]) -> None:
        self._rows: dict[int, tuple[Record, Rows]] = {}
        for r in records:
            try:
                self._rows[id(r)] = (r, _rows_of(r))
            except (KeyError, TypeError, AttributeError, ValueError):
                # Not yet checked here: a record without the members of its type is refused
                # by admission as malformed, alone, and never reaches ``commit``.
                continue

    def partitions(self) -> set[str]:
        """The log partitions of the records it made rows of."""
        return {rows.partition for _, rows in self._rows.values()}

    def rows(self, record: Record) -> Rows:
        kept = self._rows.get(id(record))
        return kept[1] if kept is not None and kept[0] is record else _rows_of(record)


class SqlStorage:
    """The server's storage over one SQL database; ``SqliteStorage`` and ``PostgresStorage``
    differ only in how they connect, begin a write and migrate.

    Stateless between calls (several processes may serve one database): every write runs in a
    transaction that holds the database's writers' lock, so a push's admission (which reads
    chain heads, held records, the trust) and its insert see the same state whichever worker
    runs it; reads take no lock and never wait for a push (WAL on SQLite, MVCC on PostgreSQL).
    """

    dialect = "sql"
    # ``transaction(pipelined=True)``'s pipeline of a connection, where the database has one.
    _pipeline: Callable[[Any], AbstractContextManager[Any]] | None = None
    # Whether the pushes of a process waiting for the writers' lock are best admitted in one
    # transaction (``Ledger._together``): where a transaction's fixed cost is large.
    groups_pushes = False
    # Where whole photos are kept as files, beside the database (recap_server/photos.py): the
    # server's data folder's photos/, set by open_ledger; workers of one server share it.
    photos_dir: Path | None = None

    def __init__(self, connect: Callable[[], Any], pool_size: int = POOL_SIZE) -> None:
        self._pool = _Pool(connect, pool_size)
        self._local = threading.local()  # .conn: this thread's connection in a transaction
        # hash -> (log index, sig, received, partition) of rows of _LARGE_TYPES, as committed:
        # a stored record never changes (append-only), so each is read past its payload once.
        self._tail_cache: dict[str, _Tail] = {}

    # -- connections and transactions ---------------------------------------------------------

    def _begin(self, conn: Any) -> None:
        raise NotImplementedError

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        with self._pool.connection() as conn:
            yield conn

    @contextmanager
    def transaction(self, *, pipelined: bool = False) -> Iterator[Any]:
        """A write transaction holding the writers' lock; nested calls join the outer one.

        ``pipelined``: on PostgreSQL, statements whose results nobody reads (the inserts,
        BEGIN, the lock, COMMIT) go with the next one that is read instead of each waiting
        for its answer: a steady sync's one-sheet push made 27 round trips, one a statement,
        under the lock every worker waits for. Its writes then go row by row, never
        by COPY (which the pipeline cannot carry): for small pushes only.

        A nested call may write: what was asked ahead (``ask_ahead``) is dropped first."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            self._drop_ahead()
            yield held
            return
        with self._pool.connection() as conn:
            if pipelined and self._pipeline is not None:
                # An error of a queued statement is raised at the next read or at the
                # pipeline's end, whichever comes first; the rollback goes after the pipeline
                # is done with (a failed pipeline skips what is queued after the error).
                try:
                    with self._pipeline(conn):
                        self._begin(conn)
                        self._local.conn = conn
                        yield conn
                        self._ended()
                        conn.execute("COMMIT")
                except BaseException:
                    self._ended()
                    self._failed(conn)
                    with suppress(Exception):  # if it fails, the pool drops the connection
                        conn.rollback()
                    raise
                return
            try:
                self._begin(conn)  # on PostgreSQL BEGIN, then the lock, which may fail
                self._local.conn = conn
                yield conn
                self._ended()
                conn.execute("COMMIT")
            except BaseException:
                # Whatever failed, the body, the lock or the COMMIT (SQLite: disk full, an I/O
                # error; a deferred constraint), no transaction is left open on a connection
                # going back to the pool. rollback() does nothing where none is (SQLite may
                # have ended it already); if it fails, the pool drops the connection.
                self._ended()
                self._failed(conn)
                with suppress(Exception):
                    conn.rollback()
                raise

    def _failed(self, conn: Any) -> None:
        """A transaction of ``conn`` (a write's or a snapshot's) failed; it is about to be
        rolled back."""

    def in_transaction(self) -> bool:
        """Whether this thread is inside a transaction (or a snapshot) of this storage."""
        return getattr(self._local, "conn", None) is not None

    def _ended(self) -> None:
        self._drop_ahead()
        self._local.conn = None
        self._local.fresh = None

    # -- reads asked ahead ----------------------------------------------------------------------

    def ask_ahead(self, records: Sequence[Record], prepared: Prepared | None = None) -> None:
        """Send the reads a push of ``records`` makes first under the writers' lock (which
        of them are held, their signers' chain heads, the log's size, their partitions'
        sizes) without waiting for their answers: in a pipelined transaction on PostgreSQL
        they go in the round trip of the next read that is waited for (the probe of
        ``Ledger.caught_up``, or a grouped push's first read after the writes of the push
        before it), where each waited for one of its own. Only inside a write transaction;
        the reads see what it wrote before them. Each answer is taken once, by the read it
        stands for (``held`` of exactly these hashes, ``chain_head``, ``commit``'s size and
        the log's append), and what is left is dropped at the next write (a nested
        ``transaction``, which every writer of the storage opens, or ``commit``) or the end:
        nothing is answered from before a write. A caller writing with the transaction's
        connection itself must not ask ahead."""
        self._drop_ahead()  # what an earlier ask left (a push's commit takes it: none, so far)
        conn = self._local.conn
        hashes = [r.hash for r in records]
        held = [
            conn.execute(f"SELECT hash FROM records WHERE {where}", params)
            for where, params in (self._in("hash", c) for c in _chunks(hashes))
        ]
        signers = list(dict.fromkeys(r.signer for r in records if r.type in CHAINED_TYPES))
        heads = (
            {} if len(signers) > _AHEAD_SIGNERS else {s: conn.execute(_HEAD, [s]) for s in signers}
        )
        names = sorted(prepared.partitions()) if prepared is not None else []
        self._local.ahead = _Ahead(
            (hashes, held),
            heads,
            conn.execute(_SIZE),
            (frozenset(names), log.ask_partition_sizes(conn, names)),
        )

    def _ahead(self) -> _Ahead | None:
        return getattr(self._local, "ahead", None)

    def _drop_ahead(self) -> None:
        ahead = self._ahead()
        if ahead is None:
            return
        self._local.ahead = None
        ahead.read_out()

    @contextmanager
    def snapshot(self) -> Iterator[Any]:
        """Reads that must agree with each other (a head and the partitions it commits to),
        in one read transaction: no lock, a consistent view of the last commit."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        with self._pool.connection() as conn:
            conn.execute(self._read_begin)
            self._local.conn = conn
            try:
                yield conn
            except BaseException:
                self._failed(conn)  # a read of it may be left pending, as in a write's
                raise
            finally:
                self._local.conn = None
                conn.execute("ROLLBACK")

    _read_begin = "BEGIN"

    def _in(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column IN (values)`` and its parameters: on SQLite a placeholder a value (so a
        caller passes a chunk of at most 500); ``PostgresStorage`` passes one array."""
        return f"{column} IN ({', '.join('?' for _ in values)})", list(values)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._connection() as conn:
            return list(conn.execute(sql, params).fetchall())

    def close(self) -> None:
        self._pool.close()

    @staticmethod
    def _size(conn: Any, asked: Any = None) -> int:
        top = (asked if asked is not None else conn.execute(_SIZE)).fetchone()[0]
        return 0 if top is None else int(top) + 1

    def _migrate(self, migrations: Sequence[Sequence[Any]]) -> None:
        """Apply the migrations this database lacks, in one transaction."""
        with self.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY,"
                " applied TEXT NOT NULL)"
            )
            done = {int(r[0]) for r in conn.execute("SELECT version FROM migrations").fetchall()}
            if done and max(done) > len(migrations):
                # An older server would write rows the newer schema's reads miss (a fork
                # without its station): it leaves the database as it is.
                raise NewerSchema(
                    f"it holds schema version {max(done)}, newer than this recap-server's"
                    f" {len(migrations)}: run the recap-server that wrote it (or newer)"
                )
            for version, steps in enumerate(migrations, start=1):
                if version in done:
                    continue
                for step in steps:
                    if callable(step):
                        step(conn)
                    else:
                        conn.execute(step)
                conn.execute(
                    "INSERT INTO migrations (version, applied) VALUES (?, ?)",
                    [version, format_time(datetime.now(UTC))],
                )

    def schema_version(self) -> int:
        rows = self._query("SELECT MAX(version) FROM migrations")
        return int(rows[0][0] or 0)

    def _fill_counters(self, conn: Any) -> None:
        """Migration 2: the counters of what a database already holds."""
        counts: dict[str, int] = {"records": 0, "trust_version": 0}
        for kind, n in conn.execute("SELECT type, COUNT(*) FROM records GROUP BY type").fetchall():
            counts["records"] += int(n)
            if kind in _COUNTED_TYPES:
                counts[_COUNTED_TYPES[kind]] = int(n)
        for table in ("equivocations", "receipts"):
            counts[table] = int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        counts["disputes"] = int(
            conn.execute("SELECT COUNT(*) FROM status WHERE state = ?", [DISPUTED]).fetchone()[0]
        )
        _bump(conn, counts)

    def _fill_totals(self, conn: Any) -> None:
        """Migration 5: the region totals of what a database already holds, counted from
        the stations' states by the rule a push moves them by. A page of stations at a
        time, in code order, each page's changes written before the next is read: a
        national database's 4.1 million states are never all in memory."""
        after: list[str] = ["", ""]
        while True:
            rows = conn.execute(
                'SELECT s.station, s.contest, s.state, h."values" FROM status s'
                " LEFT JOIN sheets h ON h.hash = s.current WHERE (s.station, s.contest) > (?, ?)"
                " ORDER BY s.station, s.contest LIMIT ?",
                [*after, _FILL_PAGE],
            ).fetchall()
            if not rows:
                return
            totals = _Totals(self._in)
            for station, contest, state, values in rows:
                decoded = json.loads(values) if values else None
                totals.count(str(station), str(contest), state, decoded)
            totals.write(conn)
            after = [str(rows[-1][0]), str(rows[-1][1])]

    def recount_totals(self) -> int:
        """The region totals counted again from the stations' states, as migration 5 counts
        them: the operator's repair of a ``totals`` changed outside the server
        (``DamagedStore``). One transaction under the writers' lock (pushes wait for it);
        returns the tallies kept. The stations' states themselves are not restated."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM totals")
            self._fill_totals(conn)
            return int(conn.execute("SELECT COUNT(*) FROM totals").fetchone()[0])

    def _fills(self) -> migrations.Fills:
        return migrations.Fills(self._fill_counters, _fill_fork_stations, self._fill_totals)

    # -- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", [key])
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )

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

    def authority_rows(self, after: int = -1) -> list[tuple[Record, str, int]]:
        """Every authority record (of log index above ``after``) with when it was received
        and its log index, in log order: what the server's trust is built from."""
        kinds = sorted(AUTHORITY_TYPES)
        rows = self._query(
            "SELECT hash, signer, payload, sig, received, idx FROM records"
            f" WHERE type IN ({', '.join('?' for _ in kinds)}) AND idx > ? ORDER BY idx",
            [*kinds, after],
        )
        return [(self._parse(r[:4]), str(r[4]), int(r[5])) for r in rows]

    def held(self, hashes: Iterable[str]) -> set[str]:
        wanted = list(hashes)
        ahead = self._ahead()
        if ahead is not None and ahead.held is not None and ahead.held[0] == wanted:
            cursors, ahead.held = ahead.held[1], None
            return {str(r[0]) for cursor in cursors for r in cursor.fetchall()}
        out: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            where, params = self._in("hash", chunk)
            rows = self._query(f"SELECT hash FROM records WHERE {where}", params)
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
        ahead = self._ahead()
        asked = ahead.heads.pop(signer, None) if ahead is not None else None
        rows = asked.fetchall() if asked is not None else self._query(_HEAD, [signer])
        if not rows:
            return None
        return (int(rows[0][0]), str(rows[0][1]), str(json.loads(rows[0][2]).get("time")))

    def positions(self, hashes: Iterable[str]) -> dict[str, Position]:
        """The log index and received time of each held record of ``hashes``."""
        wanted = list(dict.fromkeys(hashes))
        out: dict[str, Position] = {}
        large: list[str] = []
        for i in range(0, len(wanted), 500):
            where, params = self._in("hash", wanted[i : i + 500])
            rows = self._query(
                f"SELECT hash, {_unless_large('idx')}, {_unless_large('received')}"
                f" FROM records WHERE {where}",
                params,
            )
            for h, n, t in rows:
                if n is None:
                    large.append(str(h))
                else:
                    out[str(h)] = (int(n), _protocol_time(t))
        for h, (n, _sig, t, _name) in self._tails(large).items():
            out[h] = (n, _protocol_time(t))
        return out

    def _tails(self, hashes: Sequence[str]) -> dict[str, _Tail]:
        """(log index, sig, received, partition) of these held rows of ``_LARGE_TYPES``,
        each kept once read unless this thread's write transaction stored it (it may yet
        roll back): any other row read is committed, so its tail is for good."""
        cache = self._tail_cache
        missing = [h for h in hashes if h not in cache]
        fresh = self._fresh()
        read: dict[str, _Tail] = {}
        for chunk in _chunks(missing):
            where, params = self._in("hash", chunk)
            rows = self._query(
                f"SELECT hash, idx, sig, received, partition FROM records WHERE {where}", params
            )
            for h, n, sig, t, name in rows:
                read[str(h)] = tail = (int(n), str(sig), str(t), str(name))
                if str(h) not in fresh:
                    cache[str(h)] = tail
        return {h: cache.get(h) or read[h] for h in hashes if h in cache or h in read}

    def _fresh(self) -> set[str]:
        """The hashes this thread's write transaction stored (empty outside one)."""
        fresh: set[str] | None = getattr(self._local, "fresh", None)
        if fresh is None:
            fresh = self._local.fresh = set()
        return fresh

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
        prepared: Prepared | None = None,
    ) -> tuple[Record, Record, Appended]:
        """Store the admitted records in the log, their projections, the new tree head and
        the receipt in one transaction; returns (head, receipt, what the log did), the head
        and receipt made by ``seal`` once the records have their log positions.

        Rows go in with one ``executemany`` per table, in the batch's order, and each
        (station, contest) the batch touches is restated once, from the final rows: the same
        tables as inserting and restating record by record. ``restate_signers``: keys whose
        standing changed (a certificate, a revocation, a fork): every station they signed
        for is restated too. ``keep_receipt`` False: a push that stored nothing keeps none.
        ``prepared``: the records' rows made ahead (``Prepared``, before the writers' lock);
        a record's not in it are made here.
        """
        parts = [
            prepared.rows(record) if prepared is not None else _rows_of(record)
            for record in records
        ]
        sheets = [m.sheet for m in parts if m.sheet is not None]
        reviews = [m.review for m in parts if m.review is not None]
        touched = {m.key: None for m in parts if m.key is not None}
        rows: list[tuple[Any, ...]] = []
        leaves: list[tuple[str, bytes]] = []
        # Asked ahead in this transaction (``ask_ahead``), taken before its first write.
        ahead, self._local.ahead = self._ahead(), None
        asked_size = ahead.size if ahead is not None else None
        sizes: dict[str, int] | None = None
        if ahead is not None and ahead.partitions[0] >= {m.partition for m in parts}:
            sizes = log.sizes_taken(ahead.partitions[1])
        with self.transaction() as conn:
            # The writers' lock is held from here to the commit: the log's next index is
            # read and taken in the same transaction (one log, no gaps, whichever worker).
            size = self._size(conn, asked_size)
            if ahead is not None:
                ahead.read_out()  # what admission did not take: nothing pending at a write
            for offset, (record, m) in enumerate(zip(records, parts, strict=True)):
                index = size + offset
                name = m.partition
                leaves.append((name, leaf_hash(record.hash, index, name, received)))
                rows.append((*m.record, received, index, name))
            self._fresh().update(record.hash for record in records)
            bulk.insert(conn, "records", _RECORD_COLUMNS, rows)
            # The log's reads are sent now and read after the restatement's, in its round
            # trip (``log.Appending``): neither reads the other's tables.
            appending = log.Appending(conn, size, leaves, sizes)
            bulk.insert(conn, "sheets", _SHEET_COLUMNS, sheets)
            bulk.insert(conn, "reviews", _REVIEW_COLUMNS, reviews)
            signers = list(dict.fromkeys(restate_signers))
            for chunk in _chunks(signers):
                where, params = self._in("signer", chunk)
                for table in ("sheets", "reviews"):
                    for station, contest in conn.execute(
                        f"SELECT DISTINCT station, contest FROM {table} WHERE {where}", params
                    ):
                        touched[(str(station), str(contest))] = None
            totals = _Totals(self._in)
            totals.ask(conn, touched)
            self._restate(
                conn, touched, trust, totals, fresh={r.hash: r for r in records}, first=size
            )
            totals.write(conn)
            appended = appending.done()
            positions = {r.hash: (size + i, received) for i, r in enumerate(records)}
            head, made = seal(positions, appended)
            self._keep_head(conn, head, appended.size)
            if keep_receipt:
                conn.execute(
                    "INSERT INTO receipts (hash, payload, sig) VALUES (?, ?, ?)",
                    [made.hash, made.canonical.decode("utf-8"), made.sig],
                )
            counts = {"records": len(records), "receipts": int(keep_receipt)}
            for record in records:
                kind = _COUNTED_TYPES.get(record.type)
                if kind is not None:
                    counts[kind] = counts.get(kind, 0) + 1
                if record.type in AUTHORITY_TYPES:
                    counts["trust_version"] = 1
            _bump(conn, counts)
        return head, made, appended

    # -- the log ----------------------------------------------------------------------------

    def authority_raw(self, hashes: Sequence[str]) -> list[RawHeld]:
        """The certificates and revocation lists of these hashes, as stored, each once, in
        the order asked; any other hash (not held, or another type) is left out. Read by the
        primary key: a laptop asks only for those a pull page named and it lacks (§9.5)."""
        asked = list(dict.fromkeys(hashes))[:MAX_AUTHORITY_FETCH]
        found: dict[str, RawHeld] = {}
        for chunk in _chunks(asked):
            rows = self._query(
                "SELECT idx, hash, signer, payload, sig, received, partition, NULL FROM records"
                f" WHERE hash IN ({', '.join('?' for _ in chunk)})"
                " AND type IN ('certificate', 'revocations')",
                chunk,
            )
            found.update((str(r[1]), _raw(r)) for r in rows)
        return [found[h] for h in asked if h in found]

    def log_size(self) -> int:
        with self._connection() as conn:
            return self._size(conn)

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
            "INSERT INTO heads (size, hash, record) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [size, head.hash, json.dumps(head.to_json(), sort_keys=True)],
        )

    def partition_states(self) -> dict[str, tuple[int, bytes]]:
        with self._connection() as conn:
            return log.partition_states(conn)

    def partitions_grown(self, first: int, second: int) -> dict[str, tuple[int, bytes]]:
        """The (size, root) of each partition that entries ``first`` to ``second`` (not
        included) went to: what a view catches up with after another worker's pushes."""
        with self._connection() as conn:
            names = [
                str(r[0])
                for r in conn.execute(
                    "SELECT DISTINCT partition FROM records WHERE idx >= ? AND idx < ?",
                    [first, second],
                ).fetchall()
            ]
            out: dict[str, tuple[int, bytes]] = {}
            for chunk in _chunks(names):
                where, params = self._in("partition", chunk)
                for name, size, value in conn.execute(
                    f"SELECT partition, size, root FROM partitions WHERE {where}", params
                ).fetchall():
                    out[str(name)] = (int(size), bytes(value))
            return out

    def log_root(self, size: int) -> bytes:
        with self._connection() as conn:
            return log.root(conn, size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        with self._connection() as conn:
            return log.consistency(conn, first, second)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        with self._connection() as conn:
            return log.inclusion(conn, index, size)

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
            totals = _Totals(self._in)
            self._restate(conn, [(str(st), str(c)) for st, c in keys], trust, totals)
            totals.write(conn)

    def _restate(
        self,
        conn: Any,
        keys: Iterable[tuple[str, str]],
        trust: Trust,
        totals: _Totals,
        *,
        fresh: Mapping[str, Record] | None = None,
        first: int = _NO_INDEX,
    ) -> None:
        """The state of each (station, contest) of ``keys`` again, by the same rule as every
        laptop (domain.status, protocol.standing): a disagreement is a dispute; a record whose
        signer may not count it is set aside and shown. The region totals move in
        ``totals``, which the caller writes before its transaction ends.

        Read and written a chunk of stations at a time: one query per table and one
        ``executemany`` of the states, not four statements per station (on PostgreSQL each
        was a round trip under the writers' lock, ~1.7 ms a sheet of a push).

        ``fresh``: the records the caller just inserted, at log indexes ``first`` and on (a
        push's batch), as the push parsed them: their payloads and values are taken from
        here, not read back and json-decoded again (half of a push's restate, under the
        lock). Every other row is read from the database as before."""
        mandates, revoked, forks = trust.mandates, trust.revoked, trust.forks
        fresh = fresh or {}
        claims: dict[str, datetime] = {}  # the times a chunk's records share, parsed once
        seens: dict[str, datetime] = {}

        def stand(
            kind: str, station: str, signer: str, seq: int, time: str, received: str, at: int
        ) -> str | None:
            try:
                claimed = claims.get(time)
                if claimed is None:
                    claimed = claims[time] = parse_time(time, "time")
                seen = seens.get(received)
                if seen is None:
                    seen = seens[received] = parse_received(received)
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

        ordered = list(dict.fromkeys((str(st), str(c)) for st, c in keys))
        disputes = 0
        for at in range(0, len(ordered), 500):
            chunk = ordered[at : at + 500]
            stations = list(dict.fromkeys(st for st, _ in chunk))
            where, params = self._in("station", stations)
            versions: dict[tuple[str, str], list[SheetVersion]] = {k: [] for k in chunk}
            # The three reads are sent before any is read: pipelined on PostgreSQL (a small
            # push's transaction), one round trip under the writers' lock, not three.
            # A fresh record's payload and values are not read (NULL): they are in memory.
            sheet_rows = conn.execute(
                "SELECT s.station, s.contest, s.hash, s.signer, s.seq, s.supersedes,"
                ' CASE WHEN r.idx >= ? THEN NULL ELSE s."values" END,'
                " CASE WHEN r.idx >= ? THEN NULL ELSE r.payload END, r.received, r.idx"
                " FROM sheets s JOIN records r ON r.hash = s.hash"
                f" WHERE s.{where}",
                [first, first, *params],
            )
            review_rows = conn.execute(
                "SELECT v.station, v.contest, v.hash, v.sheet, v.signer, v.seq, v.decision,"
                " CASE WHEN r.idx >= ? THEN NULL ELSE r.payload END, v.time, r.received, r.idx"
                " FROM reviews v JOIN records r ON r.hash = v.hash"
                f" WHERE v.{where}",
                [first, *params],
            )
            status_rows = conn.execute(
                'SELECT s.station, s.contest, s.state, s.current, h."values" FROM status s'
                f" LEFT JOIN sheets h ON h.hash = s.current WHERE s.{where}",
                params,
            )
            for r in sheet_rows:
                mine = versions.get((str(r[0]), str(r[1])))
                if mine is None:
                    continue  # another contest of the station, not restated
                if r[7] is None:
                    p = fresh[r[2]].payload
                    when, values = str(p.get("time")), p["values"]
                else:
                    when, values = str(json.loads(r[7]).get("time")), json.loads(r[6])
                mine.append(
                    SheetVersion(
                        r[2],
                        r[3],
                        r[4],
                        r[5],
                        values,
                        stand("sheet", str(r[0]), r[3], r[4], when, r[8], r[9]),
                    )
                )
            reviews: dict[tuple[str, str], list[Review]] = {k: [] for k in chunk}
            for r in review_rows:
                found = reviews.get((str(r[0]), str(r[1])))
                if found is None:
                    continue
                named = (fresh[r[2]].payload if r[7] is None else json.loads(r[7])).get("overrides")
                found.append(
                    Review(
                        r[2],
                        r[3],
                        r[4],
                        r[5],
                        r[6],
                        overrides({"overrides": named or []}),
                        stand("review", str(r[0]), r[4], r[5], r[8], r[9], r[10]),
                    )
                )
            befores = {(str(r[0]), str(r[1])): (r[2], r[3], r[4]) for r in status_rows}
            states: list[tuple[str, str, str, str | None, str]] = []
            for station, contest in chunk:
                mine = versions[(station, contest)]
                state = sheet_state(mine, reviews[(station, contest)])
                states.append(
                    (
                        station,
                        contest,
                        state.state,
                        state.current,
                        json.dumps(list(state.attention)) if state.attention else "[]",
                    )
                )
                # The projections (region totals, the disputes counter) move by the difference.
                before = befores.get((station, contest))
                if before is not None and (before[0], before[1]) == (state.state, state.current):
                    continue
                values = {v.hash: v.values for v in mine}.get(state.current or "")
                if before is None:
                    totals.count(station, contest, state.state, values)  # a station's first
                else:
                    delta = _contribution(state.state, values)
                    old = json.loads(before[2]) if before[2] is not None else None
                    for key, n in _contribution(before[0], old).items():
                        delta[key] = delta.get(key, 0) - n
                    totals.add(station, contest, delta, 1)
                was = before is not None and before[0] == DISPUTED
                disputes += int(state.state == DISPUTED) - int(was)
            bulk.upsert(
                conn,
                "status",
                _STATUS_COLUMNS,
                states,
                "(station, contest) DO UPDATE SET state = excluded.state,"
                " current = excluded.current, attention = excluded.attention",
            )
        _bump(conn, {"disputes": disputes})

    def record_fork(self, fork: Fork, received: str) -> None:
        """Keep both records of a signer's fork as evidence (the offered one is refused)."""
        with self.transaction() as conn:
            # RETURNING, not rowcount: a pipelined push's rowcount is unknown until a read.
            added = conn.execute(
                "INSERT INTO equivocations (signer, seq, held, offered, record,"
                " received, station) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
                " RETURNING signer",
                [
                    fork.signer,
                    fork.seq,
                    fork.held.hash,
                    fork.offered.hash,
                    json.dumps(fork.offered.to_json(), sort_keys=True),
                    received,
                    _fork_station(fork.offered),
                ],
            ).fetchone()
            if added is not None:
                _bump(conn, {"equivocations": 1, "trust_version": 1})

    def forks(self) -> dict[str, int]:
        """Signer -> the first place its chain forked, from the evidence kept."""
        return {
            str(s): int(q)
            for s, q in self._query("SELECT signer, MIN(seq) FROM equivocations GROUP BY signer")
        }

    def evidence(self, jurisdiction: str) -> list[tuple[Record, Record]]:
        """The forks (held record, offered record) of stations within a region."""
        # The station itself, and those below it: "32.01" holds "32.01.xx", whose codes sort
        # between "32.01." and "32.01/" ('/' follows '.'), by the index on station.
        out = []
        for held_hash, offered in self._query(
            "SELECT held, record FROM equivocations WHERE station = ? OR"
            " (station > ? AND station < ?) ORDER BY id",
            [jurisdiction, jurisdiction + ".", jurisdiction + "/"],
        ):
            first = self.record(str(held_hash))
            if first is not None:
                out.append((first, from_json(json.loads(offered))))
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
        self,
        ranges: Sequence[tuple[str, str]] | None,
        since: int,
        limit: int,
        upto: int,
        bodies: bool = True,
        names: Sequence[str] | None = None,
    ) -> list[RawHeld]:
        """The same entries as ``pull``, as stored: every one was verified when it came in,
        and the laptop verifies each again, so a page needs no parsing here. Without
        ``bodies`` an authority record's payload is not read (None, ``named`` saying how the
        page names it): a pull page names packages, certificates and revocation lists by
        hash, and a laptop fetches only those it lacks, apart (PROTOCOL §9.5). ``names``:
        the partitions in ``ranges`` as of ``upto`` when the caller knows them (the
        server's view: ``Summary.within``), else read from the partitions table."""
        if bodies:
            payload, named, sig, received = "payload", "NULL", "sig", "received"
        else:
            kinds = " ".join(f"WHEN '{t}' THEN '{k}'" for t, k in NAMED_TYPES.items())
            named = f"CASE type {kinds} END"
            payload = f"CASE WHEN type IN ({_NAMED_IN}) THEN NULL ELSE payload END"
            sig, received = _unless_large("sig"), _unless_large("received")
        # Read from the table (no index holds it) when the log is read by index alone.
        partition = _unless_large("partition") if ranges is None and not bodies else "partition"
        columns = (
            f"SELECT idx, hash, signer, {payload}, {sig}, {received}, {partition}, {named}"
            " FROM records"
        )
        if ranges is None:
            rows = self._query(
                f"{columns} WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?", [since, upto, limit]
            )
            return self._raws(rows)
        if names is None:
            names = self._partitions_in(ranges)
        if len(names) > MAX_SEEKS:
            # A jurisdiction of many partitions (a province): one pass over the log from the
            # cursor, which the last page moves to the head's size (so it never scans twice).
            either = " OR ".join("partition = ?" for _ in names)
            rows = self._query(
                f"{columns} WHERE idx >= ? AND idx < ? AND ({either}) ORDER BY idx LIMIT ?",
                [since, upto, *names, limit],
            )
            return self._raws(rows)
        # One index seek per partition (records_partition: partition, idx): a pull costs what
        # it returns, however large the nation's log beside it.
        found: list[tuple[Any, ...]] = []
        with self._connection() as conn:
            for name in names:
                found += conn.execute(
                    f"{columns} WHERE partition = ? AND idx >= ? AND idx < ? ORDER BY idx LIMIT ?",
                    [name, since, upto, limit],
                ).fetchall()
        found.sort(key=lambda r: int(r[0]))
        return self._raws(found[:limit])

    def _raws(self, rows: Sequence[Sequence[Any]]) -> list[RawHeld]:
        """``_raw`` of each row, the sig and received time of a large one (read as NULL, its
        body unread: see ``_LARGE_TYPES``) from ``_tails``."""
        large = [str(r[1]) for r in rows if r[5] is None]
        tails = self._tails(large) if large else {}
        out = []
        for r in rows:
            if r[5] is None:
                _index, sig, received, partition = tails[str(r[1])]
                r = (*r[:4], sig, received, partition, *r[7:])
            out.append(_raw(r))
        return out

    def _partitions_in(self, ranges: Sequence[tuple[str, str]]) -> list[str]:
        """The partitions of the log whose names lie in the half-open ``ranges``. Names hold
        no NUL (digits and dots), so a bound P + NUL + ... (a range that holds P alone, or a
        hostile jurisdiction) compares with every name as P does, and PostgreSQL never sees
        a NUL."""
        names: dict[str, None] = {}
        for lo, hi in ranges:
            low_op, low = (">", lo[: lo.index("\x00")]) if "\x00" in lo else (">=", lo)
            high_op, high = ("<=", hi[: hi.index("\x00")]) if "\x00" in hi else ("<", hi)
            if low_op == ">=" and high_op == "<=" and low == high:
                rows = self._query("SELECT partition FROM partitions WHERE partition = ?", [low])
            else:
                rows = self._query(
                    f"SELECT partition FROM partitions WHERE partition {low_op} ?"
                    f" AND partition {high_op} ? ORDER BY partition",
                    [low, high],
                )
            names.update((str(r[0]), None) for r in rows)
        return list(names)

    def stats(self) -> dict[str, int]:
        """Counts kept on insert (the counters table): no scan, whatever the log's size."""
        held = {str(k): int(n) for k, n in self._query("SELECT name, n FROM counters")}
        names = ("records", *_COUNTED_TYPES.values(), "disputes", "equivocations", "receipts")
        return {name: held.get(name, 0) for name in names}

    def trust_version(self) -> int:
        """Bumped by every authority record and fork evidence stored: a worker whose trust
        was built at another version reads what is new."""
        rows = self._query("SELECT n FROM counters WHERE name = 'trust_version'")
        return int(rows[0][0]) if rows else 0

    def newest_head_hash(self) -> str | None:
        """The newest head's hash: one index probe, for a worker to see whether its view of
        the log is the database's."""
        rows = self._query("SELECT hash FROM heads ORDER BY size DESC, rowid DESC LIMIT 1")
        return str(rows[0][0]) if rows else None

    def newest(self) -> tuple[str | None, int]:
        """``newest_head_hash()`` and ``trust_version()`` in one statement: what a push
        asks first under the writers' lock, one round trip there instead of two."""
        rows = self._query(
            "SELECT (SELECT hash FROM heads ORDER BY size DESC, rowid DESC LIMIT 1),"
            " (SELECT n FROM counters WHERE name = 'trust_version')"
        )
        head, version = rows[0]
        return (None if head is None else str(head)), (0 if version is None else int(version))

    def all_totals(self, contest: str) -> dict[str, tuple[dict[str, int], int, dict[str, int]]]:
        """What ``totals`` gives, for every region holding a station of the contest, from the
        projection kept on insert (``totals``)."""
        out: dict[str, tuple[dict[str, int], int, dict[str, int]]] = {}
        rows = self._query(
            "SELECT region, tally FROM totals WHERE contest = ? ORDER BY region", [contest]
        )
        for region, tally in rows:
            found = _unpack(_tally(region, contest, tally).items())
            if found[2]:
                out[str(region)] = found
        return out

    def totals(self, prefix: str, contest: str) -> tuple[dict[str, int], int, dict[str, int]]:
        """(sums over counted sheets, stations counted, stations per state) within a region:
        the projection's few rows; a station (no region above nothing) from its own row."""
        rows = self._query(
            "SELECT tally FROM totals WHERE region = ? AND contest = ?", [prefix, contest]
        )
        if rows:
            return _unpack(_tally(prefix, contest, rows[0][0]).items())
        own = self._query(
            'SELECT s.state, h."values" FROM status s LEFT JOIN sheets h ON h.hash = s.current'
            " WHERE s.contest = ? AND s.station = ?",
            [contest, prefix],
        )
        if not own:
            return {}, 0, {}
        state, values = own[0]
        return _unpack(list(_contribution(state, json.loads(values) if values else None).items()))


def _fork_station(offered: Record) -> str | None:
    """The station a fork's evidence is served for (None: a record of no station)."""
    station = place_of(offered.type, offered.payload)
    return station if isinstance(station, str) else None


def _fill_fork_stations(conn: Any) -> None:
    """Migration 4: the station of the forks a database already holds."""
    rows = conn.execute("SELECT id, record FROM equivocations").fetchall()
    for id_, text in rows:
        station = _fork_station(from_json(json.loads(text)))
        conn.execute("UPDATE equivocations SET station = ? WHERE id = ?", [station, id_])


def _unpack(pairs: Iterable[tuple[str, int]]) -> tuple[dict[str, int], int, dict[str, int]]:
    sums: dict[str, int] = {}
    states: dict[str, int] = {}
    counted = 0
    for key, n in pairs:
        if key == "counted":
            counted = n
        elif key.startswith("f:"):
            sums[key[2:]] = n
        elif key.startswith("s:") and n:
            states[key[2:]] = n
    return (sums if counted else {}), counted, states


_NAMED_IN = ", ".join(f"'{t}'" for t in NAMED_TYPES)


# A page is written from these texts without re-encoding them (app._entry): each must be
# plain (lowercase hex, a region code). The admission rule stores nothing else, so a row that
# is not was edited behind the server, and one quote or newline would break every page.
_PLAIN_TEXT = re.compile(r"[0-9a-f.:TZ-]*")  # and a protocol time's characters


def _raw(r: Sequence[Any]) -> RawHeld:
    held = RawHeld(
        int(r[0]),
        str(r[1]),
        str(r[2]),
        None if r[3] is None else str(r[3]),
        str(r[4]),
        _protocol_time(r[5]),
        str(r[6]),
        None if len(r) < 8 or r[7] is None else str(r[7]),
    )
    if not _PLAIN_TEXT.fullmatch(
        held.hash + held.signer + held.sig + held.partition + held.received
    ):
        raise DamagedStore(
            f"the log's entry {held.index} has a hash, signer, signature, partition or time"
            " that is not plain: the database was changed outside the server; restore it from"
            " a backup"
        )
    return held


_COUNTED_TYPES = {
    "sheet": "sheets",
    "review": "reviews",
    "certificate": "certificates",
    "election": "packages",
    "revocations": "revocation_lists",
}


def _bump(conn: Any, deltas: Mapping[str, int]) -> None:
    bulk.upsert(
        conn,
        "counters",
        (("name", "text"), ("n", "bigint")),
        [(k, v) for k, v in deltas.items() if v],
        "(name) DO UPDATE SET n = counters.n + excluded.n",
    )


# The columns of the rows ``commit`` inserts (``Rows``), and of the states ``_restate`` keeps.
_RECORD_COLUMNS = (
    "hash",
    "type",
    "signer",
    "seq",
    "station",
    "payload",
    "sig",
    "received",
    "idx",
    "partition",
)
_SHEET_COLUMNS = ("hash", "station", "contest", "signer", "seq", "supersedes", '"values"')
_REVIEW_COLUMNS = ("hash", "sheet", "station", "contest", "signer", "seq", "time", "decision")
_STATUS_COLUMNS = (
    ("station", "text"),
    ("contest", "text"),
    ("state", "text"),
    ("current", "text"),
    ("attention", "text"),
)


# A sheet's values as its sheets row keeps them: JSON, keys sorted, read back as any JSON is.
# msgspec: ~4 x less CPU than json's encoder with sort_keys, for every sheet a push stores.
_VALUES = msgspec.json.Encoder(order="sorted")
# A row of ``totals``: a JSON object of keys to integers, read and written under the writers'
# lock for every region and contest a push moves (msgspec: ~5 x less than json's, here).
_TALLY_READ = msgspec.json.Decoder(dict[str, int])
RECOUNT = "recap-server --data-dir DIR [--database URL] --recount-totals"  # the serving ones


def _tally(region: Any, contest: Any, text: Any) -> dict[str, int]:
    """A tally as stored: a JSON object of whole numbers, which only the server writes."""
    try:
        return _TALLY_READ.decode(text)
    except (msgspec.DecodeError, TypeError) as exc:  # not JSON, not a map of integers, NULL
        raise DamagedStore(
            f"the totals of region {region}, contest {contest} in the server's database are"
            f" not what the server wrote ({exc}): it was changed outside the server. Count"
            f" them again from the stations' states: {RECOUNT}"
        ) from exc


_FIELD_KEYS: dict[str, str] = {}  # field -> its key in a tally, "f:" + field


def _contribution(state: str | None, values: Mapping[str, Any] | None) -> dict[str, int]:
    """What one station's state adds to each region above it (see migrations.V2, V5)."""
    if state is None:
        return {}
    out = {f"s:{state}": 1}
    if state in COUNTED and values is not None:
        out["counted"] = 1
        for field, value in values.items():
            out[f"f:{field}"] = int(value)
    return out


def _regions_above(code: str) -> list[str]:
    """Every region above ``code``, the widest first ("32.01.05" -> "32", "32.01")."""
    parts = code.split(".")
    return [".".join(parts[:depth]) for depth in range(1, len(parts))]


class _Totals:
    """Changes to the region totals gathered over many stations and written when the
    transaction ends: a push of 500 sheets of one district moves a row a region and
    contest, a few dozen, not one a station and region. Changes are summed per village (the
    region right above a station), then carried to every region above it. A key is kept
    wherever one change alone would have written it (a field's zero; a state that came and
    went), so a tally ends exactly as with a statement per station.

    The tallies are read, summed here and written back. Only ever under the writers' lock
    (every writer of ``totals`` holds it), so nothing moves a tally between the read and the
    write. A JSON object a row, summed in Python, rather than one SQL statement that adds
    two objects: that statement is not the same text on SQLite and PostgreSQL. ``within``:
    the storage's ``_in``."""

    def __init__(self, within: Callable[[str, Sequence[Any]], tuple[str, list[Any]]]) -> None:
        self.villages: dict[tuple[str, str], dict[str, int]] = {}
        self.within = within
        self.asked: tuple[set[str], set[str], list[Any]] | None = None

    def add(self, station: str, contest: str, delta: Mapping[str, int], sign: int) -> None:
        village, dot, _ = station.rpartition(".")
        if not dot:
            return  # a code with no region above it
        # A field's zero counts (it is in the sums once a sheet with it counts).
        moved = [(k, sign * v) for k, v in delta.items() if v or k.startswith("f:")]
        if moved:
            sums = self.villages.setdefault((village, contest), {})
            for key, n in moved:
                sums[key] = sums.get(key, 0) + n

    def count(
        self, station: str, contest: str, state: str | None, values: Mapping[str, Any] | None
    ) -> None:
        """``add(station, contest, _contribution(state, values), 1)`` without the dict in
        between: a station's first state, what most of a push's stations get (every key of
        a contribution moves: its states and counts are 1, its fields are kept at zero)."""
        village, dot, _ = station.rpartition(".")
        if not dot or state is None:
            return
        sums = self.villages.setdefault((village, contest), {})
        key = "s:" + state
        sums[key] = sums.get(key, 0) + 1
        if state in COUNTED and values is not None:
            sums["counted"] = sums.get("counted", 0) + 1
            for field, value in values.items():
                key = _FIELD_KEYS.get(field) or _FIELD_KEYS.setdefault(field, "f:" + field)
                sums[key] = sums.get(key, 0) + int(value)

    def ask(self, conn: Any, keys: Iterable[tuple[str, str]]) -> None:
        """Send the read of every tally the stations of ``keys`` may move, not read yet:
        sent before the restatement's reads, in a pipelined transaction on PostgreSQL (a
        push of fewer than ``bulk.COPY_FROM`` records, a steady sync's) it goes in their
        round trip instead of one of its own under the lock. (A larger push's statements
        each wait for their answer: this read is a round trip of its own there.)"""
        regions: set[str] = set()
        contests: set[str] = set()
        for station, contest in keys:
            contests.add(contest)
            regions.update(_regions_above(station))
        self.asked = (regions, contests, self._read(conn, regions, contests))

    def _read(self, conn: Any, regions: set[str], contests: set[str]) -> list[Any]:
        """The cursors of the tallies of ``regions`` x ``contests``, not read yet."""
        named, more = self.within("contest", sorted(contests))
        out = []
        for chunk in _chunks(sorted(regions), max(100, 500 - len(contests))):
            where, params = self.within("region", chunk)
            out.append(
                conn.execute(
                    f"SELECT region, contest, tally FROM totals WHERE {where} AND {named}",
                    [*params, *more],
                )
            )
        return out

    def write(self, conn: Any) -> None:
        """Add the changes to the tallies held, and write them back."""
        moved: dict[tuple[str, str], dict[str, int]] = {}
        for (village, contest), sums in self.villages.items():
            for region in [*_regions_above(village), village]:
                tally = moved.setdefault((region, contest), {})
                for key, n in sums.items():
                    tally[key] = tally.get(key, 0) + n
        self.villages = {}
        regions, contests, cursors = self.asked or (set(), set(), [])
        self.asked = None
        unasked = [(r, c) for r, c in moved if r not in regions or c not in contests]
        if unasked:  # never a tally moved that was not read: it would be overwritten
            cursors += self._read(conn, {r for r, _ in unasked}, {c for _, c in unasked})
        held: dict[tuple[str, str], dict[str, int]] = {}
        for cursor in cursors:
            for region, contest, tally in cursor.fetchall():
                held[(str(region), str(contest))] = _tally(region, contest, tally)
        if not moved:
            return
        rows = []
        for at, tally in sorted(moved.items()):
            now = held.get(at, {})
            for key, n in tally.items():
                now[key] = now.get(key, 0) + n
            rows.append((*at, msgspec.json.encode(now, order="sorted").decode()))
        bulk.upsert(
            conn,
            "totals",
            (("region", "text"), ("contest", "text"), ("tally", "text")),
            rows,
            "(region, contest) DO UPDATE SET tally = excluded.tally",
        )


class _SqliteConnection(sqlite3.Connection):
    broken = False  # set by ``SqliteStorage._failed``: the pool then closes it


class SqliteStorage(SqlStorage):
    """One SQLite file in WAL mode: the embedded default. A connection per thread in use;
    BEGIN IMMEDIATE is the writers' lock."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(self._connect)
        with self._connection() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        if self.path.stat().st_mode & 0o077:
            self.path.chmod(0o600)  # SQLite gives the -wal and -shm files the same mode
        self._migrate(migrations.sqlite_migrations(self._v1, self._fills()))

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            check_same_thread=False,
            isolation_level=None,
            timeout=60,
            factory=_SqliteConnection,
        )
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def _begin(self, conn: Any) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def _failed(self, conn: Any) -> None:
        """The pool closes the connection instead of lending it again. A failure may leave
        a statement of it pending (a read sent before it and not read yet, such as
        ``_Totals.ask``'s), and a pending statement outlives the rollback with its read
        snapshot: once another connection wrote, this one could never become the writer
        again ("database is locked" at once, every push after). sqlite3 has no call that
        resets every statement of a connection; closing it does."""
        conn.broken = True

    def _v1(self, conn: Any) -> None:
        """Version 1: the tables as they were before migrations were numbered (an old server
        folder gains the columns added since, and its records enter the log)."""
        for statement in migrations.SQLITE_V1:
            conn.execute(statement)
        for table, column, definition in migrations.SQLITE_V1_COLUMNS:
            have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        for statement in migrations.SQLITE_V1_LATE:
            conn.execute(statement)
        self._log_records_before_the_log(conn)

    def _log_records_before_the_log(self, conn: Any) -> None:
        """A server folder from before the log: its records enter the log in the order they
        were stored (inside the opening transaction)."""
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
        conn.execute(migrations._NO_UPDATE)
        log.append(conn, size, leaves)


class PostgresStorage(SqlStorage):
    """A PostgreSQL database (psycopg 3): the server at national scale, any number of
    workers. The writers' lock is an advisory lock held to the end of the transaction."""

    dialect = "postgresql"
    _read_begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    # A transaction's BEGIN, lock, probe and COMMIT are round trips under the writers' lock,
    # which pushes admitted together share: 14-29 % more laptops finished a national surge
    # and the server's CPU a sheet was 26-28 % less (docs/PERFORMANCE.md, run M). SQLite's
    # cost little, and its one process did worse grouped (runs M and N): each push alone.
    groups_pushes = True

    # The planner's statistics, gathered as pushes grow the tables (recap_server/statistics.py).
    statistics: StatisticsKeeper | None = None

    def __init__(
        self, url: str, pool_size: int = POOL_SIZE, statistics_every: float = STATISTICS_EVERY
    ) -> None:
        import psycopg  # only a server at scale needs it: the `server` extra

        self.url = url
        self._psycopg = psycopg
        super().__init__(self._connect, pool_size)
        self._migrate(migrations.pg_migrations(self._fills()))
        self.statistics = StatisticsKeeper(self._connect, self._query, every=statistics_every)

    def close(self) -> None:
        if self.statistics is not None:
            self.statistics.close()
        super().close()

    def _connect(self) -> _PgConnection:
        return _PgConnection(self._psycopg.connect(self.url, autocommit=True))

    def _in(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """One array, not a parameter a value: one statement text whatever the count, which
        psycopg prepares once used often enough, and 2-3 x less for the server to parse
        and plan than 500 parameters (a push's held, positions and restate reads)."""
        return f"{column} = ANY(?)", [list(values)]

    def _begin(self, conn: Any) -> None:
        conn.execute("BEGIN")
        conn.execute("SELECT pg_advisory_xact_lock(?)", [WRITERS_LOCK])

    @staticmethod
    def _pipeline(conn: Any) -> AbstractContextManager[Any]:
        return conn.pipelined()


def open_storage(database: str | Path) -> SqlStorage:
    """The storage a ``--database`` names: ``postgresql://...`` (or ``postgres://``), else
    the path of a SQLite file (``sqlite:///PATH`` too)."""
    path = sqlite_path(database)
    return PostgresStorage(str(database)) if path is None else SqliteStorage(path)


def sqlite_path(database: str | Path) -> Path | None:
    """The SQLite file a ``--database`` names, or None where it names PostgreSQL."""
    text = str(database)
    if text.startswith(("postgresql://", "postgres://")):
        return None
    if text.startswith("sqlite:///"):  # sqlite:///relative, sqlite:////absolute
        text = text[len("sqlite:///") :]
    return Path(text)


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
