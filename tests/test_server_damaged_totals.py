"""Region totals changed behind the server's back: the one-row-a-region ``totals`` (schema
version 5) is a projection only the server writes. A tally that is not a map of whole
numbers is named, with the operator's repair, in the answer and in the log; a push that
would move it stores nothing; ``recap-server --recount-totals`` counts the totals again from
the stations' states, equal to a recount, and the server answers and admits again (on
SQLite, and on PostgreSQL in its pass)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import requests

from recap_desktop.protocol.wire import batch_bytes
from recap_desktop.services import sync as sync_service
from recap_server.__main__ import main as server_main
from recap_server.storage import RECOUNT, DamagedStore, SqlStorage, open_storage
from tests.pg_support import database_for
from tests.sync_support import LiveServer, district_stations, enter, make_laptop
from tests.test_server_storage import _recount
from tests.test_server_totals_batch import _records, _server

# What a hand at the database might leave: not JSON, a count as text, a list, a fraction.
DAMAGE = ["not json", '{"counted": "3"}', "[1, 2]", '{"counted": 1.5, "s:signed": 1}']


def _damage(storage: SqlStorage, region: str, contest: str, tally: str) -> None:
    with storage.transaction() as conn:
        conn.execute(
            "UPDATE totals SET tally = ? WHERE region = ? AND contest = ?", [tally, region, contest]
        )
    assert storage._query(
        "SELECT tally FROM totals WHERE region = ? AND contest = ?", [region, contest]
    ) == [(tally,)]


def _said(exc: pytest.ExceptionInfo[DamagedStore], region: str, contest: str) -> None:
    text = str(exc.value)
    assert f"region {region}, contest {contest}" in text
    assert "changed outside the server" in text and RECOUNT in text


def _held(storage: SqlStorage) -> Any:
    return (
        storage.log_size(),
        storage.stats(),
        storage._query("SELECT station, contest, state, current FROM status ORDER BY 1, 2"),
        storage._query("SELECT region, contest, tally FROM totals ORDER BY 1, 2"),
    )


@pytest.mark.parametrize("tally", DAMAGE)
def test_a_damaged_tally_is_named_a_push_over_it_stores_nothing_and_a_recount_mends_it(
    tmp_path: Path, tally: str
) -> None:
    package, certs, sheets = _records()
    storage, ledger = _server(tmp_path)
    try:
        ledger.push(package)
        ledger.push([c.to_json() for c in certs])
        *first, last = sheets
        assert {o.status for o in ledger.push([r.to_json() for r in first]).outcomes} == {"stored"}
        station, contest = str(last.payload["station"]), str(last.payload["contest"])
        region = station.rsplit(".", 2)[0]  # a region above the station: its district
        _damage(storage, region, contest, tally)
        with pytest.raises(DamagedStore) as read:
            storage.totals(region, contest)
        _said(read, region, contest)
        with pytest.raises(DamagedStore) as listed:
            storage.all_totals(contest)
        _said(listed, region, contest)
        before = _held(storage)
        with pytest.raises(DamagedStore) as pushed:
            ledger.push([last.to_json()])
        _said(pushed, region, contest)
        assert _held(storage) == before  # rolled back: not in the log, no state, no tally
        assert storage.positions([last.hash]) == {}

        # The operator's command: another process, another connection, which writes.
        repairer = open_storage(database_for(tmp_path) or tmp_path / "server.db")
        try:
            assert repairer.recount_totals() == len(before[3])
        finally:
            repairer.close()
        assert storage.all_totals(contest) == _recount(storage, contest)
        assert {o.status for o in ledger.push([last.to_json()]).outcomes} == {"stored"}
        for kept in {str(r.payload["contest"]) for r in sheets}:
            assert storage.all_totals(kept) == _recount(storage, kept)
    finally:
        storage.close()


def test_the_server_says_what_is_damaged_and_the_operator_recounts_while_it_serves(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """Over HTTP, as a laptop and an auditor meet it: the totals answer and a push answer
    500 with the sentence (the log has it too), the laptop keeps its sheet unsent; the
    operator runs ``recap-server --recount-totals`` on the serving server's folder and
    database, and the next sync stores the sheet and the totals are right."""
    server = LiveServer(tmp_path / "server")
    laptop = make_laptop(tmp_path / "laptop", "op-a")
    try:
        stations = district_stations(laptop.ws)
        for i, station in enumerate(stations[:3]):
            enter(laptop, station, seed=i)
        assert sync_service.sync_once(laptop.ws, server.url).outcome == "done"
        storage = server.ledger.storage
        assert isinstance(storage, SqlStorage)
        region = stations[0].rsplit(".", 1)[0]  # the village the next sheet is in
        _damage(storage, region, "ppwp", "not json")

        caplog.set_level(logging.ERROR, logger="recap_server.app")
        answer = requests.get(f"{server.url}/v1/regions/{region}/totals?contest=ppwp", timeout=10)
        assert answer.status_code == 500
        detail = answer.json()["detail"]
        assert f"region {region}, contest ppwp" in detail and RECOUNT in detail
        assert requests.get(f"{server.url}/v1/totals?contest=ppwp", timeout=10).status_code == 500

        sheet = laptop.ws.store.records.get(enter(laptop, stations[3], seed=3))  # same village
        assert sheet is not None
        pushed = requests.post(  # the fast path's push (a plain query), as a laptop's
            f"{server.url}/v1/push?known=0", data=batch_bytes([sheet.to_json()]), timeout=10
        )
        assert pushed.status_code == 500 and RECOUNT in pushed.json()["detail"]
        failed = sync_service.sync_once(laptop.ws, server.url, attempts=1)
        assert failed.outcome != "done" and failed.sent == 0
        assert laptop.ws.store.outbox.unsent_count() == 1  # kept to send again
        assert storage.stats()["sheets"] == 3
        logged = [r.getMessage() for r in caplog.records]
        assert any("/v1/push" in m and RECOUNT in m for m in logged), logged
        assert any(f"/v1/regions/{region}/totals" in m for m in logged), logged

        db = database_for(tmp_path / "server")
        argv = ["--data-dir", str(tmp_path / "server"), "--recount-totals"]
        assert server_main([*argv, *(["--database", db] if db else [])]) == 0
        assert "the totals counted again" in capsys.readouterr().out

        synced = sync_service.sync_once(laptop.ws, server.url)
        assert synced.outcome == "done" and synced.sent == 1
        assert storage.all_totals("ppwp") == _recount(storage, "ppwp")
        village = server.get(f"/v1/regions/{region}/totals?contest=ppwp")["contests"][0]
        assert village["stations_counted"] == 4
    finally:
        laptop.ws.close()
        server.stop()


def test_the_recount_opens_the_database_alone_and_refuses_a_folder_without_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No passphrase is asked (no receipt key is unlocked, no head signed beside the serving
    server); a --data-dir that holds no server says so, and nothing is made there."""
    monkeypatch.delenv("RECAP_SERVER_PASSPHRASE", raising=False)
    server = LiveServer(tmp_path / "server")
    try:
        heads = server.ledger.storage._query("SELECT COUNT(*) FROM heads")
        db = database_for(tmp_path / "server")
        argv = ["--data-dir", str(tmp_path / "server"), "--recount-totals"]
        assert server_main([*argv, *(["--database", db] if db else [])]) == 0
        assert server.ledger.storage._query("SELECT COUNT(*) FROM heads") == heads
    finally:
        server.stop()
    assert "the totals counted again" in capsys.readouterr().out
    wrong = tmp_path / "not-a-server"
    assert server_main(["--data-dir", str(wrong), "--recount-totals"]) == 2
    said = capsys.readouterr().err
    assert f"no server database at {wrong / 'server.db'}" in said and "--data-dir" in said
    assert not wrong.exists()
    missing = tmp_path / "none.db"  # a SQLite file named by --database that is not there
    argv = ["--data-dir", str(wrong), "--database", str(missing), "--recount-totals"]
    assert server_main(argv) == 2
    assert f"no server database at {missing}" in capsys.readouterr().err
    assert not missing.exists() and not wrong.exists()
    # The same file named as a URL (``sqlite:///PATH``, which --database takes too).
    argv = ["--data-dir", str(wrong), "--database", f"sqlite:///{missing}", "--recount-totals"]
    assert server_main(argv) == 2
    assert f"no server database at {missing}" in capsys.readouterr().err
    assert not missing.exists() and not wrong.exists()
