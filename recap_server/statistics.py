"""PostgreSQL's planner statistics of the server's tables, kept by the server as they grow.

PostgreSQL plans each query from its statistics of the tables, which ANALYZE gathers. A table
never analyzed has none, and the planner guesses. For a push's reads by key (``station =
ANY(?)``, joined to ``records`` by hash) it guessed thousands of rows where there are five.
So it planned a parallel scan, starting worker processes for every push, or a hash join of
the whole ``sheets`` table spilled to disk. Those ran under the writers' lock that every
worker waits for. A national surge without statistics stored 630 sheets a second at 3,299
µs of CPU a sheet; with this module, 1,119 at 1,683 µs (docs/PERFORMANCE.md, runs L1 and L3).

Autovacuum gathers statistics, but it may be off: this project's CI database has it off.
Where it is on, it looks once a minute and waits for 10 % of a table to change, while a
national surge fills the tables from empty within that minute. So each server process looks
every ``every`` seconds, with one query of PostgreSQL's own counters. It ANALYZEs each table
of its schema whose live rows have reached twice the rows of its last statistics (and at
least ``least``). That is about a dozen times a table over a whole count.

ANALYZE reads a sample of bounded size whatever the table's size. Its lock (SHARE UPDATE
EXCLUSIVE) makes no read or write wait. It runs on a connection of its own, never under the
writers' lock, and in one process at a time: an advisory lock, which the others skip that
turn for. This is our own code because no library does it: autovacuum is the database's
answer, and here it is either off or too slow for the first minute of a surge.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

_log = logging.getLogger(__name__)

EVERY = 10.0  # seconds between looks at the counters
LEAST = 1000  # live rows a table holds before its first ANALYZE
# One process ANALYZEs at a time (pg_try_advisory_lock, the session's); "stats".
LOCK = 0x7374617473

# Tables of this schema whose live rows reached twice their last statistics' (``reltuples``,
# -1 while never analyzed, and set by VACUUM and CREATE INDEX too), and at least ``?``.
_GROWN = (
    "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
    " WHERE s.schemaname = current_schema() AND s.n_live_tup >= GREATEST(?, 2 * c.reltuples)"
    " ORDER BY s.relname"
)

Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


class StatisticsKeeper:
    """A daemon thread that ANALYZEs the tables a server's pushes grow (see the module)."""

    def __init__(
        self, connect: Callable[[], Any], query: Query, *, every: float = EVERY, least: int = LEAST
    ) -> None:
        """``connect``: a new connection (a ``_PgConnection``) for ANALYZE and its lock;
        ``query``: a read on a pooled connection, for the counters."""
        self._connect, self._query, self.every, self.least = connect, query, every, least
        self._stop = threading.Event()
        self._said: str | None = None  # the last failure logged, not repeated every look
        self._thread = threading.Thread(target=self._run, name="recap-statistics", daemon=True)
        self._thread.start()

    def keep(self) -> list[str]:
        """ANALYZE the tables grown since their last statistics; returns their names (none
        when another process of the server holds the turn)."""
        grown = [str(row[0]) for row in self._query(_GROWN, [self.least])]
        if not grown:
            return []
        from psycopg import sql

        conn = self._connect()
        try:
            if not conn.execute("SELECT pg_try_advisory_lock(?)", [LOCK]).fetchone()[0]:
                return []
            names = sql.SQL(", ").join(sql.Identifier(name) for name in grown)
            conn.raw.execute(sql.SQL("ANALYZE {}").format(names))
        finally:
            conn.close()  # the advisory lock is the session's: it ends with it
        _log.info("planner statistics gathered of %s", ", ".join(grown))
        return grown

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.keep()
                self._said = None
            except Exception as exc:  # the database down or the table dropped: look again later
                if str(exc) != self._said:
                    _log.warning("the planner's statistics were not gathered: %s", exc)
                    self._said = str(exc)
            self._stop.wait(self.every)

    def close(self) -> None:
        """Stop looking; an ANALYZE under way is waited for (a bounded sample: seconds)."""
        self._stop.set()
        self._thread.join(timeout=60)
