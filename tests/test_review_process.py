"""review_store_apart gives the window the same report as review_store, from a child process."""

from __future__ import annotations

import sqlite3

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
