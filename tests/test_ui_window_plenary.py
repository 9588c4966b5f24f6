"""A whole plenary driven through the real window: the operator's sheets come in by sync, a
witness's objection is typed in and ruled on, the chair signs the D.Hasil, prints it, syncs
it; another laptop and the server then hold it and verify it."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from recap_desktop.services import plenary as plenary_service
from recap_desktop.services import sync as sync_service
from recap_desktop.services.check_print import check_print
from recap_desktop.services.verify import verify_store
from recap_desktop.ui.qt import QApplication, Qt
from recap_desktop.ui.settings import Settings
from tests.sync_support import LiveServer, district_stations, enter, make_laptop
from tests.test_ui_window import Asker, open_window, settings  # noqa: F401 - a fixture

DISTRICT = "32.01.01"


def test_a_full_plenary_through_the_window(
    qtbot,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    settings: Settings,  # noqa: F811
) -> None:
    server = LiveServer(tmp_path / "server")
    try:
        _plenary(qtbot, tmp_path, settings, server)
    finally:
        server.stop()
        # Free the window's and the print preview's objects now, not during a later test
        # that counts references (tests/test_ui_qt_binding.py).
        QApplication.processEvents()
        gc.collect()
        QApplication.processEvents()


def _plenary(qtbot, tmp_path: Path, settings: Settings, server: LiveServer) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    # The stations: an operator enters every sheet of the sub-district and syncs.
    operator = make_laptop(tmp_path / "operator", "op-plenary")
    stations = district_stations(operator.ws, DISTRICT)
    for seed, code in enumerate(stations):
        enter(operator, code, seed=seed)
    assert sync_service.sync_once(operator.ws, server.url, attempts=1).outcome == "done"
    operator.ws.close()
    # The chair's laptop receives them.
    chair = make_laptop(tmp_path / "chair", "ketua-plenary", role="chair", jurisdiction=DISTRICT)
    assert sync_service.sync_once(chair.ws, server.url, attempts=1).outcome == "done"
    window = open_window(qtbot, chair.ws, settings, Asker(), verify_on_open=False)
    try:
        window.show_region(DISTRICT)
        window.tabs.setCurrentIndex(3)
        view = window.plenary
        view.contest.setCurrentIndex(view.contest.findData("ppwp"))
        assert view.state is not None
        assert view.state.counted == len(stations) == 30
        assert view.sign_button.isEnabled()
        assert view.children_table.rowCount() == 30

        # A witness objects; the officer types it in from the paper form.
        view.place.setCurrentIndex(view.place.findData(stations[4]))
        view.kind.setCurrentIndex(view.kind.findData("objection"))
        qtbot.keyClicks(view.witness, "Siti Aminah")
        view.represents.setEditText("02. Citra Lestari - Dimas Wibowo")
        qtbot.keyClicks(view.paper, "D.Kejadian Khusus No. 1")
        qtbot.keyClicks(view.subject, "Suara paslon 02 di TPS 005 tertulis kurang satu")
        qtbot.mouseClick(view.file_button, Qt.MouseButton.LeftButton)
        # Signed and stored on the task runner's thread: the window keeps painting.
        qtbot.waitUntil(
            lambda: view.state is not None and len(view.state.blockers.open_objections) == 1,
            timeout=30_000,
        )
        state = view.state
        assert state is not None
        filed = state.blockers.open_objections[0]
        assert not view.sign_button.isEnabled()
        assert "Cannot close yet" in view.blockers.text()
        assert view.objections_table.rowCount() == 1

        # Signing now is refused even if asked (the button's action, called directly).
        view.sign()
        qtbot.waitUntil(lambda: "cannot close" in view.message.text(), timeout=30_000)
        assert view.signing is None

        # The chair rules on it in the plenary.
        view.select_objection(filed)
        view.decision.setCurrentIndex(view.decision.findData("rejected"))
        qtbot.keyClicks(view.ruling_reason, "Dicocokkan dengan C.Hasil TPS 005 di depan saksi")
        qtbot.mouseClick(view.rule_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: view.state is not None and view.state.can_close, timeout=30_000)
        assert view.sign_button.isEnabled()
        assert "Nothing blocks closing" in view.blockers.text()

        # The D.Hasil is signed.
        with qtbot.waitSignal(view.signed) as signed:
            qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
        record = signed.args[0]
        assert record.payload["final"] is True
        assert [o["objection"] for o in record.payload["objections"]] == [filed]
        assert record.payload["objections"][0]["resolution"] is not None
        assert view.state is not None and view.state.current is not None
        assert view.state.current.hash == record.hash
        assert verify_store(chair.ws).ok

        # Printed: the PDF's QR code reads back to the record.
        pdf = tmp_path / "dhasil.pdf"
        assert view.save_pdf(pdf) >= 1
        _qr_reads_back(pdf, record)
        view.preview()
        assert view.preview_dialog.isVisible()
        view.preview_dialog.close()
        view.preview_dialog.deleteLater()
    finally:
        window.close()

    # Synced: the server stores it (its push verifies it by the one rule) ...
    pushed = sync_service.sync_once(chair.ws, server.url, attempts=1)
    assert pushed.outcome == "done", pushed.to_json()
    held = server.get(f"/v1/records/{record.hash}")
    assert held["record"]["hash"] == record.hash
    # ... and another laptop of the regency receives and verifies all of it.
    other = make_laptop(
        tmp_path / "auditor", "pengawas-kab", role="supervisor", jurisdiction="32.01"
    )
    assert sync_service.sync_once(other.ws, server.url, attempts=1).outcome == "done"
    assert verify_store(other.ws).ok
    there = plenary_service.plenary(other.ws, DISTRICT, "ppwp")
    assert there.current is not None and there.current.hash == record.hash
    assert not there.outdated and there.can_close
    assert check_print(other.ws, f"recap:1:dhasil:{record.hash}:{record.signer}").ok
    other.ws.close()
    chair.ws.close()


def _qr_reads_back(pdf: Path, record: object) -> None:
    pdfium = pytest.importorskip("pypdfium2", reason="pip install -e '.[test]'")
    zxingcpp = pytest.importorskip("zxingcpp", reason="pip install -e '.[test]'")
    image = pdfium.PdfDocument(str(pdf))[0].render(scale=150 / 72).to_pil().convert("L")
    texts = [c.text for c in zxingcpp.read_barcodes(image)]
    assert texts == [f"recap:1:dhasil:{record.hash}:{record.signer}"]  # type: ignore[attr-defined]
