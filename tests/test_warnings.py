"""Warnings as data (PROTOCOL §4 ``warnings``): each bound at its edge, the package's member
read or refused, and the CLI refusing an odd sheet unless the officer gives a reason, which
the signed sheet then carries (issue 13, defect 4: an all-zero sheet was signed with exit 0)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.domain import warnings as w
from recap_desktop.domain.election import Election, ElectionError
from recap_desktop.services import demo as demo_service
from recap_desktop.storage import Store

STATION = "32.01.01.2001.006"  # a station with voters the populated folder has not entered
LAST = "32.01.01.2001.010"  # the last station of that village
BOUNDS = w.Bounds(
    turnout=w.Share("voted", None, 90),
    invalid_share=w.Share("invalid", "total", 10),
    all_zero=True,
    village=w.Village("voted", 4, 100, 3),
)


def _names(values: dict[str, int], registered: int) -> list[str]:
    return [h.name for h in w.local_hits(BOUNDS, values, registered)]


def _sheet(voted: int, invalid: int = 0, total: int | None = None) -> dict[str, int]:
    return {"voted": voted, "invalid": invalid, "total": voted if total is None else total}


def test_turnout_fires_only_above_its_bound() -> None:
    assert _names(_sheet(180), 200) == []  # exactly 90%
    assert _names(_sheet(181), 200) == [w.TURNOUT]  # 90.5%


def test_invalid_share_fires_only_above_its_bound() -> None:
    assert _names(_sheet(150, invalid=15), 200) == []  # exactly 10% of 150
    assert _names(_sheet(150, invalid=16), 200) == [w.INVALID]


def test_all_zero_fires_only_at_a_station_with_voters() -> None:
    zero = _sheet(0)
    assert _names(zero, 1) == [w.ALL_ZERO]
    assert _names(zero, 0) == []  # nobody could vote: zero is right
    assert _names(_sheet(1), 200) == []


def test_village_rule_is_robust_and_fires_only_past_both_bounds() -> None:
    rule = BOUNDS.village
    assert rule is not None
    others = [700, 720, 740, 760, 1000]  # median 740, MAD 20: one wild station does not widen it
    assert w.village_hit(rule, 840, others) is None  # 100 per mille off: the floor, not past it
    hit = w.village_hit(rule, 841, others)
    assert hit is not None and (hit.name, hit.value, hit.bound) == (w.VILLAGE, 841, 740)
    spread = [500, 600, 700, 800, 900]  # median 700, MAD 100: 4 MADs = 400
    assert w.village_hit(rule, 1100, spread) is None
    assert w.village_hit(rule, 1101, spread) is not None
    assert w.village_hit(rule, 0, [700, 720]) is None  # fewer than 3 others: no pattern
    assert w.village_hit(rule, None, others) is None  # no registered voters: no share


def _package() -> dict[str, Any]:
    doc = json.loads((demo_service.RESOURCES / "election.json").read_text())
    return copy.deepcopy(doc["records"][0]["payload"])


def test_a_package_without_bounds_gets_the_documented_defaults() -> None:
    form = Election.from_payload(_package()).contests["ppwp"].form
    assert form.declared_bounds is None
    assert form.bounds == w.Bounds(
        w.Share("voted_total", None, 100),
        w.Share("invalid", "total", 10),
        True,
        w.Village("voted_total", 6, 200, 4),
    )


def test_a_package_declares_its_bounds_beside_the_rules() -> None:
    payload = _package()
    payload["contests"][0]["form"]["warnings"] = {
        "turnout": {"field": "voted_total", "max_percent": 80},
        "invalid_share": None,
        "all_zero": False,
        "village": None,
    }
    form = Election.from_payload(payload).contests[payload["contests"][0]["id"]].form
    assert form.bounds == w.Bounds(w.Share("voted_total", None, 80), None, False, None)


@pytest.mark.parametrize(
    ("bounds", "complaint"),
    [
        ({"turnout": None}, "exactly"),
        (
            {
                "turnout": {"field": "no_such_field", "max_percent": 80},
                "invalid_share": None,
                "all_zero": True,
                "village": None,
            },
            "not a field of the form",
        ),
        (
            {
                "turnout": {"field": "voted_total", "max_percent": 80.5},
                "invalid_share": None,
                "all_zero": True,
                "village": None,
            },
            "integer",
        ),
        (
            {"turnout": None, "invalid_share": None, "all_zero": "yes", "village": None},
            "true or false",
        ),
        (
            {
                "turnout": None,
                "invalid_share": None,
                "all_zero": True,
                "village": {"field": "voted_total", "k": 0, "floor_permille": 1, "min_stations": 1},
            },
            "village.k",
        ),
    ],
)
def test_a_package_with_unusable_bounds_is_refused_naming_them(
    bounds: dict[str, Any], complaint: str
) -> None:
    payload = _package()
    payload["contests"][0]["form"]["warnings"] = bounds
    with pytest.raises(ElectionError, match=complaint):
        Election.from_payload(payload)


# -- the CLI (defect 4) -------------------------------------------------------------------


def _zeros(recap: Any, station: str) -> dict[str, int]:
    result = recap("sheet", "template", "--station", station, "--contest", "ppwp")
    return dict(json.loads(result.out))


def _count(data_dir: Path) -> int:
    with Store.in_dir(data_dir) as store:
        return store.records.count()


def _enter(recap: Any, tmp_path: Path, values: dict[str, int], *extra: str) -> Any:
    path = tmp_path / "values.json"
    path.write_text(json.dumps(values))
    return recap(
        "sheet", "enter", "--station", STATION, "--contest", "ppwp", "--values", str(path), *extra
    )


def test_cli_refuses_an_all_zero_sheet_without_a_reason_listing_the_warnings(
    populated_dir: Path, recap: Any, tmp_path: Path
) -> None:
    before = _count(populated_dir)
    result = _enter(recap, tmp_path, _zeros(recap, STATION))
    assert result.code == 1
    assert result.out == ""
    for name in ("bound:all_zero", "zero_votes", "dpt_matches_package"):
        assert f"[{name}]" in result.err
    assert "--accept-warnings" in result.err and "registered voters" in result.err
    assert _count(populated_dir) == before


def test_cli_refusal_speaks_indonesian(
    populated_dir: Path, recap: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECAP_LANG", "id")
    result = _enter(recap, tmp_path, _zeros(recap, STATION))
    assert result.code == 1
    assert "tidak disimpan" in result.err and "ALASAN" in result.err
    assert "pemilih terdaftar" in result.err and "registered" not in result.err


def test_cli_signs_it_with_accept_warnings_and_the_reason_is_signed(
    populated_dir: Path, recap: Any, tmp_path: Path
) -> None:
    reason = "TPS tidak dibuka karena banjir; berita acara terlampir"
    result = _enter(recap, tmp_path, _zeros(recap, STATION), "--accept-warnings", reason)
    assert result.code == 0, result.err
    with Store.in_dir(populated_dir) as store:
        record = store.records.get(result.out.strip())
    assert record is not None
    assert record.payload["warnings_reason"] == reason
    assert {"bound:all_zero", "zero_votes"} <= set(record.payload["warnings"])
    assert recap("verify").code == 0
    shown = recap("sheet", "show", "--station", STATION, "--contest", "ppwp").out
    assert reason in shown


def test_a_blank_reason_is_no_reason(populated_dir: Path, recap: Any, tmp_path: Path) -> None:
    result = _enter(recap, tmp_path, _zeros(recap, STATION), "--accept-warnings", "   ")
    assert result.code == 1 and "bound:all_zero" in result.err


def test_a_sheet_far_from_its_village_warns(
    populated_dir: Path, populated_key: Any, recap: Any, tmp_path: Path
) -> None:
    """The village rule needs the other stations' sheets: the CLI asks the same service."""
    from recap_desktop.services import Workspace
    from recap_desktop.services import sheets as sheet_service

    ws = Workspace(populated_dir)
    try:
        demo_service.populate(ws, populated_key, stations=6)  # 9 of the village's 10 counted
        election = ws.store.package.election()
        assert election is not None
        station = election.stations[LAST]
        contest = election.contests["ppwp"]
        counted = ws.store.sheets.counted_field(station.region, "ppwp", "voted_total")
        assert len(counted) == 9  # the village has a pattern to compare with
        values = _zeros(recap, LAST)
        registered = station.registered
        voted = registered * 5 // 100  # 5% turnout in a village of 60% to 90%
        values.update(
            dpt=registered, dpt_voted=voted, voted_total=voted, ballots_received=registered,
            ballots_unused=registered - voted, ballots_used=voted, valid=voted, total=voted,
            v_p01=voted,
        )  # fmt: skip
        names = [x.name for x in sheet_service.sheet_warnings(ws, station, contest, values)]
    finally:
        ws.close()
    assert names == [w.VILLAGE]
