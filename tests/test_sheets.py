"""Entering and correcting sheets with `recap sheet`: refusals change nothing, each reason named."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.crypto import authority
from recap_desktop.crypto.envelope import sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.domain.election import Election
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import election as election_service
from recap_desktop.services import identity as identity_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services.verify import verify_store
from recap_desktop.storage import Store

Run = Callable[..., Any]
HASH = re.compile(r"^[0-9a-f]{64}$")


def _election(data_dir: Path) -> Election:
    with Store.in_dir(data_dir) as store:
        election = store.package.election()
    assert election is not None
    return election


def _count(data_dir: Path) -> int:
    with Store.in_dir(data_dir) as store:
        return store.records.count()


@pytest.fixture
def station(populated_dir: Path) -> str:
    """A station the populated folder has not entered yet."""
    return sorted(_election(populated_dir).stations)[5]


def _good(data_dir: Path, station: str, contest: str = "ppwp", seed: int = 3) -> dict[str, Any]:
    election = _election(data_dir)
    values = random_sheet(
        election.contests[contest], election.stations[station].registered, random.Random(seed)
    )
    assert not [
        v
        for v in election.contests[contest].form.evaluate(
            values, {"registered": election.stations[station].registered}
        )
        if v.severity == "error"
    ]
    return dict(values)


def _write(tmp_path: Path, values: Any, name: str = "values.json") -> str:
    path = tmp_path / name
    path.write_text(values if isinstance(values, str) else json.dumps(values))
    return str(path)


def _enter(recap: Run, station: str, values_file: str, *extra: str) -> Any:
    return recap(
        "sheet", "enter", "--station", station, "--contest", "ppwp", "--values", values_file, *extra
    )


def test_consistent_sheet_is_signed_and_stored(
    populated_dir: Path, recap: Run, tmp_path: Path, station: str
) -> None:
    before = _count(populated_dir)
    result = _enter(recap, station, _write(tmp_path, _good(populated_dir, station)))
    assert result.code == 0, result.err
    assert HASH.match(result.out.strip())
    assert _count(populated_dir) == before + 1
    assert recap("verify").code == 0


def test_template_lists_every_field_as_zero(populated_dir: Path, recap: Run, station: str) -> None:
    result = recap("sheet", "template", "--station", station, "--contest", "ppwp")
    assert result.code == 0
    template = json.loads(result.out)
    assert set(template) == set(_good(populated_dir, station)) and set(template.values()) == {0}


def test_sheet_breaking_error_rules_is_refused_with_every_rule_named(
    populated_dir: Path, recap: Run, tmp_path: Path, station: str
) -> None:
    values = _good(populated_dir, station)
    values["valid"] += 1  # breaks valid + invalid = total, and the choices' sum = valid
    values["ballots_unused"] += 2  # breaks returned + unused + used = received
    before = _count(populated_dir)
    result = _enter(recap, station, _write(tmp_path, values))
    assert result.code == 1
    for rule in ("valid_invalid_sum", "choices_sum", "ballots_sum"):
        assert f"[{rule}]" in result.err
    assert "not saved" in result.err
    assert result.out == ""
    assert _count(populated_dir) == before


@pytest.mark.parametrize(
    ("change", "field", "kind"),
    [
        ({"invalid": -1}, "invalid", "negative"),
        ({"invalid": 1.5}, "1.5", "floats are not allowed"),
        ({"invalid": "12"}, "invalid", "not a whole number"),
        ({"invalid": True}, "invalid", "not a whole number"),
        ({"invalid": None}, "invalid", "missing"),
        ({"invalid": [1]}, "invalid", "not a whole number"),
        ({"invalid": {"n": 1}}, "invalid", "not a whole number"),
        ({"invalid": 10**12}, "invalid", "too large"),
        ({"surprise": 0}, "surprise", "not on the form"),
    ],
    ids=lambda v: repr(v) if not isinstance(v, dict) else "-".join(map(str, v.values())),
)
def test_values_that_are_not_counts_are_refused(
    populated_dir: Path,
    recap: Run,
    tmp_path: Path,
    station: str,
    change: dict[str, Any],
    field: str,
    kind: str,
) -> None:
    values = {**_good(populated_dir, station), **change}
    before = _count(populated_dir)
    result = _enter(recap, station, _write(tmp_path, values))
    assert result.code == 2, result.err
    assert field in result.err and kind in result.err
    assert _count(populated_dir) == before


def test_missing_field_is_refused(
    populated_dir: Path, recap: Run, tmp_path: Path, station: str
) -> None:
    values = _good(populated_dir, station)
    del values["v_p02"]
    before = _count(populated_dir)
    result = _enter(recap, station, _write(tmp_path, values))
    assert result.code == 2
    assert "field v_p02 is missing" in result.err
    assert _count(populated_dir) == before


@pytest.mark.parametrize(
    "content",
    ["", "{", "[1, 2]", '"text"', '{"a": 1, "a": 2}', "1" * 5000, "[" * 10000 + "]" * 10000],
    ids=["empty", "truncated", "list", "string", "duplicate", "huge-int", "deep"],
)
def test_values_file_that_is_not_an_object_of_counts(
    populated_dir: Path, recap: Run, tmp_path: Path, station: str, content: str
) -> None:
    before = _count(populated_dir)
    result = _enter(recap, station, _write(tmp_path, content))
    assert result.code == 2
    assert "values file" in result.err and "Traceback" not in result.err
    assert _count(populated_dir) == before


def test_values_file_that_does_not_exist(populated_dir: Path, recap: Run, station: str) -> None:
    result = _enter(recap, station, "/nonexistent/values.json")
    assert result.code == 2 and "/nonexistent/values.json" in result.err


@pytest.mark.parametrize(
    ("station_arg", "contest", "message"),
    [("32.99.99.9999.999", "ppwp", "recap election show"), (None, "dpd", "It holds")],
)
def test_unknown_station_or_contest(
    populated_dir: Path,
    recap: Run,
    tmp_path: Path,
    station: str,
    station_arg: str | None,
    contest: str,
    message: str,
) -> None:
    values_file = _write(tmp_path, _good(populated_dir, station))
    result = recap(
        "sheet", "enter", "--station", station_arg or station, "--contest", contest,
        "--values", values_file,
    )  # fmt: skip
    assert result.code == 2 and message in result.err


def test_warnings_are_stored_with_the_sheet(
    populated_dir: Path, recap: Run, tmp_path: Path, station: str
) -> None:
    values = _good(populated_dir, station)
    values["dpt"] += 1  # differs from the station's registered voters: a warning, not an error
    refused = _enter(recap, station, _write(tmp_path, values))
    assert refused.code == 1 and "[dpt_matches_package]" in refused.err
    result = _enter(recap, station, _write(tmp_path, values), "--accept-warnings", "DPT baru")
    assert result.code == 0, result.err
    assert "warning [dpt_matches_package]" in result.err
    sheet_hash = result.out.strip()
    with Store.in_dir(populated_dir) as store:
        record = store.records.get(sheet_hash)
    assert record is not None and record.payload["warnings"] == ["dpt_matches_package"]
    shown = json.loads(
        recap("sheet", "show", "--station", station, "--contest", "ppwp", "--json").out
    )
    assert shown["versions"][0]["warnings"] == ["dpt_matches_package"]
    text = recap("sheet", "show", "--station", station, "--contest", "ppwp").out
    assert "dpt_matches_package" in text


def test_second_sheet_without_supersedes_is_refused(
    populated_dir: Path, recap: Run, tmp_path: Path, station: str
) -> None:
    first = _enter(recap, station, _write(tmp_path, _good(populated_dir, station))).out.strip()
    before = _count(populated_dir)
    again = _enter(
        recap, station, _write(tmp_path, _good(populated_dir, station, seed=4), "b.json")
    )
    assert again.code == 2
    assert first in again.err and "--supersedes" in again.err
    assert _count(populated_dir) == before


def test_correction_keeps_both_versions(
    populated_dir: Path, recap: Run, tmp_path: Path, station: str
) -> None:
    first = _enter(recap, station, _write(tmp_path, _good(populated_dir, station))).out.strip()
    corrected_values = _good(populated_dir, station, seed=9)
    second = _enter(
        recap,
        station,
        _write(tmp_path, corrected_values, "fixed.json"),
        "--supersedes",
        first,
        "--reason",
        "angka paslon 02 salah baca",
    )
    assert second.code == 0, second.err
    second_hash = second.out.strip()
    shown = json.loads(
        recap("sheet", "show", "--station", station, "--contest", "ppwp", "--json").out
    )
    assert shown["state"] == "corrected"
    assert shown["current"] == second_hash
    by_hash = {v["hash"]: v for v in shown["versions"]}
    assert set(by_hash) == {first, second_hash}
    assert by_hash[second_hash]["supersedes"] == first
    assert by_hash[second_hash]["reason"] == "angka paslon 02 salah baca"
    assert by_hash[second_hash]["values"] == corrected_values
    text = recap("sheet", "show", "--station", station, "--contest", "ppwp").out
    assert f"current: {second_hash}" in text
    assert first[:16] in text and "angka paslon 02 salah baca" in text
    assert recap("verify").code == 0


def test_correction_without_reason_is_refused(
    populated_dir: Path, recap: Run, tmp_path: Path, station: str
) -> None:
    first = _enter(recap, station, _write(tmp_path, _good(populated_dir, station))).out.strip()
    before = _count(populated_dir)
    corrected = _write(tmp_path, _good(populated_dir, station, seed=5), "b.json")
    for reason in (None, "", "   "):
        extra = ["--supersedes", first] + ([] if reason is None else ["--reason", reason])
        result = _enter(recap, station, corrected, *extra)
        assert result.code == 2, reason
        assert "needs a reason" in result.err
    assert _count(populated_dir) == before


def test_reason_without_supersedes_is_refused(
    populated_dir: Path, recap: Run, tmp_path: Path, station: str
) -> None:
    before = _count(populated_dir)
    result = _enter(
        recap, station, _write(tmp_path, _good(populated_dir, station)), "--reason", "x"
    )
    assert result.code == 2 and "--supersedes" in result.err
    assert _count(populated_dir) == before


def test_correction_of_an_unknown_or_old_version_is_refused(
    populated_dir: Path, recap: Run, tmp_path: Path, station: str
) -> None:
    first = _enter(recap, station, _write(tmp_path, _good(populated_dir, station))).out.strip()
    second = _enter(
        recap, station, _write(tmp_path, _good(populated_dir, station, seed=6), "b.json"),
        "--supersedes", first, "--reason", "koreksi",
    ).out.strip()  # fmt: skip
    before = _count(populated_dir)
    stale = _enter(
        recap, station, _write(tmp_path, _good(populated_dir, station, seed=7), "c.json"),
        "--supersedes", first, "--reason", "lagi",
    )  # fmt: skip
    assert stale.code == 2 and second in stale.err
    unknown = _enter(
        recap, station, _write(tmp_path, _good(populated_dir, station, seed=7), "c.json"),
        "--supersedes", "ab" * 32, "--reason", "lagi",
    )  # fmt: skip
    assert unknown.code == 2 and "ab" * 32 in unknown.err
    assert _count(populated_dir) == before


# -- role and jurisdiction --------------------------------------------------------------------


def _certify(ws: Workspace, key: SigningKey, role: str, jurisdiction: str) -> None:
    ws.store.append(
        [
            authority.certificate(
                demo_service.demo_authority(),
                election=demo_service.ELECTION_ID,
                officer_id=f"{role}-{jurisdiction}",
                name=f"{role} {jurisdiction}",
                role=role,
                jurisdiction=jurisdiction,
                public_key=key.public_key,
                valid_from=demo_service.ISSUED,
                valid_until=demo_service.EXPIRES,
                issued=demo_service.ISSUED,
            )
        ],
        "import",
    )


def _stations_in(election: Election, district: str) -> list[str]:
    return sorted(s.code for s in election.stations_within(district))


def test_operator_outside_jurisdiction_is_refused_up_front(populated_ws: Workspace) -> None:
    ws = populated_ws
    election = ws.store.package.election()
    assert election is not None
    operator = SigningKey.generate()
    _certify(ws, operator, "operator", "32.01.01")
    inside, outside = _stations_in(election, "32.01.01")[-1], _stations_in(election, "32.01.02")[0]
    values = _good(ws.data_dir, outside)
    before = ws.store.records.count()
    with pytest.raises(RecapError) as refused:
        sheet_service.enter_sheet(ws, operator, outside, "ppwp", values)
    assert refused.value.key == "mandate.jurisdiction" and refused.value.exit_code == 2
    assert outside in refused.value.message("en") and "32.01.01" in refused.value.message("en")
    assert refused.value.message("id") != refused.value.message("en")
    assert ws.store.records.count() == before
    sheet_service.enter_sheet(ws, operator, inside, "ppwp", _good(ws.data_dir, inside))
    assert verify_store(ws).ok


def test_verify_reports_a_sheet_outside_jurisdiction(populated_ws: Workspace) -> None:
    """Records that arrive by sync or bundle skip the service; the verifier still catches them."""
    ws = populated_ws
    election = ws.store.package.election()
    assert election is not None
    operator = SigningKey.generate()
    _certify(ws, operator, "operator", "32.01.01")
    outside = _stations_in(election, "32.01.02")[0]
    record = sign(
        operator,
        {
            "type": "sheet",
            **sheet_service.next_link(ws, operator),
            "time": "2026-02-14T12:00:00Z",
            "election": election.id,
            "station": outside,
            "contest": "ppwp",
            "values": _good(ws.data_dir, outside),
            "warnings": [],
            "supersedes": None,
            "reason": None,
        },
    )
    ws.store.append([record], "sync")
    report = verify_store(ws)
    assert [(p.record, p.kind) for p in report.errors] == [(record.hash, "jurisdiction")]


def test_supervisor_entering_a_sheet_is_refused(populated_ws: Workspace) -> None:
    ws = populated_ws
    election = ws.store.package.election()
    assert election is not None
    supervisor = SigningKey.generate()
    _certify(ws, supervisor, "supervisor", "32")
    station = _stations_in(election, "32.01.02")[0]
    with pytest.raises(RecapError) as refused:
        sheet_service.enter_sheet(ws, supervisor, station, "ppwp", _good(ws.data_dir, station))
    assert refused.value.key == "mandate.role"


def test_uncertified_key_may_enter_and_shows_as_a_notice(tmp_path: Path) -> None:
    """An officer whose certificate has not arrived yet works on; verify says so, no error."""
    ws = Workspace(tmp_path / "newcomer")
    try:
        election_service.import_election(
            ws,
            demo_service.package_bytes(),
            "demo",
            demo=True,
        )
        identity_service.create_identity(
            ws, name="Petugas Baru", officer_id="baru-1", role="operator", passphrase="sandi-baru-1"
        )
        newcomer = identity_service.unlock(ws, "sandi-baru-1")
        election = ws.store.package.election()
        assert election is not None
        station = _stations_in(election, "32.01.02")[0]
        values = random_sheet(
            election.contests["ppwp"], election.stations[station].registered, random.Random(3)
        )
        record = sheet_service.enter_sheet(ws, newcomer, station, "ppwp", values)
        report = verify_store(ws)
        assert report.ok
        assert [(p.record, p.kind) for p in report.problems] == [
            (record.hash, "awaiting_certificate")
        ]
    finally:
        ws.close()


@pytest.fixture(scope="module")
def supervisor_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SigningKey]:
    """A supervisor certified for district 32.01.01 only, and sheets in both districts."""
    path = tmp_path_factory.mktemp("supervisor") / "data"
    ws = Workspace(path)
    try:
        demo_service.init_demo(
            ws, officer_id="pengawas-1", role="supervisor", jurisdiction="32.01.01"
        )
        key = identity_service.unlock(ws, identity_service.DEMO_PASSPHRASE)
        operator = SigningKey.generate()
        _certify(ws, operator, "operator", "32")
        election = ws.store.package.election()
        assert election is not None
        for district in ("32.01.01", "32.01.02"):
            station = _stations_in(election, district)[0]
            sheet_service.enter_sheet(ws, operator, station, "ppwp", _good(path, station))
    finally:
        ws.close()
    return path, key


def test_supervisor_outside_jurisdiction(
    supervisor_template: tuple[Path, SigningKey], tmp_path: Path
) -> None:
    import shutil

    path = tmp_path / "data"
    shutil.copytree(supervisor_template[0], path)
    key = supervisor_template[1]
    ws = Workspace(path)
    try:
        election = ws.store.package.election()
        assert election is not None
        inside, outside = (
            _stations_in(election, "32.01.01")[0],
            _stations_in(election, "32.01.02")[0],
        )
        sheet_in = ws.store.sheets.status(inside, "ppwp")
        sheet_out = ws.store.sheets.status(outside, "ppwp")
        assert sheet_in and sheet_out
        before = ws.store.records.count()
        with pytest.raises(RecapError) as refused:
            sheet_service.review_sheet(ws, key, sheet_out["current"], "approve", None)
        assert refused.value.key == "mandate.jurisdiction"
        assert ws.store.records.count() == before
        sheet_service.review_sheet(ws, key, sheet_in["current"], "approve", None)
        assert verify_store(ws).ok
        # The same review arriving from elsewhere is reported by the verifier.
        review = sign(
            key,
            {
                "type": "review",
                **sheet_service.next_link(ws, key),
                "election": election.id,
                "station": outside,
                "contest": "ppwp",
                "sheet": sheet_out["current"],
                "decision": "approve",
                "reason": None,
            },
        )
        ws.store.append([review], "sync")
        report = verify_store(ws)
        assert [(p.record, p.kind) for p in report.errors] == [(review.hash, "jurisdiction")]
    finally:
        ws.close()
