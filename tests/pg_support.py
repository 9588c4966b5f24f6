"""The server's tests on PostgreSQL as well as SQLite.

``RECAP_TEST_DATABASE=postgresql://...`` (``make test`` runs a second pass with it) runs every
test that starts or uses a server against PostgreSQL: each server data folder of a test gets
its own fresh schema of that database, dropped when the test ends. ``database_for`` is what a
test gives ``open_ledger`` / ``recap-server --database``; None means the SQLite default.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import quote

TEST_DATABASE_ENV = "RECAP_TEST_DATABASE"
REQUIRE_ENV = "RECAP_REQUIRE_POSTGRES"  # CI: not reaching PostgreSQL is a failure, not a skip
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"

_made: dict[Path, tuple[str, str]] = {}  # data folder -> (schema, URL)


def test_database() -> str | None:
    url = os.environ.get(TEST_DATABASE_ENV, "")
    return url if url.startswith(("postgresql://", "postgres://")) else None


def unreachable(url: str) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used, or None."""
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # ImportError, psycopg.OperationalError: the reason is the text
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def with_schema(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"


def database_for(data_dir: Path) -> str | None:
    """The database of the server whose data folder is ``data_dir`` in this test: None (its
    server.db) unless the PostgreSQL pass runs; then a fresh schema, the same one each time
    the same folder is opened again (a restart)."""
    base = test_database()
    if base is None:
        return None
    key = Path(data_dir).resolve()
    if key not in _made:
        import psycopg

        schema = f"recap_t_{uuid.uuid4().hex[:20]}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        _made[key] = (schema, with_schema(base, schema))
        # A folder copied from a stopped server's (a backup a test restores) names the
        # snapshot taken when it stopped: its database is a copy of it, as a restored dump.
        marker = key / MARKER
        source = marker.read_text().strip() if marker.exists() else None
        if source in _snapshots:
            _copy(base, source, schema)
    return _made[key][1]


def stopped(data_dir: Path) -> None:
    """A test's server stopped: its database as of now, for a copy of its folder (a backup)
    to start from; named in the folder, as a backup's files would hold it."""
    base = test_database()
    key = Path(data_dir).resolve()
    if base is None or key not in _made:
        return
    import psycopg

    snapshot = f"recap_s_{uuid.uuid4().hex[:20]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{snapshot}"')
    _snapshots.append(snapshot)
    _copy(base, _made[key][0], snapshot)
    (key / MARKER).write_text(snapshot)


_snapshots: list[str] = []


MARKER = ".test-postgres-schema"


def _copy(base: str, source: str, target: str) -> None:
    """Every row of ``source``'s tables into ``target``, made by the server's migrations."""
    import psycopg

    from recap_server.storage import PostgresStorage

    PostgresStorage(with_schema(base, target)).close()
    with psycopg.connect(base, autocommit=True) as conn:
        tables = [
            str(r[0])
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                [source],
            ).fetchall()
        ]
        conn.execute("BEGIN")
        for table in tables:
            if table in ("migrations", "counters"):
                conn.execute(f'DELETE FROM "{target}".{table}')
            conn.execute(
                f'INSERT INTO "{target}".{table} OVERRIDING SYSTEM VALUE'
                f' SELECT * FROM "{source}".{table}'
            )
        for table, column in (("records", "id"), ("equivocations", "id"), ("heads", "rowid")):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{target}\".{table}', '{column}'),"
                f' (SELECT COALESCE(MAX({column}), 0) + 1 FROM "{target}".{table}), false)'
            )
        conn.execute("COMMIT")


def drop_schemas() -> None:
    """Drop every schema made for the test that ends."""
    base = test_database()
    if base is None or not (_made or _snapshots):
        return
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        for schema in [*(made for made, _url in _made.values()), *_snapshots]:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    _made.clear()
    _snapshots.clear()
