"""The server gathers PostgreSQL's planner statistics of the tables its pushes grow, itself:
without them PostgreSQL planned a push's reads by key as scans of whole tables, and this
project's database (CI's) runs with autovacuum off (recap_server/statistics.py)."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from bench import hotpath
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import demo
from recap_server import statistics
from recap_server.ledger import Ledger
from recap_server.storage import PostgresStorage
from tests.pg_support import database_for

pytestmark = pytest.mark.postgres_only

SHEETS = 1500  # more than statistics.LEAST rows in records, sheets and status


def _filled(url: str, every: float, monkeypatch: pytest.MonkeyPatch) -> PostgresStorage:
    """A server's storage after pushes of the package, a certificate and SHEETS sheets."""
    monkeypatch.setattr(hotpath, "STATIONS", SHEETS)  # a sheet a station at least
    package, cert, sheets = hotpath.fixture(SHEETS)
    storage = PostgresStorage(url, statistics_every=every)
    ledger = Ledger(storage, SigningKey.from_seed(bytes(32)), demo.demo_authority().public_key)
    ledger.push(package)
    ledger.push([cert.to_json()])
    for at in range(0, len(sheets), 500):
        outcomes = ledger.push([r.to_json() for r in sheets[at : at + 500]]).outcomes
        assert {o.status for o in outcomes} == {"stored"}
    return storage


def _analyzed(storage: PostgresStorage) -> dict[str, bool]:
    """Each table of the storage's schema: whether it has been analyzed (by anyone)."""
    rows = storage._query(
        "SELECT relname, last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL"
        " FROM pg_stat_user_tables WHERE schemaname = current_schema()"
    )
    return {str(name): bool(done) for name, done in rows}


def _counted(storage: PostgresStorage, table: str, rows: int) -> None:
    """Wait for PostgreSQL's counters to show ``rows`` live rows in ``table``: a backend
    reports its counts when idle, up to 10 s late (PostgreSQL 15)."""
    deadline = time.monotonic() + 30
    query = "SELECT n_live_tup FROM pg_stat_user_tables WHERE schemaname = current_schema()"
    while time.monotonic() < deadline:
        if storage._query(f"{query} AND relname = ?", [table])[0][0] >= rows:
            return
        time.sleep(0.1)
    raise AssertionError(f"PostgreSQL's counters never showed {rows} rows in {table}")


def test_the_grown_tables_are_analyzed_once_by_one_process_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_for(tmp_path)
    assert url is not None
    storage = _filled(
        url, every=3600, monkeypatch=monkeypatch
    )  # its thread looked once, at the start, and sleeps
    try:
        _counted(storage, "sheets", SHEETS)
        if any(_analyzed(storage).values()):
            pytest.skip("this database's autovacuum analyzed the tables first")
        # Another process of the server at it: this one skips its turn, gathers nothing.
        with psycopg.connect(url, autocommit=True) as other:
            other.execute("SELECT pg_advisory_lock(%s)", [statistics.LOCK])
            assert storage.statistics.keep() == []
            assert not any(_analyzed(storage).values())
        grown = storage.statistics.keep()
        assert {"records", "sheets", "status", "log_nodes", "partition_nodes"} <= set(grown)
        assert not {"meta", "counters", "partitions", "heads"} & set(grown)  # a few rows
        analyzed = _analyzed(storage)
        assert all(analyzed[name] for name in grown)
        assert storage.statistics.keep() == []  # not grown since: not again
    finally:
        storage.close()


def test_the_thread_gathers_them_while_the_server_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_for(tmp_path)
    assert url is not None
    storage = _filled(url, every=0.05, monkeypatch=monkeypatch)
    try:
        deadline = time.monotonic() + 30
        while not _analyzed(storage)["sheets"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _analyzed(storage)["sheets"]
    finally:
        storage.close()
    assert not storage.statistics._thread.is_alive()  # close() stops it
