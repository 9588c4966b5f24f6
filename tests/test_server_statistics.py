"""The server gathers PostgreSQL's planner statistics of the tables its pushes grow, itself:
without them PostgreSQL planned a push's reads by key as scans of whole tables, and this
project's database (CI's) runs with autovacuum off (recap_server/statistics.py)."""

from __future__ import annotations

import gc
import logging
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bench import hotpath
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import demo
from recap_server import statistics
from recap_server.ledger import Ledger
from recap_server.statistics import StatisticsKeeper
from recap_server.storage import PostgresStorage
from tests.pg_support import database_for

SHEETS = 1500  # more than statistics.LEAST rows in records, sheets and status


@pytest.fixture
def url(tmp_path: Path) -> str:
    """This test's server's database: a fresh schema of the PostgreSQL pass's."""
    found = database_for(tmp_path)
    assert found is not None
    return found


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


def _analyzed(storage: PostgresStorage, auto: bool = False) -> dict[str, bool]:
    """Each table of the storage's schema: whether an ANALYZE (``auto``: or autovacuum's)
    has gathered its statistics."""
    rows = storage._query(
        "SELECT relname, last_analyze IS NOT NULL OR (? AND last_autoanalyze IS NOT NULL)"
        " FROM pg_stat_user_tables WHERE schemaname = current_schema()",
        [auto],
    )
    return {str(name): bool(done) for name, done in rows}


def _keeper(storage: PostgresStorage) -> StatisticsKeeper:
    assert storage.statistics is not None
    return storage.statistics


_LOCK = "pg_advisory_lock(%s, hashtext(current_schema()))"  # as statistics._LOCK_KEY
_TRY_LOCK = "pg_try_advisory_lock(%s, hashtext(current_schema()))"


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


@pytest.mark.postgres_only
def test_the_grown_tables_are_analyzed_once_by_one_process_at_a_time(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its thread looks first in an hour: this test asks it to look.
    storage = _filled(url, every=3600, monkeypatch=monkeypatch)
    try:
        _counted(storage, "sheets", SHEETS)
        if any(_analyzed(storage, auto=True).values()):
            pytest.skip("this database's autovacuum analyzed the tables first")
        # A short command (``recap-server --request``, say) opens the grown database for a
        # moment: its keeper has not looked yet, and close() waits for no ANALYZE.
        brief = PostgresStorage(url)
        time.sleep(0.5)
        brief.close()
        assert not any(_analyzed(storage).values())
        # Another process of this server (this schema) at it: this one skips its turn.
        with psycopg.connect(url, autocommit=True) as other:
            other.execute(f"SELECT {_LOCK}", [statistics.LOCK])
            assert _keeper(storage).keep() == []
            assert not any(_analyzed(storage).values())
        grown = _keeper(storage).keep()
        assert {"records", "sheets", "status", "log_nodes", "partition_nodes"} <= set(grown)
        assert not {"meta", "counters", "partitions", "heads"} & set(grown)  # a few rows
        analyzed = _analyzed(storage)
        assert all(analyzed[name] for name in grown)
        with psycopg.connect(url, autocommit=True) as other:  # its lock was given back
            taken = other.execute(f"SELECT {_TRY_LOCK}", [statistics.LOCK]).fetchone()
            assert taken == (True,)
        assert _keeper(storage).keep() == []  # not grown since: not again
    finally:
        storage.close()


@pytest.mark.postgres_only
def test_the_thread_gathers_them_while_the_server_serves(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = _filled(url, every=0.05, monkeypatch=monkeypatch)
    try:
        deadline = time.monotonic() + 30
        while not _analyzed(storage)["sheets"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _analyzed(storage)["sheets"]
    finally:
        storage.close()
    assert not _keeper(storage)._thread.is_alive()  # close() stops it


@pytest.mark.postgres_only
def test_a_storage_nobody_closed_is_collected_and_its_thread_ends(url: str) -> None:
    storage = PostgresStorage(url, statistics_every=0.05)
    thread = _keeper(storage)._thread
    del storage
    deadline = time.monotonic() + 10
    while thread.is_alive() and time.monotonic() < deadline:
        gc.collect()  # the storage and its pool are a cycle; a look may hold it meanwhile
        thread.join(timeout=0.1)
    assert not thread.is_alive()


def test_a_failing_look_is_logged_once_and_the_thread_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The database down: each look fails; one warning, not one every look."""
    looks: list[float] = []

    def down(_sql: str, _params: Any) -> list[tuple[Any, ...]]:
        looks.append(time.monotonic())
        raise psycopg.OperationalError("connection refused")

    caplog.set_level(logging.WARNING, "recap_server.statistics")
    keeper = StatisticsKeeper(lambda: None, down, every=0.01)
    try:
        deadline = time.monotonic() + 10
        while len(looks) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(looks) >= 5 and keeper._thread.is_alive()
    finally:
        keeper.close()
    said = [r.getMessage() for r in caplog.records]
    assert said == ["the planner's statistics were not gathered: connection refused"]
    assert not any(
        t.name == "recap-statistics" and t is keeper._thread for t in threading.enumerate()
    )
