"""The supervisor's view: approve and reject with a signature, and a tampered record flagged.

A supervisor and an operator share one data folder here: the operator's key is certified by
the DEMO authority exactly as the supervisor's is, and its sheets are signed with it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service
from recap_desktop.services.review import ReviewReport
from recap_desktop.storage.store import DB_NAME
from recap_desktop.ui.main_window import MainWindow
from tests.test_ui_window import Asker, open_window, settings  # noqa: F401  (fixture)


def add_operator(ws: Workspace, stations: int) -> SigningKey:
    key = SigningKey.generate()
    ident = identity_service.Identity(
        key_id=key.key_id,
        public_key=key.public_key,
        name="Operator Satu",
        officer_id="op-1",
        role="operator",
        demo=True,
        certificate=None,
    )
    demo_service.certify(ws, ident, role="operator", jurisdiction="32")
    demo_service.populate(ws, key, stations=stations)
    return key


@pytest.fixture
def supervisor_ws(data_dir: Path) -> Workspace:
    ws = Workspace(data_dir)
    demo_service.init_demo(ws, officer_id="sup-1", role="supervisor")
    add_operator(ws, stations=3)
    return ws


def verified(qtbot, window: MainWindow) -> ReviewReport:
    with qtbot.waitSignal(window.supervisor.verified, timeout=60_000) as blocker:
        window.supervisor.start_verification()
    return blocker.args[0]


def test_approve_and_reject_as_supervisor(qtbot, supervisor_ws: Workspace, settings) -> None:  # noqa: F811
    window = open_window(qtbot, supervisor_ws, settings, Asker(), verify_on_open=False)
    report = verified(qtbot, window)
    sheets = [r for r in report.records if r.type == "sheet"]
    assert len(sheets) == 6 and all(r.ok for r in sheets)
    view = window.supervisor
    reasons = ["", "Totals copied from the wrong polling station"]
    view.ask = lambda parent, title, required: reasons.pop(0)

    assert view.select_record(sheets[0].hash)
    assert view.approve_button.isEnabled()
    assert view.review_selected("approve")
    qtbot.waitUntil(lambda: view.reviewing is None)  # signed on the task runner's thread
    assert view.select_record(sheets[1].hash)
    assert view.review_selected("reject")
    qtbot.waitUntil(lambda: view.reviewing is None)

    store = supervisor_ws.store
    assert store.sheets.status(sheets[0].station, sheets[0].contest)["state"] == "approved"
    assert store.sheets.status(sheets[1].station, sheets[1].contest)["state"] == "rejected"
    reviews = store.sheets.reviews(sheets[1].station, sheets[1].contest)
    assert reviews[0]["reason"] == "Totals copied from the wrong polling station"

    report = verified(qtbot, window)
    assert all(r.ok for r in report.records), "the supervisor's signed reviews verify"
    kinds = [(p.kind, p.station) for p in report.problems]
    assert ("rejected", sheets[1].station) in kinds
    texts = [view.problems.item(i).text() for i in range(view.problems.count())]
    assert any(t.startswith("Sheet rejected") for t in texts)
    window.close()


def test_an_operator_cannot_approve(qtbot, demo_ws: Workspace, settings) -> None:  # noqa: F811
    add_operator(demo_ws, stations=1)
    window = open_window(qtbot, demo_ws, settings, Asker(), verify_on_open=False)
    report = verified(qtbot, window)
    window.supervisor.select_record(next(r.hash for r in report.records if r.type == "sheet"))
    assert not window.supervisor.approve_button.isEnabled()
    window.close()


def test_a_record_tampered_with_in_the_file_is_flagged(
    qtbot,
    supervisor_ws: Workspace,
    settings,  # noqa: F811
) -> None:
    victim = supervisor_ws.store.sheets.versions("32.01.01.2001.002", "ppwp")[0]["hash"]
    supervisor_ws.close()
    db = sqlite3.connect(supervisor_ws.data_dir / DB_NAME)
    db.execute("DROP TRIGGER records_no_update")
    (payload,) = db.execute("SELECT payload FROM records WHERE hash = ?", [victim]).fetchone()
    at = payload.index('"valid":') + len('"valid":')
    digit = payload[at]
    forged = payload[:at] + str((int(digit) + 1) % 10) + payload[at + 1 :]
    db.execute("UPDATE records SET payload = ? WHERE hash = ?", [forged, victim])
    db.commit()
    db.close()

    window = open_window(qtbot, supervisor_ws, settings, Asker(), verify_on_open=False)
    report = verified(qtbot, window)
    flagged = next(r for r in report.records if r.hash == victim)
    assert not flagged.ok and flagged.checks["signature"] == ("malformed",)
    assert [r.hash for r in report.records if not r.ok] == [victim]
    view = window.supervisor
    view.only_problems.setChecked(True)
    assert view.proxy.rowCount() == 1
    assert view.select_record(victim)
    signature_column = view.model.COLUMNS.index("signature")
    cell = view.proxy.index(0, signature_column).data()
    assert cell == "malformed record"
    texts = [view.problems.item(i).text() for i in range(view.problems.count())]
    assert any(t.startswith("Tampered or missing record") and victim[:12] in t for t in texts)
    window.close()
