"""Region totals moved once per push: a batch of many stations in the same regions, with
disputes and corrections in it, leaves the same totals and stats as the same records pushed
one at a time, and both equal a recount (on SQLite, and on PostgreSQL in its pass)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from bench import hotpath, push_serial
from bench.hotpath import fixture
from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.domain.election import Election
from recap_desktop.services import demo
from recap_server.ledger import Ledger
from recap_server.storage import Prepared, SqlStorage, _contribution, _Totals, open_storage
from tests.hostile import certificate
from tests.pg_support import database_for
from tests.test_server_storage import _recount


def _records() -> tuple[list[Any], list[Record], list[Record]]:
    """(package, two certificates, sheets): officer A's 120 sheets and a correction of one;
    officer B's other numbers for three of A's stations (disputes)."""
    package, cert_a, sheets_a = fixture(120)
    election = Election.from_payload(package[0]["payload"])
    key_b = SigningKey.from_seed(bytes([7]) * 32)
    cert_b = certificate(key_b, "operator", "32", election=election.id)
    rng = random.Random(99)
    first = sheets_a[0].payload
    contest = election.contests[first["contest"]]
    registered = election.stations[first["station"]].registered
    last = sheets_a[-1]
    correction = sign(
        SigningKey.from_seed(bytes(range(32))),  # A's key (bench.hotpath)
        {
            **first,
            "seq": last.payload["seq"] + 1,
            "prev": last.hash,
            "values": random_sheet(contest, registered, rng),
            "supersedes": sheets_a[0].hash,
            "reason": "salah ketik",
        },
    )
    disputes: list[Record] = []
    prev: str | None = None
    for seq, original in enumerate(sheets_a[5:8], start=1):
        p = original.payload
        station = election.stations[p["station"]]
        record = sign(
            key_b,
            {
                **p,
                "signer": key_b.key_id,
                "seq": seq,
                "prev": prev,
                "values": random_sheet(election.contests[p["contest"]], station.registered, rng),
            },
        )
        prev = record.hash
        disputes.append(record)
    return package, [cert_a, cert_b], [*sheets_a, correction, *disputes]


def _server(folder: Path) -> tuple[SqlStorage, Ledger]:
    storage = open_storage(database_for(folder) or folder / "server.db")
    ledger = Ledger(storage, SigningKey.from_seed(bytes(32)), demo.demo_authority().public_key)
    return storage, ledger


def _state(storage: SqlStorage) -> Any:
    contests = [str(r[0]) for r in storage._query("SELECT DISTINCT contest FROM status")]
    stats = {k: v for k, v in storage.stats().items() if k != "receipts"}  # one a push
    return {c: storage.all_totals(c) for c in contests}, stats


def test_a_batch_moves_the_totals_as_its_records_one_by_one_do(tmp_path: Path) -> None:
    package, certs, sheets = _records()
    states = []
    for name, batches in (("batch", [sheets]), ("single", [[r] for r in sheets])):
        storage, ledger = _server(tmp_path / name)
        try:
            ledger.push(package)
            ledger.push([c.to_json() for c in certs])
            for batch in batches:
                outcomes = ledger.push([r.to_json() for r in batch]).outcomes
                assert {o.status for o in outcomes} == {"stored"}, outcomes
            totals, stats = _state(storage)
            assert len(totals) == 2 and stats["disputes"] == 3
            for contest, found in totals.items():
                assert found == _recount(storage, contest)
            states.append((totals, stats))
        finally:
            storage.close()
    assert states[0] == states[1]


def _status(storage: SqlStorage) -> list[tuple[Any, ...]]:
    return sorted(
        tuple(r)
        for r in storage._query("SELECT station, contest, state, current, attention FROM status")
    )


def _supervised() -> tuple[list[Any], list[Record], list[Record]]:
    """``_records`` and, in the same batch as the sheets they name, a supervisor's reviews:
    approvals that settle disputes, and reviews whose ``overrides`` change the state (the
    restate reads them from the records it parsed)."""
    package, certs, sheets = _records()
    election = Election.from_payload(package[0]["payload"])
    key = SigningKey.from_seed(bytes([9]) * 32)
    cert = certificate(key, "supervisor", "32", election=election.id)
    reviews: list[Record] = []

    def review(target: Record, decision: str, overrides: list[str]) -> Record:
        record = sign(
            key,
            {
                "type": "review",
                "signer": key.key_id,
                "seq": len(reviews) + 1,
                "prev": reviews[-1].hash if reviews else None,
                "time": "2026-02-14T14:00:00Z",
                "election": election.id,
                "station": target.payload["station"],
                "contest": target.payload["contest"],
                "sheet": target.hash,
                "decision": decision,
                "reason": None if decision == "approve" else "angka tidak sesuai kertas",
                "overrides": overrides,
            },
        )
        reviews.append(record)
        return record

    # sheets[5:8]: A's sheets of the stations B disputes (sheets[-3:], B's numbers).
    review(sheets[6], "approve", [])  # settles the dispute: approved
    seen = review(sheets[5], "approve", [])
    review(sheets[-3], "reject", [seen.hash])  # B's set aside, A's approval withdrawn: signed
    rejected = review(sheets[20], "reject", [])
    review(sheets[20], "approve", [rejected.hash])
    return package, [*certs, cert], [*sheets, *reviews]


def test_a_batch_restated_from_memory_equals_a_restate_from_the_database(
    tmp_path: Path,
) -> None:
    """A push restates its stations from the records it parsed (not read back); the states,
    totals and stats are those of the records pushed one at a time, and of a restate of
    every station read from the database. The batch holds a correction of one of its own
    sheets, disputes, reviews of its own sheets (one overriding another), and a record sent
    twice."""
    package, certs, records = _supervised()
    found = []
    for name, batches in (("batch", [[*records, records[3]]]), ("single", [[r] for r in records])):
        storage, ledger = _server(tmp_path / name)
        try:
            ledger.push(package)
            ledger.push([c.to_json() for c in certs])
            for batch in batches:
                outcomes = ledger.push([r.to_json() for r in batch]).outcomes
                stored = ["stored"] * len({r.hash for r in batch})  # a repeat answered once
                assert [o.status for o in outcomes] == stored, outcomes
            pushed = (_status(storage), _state(storage))
            states = {r[2] for r in pushed[0]}
            assert {"approved", "disputed", "corrected", "signed"} <= states, states
            storage.restate(ledger.trust())  # every station again, from the database
            assert (_status(storage), _state(storage)) == pushed
            for contest, totals in pushed[1][0].items():
                assert totals == _recount(storage, contest)
            found.append(pushed)
        finally:
            storage.close()
    assert found[0] == found[1]


def test_a_first_state_counts_as_its_contribution_added() -> None:
    """``_Totals.count`` (a station's first state, without the dict between) gathers what
    ``add(_contribution(...), 1)`` does: a field's zero kept, a state that does not count
    adding its state only, no state nothing, a code with no region above it nothing."""
    cases: list[tuple[str, str | None, dict[str, int] | None]] = [
        ("32.01.001", "signed", {"a": 3, "b": 0}),
        ("32.01.002", "approved", {"a": 1, "c": 0}),
        ("32.01.002", "disputed", None),
        ("32.02.001", "rejected", {"a": 5}),
        ("32.02.002", "corrected", {}),
        ("32.02.003", None, None),
        ("32", "signed", {"a": 1}),
    ]
    unused = lambda column, values: ("", [])  # noqa: E731 - neither asks nor writes
    counted, added = _Totals(unused), _Totals(unused)
    for station, state, values in cases:
        counted.count(station, "ppwp", state, values)
        added.add(station, "ppwp", _contribution(state, values), 1)
    assert counted.villages == added.villages
    assert counted.villages[("32.01", "ppwp")]["f:b"] == 0


def test_rows_made_ahead_are_taken_for_that_very_record_only() -> None:
    """A push makes its records' rows before the writers' lock (``Prepared``); the commit
    takes them for the same record objects only, and makes any other record's itself."""
    _, _, sheets = fixture(2)
    prepared = Prepared(sheets[:1])
    assert prepared.rows(sheets[0]) is prepared.rows(sheets[0])  # made once, ahead
    other = prepared.rows(sheets[1])
    assert other.record[0] == sheets[1].hash and other.key is not None
    assert other.sheet is not None and json.loads(other.sheet[-1]) == sheets[1].payload["values"]


@pytest.mark.parametrize("pipelined", [False, True])
def test_a_tally_moved_that_was_not_asked_ahead_is_read_before_it_is_written(
    tmp_path: Path, pipelined: bool
) -> None:
    """A push asks ahead for the tallies its stations may move (``_Totals.ask``). Were a
    station moved outside what was asked (a region, or a contest, not asked), its tallies
    are still read and added to, never written over with the change alone; in a pipelined
    transaction too (on PostgreSQL the asked read's answer is fetched late)."""
    storage = open_storage(database_for(tmp_path) or tmp_path / "server.db")
    try:
        for round_ in range(3):
            with storage.transaction(pipelined=pipelined) as conn:
                totals = _Totals(storage._in)
                totals.ask(conn, [("32.01.001", "ppwp")])  # asks 32 and 32.01 of ppwp
                totals.count(f"32.01.00{round_}", "ppwp", "signed", {"a": 2})
                totals.count(f"32.02.00{round_}", "ppwp", "signed", {"a": 3})  # 32.02 not asked
                totals.count(f"32.03.00{round_}", "dpr", "signed", {"a": 5})  # dpr not asked
                totals.write(conn)
        assert storage.totals("32", "ppwp") == ({"a": 15}, 6, {"signed": 6})
        assert storage.totals("32.01", "ppwp") == ({"a": 6}, 3, {"signed": 3})
        assert storage.totals("32.02", "ppwp") == ({"a": 9}, 3, {"signed": 3})
        assert storage.totals("32", "dpr") == ({"a": 15}, 3, {"signed": 3})
        assert storage.totals("32.03", "dpr") == ({"a": 15}, 3, {"signed": 3})
    finally:
        storage.close()


@pytest.mark.postgres_only
def test_a_steady_push_reads_the_tallies_in_the_restatements_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-sheet push on PostgreSQL: the read of its region tallies goes with the
    restatement's reads, not in a round trip of its own under the lock (as it does when
    nothing is asked ahead and ``write`` reads the tallies itself)."""
    monkeypatch.setattr(hotpath, "STATIONS", hotpath.STATIONS)  # push_serial.run sets it
    trips = []
    for name, ahead in (("asked", _Totals.ask), ("unasked", lambda *_: None)):
        monkeypatch.setattr(_Totals, "ask", ahead)
        url = database_for(tmp_path / name)
        assert url is not None
        trips.append(push_serial.run(url, stations=1200, pushes=5, batch=1)["trips_per_push"])
    assert trips[0] == trips[1] - 1, trips
