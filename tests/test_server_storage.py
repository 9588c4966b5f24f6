"""The server's storage on SQLite and PostgreSQL alike (the PostgreSQL pass runs this file
against its own schema): append-only tables, projections equal to a recount, migrations of a
database from before the projections, a trust and a log shared between workers."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from recap_desktop.crypto.envelope import sign
from recap_desktop.domain.status import COUNTED, DISPUTED
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import sync as sync_service
from recap_server import storage as storage_module
from recap_server.log import Summary
from recap_server.server import DB_NAME, ServerSetupError, open_ledger
from recap_server.storage import SqlStorage
from tests.pg_support import database_for
from tests.sync_support import (
    DISTRICT,
    Laptop,
    LiveServer,
    district_stations,
    enter,
    make_laptop,
)

# (table, a statement that would rewrite history)
REWRITES = [
    ("records", "UPDATE records SET received = '2020-01-01T00:00:00Z'"),
    ("records", "DELETE FROM records"),
    ("log_nodes", "UPDATE log_nodes SET hash = hash"),
    ("log_nodes", "DELETE FROM log_nodes"),
    ("partition_nodes", "DELETE FROM partition_nodes"),
    ("heads", "DELETE FROM heads"),
]


def _synced_server(tmp_path: Path) -> LiveServer:
    """A server holding two officers' sheets of a district: one station disputed."""
    server = LiveServer(tmp_path / "server")
    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    try:
        stations = district_stations(a.ws)
        for i, station in enumerate(stations[:4]):
            enter(a, station, seed=i)
        enter(b, stations[0], seed=99)  # other numbers for the same station: a dispute
        enter(b, stations[5], seed=5)
        for laptop in (a, b):
            assert sync_service.sync_once(laptop.ws, server.url).outcome == "done"
    finally:
        a.ws.close()
        b.ws.close()
    return server


def _recount(storage: SqlStorage, contest: str) -> dict[str, Any]:
    """The totals and stats by scanning every row, as the server answered before projections."""
    out: dict[str, Any] = {}
    for station, state, values in storage._query(
        'SELECT s.station, s.state, h."values" FROM status s'
        " LEFT JOIN sheets h ON h.hash = s.current WHERE s.contest = ?",
        [contest],
    ):
        parts = str(station).split(".")
        for depth in range(1, len(parts)):
            sums, counted, states = out.setdefault(".".join(parts[:depth]), ({}, 0, {}))
            states[state] = states.get(state, 0) + 1
            if state in COUNTED and values is not None:
                for field, value in json.loads(values).items():
                    sums[field] = sums.get(field, 0) + int(value)
                out[".".join(parts[:depth])] = (sums, counted + 1, states)
    return out


def test_history_cannot_be_rewritten_in_the_database(tmp_path: Path) -> None:
    server = _synced_server(tmp_path)
    try:
        storage = server.ledger.storage
        assert isinstance(storage, SqlStorage)
        size = storage.log_size()
        for table, statement in REWRITES:
            with pytest.raises(Exception, match="append-only") as refused:
                storage._query(statement)
            assert table in statement, refused
        assert storage.log_size() == size
        assert len(storage.pull_raw(None, 0, 10_000, size)) == size
    finally:
        server.stop()


def test_totals_and_stats_from_projections_equal_a_recount(tmp_path: Path) -> None:
    server = _synced_server(tmp_path)
    try:
        storage = server.ledger.storage
        assert isinstance(storage, SqlStorage)
        for contest in ("ppwp",):
            recount = _recount(storage, contest)
            assert recount, "the district holds sheets of the contest"
            assert storage.all_totals(contest) == recount
            for region, expected in recount.items():
                assert storage.totals(region, contest) == expected
        stats = server.stats()
        disputes = storage._query("SELECT COUNT(*) FROM status WHERE state = ?", [DISPUTED])
        assert stats["disputes"] == int(disputes[0][0]) == 1
        assert stats["records"] == storage.log_size()
        sheets = storage._query("SELECT COUNT(*) FROM records WHERE type = 'sheet'")
        assert stats["sheets"] == int(sheets[0][0])
        region = requests.get(f"{server.url}/v1/regions/{DISTRICT}/totals", timeout=10).json()
        assert {c["contest"]: c["states"] for c in region["contests"]}["ppwp"] == {
            s: n for s, n in _recount(storage, "ppwp")[DISTRICT][2].items()
        }
    finally:
        server.stop()


def _reopened_after(tmp_path: Path, *statements: str) -> SqlStorage:
    """The stopped server's database as an earlier version left it (``statements`` undo a
    migration), opened again: its migrations run."""
    db = database_for(tmp_path / "server")
    old = open_ledger(tmp_path / "server", demo=True, database=db).storage
    assert isinstance(old, SqlStorage)
    with old.transaction() as conn:
        for statement in statements:
            conn.execute(statement)
    old.close()
    again = open_ledger(tmp_path / "server", demo=True, database=db).storage
    assert isinstance(again, SqlStorage)
    return again


def test_a_database_from_before_the_projections_gains_them_when_opened(tmp_path: Path) -> None:
    server = _synced_server(tmp_path)
    storage = server.ledger.storage
    assert isinstance(storage, SqlStorage)
    expected = (storage.all_totals("ppwp"), server.stats())
    server.stop()
    # As migration 1 left it: no projections, no record of migrations 2 and 5.
    again = _reopened_after(
        tmp_path,
        "DROP TABLE counters",
        "DROP TABLE totals",
        "DROP INDEX records_type",
        "DELETE FROM migrations WHERE version IN (2, 5)",
    )
    try:
        assert again.schema_version() == 5  # the latest: 5 keeps a tally a region
        assert (again.all_totals("ppwp"), again.stats()) == expected
    finally:
        again.close()


def test_totals_kept_a_row_a_key_are_counted_again_into_a_row_a_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database from before migration 5 (region_totals, a row a key) gains ``totals``,
    counted again from the stations' states a page at a time (pages of 2 here, so that a
    region's tally is added to across pages), and loses the old table, when opened."""
    server = _synced_server(tmp_path)
    storage = server.ledger.storage
    assert isinstance(storage, SqlStorage)
    expected = {c: storage.all_totals(c) for c in ("ppwp", "dpr")}
    assert expected["ppwp"], "the district holds sheets of the contest"
    states = int(storage._query("SELECT COUNT(*) FROM status")[0][0])
    assert states > 4, "more than two pages"
    server.stop()
    monkeypatch.setattr(storage_module, "_FILL_PAGE", 2)
    again = _reopened_after(
        tmp_path,
        "DROP TABLE totals",
        """CREATE TABLE region_totals (
        region TEXT NOT NULL, contest TEXT NOT NULL, key TEXT NOT NULL, n BIGINT NOT NULL,
        PRIMARY KEY (region, contest, key))""",
        "INSERT INTO region_totals VALUES ('32', 'ppwp', 'counted', 999)",
        "DELETE FROM migrations WHERE version = 5",
    )
    try:
        assert again.schema_version() == 5
        assert {c: again.all_totals(c) for c in ("ppwp", "dpr")} == expected
        for region, found in expected["ppwp"].items():
            assert again.totals(region, "ppwp") == found
        with pytest.raises(Exception, match="region_totals"):
            again._query("SELECT COUNT(*) FROM region_totals")
    finally:
        again.close()


def test_a_worker_sees_what_another_worker_stored(tmp_path: Path) -> None:
    """Two ledgers on one database (two workers): a certificate the first stores makes the
    second admit that officer's sheet; each sees the other's log."""
    first = LiveServer(tmp_path / "server")
    second = open_ledger(tmp_path / "server", demo=True, database=database_for(tmp_path / "server"))
    newcomer = make_laptop(tmp_path / "c", "op-newcomer")
    try:
        trust_before = second.trust()
        records = [r.record for r in newcomer.ws.store.records.rows() if r.record]
        certificate = [r for r in records if r.type == "certificate"]
        answer = first.ledger.push([r.to_json() for r in certificate])
        assert {o.status for o in answer.outcomes} <= {"stored", "held"}
        sheet = enter(newcomer, district_stations(newcomer.ws)[7], seed=7)
        record = newcomer.ws.store.records.get(sheet)
        assert record is not None
        pushed = second.push([record.to_json()])
        assert [o.status for o in pushed.outcomes] == ["stored"], pushed.outcomes
        assert second.trust() is not trust_before
        # One log: the second's entry follows the first's, and the first serves it.
        size = second.view.size
        assert first.ledger.view.size == size == first.ledger.storage.log_size()
        assert first.ledger.view.head is not None
        assert first.ledger.view.head.hash == pushed.head.hash
        page = requests.get(
            first.url + "/v1/pull", params={"jurisdiction": DISTRICT, "since": 0}, timeout=10
        ).json()
        # (The package is named by hash alone, PROTOCOL §9.5; the sheet comes whole.)
        assert sheet in {e["record"]["hash"] for e in page["entries"] if "record" in e}
        assert page["next"] == size
    finally:
        newcomer.ws.close()
        second.storage.close()
        first.stop()


def test_a_pull_for_a_jurisdiction_with_a_nul_is_answered_not_a_server_error(
    tmp_path: Path,
) -> None:
    """A pull's and the fork evidence's jurisdiction goes into a query; a NUL in it, which
    PostgreSQL text cannot hold, is refused as not a region code (400), never a 500."""
    server = _synced_server(tmp_path)
    try:
        for door in ("/v1/pull", "/v1/evidence"):
            for jurisdiction in ("32\x00", "32.01\x00.01", "\x00"):
                answer = requests.get(
                    server.url + door, params={"jurisdiction": jurisdiction}, timeout=10
                )
                assert answer.status_code == 400, (door, answer.text)
                assert "not a region code" in answer.json()["detail"]
        empty = requests.get(
            server.url + "/v1/pull",
            params={"jurisdiction": DISTRICT, "since": server.ledger.view.size},
            timeout=10,
        ).json()
        assert empty["entries"] == [] and empty["next"] == server.ledger.view.size
    finally:
        server.stop()


def _forked_server(tmp_path: Path) -> tuple[LiveServer, str]:
    """A server holding one fork: an officer's key on two laptops, each signing the same
    place of its chain for another station of the district. Returns the forked station."""
    server = LiveServer(tmp_path / "server")
    a = make_laptop(tmp_path / "a", "op-a")
    twin = Laptop(Workspace(tmp_path / "twin"), a.key)  # the same key on a second laptop
    a.ws.close()
    shutil.copytree(a.data_dir, twin.data_dir)
    try:
        stations = district_stations(a.ws)
        enter(a, stations[0], seed=1)
        enter(twin, stations[1], seed=2)  # the same place of the chain: a fork
        assert sync_service.sync_once(a.ws, server.url).outcome == "done"
        sync_service.sync_once(twin.ws, server.url)
        assert server.stats()["equivocations"] == 1
    finally:
        a.ws.close()
        twin.ws.close()
    return server, stations[1]


def test_a_regions_fork_evidence_is_read_by_its_stations_not_by_scanning_every_fork(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every laptop asks its region's forks at every sync: the read finds them by station
    (a fork's offered record's), and parses none of another region's."""
    server, station = _forked_server(tmp_path)
    storage = server.ledger.storage
    try:
        parsed: list[int] = []
        real = storage_module.from_json
        monkeypatch.setattr(
            storage_module, "from_json", lambda value: parsed.append(1) or real(value)
        )
        for region, forks in [
            (station, 1),
            (DISTRICT, 1),
            (DISTRICT.rsplit(".", 1)[0], 1),  # the regency above
            (DISTRICT + "0", 0),  # a code that starts like it, but is not within it
            ("99", 0),
        ]:
            parsed.clear()
            pairs = storage.evidence(region)
            assert [b.payload.get("station") for _, b in pairs] == [station] * forks, region
            assert len(parsed) <= forks, region  # no other region's fork parsed
        answer = requests.get(server.url + "/v1/evidence", params={"jurisdiction": DISTRICT})
        assert len(answer.json()["forks"]) == 1
    finally:
        server.stop()


def test_forks_kept_before_they_were_kept_by_station_are_found_after_the_migration(
    tmp_path: Path,
) -> None:
    """A database from before migration 4 (forks without their station) gains the column,
    filled from each fork's record, when opened."""
    server, station = _forked_server(tmp_path)
    server.stop()
    again = _reopened_after(
        tmp_path,
        "DROP INDEX equivocations_station",
        "ALTER TABLE equivocations DROP COLUMN station",
        "DELETE FROM migrations WHERE version = 4",
    )
    try:
        assert again.schema_version() == 5
        assert [b.payload.get("station") for _, b in again.evidence(DISTRICT)] == [station]
    finally:
        again.close()


def test_a_database_a_newer_server_migrated_is_left_as_it_is(tmp_path: Path) -> None:
    """An older server would write rows the newer schema's reads miss: it refuses to open
    the database, says why, and changes nothing."""
    db = database_for(tmp_path / "server")
    storage = open_ledger(tmp_path / "server", demo=True, database=db).storage
    assert isinstance(storage, SqlStorage)
    latest = storage.schema_version()
    with storage.transaction() as conn:
        conn.execute("INSERT INTO migrations (version, applied) VALUES (?, 'later')", [latest + 1])
    count = "SELECT (SELECT COUNT(*) FROM records), (SELECT COUNT(*) FROM migrations)"
    before = storage._query(count)
    storage.close()
    with pytest.raises(ServerSetupError, match=f"schema version {latest + 1}, newer"):
        open_ledger(tmp_path / "server", demo=True, database=db)
    if db is None:  # read by hand, as an operator would: nothing written, nothing migrated
        with closing(sqlite3.connect(tmp_path / "server" / DB_NAME)) as conn:
            assert conn.execute(count).fetchall() == before
    else:
        import psycopg

        with psycopg.connect(db) as conn:
            assert conn.execute(count).fetchall() == before


def _ledger_with_a_sheet(tmp_path: Path) -> tuple[Any, Any, Laptop]:
    """A server's ledger holding an officer's certificate, and that officer's next sheet."""
    ledger = open_ledger(tmp_path / "server", demo=True, database=database_for(tmp_path / "server"))
    laptop = make_laptop(tmp_path / "a", "op-a")
    records = [r.record for r in laptop.ws.store.records.rows() if r.record]
    certificate = [r.to_json() for r in records if r.type == "certificate"]
    assert {o.status for o in ledger.push(certificate).outcomes} == {"stored"}
    sheet = laptop.ws.store.records.get(enter(laptop, district_stations(laptop.ws)[0], seed=1))
    assert sheet is not None
    return ledger, sheet, laptop


def test_a_push_that_fails_after_its_writes_were_sent_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small push's statements go pipelined on PostgreSQL: its inserts are sent before
    anything can fail. A failure before the commit (here: signing its head) takes them all
    back and leaves the connection fit for the next push, which stores the sheet at the
    same place of the log."""
    from recap_server import ledger as ledger_module

    ledger, sheet, laptop = _ledger_with_a_sheet(tmp_path)
    try:
        size, stats = ledger.storage.log_size(), ledger.storage.stats()

        def failing(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the server key's device failed")

        monkeypatch.setattr(ledger_module, "sign_head", failing)
        with pytest.raises(RuntimeError, match="device failed"):
            ledger.push([sheet.to_json()])
        assert (ledger.storage.log_size(), ledger.storage.stats()) == (size, stats)
        assert ledger.storage.positions([sheet.hash]) == {}
        monkeypatch.undo()
        pushed = ledger.push([sheet.to_json()])
        assert [o.status for o in pushed.outcomes] == ["stored"]
        assert [e["index"] for e in pushed.receipt.payload["stored"]] == [size]
        assert ledger.storage.log_size() == size + 1
    finally:
        laptop.ws.close()
        ledger.storage.close()


def test_a_push_whose_insert_the_database_refuses_changes_nothing(tmp_path: Path) -> None:
    """The log's next node was written behind the server's back: the push's insert of it is
    refused by the database. On PostgreSQL that insert was pipelined, so the refusal comes
    back at a later statement; either way the push fails with the database's own error,
    nothing it sent stays, and the next push gets that same error again (not one of a
    transaction left aborted on a pooled connection)."""
    ledger, sheet, laptop = _ledger_with_a_sheet(tmp_path)
    try:
        size, stats = ledger.storage.log_size(), ledger.storage.stats()
        with ledger.storage.transaction() as conn:
            conn.execute(
                "INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)", [0, size, bytes(32)]
            )
        for _ in range(2):
            with pytest.raises(Exception, match=r"(?i)unique") as refused:
                ledger.push([sheet.to_json()])
            assert "aborted" not in str(refused.value)
            assert (ledger.storage.log_size(), ledger.storage.stats()) == (size, stats)
            assert ledger.storage.positions([sheet.hash]) == {}
    finally:
        laptop.ws.close()
        ledger.storage.close()


@contextmanager
def _refusing(storage: Any, table: str) -> Iterator[None]:
    """Inserts into ``table`` refused by the database (a trigger), as a full disk or an
    operator's mistake would refuse them, until the block ends: made on a connection of its
    own, behind the server's back (DDL on the server's own connections would also make
    psycopg forget its prepared statements)."""
    if storage.dialect == "sqlite":
        conn: Any = sqlite3.connect(storage.path, isolation_level=None)
        made = [
            f"CREATE TRIGGER refuse BEFORE INSERT ON {table}"
            " BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
        ]
        undone = ["DROP TRIGGER refuse"]
    else:
        import psycopg

        conn = psycopg.connect(storage.url, autocommit=True)
        made = [
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$BEGIN RAISE EXCEPTION 'refused by a trigger'; END$$",
            f"CREATE TRIGGER refuse BEFORE INSERT ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION refuse()",
        ]
        undone = [f"DROP TRIGGER refuse ON {table}", "DROP FUNCTION refuse()"]
    with closing(conn):
        for statement in made:
            conn.execute(statement)
        try:
            yield
        finally:
            for statement in undone:
                conn.execute(statement)


def test_pushes_the_database_refused_are_stored_once_the_cause_is_gone(tmp_path: Path) -> None:
    """However many pushes the database refused, each is stored when pushed again after.
    psycopg prepares a statement at its sixth use: one queued in a pipelined push behind
    the refused insert is never prepared, and a connection that still counted it as
    prepared would fail every later push that uses it."""
    ledger, sheet, laptop = _ledger_with_a_sheet(tmp_path)
    stations = district_stations(laptop.ws)
    try:
        tables = ["records", "log_nodes", "partition_nodes", "sheets", "status", "heads"]
        for n, table in enumerate(tables * 2):
            record = sheet
            if n:
                made = laptop.ws.store.records.get(enter(laptop, stations[n], seed=n + 10))
                assert made is not None
                record = made
            with _refusing(ledger.storage, table):
                with pytest.raises(Exception, match="refused by a trigger"):
                    ledger.push([record.to_json()])
            assert [o.status for o in ledger.push([record.to_json()]).outcomes] == ["stored"]
    finally:
        laptop.ws.close()
        ledger.storage.close()


def test_a_push_refused_at_its_commit_leaves_the_view_of_the_log_as_committed(
    tmp_path: Path,
) -> None:
    """The receipt's insert is refused: on PostgreSQL a small push's last statements are
    pipelined, so the refusal comes at its COMMIT, after its new head was made. The worker
    must keep serving the log as committed: once another worker stores the same sheet at the
    same place (another second, so another leaf), the partitions this worker proves in a
    pull are the ones the signed head commits to."""
    ledger, sheet, laptop = _ledger_with_a_sheet(tmp_path)
    other = open_ledger(tmp_path / "server", demo=True, database=database_for(tmp_path / "server"))
    other.clock = lambda: datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    try:
        size = ledger.storage.log_size()
        with _refusing(ledger.storage, "receipts"):
            with pytest.raises(Exception, match="refused by a trigger"):
                ledger.push([sheet.to_json()])
        assert ledger.view.size == ledger.storage.log_size() == size
        assert [o.status for o in other.push([sheet.to_json()]).outcomes] == ["stored"]
        view = ledger.view
        assert view.head is not None and view.size == size + 1
        committed = Summary(ledger.storage.partition_states()).root
        assert view.summary.root == committed
        assert view.summary.root.hex() == view.head.payload["partitions"]
        # A push that stores nothing keeps the view: still the committed one.
        assert [o.status for o in ledger.push([sheet.to_json()]).outcomes] == ["held"]
        assert ledger.view.summary.root == committed
    finally:
        laptop.ws.close()
        other.storage.close()
        ledger.storage.close()


def test_a_rolled_back_push_leaves_no_fork_in_the_trust_a_worker_holds(tmp_path: Path) -> None:
    """A push carrying fork evidence stores it, and so moves the trust's version, inside its
    transaction; when the push is then rolled back (its receipt refused), the worker must
    not keep the trust it read there. Another worker then moves the database's version to
    that same number with a certificate: this worker must judge by that certificate, and
    by no fork that was never kept."""
    ledger = open_ledger(tmp_path / "server", demo=True, database=database_for(tmp_path / "server"))
    other = open_ledger(tmp_path / "server", demo=True, database=database_for(tmp_path / "server"))
    a = make_laptop(tmp_path / "a", "op-a")
    newcomer = make_laptop(tmp_path / "c", "op-newcomer")
    twin = Laptop(Workspace(tmp_path / "twin"), a.key)  # the same key on a second laptop
    a.ws.close()
    shutil.copytree(a.data_dir, twin.data_dir)
    try:
        certificates = [r.record for r in a.ws.store.records.rows() if r.record]
        ledger.push([r.to_json() for r in certificates if r.type == "certificate"])
        stations = district_stations(a.ws)
        held = a.ws.store.records.get(enter(a, stations[0], seed=1))
        forked = twin.ws.store.records.get(enter(twin, stations[1], seed=2))  # same seq
        after = a.ws.store.records.get(enter(a, stations[2], seed=3))
        assert held is not None and forked is not None and after is not None
        assert [o.status for o in ledger.push([held.to_json()]).outcomes] == ["stored"]
        version = ledger.storage.trust_version()
        with _refusing(ledger.storage, "receipts"):
            with pytest.raises(Exception, match="refused by a trigger"):
                ledger.push([after.to_json()], forks=[[held.to_json(), forked.to_json()]])
        assert ledger.storage.trust_version() == version  # nothing of it was kept
        assert a.key.key_id not in ledger.storage.forks()
        records = [r.record for r in newcomer.ws.store.records.rows() if r.record]
        stored = other.push([r.to_json() for r in records if r.type == "certificate"])
        assert {o.status for o in stored.outcomes} == {"stored"}
        assert ledger.storage.trust_version() == version + 1
        trust = ledger.trust()
        assert newcomer.key.key_id in trust.certificates
        assert a.key.key_id not in trust.forks
    finally:
        for laptop in (a, twin, newcomer):
            laptop.ws.close()
        other.storage.close()
        ledger.storage.close()


class _RolledBack(Exception):
    pass


def test_a_package_is_served_where_the_log_holds_it_not_where_a_rolled_back_push_put_it(
    tmp_path: Path,
) -> None:
    """A package's log index and received time are read past its payload (megabytes at
    national size) once, and kept. A push rolled back after reading them must leave nothing
    kept: the same package, stored later at another time, is answered in a receipt, a pull
    page and the log's entries as the database holds it."""
    ledger = open_ledger(tmp_path / "server", demo=True, database=database_for(tmp_path / "server"))
    storage = ledger.storage
    newer = sign(demo_service.demo_authority(), {**demo_service.build_package(), "version": 2})
    try:
        with pytest.raises(_RolledBack):
            with storage.transaction():
                assert [o.status for o in ledger.push([newer.to_json()]).outcomes] == ["stored"]
                seen = storage.positions([newer.hash])[newer.hash]
                raise _RolledBack
        assert storage.positions([newer.hash]) == {}
        ledger.clock = lambda: datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
        assert [o.status for o in ledger.push([newer.to_json()]).outcomes] == ["stored"]
        ((index, received),) = storage._query(
            "SELECT idx, received FROM records WHERE hash = ?", [newer.hash]
        )
        assert received != seen[1]
        for _ in range(2):  # read, then kept
            assert storage.positions([newer.hash]) == {newer.hash: (index, received)}
            entries = storage.pull_raw(None, 0, 100, storage.log_size(), bodies=False)
            (entry,) = [e for e in entries if e.hash == newer.hash]
            assert (entry.index, entry.received, entry.sig) == (index, received, newer.sig)
            assert (entry.payload, entry.named) == (None, "package")
        answer = ledger.holds([newer.hash])
        assert answer.receipt.payload["held"] == [
            {"hash": newer.hash, "index": index, "received": received}
        ]
    finally:
        storage.close()


def test_a_transaction_whose_commit_fails_leaves_its_connection_fit_for_the_next(
    tmp_path: Path,
) -> None:
    """A COMMIT can fail and leave its transaction open (SQLite: a deferred constraint, a
    busy database). The connection goes back to the pool: the next write on it must begin a
    transaction of its own, not fail, nor join the failed one and commit what it held."""
    ledger, sheet, laptop = _ledger_with_a_sheet(tmp_path)
    storage = ledger.storage
    if storage.dialect != "sqlite":
        storage.close()
        laptop.ws.close()
        pytest.skip("SQLite's deferred foreign keys make the failing COMMIT here")
    try:
        with storage._pool.connection() as conn:  # the one the next transaction takes
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            conn.execute(
                "CREATE TABLE child (p INTEGER REFERENCES parent (id)"
                " DEFERRABLE INITIALLY DEFERRED)"
            )
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            with storage.transaction() as conn:
                conn.execute("INSERT INTO child VALUES (1)")
        assert [o.status for o in ledger.push([sheet.to_json()]).outcomes] == ["stored"]
        assert storage._query("SELECT COUNT(*) FROM child") == [(0,)]
        with storage._pool.connection() as conn:
            assert not conn.in_transaction
    finally:
        laptop.ws.close()
        storage.close()


def test_a_failed_transaction_leaves_no_connection_that_cannot_write_again(
    tmp_path: Path,
) -> None:
    """A transaction that fails (a write's, a snapshot's) with a read of it sent and not yet
    read (a push reads ahead: its tallies, its log's nodes) is rolled back, and every
    connection lent after it can still become the writer once another connection (the
    operator's recount, another worker) wrote. On SQLite such a statement outlived the
    rollback with its old read snapshot, and that connection answered "database is locked"
    at once, for good."""
    database = database_for(tmp_path) or tmp_path / "server.db"
    storage = storage_module.open_storage(database)
    other = storage_module.open_storage(database)
    try:
        pending = []  # held past the failure, as its traceback's frames hold a push's
        for failing in (storage.transaction, storage.snapshot):  # a write's, a read's
            with pytest.raises(RuntimeError), failing() as conn:
                pending.append(conn.execute("SELECT version FROM migrations"))  # not read
                raise RuntimeError("the request failed here")
            other.set_meta("written", f"by another connection, after {failing.__name__}")
            storage.set_meta("and", "then by this storage")  # its pooled connection, if fit
            assert storage.get_meta("and") == "then by this storage"
    finally:
        other.close()
        storage.close()
