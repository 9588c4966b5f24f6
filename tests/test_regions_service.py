"""services.regions answers the tree's questions from the projections as the parsed Election
would (the window no longer parses the whole package)."""

from __future__ import annotations

import random

import pytest

from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.domain.election import Election, ElectionOutline
from recap_desktop.domain.status import NOT_ENTERED
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import regions as region_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services.election import current_election
from recap_desktop.storage import Store


def test_the_outline_is_the_election_without_its_stations(demo_ws: Workspace) -> None:
    election = current_election(demo_ws)
    fresh = Store(demo_ws.data_dir / "recap.db")  # nothing parsed yet: read from the payload
    try:
        outline = fresh.package.outline()
        assert fresh.package._election is None, "the package was not parsed whole"
    finally:
        fresh.close()
    assert outline == ElectionOutline.of(election)
    assert list(outline.contests) == list(election.contests)
    for cid, contest in election.contests.items():
        assert outline.contests[cid].form.field_ids == contest.form.field_ids


def test_a_payload_not_laid_out_canonically_is_read_by_sqlite(demo_ws: Workspace) -> None:
    election = current_election(demo_ws)
    store = demo_ws.store
    hash_ = store.package.hash()
    assert hash_ is not None
    members = store.package._members(hash_)
    # Force the fallback: pretend the leading members could not be read from the prefix.
    original = store.db.execute
    calls: list[str] = []

    def execute(sql: str, params: object = ()) -> object:
        calls.append(sql)
        if sql.startswith("SELECT substr(payload"):
            return original(
                "SELECT 'x' || substr(payload, 1, ?), length(payload) + 1"
                " FROM records WHERE hash = ? AND type = 'election'",
                params,
            )
        return original(sql, params)

    store.db.execute = execute  # type: ignore[method-assign]
    try:
        fallback = store.package._members(hash_)
    finally:
        store.db.execute = original  # type: ignore[method-assign]
    assert any("json_extract" in sql for sql in calls)
    assert fallback["contests"] == members["contests"]
    assert ElectionOutline.from_members(fallback, election.version) == ElectionOutline.of(election)


def test_branches_match_the_parsed_election(demo_ws: Workspace) -> None:
    election = current_election(demo_ws)
    pending: list[str | None] = [None]
    villages = 0
    while pending:
        code = pending.pop()
        got = region_service.children(demo_ws, code)
        assert [r.code for r in got] == list(election.children(code))
        for region in got:
            assert region == election.regions[region.code]
            assert region_service.region(demo_ws, region.code) == region
            pending.append(region.code)
        if code is not None and not got:
            villages += 1
            rows = region_service.stations_of(demo_ws, code)
            assert [r.code for r in rows] == list(election.stations_of(code))
            assert all(r.state == NOT_ENTERED for r in rows)
            for row in rows:
                assert region_service.station(demo_ws, row.code) == election.stations[row.code]
    assert villages > 0


def test_locate_refuses_as_sheets_locate(demo_ws: Workspace) -> None:
    election = current_election(demo_ws)
    code = sorted(election.stations)[0]
    contest = election.stations[code].contests[0]
    assert region_service.locate(demo_ws, code, contest) == sheet_service.locate(
        election, code, contest
    )
    for station, cid in ((code, "nope"), ("99.99.99.9999.999", contest)):
        with pytest.raises(RecapError) as ours:
            region_service.locate(demo_ws, station, cid)
        with pytest.raises(RecapError) as theirs:
            sheet_service.locate(election, station, cid)
        assert ours.value.message("en") == theirs.value.message("en")


def test_states_progress_search_and_chain(demo_ws: Workspace, demo_key: SigningKey) -> None:
    election: Election = current_election(demo_ws)
    code = "32.01.02.2002.003"
    station = election.stations[code]
    values = random_sheet(election.contests["ppwp"], station.registered, random.Random(1))
    sheet_service.enter_sheet(demo_ws, demo_key, code, "ppwp", values)
    assert region_service.station_state_of(demo_ws, code) == "partial"
    assert region_service.station_state_of(demo_ws, "99.99") is None
    row = next(r for r in region_service.stations_of(demo_ws, station.region) if r.code == code)
    assert row.state == "partial"

    district = election.regions[station.region].parent
    assert district is not None
    counts = region_service.progress(demo_ws, district)
    assert counts[station.region] == (0, len(election.stations_of(station.region)))
    assert sum(total for _done, total in counts.values()) == len(election.stations_within(district))

    matches, holding = region_service.stations_in_state(demo_ws, {"partial"})
    assert matches == [code]
    chain = region_service.chain(demo_ws, code)
    assert chain[-1] == station.region and election.regions[chain[0]].parent is None
    assert holding == set(chain)
    everything, _ = region_service.stations_in_state(demo_ws, {"not_entered", "partial"})
    assert everything == sorted(election.stations)
    none, _ = region_service.stations_in_state(demo_ws, {"partial"}, lambda: True)
    assert none == []

    assert region_service.find_stations(demo_ws, "2002.003")[0].endswith("2002.003")
    assert region_service.find_stations(demo_ws, code) == [code]
    assert region_service.find_stations(demo_ws, "%") == []
    assert region_service.chain(demo_ws, "99.99") == []
