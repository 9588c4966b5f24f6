"""The national load run works end to end at a tiny size, and its final check finds a lost,
duplicated or misplaced record when there is one.

Times are never asserted: this proves the load run works and that its verdict on the data
can fail, not how fast the server is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import national, national_data
from recap_desktop.crypto.canonical import parse_json
from recap_desktop.domain.election import Election

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    "push",
    "pulls",
    "empty_pull_p50",
    "health_max",
    "surge_finished",
    "errors",
    "lost_or_duplicated",
    "cpu_per_record",
    "rss_per_record",
}


def test_tiny_national_run_stores_every_sheet_once(tmp_path: Path) -> None:
    out = tmp_path / "national.json"
    env = {**os.environ, "RECAP_BENCH_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--national", "--tiny", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(out.read_text())
    rows = {r["name"]: r for r in doc["results"]}
    assert {f"national.sqlite.{t}" for t in TARGETS} <= set(rows)
    assert any(name.startswith("national.sqlite.first_contact_cpu.") for name in rows)
    # Every kind of request a steady sync makes has its server CPU measured on the idle server.
    kinds = ("health", "push_1_sheet", "consistency", "empty_pull", "evidence")
    assert {f"national.sqlite.cpu_{k}" for k in kinds} <= set(rows)
    # Every laptop's first sync finished and every receipted sheet is on the server once.
    assert rows["national.sqlite.surge_finished"]["value"] == national.TINY.laptops
    assert rows["national.sqlite.lost_or_duplicated"]["value"] == 0
    assert rows["national.sqlite.errors"]["value"] == 0, rows["national.sqlite.errors"]["note"]
    sampled = national.TINY.laptops * (national.TINY.surge_sheets + national.TINY.steady_sheets)
    assert f"{sampled:,} receipted sheets" in rows["national.sqlite.lost_or_duplicated"]["note"]
    assert doc["machine"]["national"]["stations"] == national.TINY.stations


def test_the_cached_election_has_the_asked_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECAP_BENCH_CACHE", str(tmp_path))
    built = national_data.cached(300, 7, 3, 1, log=lambda _line: None)
    package = parse_json(built.package.read_bytes())
    election = Election.from_payload(package["records"][0]["payload"])
    assert len(election.stations) == 300
    assert set(election.contests) == set(national_data.CONTESTS)
    districts = {lap.jurisdiction for lap in built.laptops}
    assert len(districts) == 7  # one laptop per district
    for lap in built.laptops:
        assert lap.jurisdiction in election.regions
        assert len(lap.surge_hashes) == 3 and len(lap.steady_hashes) == 1
    certificates = json.loads(built.certificates.read_text())["records"]
    assert {c["payload"]["jurisdiction"] for c in certificates} == districts


def test_the_audit_finds_lost_duplicated_and_misplaced_records() -> None:
    sent = ["a", "b", "c", "d", "e"]
    receipted = {"a": 1, "b": 2, "c": 3, "d": 4}
    held = {"a": [1], "c": [3, 9], "d": [5], "e": [6]}  # b lost, c twice, d moved, e unanswered
    lost, duplicated, misplaced, unanswered = national.audit(sent, receipted, held)
    assert (lost, duplicated, misplaced, unanswered) == (1, 1, 1, 1)
    assert national.audit(["a"], {"a": 1}, {"a": [1]}) == (0, 0, 0, 0)
