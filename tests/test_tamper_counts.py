"""A record edited in recap.db behind the program's back never reads "signed" nor counts.

The projections were written from the record as it was signed; the edit leaves them as they
were. Whoever looks first (the sheet tab's history, or a verification) finds the row wrong,
and from then on the station's state, its history and the region's totals leave it out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.services import Workspace
from recap_desktop.services import plenary as plenary_service
from recap_desktop.services import recap as recap_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services.verify import verify_store

from .test_tamper import _digit, _open


@contextmanager
def opened(data_dir: Path) -> Iterator[Workspace]:
    ws = Workspace(data_dir)
    try:
        yield ws
    finally:
        ws.close()


def _sheet(data_dir: Path) -> dict[str, Any]:
    """The middle sheet of the populated folder: its row, station, contest and values."""
    with opened(data_dir) as ws:
        row = next(r for r in ws.store.records.rows(types=("sheet",)) if r.record and r.id == 5)
        assert row.record is not None
        p = row.record.payload
        return {"id": row.id, "hash": row.hash, "station": p["station"], "contest": p["contest"]}


def _district(station: str) -> str:
    return ".".join(station.split(".")[:3])


def _totals(data_dir: Path, region: str, contest: str) -> tuple[dict[str, int], int]:
    with opened(data_dir) as ws:
        [t] = recap_service.recap_region(ws, region, contest)
        return dict(t.sums), t.counted


def _edit_payload(data_dir: Path, row_id: int) -> None:
    with _open(data_dir) as conn:
        (payload,) = conn.execute(
            "SELECT CAST(payload AS BLOB) FROM records WHERE id = ?", [row_id]
        ).fetchone()
        conn.execute(
            "UPDATE records SET payload = CAST(? AS TEXT) WHERE id = ?", [_digit(payload), row_id]
        )


def _edit_signature(data_dir: Path, row_id: int) -> None:
    with _open(data_dir) as conn:
        (sig,) = conn.execute("SELECT sig FROM records WHERE id = ?", [row_id]).fetchone()
        flipped = ("1" if sig[10] != "1" else "2").join((sig[:10], sig[11:]))
        conn.execute("UPDATE records SET sig = ? WHERE id = ?", [flipped, row_id])


EDITS: dict[str, tuple[Callable[[Path, int], None], str]] = {
    "payload": (_edit_payload, "malformed"),
    "signature": (_edit_signature, "bad_signature"),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_the_sheet_tab_reads_a_tampered_record_so_and_the_recap_leaves_it_out(
    populated_dir: Path, edit: str
) -> None:
    sheet = _sheet(populated_dir)
    region = _district(sheet["station"])
    before, counted_before = _totals(populated_dir, region, sheet["contest"])
    with opened(populated_dir) as ws:
        own = {
            v["hash"]: v["values"]
            for v in ws.store.sheets.versions(sheet["station"], sheet["contest"])
        }
    change, kind = EDITS[edit]
    change(populated_dir, sheet["id"])

    with opened(populated_dir) as ws:
        history = sheet_service.sheet_history(ws, sheet["station"], sheet["contest"])
    [version] = [v for v in history["versions"] if v["hash"] == sheet["hash"]]
    assert version["standing"] == kind  # the history says why it does not count
    assert history["state"] not in ("counted", "approved")
    assert kind in history["attention"]
    after, counted_after = _totals(populated_dir, region, sheet["contest"])
    assert counted_after == counted_before - 1
    values = own[sheet["hash"]]
    assert {f: after.get(f, 0) for f in before} == {f: before[f] - values[f] for f in before}
    with opened(populated_dir) as ws:  # the plenary of the sub-district reads it so too
        state = plenary_service.plenary(ws, region, sheet["contest"], None)
    [child] = [c for c in state.children if c.code == sheet["station"]]
    assert child.state == "uncounted" and kind in child.attention
    assert {f: state.totals.get(f, 0) for f in before} == {f: after.get(f, 0) for f in before}


def test_a_verification_sets_a_tampered_record_aside_for_the_cli_recap(
    populated_dir: Path, recap: Callable[..., Any]
) -> None:
    sheet = _sheet(populated_dir)
    region = _district(sheet["station"])
    _, counted_before = _totals(populated_dir, region, sheet["contest"])
    _edit_payload(populated_dir, sheet["id"])
    assert recap("verify").code == 1
    _, counted_after = _totals(populated_dir, region, sheet["contest"])
    assert counted_after == counted_before - 1
    table = recap("recap", "--region", region, "--contest", sheet["contest"])
    assert "! 1 station(s) hold sheets that do not count" in table.out, table.out
    shown = recap("sheet", "show", "--station", sheet["station"], "--contest", sheet["contest"])
    assert "malformed" in shown.out.lower() or "not a record" in shown.out.lower(), shown.out


def test_a_restored_file_counts_again_after_the_next_verification(populated_dir: Path) -> None:
    sheet = _sheet(populated_dir)
    region = _district(sheet["station"])
    _, counted_before = _totals(populated_dir, region, sheet["contest"])
    with _open(populated_dir) as conn:
        (original,) = conn.execute(
            "SELECT payload FROM records WHERE id = ?", [sheet["id"]]
        ).fetchone()
    _edit_payload(populated_dir, sheet["id"])
    with opened(populated_dir) as ws:
        assert not verify_store(ws).ok
    assert _totals(populated_dir, region, sheet["contest"])[1] == counted_before - 1
    with _open(populated_dir) as conn:
        conn.execute("UPDATE records SET payload = ? WHERE id = ?", [original, sheet["id"]])
    with opened(populated_dir) as ws:
        assert verify_store(ws).ok
    assert _totals(populated_dir, region, sheet["contest"])[1] == counted_before
