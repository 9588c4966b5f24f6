"""verify_store's parallel path finds exactly what the one-process path finds, in order."""

from __future__ import annotations

import sqlite3

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
