"""The SQLite store: append-only in the database itself, durable settings, migrations, rebuild."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.crypto import authority
from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.domain.election import Election
from recap_desktop.domain.status import COUNTED
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services.sheets import next_link
from recap_desktop.storage import StorageError, Store
from recap_desktop.storage.records import Records
from recap_desktop.storage.schema import (
    PROJECTIONS,
    SCHEMA_VERSION,
    fill_region_projection,
    migrations,
    regions_of,
)


def _raw(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(data_dir / "recap.db", isolation_level=None)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE records SET sig = 'x' WHERE id = 3",
        "UPDATE records SET payload = payload || ' '",
        "UPDATE records SET hash = hash",
        "DELETE FROM records WHERE id = 3",
        "DELETE FROM records",
    ],
)
def test_records_refuse_update_and_delete_in_the_database(
    populated_dir: Path, statement: str
) -> None:
    with _raw(populated_dir) as conn:
        before = conn.execute("SELECT * FROM records ORDER BY id").fetchall()
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(statement)
        assert conn.execute("SELECT * FROM records ORDER BY id").fetchall() == before


def test_wal_and_synchronous_full(populated_ws: Workspace) -> None:
    db = populated_ws.store.db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with _raw(populated_ws.data_dir) as conn:  # WAL is a property of the file itself
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_no_sqlite_utils_plugin_runs_on_the_store(populated_dir: Path) -> None:
    """A package installed beside the program (a sqlite-utils plugin) gets no hook into the
    signed records' connection: it could register functions or change its settings."""
    from sqlite_utils import hookimpl
    from sqlite_utils.plugins import pm

    class Plugin:
        @hookimpl
        def prepare_connection(self, conn: sqlite3.Connection) -> None:
            conn.create_function("planted", 0, lambda: "a plugin ran")
            conn.execute("PRAGMA foreign_keys=OFF")

    plugin = Plugin()
    pm.register(plugin, name="planted-by-a-test")
    try:
        workspace = Workspace(populated_dir)
        try:
            db = workspace.store.db
            with pytest.raises(sqlite3.OperationalError, match="no such function"):
                db.execute("SELECT planted()")
            assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        finally:
            workspace.close()
    finally:
        pm.unregister(plugin)


def test_migrations_are_recorded(tmp_path: Path) -> None:
    with Store(tmp_path / "recap.db") as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert migrations.pending(store.db) == []
        applied = {
            r[0]
            for r in store.db.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = 'recap'"
            )
        }
        assert "m001_initial" in applied
        assert len(applied) >= SCHEMA_VERSION
    with Store(tmp_path / "recap.db") as again:  # reopening changes nothing
        assert again.db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0] == len(
            applied
        )
    assert not list(tmp_path.glob("*.bak"))  # a fresh store needs no backup


def test_store_from_a_newer_schema_is_refused(
    populated_dir: Path, recap: Callable[..., Any]
) -> None:
    with _raw(populated_dir) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        records = conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    with pytest.raises(StorageError, match="newer"):
        Store.in_dir(populated_dir)
    result = recap("verify")
    assert result.code == 2
    assert "update Recap Desktop" in result.err
    with _raw(populated_dir) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert conn.execute("SELECT COUNT(*) FROM records").fetchone()[0] == records


def test_a_file_that_is_not_a_database_is_a_clear_error(
    data_dir: Path, recap: Callable[..., Any]
) -> None:
    data_dir.mkdir()
    (data_dir / "recap.db").write_bytes(b"this is not SQLite" * 100)
    result = recap("verify")
    assert result.code == 2
    assert "recap.db" in result.err and "Traceback" not in result.err


def test_append_is_idempotent(populated_ws: Workspace) -> None:
    store = populated_ws.store
    rows = [r.record for r in store.records.rows()]
    assert all(r is not None for r in rows)
    before = store.projections.dump()
    assert store.append([r for r in rows if r is not None], "import") == [False] * len(rows)
    assert store.records.count() == len(rows)
    assert store.projections.dump() == before


def test_a_fork_in_a_chain_is_refused(populated_ws: Workspace, populated_key: SigningKey) -> None:
    store = populated_ws.store
    last = next(r.record for r in store.records.rows(["sheet"]) if r.record and r.record.seq == 6)
    assert last is not None
    fork = sign(populated_key, {**last.payload, "time": "2026-02-14T23:59:59Z"})
    with pytest.raises(StorageError):
        store.append([fork], "local")
    assert store.records.get(fork.hash) is None
    assert store.records.count() == 8


# -- rebuild -----------------------------------------------------------------------------------


def _certified_key(ws: Workspace, role: str, jurisdiction: str, officer_id: str) -> SigningKey:
    key = SigningKey.generate()
    cert = authority.certificate(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        officer_id=officer_id,
        name=officer_id.title(),
        role=role,
        jurisdiction=jurisdiction,
        public_key=key.public_key,
        valid_from=demo_service.ISSUED,
        valid_until=demo_service.EXPIRES,
        issued=demo_service.ISSUED,
    )
    ws.store.append([cert], "import")
    return key


def _review(ws: Workspace, key: SigningKey, sheet: Record, decision: str) -> Record:
    record = sign(
        key,
        {
            "type": "review",
            **next_link(ws, key),
            "time": "2026-02-15T08:00:00Z",
            "election": demo_service.ELECTION_ID,
            "station": sheet.payload["station"],
            "contest": sheet.payload["contest"],
            "sheet": sheet.hash,
            "decision": decision,
            "reason": None if decision == "approve" else "angka tidak terbaca",
        },
    )
    ws.store.append([record], "local")
    return record


def _values(election: Election, station: str, contest: str, seed: int) -> dict[str, int]:
    import random

    return random_sheet(
        election.contests[contest], election.stations[station].registered, random.Random(seed)
    )


def _disputed_history(ws: Workspace, key: SigningKey) -> None:
    """Corrections, disputes, an approval, a rejection and a second officer's station."""
    election = ws.store.package.election()
    assert election is not None
    stations = sorted(election.stations)
    # A correction by the operator.
    first = ws.store.sheets.status(stations[0], "ppwp")
    assert first is not None and first["current"]
    sheet_service.enter_sheet(
        ws,
        key,
        stations[0],
        "ppwp",
        _values(election, stations[0], "ppwp", 7),
        supersedes=first["current"],
        reason="salah baca angka",
    )
    # A second operator disagrees on two stations: disputes.
    other = _certified_key(ws, "operator", "32.01", "operator-2")
    disputed = [
        sheet_service.enter_sheet(
            ws, other, stations[i], "ppwp", _values(election, stations[i], "ppwp", 100 + i)
        )
        for i in (1, 2)
    ]
    # A supervisor settles one dispute and rejects a sheet elsewhere.
    supervisor = _certified_key(ws, "supervisor", "32", "supervisor-1")
    _review(ws, supervisor, disputed[0], "approve")
    entered = ws.store.sheets.status(stations[0], "dpr-jabar-1")
    assert entered is not None
    rejected = ws.store.records.get(entered["current"])
    assert rejected is not None
    _review(ws, supervisor, rejected, "reject")
    # A station entered only by the second officer.
    sheet_service.enter_sheet(
        ws, other, stations[5], "ppwp", _values(election, stations[5], "ppwp", 5)
    )


def test_a_save_waits_for_a_sync_that_writes_between_its_reads_and_its_writes(
    populated_ws: Workspace, populated_key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window's sync worker writes through its own connection while the officer saves.
    A save reads (what is held, the chain head) before it writes; when the sync commits in
    between, the save must wait for it and then succeed, not fail with "database is locked".
    """
    import threading

    ws, key = populated_ws, populated_key
    election = ws.store.package.election()
    assert election is not None
    station = sorted(election.stations)[0]
    status = ws.store.sheets.status(station, "ppwp")
    assert status is not None
    synced: list[str] = []

    def sync_writes() -> None:  # the sync worker, on its own thread and connection
        with Store.in_dir(ws.data_dir) as sync:
            sync.outbox.set_setting("cursor test", "42")
        synced.append("done")

    real_held = Records.held
    racer: list[threading.Thread] = []

    def held_then_sync_commits(self: Records, hashes: Any) -> set[str]:
        found = real_held(self, hashes)
        if not racer:
            racer.append(threading.Thread(target=sync_writes))
            racer[0].start()
            # Unfixed, the other connection commits here at once; fixed, it waits for the
            # save's write lock (this join gives up first) and commits after the save.
            racer[0].join(timeout=1.0)
        return found

    monkeypatch.setattr(Records, "held", held_then_sync_commits)
    record = sheet_service.enter_sheet(
        ws,
        key,
        station,
        "ppwp",
        _values(election, station, "ppwp", 3),
        supersedes=status["current"],
        reason="salah baca angka",
    )
    racer[0].join()
    assert synced == ["done"]
    assert ws.store.outbox.setting("cursor test") == "42"
    assert ws.store.records.get(record.hash) == record


def test_rebuild_gives_identical_projections(
    populated_ws: Workspace, populated_key: SigningKey
) -> None:
    ws, key = populated_ws, populated_key
    _disputed_history(ws, key)
    before = ws.store.projections.dump()
    states = {row[2] for row in before["sheet_status"]}
    assert {"corrected", "disputed", "approved", "rejected", "signed"} <= states
    assert all(before[t] for t in ("sheets", "reviews", "current_values", "heads", "certificates"))
    assert before["region_totals"] and before["region_counted"]
    _assert_region_projection_is_a_recount(ws.store)

    # Wipe the projections behind the program's back: rebuild must bring them all back.
    with _raw(ws.data_dir) as conn:
        for table in PROJECTIONS:
            conn.execute(f"DELETE FROM {table}")
    assert ws.store.projections.rebuild() == ws.store.records.count()
    assert ws.store.projections.dump() == before
    assert ws.store.projections.rebuild() == ws.store.records.count()  # twice is the same as once
    assert ws.store.projections.dump() == before
    # The migration's fill gives the same rows as the saves' deltas.
    with ws.store.db.atomic():
        fill_region_projection(ws.store.db)
    assert ws.store.projections.dump() == before


def test_rebuild_command(populated_dir: Path, recap: Callable[..., Any]) -> None:
    store = Store.in_dir(populated_dir)
    before = store.projections.dump()
    store.close()
    result = recap("rebuild")
    assert result.code == 0 and "8" in result.out
    with Store.in_dir(populated_dir) as store:
        assert store.projections.dump() == before
    assert recap("verify").code == 0


@pytest.mark.parametrize("order", ["in-order", "newest-first"])
def test_revocations_projection_follows_the_newest_list_whatever_the_arrival_order(
    populated_ws: Workspace, order: str
) -> None:
    """Version 2 lifts the revocation of version 1; the store must agree with the verifier."""
    ws = populated_ws
    revoked_key = SigningKey.generate()
    lists = [
        authority.revocations(
            demo_service.demo_authority(),
            election=demo_service.ELECTION_ID,
            version=version,
            issued="2026-02-01T00:00:00Z",
            revoked=entries,
        )
        for version, entries in (
            (1, [{"key_id": revoked_key.key_id, "reason": "laptop stolen"}]),
            (2, []),
        )
    ]
    if order == "newest-first":
        lists.reverse()
    for record in lists:
        ws.store.append([record], "sync")
    assert ws.store.keys.revoked() == {}
    before = ws.store.projections.dump()
    ws.store.projections.rebuild()
    assert ws.store.projections.dump() == before


SCHEMA_1_STORE = Path(__file__).parent / "data" / "recap-schema1.db"


def _revoke_in_schema_1(conn: sqlite3.Connection) -> str:
    """The schema-1 file as its release kept a revocation list naming the sheets' signer:
    the list (signed by the DEMO authority that signed the package) and its ``revoked`` row.
    Returns the revoked key."""
    from recap_desktop.services.demo import demo_authority

    (signer,) = conn.execute("SELECT DISTINCT signer FROM sheets").fetchone()
    (election,) = conn.execute(
        "SELECT json_extract(payload, '$.election') FROM records WHERE type = 'election'"
    ).fetchone()
    issued = "2026-11-24T10:18:00Z"
    listed = authority.revocations(
        demo_authority(),
        election=election,
        version=1,
        issued=issued,
        revoked=[{"key_id": signer, "reason": "laptop stolen", "time": issued}],
    )
    conn.execute(
        "INSERT INTO records (hash, type, signer, seq, payload, sig, received, origin)"
        " VALUES (?, 'revocations', ?, NULL, ?, ?, '2026-11-24T10:18:01.000000Z', 'import')",
        [listed.hash, listed.signer, listed.canonical.decode("utf-8"), listed.sig],
    )
    conn.execute("INSERT INTO revoked VALUES (?, 'laptop stolen', 1)", [signer])
    return str(signer)


@pytest.mark.parametrize("revoked", [False, True], ids=["as-kept", "signer-revoked"])
def test_a_store_written_by_schema_1_opens_upgraded_and_verifies(
    data_dir: Path, revoked: bool
) -> None:
    """tests/data/recap-schema1.db was written by the first release's schema (demo init and
    two populated stations). Every later migration must open it, keep every record byte for
    byte, back the old file up before changing it, and verify. With the sheets' signer
    revoked (a revocation list held), every migration that restates the stations (m006 on)
    must run before the tables of later ones exist, and the sheets are set aside ``revoked``
    (no position of theirs is known), as `recap verify` finds too."""
    import shutil

    from recap_desktop.services.verify import verify_store

    data_dir.mkdir()
    shutil.copy(SCHEMA_1_STORE, data_dir / "recap.db")
    with _raw(data_dir) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        key = _revoke_in_schema_1(conn) if revoked else None
        records = conn.execute("SELECT * FROM records ORDER BY id").fetchall()
    ws = Workspace(data_dir)
    try:
        store = ws.store
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("SELECT * FROM records ORDER BY id").fetchall() == records
        backups = list(data_dir.glob("recap.db.schema1.bak"))
        assert len(backups) == (1 if SCHEMA_VERSION > 1 else 0)
        report = verify_store(ws)
        assert report.records == len(records) == (7 if revoked else 6)
        if key is None:
            assert report.ok
        else:
            assert list(store.keys.revoked()) == [key]
            sheets = {
                str(h): (str(s), str(c))
                for h, s, c in store.db.execute("SELECT hash, station, contest FROM sheets")
            }
            assert len(sheets) == 4
            for hash_, (station, contest) in sheets.items():
                assert store.sheets.standings(station, contest)[hash_] == "revoked"
            # The replay finds what the store set aside, and nothing else.
            assert not report.errors
            assert {(p.record, p.kind) for p in report.attention} == {
                (h, "revoked") for h in sheets
            }
        # m004 filled the totals per region from the sheets that count and dropped m003's
        # index.
        totals = store.db.execute("SELECT COUNT(*) FROM region_totals").fetchone()[0]
        assert (totals == 0) if revoked else (totals > 0)
        assert (
            store.db.execute(
                "SELECT name FROM sqlite_master WHERE name = 'current_values_by_field'"
            ).fetchall()
            == []
        )
        _assert_region_projection_is_a_recount(store)
        before = store.projections.dump()
        store.projections.rebuild()
        assert store.projections.dump() == before
    finally:
        ws.close()


def test_sheets_move_to_a_rowid_table_with_every_row_and_the_same_projections(
    populated_dir: Path, populated_key: SigningKey
) -> None:
    """m005: a store whose sheets were a WITHOUT ROWID table (schema 4) opens with the same
    rows in a rowid table, the same projections, and still refuses nothing it took before."""
    ws = Workspace(populated_dir)
    try:
        _disputed_history(ws, populated_key)
        before = ws.store.projections.dump()
        sheets = sorted(ws.store.db.execute("SELECT * FROM sheets").fetchall())
    finally:
        ws.close()
    assert len(sheets) > 2
    with _raw(populated_dir) as conn:  # back to schema 4's table
        conn.execute(
            "CREATE TABLE old_sheets (hash TEXT PRIMARY KEY, station TEXT NOT NULL,"
            " contest TEXT NOT NULL, signer TEXT NOT NULL, seq INTEGER NOT NULL,"
            ' time TEXT NOT NULL, supersedes TEXT, reason TEXT, "values" TEXT NOT NULL,'
            " acknowledged TEXT NOT NULL) WITHOUT ROWID"
        )
        conn.execute("INSERT INTO old_sheets SELECT * FROM sheets")
        conn.execute("DROP TABLE sheets")
        conn.execute("ALTER TABLE old_sheets RENAME TO sheets")
        conn.execute("CREATE INDEX sheets_key ON sheets(station, contest)")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm005_perf_sheets_rowid'")
        conn.execute("PRAGMA user_version = 4")
    with Store.in_dir(populated_dir) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        sql = store.db.execute("SELECT sql FROM sqlite_master WHERE name = 'sheets'").fetchone()
        assert "WITHOUT ROWID" not in sql[0]
        assert sorted(store.db.execute("SELECT * FROM sheets").fetchall()) == sheets
        assert store.projections.dump() == before
        store.projections.rebuild()
        assert store.projections.dump() == before
        assert store.integrity.dangling_references() == []


def _back_to_schema_10(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE log_pending")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm011_log_pending'")
    conn.execute("PRAGMA user_version = 10")


def _checked_state(partition: str, entries: list[tuple[str, int, str]]) -> tuple[int, str]:
    """The size and frontier (as log_partitions keeps it) of a partition's tree of entries."""
    import json

    from recap_desktop.protocol import merkle
    from recap_desktop.protocol.log import leaf_hash

    frontier = merkle.extend(0, [], [leaf_hash(h, i, partition, t) for h, i, t in entries])
    return len(entries), json.dumps([f.hex() for f in frontier])


def test_positions_a_pull_has_not_proved_move_apart(populated_dir: Path) -> None:
    """m011: a position a pull kept past where its partition was last checked, and that no
    receipt names, is the server's word (PROTOCOL §10.5): it moves to log_pending and no
    longer decides standing; one below the checked index (where the partition's kept tree
    is rebuilt from them, as its check left it), or named by a receipt, stays. So does a
    position kept before partitions were (none: from a server without a log), in its
    record's partition; one of a record not held is dropped."""
    from recap_desktop.protocol.log import partition_of

    with Store.in_dir(populated_dir) as store:
        below, pulled, receipted, early, early_receipted = [
            str(h)
            for (h,) in store.db.execute(
                "SELECT hash FROM records WHERE type = 'sheet' ORDER BY id LIMIT 5"
            )
        ]
        record = store.records.get(early)
        assert record is not None
    t, server, name = "2026-02-14T12:00:00Z", "ab" * 32, "32.01.01"
    assert partition_of(record) == name  # the populated stations' district
    size, frontier = _checked_state(name, [(below, 3, t)])
    with _raw(populated_dir) as conn:  # back to schema 10, with positions kept as it kept them
        _back_to_schema_10(conn)
        conn.execute("INSERT INTO log_partitions VALUES (?, ?, ?, 5)", [name, size, frontier])
        conn.executemany(
            "INSERT INTO server_log (hash, idx, received, server, partition)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (below, 3, t, server, name),
                (pulled, 7, t, server, name),
                (receipted, 8, t, server, name),
                (early, 1, t, server, None),
                (early_receipted, 2, t, server, None),
                ("ee" * 32, 0, t, server, None),
            ],
        )
        conn.executemany(
            "INSERT INTO sync_sent (hash, receipt, sent, server) VALUES (?, ?, ?, ?)",
            [(h, "cd" * 32, t, server) for h in (receipted, early_receipted)],
        )
    with Store.in_dir(populated_dir) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert set(store.evidence.positions()) == {below, receipted, early_receipted}
        assert store.db.execute(
            "SELECT hash, idx, partition FROM log_pending ORDER BY idx"
        ).fetchall() == [(early, 1, name), (pulled, 7, name)]
        assert store.witness.checked_partitions() == [name]
        # Still rebuilt and checked with the rest of its partition.
        assert [h for h, _, _ in store.witness.entries(name, 0, 10)] == [
            early,
            below,
            pulled,
            receipted,
        ]
        before = store.projections.dump()
        store.projections.rebuild()
        assert store.projections.dump() == before


def test_positions_written_below_a_floor_after_its_check_move_apart(populated_dir: Path) -> None:
    """m011: before it, a pull from an earlier cursor (another address of the server starts
    at 0) kept what its pages said at any index not yet known, below a partition's floor too.
    Where the positions below the floor no longer rebuild the tree its check kept, none of
    that partition's is trusted: all but those a receipt names move to log_pending, and its
    floor goes back to 0 (the next pull rebuilds it from the start). Another partition,
    whose positions rebuild its tree, keeps them."""
    with Store.in_dir(populated_dir) as store:
        proved, slipped, receipted, other = [
            str(h)
            for (h,) in store.db.execute(
                "SELECT hash FROM records WHERE type = 'sheet' ORDER BY id LIMIT 4"
            )
        ]
    t, server = "2026-02-14T12:00:00Z", "ab" * 32
    name, kept = "32.01.01", "32.01.02"
    size, frontier = _checked_state(name, [(proved, 2, t), (receipted, 4, t)])
    other_size, other_frontier = _checked_state(kept, [(other, 3, t)])
    with _raw(populated_dir) as conn:
        _back_to_schema_10(conn)
        conn.executemany(
            "INSERT INTO log_partitions VALUES (?, ?, ?, 6)",
            [(name, size, frontier), (kept, other_size, other_frontier)],
        )
        conn.executemany(
            "INSERT INTO server_log (hash, idx, received, server, partition)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (proved, 2, t, server, name),
                (receipted, 4, t, server, name),
                (slipped, 1, t, server, name),
                (other, 3, t, server, kept),
            ],
        )
        conn.execute(
            "INSERT INTO sync_sent (hash, receipt, sent, server) VALUES (?, ?, ?, ?)",
            [receipted, "cd" * 32, t, server],
        )
    with Store.in_dir(populated_dir) as store:
        assert set(store.evidence.positions()) == {receipted, other}
        assert store.db.execute("SELECT hash, idx FROM log_pending ORDER BY idx").fetchall() == [
            (slipped, 1),
            (proved, 2),
        ]
        assert store.witness.checked_partitions() == [kept]
        assert store.witness.checked(name).checked == 0
        assert [h for h, _, _ in store.witness.entries(name, 0, 10)] == [
            slipped,
            proved,
            receipted,
        ]
        before = store.projections.dump()
        store.projections.rebuild()
        assert store.projections.dump() == before


def test_threads_opening_a_store_that_needs_migrating_all_get_it_migrated_once(
    data_dir: Path,
) -> None:
    """The window opens the store from its quick thread, its sync worker and any task the
    officer starts while the first opening is still migrating: every one must get the upgraded
    store, the upgrade must run once, and there must be one backup."""
    import shutil
    import threading

    data_dir.mkdir()
    shutil.copy(SCHEMA_1_STORE, data_dir / "recap.db")
    start = threading.Barrier(4)
    opened: list[int] = []
    failed: list[BaseException] = []

    def open_store() -> None:
        start.wait()
        try:
            with Store.in_dir(data_dir) as store:
                opened.append(store.db.execute("PRAGMA user_version").fetchone()[0])
        except BaseException as exc:  # the test reports whatever a thread met
            failed.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert opened == [SCHEMA_VERSION] * 4
    assert len(list(data_dir.glob("recap.db.schema1.bak"))) == 1
    with _raw(data_dir) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations")]
    assert len(names) == len(set(names))


def test_opening_an_early_store_waits_for_another_opening_instead_of_failing(
    data_dir: Path,
) -> None:
    """A store made by an early version keeps a rollback journal; moving it to WAL needs the
    file alone, and SQLite answers "database is locked" at once (no busy timeout) while
    another connection holds its write lock: the window's threads opening it together failed
    now and then (5 of 150 times), and CI met it. The opening waits its turn instead."""
    import shutil
    import sqlite3
    import threading

    data_dir.mkdir()
    shutil.copy(SCHEMA_1_STORE, data_dir / "recap.db")
    other = sqlite3.connect(data_dir / "recap.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another opening, in its migration
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        with Store.in_dir(data_dir) as store:
            assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        release.join()
        other.close()


def test_processes_opening_a_store_that_needs_migrating_upgrade_it_once(
    data_dir: Path, tmp_path: Path
) -> None:
    """The CLI, the window and its verification child are separate processes and may open a
    store that needs an upgrade at the same moment: each must get the upgraded store, the
    upgrade must run once, and the backup made before it must not be overwritten."""
    import shutil
    import subprocess
    import sys
    import time

    data_dir.mkdir()
    shutil.copy(SCHEMA_1_STORE, data_dir / "recap.db")
    go = tmp_path / "go"
    script = (
        "import sys, time, pathlib\n"
        "from recap_desktop.storage import Store\n"
        "go = pathlib.Path(sys.argv[2])\n"
        "while not go.exists(): time.sleep(0.005)\n"
        "with Store.in_dir(pathlib.Path(sys.argv[1])) as store:\n"
        "    print(store.db.execute('PRAGMA user_version').fetchone()[0])\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(data_dir), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    time.sleep(1.0)  # let the interpreters start and wait at the line
    go.touch()
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], results
    assert [out.strip() for out, _err in results] == [str(SCHEMA_VERSION)] * 3
    assert len(list(data_dir.glob("recap.db.schema1.bak*"))) == 1
    with _raw(data_dir) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations")]
    assert len(names) == len(set(names))
    with sqlite3.connect(data_dir / "recap.db.schema1.bak") as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 1


# -- totals per region --------------------------------------------------------------------------


def _recount_totals(store: Store, prefix: str, contest: str) -> tuple[dict[str, int], int]:
    """store.sheets.totals' sums and counted stations, counted again from current_values and
    sheet_status (the region, or a station of that code, and everything inside it)."""
    inside = "(station = ? OR (station >= ? AND station < ?))"
    args = [contest, prefix, prefix + ".", prefix + "/"]
    sums = {
        f: int(v)
        for f, v in store.db.execute(
            f"SELECT field, SUM(value) FROM current_values WHERE contest = ? AND {inside}"
            " GROUP BY field",
            args,
        )
    }
    outline = store.package.outline()
    held = outline.contests.get(contest) if outline is not None else None
    if held is not None:
        sums = {f: v for f, v in sums.items() if f in held.form.field_ids}
    counted = store.db.execute(
        f"SELECT COUNT(*) FROM sheet_status WHERE contest = ? AND {inside}"
        f" AND state IN ({', '.join('?' for _ in COUNTED)})",
        [*args, *sorted(COUNTED)],
    ).fetchone()[0]
    return sums, int(counted)


def _assert_region_projection_is_a_recount(store: Store) -> None:
    totals: dict[tuple[str, str, str], list[int]] = {}
    for contest, station, field, value in store.db.execute(
        "SELECT contest, station, field, value FROM current_values"
    ):
        for region in regions_of(station):
            acc = totals.setdefault((contest, region, field), [0, 0])
            acc[0] += value
            acc[1] += 1
    counted: dict[tuple[str, str], int] = {}
    for station, contest, state in store.db.execute(
        "SELECT station, contest, state FROM sheet_status"
    ):
        if state in COUNTED:
            for region in regions_of(station):
                counted[(contest, region)] = counted.get((contest, region), 0) + 1
    assert sorted(store.db.execute("SELECT * FROM region_totals").fetchall()) == sorted(
        (c, r, f, v, n) for (c, r, f), (v, n) in totals.items()
    )
    assert sorted(store.db.execute("SELECT * FROM region_counted").fetchall()) == sorted(
        (c, r, n) for (c, r), n in counted.items()
    )
    # store.sheets.totals answers every prefix the program passes (each region level, a station)
    # and any other code, as the recount over current_values does.
    prefixes = {r for (_, r) in counted} | {s for (s, _) in store.sheets.states_within(None)}
    prefixes |= {r[0] for r in store.db.execute("SELECT code FROM regions").fetchall()}
    prefixes |= {"", "3", "32.0", "99", "32.01.01.2001.0"}
    contests = {c for (c, _) in counted} | {"no-such-contest"}
    for prefix in sorted(prefixes):
        for contest in sorted(contests):
            sums, got_counted, _ = store.sheets.totals(prefix, contest)
            assert (sums, got_counted) == _recount_totals(store, prefix, contest), (
                prefix,
                contest,
            )


def test_region_totals_follow_saves_corrections_and_reviews(
    populated_ws: Workspace, populated_key: SigningKey
) -> None:
    ws = populated_ws
    _assert_region_projection_is_a_recount(ws.store)
    _disputed_history(ws, populated_key)
    _assert_region_projection_is_a_recount(ws.store)
    sums, counted, expected = ws.store.sheets.totals("32", "ppwp")
    assert counted and expected >= counted and sums


def _history_records(ws: Workspace, key: SigningKey) -> tuple[list[Record], list[Record]]:
    """(authority records, sheets and reviews) of a store with a disputed history."""
    _disputed_history(ws, key)
    records = [r.record for r in ws.store.records.rows()]
    assert all(r is not None for r in records)
    held = [r for r in records if r is not None]
    authority = [r for r in held if r.type not in ("sheet", "review")]
    chained = [r for r in held if r.type in ("sheet", "review")]
    return authority, chained


def test_a_pulled_page_projects_as_appending_one_at_a_time(
    populated_ws: Workspace, populated_key: SigningKey, tmp_path: Path
) -> None:
    authority, chained = _history_records(populated_ws, populated_key)
    assert {r.payload.get("supersedes") is not None for r in chained} == {True, False}
    assert any(r.type == "review" for r in chained)
    expected = populated_ws.store.projections.dump()
    with Store(tmp_path / "one" / "recap.db") as one, Store(tmp_path / "page" / "recap.db") as page:
        one.append(authority, "import")
        page.append(authority, "import")
        for record in chained:
            assert one.append([record], "server") == [True]
        # The whole history as one page, a record twice and one held already.
        assert page.append(chained[:1], "server") == [True]
        added = page.outbox.append_pulled([*chained, chained[3]], "cursor", "9")
        assert added == [False] + [True] * (len(chained) - 1) + [False]
        assert page.outbox.setting("cursor") == "9"
        assert one.projections.dump() == page.projections.dump() == expected
        _assert_region_projection_is_a_recount(page)
        assert [r.hash for r in page.records.rows()] == [r.hash for r in one.records.rows()]


def test_a_pulled_page_with_a_fork_changes_nothing(
    populated_ws: Workspace, populated_key: SigningKey, tmp_path: Path
) -> None:
    authority, chained = _history_records(populated_ws, populated_key)
    with Store(tmp_path / "page" / "recap.db") as page:
        page.append(authority, "import")
        page.append(chained[:2], "server")
        before = page.projections.dump()
        fork = sign(populated_key, {**chained[1].payload, "time": "2026-02-14T23:59:59Z"})
        with pytest.raises(StorageError):
            page.outbox.append_pulled([*chained[2:], fork], "cursor", "9")
        assert page.projections.dump() == before
        assert page.records.count() == len(authority) + 2
        assert page.outbox.setting("cursor") is None


@pytest.mark.parametrize(
    ("values", "safe"),
    [
        ({}, True),
        ({"a": 1, "b": -2, "c": 0}, True),
        ({'q"uo\\te': 5, "sp ace": 7}, True),
        ({"a": 2**53 - 1, "b": -(2**53) + 1}, True),
        ({"a": 2**53}, False),
        ({"a": -(2**53)}, False),
        ({"é": 3}, False),
    ],
)
def test_current_values_unpacked_by_sqlite_are_the_rows_bound_one_by_one(
    values: dict[str, int], safe: bool
) -> None:
    import json

    from recap_desktop.storage.restate import _json_safe

    assert _json_safe(values) == safe
    conn = sqlite3.connect(":memory:")
    for table in ("one_by_one", "unpacked"):
        conn.execute(
            f"CREATE TABLE {table} (contest TEXT NOT NULL, station TEXT NOT NULL,"
            " field TEXT NOT NULL, value INTEGER NOT NULL,"
            " PRIMARY KEY (contest, station, field)) WITHOUT ROWID"
        )
    conn.executemany(
        "INSERT INTO one_by_one VALUES (?, ?, ?, ?)", [("c", "s", f, v) for f, v in values.items()]
    )
    conn.execute(
        "INSERT INTO unpacked SELECT ?, ?, key, value FROM json_each(?)",
        ["c", "s", json.dumps(values)],
    )
    rows = [
        conn.execute(f"SELECT *, typeof(value) FROM {t} ORDER BY field").fetchall()
        for t in ("one_by_one", "unpacked")
    ]
    if safe:
        assert rows[0] == rows[1]


def test_a_store_from_a_build_that_named_the_tampered_migration_m011_opens(
    data_dir: Path,
) -> None:
    """Stores written by development builds recorded the same table under another name."""
    with Store.in_dir(data_dir):
        pass
    with _raw(data_dir) as conn:
        conn.execute(
            "UPDATE _sqlite_migrations SET name = 'm011_tampered' WHERE name = 'm009_tampered'"
        )
        conn.execute("INSERT INTO tampered VALUES ('ab' || hex(zeroblob(31)), 'payload', 'x')")
        conn.execute("PRAGMA user_version = 8")
    with Store.in_dir(data_dir) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.db.execute("SELECT COUNT(*) FROM tampered").fetchone()[0] == 1
