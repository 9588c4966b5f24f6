"""Double entry and a supervisor's requirement of it (PROTOCOL §4 ``double_entry``,
``requirement``; §6.3): the comparison, which requirement is in force, and two laptops, a
supervisor's and an operator's, through the CLI and a USB bundle."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from recap_desktop.cli import main as cli_main
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.domain.double_entry import Requirement, differing, reconcile, requiring_region
from recap_desktop.storage import Store

FIELDS = ["a", "b", "c"]
STATION = "32.01.01.2001.004"


def test_only_the_fields_that_differ_are_named_in_paper_order() -> None:
    assert differing(FIELDS, {"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2, "c": 3}) == []
    assert differing(FIELDS, {"c": 3, "a": 1, "b": 2}, {"a": 7, "b": 2, "c": 8}) == ["a", "c"]
    assert differing(FIELDS, {"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2}) == ["c"]


def test_the_third_reading_covers_exactly_the_differing_fields() -> None:
    first, second = {"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 9, "c": 3}
    assert reconcile(FIELDS, first, second, {"b": 2}) == first
    with pytest.raises(ValueError):
        reconcile(FIELDS, first, second, {})  # the differing field left unread
    with pytest.raises(ValueError):
        reconcile(FIELDS, first, second, {"b": 2, "a": 5})  # a field that was not shown


def test_each_supervisors_latest_word_for_a_region_is_in_force() -> None:
    sup, other = "s" * 64, "o" * 64
    required = Requirement(sup, 1, "32.01.01", True)
    lifted = Requirement(sup, 2, "32.01.01", False)
    assert requiring_region([required], STATION) == "32.01.01"
    assert requiring_region([required], "32.01.02.2001.001") is None  # outside the region
    assert requiring_region([lifted, required], STATION) is None  # by seq, not by order held
    # Another supervisor's requirement stands whatever the first one lifts.
    assert requiring_region([required, lifted, Requirement(other, 5, "32.01", True)], STATION) == (
        "32.01"
    )


def _run(data_dir: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli_main(["--data-dir", str(data_dir), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _values(data_dir: Path) -> dict[str, int]:
    with Store.in_dir(data_dir) as store:
        election = store.package.election()
    assert election is not None
    station = election.stations[STATION]
    return random_sheet(election.contests["ppwp"], station.registered, random.Random(5))


def test_a_required_region_refuses_a_single_typed_sheet_and_signs_a_double_entered_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECAP_PASSPHRASE", raising=False)
    sup, op = tmp_path / "supervisor", tmp_path / "operator"
    assert _run(op, capsys, "demo", "init")[0] == 0
    assert _run(sup, capsys, "demo", "init", "--role", "supervisor", "--officer-id",
                "demo-sup", "--jurisdiction", "32.01.01")[0] == 0  # fmt: skip

    # An operator may not require it; a supervisor not outside its region.
    code, said = _run(op, capsys, "sheet", "require-double-entry", "--region", "32.01.01")
    assert code == 2 and "supervisor" in said
    code, said = _run(sup, capsys, "sheet", "require-double-entry", "--region", "32.01.02")
    assert code == 2 and "32.01.02" in said
    code, said = _run(sup, capsys, "sheet", "require-double-entry", "--region", "32.01.01")
    assert code == 0, said

    bundle = tmp_path / "usb.json"
    assert _run(sup, capsys, "bundle", "export", "--out", str(bundle))[0] == 0
    code, said = _run(op, capsys, "bundle", "import", str(bundle))
    assert code == 0, said

    first = tmp_path / "first.json"
    first.write_text(json.dumps(_values(op)))
    enter = ("sheet", "enter", "--station", STATION, "--contest", "ppwp", "--values", str(first))
    code, said = _run(op, capsys, *enter)
    assert code == 1 and "32.01.01" in said and "double entry" in said

    slip = {**_values(op)}
    slip["v_p01"] += 1
    second = tmp_path / "second.json"
    second.write_text(json.dumps(slip))
    code, said = _run(op, capsys, *enter, "--second-values", str(second))
    assert code == 1 and "v_p01" in said and "dpt" not in said.replace("v_p01", "")

    second.write_text(json.dumps(_values(op)))
    code, said = _run(op, capsys, *enter, "--second-values", str(second))
    assert code == 0, said
    with Store.in_dir(op) as store:
        record = store.records.get(said.strip().splitlines()[-1])
    assert record is not None and record.payload["double_entry"] == {"second": None}
    assert _run(op, capsys, "verify")[0] == 0
    code, said = _run(op, capsys, "sheet", "show", "--station", STATION, "--contest", "ppwp")
    assert "typed twice (double entry)" in said

    # A station outside the region is signed typed once, as before.
    other = "32.01.02.2001.001"
    code, said = _run(op, capsys, "sheet", "enter", "--station", other, "--contest", "ppwp",
                      "--values", str(first))  # fmt: skip
    assert "double entry" not in said


def test_a_forked_supervisors_later_lifting_leaves_its_requirement_in_force(
    tmp_path: Path,
) -> None:
    """§6.3 weighs only requirements that may count: a supervisor key that signed two records
    at one place (a stolen key, say) cannot lift its own requirement from the fork on."""
    from recap_desktop.crypto.envelope import sign
    from recap_desktop.services import requirements as requirement_service
    from recap_desktop.services.admission import admit_into
    from tests.sync_support import make_laptop

    sup = make_laptop(tmp_path / "sup", "sup-fork", role="supervisor")
    op = make_laptop(tmp_path / "op", "op-fork")
    required = requirement_service.require_double_entry(sup.ws, sup.key, "32.01.01")
    lifted = requirement_service.require_double_entry(sup.ws, sup.key, "32.01.01", False)
    certificate = [
        r.record
        for r in sup.ws.store.records.rows(types=["certificate"])
        if r.record is not None and r.record.payload["key_id"] == sup.key.key_id
    ]
    admit_into(op.ws, [*certificate, required, lifted], "import")
    assert requirement_service.double_entry_required(op.ws, STATION) is None  # lifted, so far

    other = sign(sup.key, {**lifted.payload, "double_entry": True})  # a second record at seq 2
    fork = admit_into(op.ws, [other], "import")
    assert fork.forks and not fork.admitted
    assert requirement_service.double_entry_required(op.ws, STATION) == "32.01.01"
