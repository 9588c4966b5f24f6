"""Schema migrations, in order. Each runs in one transaction with the record of it.

Records, keys and receipts are the truth; every other table is a projection that
``Store.rebuild`` recreates from the records.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("recap")

# Bump with every migration: PRAGMA user_version lets tools see the schema without our code.
SCHEMA_VERSION = 3

PROJECTIONS = (
    "packages",
    "regions",
    "stations",
    "station_contests",
    "certificates",
    "revoked",
    "sheets",
    "reviews",
    "sheet_status",
    "current_values",
    "heads",
)


_M001 = [
    """
    CREATE TABLE records (
        id INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        signer TEXT NOT NULL,
        seq INTEGER,
        payload TEXT NOT NULL,
        sig TEXT NOT NULL,
        received TEXT NOT NULL,
        origin TEXT NOT NULL
    )
    """,
    """
    CREATE UNIQUE INDEX records_chain ON records(signer, seq) WHERE seq IS NOT NULL
    """,
    """
    CREATE INDEX records_type ON records(type)
    """,
    """
    CREATE TRIGGER records_no_update BEFORE UPDATE ON records
        BEGIN SELECT RAISE(ABORT, 'records are append-only: UPDATE is refused'); END
    """,
    """
    CREATE TRIGGER records_no_delete BEFORE DELETE ON records
        BEGIN SELECT RAISE(ABORT, 'records are append-only: DELETE is refused'); END
    """,
    """
    CREATE TABLE keys (
        key_id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        origin TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE packages (
        record TEXT PRIMARY KEY, election TEXT NOT NULL, version INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE regions (
        code TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent TEXT
    ) WITHOUT ROWID
    """,
    """
    CREATE INDEX regions_parent ON regions(parent, code)
    """,
    """
    CREATE TABLE stations (
        code TEXT PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL,
        registered INTEGER NOT NULL, contests TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    """
    CREATE INDEX stations_region ON stations(region, code)
    """,
    """
    CREATE TABLE station_contests (
        contest TEXT NOT NULL, station TEXT NOT NULL, PRIMARY KEY (contest, station)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE certificates (
        record TEXT PRIMARY KEY, key_id TEXT NOT NULL, officer_id TEXT NOT NULL,
        name TEXT NOT NULL, role TEXT NOT NULL, jurisdiction TEXT NOT NULL,
        valid_from TEXT NOT NULL, valid_until TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    """
    CREATE INDEX certificates_key ON certificates(key_id)
    """,
    """
    CREATE TABLE revoked (
        key_id TEXT PRIMARY KEY, reason TEXT NOT NULL, version INTEGER NOT NULL
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE sheets (
        hash TEXT PRIMARY KEY, station TEXT NOT NULL, contest TEXT NOT NULL,
        signer TEXT NOT NULL, seq INTEGER NOT NULL, time TEXT NOT NULL,
        supersedes TEXT, reason TEXT, "values" TEXT NOT NULL, acknowledged TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    """
    CREATE INDEX sheets_key ON sheets(station, contest)
    """,
    """
    CREATE TABLE reviews (
        hash TEXT PRIMARY KEY, sheet TEXT NOT NULL, station TEXT NOT NULL,
        contest TEXT NOT NULL, signer TEXT NOT NULL, seq INTEGER NOT NULL,
        time TEXT NOT NULL, decision TEXT NOT NULL, reason TEXT
    ) WITHOUT ROWID
    """,
    """
    CREATE INDEX reviews_key ON reviews(station, contest)
    """,
    """
    CREATE TABLE sheet_status (
        station TEXT NOT NULL, contest TEXT NOT NULL, state TEXT NOT NULL,
        current TEXT, heads TEXT NOT NULL,
        PRIMARY KEY (station, contest)
    ) WITHOUT ROWID
    """,
    """
    CREATE INDEX sheet_status_state ON sheet_status(state)
    """,
    """
    CREATE TABLE current_values (
        contest TEXT NOT NULL, station TEXT NOT NULL, field TEXT NOT NULL,
        value INTEGER NOT NULL,
        PRIMARY KEY (contest, station, field)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE heads (
        signer TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL
    ) WITHOUT ROWID
    """,
]


@migrations()
def m001_initial(db: Database) -> None:
    # Statement by statement: executescript() would COMMIT and break the migration's transaction.
    for statement in _M001:
        db.execute(statement)


# -- sync (m002) -------------------------------------------------------------------------------
# Sent marks and receipts are truth, not projections: a record is marked sent only from a
# server receipt that verified, and the receipt is kept as the proof. ``rebuild`` leaves them.
_M002 = [
    """
    CREATE TABLE sync_receipts (
        hash TEXT PRIMARY KEY, server TEXT NOT NULL, payload TEXT NOT NULL,
        sig TEXT NOT NULL, received TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE sync_sent (
        hash TEXT PRIMARY KEY, receipt TEXT, sent TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE sync_refused (
        hash TEXT PRIMARY KEY, reason TEXT NOT NULL, detail TEXT NOT NULL, time TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE sync_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID
    """,
]


@migrations()
def m002_sync(db: Database) -> None:
    for statement in _M002:
        db.execute(statement)


@migrations()
def m003_perf_totals_index(db: Database) -> None:
    """Region totals read each field's values for a range of stations: with this covering
    index that is one contiguous run per field, instead of sorting every row of the region
    by field (Store.totals; docs/PERFORMANCE.md, recap_region)."""
    db.execute(
        "CREATE INDEX current_values_by_field ON current_values(contest, field, station, value)"
    )
