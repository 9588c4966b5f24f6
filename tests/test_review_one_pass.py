"""The supervisor's list is made in the verification's one pass over the store: the same list
the rows read again would give, with the parallel path's chunks too, and no second read."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from recap_desktop.protocol.trust import AUTHORITY_TYPES
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import review as review_service
from recap_desktop.services import sheets as sheets_service
from recap_desktop.services import verify as verify_service
from recap_desktop.storage.store import DB_NAME


def _tamper(ws: Workspace) -> None:
    db = sqlite3.connect(ws.data_dir / DB_NAME)
    db.execute("DROP TRIGGER records_no_update")
    rows = db.execute("SELECT id, payload, sig FROM records WHERE type = 'sheet' ORDER BY id")
    sheets = rows.fetchall()
    bad = ("0" if sheets[3][2][0] != "0" else "1") + sheets[3][2][1:]
    db.execute("UPDATE records SET sig = ? WHERE id = ?", [bad, sheets[3][0]])
    edited = sheets[11][1].replace('"time":', '"time": ', 1)  # not canonical any more
    db.execute("UPDATE records SET payload = ? WHERE id = ?", [edited, sheets[11][0]])
    db.execute("UPDATE records SET payload = 'not json' WHERE id = ?", [sheets[20][0]])
    db.execute("UPDATE records SET seq = seq + 100 WHERE id = ?", [sheets[30][0]])  # columns lie
    db.commit()
    db.close()


def _listed_by_reading_again(ws: Workspace, report: review_service.ReviewReport) -> list[Any]:
    """What the list was made from before: every row read and parsed again after verifying."""
    names = {c["key_id"]: c["name"] for c in ws.store.keys.certificates()}
    problems = {r.hash: r.checks for r in report.records}
    out = []
    for row in ws.store.records.rows():
        rec = row.record
        if rec is not None and rec.type in AUTHORITY_TYPES and row.hash not in problems:
            continue
        p = rec.payload if rec is not None else {}
        text = {k: p.get(k) if isinstance(p.get(k), str) else None for k in review_service_keys}
        out.append(
            (
                row.hash,
                rec.type if rec is not None else "?",
                row.signer,
                names.get(row.signer),
                rec.seq if rec is not None else None,
                text,
                tuple(str(w) for w in p.get("warnings", []) if isinstance(p.get("warnings"), list)),
            )
        )
    return out


review_service_keys = ("station", "contest", "time", "decision", "reason", "supersedes")


def _as_listed(report: review_service.ReviewReport) -> list[Any]:
    return [
        (r.hash, r.type, r.signer, r.officer, r.seq,
         {k: getattr(r, k) for k in review_service_keys}, r.warnings)
        for r in report.records
    ]  # fmt: skip


@pytest.mark.parametrize("workers", [1, 2])
def test_the_list_is_the_rows_read_again_without_reading_them_again(
    demo_ws: Workspace, demo_key: Any, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    demo_service.populate(demo_ws, demo_key, stations=40)
    # A correction with a reason that fires a warning: the members the list shows besides.
    first = next(r.record for r in demo_ws.store.records.rows(["sheet"]))
    assert first is not None and first.payload["contest"] == "ppwp"
    values = dict(first.payload["values"])
    values["dpt"] += 1  # not the station's registered voters: a warning
    sheets_service.enter_sheet(
        demo_ws, demo_key, first.payload["station"], "ppwp", values,
        supersedes=first.hash, reason="angka salah baca", warnings_reason="DPT baru",
    )  # fmt: skip
    _tamper(demo_ws)
    monkeypatch.setattr(verify_service, "CHUNK", 7)
    monkeypatch.setattr(verify_service, "worker_count", lambda _records: workers)
    rows = demo_ws.store.records.rows

    def no_second_pass(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("review_store read every row again")

    monkeypatch.setattr(demo_ws.store.records, "rows", no_second_pass)
    report = review_service.review_store(demo_ws)
    monkeypatch.setattr(demo_ws.store.records, "rows", rows)
    assert _as_listed(report) == _listed_by_reading_again(demo_ws, report)
    bad = {r.hash: r for r in report.records if not r.ok}
    assert len(bad) >= 4
    assert sum(1 for r in bad.values() if r.type == "?") == 3  # the three that are not records
    correction = next(r for r in report.records if r.supersedes == first.hash)
    assert correction.reason == "angka salah baca"
    assert correction.warnings == ("dpt_matches_package",)
    assert {p.kind for p in report.problems} >= {"tampered"}
