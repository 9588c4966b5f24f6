"""The acceptance path of the core: demo init, populate, verify; recap adds up what was signed."""

from __future__ import annotations

import json


def test_demo_init_populate_verify(recap) -> None:
    assert recap("demo", "init").code == 0
    populated = recap("demo", "populate", "--stations", "50")
    assert populated.code == 0, populated.err
    assert "100" in populated.out  # 50 stations x 2 contests
    verified = recap("verify", "--json")
    assert verified.code == 0, verified.out
    report = json.loads(verified.out)
    assert report["ok"] and report["records"] == 102  # package + certificate + 100 sheets


def test_recap_adds_up_the_signed_sheets(recap) -> None:
    recap("demo", "init")
    recap("demo", "populate", "--stations", "10")
    shown = json.loads(recap("election", "show", "--json").out)
    stations = [s["code"] for s in shown["stations"]][:10]
    expected = 0
    for code in stations:
        sheet = json.loads(
            recap("sheet", "show", "--station", code, "--contest", "ppwp", "--json").out
        )
        current = next(v for v in sheet["versions"] if v["hash"] == sheet["current"])
        expected += current["values"]["valid"]
    result = json.loads(
        recap("recap", "--region", "32.01", "--contest", "ppwp", "--format", "json").out
    )
    totals = result["contests"][0]
    assert totals["totals"]["valid"] == expected
    assert totals["stations_counted"] == 10
    assert totals["stations_expected"] == 60
