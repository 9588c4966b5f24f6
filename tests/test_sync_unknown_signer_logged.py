"""A record the server logged whose signer has no certificate where one must be (PROTOCOL
§10.6, ``unknown_signer_logged``). A pulled record of an unknown signer is refused, and the
pull goes on; but once the head proves complete the partitions that must hold the signer's
certificate (``log.vouching_partitions``: "" and the record's partition cut to one, two and
three groups), and none of them holds one below the record, the server logged what it had to
refuse: the laptop keeps the evidence (the signed head, the record, its entry with its
inclusion proof, the partitions' proofs) and shows it in ``recap log``. A certificate logged
later excuses nothing, a sync the server breaks off after the record does not make the laptop
forget it, and an honest log (the certificate before the record, in another page) accuses
no one. Real server on loopback, real stores, real signatures; the dishonest server is the
real one with its storage wrapped (tests.dishonest.Injecting)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.cli import main as cli_main
from recap_desktop.crypto.envelope import Record
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.protocol import log, merkle
from recap_desktop.services import log as log_service
from recap_desktop.services import sync as sync_service
from recap_desktop.services.admission import trust
from recap_desktop.sync import engine as engine_module
from tests.dishonest import Injecting
from tests.hostile import certificate
from tests.sync_support import (
    DISTRICT,
    Laptop,
    LiveServer,
    district_stations,
    make_laptop,
    sign_sheet,
)

KIND = "unknown_signer_logged"


def _own_certificate(laptop: Laptop) -> Record:
    cert = next(r.record for r in laptop.ws.store.records.rows(types=("certificate",)) if r.record)
    assert log.partition_of(cert) == DISTRICT
    return cert


def _inject(server: LiveServer, *records: Record) -> list[Any]:
    """Log ``records`` as they are (their own partitions), after the real entries."""
    storage = server.ledger.storage
    storage.inject([r.to_json() for r in records])  # type: ignore[attr-defined]
    return storage.injected  # type: ignore[attr-defined]


def _sync(laptop: Laptop, url: str, **kw: Any) -> sync_service.SyncResult:
    engine = sync_service.make_engine(laptop.ws, url, attempts=1, **kw)
    try:
        return engine.sync()
    finally:
        engine.client.close()


def _check_evidence(laptop: Laptop, sheet: Record) -> None:
    """What was kept shows it to anyone with the public keys: a valid head of the server,
    the record at its entry, included in its partition, whose root and size the head proves,
    and the partitions that must vouch for its signer proved complete by the same head."""
    (found,) = [e for e in laptop.ws.store.witness.evidence() if e.kind == KIND]
    head = log.parse_head(found.first, trust(laptop.ws))
    shown = found.second
    assert shown is not None and shown["record"]["hash"] == sheet.hash
    entry = shown["entry"]
    assert entry["hash"] == sheet.hash and entry["partition"] == DISTRICT
    assert entry["index"] < head.size
    inclusion = shown["inclusion"]
    leaf = log.leaf_hash(sheet.hash, entry["index"], DISTRICT, entry["received"])
    merkle.verify_inclusion(
        leaf,
        inclusion["position"],
        inclusion["size"],
        [bytes.fromhex(h) for h in inclusion["proof"]],
        bytes.fromhex(inclusion["root"]),
    )
    ranges = log.needed_ranges(DISTRICT)
    proved = log.check_ranges(head, ranges, shown["partitions"])
    assert proved[DISTRICT] == log.PartitionState(
        inclusion["size"], bytes.fromhex(inclusion["root"])
    )
    assert shown["vouching"] == log.vouching_partitions(DISTRICT)
    assert all(log.in_ranges(n, ranges) for n in shown["vouching"])


def _witness(tmp_path: Path, server: LiveServer) -> Laptop:
    """The district's laptop that pulls and judges, after a first sync that adds up."""
    b = make_laptop(tmp_path / "b", "op-b")
    assert sync_service.sync_once(b.ws, server.url).outcome == "done"
    return b


def test_vouching_partitions_are_the_record_partitions_path() -> None:
    assert log.vouching_partitions("32.01.01") == ["", "32", "32.01", "32.01.01"]
    assert log.vouching_partitions("32") == ["", "32"]
    assert log.vouching_partitions("") == [""]


def test_a_certificate_logged_out_of_reach_is_kept_as_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The attacker's move: log the certificate of a district's officer in a partition the
    district does not pull, then serve that officer's sheet. The head and proofs hold (the log
    is what it says), the sheet is refused ``unknown_signer`` as at every door, and now the
    laptop also keeps the evidence: the district's partitions are proved complete and none
    holds a certificate of the signer before the sheet. The next sync goes on."""
    server = LiveServer(tmp_path / "server", storage=Injecting)
    try:
        b = _witness(tmp_path, server)
        c = make_laptop(tmp_path / "c", "op-c")  # never syncs: the server has its record alone
        sheet = sign_sheet(c, district_stations(c.ws)[0])
        injected = _inject(server, _own_certificate(c))
        injected[-1] = replace(injected[-1], partition="33.01.01")  # out of the district's reach
        _inject(server, sheet)
        server.ledger.refresh()

        result = _sync(b, server.url)
        assert result.error_kind == "server_misbehaved", result
        assert [k for k, _ in result.misbehaviour] == [KIND]
        assert {p.record: p.kind for p in result.pull_problems}.get(sheet.hash) == "unknown_signer"
        assert not b.ws.store.records.is_held(sheet.hash)
        _check_evidence(b, sheet)

        # Shown by `recap log` (exit 4, as for any evidence), in both forms.
        capsys.readouterr()
        assert cli_main(["--data-dir", str(b.data_dir), "log", "--json"]) == 4
        assert sheet.hash in capsys.readouterr().out
        assert cli_main(["--data-dir", str(b.data_dir), "log"]) == 4
        shown = capsys.readouterr().out
        assert sheet.hash[:16] in shown, shown  # the accused entry, named

        # One injected record does not stop every later sync: judged once, and the cursor is
        # past it; the evidence stays, kept once.
        again = _sync(b, server.url)
        assert again.outcome == "done" and not again.misbehaviour, again
        assert [e.kind for e in log_service.log_state(b.ws).evidence] == [KIND]
        for laptop in (b, c):
            laptop.ws.close()
    finally:
        server.stop()


def test_a_certificate_logged_after_the_record_does_not_excuse_it(tmp_path: Path) -> None:
    """The sheet first, its signer's certificate right after it (in the district, where it
    belongs): the laptop admits the certificate, but the log held the sheet before any
    certificate of its signer, which an honest server refuses. Evidence, though the laptop
    now holds a certificate of the key."""
    server = LiveServer(tmp_path / "server", storage=Injecting)
    try:
        b = _witness(tmp_path, server)
        c = make_laptop(tmp_path / "c", "op-c")
        sheet = sign_sheet(c, district_stations(c.ws)[0])
        cert = _own_certificate(c)
        _inject(server, sheet, cert)
        server.ledger.refresh()

        result = _sync(b, server.url)
        assert [k for k, _ in result.misbehaviour] == [KIND], result
        assert b.ws.store.records.is_held(cert.hash)
        assert not b.ws.store.records.is_held(sheet.hash)
        _check_evidence(b, sheet)
        for laptop in (b, c):
            laptop.ws.close()
    finally:
        server.stop()


class _BreakAt:
    """Breaks the pull page that starts at ``since``: the server's answer is cut off (a
    sync the server ends on purpose after serving a record)."""

    def __init__(self, since: int) -> None:
        self.since = since
        self.broken = 0

    def watch(self, client: Any) -> None:
        pull = client.pull

        def broken(jurisdiction: str, since: int, limit: int) -> dict[str, Any]:
            answer = pull(jurisdiction, since, limit)
            if since != self.since:
                return answer
            self.broken += 1
            return {}

        client.pull = broken


def test_a_sync_broken_off_after_the_record_neither_forgets_nor_excuses_it(
    tmp_path: Path,
) -> None:
    """The server serves the sheet, breaks the sync off on the next page (the cursor is past
    the sheet by then), logs the signer's certificate, and completes the next sync: the
    laptop kept the refused sheet with its page, and judges it when the partitions add up.
    The certificate came after the sheet: evidence all the same."""
    server = LiveServer(tmp_path / "server", storage=Injecting)
    try:
        b = _witness(tmp_path, server)
        c = make_laptop(tmp_path / "c", "op-c")
        sheet = sign_sheet(c, district_stations(c.ws)[0])
        other = certificate(SigningKey.from_seed(b"\x07" * 32), "operator", DISTRICT)
        injected = _inject(server, sheet, other)
        server.ledger.refresh()
        at = injected[0].index

        breaker = _BreakAt(at + 1)
        engine = sync_service.make_engine(b.ws, server.url, attempts=1, page_size=1)
        breaker.watch(engine.client)
        try:
            broken = engine.sync()
        finally:
            engine.client.close()
        assert breaker.broken and broken.outcome != "done", broken
        assert not broken.misbehaviour
        cursor = b.ws.store.outbox.setting(f"log cursor {server.url} {DISTRICT}")
        assert int(cursor or 0) == at + 1  # past the sheet: it is not pulled again

        _inject(server, _own_certificate(c))  # the certificate, logged after the sheet
        server.ledger.refresh()
        result = _sync(b, server.url, page_size=1)
        assert [k for k, _ in result.misbehaviour] == [KIND], result
        _check_evidence(b, sheet)
        for laptop in (b, c):
            laptop.ws.close()
    finally:
        server.stop()


def test_an_honest_log_across_pages_accuses_no_one(tmp_path: Path) -> None:
    """The certificate below the sheet, in another page: admitted before it, no evidence;
    and an officer certified for the regency (its certificate in the partition above the
    district) signs in the district with no evidence either."""
    server = LiveServer(tmp_path / "server", storage=Injecting)
    try:
        b = _witness(tmp_path, server)
        c = make_laptop(tmp_path / "c", "op-c")
        regency = make_laptop(tmp_path / "r", "op-r", jurisdiction="32.01")
        stations = district_stations(c.ws)
        sheets = [sign_sheet(c, stations[0]), sign_sheet(regency, stations[1])]
        certs = [
            _own_certificate(c),
            next(
                r.record for r in regency.ws.store.records.rows(types=("certificate",)) if r.record
            ),
        ]
        assert log.partition_of(certs[1]) == "32.01"
        _inject(server, *certs, *sheets)
        server.ledger.refresh()

        result = _sync(b, server.url, page_size=1)
        assert result.outcome == "done" and not result.misbehaviour, result
        assert all(b.ws.store.records.is_held(s.hash) for s in sheets)
        assert not b.ws.store.witness.evidence()
        assert not b.ws.store.evidence.unvouched()
        for laptop in (b, c, regency):
            laptop.ws.close()
    finally:
        server.stop()


def test_a_flood_of_such_records_keeps_a_bounded_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One record proves the server's misbehaviour; a server that logs thousands must not
    fill the laptop's disk with their proofs: at most MAX_UNVOUCHED_KEPT are kept from one
    pull, the rest counted in the sync's message, and none waits for a later judgment."""
    monkeypatch.setattr(engine_module, "MAX_UNVOUCHED_KEPT", 2)
    server = LiveServer(tmp_path / "server", storage=Injecting)
    try:
        b = _witness(tmp_path, server)
        c = make_laptop(tmp_path / "c", "op-c")
        sheets = [sign_sheet(c, station) for station in district_stations(c.ws)[:5]]
        _inject(server, *sheets)
        server.ledger.refresh()

        result = _sync(b, server.url)
        assert [k for k, _ in result.misbehaviour] == [KIND, KIND], result
        assert result.error is not None and "(and 4 more)" in result.error
        assert len(b.ws.store.witness.evidence()) == 2
        assert not b.ws.store.evidence.unvouched()
        for laptop in (b, c):
            laptop.ws.close()
    finally:
        server.stop()


def test_evidence_and_judgement_are_kept_together_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fails after the evidence is written and before the record is settled (a
    fault made by hand: the thing under test is the store's one transaction): neither is
    kept, the record still waits, and the next sync judges it and keeps the evidence once."""
    server = LiveServer(tmp_path / "server", storage=Injecting)
    try:
        b = _witness(tmp_path, server)
        c = make_laptop(tmp_path / "c", "op-c")
        sheet = sign_sheet(c, district_stations(c.ws)[0])
        _inject(server, sheet, _own_certificate(c))
        server.ledger.refresh()
        evidence = b.ws.store.evidence
        settle = evidence.settle_unvouched

        def failing(hashes: Any) -> None:
            raise OSError("disk I/O error")

        monkeypatch.setattr(evidence, "settle_unvouched", failing)
        with pytest.raises(OSError):
            _sync(b, server.url)
        assert b.ws.store.witness.evidence() == []  # not kept without its judgement
        assert [u.hash for u in evidence.unvouched()] == [sheet.hash]  # still waiting
        monkeypatch.setattr(evidence, "settle_unvouched", settle)
        result = _sync(b, server.url)
        assert [k for k, _ in result.misbehaviour] == [KIND], result
        _check_evidence(b, sheet)
        assert evidence.unvouched() == []
        for laptop in (b, c):
            laptop.ws.close()
    finally:
        server.stop()
