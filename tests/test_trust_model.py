"""The trust model's promises, each tried as the attack or the accident that broke it, through
the real CLI, the real server on a loopback port and real stores (docs/PROTOCOL.md §5, §6).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from recap_desktop.cli import main as cli_main
from recap_desktop.crypto import authority
from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.domain.election import format_time
from recap_desktop.protocol.wire import MAX_BATCH_RECORDS, batch_bytes
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import bundle as bundle_service
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service
from recap_desktop.services import sync as sync_service
from recap_desktop.services.recap import cell
from recap_desktop.services.sheets import review_sheet
from recap_desktop.services.verify import verify_store
from recap_desktop.storage.store import DB_NAME
from tests.sync_support import (
    DISTRICT,
    Laptop,
    LiveServer,
    district_stations,
    enter,
    live_server,
    make_laptop,
)

__all__ = ["live_server"]


def recap(capsys: pytest.CaptureFixture[str], laptop: Laptop, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli_main(["--data-dir", str(laptop.data_dir), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def revocation(*laptops: Laptop, version: int = 1) -> Record:
    return authority.revocations(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        version=version,
        issued=format_time(datetime.now(UTC)),
        revoked=[
            {"key_id": lt.key.key_id, "reason": "laptop stolen", "time": "2026-02-20T00:00:00Z"}
            for lt in laptops
        ],
    )


def push(server: LiveServer, records: list[Record]) -> list[dict[str, Any]]:
    import gzip

    answer = requests.post(
        server.url + "/v1/push",
        data=gzip.compress(batch_bytes([r.to_json() for r in records])),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["results"])


def totals(server: LiveServer, region: str = DISTRICT) -> dict[str, Any]:
    return dict(server.get(f"/v1/regions/{region}/totals?contest=ppwp")["contests"][0])


# -- revocation -----------------------------------------------------------------------------


def test_a_revoked_key_counts_only_where_the_servers_log_puts_it_first(
    live_server: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    boss = make_laptop(tmp_path / "s", "sup-1", role="supervisor")
    stations = district_stations(a.ws)
    enter(a, stations[0], seed=1)
    enter(a, stations[1], seed=2)
    assert sync_service.sync_once(a.ws, live_server.url).outcome == "done"  # in the log
    late = enter(a, stations[2], seed=3)  # signed, never synced
    # A laptop that got all three by USB before the revocation (no log positions).
    usb = make_laptop(tmp_path / "usb", "op-usb")
    bundle_service.export_bundle(a.ws, tmp_path / "a.bundle")
    assert not bundle_service.import_bundle(
        usb.ws, (tmp_path / "a.bundle").read_bytes(), "a"
    ).problems
    counted_before = totals(live_server)["stations_counted"]

    revoked = revocation(a)
    assert [r["status"] for r in push(live_server, [revoked])] == ["stored"]

    # The server: the two sheets its log held first still count; the third is refused.
    assert totals(live_server)["stations_counted"] == counted_before == 2
    result = sync_service.sync_once(a.ws, live_server.url)
    assert [reason for _, reason, _ in result.refused] == ["revoked"]
    assert totals(live_server)["stations_counted"] == 2
    # The officer's own laptop: the unsynced sheet left its totals and says why.
    code, out, _ = recap(capsys, a, "sheet", "show", "--station", stations[2], "--contest", "ppwp")
    assert code == 0 and "uncounted" in out and "revoked" in out
    assert a.ws.store.sheets.status(stations[2], "ppwp")["state"] == "uncounted"  # type: ignore[index]
    assert a.ws.store.sheets.status(stations[0], "ppwp")["state"] == "signed"  # type: ignore[index]
    code, out, _ = recap(capsys, a, "identity", "show")
    assert "REVOKED" in out
    code, _, err = recap(capsys, a, "sheet", "review", late, "--decision", "approve")  # any signing
    assert code != 0
    values = tmp_path / "values.json"
    values.write_text(json.dumps(a.ws.store.sheets.versions(stations[0], "ppwp")[0]["values"]))
    code, _, err = recap(
        capsys, a, "sheet", "enter", "--station", stations[3], "--contest", "ppwp",
        "--values", str(values), "--accept-warnings", "DPT berbeda",
    )  # fmt: skip
    assert code == 2 and "revoked" in err
    # The USB laptop learns of the revocation from a file: nothing of the key is proven
    # before it, so none of it counts...
    bundle_service.import_bundle(usb.ws, batch_bytes([revoked.to_json()]), "revocation")
    assert usb.ws.store.sheets.totals(DISTRICT, "ppwp")[1] == 0
    assert (
        {
            usb.ws.store.sheets.status(s, "ppwp")["state"]  # type: ignore[index]
            for s in stations[:3]
        }
        == {"uncounted"}
    )
    # ... until the server's log proves the first two came before it.
    assert sync_service.sync_once(usb.ws, live_server.url).outcome in ("done", "refused")
    assert usb.ws.store.sheets.totals(DISTRICT, "ppwp")[1] == 2
    assert sync_service.sync_once(boss.ws, live_server.url).outcome == "done"
    assert boss.ws.store.sheets.totals(DISTRICT, "ppwp")[1] == 2
    report = verify_store(usb.ws)
    assert [p.kind for p in report.attention] == ["revoked"] and not report.ok


# -- time is a claim ------------------------------------------------------------------------


def test_a_review_dated_in_the_future_never_wins(live_server: LiveServer, tmp_path: Path) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    s1 = make_laptop(tmp_path / "s1", "sup-1", role="supervisor")
    s2 = make_laptop(tmp_path / "s2", "sup-2", role="supervisor")
    station = district_stations(a.ws)[0]
    sheet = enter(a, station, seed=1)
    for laptop in (a, s1, s2):
        assert sync_service.sync_once(laptop.ws, live_server.url).outcome == "done"
    # Supervisor 1's laptop claims 2030 for a rejection (a clock set wrong, or a forger).
    future = sign(
        s1.key,
        {
            "type": "review",
            **{k: v for k, v in _next(s1).items() if k != "time"},
            "time": "2030-01-01T00:00:00Z",
            "election": demo_service.ELECTION_ID,
            "station": station,
            "contest": "ppwp",
            "sheet": sheet,
            "decision": "reject",
            "reason": "angka salah",
        },
    )
    bundle_service.import_bundle(s1.ws, batch_bytes([future.to_json()]), "s1")
    assert sync_service.sync_once(s1.ws, live_server.url).outcome == "done"
    assert sync_service.sync_once(s2.ws, live_server.url).outcome == "done"
    assert s2.ws.store.sheets.status(station, "ppwp")["state"] == "rejected"  # type: ignore[index]
    # Supervisor 2 saw that rejection, checked the paper, approves: a later decision by
    # cause (it names the rejection), whatever the times claimed.
    approval = review_sheet(s2.ws, s2.key, sheet, "approve", None)
    assert approval.payload["overrides"] == [future.hash]
    for laptop in (s2, a, s1):
        assert sync_service.sync_once(laptop.ws, live_server.url).outcome == "done"
        assert laptop.ws.store.sheets.status(station, "ppwp")["state"] == "approved"  # type: ignore[index]
    assert totals(live_server, station)["states"] == {"approved": 1}
    assert any(p.kind == "clock_skew" for p in verify_store(a.ws).notices)


def _next(laptop: Laptop) -> dict[str, Any]:
    from recap_desktop.services.sheets import next_link

    return next_link(laptop.ws, laptop.key)


def test_a_laptop_with_a_wrong_clock_delivers_and_is_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behind = LiveServer(
        tmp_path / "server",
        clock=lambda: datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3),
    )
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        station = district_stations(a.ws)[0]
        enter(a, station, seed=1)
        code, out, err = recap(capsys, a, "sync", "--server", behind.url)
        assert code == 0, out + err
        assert "180 minutes" in err and "clock" in err
        assert behind.stats()["sheets"] == 1  # delivered, never locked out
        b = make_laptop(tmp_path / "b", "op-b")
        statuses: list[Any] = []
        engine = sync_service.make_engine(b.ws, behind.url, on_status=statuses.append)
        try:
            assert engine.sync().outcome == "done"
        finally:
            engine.client.close()
        # What the window's status bar is fed: the offset, kept to the end of the sync.
        assert abs(statuses[-1].clock_offset - 3 * 3600) < 120
        skewed = [p for p in verify_store(b.ws).notices if p.kind == "clock_skew"]
        assert len(skewed) == 1  # shown to supervisors; it still counts
        assert b.ws.store.sheets.status(station, "ppwp")["state"] == "signed"  # type: ignore[index]
    finally:
        behind.stop()


# -- only certified keys count --------------------------------------------------------------


def test_an_uncertified_key_changes_nothing_that_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    station = district_stations(a.ws)[0]
    sheet = enter(a, station, seed=1)
    # A supervisor whose certificate has not come yet: a real, uncertified key.
    newcomer = Laptop(Workspace(tmp_path / "new"), None)  # type: ignore[arg-type]
    shutil.copytree(a.data_dir, newcomer.data_dir, dirs_exist_ok=True)
    newcomer.ws.keystore_path.unlink()
    identity_service.create_identity(
        newcomer.ws, name="Baru", officer_id="sup-9", role="supervisor", passphrase="sandi-baru"
    )
    key = identity_service.unlock(newcomer.ws, "sandi-baru")
    newcomer = Laptop(newcomer.ws, key)
    before = newcomer.ws.store.sheets.totals(DISTRICT, "ppwp")
    review_sheet(newcomer.ws, key, sheet, "reject", "coba-coba")
    assert newcomer.ws.store.sheets.totals(DISTRICT, "ppwp") == before
    status = newcomer.ws.store.sheets.status(station, "ppwp")
    assert status is not None and status["state"] == "signed"
    assert status["attention"] == ["awaiting_certificate"]
    code, out, _ = recap(capsys, newcomer, "verify")
    assert code == 0 and "every record counts" not in out and "await a certificate" in out


def test_a_key_swapped_into_the_keystore_cannot_sign(tmp_path: Path) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    thief = make_laptop(tmp_path / "t", "op-t")
    shutil.copy(thief.ws.keystore_path, a.ws.keystore_path)  # another key, not this folder's
    station = district_stations(a.ws)[0]
    with pytest.raises(RecapError) as refused:
        enter(Laptop(a.ws, thief.key), station)
    assert refused.value.key == "record.refused"
    assert "unknown signer" in refused.value.message("en")
    assert a.ws.store.sheets.status(station, "ppwp") is None


# -- evidence is kept -----------------------------------------------------------------------


def test_records_deleted_after_sync_are_found_and_the_officer_is_not_blamed(
    live_server: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    stations = district_stations(a.ws)
    first = enter(a, stations[0], seed=1)
    newest = enter(a, stations[1], seed=2)
    assert sync_service.sync_once(a.ws, live_server.url).outcome == "done"
    a.ws.close()
    db = sqlite3.connect(a.data_dir / DB_NAME)  # the newest record and every trace of it
    db.execute("DROP TRIGGER records_no_delete")
    db.execute("DELETE FROM records WHERE hash = ?", [newest])
    for table, column in (("sheets", "hash"), ("sync_sent", "hash"), ("sheet_status", "current")):
        db.execute(f"DELETE FROM {table} WHERE {column} = ?", [newest])
    db.execute("UPDATE heads SET seq = 1, hash = ? WHERE signer = ?", [first, a.key.key_id])
    db.commit()
    db.close()
    code, _, _ = recap(capsys, a, "rebuild")
    assert code == 0
    code, out, _ = recap(capsys, a, "verify")
    assert code == 1 and newest in out and "kept receipt" in out
    with pytest.raises(RecapError) as refused:
        enter(a, stations[2], seed=3)
    assert refused.value.key == "store.truncated"  # said plainly, never an "equivocation"
    # Without the highest place the server acknowledged (a store kept before it was, or a
    # thorough attacker), the save reads every kept receipt instead.
    a.ws.close()
    db = sqlite3.connect(a.data_dir / DB_NAME)
    assert db.execute("DELETE FROM sync_settings WHERE key LIKE 'acknowledged %'").rowcount
    db.commit()
    db.close()
    with pytest.raises(RecapError) as refused:
        enter(a, stations[2], seed=3)
    assert refused.value.key == "store.truncated" and newest in refused.value.message("en")


def test_sent_marks_on_a_server_key_no_longer_trusted_are_sent_again(
    tmp_path: Path,
) -> None:
    from recap_desktop.services.admission import admit_into

    a = make_laptop(tmp_path / "a", "op-a")
    enter(a, district_stations(a.ws)[0], seed=1)
    old = LiveServer(tmp_path / "old")
    try:
        assert sync_service.sync_once(a.ws, old.url).outcome == "done"
        old_key = old.ledger.server_key.key_id
    finally:
        old.stop()
    assert a.ws.store.outbox.unsent_count() == 0
    # The old server was broken into: the authority revokes its key and a new server (a new
    # key, a new log) takes over. The laptop learns of the revocation (here from a file);
    # the marks, positions and heads the old key vouched for prove nothing now.
    revoked = authority.revocations(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        version=1,
        issued=format_time(datetime.now(UTC)),
        revoked=[
            {"key_id": old_key, "reason": "server broken into", "time": "2026-02-20T00:00:00Z"}
        ],
    )
    assert not admit_into(a.ws, [revoked], "import").refused
    new = LiveServer(tmp_path / "new")
    try:
        result = sync_service.sync_once(a.ws, new.url)
        assert result.outcome == "done", result.to_json()
        assert result.resent >= 2  # the sheet and the certificate rested on the old key
        assert new.stats()["sheets"] == 1  # nothing was lost: the records went up again
        assert a.ws.store.outbox.unsent_count() == 0
        assert a.ws.store.witness.newest().signer == new.ledger.server_key.key_id  # type: ignore[union-attr]
        assert not a.ws.store.witness.evidence()  # a new log under a new key is no fork
    finally:
        new.stop()


def test_a_fork_leaves_evidence_that_travels(live_server: LiveServer, tmp_path: Path) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    twin = Laptop(Workspace(tmp_path / "twin"), a.key)  # the same key on a second laptop
    a.ws.close()
    shutil.copytree(a.data_dir, twin.data_dir)
    stations = district_stations(a.ws)
    one = enter(a, stations[0], seed=1)
    other = enter(twin, stations[1], seed=2)  # the same place of the chain: a fork
    assert verify_store(a.ws).ok and verify_store(twin.ws).ok  # each alone looks sound
    # By USB: each finds the other's branch, refuses it and keeps both as evidence.
    bundle_service.export_bundle(twin.ws, tmp_path / "twin.bundle")
    imported = bundle_service.import_bundle(a.ws, (tmp_path / "twin.bundle").read_bytes(), "t")
    assert [p.kind for p in imported.problems] == ["equivocation"] and imported.forks == 1
    report = verify_store(a.ws)
    assert not report.ok and {p.kind for p in report.problems} >= {"equivocation", "forked"}
    assert a.ws.store.sheets.status(stations[0], "ppwp")["state"] == "uncounted"  # type: ignore[index]
    bundle_service.export_bundle(a.ws, tmp_path / "a.bundle")  # the evidence travels on
    onward = make_laptop(tmp_path / "c", "op-c")
    bundle_service.import_bundle(onward.ws, (tmp_path / "a.bundle").read_bytes(), "a")
    assert onward.ws.store.evidence.forked() == {a.key.key_id: 1}
    # By sync: the server refuses the second branch, keeps both, and serves the evidence.
    assert sync_service.sync_once(a.ws, live_server.url).outcome == "done"
    result = sync_service.sync_once(twin.ws, live_server.url)
    assert [reason for _, reason, _ in result.refused] == ["equivocation"]
    assert live_server.stats()["equivocations"] == 1
    boss = make_laptop(tmp_path / "s", "sup-1", role="supervisor")
    assert sync_service.sync_once(boss.ws, live_server.url).outcome == "done"
    assert boss.ws.store.evidence.forked() == {a.key.key_id: 1}
    assert boss.ws.store.sheets.status(stations[0], "ppwp")["state"] == "uncounted"  # type: ignore[index]
    assert one != other


# -- receipts and bundles -------------------------------------------------------------------


def test_a_receipt_never_echoes_what_a_sender_sent(live_server: LiveServer) -> None:
    import gzip

    bulky = [{"hash": "ab" * 6000, "payload": {}, "signer": "x", "sig": "y"}] * 5000
    body = gzip.compress(json.dumps({"format": "recap-batch/1", "records": bulky}).encode())
    before = live_server.stats()["receipts"]
    answer = requests.post(
        live_server.url + "/v1/push",
        data=body,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        timeout=60,
    )
    assert answer.status_code == 200
    assert len(answer.content) < 2_000_000  # it was 120 MB
    receipt = answer.json()["receipt"]["payload"]
    assert receipt["refused"][:2] == [
        {"item": 0, "reason": "malformed"},
        {"item": 1, "reason": "malformed"},
    ]
    assert len(json.dumps(receipt)) < 300_000  # it was 57 MB
    assert live_server.stats()["receipts"] == before  # nothing stored, no receipt kept


def test_a_bundle_is_bounded_like_a_push(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    too_many = batch_bytes([{"hash": "0" * 64}] * (MAX_BATCH_RECORDS + 1))
    monkeypatch.setattr(bundle_service, "MAX_BUNDLE_RECORDS", MAX_BATCH_RECORDS)
    with pytest.raises(RecapError) as refused:
        bundle_service.import_bundle(a.ws, too_many, "big.bundle")
    assert refused.value.key == "bundle.unreadable" and "at most" in refused.value.message("en")
    monkeypatch.setattr(bundle_service, "MAX_BUNDLE_BYTES", 1000)
    with pytest.raises(RecapError):
        bundle_service.import_bundle(a.ws, b" " * 1001, "huge.bundle")


# -- untrusted text stays text, files stay private -------------------------------------------


@pytest.mark.parametrize("label", ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx"])
def test_a_csv_cell_from_a_package_is_never_a_formula(label: str) -> None:
    assert cell(label) == "'" + label
    assert cell("Suara sah") == "Suara sah"


def test_data_folders_and_their_files_are_private(tmp_path: Path) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    enter(a, district_stations(a.ws)[0])
    fresh = Workspace(tmp_path / "fresh")
    demo_service.init_demo(fresh)
    for ws in (a.ws, fresh):
        assert stat.S_IMODE(os.stat(ws.data_dir).st_mode) == 0o700
        for name in (DB_NAME, "identity.key"):
            assert stat.S_IMODE(os.stat(ws.data_dir / name).st_mode) == 0o600, name
    fresh.close()
