"""The runner: every trial of issue 6 has a row; the server's rows say not run, never passed."""

from __future__ import annotations

from reliability.__main__ import TRIALS, render
from reliability.server import NEEDS_SERVER, NOT_WRITTEN


def test_every_trial_has_a_row_and_server_trials_are_not_run() -> None:
    doc = render({})
    head = doc.split("## Figures")[0]
    table = [line for line in head.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(table) == len(TRIALS) + 1
    server_rows = [line for line in table if "**not run: " in line]
    assert len(server_rows) == sum(t.needs_server for t in TRIALS) == 4
    assert not any("passed" in line for line in server_rows)
    assert all(NEEDS_SERVER in line or NOT_WRITTEN in line for line in server_rows)
    assert "not run yet" in doc  # trials without results are never shown as passed
