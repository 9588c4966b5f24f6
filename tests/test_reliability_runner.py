"""The runner: every trial of issue 6 has a row; trials without results are never passed."""

from __future__ import annotations

from reliability.__main__ import TRIALS, render
from reliability.server import NEEDS_SERVER


def test_every_trial_has_a_row_and_none_without_results_passes() -> None:
    doc = render({})
    head = doc.split("## Figures")[0]
    table = [line for line in head.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(table) == len(TRIALS) + 1
    assert all(t.run is not None for t in TRIALS), "every trial of issue 6 is written"
    assert not any("passed" in line for line in table)
    assert sum("not run yet" in line for line in table) == len(TRIALS)
    assert NEEDS_SERVER not in head  # the server is in this checkout
