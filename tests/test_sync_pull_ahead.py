"""A pull checks the next page's records ahead, on its helper thread: never with a Trust that is
no longer in force, never changing what is refused or reported, and a cancel still stops it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.crypto.envelope import Record
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.protocol import admit as admit_module
from recap_desktop.protocol import checks
from recap_desktop.protocol.admit import Admission, admit
from recap_desktop.protocol.checks import precheck
from recap_desktop.protocol.trust import Trust
from recap_desktop.services.admission import now, trust
from recap_desktop.services.demo import ELECTION_ID
from recap_desktop.sync.engine import SyncEngine, SyncResult, _Cancelled
from tests.sync_support import (
    DISTRICT,
    Laptop,
    MemoryLog,
    certify_server,
    district_stations,
    enter,
    make_laptop,
)

SERVER = SigningKey.generate()


class PagedClient:
    """Serves a fixed list of records as pull pages of a real log, as the server would."""

    base_url = "http://pages.invalid"

    def __init__(self, records: list[Record], on_pull: Callable[[int], None] | None = None):
        self.log = MemoryLog(SERVER, ELECTION_ID)
        self.log.append(records)
        self.on_pull = on_pull
        self.asked: list[int] = []

    def pull(self, jurisdiction: str, since: int, limit: int) -> dict[str, Any]:
        self.asked.append(since)
        if self.on_pull is not None:
            self.on_pull(since)
        return self.log.page(jurisdiction, since, limit)

    def abort(self) -> None:
        pass


def _officer_history(tmp_path: Path, sheets: int) -> tuple[Laptop, list[Record]]:
    """A puller laptop, and another officer's certificate and first ``sheets`` sheets."""
    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    for station in district_stations(a.ws)[:sheets]:
        enter(a, station)
    cert = next(
        row.record
        for row in a.ws.store.records.rows(types=("certificate",))
        if row.record is not None and row.record.payload["officer_id"] == "op-a"
    )
    chain = [
        row.record for row in a.ws.store.records.rows(types=("sheet",)) if row.record is not None
    ]
    return b, [cert, *chain]


def _trust_of(laptop: Laptop) -> Trust:
    return trust(laptop.ws)


def _check(laptop: Laptop, records: list[Record], held: Trust, **options: Any) -> Admission:
    return admit(records, laptop.ws.store.view, held, arrivals=(now(), None), **options)


def _engine(laptop: Laptop, client: PagedClient) -> SyncEngine:
    certify_server(laptop.ws, SERVER)
    engine = SyncEngine(laptop.ws.store, client, jurisdiction=DISTRICT, page_size=2)  # type: ignore[arg-type]
    engine._server_key = SERVER.public_key
    return engine


def _bad_signature(record: Record) -> Record:
    flipped = ("0" if record.sig[0] != "0" else "1") + record.sig[1:]
    return replace(record, sig=flipped)


def test_a_precheck_against_a_trust_no_longer_in_force_is_not_used(tmp_path: Path) -> None:
    b, records = _officer_history(tmp_path, 3)
    before = _trust_of(b)  # without op-a's certificate: its sheets have no known signer
    ahead = precheck(records, before, [(now(), None)] * len(records))
    assert [p.kind for _, found in ahead[1:] for p in found] == ["unknown_signer"] * 3
    checked = _check(b, records, before, prechecked=ahead)
    assert checked.admitted == records and not checked.problems


def test_prechecks_and_the_held_set_give_the_same_findings_as_checking_in_place(
    tmp_path: Path,
) -> None:
    b, records = _officer_history(tmp_path, 4)
    b.ws.store.append(records[:1], "server")  # the certificate is held already
    page = [records[1], _bad_signature(records[2]), records[2], records[3], records[4]]
    held = _trust_of(b)
    plain = _check(b, page, held)
    ahead = _check(b, page, held, prechecked=precheck(page, held, [(now(), None)] * len(page)))
    assert plain.decisions == ahead.decisions
    assert [p.kind for p in ahead.problems] == ["bad_signature"]
    assert ahead.admitted == records[1:]


def test_a_certificate_in_the_same_page_as_its_signers_records(tmp_path: Path) -> None:
    b, records = _officer_history(tmp_path, 5)
    client = PagedClient(records)
    engine = _engine(b, client)
    result = SyncResult()
    engine._pull_all(result)
    assert result.pulled == len(records) and not result.pull_problems
    assert all(b.ws.store.records.is_held(r.hash) for r in records)
    assert client.asked == [0, 2, 4]


def test_a_bad_signature_checked_ahead_is_refused_and_reported_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b, records = _officer_history(tmp_path, 5)
    # Page 3 is fetched once page 1 (with the certificate) is stored: it is checked ahead,
    # with the Trust that holds the certificate.
    bad = _bad_signature(records[4])
    served = [*records[:4], bad, records[5]]
    where: dict[str, list[str]] = {}
    real = checks.check_record

    def spy(record: Record, held: Trust, *args: Any) -> Any:
        if record.sig == bad.sig:
            where.setdefault(record.hash, []).append(threading.current_thread().name)
        return real(record, held, *args)

    monkeypatch.setattr(checks, "check_record", spy)
    monkeypatch.setattr(admit_module, "check_record", spy)
    engine = _engine(b, PagedClient(served))
    result = SyncResult()
    engine._pull_all(result)
    assert [(p.record, p.kind, p.detail) for p in result.pull_problems] == [
        (bad.hash, "bad_signature", "the signature does not verify"),
        (
            records[5].hash,
            "chain_gap",
            f"record 5 came, but 4 ({records[5].prev[:16]}…) of {records[5].signer[:16]}…"
            " is missing",
        ),
    ]
    assert result.pulled == 4
    assert [len(v) for v in where.values()] == [1]  # checked once, on the helper thread
    assert all(name.startswith("recap-pull") for name in where[bad.hash])
    assert not b.ws.store.records.is_held(bad.hash)
    assert not b.ws.store.records.is_held(records[5].hash)
    assert b.ws.store.outbox.setting(f"log cursor {PagedClient.base_url} {DISTRICT}") == "6"


def test_cancel_mid_pull_stores_no_page_after_it(tmp_path: Path) -> None:
    b, records = _officer_history(tmp_path, 5)
    engine: SyncEngine

    def cancel_on_the_second_page(since: int) -> None:
        if since == 2:
            engine.cancel()

    client = PagedClient(records, on_pull=cancel_on_the_second_page)
    engine = _engine(b, client)
    with pytest.raises(_Cancelled):
        engine._pull_all(SyncResult())
    assert client.asked == [0, 2]
    assert [b.ws.store.records.is_held(r.hash) for r in records] == [True, True] + [False] * 4
    assert b.ws.store.outbox.setting(f"log cursor {PagedClient.base_url} {DISTRICT}") == "2"
