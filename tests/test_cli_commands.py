"""Every `recap` command of the issue: exact names, --help, the happy path, and clear errors."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.cli import build_parser
from recap_desktop.cli import main as cli_main

Run = Callable[..., Any]
HASH = re.compile(r"^[0-9a-f]{64}$")
RECAP_SCRIPT = Path(sys.executable).with_name("recap")

COMMANDS = [
    ["demo", "init"],
    ["demo", "populate"],
    ["identity", "create"],
    ["identity", "show"],
    ["election", "import"],
    ["election", "show"],
    ["sheet", "template"],
    ["sheet", "enter"],
    ["sheet", "show"],
    ["recap"],
    ["verify"],
    ["rebuild"],
]


@pytest.mark.parametrize("command", [[], *COMMANDS], ids=lambda c: " ".join(c) or "recap")
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli_main([*command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: recap")
    if not command:
        for name in ("demo", "identity", "election", "sheet", "recap", "verify", "rebuild"):
            assert name in out
        assert "--data-dir" in out and "--passphrase-file" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--data-dir", "d", "demo", "init", "--officer-id", "x", "--role", "supervisor"],
        ["demo", "populate", "--stations", "5", "--seed", "2"],
        ["identity", "create", "--name", "N", "--officer-id", "I", "--role", "operator"],
        ["identity", "show", "--json"],
        ["election", "import", "package.json"],
        ["election", "show", "--json"],
        ["sheet", "template", "--station", "32.01", "--contest", "ppwp"],
        [
            "sheet", "enter", "--station", "32.01", "--contest", "ppwp", "--values", "v.json",
            "--supersedes", "ab", "--reason", "r",
        ],
        ["sheet", "show", "--station", "32.01", "--contest", "ppwp", "--json"],
        ["recap", "--region", "32", "--contest", "ppwp", "--format", "csv"],
        ["recap", "--region", "32", "--format", "table"],
        ["recap", "--region", "32", "--format", "json"],
        ["verify", "--json"],
        ["rebuild"],
        ["--passphrase-file", "p", "verify"],
    ],
    ids=lambda a: " ".join(a[:3]),
)  # fmt: skip
def test_the_issue_names_parse(argv: list[str]) -> None:
    """The names operators' scripts use: a rename breaks them, so it must break this test."""
    args = build_parser().parse_args(argv)
    assert callable(args.func)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["sheet", "enter", "--station", "x"],
        ["recap", "--region", "32", "--format", "xml"],
        ["identity", "create", "--name", "N", "--officer-id", "I", "--role", "admin"],
        ["frobnicate"],
    ],
)
def test_bad_usage_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli_main(argv)
    assert done.value.code == 2
    assert "usage: recap" in capsys.readouterr().err


def test_every_command_from_a_clean_data_folder(data_dir: Path, recap: Run, tmp_path: Path) -> None:
    assert not data_dir.exists()
    init = recap("demo", "init", "--officer-id", "ppk-1")
    assert init.code == 0, init.err
    assert "DEMO" in init.out and "ppk-1" in init.out

    ident = json.loads(recap("identity", "show", "--json").out)
    assert ident["officer_id"] == "ppk-1" and ident["certified"] and ident["demo"]
    assert "ppk-1" in recap("identity", "show").out

    shown = recap("election", "show", "--json")
    assert shown.code == 0
    election = json.loads(shown.out)
    assert {c["id"] for c in election["contests"]} == {"ppwp", "dpr-jabar-1"}
    assert all("code" in r for r in election["regions"])
    assert len(election["stations"]) >= 50
    first = election["stations"][0]
    assert {"code", "region", "contests"} <= set(first)
    assert recap("election", "show").code == 0

    template = recap("sheet", "template", "--station", first["code"], "--contest", "ppwp")
    assert template.code == 0 and set(json.loads(template.out).values()) == {0}

    values_file = tmp_path / "values.json"
    values_file.write_text(template.out)
    entered = recap(
        "sheet", "enter", "--station", first["code"], "--contest", "ppwp",
        "--values", str(values_file), "--accept-warnings", "TPS kosong: latihan",
    )  # fmt: skip
    assert entered.code == 0, entered.err
    assert HASH.match(entered.out.strip())
    sheet = recap("sheet", "show", "--station", first["code"], "--contest", "ppwp")
    assert sheet.code == 0 and entered.out.strip() in sheet.out
    sheet_json = json.loads(
        recap("sheet", "show", "--station", first["code"], "--contest", "ppwp", "--json").out
    )
    assert sheet_json["current"] == entered.out.strip()

    populated = recap("demo", "populate", "--stations", "5", "--seed", "2")
    assert populated.code == 0 and "5" in populated.out

    table = recap("recap", "--region", "32.01")
    assert table.code == 0 and "ppwp" in table.out and "dpr-jabar-1" in table.out
    as_json = json.loads(recap("recap", "--region", "32.01", "--format", "json").out)
    ppwp = next(c for c in as_json["contests"] if c["contest"] == "ppwp")
    assert ppwp["stations_counted"] == 6
    rows = list(
        csv.DictReader(io.StringIO(recap("recap", "--region", "32.01", "--format", "csv").out))
    )
    csv_total = {r["field"]: int(r["total"]) for r in rows if r["contest"] == "ppwp"}
    assert csv_total == ppwp["totals"]

    verified = recap("verify")
    assert verified.code == 0 and "Verified" in verified.out
    report = json.loads(recap("verify", "--json").out)
    assert report["ok"] and report["records"] == 2 + 1 + 10

    assert recap("rebuild").code == 0
    assert recap("verify").code == 0


def test_identity_create_and_election_import_in_a_clean_folder(
    data_dir: Path, recap: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.packages import TRUST, real_package

    imported = recap("election", "import", real_package(tmp_path / "package.json"), *TRUST)
    assert imported.code == 0, imported.err
    passphrase_file = tmp_path / "pass.txt"
    passphrase_file.write_text("correct horse battery\n")
    created = recap(
        "--passphrase-file", str(passphrase_file),
        "identity", "create", "--name", "Siti", "--officer-id", "ppk-7", "--role", "operator",
    )  # fmt: skip
    assert created.code == 0, created.err
    assert "not yet certified" in created.out
    ident = json.loads(recap("identity", "show", "--json").out)
    assert ident["name"] == "Siti" and not ident["certified"] and not ident["demo"]

    stations = [s["code"] for s in json.loads(recap("election", "show", "--json").out)["stations"]]
    template = recap("sheet", "template", "--station", stations[0], "--contest", "ppwp").out
    values = tmp_path / "values.json"
    values.write_text(template)

    def enter(station: str, *extra: str) -> Any:
        return recap(
            *extra, "sheet", "enter", "--station", station, "--contest", "ppwp",
            "--values", str(values), "--accept-warnings", "latihan",
        )  # fmt: skip

    missing = enter(stations[0])  # no passphrase at all and no terminal to ask on
    assert missing.code == 2
    assert "--passphrase-file" in missing.err and "RECAP_PASSPHRASE" in missing.err
    monkeypatch.setenv("RECAP_PASSPHRASE", "wrong passphrase")
    wrong = enter(stations[0])
    assert wrong.code == 2 and "passphrase is wrong" in wrong.err
    by_file = enter(stations[0], "--passphrase-file", str(passphrase_file))  # the file wins
    assert by_file.code == 0, by_file.err
    monkeypatch.setenv("RECAP_PASSPHRASE", "correct horse battery")
    by_env = enter(stations[1])
    assert by_env.code == 0, by_env.err

    verified = recap("verify")
    assert verified.code == 0  # awaiting a certificate is a notice, not an error
    assert "await a certificate and do not count" in verified.out
    assert "holds, and every record counts" not in verified.out


def test_short_passphrase_is_refused(data_dir: Path, recap: Run, tmp_path: Path) -> None:
    short = tmp_path / "short.txt"
    short.write_text("abc")
    result = recap(
        "--passphrase-file", str(short),
        "identity", "create", "--name", "N", "--officer-id", "I", "--role", "operator",
    )  # fmt: skip
    assert result.code == 2 and "at least 8" in result.err
    assert not (data_dir / "identity.key").exists()


def test_recap_data_dir_is_honoured(
    populated_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RECAP_DATA_DIR", str(populated_dir))
    assert cli_main(["verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == 8
    elsewhere = populated_dir.parent / "elsewhere"
    assert cli_main(["--data-dir", str(elsewhere), "identity", "show"]) == 2  # flag wins
    assert "recap identity create" in capsys.readouterr().err


@pytest.mark.skipif(not RECAP_SCRIPT.exists(), reason="the recap console script is not installed")
def test_console_script(populated_dir: Path) -> None:
    env = {**os.environ, "RECAP_DATA_DIR": str(populated_dir), "RECAP_LANG": "en"}
    done = subprocess.run(
        [str(RECAP_SCRIPT), "verify"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Verified: 8 records" in done.stdout


@pytest.mark.parametrize(
    ("argv", "advice"),
    [
        (["election", "show"], "recap election import"),
        (["sheet", "template", "--station", "32.01", "--contest", "ppwp"], "recap demo init"),
        (["identity", "show"], "recap identity create"),
        (["demo", "populate"], "recap identity create"),
        (["recap", "--region", "32"], "recap election import"),
    ],
)
def test_errors_in_an_empty_folder_say_what_to_do(recap: Run, argv: list[str], advice: str) -> None:
    result = recap(*argv)
    assert result.code == 2
    assert advice in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(
    ("argv", "advice"),
    [
        (["demo", "init"], "--data-dir"),
        (["demo", "populate", "--stations", "1000"], "--stations"),
        (["recap", "--region", "99.99"], "recap election show"),
        (["recap", "--region", "32", "--contest", "dpd"], "ppwp"),
        (["sheet", "show", "--station", "32.77", "--contest", "ppwp"], "recap election show"),
    ],
)
def test_errors_in_a_populated_folder_say_what_to_do(
    populated_dir: Path, recap: Run, argv: list[str], advice: str
) -> None:
    result = recap(*argv)
    assert result.code == 2
    assert advice in result.err


def test_messages_in_indonesian(recap: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECAP_LANG", "id")
    result = recap("identity", "show")
    assert result.code == 2 and "Belum ada identitas" in result.err


@pytest.mark.parametrize("level", ["station", "village", "district", "regency", "province"])
def test_recap_adds_up_exactly_the_current_sheets_inside_the_region(
    populated_dir: Path, recap: Run, level: str
) -> None:
    """The populated folder has sheets for the first three stations of village 32.01.01.2001."""
    first = "32.01.01.2001.001"
    region = {
        "station": first,
        "village": "32.01.01.2001",
        "district": "32.01.01",
        "regency": "32.01",
        "province": "32",
    }[level]
    stations = [s["code"] for s in json.loads(recap("election", "show", "--json").out)["stations"]]
    entered = sorted(stations)[:3]
    inside = [c for c in entered if c == region or c.startswith(region + ".")]
    expected: dict[str, int] = {}
    for code in inside:
        sheet = json.loads(
            recap("sheet", "show", "--station", code, "--contest", "ppwp", "--json").out
        )
        current = next(v for v in sheet["versions"] if v["hash"] == sheet["current"])
        for field, value in current["values"].items():
            expected[field] = expected.get(field, 0) + value
    result = recap("recap", "--region", region, "--contest", "ppwp", "--format", "json")
    assert result.code == 0, result.err
    totals = json.loads(result.out)["contests"][0]
    assert totals["stations_counted"] == len(inside)
    assert totals["totals"] == expected
    expected_stations = [c for c in stations if c == region or c.startswith(region + ".")]
    assert totals["stations_expected"] == len(expected_stations)


def test_damaged_keystore_is_reported_and_nothing_signed(
    populated_dir: Path, recap: Run, tmp_path: Path
) -> None:
    keyfile = populated_dir / "identity.key"
    data = bytearray(keyfile.read_bytes())
    data[len(data) // 2] ^= 0x04
    keyfile.write_bytes(bytes(data))
    shown = recap("identity", "show")
    assert shown.code == 2 and "damaged" in shown.err and "backup" in shown.err
    stations = [s["code"] for s in json.loads(recap("election", "show", "--json").out)["stations"]]
    values = tmp_path / "v.json"
    values.write_text(
        recap("sheet", "template", "--station", stations[10], "--contest", "ppwp").out
    )
    entered = recap(
        "sheet", "enter", "--station", stations[10], "--contest", "ppwp", "--values", str(values),
        "--accept-warnings", "latihan",
    )  # fmt: skip
    assert entered.code == 2 and "damaged" in entered.err
    assert json.loads(recap("verify", "--json").out)["records"] == 8


def test_wrong_passphrase_for_the_demo_identity(
    populated_dir: Path, recap: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECAP_PASSPHRASE", "not-the-demo-one")
    result = recap("demo", "populate", "--stations", "1")
    assert result.code == 2 and "passphrase is wrong" in result.err
    assert json.loads(recap("verify", "--json").out)["records"] == 8
