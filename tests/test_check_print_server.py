"""`recap check-print --server`: a paper whose D.Hasil this laptop does not hold yet is
looked up on the server, verified here, and said to match. It was answered "not in force"
(exit 1): the version was judged against this laptop's own versions, among which it is not."""

from __future__ import annotations

from pathlib import Path

from recap_desktop.services import plenary as plenary_service
from recap_desktop.services import printing
from recap_desktop.services import sync as sync_service
from recap_desktop.services.check_print import check_print
from tests.sync_support import LiveServer, make_laptop


def test_a_dhasil_found_on_the_server_matches(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server")
    chair = make_laptop(tmp_path / "chair", "ketua-2", role="chair", jurisdiction="32.01.02")
    supervisor = make_laptop(tmp_path / "sup", "pengawas-1", role="supervisor", jurisdiction="32")
    try:
        assert sync_service.sync_once(chair.ws, server.url).outcome == "done"  # its certificate
        assert sync_service.sync_once(supervisor.ws, server.url).outcome == "done"
        dhasil = plenary_service.sign_dhasil(chair.ws, chair.key, "32.01.02", "ppwp", final=False)
        assert sync_service.sync_once(chair.ws, server.url).outcome == "done"
        assert supervisor.ws.store.records.get(dhasil.hash) is None
        checked = check_print(supervisor.ws, printing.qr_text(dhasil), server=server.url)
        assert checked.record is not None and checked.record.hash == dhasil.hash
        assert checked.problems == [] and checked.standing is None and checked.ok, checked
    finally:
        for laptop in (chair, supervisor):
            laptop.ws.close()
        server.stop()
