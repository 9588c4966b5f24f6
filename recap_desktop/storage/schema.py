"""Schema migrations, in order. Each runs in one transaction with the record of it.

Records, keys and receipts are the truth; every other table is a projection that
``Store.rebuild`` recreates from the records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from recap_desktop.domain.status import COUNTED

migrations = Migrations("recap")

# Bump with every migration: PRAGMA user_version lets tools see the schema without our code.
SCHEMA_VERSION = 11

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
    "region_totals",
    "region_counted",
    "heads",
    # the recapitulation (m007)
    "recaps",
    "objections",
    "resolutions",
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


# -- totals per region (m004) ------------------------------------------------------------------
# A projection of current_values and sheet_status: for every region a station lies in (each
# dotted prefix of its code), the sum of every field over the counted sheets and the number of
# stations that hold the field, and the number of counted stations. ``Store._restate`` keeps it
# with deltas; a row whose count falls to 0 is deleted, so the tables hold exactly what a
# recount gives whatever the order sheets arrived in.
_M004 = [
    """
    CREATE TABLE region_totals (
        contest TEXT NOT NULL, region TEXT NOT NULL, field TEXT NOT NULL,
        value INTEGER NOT NULL, stations INTEGER NOT NULL,
        PRIMARY KEY (contest, region, field)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE region_counted (
        contest TEXT NOT NULL, region TEXT NOT NULL, stations INTEGER NOT NULL,
        PRIMARY KEY (contest, region)
    ) WITHOUT ROWID
    """,
]


def regions_of(station: str) -> list[str]:
    """The regions a station lies in: each dotted prefix of its code, widest first.

    ``Store.totals(prefix)`` adds up a station when its code is ``prefix + "." + ...``, which
    is exactly when ``prefix`` is one of these.
    """
    return [station[:i] for i, ch in enumerate(station) if ch == "."]


def fill_region_projection(db: Database) -> None:
    """Fill region_totals and region_counted from current_values and sheet_status (both
    emptied first): one pass over each in key order, summed per innermost region, then rolled
    up to the wider ones, one contest at a time (a 1M-record store: 41 to 53 s, ~32 s CPU)."""
    db.execute("DELETE FROM region_totals")
    db.execute("DELETE FROM region_counted")
    # innermost region -> field -> [sum, stations], for the contest being read
    inner: dict[str, dict[str, list[int]]] = {}
    last: tuple[str, str] | None = None
    fields: dict[str, list[int]] | None = None
    for contest, station, field, value in db.execute(
        "SELECT contest, station, field, value FROM current_values ORDER BY contest, station"
    ):
        if last is None or last[1] != station or last[0] != contest:
            if last is not None and last[0] != contest:
                _add_totals(db, last[0], inner)
                inner = {}
            last = (contest, station)
            regions = regions_of(station)
            fields = inner.setdefault(regions[-1], {}) if regions else None
        if fields is None:
            continue
        acc = fields.get(field)
        if acc is None:
            fields[field] = [number(value), 1]
        else:
            acc[0] += number(value)
            acc[1] += 1
    if last is not None:
        _add_totals(db, last[0], inner)
    counted: dict[tuple[str, str], int] = {}
    for station, contest in db.execute(
        "SELECT station, contest FROM sheet_status"
        f" WHERE state IN ({', '.join('?' for _ in COUNTED)})",
        sorted(COUNTED),
    ):
        for region in regions_of(station):
            counted[(contest, region)] = counted.get((contest, region), 0) + 1
    _insert_many(
        db,
        "INSERT INTO region_counted (contest, region, stations) VALUES (?,?,?)",
        ((c, r, n) for (c, r), n in sorted(counted.items())),
    )


def _add_totals(db: Database, contest: str, inner: dict[str, dict[str, list[int]]]) -> None:
    """Insert one contest's totals: each innermost region's sums added to it and its wider
    regions."""
    totals: dict[tuple[str, str], list[int]] = {}
    for innermost, by_field in inner.items():
        for region in [*regions_of(innermost), innermost]:
            for field, (total, count) in by_field.items():
                acc = totals.get((region, field))
                if acc is None:
                    totals[(region, field)] = [total, count]
                else:
                    acc[0] += total
                    acc[1] += count
    _insert_many(
        db,
        "INSERT INTO region_totals (contest, region, field, value, stations) VALUES (?,?,?,?,?)",
        ((contest, r, f, t, n) for (r, f), (t, n) in sorted(totals.items())),
    )


def number(value: object) -> int:
    """A current_values value as SQLite's SUM reads it (they are integers; text counts 0)."""
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return 0


def _insert_many(db: Database, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
    db.conn.executemany(sql, rows)


@migrations()
def m004_region_totals(db: Database) -> None:
    """Totals per region as a projection kept by each save (Store._restate), instead of the
    by-field index of m003: a save no longer writes 40 scattered index entries, and a
    region's totals are ~40 rows whatever its size (docs/PERFORMANCE.md, recap_region)."""
    db.execute("DROP INDEX IF EXISTS current_values_by_field")
    for statement in _M004:
        db.execute(statement)
    fill_region_projection(db)


# -- sheets as a rowid table (m005) ------------------------------------------------------------
# A sheet's row is large (its values and warnings as JSON, ~1 KB): as a WITHOUT ROWID table
# keyed by the (random) hash, a few rows fit a page and every new sheet dirtied a page of its
# own to split and rewrite. In a rowid table the rows go to the end, in arrival order, and only
# the hash's small index entry lands at random (a 20k pull: ~35 us less CPU a record in
# Store.append; docs/PERFORMANCE.md, sync_pull). Same columns, same rows, same key.
_M005 = [
    """
    CREATE TABLE sheets_m005 (
        hash TEXT PRIMARY KEY NOT NULL, station TEXT NOT NULL, contest TEXT NOT NULL,
        signer TEXT NOT NULL, seq INTEGER NOT NULL, time TEXT NOT NULL,
        supersedes TEXT, reason TEXT, "values" TEXT NOT NULL, acknowledged TEXT NOT NULL
    )
    """,
    """
    INSERT INTO sheets_m005 (hash, station, contest, signer, seq, time, supersedes, reason,
        "values", acknowledged)
    SELECT hash, station, contest, signer, seq, time, supersedes, reason, "values", acknowledged
    FROM sheets ORDER BY station, contest, hash
    """,
    "DROP TABLE sheets",
    "ALTER TABLE sheets_m005 RENAME TO sheets",
    "CREATE INDEX sheets_key ON sheets(station, contest)",
]


@migrations()
def m005_perf_sheets_rowid(db: Database) -> None:
    for statement in _M005:
        db.execute(statement)


# -- standing and evidence (m006) --------------------------------------------------------------
# Whether a record may count depends on what the laptop learnt besides it: certificates, the
# revocation in force and where the server's log put each record (server_log), and proof that
# a signer forked its chain (forks). server_log and forks are truth, like the records: kept by
# a rebuild, never derived. sheet_status gains what a supervisor must look at (attention), and
# reviews the reviews each one overrides. Sent marks name the server key that vouched for them,
# so that marks resting on a key no longer trusted can be cleared. meta holds the folder's kind
# (a DEMO folder or a real one), fixed when it is first set up.
_M006 = [
    "ALTER TABLE sheet_status ADD COLUMN attention TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE reviews ADD COLUMN overrides TEXT NOT NULL DEFAULT '[]'",
    "CREATE INDEX sheets_signer ON sheets(signer)",
    "CREATE INDEX reviews_signer ON reviews(signer)",
    """
    CREATE TABLE server_log (
        hash TEXT PRIMARY KEY, idx INTEGER NOT NULL, received TEXT NOT NULL,
        server TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE forks (
        signer TEXT NOT NULL, seq INTEGER NOT NULL, first TEXT NOT NULL, second TEXT NOT NULL,
        evidence TEXT NOT NULL, origin TEXT NOT NULL, received TEXT NOT NULL,
        PRIMARY KEY (first, second)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX forks_signer ON forks(signer, seq)",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "ALTER TABLE sync_sent ADD COLUMN server TEXT",
    """
    UPDATE sync_sent SET server = (SELECT r.server FROM sync_receipts r
        WHERE r.hash = sync_sent.receipt) WHERE receipt IS NOT NULL
    """,
]


@migrations()
def m006_standing(db: Database) -> None:
    """Review overrides and every station's state again, by the rule that sets aside what
    may not count (docs/PROTOCOL.md §5.4, §6)."""
    for statement in _M006:
        db.execute(statement)
    db.execute(
        "UPDATE reviews SET overrides = COALESCE((SELECT json_extract(r.payload, '$.overrides')"
        " FROM records r WHERE r.hash = reviews.hash AND json_valid(r.payload)"
        " AND json_type(r.payload, '$.overrides') = 'array'), '[]')"
    )
    from recap_desktop.storage.restate import restate

    keys = db.execute(
        "SELECT station, contest FROM sheet_status UNION SELECT station, contest FROM reviews"
    ).fetchall()
    restate(db, [(str(s), str(c)) for s, c in keys])


# -- the recapitulation (m007) -----------------------------------------------------------------
# Projections of the D.Hasil, objection and resolution records (docs/PROTOCOL.md §4), indexed
# for the plenary screen: a region's D.Hasil versions, the objections filed inside a region,
# the rulings on each objection. Self-contained, so that a merge may put it after another
# branch's migration: it only adds tables. No store before it can hold such records (the
# admission rule refused their types), so there is nothing to fill.
_M007 = [
    """
    CREATE TABLE recaps (
        hash TEXT PRIMARY KEY, region TEXT NOT NULL, contest TEXT NOT NULL,
        signer TEXT NOT NULL, seq INTEGER NOT NULL, time TEXT NOT NULL, basis TEXT NOT NULL,
        final INTEGER NOT NULL, supersedes TEXT, reason TEXT, totals TEXT NOT NULL,
        children TEXT NOT NULL, pending TEXT NOT NULL, objections TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    "CREATE INDEX recaps_key ON recaps(region, contest)",
    "CREATE INDEX recaps_signer ON recaps(signer)",
    """
    CREATE TABLE objections (
        hash TEXT PRIMARY KEY, place TEXT NOT NULL, contest TEXT NOT NULL,
        signer TEXT NOT NULL, seq INTEGER NOT NULL, time TEXT NOT NULL, kind TEXT NOT NULL,
        witness TEXT NOT NULL, paper TEXT, subject TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    "CREATE INDEX objections_place ON objections(place, contest)",
    """
    CREATE TABLE resolutions (
        hash TEXT PRIMARY KEY, objection TEXT NOT NULL, place TEXT NOT NULL,
        contest TEXT NOT NULL, signer TEXT NOT NULL, seq INTEGER NOT NULL, time TEXT NOT NULL,
        decision TEXT NOT NULL, reason TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    "CREATE INDEX resolutions_objection ON resolutions(objection)",
]
RECAP_PROJECTIONS = ("recaps", "objections", "resolutions")


@migrations()
def m007_recapitulation(db: Database) -> None:
    """D.Hasil, objections and rulings, as projections of their records."""
    for statement in _M007:
        db.execute(statement)


# -- the server's log, witnessed (m008) --------------------------------------------------------
# What a laptop holds the central server to (docs/PROTOCOL.md §10): the newest tree head it
# verified and heads other holders showed it (log_heads), each partition's tree as far as it
# was checked (log_partitions: its size, frontier and the index checked up to), and evidence
# of misbehaviour (log_evidence: the signed heads and answers that show it). Every entry's
# partition is kept beside its log position. All of it is truth, kept by a rebuild.
_M008 = [
    "ALTER TABLE server_log ADD COLUMN partition TEXT",
    "CREATE INDEX server_log_partition ON server_log(partition, idx)",
    """
    CREATE TABLE log_heads (
        hash TEXT PRIMARY KEY, kind TEXT NOT NULL, size INTEGER NOT NULL,
        server TEXT NOT NULL, record TEXT NOT NULL, received TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    "CREATE INDEX log_heads_kind ON log_heads(kind, size)",
    """
    CREATE TABLE log_partitions (
        partition TEXT PRIMARY KEY, size INTEGER NOT NULL, frontier TEXT NOT NULL,
        checked INTEGER NOT NULL
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE log_evidence (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, detail TEXT NOT NULL,
        first TEXT NOT NULL, second TEXT, server TEXT NOT NULL, found TEXT NOT NULL
    )
    """,
]


@migrations()
def m008_log_witness(db: Database) -> None:
    for statement in _M008:
        db.execute(statement)


# -- records found tampered (m009) -------------------------------------------------------------
# A records row edited behind the program's back leaves its projections as they were written:
# the sheet still counted. What a verification or a view found wrong with a held row is kept
# here (hash, the problem's name, when found), and the standing rule reads it, so such a record
# never counts. Evidence, like the forks: kept by a rebuild, never derived from the records.
# Development builds between 0.1.0 and this one named the same migration m011_tampered: their
# stores hold the table already (recorded under the other name), so it is created only when
# missing, with the same columns either way.
_M009 = [
    """
    CREATE TABLE IF NOT EXISTS tampered (
        hash TEXT PRIMARY KEY, kind TEXT NOT NULL, found TEXT NOT NULL
    ) WITHOUT ROWID
    """,
]


@migrations()
def m009_tampered(db: Database) -> None:
    for statement in _M009:
        db.execute(statement)


# -- records of an unknown signer the server logged (m010) -------------------------------------
# A pulled record whose signer no certificate gives is refused (docs/PROTOCOL.md §9.5) and not
# stored; but once the partitions that must hold its signer's certificate are proved complete
# past its index, the server's log is shown to hold a record it should have refused (§10.6,
# `unknown_signer_logged`). Until then it waits here, written with its page (so that a sync the
# server breaks off cannot make the laptop forget it), with its log index and partition (the
# laptop's own computation) and the server key whose log it is in. Truth, kept by a rebuild.
_M010 = [
    """
    CREATE TABLE IF NOT EXISTS log_unvouched (
        hash TEXT PRIMARY KEY, idx INTEGER NOT NULL, received TEXT NOT NULL,
        partition TEXT NOT NULL, server TEXT NOT NULL, record TEXT NOT NULL
    ) WITHOUT ROWID
    """,
]


@migrations()
def m010_unvouched(db: Database) -> None:
    for statement in _M010:
        db.execute(statement)


# -- log positions a pull has not proved (m011) ------------------------------------------------
# Where a pull page says the server's log put an entry is the server's word until the check of
# the partitions (docs/PROTOCOL.md §10.5) rebuilds that partition past it: until then it waits
# here (log_pending), and server_log holds only positions proved, by a receipt or by a check
# that added up. A pending position is rebuilt and checked like a proved one, places a
# revocation list (it may only count against a record), and never lets a record count
# (§5.4). The positions a store kept before this migration from pulls not yet checked (past
# where their partition was checked, or kept before partitions were (m008), and not named by a
# receipt) move here. Truth, kept by a rebuild.
_M011 = [
    """
    CREATE TABLE log_pending (
        hash TEXT PRIMARY KEY, idx INTEGER NOT NULL, received TEXT NOT NULL,
        server TEXT NOT NULL, partition TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    "CREATE INDEX log_pending_partition ON log_pending(partition, idx)",
    """
    INSERT INTO log_pending (hash, idx, received, server, partition)
    SELECT l.hash, l.idx, l.received, l.server, l.partition FROM server_log l
    WHERE l.partition IS NOT NULL
      AND l.idx >= COALESCE(
        (SELECT p.checked FROM log_partitions p WHERE p.partition = l.partition), 0)
      AND NOT EXISTS (
        SELECT 1 FROM sync_sent s WHERE s.hash = l.hash AND s.receipt IS NOT NULL)
    """,
    "DELETE FROM server_log WHERE hash IN (SELECT hash FROM log_pending)",
]

# Below a partition's floor (``checked``) the positions kept were proved by the check that
# moved it there, unless a pull wrote one later: before this migration a pull from an earlier
# cursor (another address of the server starts at 0) kept what its pages said at any index
# not yet known. So a partition is trusted below its floor only if its positions there still
# rebuild the tree that check kept (its size and frontier, from the same leaves, §10.5);
# otherwise all it holds moves here as above and its floor goes back to 0: the next pull
# rebuilds it from the start and proves what holds.
_M011_UNPROVED = [
    """
    INSERT OR IGNORE INTO log_pending (hash, idx, received, server, partition)
    SELECT l.hash, l.idx, l.received, l.server, l.partition FROM server_log l
    WHERE l.partition = ?
      AND NOT EXISTS (
        SELECT 1 FROM sync_sent s WHERE s.hash = l.hash AND s.receipt IS NOT NULL)
    """,
    "DELETE FROM server_log WHERE partition = ? AND hash IN (SELECT hash FROM log_pending)",
    "DELETE FROM log_partitions WHERE partition = ?",
]


def _unpartitioned(db: Database) -> list[tuple[str, int, str, str, str]]:
    """The positions kept with no partition (learnt before m008, from a server without a log,
    and never rebuilt by any check) that no receipt names, each with the partition of its
    record, as a pull computes it; a position of a record not held (or that no longer
    parses) has none and is left out."""
    from recap_desktop.crypto.envelope import from_row
    from recap_desktop.protocol.log import partition_of

    out = []
    for h, i, t, server, *raw in db.execute(
        "SELECT l.hash, l.idx, l.received, l.server, r.hash, r.signer, r.payload, r.sig,"
        " r.type, r.seq FROM server_log l JOIN records r ON r.hash = l.hash"
        " WHERE l.partition IS NULL AND NOT EXISTS ("
        " SELECT 1 FROM sync_sent s WHERE s.hash = l.hash AND s.receipt IS NOT NULL)"
    ):
        record = from_row(*raw)[2]
        if record is not None:
            out.append((str(h), int(i), str(t), str(server), partition_of(record)))
    return out


def _floor_holds(db: Database, partition: str, size: int, frontier: str, checked: int) -> bool:
    """Whether the positions kept of ``partition`` below ``checked`` rebuild the tree of
    ``size`` leaves and ``frontier`` (hex, JSON) its check kept."""
    from recap_desktop.protocol import merkle
    from recap_desktop.protocol.log import leaf_hash

    rows = db.execute(
        "SELECT hash, idx, received FROM server_log WHERE partition = ? AND idx < ? ORDER BY idx",
        [partition, checked],
    )
    count = 0

    def leaves() -> Iterable[bytes]:
        nonlocal count
        for h, i, t in rows:
            count += 1
            yield leaf_hash(str(h), int(i), partition, str(t))

    try:
        kept = [bytes.fromhex(h) for h in json.loads(frontier)]
        rebuilt = merkle.extend(0, [], leaves())
    except (ValueError, TypeError):  # a position or the kept state that cannot be a leaf
        return False
    return count == size and rebuilt == kept


@migrations()
def m011_log_pending(db: Database) -> None:
    """Pulled positions not yet proved set apart; every station whose records' places moved,
    and the revoked keys' (a revocation list's place may have), restated."""
    for statement in _M011:
        db.execute(statement)
    # Positions from before partitions were kept: the server's word too, in the partition of
    # their record; one of no record held places nothing and is dropped (a pull says it again).
    db.conn.executemany(
        "INSERT OR IGNORE INTO log_pending (hash, idx, received, server, partition)"
        " VALUES (?, ?, ?, ?, ?)",
        _unpartitioned(db),
    )
    db.execute(
        "DELETE FROM server_log WHERE partition IS NULL AND NOT EXISTS ("
        " SELECT 1 FROM sync_sent s WHERE s.hash = server_log.hash AND s.receipt IS NOT NULL)"
    )
    partitions = db.execute(
        "SELECT partition, size, frontier, checked FROM log_partitions ORDER BY partition"
    ).fetchall()
    for name, size, frontier, checked in partitions:
        if not _floor_holds(db, str(name), int(size), str(frontier), int(checked)):
            for statement in _M011_UNPROVED:
                db.execute(statement, [name])
    from recap_desktop.storage.restate import restate
    from recap_desktop.storage.standing import signer_keys

    keys = dict.fromkeys(
        (str(s), str(c))
        for s, c in db.execute(
            "SELECT station, contest FROM sheets WHERE hash IN (SELECT hash FROM log_pending)"
            " UNION SELECT station, contest FROM reviews"
            " WHERE hash IN (SELECT hash FROM log_pending)"
        )
    )
    revoked = [str(k) for (k,) in db.execute("SELECT key_id FROM revoked")]
    keys.update(dict.fromkeys(signer_keys(db, revoked)))
    restate(db, list(keys))
