"""``python -m bench.push_serial``: the serial part of a push, measured apart (issue 14).

The ledger in one process, no HTTP: one operator's chain of signed sheets over a DEMO
election of ``--stations`` stations, pushed in batches of 500 after one warm-up batch. For
each push it takes the time inside the outermost writers' lock transaction (from BEGIN and
the lock to COMMIT: what every worker waits for), wall clock and this process's CPU, per
sheet; on PostgreSQL also the statements and round trips sent inside it (``execute`` is a
round trip; an ``executemany`` is one too, however many statements it holds; in a pipelined
transaction (a push of fewer than ``bulk.COPY_FROM`` records) a trip is a read whose
answer is waited for, and the pipeline's end).
Every sheet must come back ``stored``.

    python -m bench.push_serial [--postgres URL] [--stations 1200] [--pushes 3] [--rounds 3]
                                [--batch 500]   (--batch 1 --pushes 200: a steady sync's push)
                                [--together 1]  (--together 8: pushes admitted in groups)
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from bench import hotpath
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import demo

BATCH = 500


class _Counts:
    def __init__(self) -> None:
        self.trips = 0
        self.statements = 0


def _count_pg(counts: _Counts) -> contextlib.ExitStack:
    """Count what ``_PgConnection`` sends (the storage's and the log's statements)."""
    from recap_server import storage

    stack = contextlib.ExitStack()
    cls: Any = storage._PgConnection
    execute, executemany = cls.execute, cls.executemany

    def counted_execute(self: Any, sql: str, params: Any = None) -> Any:
        counts.trips += not self.in_pipeline  # pipelined: a trip when its answer is read
        counts.statements += 1
        return execute(self, sql, params)

    def counted_many(self: Any, sql: str, rows: Any) -> None:
        rows = list(rows)
        if rows:
            counts.trips += not self.in_pipeline
            counts.statements += len(rows)
        executemany(self, sql, rows)

    @contextlib.contextmanager
    def counted_pipeline(self: Any) -> Iterator[None]:
        with pipelined(self):
            yield
        counts.trips += 1  # its end: what is still queued goes, and its answers come back

    import psycopg

    fetch = psycopg.Cursor._fetch_pipeline

    def counted_fetch(self: Any) -> None:
        if self._conn._pipeline and not self.pgresult:
            counts.trips += 1  # a read inside the pipeline: waits for the server
        fetch(self)

    pipelined = cls.pipelined
    cls.execute, cls.executemany, cls.pipelined = counted_execute, counted_many, counted_pipeline
    psycopg.Cursor._fetch_pipeline = counted_fetch  # type: ignore[method-assign]
    stack.callback(setattr, cls, "execute", execute)
    stack.callback(setattr, cls, "executemany", executemany)
    stack.callback(setattr, cls, "pipelined", pipelined)
    stack.callback(setattr, psycopg.Cursor, "_fetch_pipeline", fetch)
    for name in ("copy_rows", "upsert_arrays"):  # bulk.py's one-statement forms
        original = getattr(cls, name, None)
        if original is None:
            continue

        def wrapped(self: Any, *args: Any, _original: Any = original, **kw: Any) -> Any:
            counts.trips += 1
            counts.statements += 1
            return _original(self, *args, **kw)

        setattr(cls, name, wrapped)
        stack.callback(setattr, cls, name, original)
    return stack


def admitted_together(ledger: Any, pushes: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run ``pushes`` on threads while the process's turn to admit is held, each started once
    the one before waits, so that they are admitted together in one transaction, in this
    order (as under a steady phase's load on PostgreSQL, ``Ledger._together``); each one's
    answer or the exception it raised, in order."""
    answers: list[Any] = [None] * len(pushes)

    def one(i: int) -> None:
        try:
            answers[i] = pushes[i]()
        except BaseException as exc:  # the caller's to raise
            answers[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(pushes))]
    with ledger._turn:
        ledger._admitting = True
    try:
        for i, thread in enumerate(threads):
            thread.start()
            deadline = time.monotonic() + 60
            while len(ledger._waiting) < i + 1:  # each waits before the next starts
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"push {i} of a group never waited for its turn")
                time.sleep(0.0005)
    finally:
        with ledger._turn:
            ledger._admitting = False
            ledger._turn.notify_all()
        for thread in threads:
            if thread.ident is not None:
                thread.join(120)
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("a push of a group was not answered in 120 s")
    return answers


def run(
    database: str, stations: int, pushes: int, batch: int = BATCH, together: int = 1
) -> dict[str, float]:
    """``together``: pushes admitted in one transaction (PostgreSQL groups them; SQLite
    admits each alone)."""
    from recap_server.ledger import GROUP_MOST, Ledger
    from recap_server.storage import open_storage

    hotpath.STATIONS = stations
    package, cert, sheets = hotpath.fixture(batch * (pushes + 1))
    storage = open_storage(database)
    locked = {"wall": 0.0, "cpu": 0.0}
    measuring = [False]
    outer = storage.transaction

    @contextlib.contextmanager
    def timed(*, pipelined: bool = False) -> Iterator[Any]:
        if getattr(storage._local, "conn", None) is not None or not measuring[0]:
            with outer(pipelined=pipelined) as conn:
                yield conn
            return
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            with outer(pipelined=pipelined) as conn:
                yield conn
        finally:
            locked["wall"] += time.perf_counter() - wall
            locked["cpu"] += time.process_time() - cpu

    storage.transaction = timed  # type: ignore[method-assign]
    counts = _Counts()
    try:
        ledger = Ledger(storage, SigningKey.from_seed(bytes(32)), demo.demo_authority().public_key)
        ledger.push(package)
        ledger.push([cert.to_json()])
        ledger.push([r.to_json() for r in sheets[:batch]])  # warm-up
        stack = _count_pg(counts) if storage.dialect == "postgresql" else contextlib.ExitStack()
        with stack:
            measuring[0] = True
            wall = time.perf_counter()
            # A group as the server makes one: on PostgreSQL alone, of at most GROUP_MOST.
            group = min(together, GROUP_MOST) if ledger.together else 1
            for at in range(batch, len(sheets), batch * group):
                calls = [
                    functools.partial(ledger.push, [r.to_json() for r in sheets[a : a + batch]])
                    for a in range(at, min(at + batch * group, len(sheets)), batch)
                ]
                answers = [calls[0]()] if len(calls) == 1 else admitted_together(ledger, calls)
                for pushed in answers:
                    if isinstance(pushed, BaseException):
                        raise pushed
                    bad = [o for o in pushed.outcomes if o.status != "stored"]
                    assert not bad, bad[:3]
            total = time.perf_counter() - wall
            measuring[0] = False
    finally:
        storage.close()
    n = batch * pushes
    return {
        "push_us": total / n * 1e6,
        "lock_wall_us": locked["wall"] / n * 1e6,
        "lock_cpu_us": locked["cpu"] / n * 1e6,
        "trips_per_push": counts.trips / pushes,
        "statements_per_push": counts.statements / pushes,
    }


def _fresh_pg(url: str) -> tuple[str, str]:
    import psycopg

    from tests.pg_support import with_schema

    schema = f"bench_serial_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema, with_schema(url, schema)


def _drop_pg(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--postgres", help="also PostgreSQL at this URL (a fresh schema a run)")
    parser.add_argument("--stations", type=int, default=1200)
    parser.add_argument("--pushes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=BATCH, help="sheets a push (steady: 1)")
    parser.add_argument(
        "--together",
        type=int,
        default=1,
        help="pushes admitted in one transaction (PostgreSQL alone groups them; at most 16)",
    )
    parser.add_argument("--only-postgres", action="store_true")
    args = parser.parse_args(argv)
    backends = [] if args.only_postgres else ["sqlite"]
    if args.postgres:
        backends.append("postgresql")
    results: dict[str, list[dict[str, float]]] = {b: [] for b in backends}
    for _ in range(args.rounds):
        for backend in backends:  # interleaved: the machine's load moves between rounds
            folder = Path(tempfile.mkdtemp(prefix="push-serial-"))
            schema = None
            try:
                if backend == "sqlite":
                    database = str(folder / "server.db")
                else:
                    schema, database = _fresh_pg(args.postgres)
                results[backend].append(
                    run(database, args.stations, args.pushes, args.batch, args.together)
                )
            finally:
                shutil.rmtree(folder, ignore_errors=True)
                if schema is not None:
                    _drop_pg(args.postgres, schema)
    import os

    print(f"load average {os.getloadavg()[0]:.2f}")
    for backend, rows in results.items():
        for key in rows[0]:
            values = [r[key] for r in rows]
            print(
                f"{backend:10} {key:20} best {min(values):9.1f}"
                f"  median {statistics.median(values):9.1f}"
            )


if __name__ == "__main__":
    main()
