"""The sync trials of issue 6 at small size: sync under the sustained fault proxy, and the
hypothesis state machine over two laptops and the server (with SIGKILL mid-sync)."""

from __future__ import annotations

from pathlib import Path

from reliability.statemachine import state_machine_trial
from reliability.syncfaults import FAULTS, sync_faults_trial


def test_sync_under_sustained_faults_loses_nothing(tmp_path: Path) -> None:
    result = sync_faults_trial(3, tmp_path)
    assert result.failures == []
    counts = result.counts
    assert counts["lost"] == 0 and counts["duplicated"] == 0
    assert counts["sheets entered"] >= 1 and counts["syncs attempted"] >= 1
    assert sum(counts[f"faults applied: {k}"] for k in FAULTS) >= 1
    assert counts["records on the server"] >= 3 + counts["sheets entered"]
    assert counts["receipts verified"] >= 1 and "receipts NOT verified" not in counts


def test_state_machine_over_two_laptops_and_the_server(tmp_path: Path) -> None:
    result = state_machine_trial(3, tmp_path)
    assert result.failures == []
    assert result.counts["programs converged"] == result.counts["programs"] >= 3
    assert result.counts["lost"] == 0 and result.counts["duplicated"] == 0
