"""Two laptops of one district, offline then syncing: each sees the other's verified sheets."""

from __future__ import annotations

import json
from pathlib import Path

from recap_desktop.cli import main as cli_main
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


def test_two_laptops_see_each_other_and_a_disagreement_is_a_dispute_everywhere(
    live_server: LiveServer, tmp_path: Path
) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    stations = district_stations(a.ws)
    # Offline: each types its own stations, and both type station 9 with other numbers.
    mine_a = [enter(a, s, seed=i) for i, s in enumerate(stations[:3])]
    mine_b = [enter(b, s, seed=10 + i) for i, s in enumerate(stations[3:6])]
    enter(a, stations[9], seed=100)
    enter(b, stations[9], seed=200)

    for laptop in (a, b, a):
        result = sync_service.sync_once(laptop.ws, live_server.url)
        assert result.outcome == "done", result.to_json()

    for laptop, theirs in ((a, mine_b), (b, mine_a)):
        store = laptop.ws.store
        assert all(store.records.is_held(h) for h in theirs)
        assert verify_store(laptop.ws).ok, verify_store(laptop.ws).to_json()
        assert store.sheets.status(stations[9], "ppwp")["state"] == "disputed"  # type: ignore[index]
        assert store.sheets.status(stations[4], "ppwp")["state"] == "signed"  # type: ignore[index]
        assert store.outbox.unsent_count() == 0
        assert sorted(laptop_hashes(laptop)) == sorted(server_hashes(live_server))
    stats = live_server.stats()
    assert stats["disputes"] == 1
    assert stats["sheets"] == 8
    assert stats["records"] == len(set(server_hashes(live_server)))


def test_cli_exit_codes_refused_listed_and_unreachable(
    live_server: LiveServer, tmp_path: Path, capsys
) -> None:
    a = make_laptop(tmp_path / "a", "op-a", jurisdiction="32.01.02")
    stations = district_stations(a.ws)  # in 32.01.01: outside this officer's region
    a.ws.store.append([sign_sheet(a, stations[0])], "local")  # as a buggy or hostile client would
    bad = a.ws.store.integrity.chain_head(a.key.key_id)
    a.ws.close()
    data = ["--data-dir", str(tmp_path / "a")]

    assert cli_main([*data, "sync", "--server", live_server.url]) == 1
    out = capsys.readouterr().out
    assert bad is not None and bad[1] in out and "outside the officer's region" in out
    # The URL is kept in the settings; a refused record stays unsent and is listed again.
    assert cli_main([*data, "sync", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [r["reason"] for r in report["refused"]] == ["jurisdiction"]
    assert report["unsent"] == 1

    closed = f"http://127.0.0.1:{_closed_port()}"
    assert cli_main([*data, "sync", "--server", closed, "--attempts", "1"]) == 3
    assert "could not be reached" in capsys.readouterr().err

    b = make_laptop(tmp_path / "b", "op-b")
    b.ws.close()
    assert cli_main(["--data-dir", str(tmp_path / "b"), "sync", "--server", live_server.url]) == 0
    assert "Unsent: 0" in capsys.readouterr().out
    assert cli_main(["--data-dir", str(tmp_path / "b"), "sync", "--server", "ftp://x"]) == 2


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_another_log_is_refused_and_nothing_is_marked_sent(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """Another server, certified too (any DEMO server is) but holding another history: its
    log does not extend the one this laptop verified, so nothing goes to it."""
    a = make_laptop(tmp_path / "a", "op-a")
    assert sync_service.sync_once(a.ws, live_server.url).outcome == "done"
    sheet = enter(a, district_stations(a.ws)[0])
    other = LiveServer(tmp_path / "other")
    try:
        result = sync_service.sync_once(a.ws, other.url)
        assert result.outcome == "failed" and result.error_kind == "server_misbehaved"
        assert [kind for kind, _ in result.misbehaviour] == ["rolled_back"]
        unsent = [r.hash for _, r in a.ws.store.outbox.unsent(0, 100, 10**9)]
        assert sheet in unsent
        assert other.stats()["sheets"] == 0
        assert [e.kind for e in a.ws.store.witness.evidence()] == ["rolled_back"]
    finally:
        other.stop()


def test_a_newer_election_package_and_a_late_certificate_come_through(
    live_server: LiveServer, tmp_path: Path
) -> None:
    import requests

    from recap_desktop.crypto.envelope import sign
    from recap_desktop.services import demo as demo_service
    from recap_desktop.services import identity as identity_service
    from recap_desktop.services.election import import_election
    from recap_desktop.services.workspace import Workspace
    from recap_desktop.sync.client import batch_bytes

    # An officer enters a sheet before the certificate arrives; it still gets across in one go.
    ws = Workspace(tmp_path / "late")
    import_election(
        ws,
        (demo_service.RESOURCES / "election.json").read_bytes(),
        "demo",
        demo=True,
    )
    identity_service.create_identity(
        ws, name="Late", officer_id="op-late", role="operator", passphrase="x", demo=True
    )
    from tests.sync_support import Laptop

    late = Laptop(ws, identity_service.unlock(ws, "x"))
    enter(late, district_stations(ws)[0])
    demo_service.certify(ws, identity_service.show_identity(ws), role="operator", jurisdiction="32")
    result = sync_service.sync_once(ws, live_server.url)
    assert result.outcome == "done" and result.sent == 2, result.to_json()

    payload = demo_service.build_package()
    payload["version"] = 2
    newer = sign(demo_service.demo_authority(), payload)
    requests.post(live_server.url + "/v1/push", data=batch_bytes([newer.to_json()]), timeout=30)
    assert [v["version"] for v in live_server.get("/v1/election/versions")["versions"]] == [1, 2]
    assert live_server.get("/v1/election")["records"][0]["hash"] == newer.hash
    assert sync_service.sync_once(ws, live_server.url).outcome == "done"
    assert ws.store.package.election().version == 2  # type: ignore[union-attr]
    ws.close()


def test_a_supervisors_approval_settles_a_dispute_everywhere(
    live_server: LiveServer, tmp_path: Path
) -> None:
    from recap_desktop.services.sheets import review_sheet

    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    boss = make_laptop(tmp_path / "s", "sup-1", role="supervisor")
    station = district_stations(a.ws)[0]
    chosen = enter(a, station, seed=1)
    enter(b, station, seed=2)
    for laptop in (a, b, boss):
        assert sync_service.sync_once(laptop.ws, live_server.url).outcome == "done"
    assert boss.ws.store.sheets.status(station, "ppwp")["state"] == "disputed"  # type: ignore[index]
    assert live_server.stats()["disputes"] == 1

    review_sheet(boss.ws, boss.key, chosen, "approve", None)
    for laptop in (boss, a, b):
        assert sync_service.sync_once(laptop.ws, live_server.url).outcome == "done"
        status = laptop.ws.store.sheets.status(station, "ppwp")
        assert status == {  # type: ignore[comparison-overlap]
            "state": "approved",
            "current": chosen,
            "heads": status["heads"],  # type: ignore[index]
            "attention": [],
        }
    assert live_server.stats()["disputes"] == 0
    totals = live_server.get(f"/v1/regions/{station}/totals?contest=ppwp")["contests"][0]
    assert totals["states"] == {"approved": 1} and totals["stations_counted"] == 1


def test_laptops_syncing_at_the_same_time(live_server: LiveServer, tmp_path: Path) -> None:
    """Pushes are serialised on the server; each laptop's thread opens its own store."""
    import threading

    from recap_desktop.services import Workspace

    laptops = [make_laptop(tmp_path / f"l{i}", f"op-{i}") for i in range(4)]
    stations = district_stations(laptops[0].ws)
    for i, laptop in enumerate(laptops):
        for station in stations[i * 5 : i * 5 + 5]:
            enter(laptop, station, seed=i)
        laptop.ws.close()
    outcomes: list[str] = []

    def sync(path: Path) -> None:
        ws = Workspace(path)
        try:
            outcomes.append(sync_service.sync_once(ws, live_server.url).outcome)
        finally:
            ws.close()

    threads = [threading.Thread(target=sync, args=(laptop.data_dir,)) for laptop in laptops]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["done"] * 4
    for laptop in laptops:  # a second round brings everyone everyone else's sheets
        assert sync_service.sync_once(laptop.ws, live_server.url).outcome == "done"
    stats = live_server.stats()
    assert stats["sheets"] == 20 and stats["certificates"] == 4 + 1  # and the server's own
    held = server_hashes(live_server)
    assert len(held) == len(set(held)) == 26  # 20 sheets, 5 certificates, the package
    for laptop in laptops:
        assert sorted(laptop_hashes(laptop)) == sorted(held)
