"""The admission rule at every door: one table of hostile records through the server's push,
a laptop's pull (from a server that serves what it never admitted), a bundle import and
`recap verify` of a store the record was planted in; every door must give every record the
same verdict (docs/PROTOCOL.md §5). And the counting property: the same officers' actions
give the same states and totals on a laptop and a server, whatever their keys and whatever
order the records arrive in (§6).

The table is tests/hostile.py; the real server, laptops and a dishonest server come from the
tests' helpers, as the other sync trials take them.
"""

from __future__ import annotations

import gzip
import random
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import CHAINED_TYPES
from recap_desktop.domain.election import format_time
from recap_desktop.protocol.wire import batch_bytes
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import sync as sync_service
from recap_desktop.services.bundle import import_bundle
from recap_desktop.services.verify import verify_store
from recap_desktop.storage.store import DB_NAME
from reliability.common import TrialResult
from tests import hostile
from tests.dishonest import Injecting
from tests.sync_support import LiveServer, make_laptop

TABLE = hostile.table()
BASE = [r.to_json() for r in TABLE.base]
ADMITTED, HELD = "admitted", "held"
DOORS = ("push", "pull", "bundle", "verify")
# A store holds each hash once: a record held already cannot be planted a second time.
NOT_STORED = {"offered_again"}


def expected(case: hostile.Case) -> str:
    if case.expect is not None:
        return case.expect
    return HELD if case.name == "offered_again" else ADMITTED


def door_verdicts(root: Path) -> dict[str, dict[str, str]]:
    """Each door's verdict on each case: door -> case name -> reason (or admitted, held)."""
    out: dict[str, dict[str, str]] = {}
    out["push"] = _server_door(root / "push")
    out["bundle"], snapshot = _bundle_door(root / "bundle")
    out["pull"] = _pull_door(root / "pull")
    out["verify"] = _verify_door(snapshot, root / "verify")
    return out


def doors_trial(size: int, work: Path, seed: int = 7) -> TrialResult:
    """The table through the four doors once; then ``size`` random programs of officers'
    actions, each signed with two sets of random keys and replayed in two random orders, on a
    laptop and on a server."""
    result = TrialResult("doors", size, 1000)
    verdicts = door_verdicts(work / "doors")
    result.count("hostile cases", len(TABLE.cases))
    for case in TABLE.cases:
        want = expected(case)
        for door in DOORS:
            if door == "verify" and case.name in NOT_STORED:
                continue
            got = verdicts[door][case.name]
            result.count("verdicts compared")
            if got != want:
                result.count("verdicts that differ")
                result.fail(f"{case.name} at the {door} door: {got}, wanted {want}")
    result.count("verdicts that differ", 0)
    result.counts.update(_counting(size, work / "counting", seed))
    if result.counts.get("outcomes that differ"):
        result.fail("the same actions gave different states or totals")
    return result


def _counting(size: int, work: Path, seed: int) -> dict[str, int]:
    from tests import test_counting_property as prop

    work.mkdir(parents=True)
    bare = work / "bare"
    ws = Workspace(bare)
    demo_service.init_demo(ws)
    values = prop._values(ws)
    ws.close()
    rng = random.Random(seed)
    counts = {"counting programs": 0, "records replayed": 0, "outcomes that differ": 0}
    for _ in range(size):
        raw = [
            (
                rng.choice(["enter", "enter", "review"]),
                rng.randint(0, 5),
                rng.randint(0, 2),
                rng.randint(0, 20),
                rng.choice(["approve", "reject"]),
                [rng.randint(0, 20) for _ in range(rng.randint(0, 2))],
            )
            for _ in range(rng.randint(1, 10))
        ]
        program = prop._program(raw)
        outcomes = set()
        for _twice in range(2):
            certs, records = prop._sign(program, rng.getrandbits(64), values)
            ordered = [records[i] for i in prop._arrival(program, rng)]
            folder = Path(tempfile.mkdtemp(dir=work))
            outcomes.add(prop._laptop_outcome(bare, folder / "laptop", certs, ordered))
            outcomes.add(prop._server_outcome(folder, certs, ordered))
            counts["records replayed"] += 2 * len(records)
            shutil.rmtree(folder)
        counts["counting programs"] += 1
        if len(outcomes) != 1:
            counts["outcomes that differ"] += 1
    return counts


# -- the server's push ----------------------------------------------------------------------


def _push(server: LiveServer, items: list[dict[str, Any]]) -> dict[str, Any]:
    body = gzip.compress(batch_bytes(items))
    answer = requests.post(
        server.url + "/v1/push",
        data=body,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _from_result(result: dict[str, Any]) -> str:
    status = result["status"]
    return {"stored": ADMITTED, "held": HELD}.get(status) or str(result["reason"])


def _server_door(folder: Path) -> dict[str, str]:
    server = LiveServer(folder)
    try:
        base = _push(server, BASE)
        assert {r["status"] for r in base["results"]} <= {"stored", "held"}, base["results"]
        return {c.name: _from_result(_push(server, c.wire())["results"][-1]) for c in TABLE.cases}
    finally:
        server.stop()


# -- a bundle -------------------------------------------------------------------------------


def _bundle_door(folder: Path) -> tuple[dict[str, str], Path]:
    laptop = make_laptop(folder / "laptop", "door-bundle")
    try:
        base = import_bundle(laptop.ws, batch_bytes(BASE), "base")
        assert not base.problems, base.problems
        snapshot = folder / "after-base"
        laptop.ws.close()
        shutil.copytree(laptop.data_dir, snapshot)
        out = {}
        for case in TABLE.cases:
            result = import_bundle(laptop.ws, batch_bytes(case.wire()), case.name)
            if result.problems:
                out[case.name] = result.problems[-1].kind
            else:
                out[case.name] = ADMITTED if result.added else HELD
        return out, snapshot
    finally:
        laptop.ws.close()


# -- a pull from a server that serves what it never admitted ----------------------------------


def _pull_door(folder: Path) -> dict[str, str]:
    server = LiveServer(folder / "server", storage=Injecting)
    laptop = make_laptop(folder / "laptop", "door-pull", jurisdiction="32")
    try:
        _push(server, BASE)
        first = sync_service.sync_once(laptop.ws, server.url, attempts=1)
        assert first.outcome == "done", first.to_json()
        storage = server.ledger.storage
        assert isinstance(storage, Injecting)
        out = {}
        for case in TABLE.cases:  # one at a time: two cases may claim one hash
            storage.inject(case.wire())
            server.ledger.refresh()
            result = sync_service.sync_once(laptop.ws, server.url, attempts=1)
            if result.pull_problems:
                out[case.name] = result.pull_problems[-1].kind
            else:
                out[case.name] = ADMITTED if result.pulled else HELD
        return out
    finally:
        laptop.ws.close()
        server.stop()


# -- `recap verify` over a store that holds the record (planted in the file) -----------------

# A store holds each hash once: a record held already cannot be planted a second time.
NOT_STORED = {"offered_again"}


def _verify_door(snapshot: Path, folder: Path) -> dict[str, str]:
    out = {}
    for case in TABLE.cases:
        if case.name in NOT_STORED:
            continue
        copy = folder / case.name
        shutil.copytree(snapshot, copy)
        item = case.wire()[-1]
        _plant(copy / DB_NAME, item)
        ws = Workspace(copy)
        try:
            report = verify_store(ws)
        finally:
            ws.close()
        found = [p for p in report.problems if p.record == item["hash"]]
        refusing = [p for p in found if p.severity != "notice"]
        out[case.name] = refusing[0].kind if refusing else ADMITTED
    return out


def _plant(db_path: Path, item: dict[str, Any]) -> None:
    """Write a record into the store's file as an attacker with the file would: past the
    admission rule, whatever it is (a second record at a place of a chain included)."""
    payload = item["payload"]
    kind = payload.get("type")
    seq = payload.get("seq") if kind in CHAINED_TYPES else None
    db = sqlite3.connect(db_path)
    try:
        db.execute("DROP INDEX IF EXISTS records_chain")
        if db.execute("SELECT 1 FROM records WHERE hash = ?", [item["hash"]]).fetchone():
            # Its hash is held (a payload changed under its hash): edit the row in place.
            db.execute("DROP TRIGGER records_no_update")
            db.execute(
                "UPDATE records SET payload = ? WHERE hash = ?",
                [canonical_bytes(payload).decode("utf-8"), item["hash"]],
            )
            db.commit()
            return
        db.execute(
            "INSERT INTO records (hash, type, signer, seq, payload, sig, received, origin)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'planted')",
            [
                item["hash"],
                kind,
                item["signer"],
                seq,
                canonical_bytes(payload).decode("utf-8"),
                item["sig"],
                format_time(datetime.now(UTC)).replace("Z", ".000000Z"),
            ],
        )
        db.commit()
    finally:
        db.close()
