"""Texts the protocol spells exactly (a signature's 128 hex digits, a hash's 64, a time's 20
characters) are refused with one byte more: Python's ``$`` also matched before a final
newline, and ``bytes.fromhex`` skips whitespace, so a certified operator stored a sheet whose
``sig`` ended in a newline. The server writes a pull page from its stored texts without
re-encoding them: every page and the auditor's log download that reached that record were no
longer JSON, for good (the log is append-only), and every laptop of the district stopped
syncing. A row edited behind the server the same way is named, not served (on SQLite, and on
PostgreSQL in its pass)."""

from __future__ import annotations

import gzip
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from recap_desktop.crypto.envelope import EnvelopeError, from_json, sign
from recap_desktop.protocol.pushauth import HEADER, make_token
from recap_desktop.protocol.wire import batch_bytes
from recap_desktop.services import sync as sync_service
from recap_desktop.services.sheets import _now
from recap_server.app import ANONYMOUS_INFLATED
from recap_server.gate import GateLimits
from recap_server.server import open_ledger
from tests.pg_support import database_for
from tests.sync_support import (
    LiveServer,
    certificates_of,
    district_stations,
    enter,
    make_laptop,
    sign_sheet,
)


def _push(server: LiveServer, key: Any, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    answer = requests.post(
        server.url + "/v1/push",
        data=batch_bytes(records),
        headers={HEADER: make_token(key, datetime.now(UTC)), "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


def test_a_signature_ending_in_a_newline_is_malformed_and_every_page_stays_json(
    tmp_path: Path,
) -> None:
    server = LiveServer(tmp_path / "server", gate=GateLimits())
    mallory = make_laptop(tmp_path / "mallory", "op-mallory")
    honest = make_laptop(tmp_path / "honest", "op-honest")
    try:
        assert sync_service.sync_once(mallory.ws, server.url).outcome == "done"
        assert sync_service.sync_once(honest.ws, server.url).outcome == "done"
        made = mallory.ws.store.records.get(enter(mallory, district_stations(mallory.ws)[0]))
        assert made is not None
        spelled = {**made.to_json(), "sig": made.to_json()["sig"] + "\n"}
        with pytest.raises(EnvelopeError):
            from_json(spelled)
        [result] = _push(server, mallory.key, [spelled])
        assert (result["status"], result.get("reason")) == ("refused", "malformed"), result
        for path in ("/v1/pull?jurisdiction=32.01.01&since=0&limit=500", "/v1/log/entries"):
            answer = requests.get(server.url + path, timeout=30)
            assert answer.status_code == 200 and json.loads(answer.content), path
        # The sheet as signed is stored, and the district's laptops go on syncing.
        assert sync_service.sync_once(mallory.ws, server.url).outcome == "done"
        assert sync_service.sync_once(honest.ws, server.url).outcome == "done"
        assert honest.ws.store.records.get(made.hash) is not None
    finally:
        for laptop in (mallory, honest):
            laptop.ws.close()
        server.stop()


@pytest.mark.parametrize("field", ["time", "double_entry"])
def test_a_time_or_a_hash_with_one_byte_more_is_malformed(tmp_path: Path, field: str) -> None:
    ledger = open_ledger(tmp_path / "server", demo=True, database=database_for(tmp_path))
    laptop = make_laptop(tmp_path / "op", "op-nl")
    try:
        certificates = certificates_of(laptop)
        assert [o.status for o in ledger.push(certificates).outcomes] == ["stored"]
        station = district_stations(laptop.ws)[0]
        if field == "time":
            record = sign_sheet(laptop, station, seed=1, time=_now() + "\n")
        else:
            first = sign_sheet(laptop, station, seed=1)
            record = sign(
                laptop.key, {**first.payload, "double_entry": {"second": "a" * 64 + "\n"}}
            )
        [outcome] = ledger.push([record.to_json()]).outcomes
        assert (outcome.status, outcome.reason) == ("refused", "malformed"), outcome
    finally:
        laptop.ws.close()
        ledger.storage.close()


def _edit_behind(server: LiveServer, sql: str, params: list[Any]) -> None:
    """Change the server's ``records`` table as a hand at the database would: past its
    append-only triggers, on a connection of its own."""
    storage: Any = server.ledger.storage
    if storage.dialect == "sqlite":
        with closing(sqlite3.connect(storage.path, isolation_level=None)) as conn:
            triggers = conn.execute(
                "SELECT name, sql FROM sqlite_master"
                " WHERE type = 'trigger' AND tbl_name = 'records'"
            ).fetchall()
            for name, _ in triggers:
                conn.execute(f"DROP TRIGGER {name}")
            conn.execute(sql, params)
            for _, made in triggers:
                conn.execute(made)
    else:
        import psycopg

        with psycopg.connect(storage.url, autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")  # no triggers
            conn.execute(sql.replace("?", "%s"), params)


def test_a_log_row_edited_to_break_pages_is_named_not_served(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server")
    laptop = make_laptop(tmp_path / "op", "op-a")
    try:
        assert sync_service.sync_once(laptop.ws, server.url).outcome == "done"
        h = enter(laptop, district_stations(laptop.ws)[0])
        assert sync_service.sync_once(laptop.ws, server.url).outcome == "done"
        _edit_behind(server, "UPDATE records SET sig = sig || ? WHERE hash = ?", ['"\n', h])
        answer = requests.get(
            server.url + "/v1/pull?jurisdiction=32.01.01&since=0&limit=500", timeout=30
        )
        assert answer.status_code == 500
        detail = answer.json()["detail"]
        assert "changed outside the server" in detail and "backup" in detail, detail
    finally:
        laptop.ws.close()
        server.stop()


def test_a_push_without_a_token_unpacks_to_little_and_a_certificate_still_fits(
    tmp_path: Path,
) -> None:
    """64 KiB on the wire (the most a push without a token carries) gunzipped to 64 MiB of
    ``[[],[],...]``: 22 million values parsed, 12 s and 1.7 GB of the server's, by anyone.
    Such a push is now refused at a quarter of a MiB unpacked; a laptop's first push, its
    own certificate without a token, is taken as before."""
    server = LiveServer(tmp_path / "server", gate=GateLimits())
    laptop = make_laptop(tmp_path / "op", "op-a")
    try:
        inner = b"[]," * ((ANONYMOUS_INFLATED * 4) // 3)
        doc = b'{"format":"recap-batch/1","records":[' + inner[:-1] + b"]}"
        bomb = gzip.compress(doc, 9)
        assert len(bomb) < GateLimits().anonymous_bytes
        answer = requests.post(
            server.url + "/v1/push",
            data=bomb,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
            timeout=30,
        )
        assert answer.status_code == 413, answer.text
        assert (
            f"without a push token of a certified key is at most {ANONYMOUS_INFLATED}"
            in (answer.json()["detail"])
        )
        # The honest first push: the laptop's certificate, no token, gzipped as the client does.
        certificates = certificates_of(laptop)
        answer = requests.post(
            server.url + "/v1/push",
            data=gzip.compress(batch_bytes(certificates)),
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        assert [r["status"] for r in answer.json()["results"]] == ["stored"]
    finally:
        laptop.ws.close()
        server.stop()
