"""Region totals moved once per push: a batch of many stations in the same regions, with
disputes and corrections in it, leaves the same totals and stats as the same records pushed
one at a time, and both equal a recount (on SQLite, and on PostgreSQL in its pass)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from bench.hotpath import fixture
from recap_desktop.crypto import authority
from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.domain.election import Election
from recap_desktop.services import demo
from recap_server.ledger import Ledger
from recap_server.storage import SqlStorage, open_storage
from tests.pg_support import database_for
from tests.test_server_storage import _recount


def _records() -> tuple[list[Any], list[Record], list[Record]]:
    """(package, two certificates, sheets): officer A's 120 sheets and a correction of one;
    officer B's other numbers for three of A's stations (disputes)."""
    package, cert_a, sheets_a = fixture(120)
    election = Election.from_payload(package[0]["payload"])
    key_b = SigningKey.from_seed(bytes([7]) * 32)
    cert_b = authority.certificate(
        demo.demo_authority(),
        election=election.id,
        officer_id="bench-operator-b",
        name="Petugas B",
        role="operator",
        jurisdiction="32",
        public_key=key_b.public_key,
        valid_from=demo.ISSUED,
        valid_until=demo.EXPIRES,
        issued=demo.ISSUED,
    )
    rng = random.Random(99)
    first = sheets_a[0].payload
    contest = election.contests[first["contest"]]
    registered = election.stations[first["station"]].registered
    last = sheets_a[-1]
    correction = sign(
        SigningKey.from_seed(bytes(range(32))),  # A's key (bench.hotpath)
        {
            **first,
            "seq": last.payload["seq"] + 1,
            "prev": last.hash,
            "values": random_sheet(contest, registered, rng),
            "supersedes": sheets_a[0].hash,
            "reason": "salah ketik",
        },
    )
    disputes: list[Record] = []
    prev: str | None = None
    for seq, original in enumerate(sheets_a[5:8], start=1):
        p = original.payload
        station = election.stations[p["station"]]
        record = sign(
            key_b,
            {
                **p,
                "signer": key_b.key_id,
                "seq": seq,
                "prev": prev,
                "values": random_sheet(election.contests[p["contest"]], station.registered, rng),
            },
        )
        prev = record.hash
        disputes.append(record)
    return package, [cert_a, cert_b], [*sheets_a, correction, *disputes]


def _server(folder: Path) -> tuple[SqlStorage, Ledger]:
    storage = open_storage(database_for(folder) or folder / "server.db")
    ledger = Ledger(storage, SigningKey.from_seed(bytes(32)), demo.demo_authority().public_key)
    return storage, ledger


def _state(storage: SqlStorage) -> Any:
    contests = [str(r[0]) for r in storage._query("SELECT DISTINCT contest FROM status")]
    stats = {k: v for k, v in storage.stats().items() if k != "receipts"}  # one a push
    return {c: storage.all_totals(c) for c in contests}, stats


def test_a_batch_moves_the_totals_as_its_records_one_by_one_do(tmp_path: Path) -> None:
    package, certs, sheets = _records()
    states = []
    for name, batches in (("batch", [sheets]), ("single", [[r] for r in sheets])):
        storage, ledger = _server(tmp_path / name)
        try:
            ledger.push(package)
            ledger.push([c.to_json() for c in certs])
            for batch in batches:
                outcomes = ledger.push([r.to_json() for r in batch]).outcomes
                assert {o.status for o in outcomes} == {"stored"}, outcomes
            totals, stats = _state(storage)
            assert len(totals) == 2 and stats["disputes"] == 3
            for contest, found in totals.items():
                assert found == _recount(storage, contest)
            states.append((totals, stats))
        finally:
            storage.close()
    assert states[0] == states[1]
