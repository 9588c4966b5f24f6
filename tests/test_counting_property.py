"""The same officers' actions give the same states and totals, on a laptop and on the
server, whatever the officers' keys and whatever order the records arrive in.

The defect this guards: when several officers' latest sheets agreed, the one with the lowest
hash counted, and only its rejection stopped the station counting; the same supervisor action
gave a village a different count depending only on the officers' random keys.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recap_desktop.crypto import authority
from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.domain.election import format_time
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services.admission import admit_into
from recap_server.ledger import Ledger
from recap_server.storage import open_storage
from tests.pg_support import database_for

STATION, CONTEST, REGION = "32.01.01.2002.003", "ppwp", "32.01.01"
OPERATORS = ("op1", "op2", "op3")
SUPERVISORS = ("sup1", "sup2")


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DEMO laptop folder with the package and its own officer, and no sheets."""
    path = tmp_path_factory.mktemp("bare") / "data"
    ws = Workspace(path)
    demo_service.init_demo(ws)
    ws.close()
    return path


@dataclass(frozen=True)
class Action:
    kind: str  # enter | correct | review
    officer: str
    values: int = 0
    target: int = 0  # review: the action that made the sheet
    decision: str = "approve"
    sees: tuple[int, ...] = ()  # review: the earlier review actions it overrides


def _program(raw: list[tuple[Any, ...]]) -> list[Action]:
    out: list[Action] = []
    for kind, who, values, target, decision, sees in raw:
        sheets = [i for i, a in enumerate(out) if a.kind != "review"]
        reviews = [i for i, a in enumerate(out) if a.kind == "review"]
        if kind == "review":
            if sheets:
                seen = {reviews[s % len(reviews)] for s in sees} if reviews else set()
                out.append(
                    Action(
                        "review",
                        SUPERVISORS[who % 2],
                        target=sheets[target % len(sheets)],
                        decision=decision,
                        sees=tuple(sorted(seen)),
                    )
                )
            continue
        officer = OPERATORS[who % 3]
        own = any(out[i].officer == officer for i in sheets)
        out.append(Action("correct" if own else "enter", officer, values=values))
    return out


programs = st.lists(
    st.tuples(
        st.sampled_from(["enter", "enter", "review"]),
        st.integers(0, 5),
        st.integers(0, 2),
        st.integers(0, 20),
        st.sampled_from(["approve", "reject"]),
        st.lists(st.integers(0, 20), max_size=2),
    ),
    min_size=1,
    max_size=9,
).map(_program)


def _values(ws: Workspace) -> list[dict[str, int]]:
    election = ws.store.package.election()
    assert election is not None
    contest, registered = election.contests[CONTEST], election.stations[STATION].registered
    return [random_sheet(contest, registered, random.Random(seed)) for seed in (1, 2, 3)]


def _sign(program: list[Action], seed: int, values: list[dict[str, int]]) -> tuple[Any, ...]:
    """The program signed by officers whose keys come from ``seed``: the certificates, and
    each action's record (index = action)."""
    rng = random.Random(seed)
    keys = {o: SigningKey.from_seed(rng.randbytes(32)) for o in OPERATORS + SUPERVISORS}
    certs = [
        authority.certificate(
            demo_service.demo_authority(),
            election=demo_service.ELECTION_ID,
            officer_id=name,
            name=name,
            role="operator" if name in OPERATORS else "supervisor",
            jurisdiction=REGION,
            public_key=key.public_key,
            valid_from=demo_service.ISSUED,
            valid_until=demo_service.EXPIRES,
            issued=demo_service.ISSUED,
        )
        for name, key in keys.items()
    ]
    heads: dict[str, tuple[int, str]] = {}
    last_sheet: dict[str, str] = {}
    records: list[Record] = []
    start = datetime(2026, 2, 14, 9, tzinfo=UTC)
    for i, action in enumerate(program):
        key = keys[action.officer]
        seq, prev = heads.get(action.officer, (0, None))
        base = {
            "signer": key.key_id,
            "seq": seq + 1,
            "prev": prev,
            "time": format_time(start + timedelta(minutes=i)),
            "election": demo_service.ELECTION_ID,
            "station": STATION,
            "contest": CONTEST,
        }
        if action.kind == "review":
            target = records[action.target]
            payload = {
                "type": "review",
                **base,
                "sheet": target.hash,
                "decision": action.decision,
                "reason": None if action.decision == "approve" else "tidak sesuai",
                "overrides": [records[j].hash for j in action.sees],
            }
        else:
            correction = action.kind == "correct"
            payload = {
                "type": "sheet",
                **base,
                "values": values[action.values],
                "warnings": [],
                "supersedes": last_sheet[action.officer] if correction else None,
                "reason": "salah baca" if correction else None,
            }
        record = sign(key, payload)
        heads[action.officer] = (seq + 1, record.hash)
        if action.kind != "review":
            last_sheet[action.officer] = record.hash
        records.append(record)
    return certs, records


def _arrival(program: list[Action], rng: random.Random) -> Iterator[int]:
    """A random order the records could arrive in: each after its signer's previous one and
    after every record it names (the sheet it reviews, the reviews it overrides)."""
    needs: dict[int, set[int]] = {}
    last: dict[str, int] = {}
    for i, action in enumerate(program):
        before = set(action.sees)
        if action.kind == "review":
            before.add(action.target)
        if action.officer in last:
            before.add(last[action.officer])
        last[action.officer] = i
        needs[i] = before
    done: set[int] = set()
    while len(done) < len(program):
        ready = [i for i in range(len(program)) if i not in done and needs[i] <= done]
        choice = rng.choice(ready)
        done.add(choice)
        yield choice


def _laptop_outcome(bare: Path, folder: Path, certs: list[Record], ordered: list[Record]) -> Any:
    shutil.copytree(bare, folder)
    ws = Workspace(folder)
    try:
        for batch in ([*certs], *([r] for r in ordered)):
            admission = admit_into(ws, batch, "test")
            assert not admission.problems, admission.problems
        status = ws.store.sheets.status(STATION, CONTEST) or {"state": "not_entered"}
        sums, counted, _expected = ws.store.sheets.totals(REGION, CONTEST)
        return (
            status["state"],
            tuple(status.get("attention", [])),
            counted,
            tuple(sorted(sums.items())),
        )
    finally:
        ws.close()


def _server_outcome(folder: Path, certs: list[Record], ordered: list[Record]) -> Any:
    import json

    package = json.loads((demo_service.RESOURCES / "election.json").read_text())["records"]
    storage = open_storage(database_for(folder) or folder / "server.db")
    ledger = Ledger(storage, SigningKey.generate(), demo_service.demo_authority().public_key)
    try:
        for batch in (package, [c.to_json() for c in certs], *([r.to_json()] for r in ordered)):
            outcomes = ledger.push(batch).outcomes
            assert {o.status for o in outcomes} <= {"stored", "held"}, outcomes
        rows = storage._query(
            "SELECT state, attention FROM status WHERE station = ? AND contest = ?",
            [STATION, CONTEST],
        )
        state, attention = rows[0] if rows else ("not_entered", "[]")
        sums, counted, _states = storage.totals(REGION, CONTEST)
        return state, tuple(json.loads(attention)), counted, tuple(sorted(sums.items()))
    finally:
        storage.close()


@settings(max_examples=20)
@given(program=programs, seeds=st.tuples(st.integers(), st.integers()), order=st.randoms())
def test_actions_decide_the_count_not_keys_nor_arrival_order(
    bare: Path, tmp_path_factory: pytest.TempPathFactory, program: list[Action], seeds: Any, order
) -> None:
    folder = tmp_path_factory.mktemp("run")
    ws = Workspace(bare)
    values = _values(ws)
    ws.close()
    outcomes = set()
    for run, seed in enumerate(seeds):
        certs, records = _sign(program, seed, values)
        ordered = [records[i] for i in _arrival(program, order)]
        outcomes.add(_laptop_outcome(bare, folder / f"laptop-{run}", certs, ordered))
        outcomes.add(_server_outcome(folder / f"server-{run}", certs, ordered))
    assert len(outcomes) == 1, outcomes
