"""The supervisor's board, the dispute compared side by side, decided in one signed step,
and hashes typed by their first digits in the CLI."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import board as board_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.storage import StorageError

from .supervisor_support import (
    CONTEST,
    COUNTED,
    DISPUTED,
    DISTRICT,
    REJECTED,
    Folder,
    make_folder,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Folder:
    return make_folder(tmp_path_factory.mktemp("board") / "data")


@pytest.fixture
def folder(template: Folder, data_dir: Path) -> Folder:
    shutil.copytree(template.path, data_dir)
    return Folder(data_dir, *[getattr(template, f) for f in list(Folder.__dataclass_fields__)[1:]])


@pytest.fixture
def ws(folder: Folder) -> Iterator[Workspace]:
    workspace = Workspace(folder.path)
    yield workspace
    workspace.close()


def test_the_board_groups_and_counts_every_open_problem_of_the_district(ws: Workspace) -> None:
    b = board_service.board(ws, DISTRICT)
    assert [(i.station, i.contest) for i in b.groups["dispute"]] == [(DISPUTED, CONTEST)]
    assert [(i.station, i.contest) for i in b.groups["rejected"]] == [(REJECTED, CONTEST)]
    assert sorted(b.groups["dispute"][0].officers) == ["Budi Santoso", "Siti Rahma"]
    assert b.groups["rejected"][0].subject == "totals unreadable"
    assert not b.groups["tampered"] and not b.groups["revoked"]
    # Stations entered nowhere: every (station, contest) of the district but the three.
    expected = set(ws.store.sheets.missing_within(DISTRICT))
    missing = {(i.station, i.contest) for i in b.groups["missing"]}
    assert missing == expected and len(missing) > 10
    assert (COUNTED, CONTEST) not in missing and (DISPUTED, "dpr-jabar-1") in missing
    assert b.total == 2 + len(missing)


def test_a_correction_after_the_supervisors_decision_stays_on_the_board(
    folder: Folder, ws: Workspace
) -> None:
    """A correction counts without a review (PROTOCOL §6): an operator could undo a rejection,
    or change approved numbers, and the board went quiet. It lists the station, with the
    officer's reason, until a supervisor reviews the correction."""
    assert [i.station for i in board_service.board(ws, DISTRICT).groups["rejected"]] == [REJECTED]
    [old] = ws.store.sheets.versions(REJECTED, CONTEST)
    same = old["values"]  # re-signed unchanged: the rejection is simply undone
    fixed = sheet_service.enter_sheet(
        ws, folder.first, REJECTED, CONTEST, same, supersedes=old["hash"], reason="dibaca ulang"
    )
    b = board_service.board(ws, DISTRICT)
    assert not b.groups["rejected"]
    assert [(i.station, i.subject) for i in b.groups["corrected"]] == [(REJECTED, "dibaca ulang")]
    # Approved, then changed by its officer: on the board again.
    sheet_service.review_sheet(ws, folder.supervisor, fixed.hash, "approve", None)
    assert not board_service.board(ws, DISTRICT).groups["corrected"]
    changed = dict(same)
    changed["v_p01"], changed["v_p02"] = same["v_p02"], same["v_p01"]
    again = sheet_service.enter_sheet(
        ws, folder.first, REJECTED, CONTEST, changed, supersedes=fixed.hash, reason="salah baca"
    )
    assert ws.store.sheets.status(REJECTED, CONTEST)["state"] == "corrected"
    b = board_service.board(ws, DISTRICT)
    assert [(i.station, i.subject) for i in b.groups["corrected"]] == [(REJECTED, "salah baca")]
    # A correction nobody had decided on is no open problem.
    counted = ws.store.sheets.versions(COUNTED, CONTEST)[0]
    sheet_service.enter_sheet(
        ws, folder.first, COUNTED, CONTEST, counted["values"], supersedes=counted["hash"],
        reason="tanda tangan saksi",
    )  # fmt: skip
    assert [i.station for i in board_service.board(ws, DISTRICT).groups["corrected"]] == [REJECTED]
    sheet_service.review_sheet(ws, folder.supervisor, again.hash, "approve", None)
    assert not board_service.board(ws, DISTRICT).groups["corrected"]


def test_a_tampered_record_is_on_the_board_under_tampering(folder: Folder, ws: Workspace) -> None:
    with sqlite3.connect(folder.path / "recap.db") as conn:
        conn.execute("DROP TRIGGER records_no_update")
        (h, sig) = conn.execute(
            "SELECT r.hash, r.sig FROM records r JOIN sheets s ON s.hash = r.hash"
            " WHERE s.station = ?",
            [COUNTED],
        ).fetchone()
        flipped = ("1" if sig[0] != "1" else "2") + sig[1:]
        conn.execute("UPDATE records SET sig = ? WHERE hash = ?", [flipped, h])
    sheet_service.sheet_history(ws, COUNTED, CONTEST)  # someone looks at the station
    b = board_service.board(ws, DISTRICT)
    [item] = b.groups["tampered"]
    assert (item.station, item.contest) == (COUNTED, CONTEST)
    assert item.reasons == ("bad_signature",)


def test_the_dispute_view_shows_both_versions_and_the_fields_that_differ(
    folder: Folder, ws: Workspace
) -> None:
    d = board_service.dispute(ws, DISPUTED, CONTEST)
    assert d.state == "disputed"
    assert {v.hash for v in d.versions} == {folder.first_sheet, folder.second_sheet}
    assert {(v.officer, v.officer_id) for v in d.versions} == {
        ("Siti Rahma", "op-1"),
        ("Budi Santoso", "op-2"),
    }
    assert {v.signer for v in d.versions} == {folder.first.key_id, folder.second.key_id}
    assert d.differing == {"v_p01", "v_p02"}
    assert [f for f, _ in d.fields][:2] == ["dpt", "dpt_voted"]


def test_resolving_signs_approval_and_rejection_in_one_step(folder: Folder, ws: Workspace) -> None:
    before = ws.store.records.count()
    _, counted_before, _ = ws.store.sheets.totals(DISTRICT, CONTEST)
    records = board_service.resolve_dispute(
        ws, folder.supervisor, DISPUTED, CONTEST, folder.second_sheet, "checked the C.Hasil paper"
    )
    assert [(r.payload["sheet"], r.payload["decision"]) for r in records] == [
        (folder.second_sheet, "approve"),
        (folder.first_sheet, "reject"),
    ]
    assert records[1].payload["prev"] == records[0].hash
    assert ws.store.records.count() == before + 2
    status = ws.store.sheets.status(DISPUTED, CONTEST)
    assert status is not None and status["state"] == "approved"
    assert status["current"] == folder.second_sheet
    assert ws.store.sheets.totals(DISTRICT, CONTEST)[1] == counted_before + 1
    assert not board_service.board(ws, DISTRICT).groups["dispute"]
    with pytest.raises(RecapError) as again:
        board_service.resolve_dispute(
            ws, folder.supervisor, DISPUTED, CONTEST, folder.first_sheet, "again"
        )
    assert again.value.key == "dispute.none"


def test_a_failed_write_leaves_neither_review(
    folder: Folder, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills as the second review is written: neither is kept, the dispute stays."""
    before = ws.store.records.count()
    real = ws.store.projections.project_chained

    def fail_after_first(records: Any) -> None:
        """Writes what comes, and fails as the rejection is written: two transactions
        would have kept the approval."""
        real(records)
        if any(r.payload.get("decision") == "reject" for r in records):
            raise StorageError("database or disk is full", reason="full")

    monkeypatch.setattr(ws.store.projections, "project_chained", fail_after_first)
    with pytest.raises(RecapError):
        board_service.resolve_dispute(
            ws, folder.supervisor, DISPUTED, CONTEST, folder.first_sheet, "paper checked"
        )
    monkeypatch.undo()
    assert ws.store.records.count() == before
    status = ws.store.sheets.status(DISPUTED, CONTEST)
    assert status is not None and status["state"] == "disputed"


@pytest.mark.parametrize(
    ("chosen", "reason", "key"),
    [
        ("counted", "x", "dispute.none"),
        ("other", "x", "dispute.not_a_version"),
        ("first", "  ", "review.reason_needed"),
    ],
)
def test_a_bad_resolution_is_refused_and_changes_nothing(
    folder: Folder, ws: Workspace, chosen: str, reason: str, key: str
) -> None:
    before = ws.store.records.count()
    station = COUNTED if chosen == "counted" else DISPUTED
    sheet = {"first": folder.first_sheet, "counted": folder.first_sheet}.get(chosen, "ab" * 32)
    with pytest.raises(RecapError) as refused:
        board_service.resolve_dispute(ws, folder.supervisor, station, CONTEST, sheet, reason)
    assert refused.value.key == key
    assert ws.store.records.count() == before


def test_an_operator_cannot_resolve(folder: Folder, ws: Workspace) -> None:
    with pytest.raises(RecapError):
        board_service.resolve_dispute(
            ws, folder.first, DISPUTED, CONTEST, folder.first_sheet, "mine"
        )


# -- the CLI: any unique prefix of 8+ hex digits ------------------------------------------------


@pytest.fixture
def cli(folder: Folder, recap: Callable[..., Any], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RECAP_PASSPHRASE", "demo-only")
    return recap


def test_sheet_show_prints_hashes_that_review_accepts(folder: Folder, cli: Any) -> None:
    shown = cli("sheet", "show", "--station", DISPUTED, "--contest", CONTEST)
    assert shown.code == 0, shown.err
    short = folder.second_sheet[:16]
    assert short in shown.out
    result = cli("sheet", "review", short, "--decision", "approve")
    assert result.code == 0, result.err
    after = cli("sheet", "show", "--station", DISPUTED, "--contest", CONTEST)
    assert f"approve {short}" in after.out


def test_sheet_show_by_a_prefix(folder: Folder, cli: Any) -> None:
    shown = cli("sheet", "show", "--hash", folder.first_sheet[:8].upper())
    assert shown.code == 0, shown.err
    assert f"{DISPUTED} / {CONTEST}: disputed" in shown.out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "at least 8 hexadecimal digits"),
        ("zzzzzzzzzz", "at least 8 hexadecimal digits"),
        ("ffffffffffff", "No record in this store has a hash starting with ffffffffffff"),
    ],
)
def test_a_bad_or_unknown_prefix_is_refused_clearly(
    folder: Folder, cli: Any, text: str, message: str
) -> None:
    before = _count(folder.path)
    result = cli("sheet", "review", text, "--decision", "approve")
    assert result.code == 2
    assert message in result.err
    assert _count(folder.path) == before


def test_an_ambiguous_prefix_is_refused_with_the_candidates(folder: Folder, cli: Any) -> None:
    """Two held hashes sharing 8 digits take ~65,000 records to happen by chance; a row
    planted behind the program's back makes it now."""
    with sqlite3.connect(folder.path / "recap.db") as conn:
        planted = folder.first_sheet[:8] + "0" * 56
        conn.execute(
            "INSERT INTO records (hash, type, signer, seq, payload, sig, received, origin)"
            " VALUES (?, 'sheet', ?, NULL, '{}', '', '2026-01-01T00:00:00Z', 'local')",
            [planted, "ab" * 32],
        )
    before = _count(folder.path)
    result = cli("sheet", "review", folder.first_sheet[:8], "--decision", "approve")
    assert result.code == 2
    assert "more than one record" in result.err and folder.first_sheet[:12] in result.err
    assert _count(folder.path) == before
    # One more digit tells them apart.
    longer = folder.first_sheet[: 9 if folder.first_sheet[8] != "0" else 16]
    assert cli("sheet", "show", "--hash", longer).code == 0


def _common(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _count(path: Path) -> int:
    with sqlite3.connect(path / "recap.db") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])
