"""Trials 1 and 2 at small size: a writer killed with SIGKILL, and crash images of its files.
Real processes, real SQLite files; every save the writer reported done must survive."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reliability.common import check_store, make_demo
from reliability.crash import images_trial, sigkill_trial


def test_writer_killed_with_sigkill(tmp_path: Path) -> None:
    result = sigkill_trial(3, tmp_path)
    assert result.failures == []
    assert result.counts["kills"] == 3
    # The trial must have had saves to lose: a writer killed before any save shows nothing.
    assert result.counts["saves reported done"] > 0


def test_crash_images_open_and_verify(tmp_path: Path) -> None:
    result = images_trial(4, tmp_path)
    assert result.failures == []
    assert result.counts["images opened and checked"] == 8  # each with and without -shm
    assert result.counts["saves reported done before the image"] > 0


def test_the_store_check_finds_a_lost_save_and_a_half_record(tmp_path: Path) -> None:
    """The check the crash trials rely on must itself fail on a damaged store."""
    demo = make_demo(tmp_path / "d")
    assert check_store(demo.data_dir, {"0" * 64}) != []
    conn = sqlite3.connect(demo.db)
    conn.execute("DROP TRIGGER records_no_update")
    conn.execute("UPDATE records SET payload = substr(payload, 1, 40) WHERE type = 'certificate'")
    conn.commit()
    conn.close()
    problems = check_store(demo.data_dir)
    assert any("half or unreadable" in p for p in problems)
