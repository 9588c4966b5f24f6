"""What a push costs the writers' lock, which every push of every worker waits for: no
signature is verified under it. Records claiming the election authority's key, and fork
evidence naming a certified key, were verified there, whatever their signatures: 1,504
such records in the 64 KiB a push without a token may carry held the lock 0.29 s, and a
certified key's 10,000 fork pairs 1.6 s. Their signatures are now verified before it, by
the worker, and the verdicts are the same."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import Record
from recap_server.server import open_ledger
from tests.pg_support import database_for
from tests.sync_support import certificates_of, district_stations, make_laptop, sign_sheet


@contextmanager
def _verifies_in_the_lock(ledger: Any) -> Iterator[list[int]]:
    """Count the signature checks made while the ledger's storage is in a transaction."""
    counted = [0]
    original = Record.verify_signature

    def counting(self: Record, public_key: bytes) -> bool:
        if ledger.storage.in_transaction():
            counted[0] += 1
        return original(self, public_key)

    Record.verify_signature = counting  # type: ignore[method-assign]
    try:
        yield counted
    finally:
        Record.verify_signature = original  # type: ignore[method-assign]


def _forged(wire: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``wire`` with its payload changed and its hash made again: its signature no longer
    covers it."""
    payload = {**wire["payload"], **changes}
    return {
        **wire,
        "payload": payload,
        "hash": hashlib.sha256(canonical_bytes(payload)).hexdigest(),
    }


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Any]:
    opened = open_ledger(tmp_path / "server", demo=True, database=database_for(tmp_path))
    yield opened
    opened.storage.close()


def test_records_claiming_the_authority_cost_the_lock_no_verify(
    ledger: Any, tmp_path: Path
) -> None:
    laptop = make_laptop(tmp_path / "op", "op-a")
    try:
        [certificate] = certificates_of(laptop)
        fakes = [_forged(certificate, officer_id=f"op-fake-{i}") for i in range(40)]
        with _verifies_in_the_lock(ledger) as counted:
            outcomes = ledger.push(fakes).outcomes
        assert {(o.status, o.reason) for o in outcomes} == {("refused", "bad_signature")}
        assert len(outcomes) == 40 and counted[0] == 0
        # The genuine certificate is still admitted (its verify, too, made before the lock).
        with _verifies_in_the_lock(ledger) as counted:
            assert [o.status for o in ledger.push([certificate]).outcomes] == ["stored"]
        assert counted[0] == 0
    finally:
        laptop.ws.close()


def test_fork_evidence_costs_the_lock_no_verify(ledger: Any, tmp_path: Path) -> None:
    laptop = make_laptop(tmp_path / "op", "op-a")
    try:
        certificates = certificates_of(laptop)
        ledger.push(certificates)
        station = district_stations(laptop.ws)[0]
        first = sign_sheet(laptop, station, seed=1)
        assert [o.status for o in ledger.push([first.to_json()]).outcomes] == ["stored"]
        # Pairs naming the certified key, whose second signature does not cover its payload.
        fakes = [
            [first.to_json(), _forged(first.to_json(), station=station, reason=f"x{i}")]
            for i in range(30)
        ]
        # And a real fork: the same key's other record at the same place.
        other = sign_sheet(laptop, district_stations(laptop.ws)[1], seed=2)
        with _verifies_in_the_lock(ledger) as counted:
            ledger.push([], [*fakes, [first.to_json(), other.to_json()]])
        assert counted[0] == 0
        assert ledger.storage.forks() == {laptop.key.key_id: first.seq}
    finally:
        laptop.ws.close()


def test_records_forged_under_a_certified_key_cost_the_lock_no_verify(
    ledger: Any, tmp_path: Path
) -> None:
    laptop = make_laptop(tmp_path / "op", "op-a")
    try:
        certificates = certificates_of(laptop)
        ledger.push(certificates)
        station = district_stations(laptop.ws)[0]
        sheet = sign_sheet(laptop, station, seed=1).to_json()
        values = sheet["payload"]["values"]
        fakes = [
            _forged(sheet, values={**values, "v_p01": values["v_p01"] + i}) for i in range(1, 31)
        ]
        with _verifies_in_the_lock(ledger) as counted:
            outcomes = ledger.push(fakes).outcomes
        assert {(o.status, o.reason) for o in outcomes} == {("refused", "bad_signature")}
        assert counted[0] == 0
    finally:
        laptop.ws.close()
