"""The server's connection pool: never more connections out than its size, however many
threads ask; one that comes back with a transaction open is closed, never lent again; a
connection that cannot be made gives its place back."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from recap_server.storage import _Pool


def _pool(tmp_path: Path, size: int) -> tuple[_Pool, list[sqlite3.Connection]]:
    made: list[sqlite3.Connection] = []

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(tmp_path / "pool.db", check_same_thread=False)
        made.append(conn)
        return conn

    return _Pool(connect, size), made


def test_no_more_connections_out_than_the_pool_holds(tmp_path: Path) -> None:
    pool, made = _pool(tmp_path, 2)
    out, most = [0], [0]
    count = threading.Lock()
    start = threading.Barrier(6)

    def borrow() -> None:
        start.wait()
        for _ in range(50):
            with pool.connection() as conn:
                with count:
                    out[0] += 1
                    most[0] = max(most[0], out[0])
                conn.execute("SELECT 1").fetchall()
                with count:
                    out[0] -= 1

    threads = [threading.Thread(target=borrow) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a thread waits for ever"
    assert most[0] == 2  # the bound held, and was reached
    assert len(made) == 2  # each connection lent again once back
    pool.close()


def test_a_connection_left_in_a_transaction_is_closed_not_lent_again(tmp_path: Path) -> None:
    pool, made = _pool(tmp_path, 1)
    with pool.connection() as first:
        first.execute("BEGIN IMMEDIATE")  # left open: it holds SQLite's write lock
    with pytest.raises(sqlite3.ProgrammingError):
        first.execute("SELECT 1")  # closed
    with pool.connection() as second:
        assert second is not first
        second.execute("BEGIN IMMEDIATE")  # the write lock was let go with the first
        second.execute("ROLLBACK")
    assert len(made) == 2
    pool.close()


def test_a_connection_that_cannot_be_made_gives_its_place_back(tmp_path: Path) -> None:
    failing = [True]

    def connect() -> sqlite3.Connection:
        if failing[0]:
            raise sqlite3.OperationalError("unable to open database file")
        return sqlite3.connect(tmp_path / "pool.db", check_same_thread=False)

    pool = _Pool(connect, 1)
    for _ in range(3):
        with pytest.raises(sqlite3.OperationalError), pool.connection():
            pass
    failing[0] = False
    done = threading.Event()

    def take() -> None:
        with pool.connection() as conn:
            conn.execute("SELECT 1")
        done.set()

    threading.Thread(target=take, daemon=True).start()
    assert done.wait(10), "the one place was lost to the failures"
    pool.close()
