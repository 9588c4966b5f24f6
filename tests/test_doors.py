"""One table of hostile records through all four doors: the server's push, a laptop's pull,
a bundle import and `recap verify`. Every door must give every record the same verdict, with
the same reason name: they all call the one admission rule (docs/PROTOCOL.md §5). The runs
themselves are the reliability trial "doors" (reliability/doors.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reliability.doors import DOORS, NOT_STORED, TABLE, door_verdicts, doors_trial, expected


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    return door_verdicts(tmp_path_factory.mktemp("doors"))


@pytest.mark.parametrize("door", DOORS)
def test_every_door_gives_every_hostile_record_its_verdict(
    verdicts: dict[str, dict[str, str]], door: str
) -> None:
    want = {
        c.name: expected(c) for c in TABLE.cases if not (door == "verify" and c.name in NOT_STORED)
    }
    assert verdicts[door] == want


def test_the_doors_agree_record_by_record(verdicts: dict[str, dict[str, str]]) -> None:
    for case in TABLE.cases:
        seen = {door: v[case.name] for door, v in verdicts.items() if case.name in v}
        assert len(set(seen.values())) == 1, (case.name, seen)


def test_the_trial_counts_what_it_compared(tmp_path: Path) -> None:
    result = doors_trial(2, tmp_path)
    assert result.failures == []
    assert result.counts["verdicts compared"] == 4 * len(TABLE.cases) - len(NOT_STORED)
    assert result.counts["verdicts that differ"] == 0
    assert result.counts["counting programs"] == 2
