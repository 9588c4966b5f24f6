"""PostgreSQL's planner statistics of the server's tables, kept by the server as they grow.

PostgreSQL plans each query from its statistics of the tables, which ANALYZE gathers. A table
never analyzed has none, and the planner guesses. For a push's reads by key (``station =
ANY(?)``, joined to ``records`` by hash) it guessed thousands of rows where there are five.
So it planned a parallel scan, starting worker processes for every push, or a hash join of
the whole ``sheets`` table spilled to disk. Those ran under the writers' lock that every
worker waits for. A national surge without statistics stored 630 sheets a second at 3,299
µs of CPU a sheet; with this module, 1,119 at 1,683 µs (docs/PERFORMANCE.md, runs L1 and L3).

Autovacuum gathers statistics, but it may be off: this project's CI database has it off.
(Where it was on, the server did about as well without this module: run L7.) It also looks
only once a minute, while a national surge fills the tables from empty within that minute.
So each server process looks
every ``every`` seconds, with one query of PostgreSQL's own counters. It ANALYZEs each table
of its schema whose live rows have reached twice the rows of its last statistics (and at
least ``least``). That is about a dozen times a table over a whole count.

ANALYZE reads a sample of bounded size whatever the table's size. Its lock (SHARE UPDATE
EXCLUSIVE) makes no read or write of rows wait; it waits for, and holds back, only VACUUM,
another ANALYZE, CREATE INDEX and changes of a table's definition (a newer server's
migration), and gives up after ``LOCK_TIMEOUT`` to try again at the next look. It runs on a
connection of its own, never under the writers' lock, in one process of a schema at a time:
an advisory lock, and the other processes skip their turn while it is taken. Only tables
the database user owns are analyzed (PostgreSQL skips the others with a mere warning); a
grown table it does not own is logged once. After a crash PostgreSQL's counters start from
zero while ``reltuples`` stays, so the next ANALYZE waits until the rows inserted since
reach twice it. This is our own code because no library does it: autovacuum is the
database's answer, and the server cannot count on it being on.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

_log = logging.getLogger(__name__)

EVERY = 10.0  # seconds between looks at the counters
LEAST = 1000  # live rows a table holds before its first ANALYZE
LOCK_TIMEOUT = "5s"  # ANALYZE's wait for its table lock (a VACUUM, an index being built)
# One process of a schema ANALYZEs at a time: pg_try_advisory_lock(LOCK, the schema's hash),
# the session's. Two int4 keys ("stat"), apart from the writers' lock's one int8.
LOCK = 0x73746174
_LOCK_KEY = "?, hashtext(current_schema())"

# The tables of this schema whose live rows reached twice their last statistics'
# (``reltuples``: -1 while never analyzed; VACUUM and CREATE INDEX set it too), and at least
# ``?``; and whether this user may ANALYZE them (owns them, or is a member of their owner).
_GROWN = (
    "SELECT s.schemaname, s.relname, pg_has_role(c.relowner, 'USAGE')"
    " FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
    " WHERE s.schemaname = current_schema() AND s.n_live_tup >= GREATEST(?, 2 * c.reltuples)"
    " ORDER BY s.relname"
)

Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


def _weakly(method: Callable[..., Any]) -> Callable[[], Any]:
    """A bound method held weakly (None once its object is gone); a function as it is."""
    try:
        return weakref.WeakMethod(method)
    except TypeError:
        return lambda: method


class StatisticsKeeper:
    """A daemon thread that ANALYZEs the tables a server's pushes grow (see the module)."""

    def __init__(
        self, connect: Callable[[], Any], query: Query, *, every: float = EVERY, least: int = LEAST
    ) -> None:
        """``connect``: a new connection (a ``_PgConnection``) for ANALYZE and its lock;
        ``query``: a read on a pooled connection, for the counters. Both are methods of the
        storage, held weakly: a storage nobody closed is still collected (its connections
        with it), and the thread then ends."""
        self._connect = _weakly(connect)
        self._query = _weakly(query)
        self.every, self.least = every, least
        self._stop = threading.Event()
        self._said: str | None = None  # the last failure logged, not repeated every look
        self._unowned: set[str] = set()  # grown tables not ours to analyze, logged once
        self._thread = threading.Thread(target=self._run, name="recap-statistics", daemon=True)
        self._thread.start()

    def keep(self) -> list[str]:
        """ANALYZE the tables grown since their last statistics; returns their names (none
        when another process of the server holds the turn, or the storage is gone)."""
        query = self._query()
        if query is None or not self._ours(query(_GROWN, [self.least])):
            return []
        connect = self._connect()
        if connect is None:
            return []
        from psycopg import sql

        conn = connect()
        try:
            if not conn.execute(f"SELECT pg_try_advisory_lock({_LOCK_KEY})", [LOCK]).fetchone()[0]:
                return []
            # Asked again under the lock: another process may have analyzed them meanwhile.
            grown = self._ours(conn.execute(_GROWN, [self.least]).fetchall())
            if grown:
                conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
                names = sql.SQL(", ").join(sql.Identifier(*name) for name in grown)
                conn.raw.execute(sql.SQL("ANALYZE {}").format(names))
        finally:
            conn.close()  # the advisory lock is the session's: it ends with it
        tables = [table for _, table in grown]
        if tables:
            _log.info("planner statistics gathered of %s", ", ".join(tables))
        return tables

    def _ours(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[str, str]]:
        """The (schema, table) pairs of ``rows`` this user may analyze; the others logged."""
        unowned = {str(table) for _, table, owned in rows if not owned} - self._unowned
        if unowned:
            self._unowned |= unowned
            _log.warning(
                "the planner's statistics of %s cannot be gathered: the database user does not"
                " own them (docs/ARCHITECTURE.md, Deployment)",
                ", ".join(sorted(unowned)),
            )
        return [(str(schema), str(table)) for schema, table, owned in rows if owned]

    def _run(self) -> None:
        # The first look after ``every``, not at once: the short commands that open a
        # storage for seconds (``--request``, ``--certificate``, a ``--workers`` parent's
        # set-up) never start an ANALYZE that their ``close()`` would then wait for.
        while not self._stop.wait(self.every) and self._query() is not None:
            try:
                self.keep()
                self._said = None
            except Exception as exc:  # the database down, a lock timed out: look again later
                if str(exc) != self._said:
                    _log.warning("the planner's statistics were not gathered: %s", exc)
                    self._said = str(exc)

    def close(self) -> None:
        """Stop looking; an ANALYZE under way is waited for (a bounded sample: seconds)."""
        self._stop.set()
        self._thread.join(timeout=60)
        if self._thread.is_alive():
            _log.warning("an ANALYZE of the planner's statistics is still running; not waited for")
