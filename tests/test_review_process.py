"""review_store_apart gives the window the same report as review_store, from a child process."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from recap_desktop.services import Workspace
from recap_desktop.services.review import review_store
from recap_desktop.services.review_process import review_store_apart


def test_the_child_process_reports_what_review_store_reports(populated_ws: Workspace) -> None:
    # A record tampered with in the file, so that there is a problem to carry across.
    victim = populated_ws.store.db.execute(
        "SELECT hash FROM records WHERE type = 'sheet' ORDER BY id LIMIT 1"
    ).fetchone()[0]
    db = sqlite3.connect(populated_ws.data_dir / "recap.db")
    db.execute("DROP TRIGGER records_no_update")
    db.execute("UPDATE records SET sig = ? WHERE hash = ?", ["00" * 64, victim])
    db.commit()
    db.close()
    here = review_store(populated_ws)
    seen: list[tuple[int, int]] = []
    apart = review_store_apart(populated_ws.data_dir, lambda d, t: seen.append((d, t)) or True)
    assert apart == here
    assert any(not r.ok for r in apart.records)
    assert seen


def test_a_cancel_between_reports_stops_the_child_at_once(populated_ws: Workspace) -> None:
    report = review_store_apart(populated_ws.data_dir, None, lambda: True)
    assert report.cancelled and report.records == []


@pytest.mark.parametrize(
    "script",
    [
        Path(__file__).resolve().parent.parent / "main.py",
        Path(sys.executable).parent / "recap-desktop",  # the installed command (make setup)
    ],
    ids=["main.py", "recap-desktop"],
)
def test_a_spawned_child_of_the_window_does_not_load_qt(script: Path) -> None:
    """A process the window spawns runs the script that started it again, as `__mp_main__`
    (multiprocessing's spawn); it checks records, and must not pay for Qt and the window."""
    code = (
        "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__mp_main__'); "
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'recap_desktop.ui.'))))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code, str(script)], capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == "[]", shown.stdout
