"""A push's signatures are verified by the worker before the database's writers' lock; what
another worker commits meanwhile (a revocation, a certificate) still decides admission.

Two ledgers on one database are two workers (PostgreSQL on the PostgreSQL pass, one SQLite
file otherwise). The moment between a worker's verify and its turn at the lock is made
exact by running the other worker's push inside it (wrapping ``ledger.preverify``, which
still verifies for real): a race the test cannot otherwise time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.crypto import authority
from recap_desktop.crypto.envelope import Record
from recap_desktop.domain.election import format_time
from recap_desktop.protocol import checks
from recap_desktop.services import demo as demo_service
from recap_server import ledger as ledger_module
from recap_server.ledger import REFUSED, STORED, Ledger
from recap_server.server import open_ledger
from tests.pg_support import database_for
from tests.sync_support import district_stations, enter, make_laptop


def _workers(folder: Path) -> tuple[Ledger, Ledger]:
    db = database_for(folder)
    return open_ledger(folder, demo=True, database=db), open_ledger(folder, demo=True, database=db)


def _revocation(*key_ids: str) -> Record:
    now = format_time(datetime.now(UTC).replace(microsecond=0))
    return authority.revocations(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        version=1,
        issued=now,
        revoked=[{"key_id": k, "reason": "stolen", "time": now} for k in key_ids],
    )


def _meanwhile(monkeypatch: pytest.MonkeyPatch, other: Ledger, raw: list[Any]) -> list[int]:
    """Make ``other`` push ``raw`` (and commit) right after the next push's own verify."""
    memos: list[int] = []
    real = checks.preverify

    def then_other(records: Any, trust: Any) -> checks.Verified:
        memo = real(records, trust)
        if memos:
            return memo  # the other worker's own push
        memos.append(len(memo))
        assert {o.status for o in other.push(raw).outcomes} == {STORED}
        return memo

    monkeypatch.setattr(ledger_module, "preverify", then_other)
    return memos


def test_a_revocation_another_worker_commits_after_the_verify_refuses_the_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _workers(tmp_path / "server")
    officer = make_laptop(tmp_path / "a", "op-revoked-meanwhile")
    try:
        records = [r.record for r in officer.ws.store.records.rows() if r.record]
        certificate = [r.to_json() for r in records if r.type == "certificate"]
        assert {o.status for o in first.push(certificate).outcomes} <= {STORED, "held"}
        sheet = enter(officer, district_stations(officer.ws)[3], seed=3)
        record = officer.ws.store.records.get(sheet)
        assert record is not None
        memos = _meanwhile(monkeypatch, first, [_revocation(officer.key.key_id).to_json()])
        (outcome,) = second.push([record.to_json()]).outcomes
        assert memos == [1]  # the signature was verified ahead, against the certified key
        assert (outcome.status, outcome.reason) == (REFUSED, "revoked")
        assert second.storage.record(sheet) is None
    finally:
        officer.ws.close()
        first.storage.close()
        second.storage.close()


def test_a_certificate_another_worker_commits_after_the_verify_admits_the_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing was verified ahead (no key yet): admission verifies against the key the
    certificate brought, inside the lock."""
    first, second = _workers(tmp_path / "server")
    officer = make_laptop(tmp_path / "a", "op-certified-meanwhile")
    try:
        records = [r.record for r in officer.ws.store.records.rows() if r.record]
        certificate = [r.to_json() for r in records if r.type == "certificate"]
        sheet = enter(officer, district_stations(officer.ws)[4], seed=4)
        record = officer.ws.store.records.get(sheet)
        assert record is not None
        memos = _meanwhile(monkeypatch, first, certificate)
        (outcome,) = second.push([record.to_json()]).outcomes
        assert memos == [0]
        assert outcome.status == STORED, outcome
    finally:
        officer.ws.close()
        first.storage.close()
        second.storage.close()


def test_a_bad_signature_among_good_ones_is_refused_alone_by_the_server(tmp_path: Path) -> None:
    first, second = _workers(tmp_path / "server")
    officers = [make_laptop(tmp_path / f"o{i}", f"op-batch-{i}") for i in range(3)]
    try:
        batch: list[dict[str, Any]] = []
        for i, officer in enumerate(officers):
            for row in officer.ws.store.records.rows():
                if row.record is not None and row.record.type == "certificate":
                    batch.append(row.record.to_json())
            sheet = officer.ws.store.records.get(
                enter(officer, district_stations(officer.ws)[10 + i], seed=i)
            )
            assert sheet is not None
            batch.append(sheet.to_json())
        # The middle officer's sheet with the first officer's signature of the same bytes.
        forged = dict(batch[3])
        forged["sig"] = officers[0].key.sign(b"not the message").hex()
        batch[3] = forged
        outcomes = second.push(batch).outcomes
        wanted = {batch[1]["hash"], forged["hash"], batch[5]["hash"]}
        sheets = [o for o in outcomes if o.hash in wanted]
        assert [(o.status, o.reason) for o in sheets] == [
            (STORED, None),
            (REFUSED, "bad_signature"),
            (STORED, None),
        ]
        assert first.storage.record(forged["hash"]) is None
    finally:
        for officer in officers:
            officer.ws.close()
        first.storage.close()
        second.storage.close()


@pytest.mark.parametrize("missing", ["values", "station", "contest"])
def test_a_sheet_without_a_member_of_its_type_is_refused_alone_beside_good_ones(
    tmp_path: Path, missing: str
) -> None:
    """A push's rows are made before the writers' lock, before admission has looked at the
    records: a sheet that lacks a member of its type must still be refused alone, as
    malformed, and the good records beside it stored; never a failed push (a laptop whose
    outbox held it would send that batch again for ever)."""
    from recap_desktop.crypto.envelope import sign
    from tests.sync_support import sign_sheet

    server = open_ledger(tmp_path / "server", demo=True, database=database_for(tmp_path / "server"))
    officer = make_laptop(tmp_path / "a", "op-malformed-beside")
    try:
        stations = district_stations(officer.ws)
        good = officer.ws.store.records.get(enter(officer, stations[0], seed=1))
        assert good is not None
        held = [r.record.to_json() for r in officer.ws.store.records.rows() if r.record]
        whole = sign_sheet(officer, stations[1], seed=2)
        payload = {k: v for k, v in whole.payload.items() if k != missing}
        bad = sign(officer.key, payload)
        outcomes = server.push([*held, bad.to_json()]).outcomes
        by_hash = {o.to_json().get("hash"): o for o in outcomes}
        assert by_hash[good.hash].status == STORED
        assert by_hash[bad.hash].status == REFUSED and by_hash[bad.hash].reason == "malformed"
        assert server.storage.record(bad.hash) is None
    finally:
        officer.ws.close()
        server.storage.close()
