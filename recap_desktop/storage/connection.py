"""The store's one SQLite connection: opening the file, migrating it, and write transactions.

Every component of the store holds this object and uses its ``db`` and ``write``; none opens
a connection of its own, because a sqlite3 connection belongs to the thread that opened it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from recap_desktop.storage.errors import StorageError, reason_of
from recap_desktop.storage.schema import SCHEMA_VERSION, migrations

_MIGRATING = threading.Lock()


OPEN_TIMEOUT = 30.0  # seconds: SQLite's busy timeout, and the WAL switch's retries


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the store to WAL. A store made by an early version keeps a rollback journal,
    and leaving it needs the file alone: when another connection opens it at the same
    moment (the window's threads, the CLI), SQLite answers "database is locked" at once,
    without its busy timeout (it would deadlock waiting), as 5 of 150 openings from four
    threads did. So ask again, for as long as the busy timeout would have waited."""
    deadline = time.monotonic() + OPEN_TIMEOUT
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class Connection:
    """An open store file (WAL, ``synchronous=FULL``, foreign keys on), migrated on opening."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not readonly:
            self._check_writable()
        try:
            if readonly:
                conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=OPEN_TIMEOUT)
            else:
                conn = sqlite3.connect(self.path, timeout=OPEN_TIMEOUT)
                _private(self.path)
            _use_wal(conn)
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA cache_size=-32000")
            # No sqlite-utils plugin runs on the store's connection: nothing installed beside
            # the program registers functions on the signed records' database. It also spares
            # the scan of every installed package's entry points (~40 ms of a start, on the
            # worker that opens the store while the window shows).
            self.db = Database(conn, execute_plugins=False)
            if not readonly:
                self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StorageError(
                f"cannot open the store {self.path}: {exc}", reason=reason_of(exc)
            ) from exc

    def _check_writable(self) -> None:
        """Refuse a read-only file before SQLite opens it: it would make the -wal and -shm
        read-only too, and they would stay so after the file is made writable again."""
        for path in (
            self.path.parent,
            self.path,
            self.path.with_name(self.path.name + "-wal"),
            self.path.with_name(self.path.name + "-shm"),
        ):
            if path.exists() and not os.access(path, os.W_OK):
                raise StorageError(f"{path} is read-only", reason="readonly")

    def close(self) -> None:
        self.db.close()

    # -- schema ---------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"the store has schema {version}, newer than this program's {SCHEMA_VERSION}: "
                "update Recap Desktop"
            )
        if not migrations.pending(self.db):
            return
        # The window opens the store from several worker threads, and the first opening may
        # be migrating a large store for a minute: the others wait here, then find nothing
        # pending, instead of failing on tables the first one created.
        with _MIGRATING:
            self._migrate_pending()

    def _migrate_pending(self) -> None:
        # Other processes (the CLI, the window's verification child) may open the store
        # meanwhile: the write lock, taken before looking again at what is pending, makes
        # them wait (busy timeout) and then find nothing left to do; all migrations commit
        # together or not at all.
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if migrations.pending(self.db):
                version = self.db.execute("PRAGMA user_version").fetchone()[0]
                if version > 0:
                    self._backup(version)
                migrations.apply(self.db)
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _backup(self, version: int) -> None:
        """A copy before any change, as Vorta does: a failed upgrade never costs data.

        SQLite's online backup reads the committed state, WAL included (this connection
        holds the write lock, so nothing changes meanwhile). The copy is written aside and
        renamed; an existing one, made before an earlier attempt at the same upgrade, is
        kept and never overwritten."""
        backup = self.path.with_name(f"{self.path.name}.schema{version}.bak")
        if backup.exists():
            return
        partial = backup.with_name(backup.name + ".partial")
        partial.unlink(missing_ok=True)
        # Read through a connection of its own: this one holds the write lock, and SQLite's
        # backup from a connection inside a write transaction waits forever.
        source = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        os.replace(partial, backup)

    # -- writing --------------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[None]:
        """A write transaction that holds the write lock from its start (BEGIN IMMEDIATE).

        sqlite-utils' ``atomic`` begins a deferred transaction; ours read before they write,
        and in WAL mode a reader whose snapshot another connection has written past cannot
        become the writer: SQLite answers "database is locked" at once, without waiting. The
        window's sync worker and a save are two connections, so a save during a sync failed
        now and then. Taking the lock first makes the other writer wait (busy timeout)
        instead. Nested, it is a savepoint of the outer transaction, as ``atomic`` is."""
        if self.db.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        self.db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.db.conn.in_transaction:
                self.db.conn.execute("ROLLBACK")
            raise
        try:
            self.db.conn.execute("COMMIT")
        except BaseException:
            if self.db.conn.in_transaction:
                self.db.conn.execute("ROLLBACK")
            raise


def _private(path: Path) -> None:
    """The store holds every record an officer signed and saw: only its owner reads it
    (0600). SQLite gives the -wal and -shm files the database file's mode when it makes them;
    ones made before are set too."""
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if name.exists() and name.stat().st_mode & 0o077:
                name.chmod(0o600)
        except OSError:
            pass  # not ours to change (a shared folder): SQLite still opens it


def chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """``items`` a slice at a time, few enough to bind in one ``IN (...)`` of a statement."""
    for at in range(0, len(items), size):
        yield items[at : at + size]
