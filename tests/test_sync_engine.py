"""The engine's parts on their own: backoff, the state machine, receipts, the pull's door."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recap_desktop.crypto.envelope import sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.protocol.admit import admit
from recap_desktop.services.admission import now, trust
from recap_desktop.sync.backoff import Backoff
from recap_desktop.sync.state import TRANSITIONS, BadTransition, Machine, State
from tests.sync_support import district_stations, enter, make_laptop, sign_sheet


@given(
    base=st.floats(0.001, 10),
    cap=st.floats(0.01, 600),
    tries=st.integers(1, 80),
    seed=st.integers(0, 2**32),
)
def test_backoff_grows_is_capped_and_jittered(
    base: float, cap: float, tries: int, seed: int
) -> None:
    backoff = Backoff(base=base, cap=cap, rng=random.Random(seed))
    for attempt in range(tries):
        ceiling = min(cap, base * 2**attempt)
        assert ceiling / 2 <= backoff.next_delay() <= ceiling
    backoff.reset()
    assert backoff.next_delay() <= min(cap, base)


@given(st.lists(st.sampled_from(list(State)), max_size=60))
def test_state_machine_allows_only_its_transitions(moves: list[State]) -> None:
    machine = Machine()
    for new in moves:
        before = machine.state
        if new == before or new in TRANSITIONS[before]:
            machine.go(new)
            assert machine.state == new
        else:
            with pytest.raises(BadTransition):
                machine.go(new)
            assert machine.state == before


def test_a_receipt_not_signed_by_the_servers_key_is_refused() -> None:
    from recap_desktop.protocol.wire import WireError, parse_receipt

    server, impostor = SigningKey.generate(), SigningKey.generate()
    payload = {
        "type": "receipt",
        "server": server.key_id,
        "time": "2026-02-14T10:00:00Z",
        "election": "demo-2024",
        "head": "ab" * 32,
        "stored": [],
        "held": [],
        "refused": [],
    }
    assert parse_receipt(sign(server, payload).to_json(), server.public_key).holds == {}
    without_head = {k: v for k, v in payload.items() if k != "head"}
    for bad in (
        sign(impostor, payload).to_json(),
        {"payload": payload},
        None,
        sign(server, without_head).to_json(),  # a receipt resting on no tree head
    ):
        with pytest.raises(WireError):
            parse_receipt(bad, server.public_key)


def test_pulled_records_are_admitted_one_by_one(tmp_path: Path) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    stations = district_stations(a.ws)
    enter(a, stations[0])
    enter(a, stations[1])
    chain = [row.record for row in a.ws.store.records.rows(types=("sheet",)) if row.record]
    cert = next(row.record for row in a.ws.store.records.rows(types=("certificate",)) if row.record)
    fork = sign_sheet(a, stations[2], seq=1, prev=None)
    store = b.ws.store

    def run(records):  # type: ignore[no-untyped-def]
        return admit(records, store.view, trust(b.ws), arrivals=(now(), None))

    gap = run([cert, chain[1]])
    assert [p.kind for p in gap.problems] == ["chain_gap"] and gap.admitted == [cert]
    unknown = run([chain[0]])  # no certificate for the signer yet
    assert [p.kind for p in unknown.problems] == ["unknown_signer"]
    ok = run([cert, *chain, fork])
    assert ok.admitted == [cert, *chain]
    assert [p.kind for p in ok.problems] == ["equivocation"]
