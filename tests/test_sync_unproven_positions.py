"""Log positions a pull has not proved decide nothing (PROTOCOL §5.4, §10.5).

A revoked key's record counts only where the server's log puts it before the revocation. A
pull page says where each entry lies, and the laptop proves it only after the last page, when
every partition's entries rebuild the roots the signed head commits to. A server whose pull
does not add up must not get a revoked key's record counted by what its pages claim:

- the laptop pulls once more after a pull that did not add up, but forgets only what it had
  not proved: each partition from where it was last checked. The positions proven before (the
  revocation list's, in the authority's partition) stay, whichever partition failed;
- an entry below where its partition was proved adds nothing: that part of the partition is
  known, so a record claimed there has no position, and a revoked key's is refused;
- a position from a pull not yet proved never lets a record count; the record waits (set
  aside, ``revoked``) until a check that adds up proves it.

Real server on loopback, real stores, real signatures; the dishonest server is the real one
with its storage wrapped to lie in its pages only (tests.dishonest.Relocating): its log, heads
and proofs are honest, so every lie ends as ``withheld``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recap_desktop.crypto.envelope import Record
from recap_desktop.services import sync as sync_service
from recap_desktop.services.verify import verify_store
from tests.dishonest import Relocating
from tests.hostile import certificate, key, revocation_list, sheet
from tests.sync_support import (
    DISTRICT,
    Laptop,
    LiveServer,
    district_stations,
    enter,
    make_laptop,
    sign_sheet,
)


def _load(server: LiveServer, records: list[Record]) -> None:
    """The authority loads records into the server (as `recap-server --load-certificates`)."""
    pushed = server.ledger.push([r.to_json() for r in records])
    assert {o.to_json()["status"] for o in pushed.outcomes} == {"stored"}


def _index(server: LiveServer, hash_: str) -> int:
    rows = server.ledger.storage._query(  # type: ignore[attr-defined]
        "SELECT idx FROM records WHERE hash = ?", [hash_]
    )
    return int(rows[0][0])


def _sync(laptop: Laptop, url: str) -> sync_service.SyncResult:
    return sync_service.sync_once(laptop.ws, url, attempts=1)


def _counts(laptop: Laptop, station: str, record: str) -> bool:
    """Whether ``record`` counts at ``station``: the rule says it may (its standing is None)
    and the station's projection, which the totals read, counts it."""
    standings = laptop.ws.store.sheets.standings(station, "ppwp")
    status = laptop.ws.store.sheets.status(station, "ppwp")
    if record not in standings or status is None:
        return False
    assert (standings[record] is None) == (status["current"] == record), (standings, status)
    return standings[record] is None


def _projected_as_rebuilt(laptop: Laptop) -> bool:
    """The projections as kept are those a rebuild makes from the records (and the positions
    proved): nothing stale was left by a place learnt, proved or forgotten."""
    projections = laptop.ws.store.projections
    kept = projections.dump()
    projections.rebuild()
    return bool(projections.dump() == kept)


Setup = tuple[LiveServer, Relocating, Laptop, list[str], Record, Record, str, int]


def _setup(tmp_path: Path) -> Setup:
    """A server whose log holds op-a's certificate, two of its sheets, another operator's
    certificate and then a revocation list naming op-a's key; the sheet a thief signs with
    the stolen key afterwards (never logged: an honest server refuses it), op-a's first sheet,
    and the index of that certificate (between op-a's sheets and the revocation: where an
    honest log could hold op-a's third sheet)."""
    server = LiveServer(tmp_path / "server", storage=Relocating)
    lying = server.ledger.storage
    assert isinstance(lying, Relocating)
    a = make_laptop(tmp_path / "a", "op-a")
    stations = district_stations(a.ws)
    first = enter(a, stations[0], seed=1)
    enter(a, stations[1], seed=2)
    assert _sync(a, server.url).outcome == "done"
    between = certificate(key("operator c"), "operator", DISTRICT)
    revocation = revocation_list(1, a.key)
    _load(server, [between])
    _load(server, [revocation])
    assert _index(server, between.hash) < _index(server, revocation.hash)
    stolen = sign_sheet(a, stations[2], seed=7)  # op-a's next place, signed by the thief
    a.ws.close()
    return server, lying, a, stations, revocation, stolen, first, _index(server, between.hash)


def test_a_pull_that_does_not_add_up_forgets_nothing_it_proved(tmp_path: Path) -> None:
    """The audit's attack: after an honest first sync, the server logs a certificate in a
    partition new to the laptop ("32.01") and withholds another entry, so the pull does not
    add up; pulled again, its pages show the thief's sheet in the place of an entry the
    laptop proved, below the revocation. The laptop keeps the revocation's proven position
    (and every other it proved), refuses the thief's sheet ``revoked``, keeps ``withheld``,
    and counts nothing the log does not prove."""
    server, lying, _a, stations, revocation, stolen, first, between = _setup(tmp_path)
    try:
        b = make_laptop(tmp_path / "b", "op-b")
        assert _sync(b, server.url).outcome == "done"
        evidence = b.ws.store.evidence
        proven = dict(evidence.positions())
        assert proven[revocation.hash][0] == _index(server, revocation.hash)
        assert proven[first][0] < proven[revocation.hash][0]
        assert b.ws.store.witness.checked_partitions() == ["", DISTRICT]

        # A regency chair's certificate: an honest entry of a partition b never checked.
        chair = certificate(key("chair 32.01"), "chair", "32.01")
        other = certificate(key("operator d"), "operator", DISTRICT)
        _load(server, [chair, other])
        lying.hidden = {other.hash}  # the first pull does not add up
        lying.placed = {between: stolen}  # pulled again: "stolen is there", before the revocation
        result = _sync(b, server.url)
        assert result.outcome == "failed" and result.error_kind == "server_misbehaved"
        assert [kind for kind, _ in result.misbehaviour] == ["withheld"]
        assert not _counts(b, stations[2], stolen.hash)
        # Shown in the place of a proved entry: no position, so op-a's revoked key is refused
        # (not stored; not reported again either: its index is below the first pull's).
        assert not b.ws.store.records.is_held(stolen.hash)
        assert stolen.hash not in evidence.positions()
        # Nothing proved before was forgotten: the revocation's place, op-a's sheets'.
        after = evidence.positions()
        assert {h: after.get(h) for h in proven} == proven
        assert b.ws.store.sheets.status(stations[2], "ppwp") is None
        assert _projected_as_rebuilt(b)

        # The server answers honestly again: the pull adds up, nothing of the lie is left.
        lying.hidden, lying.placed = set(), {}
        assert _sync(b, server.url).outcome == "done"
        assert not b.ws.store.records.is_held(stolen.hash)
        assert _counts(b, stations[0], first)
        assert b.ws.store.witness.checked_partitions() == ["", "32.01", DISTRICT]
        assert _projected_as_rebuilt(b)
        b.ws.close()
    finally:
        server.stop()


def test_a_position_no_pull_proved_does_not_let_a_revoked_record_count(tmp_path: Path) -> None:
    """A laptop's first pull: the pages show the thief's sheet in the place of an entry
    between op-a's sheets and the revocation, which is where an honest log could have it. The laptop
    cannot tell yet and admits it; but the pull never adds up (``withheld``), so that place
    is never proved and the sheet never counts. Once the server answers honestly, the place
    is forgotten for good and op-a's real sheet counts."""
    server, lying, a, stations, revocation, stolen, first, between = _setup(tmp_path)
    try:
        lying.placed = {between: stolen}
        c = make_laptop(tmp_path / "c", "op-b")
        result = _sync(c, server.url)
        assert result.outcome == "failed" and result.error_kind == "server_misbehaved"
        assert [kind for kind, _ in result.misbehaviour] == ["withheld"]
        assert not _counts(c, stations[2], stolen.hash)
        assert c.ws.store.records.is_held(stolen.hash)  # its claimed place admitted it
        assert stolen.hash not in c.ws.store.evidence.positions()  # never proved
        standings: dict[str, Any] = c.ws.store.sheets.standings(stations[2], "ppwp")
        assert standings[stolen.hash] == "revoked"
        assert _projected_as_rebuilt(c)
        # `recap verify` takes the sheet's place from the proofs alone too.
        assert (stolen.hash, "revoked") in {(p.record, p.kind) for p in verify_store(c.ws).problems}
        # The revocation list's place, claimed, already counts against op-a's key.
        assert c.ws.store.keys.revocation_position(a.key.key_id) == _index(server, revocation.hash)

        lying.placed = {}
        assert _sync(c, server.url).outcome == "done"
        assert stolen.hash not in c.ws.store.evidence.positions()
        assert c.ws.store.sheets.standings(stations[2], "ppwp")[stolen.hash] == "revoked"
        assert _counts(c, stations[0], first)
        assert _projected_as_rebuilt(c)
        c.ws.close()
    finally:
        server.stop()


def test_a_record_the_log_held_before_its_certificate_ended_counts_once_proved(
    tmp_path: Path,
) -> None:
    """When the server first held a record is the server's word too, until the pull's check
    proves its entry; a record of a certificate that has ended since counts only if it was
    seen before the end (§5.4 item 4). Pulled after the end, it is set aside while its page
    waits for the check, and counts once the check adds up."""
    until = "2026-03-01T00:00:00Z"
    assert datetime.now(UTC) > datetime(2026, 3, 1, tzinfo=UTC)  # the premise: it has ended
    server = LiveServer(tmp_path / "server", clock=lambda: datetime(2026, 2, 14, 12, 0, tzinfo=UTC))
    try:
        officer = key("an officer whose certificate ended")
        _load(server, [certificate(officer, "operator", DISTRICT, until=until)])
        station = "32.01.01.2001.001"
        held = sheet(officer, 1, None, station, time="2026-02-14T10:00:00Z")
        _load(server, [held])
        c = make_laptop(tmp_path / "c", "op-b")
        assert _sync(c, server.url).outcome == "done"
        assert held.hash in c.ws.store.evidence.positions()
        assert _counts(c, station, held.hash)
        assert _projected_as_rebuilt(c)
        c.ws.close()
    finally:
        server.stop()


def test_recap_verify_places_a_revocation_list_as_the_store_does(tmp_path: Path) -> None:
    """A revocation list's place a pull said and no check proved counts against the key's
    records in the store (§5.4 item 5); `recap verify` replays the store with the same
    trust, so it sets aside what the store sets aside. A laptop's first sync: its sheet's
    place is proved by the receipt; the pull's pages show a revocation list of its key (the
    authority's, never logged) in the place of the log's first entry, so the pull never adds
    up (``withheld``) and the list's place stays the server's word. The sheet, proved after
    it, is set aside ``revoked`` by the store and by `recap verify` alike; the sheet's own
    place is never taken from a page."""
    server = LiveServer(tmp_path / "server", storage=Relocating)
    try:
        lying = server.ledger.storage
        assert isinstance(lying, Relocating)
        a = make_laptop(tmp_path / "a", "op-a")
        station = district_stations(a.ws)[0]
        first = enter(a, station, seed=1)
        revocation = revocation_list(1, a.key)
        lying.placed = {0: revocation}
        result = _sync(a, server.url)
        assert result.outcome == "failed" and result.error_kind == "server_misbehaved"
        assert [kind for kind, _ in result.misbehaviour] == ["withheld"]
        store = a.ws.store
        placed = store.evidence.position(first)
        assert placed is not None and placed[0] > 0  # the receipt's
        assert store.evidence.position(revocation.hash) is None  # only said
        assert store.keys.revocation_position(a.key.key_id) == 0
        assert store.sheets.standings(station, "ppwp")[first] == "revoked"
        assert _projected_as_rebuilt(a)

        report = verify_store(a.ws)
        assert not report.errors
        assert [(p.record, p.kind) for p in report.attention] == [(first, "revoked")]
        a.ws.close()
    finally:
        server.stop()


def test_a_store_upgraded_with_a_position_slipped_below_a_floor_is_proved_again(
    tmp_path: Path,
) -> None:
    """A store from before log_pending (schema 10) whose pulls left a position below a
    partition's floor that its check never rebuilt (m011 finds the partition's kept tree no
    longer rebuilds from them): the partition's positions become the server's word and its
    floor goes back to 0. The next honest sync rebuilds it from the start: the slipped
    position is forgotten, the rest proved again, and the partition checked as before."""
    import sqlite3

    from recap_desktop.services import Workspace

    server = LiveServer(tmp_path / "server")
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        first = enter(a, district_stations(a.ws)[0], seed=1)
        assert _sync(a, server.url).outcome == "done"
        a.ws.close()
        b = make_laptop(tmp_path / "b", "op-b")
        assert _sync(b, server.url).outcome == "done"
        proved = dict(b.ws.store.evidence.positions())
        checked = b.ws.store.witness.checked(DISTRICT)
        assert first in proved and checked.checked > proved[first][0]
        data_dir = b.data_dir
        b.ws.close()

        slipped = "ee" * 32  # a page's word, kept below the floor by schema 10's pulls
        with sqlite3.connect(data_dir / "recap.db", isolation_level=None) as conn:
            conn.execute("DROP TABLE log_pending")
            conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm011_log_pending'")
            conn.execute("PRAGMA user_version = 10")
            conn.execute(
                "INSERT INTO server_log SELECT ?, 0, received, server, partition FROM server_log"
                " WHERE hash = ?",
                [slipped, first],
            )
        ws = Workspace(data_dir)
        try:
            store = ws.store
            assert first not in store.evidence.positions()
            assert DISTRICT not in store.witness.checked_partitions()
            assert {h for h, _, _ in store.witness.entries(DISTRICT, 0, checked.checked)} >= {
                first,
                slipped,
            }
            assert sync_service.sync_once(ws, server.url, attempts=1).outcome == "done"
            assert store.evidence.positions() == proved
            assert store.db.execute("SELECT COUNT(*) FROM log_pending").fetchone()[0] == 0
            assert store.witness.checked(DISTRICT).checked >= checked.checked
        finally:
            ws.close()
    finally:
        server.stop()
