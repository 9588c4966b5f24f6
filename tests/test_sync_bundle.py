"""USB bundles: the push batch format in a file, imported with the same verification."""

from __future__ import annotations

import json
from pathlib import Path

from recap_desktop.cli import main as cli_main
from recap_desktop.services import bundle as bundle_service
from recap_desktop.services import sync as sync_service
from recap_desktop.services.verify import verify_store
from tests.sync_support import (
    LiveServer,
    district_stations,
    enter,
    laptop_hashes,
    live_server,
    make_laptop,
    server_hashes,
    sign_sheet,
)

__all__ = ["live_server"]


def test_bundle_carries_records_to_a_laptop_that_then_syncs_them(
    live_server: LiveServer, tmp_path: Path, capsys
) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    stations = district_stations(a.ws)
    mine = [enter(a, s, seed=i) for i, s in enumerate(stations[:4])]
    a.ws.close()
    bundle = tmp_path / "usb" / "a.json"
    bundle.parent.mkdir()
    assert cli_main(["--data-dir", str(a.data_dir), "bundle", "export", "--out", str(bundle)]) == 0
    assert json.loads(bundle.read_text())["format"] == "recap-batch/1"

    b.ws.close()
    assert cli_main(["--data-dir", str(b.data_dir), "bundle", "import", str(bundle)]) == 0
    assert "5 new records, 1 held already, 0 refused" in capsys.readouterr().out
    assert all(b.ws.store.records.is_held(h) for h in mine)
    assert verify_store(b.ws).ok
    # Importing again changes nothing.
    assert bundle_service.import_bundle(b.ws, bundle.read_bytes(), "again").added == 0

    # B, the one with a network, carries A's records to the server; A later finds them held.
    assert sync_service.sync_once(b.ws, live_server.url).outcome == "done"
    assert set(laptop_hashes(a)) <= set(server_hashes(live_server))
    result = sync_service.sync_once(a.ws, live_server.url)
    # Its 5 records, the package and the server's certificate (learnt at its first sync).
    assert result.outcome == "done" and result.sent == 0 and result.held == 7
    assert a.ws.store.outbox.unsent_count() == 0


def test_bundle_import_refuses_what_does_not_verify_and_keeps_the_rest(tmp_path: Path) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    stations = district_stations(a.ws)
    good = enter(a, stations[0])
    outside = make_laptop(tmp_path / "c", "op-c", jurisdiction="32.01.02")
    foreign = sign_sheet(outside, stations[1])
    records = [row.record.to_json() for row in a.ws.store.records.rows() if row.record]
    records += [row.record.to_json() for row in outside.ws.store.records.rows() if row.record][1:]
    records.append(foreign.to_json())
    forged = dict(records[2])
    forged["payload"] = {**forged["payload"], "station": stations[5]}
    from recap_desktop.sync.client import batch_bytes

    data = batch_bytes([*records[:2], forged, *records[3:]])
    result = bundle_service.import_bundle(b.ws, data, "bundle.json")
    assert [(p.kind, p.record) for p in result.problems] == [
        ("malformed", good),  # the station was changed after signing: the hash gives it away
        ("jurisdiction", foreign.hash),
    ]
    assert result.added == 2  # A's and C's certificates
    assert not b.ws.store.records.is_held(good)

    bundle = tmp_path / "broken.json"
    bundle.write_bytes(data)
    b.ws.close()
    code = cli_main(["--data-dir", str(b.data_dir), "bundle", "import", str(bundle)])
    assert code == 1
    bundle.write_bytes(b'{"format": "recap-batch/1", "records": 5}')
    code = cli_main(["--data-dir", str(b.data_dir), "bundle", "import", str(bundle)])
    assert code == 2  # not a bundle at all: nothing changes
