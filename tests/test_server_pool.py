"""The server's connection pool: never more connections out than its size, however many
threads ask; one that comes back with a transaction open is closed, never lent again; a
connection that cannot be made gives its place back."""

from __future__ import annotations

import sqlite3
import threading
import time
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
    both = threading.Barrier(3, timeout=10)  # the two holders and this thread
    third_in, let_go = threading.Event(), threading.Event()

    def hold() -> None:
        with pool.connection():
            both.wait()
            let_go.wait(10)

    def third() -> None:
        with pool.connection():
            third_in.set()

    holders = [threading.Thread(target=hold, daemon=True) for _ in range(2)]
    waiter = threading.Thread(target=third, daemon=True)
    try:
        for thread in holders:
            thread.start()
        both.wait()  # both connections are out at once
        waiter.start()
        # Both are out: the third waits, however long, until one comes back.
        assert not third_in.wait(0.3), "a third connection was lent while two were out"
        let_go.set()
        assert third_in.wait(10), "the third was never woken when one came back"
        assert len(made) == 2  # each connection lent again once back
    finally:
        let_go.set()
        for thread in [*holders, waiter]:
            thread.join(10)
        pool.close()


def test_the_bound_holds_under_a_crowd(tmp_path: Path) -> None:
    pool, made = _pool(tmp_path, 2)
    out, most = [0], [0]
    count = threading.Lock()

    def borrow() -> None:
        for _ in range(50):
            with pool.connection() as conn:
                with count:
                    out[0] += 1
                    most[0] = max(most[0], out[0])
                conn.execute("SELECT 1").fetchall()
                with count:
                    out[0] -= 1

    threads = [threading.Thread(target=borrow, daemon=True) for _ in range(6)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not any(thread.is_alive() for thread in threads), "a thread waits for ever"
        assert most[0] <= 2
        assert len(made) <= 2
    finally:
        pool.close()


def test_a_connection_left_in_a_transaction_is_closed_not_lent_again(tmp_path: Path) -> None:
    pool, made = _pool(tmp_path, 1)
    try:
        _closed_not_lent_again(pool, made)
    finally:
        pool.close()


def _closed_not_lent_again(pool: _Pool, made: list[sqlite3.Connection]) -> None:
    with pool.connection() as first:
        first.execute("BEGIN IMMEDIATE")  # left open: it holds SQLite's write lock
    with pytest.raises(sqlite3.ProgrammingError):
        first.execute("SELECT 1")  # closed
    taken: list[sqlite3.Connection] = []

    def take() -> None:  # on a thread: a place never given back would wait for ever
        with pool.connection() as second:
            second.execute("BEGIN IMMEDIATE")  # the write lock was let go with the first
            second.execute("ROLLBACK")
            taken.append(second)

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    thread.join(10)
    assert taken, "the pool's one place was not given back with the unfit connection"
    assert taken[0] is not first
    assert len(made) == 2


def test_a_connection_that_cannot_be_made_gives_its_place_back(tmp_path: Path) -> None:
    failing = [True]

    def connect() -> sqlite3.Connection:
        if failing[0]:
            raise sqlite3.OperationalError("unable to open database file")
        return sqlite3.connect(tmp_path / "pool.db", check_same_thread=False)

    pool = _Pool(connect, 1)
    refused = [0]
    done = threading.Event()

    def take() -> None:  # on a thread: a place never given back would wait for ever
        for _ in range(3):
            with pytest.raises(sqlite3.OperationalError), pool.connection():
                pass
            refused[0] += 1
        failing[0] = False
        with pool.connection() as conn:
            conn.execute("SELECT 1")
        done.set()

    try:
        threading.Thread(target=take, daemon=True).start()
        assert done.wait(10), f"the one place was lost to the failures ({refused[0]} of 3 refused)"
    finally:
        pool.close()
