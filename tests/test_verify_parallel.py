"""verify_store's parallel path finds exactly what the one-process path finds, in order."""

from __future__ import annotations

import multiprocessing.spawn
import sqlite3
from typing import Any

import pytest

from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import verify as verify_service
from recap_desktop.services.election import authority_key
from recap_desktop.storage.store import DB_NAME


def _both(ws: Workspace) -> tuple[dict, dict]:
    anchor = authority_key(ws)
    serial = verify_service._verify(ws, anchor, None, 1)
    parallel = verify_service._verify(ws, anchor, None, 2)
    return serial.to_json(), parallel.to_json()


@pytest.fixture
def populated(demo_ws: Workspace, demo_key, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setattr(verify_service, "CHUNK", 7)  # many chunks, to check their order
    demo_service.populate(demo_ws, demo_key, stations=40)
    return demo_ws


def test_clean_store_same_report(populated: Workspace) -> None:
    serial, parallel = _both(populated)
    assert serial == parallel
    assert parallel["ok"] and parallel["records"] == 82


def test_tampered_store_same_report(populated: Workspace) -> None:
    db = sqlite3.connect(populated.data_dir / DB_NAME)
    db.execute("DROP TRIGGER records_no_update")
    db.execute("DROP TRIGGER records_no_delete")
    rows = db.execute("SELECT id, payload, sig FROM records WHERE type = 'sheet' ORDER BY id")
    ids = [(r[0], r[1], r[2]) for r in rows]
    db.execute("DELETE FROM records WHERE id = ?", [ids[10][0]])  # a gap in the chain
    edited = ids[20][1].replace('"valid":', '"valid": ', 1)  # not canonical any more
    db.execute("UPDATE records SET payload = ? WHERE id = ?", [edited, ids[20][0]])
    flipped = ("0" if ids[30][2][0] != "0" else "1") + ids[30][2][1:]
    db.execute("UPDATE records SET sig = ? WHERE id = ?", [flipped, ids[30][0]])  # bad signature
    db.execute("UPDATE records SET payload = 'not json' WHERE id = ?", [ids[40][0]])
    db.commit()
    db.close()
    serial, parallel = _both(populated)
    assert serial == parallel
    kinds = {p["kind"] for p in parallel["problems"]}
    assert {"malformed", "bad_signature", "chain_gap"} <= kinds


def test_cancelled_parallel_run_says_so(populated: Workspace) -> None:
    anchor = authority_key(populated)
    report = verify_service._verify(populated, anchor, lambda _d, _t: False, 2)
    assert report.cancelled and not report.ok


def test_small_stores_use_one_process() -> None:
    assert verify_service.worker_count(verify_service.PARALLEL_FROM - 1) == 1


def test_tampered_row_in_every_chunk_found_wherever_checked(
    populated: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One sheet of each chunk of 7 has a flipped signature (and one more edited out of
    canonical form): whether the helper process or this one checked the chunk, each is found,
    and the report is the one-process report."""
    db = sqlite3.connect(populated.data_dir / DB_NAME)
    db.execute("DROP TRIGGER records_no_update")
    rows = db.execute("SELECT id, payload, sig FROM records ORDER BY id").fetchall()
    others = [r for r in rows if r[0] > 2]  # the chunks start after the authority's records
    flipped = []
    for i in range(0, len(others), verify_service.CHUNK):
        row_id, _payload, sig = others[i + 3] if i + 3 < len(others) else others[i]
        bad = ("0" if sig[0] != "0" else "1") + sig[1:]
        db.execute("UPDATE records SET sig = ? WHERE id = ?", [bad, row_id])
        flipped.append(row_id)
    edited = others[5][1].replace('"time":', '"time": ', 1)
    db.execute("UPDATE records SET payload = ? WHERE id = ?", [edited, others[5][0]])
    hashes = dict(db.execute("SELECT id, hash FROM records").fetchall())
    db.commit()
    db.close()
    local = []  # chunks this process checked itself (the helper's do not come through here)
    check_rows = verify_service.rowcheck.check_rows

    def counted(chunk: Any, trust: Any) -> Any:
        local.append(len(chunk))
        return check_rows(chunk, trust)

    monkeypatch.setattr(verify_service.rowcheck, "check_rows", counted)
    anchor = authority_key(populated)
    parallel = verify_service._verify(populated, anchor, None, 2).to_json()
    by_here = len(local) - 1  # the authority's records are always checked here
    chunks = -(-len(others) // verify_service.CHUNK)
    assert 0 < by_here < chunks  # both this process and the helper checked chunks
    monkeypatch.setattr(verify_service.rowcheck, "check_rows", check_rows)
    serial = verify_service._verify(populated, anchor, None, 1).to_json()
    assert parallel == serial
    bad = {p["record"] for p in parallel["problems"] if p["kind"] == "bad_signature"}
    assert bad == {hashes[i] for i in flipped} and len(bad) == chunks
    assert any(
        p["kind"] == "malformed" and p["record"] == hashes[others[5][0]]
        for p in parallel["problems"]
    )


def test_no_helper_can_start_so_this_process_verifies_alone(
    populated: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper that cannot start (here its interpreter is a program that exits at once): the
    store is verified in this process all the same, and a listing holds each row once."""
    monkeypatch.setattr(multiprocessing.spawn, "_python_exe", b"/bin/false")
    monkeypatch.setattr(verify_service, "worker_count", lambda _records: 2)
    seen: list[int] = []

    def listing(row_id: int, _signer: str, _checked: Any) -> int:
        seen.append(row_id)
        return row_id

    report = verify_service.verify_store(populated, None, listing)
    assert report.ok and report.records == 82
    held = [r[0] for r in populated.store.db.execute("SELECT id FROM records ORDER BY id")]
    assert report.listed == held
    assert len(seen) > len(held)  # the authority's rows were listed by the run that broke
