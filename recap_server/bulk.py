"""Many rows into one table in one statement, on either database (the push's inserts).

SQLite runs ``executemany`` in process, a row costing a few µs. On PostgreSQL the same
``executemany`` (psycopg's pipeline) is one round trip but still a statement per row for the
server to bind and run, ~20-40 µs a row under the writers' lock: most of a push's serial part
there (issue 14). So on PostgreSQL plain inserts of many rows (``COPY_FROM``) go by ``COPY``
and upserts by one ``INSERT ... SELECT FROM unnest(arrays) ON CONFLICT``: one statement
each, the same rows in the same order, the same constraints and triggers (COPY fires the
tables' triggers, checks their keys and takes identity values in row order as the INSERTs
did).

A connection that can do better says so with ``copy_rows`` and ``upsert_arrays`` methods
(``storage._PgConnection``); a sqlite3 connection has neither and gets ``executemany``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

# Rows from which a COPY is cheaper than a pipelined ``executemany``: a COPY costs two round
# trips (its start is answered before the data goes) and its own set-up, a row of
# ``executemany`` a statement. A steady sync's one-sheet push writes one to a few rows a table:
# by COPY its 28 statements were 36 round trips and ~10 ms under the writers' lock
# (`python -m bench.push_serial --batch 1`, docs/PERFORMANCE.md). A push of fewer records is
# also pipelined (``SqlStorage.transaction``), which cannot carry a COPY: its rows go by
# ``executemany`` however many (a log's nodes may be more).
COPY_FROM = 8


def insert(conn: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``INSERT INTO table (columns)`` each of ``rows``, in order; nothing for none."""
    rows = list(rows)
    if not rows:
        return
    copy = getattr(conn, "copy_rows", None)
    if copy is not None and len(rows) >= COPY_FROM and not getattr(conn, "in_pipeline", False):
        copy(table, columns, rows)
        return
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def upsert(
    conn: Any,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence[Any]],
    conflict: str,
) -> None:
    """``INSERT INTO table ... ON CONFLICT conflict`` each of ``rows``. ``columns``: (name,
    PostgreSQL type) pairs; ``conflict``: the clause after ``ON CONFLICT``, the same text on
    both databases. No two rows may have the same conflict key (PostgreSQL's one statement
    cannot update a row twice): the callers' rows come from dicts of that key."""
    rows = list(rows)
    if not rows:
        return
    names = ", ".join(name for name, _ in columns)
    arrays = getattr(conn, "upsert_arrays", None)
    if arrays is not None:
        arrays(table, columns, rows, conflict)
        return
    marks = ", ".join("?" for _ in columns)
    conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT {conflict}", rows)
