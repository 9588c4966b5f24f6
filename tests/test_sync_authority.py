"""Certificates and revocation lists are never in a pull page (PROTOCOL §9.5): a page names
each by hash, a laptop asks POST /v1/authority/records for only those it lacks, and one that
holds them all is sent none of their bodies, even pulling from 0. Each entry is still a leaf
of the authority's partition, checked complete (§10.5). A server that names a hash and then
serves other bytes gives a broken answer; one that does not serve it withholds (§10.6). A page
that names one hash twice is a broken answer. Real server on loopback, real stores, real
signatures; the dishonest servers are the real one with its storage wrapped to lie."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests

from recap_desktop.crypto.envelope import Record
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.protocol.wire import WireError, parse_page
from recap_desktop.services import sync as sync_service
from recap_desktop.services.bundle import export_bundle, import_bundle
from recap_server.storage import MAX_AUTHORITY_FETCH
from tests.dishonest import Injecting, SheetNamedAs
from tests.hostile import certificate, revocation_list
from tests.sync_support import (
    DISTRICT,
    Laptop,
    LiveServer,
    district_stations,
    enter,
    make_laptop,
)

CURSOR = "log cursor {url} " + DISTRICT


class Traffic:
    """What a laptop's sync asked of the server: pull pages, and authority records by hash."""

    def __init__(self) -> None:
        self.pages: list[bytes] = []
        self.asked: list[list[str]] = []  # each POST /v1/authority/records, the hashes asked
        self.answered: list[list[str]] = []

    def watch(self, client: Any) -> None:
        """Note what ``client`` pulls and asks for by hash (its answers as it parsed them:
        the client reads each body itself, as it streams in)."""
        pull, authority_records = client.pull, client.authority_records

        def pulled(jurisdiction: str, since: int, limit: int) -> dict[str, Any]:
            answer = pull(jurisdiction, since, limit)
            self.pages.append(json.dumps(answer).encode())
            return answer

        def asked(hashes: list[str]) -> list[Any]:
            self.asked.append(list(hashes))
            records = authority_records(hashes)
            self.answered.append([r["hash"] for r in records])
            return records

        client.pull, client.authority_records = pulled, asked

    def bodies_paged(self, kinds: tuple[str, ...] = ("certificate", "revocations")) -> int:
        """How many records of these types the pull pages carried whole."""
        return sum(
            1
            for page in self.pages
            for e in json.loads(page)["entries"]
            if "record" in e and e["record"]["payload"].get("type") in kinds
        )


def _sync(laptop: Laptop, url: str, attempts: int = 1) -> tuple[Any, Traffic]:
    traffic = Traffic()
    engine = sync_service.make_engine(laptop.ws, url, attempts=attempts)
    traffic.watch(engine.client)
    try:
        return engine.sync(), traffic
    finally:
        engine.client.close()


def _officers(count: int, seed: int = 0) -> list[Record]:
    """Certificates of ``count`` officers of the demo district, signed by the demo authority."""
    keys = [
        SigningKey.from_seed(bytes([seed, i % 256, i // 256]) * 10 + b"\x00\x00")
        for i in range(count)
    ]
    return [certificate(k, "operator", DISTRICT) for k in keys]


def _load(server: LiveServer, records: list[Record]) -> None:
    """The authority loads records into the server (as `recap-server --load-certificates`)."""
    pushed = server.ledger.push([r.to_json() for r in records])
    assert {o.to_json()["status"] for o in pushed.outcomes} == {"stored"}


def _authority_held(laptop: Laptop, records: list[Record]) -> set[str]:
    return laptop.ws.store.records.held([r.hash for r in records])


def _from_zero(laptop: Laptop, url: str) -> None:
    laptop.ws.store.outbox.set_setting(CURSOR.format(url=url), "0")


def test_a_laptop_that_holds_every_certificate_is_sent_none_of_them(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server")
    try:
        officers = _officers(60)
        revoked = revocation_list(1, SigningKey.from_seed(b"\x07" * 32))
        _load(server, [*officers, revoked])
        a = make_laptop(tmp_path / "a", "op-a")
        first, traffic = _sync(a, server.url)
        assert first.outcome == "done", first
        # A fresh laptop lacks them: it asks for them by hash, once each, and admits them.
        assert traffic.bodies_paged() == 0
        asked = [h for chunk in traffic.asked for h in chunk]
        assert len(asked) == len(set(asked))
        assert {r.hash for r in [*officers, revoked]} <= set(asked)
        assert _authority_held(a, [*officers, revoked]) == {r.hash for r in [*officers, revoked]}
        # From 0 again (a partition "" pulled afresh): every entry named, no body sent.
        _from_zero(a, server.url)
        again, traffic = _sync(a, server.url)
        assert again.outcome == "done", again
        assert traffic.asked == [] and traffic.bodies_paged() == 0
        named = {e.get("authority") for page in traffic.pages for e in json.loads(page)["entries"]}
        assert {r.hash for r in [*officers, revoked]} <= named
        # A fresh laptop that holds them from a colleague's bundle asks for none of them.
        bundle = tmp_path / "a.json"
        export_bundle(a.ws, bundle)
        b = make_laptop(tmp_path / "b", "op-b")
        import_bundle(b.ws, bundle.read_bytes(), "a.json")
        fresh, traffic = _sync(b, server.url)
        assert fresh.outcome == "done", fresh
        assert traffic.bodies_paged() == 0
        # b's own certificate was pushed by b; a's came in a's bundle: nothing to ask.
        assert traffic.asked == []
        a.ws.close()
        b.ws.close()
    finally:
        server.stop()


def test_a_laptop_lacking_one_certificate_is_sent_exactly_that_one(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server")
    try:
        _load(server, _officers(20))
        a = make_laptop(tmp_path / "a", "op-a")
        assert _sync(a, server.url)[0].outcome == "done"
        (late,) = _officers(1, seed=1)
        _load(server, [late])
        _from_zero(a, server.url)
        result, traffic = _sync(a, server.url)
        assert result.outcome == "done", result
        assert traffic.asked == [[late.hash]]
        assert traffic.answered == [[late.hash]]
        assert traffic.bodies_paged() == 0
        assert a.ws.store.records.is_held(late.hash)
        a.ws.close()
    finally:
        server.stop()


class Lying:
    """A dishonest storage: names authority records honestly in its pages, then, asked for
    their bodies, serves other bytes (``swap``) or none (``hidden``)."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage
        self.swap: dict[str, dict[str, Any]] = {}  # hash -> the envelope served for it
        self.hidden: set[str] = set()
        self.extra: list[dict[str, Any]] = []  # envelopes served besides those asked

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def authority_raw(self, hashes: Any) -> list[Any]:
        out = []
        for held in self._storage.authority_raw(hashes):
            if held.hash in self.hidden:
                continue
            shown = self.swap.get(held.hash)
            if shown is not None:
                held = replace(
                    held,
                    hash=shown["hash"],
                    payload=json.dumps(shown["payload"], sort_keys=True, separators=(",", ":")),
                    sig=shown["sig"],
                    signer=shown["signer"],
                )
            out.append(held)
        for raw in self.extra:
            out.append(
                replace(
                    out[0],
                    hash=raw["hash"],
                    payload=json.dumps(raw["payload"], sort_keys=True, separators=(",", ":")),
                    sig=raw["sig"],
                    signer=raw["signer"],
                )
            )
        return out


@pytest.fixture
def lying(tmp_path: Path) -> Any:
    held: list[Lying] = []

    def wrap(storage: Any) -> Lying:
        held.append(Lying(storage))
        return held[0]

    server = LiveServer(tmp_path / "server", storage=wrap)
    yield server, held[0]
    server.stop()


def _forged(record: Record) -> dict[str, Any]:
    """The record's envelope with its hash kept and its payload changed (name altered)."""
    raw = record.to_json()
    return {**raw, "payload": {**raw["payload"], "name": "Petugas Palsu"}}


@pytest.mark.parametrize("how", ["altered", "another", "unasked", "twice", "a sheet"])
def test_bytes_other_than_the_named_record_are_a_broken_answer(
    tmp_path: Path, lying: tuple[LiveServer, Lying], how: str
) -> None:
    server, storage = lying
    officers = _officers(5)
    _load(server, officers)
    target, other = officers[0], officers[1]
    a = make_laptop(tmp_path / "a", "op-a")
    sheet = enter(a, district_stations(a.ws)[0])
    assert sync_service.sync_once(a.ws, server.url).outcome == "done"
    sheet_raw = a.ws.store.records.get(sheet)
    assert sheet_raw is not None
    if how == "altered":  # its body changed under its hash
        storage.swap = {target.hash: _forged(target)}
    elif how == "another":  # another certificate (the laptop lacks both) in its place
        storage.swap = {target.hash: other.to_json()}
        storage.hidden = {other.hash}
    elif how == "unasked":  # a certificate never asked for, besides the ones asked
        (stray,) = _officers(1, seed=9)
        storage.extra = [stray.to_json()]
    elif how == "twice":
        storage.extra = [target.to_json()]
    else:  # a record of the log that is no authority record, answered as one
        storage.swap = {target.hash: sheet_raw.to_json()}
    b = make_laptop(tmp_path / "b", "op-b")
    cursor = CURSOR.format(url=server.url)
    result, traffic = _sync(b, server.url)
    assert result.outcome != "done", result
    assert result.error_kind == "bad_answer", result
    assert traffic.asked, "the laptop asked for the bodies"
    # Nothing of the page is stored: no certificate, no sheet, the cursor where it was.
    assert not _authority_held(b, officers)
    assert not b.ws.store.records.is_held(sheet)
    assert b.ws.store.outbox.setting(cursor) in (None, "0")
    assert b.ws.store.witness.evidence() == []
    a.ws.close()
    b.ws.close()


def test_a_server_that_names_a_certificate_and_withholds_it_is_caught(
    tmp_path: Path, lying: tuple[LiveServer, Lying]
) -> None:
    server, storage = lying
    officers = _officers(5)
    _load(server, officers)
    storage.hidden = {officers[2].hash}
    b = make_laptop(tmp_path / "b", "op-b")
    result, traffic = _sync(b, server.url)
    assert result.outcome == "failed" and result.error_kind == "server_misbehaved", result
    assert [kind for kind, _ in result.misbehaviour] == ["withheld"]
    # Asked once with the others, once more alone; then it is evidence, with the head.
    assert officers[2].hash in traffic.asked[0]
    assert traffic.asked[-1] == [officers[2].hash]
    (found,) = b.ws.store.witness.evidence()
    assert found.kind == "withheld"
    assert found.first["payload"]["type"] == "tree_head"
    assert not _authority_held(b, officers)
    b.ws.close()


def test_a_log_that_holds_a_record_twice_is_kept_as_evidence(tmp_path: Path) -> None:
    """The server logs a second entry of a sheet it holds: its head and proofs cover both. A
    laptop keeps one place per record, so the partition cannot be accounted for (§10.5):
    evidence against the server, kept with its signed head, whatever the laptop's cursor.
    (This server stores nothing once it injected, so both laptops push their certificates
    first.)"""
    server = LiveServer(tmp_path / "server", storage=Injecting)
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        b = make_laptop(tmp_path / "b", "op-b")
        assert sync_service.sync_once(b.ws, server.url).outcome == "done"
        sheet = enter(a, district_stations(a.ws)[0])
        assert sync_service.sync_once(a.ws, server.url).outcome == "done"
        record = a.ws.store.records.get(sheet)
        assert record is not None
        server.ledger.storage.inject([record.to_json()])  # type: ignore[attr-defined]
        server.ledger.refresh()
        for laptop in (b, a):  # one that never held it, one whose cursor is past it
            result, _ = _sync(laptop, server.url)
            assert result.error_kind == "server_misbehaved", result
            assert [kind for kind, _ in result.misbehaviour] == ["withheld"]
            assert laptop.ws.store.witness.evidence()
        a.ws.close()
        b.ws.close()
    finally:
        server.stop()


def test_a_certificate_logged_twice_is_kept_as_evidence(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server", storage=Injecting)
    try:
        (officer,) = _officers(1)
        _load(server, [officer])
        b = make_laptop(tmp_path / "b", "op-b")
        assert sync_service.sync_once(b.ws, server.url).outcome == "done"
        # A second entry of it: served whole (the injected row), beside its name.
        server.ledger.storage.inject([officer.to_json()])  # type: ignore[attr-defined]
        server.ledger.refresh()
        _from_zero(b, server.url)
        result, _ = _sync(b, server.url)
        assert result.error_kind == "server_misbehaved", result
        assert [kind for kind, _ in result.misbehaviour] == ["withheld"]
        b.ws.close()
    finally:
        server.stop()


_AT = "2026-02-14T10:00:00Z"


@pytest.mark.parametrize(
    "entry",
    [
        {"index": 0, "received": _AT, "authority": "AB" * 32},
        {"index": 0, "received": _AT, "authority": None},
        {"index": 0, "received": _AT, "authority": "ab" * 32, "package": "cd" * 32},
        {"index": 0, "received": _AT, "authority": "ab" * 32, "record": {}},
    ],
)
def test_a_page_entry_naming_an_authority_record_is_exactly_its_hash(
    entry: dict[str, Any],
) -> None:
    page = {"entries": [entry], "next": 1, "more": True, "head": None, "partitions": None}
    with pytest.raises(WireError):
        parse_page(page, 0)


def test_the_bulk_fetch_is_bounded_and_answers_only_authority_records(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server")
    try:
        officers = _officers(3)
        _load(server, officers)
        a = make_laptop(tmp_path / "a", "op-a")
        sheet = enter(a, district_stations(a.ws)[0])
        assert sync_service.sync_once(a.ws, server.url).outcome == "done"
        url = server.url + "/v1/authority/records"
        package = server.get("/v1/election/versions")["versions"][0]["hash"]
        asked = [officers[1].hash, sheet, "0" * 64, package, officers[0].hash, officers[1].hash]
        answer = requests.post(url, json={"hashes": asked}, timeout=10)
        assert answer.status_code == 200
        assert [r["hash"] for r in answer.json()["records"]] == [officers[1].hash, officers[0].hash]
        # The most a request may ask, the records spread over it: every one found.
        fill = [f"{i:064x}" for i in range(MAX_AUTHORITY_FETCH - len(officers))]
        full = [*fill[:400], officers[2].hash, *fill[400:], officers[0].hash, officers[1].hash]
        answer = requests.post(url, json={"hashes": full}, timeout=10)
        assert answer.status_code == 200
        assert [r["hash"] for r in answer.json()["records"]] == [
            officers[2].hash,
            officers[0].hash,
            officers[1].hash,
        ]
        too_many = requests.post(
            url, json={"hashes": ["ab" * 32] * (MAX_AUTHORITY_FETCH + 1)}, timeout=10
        )
        assert too_many.status_code == 413
        for bad in ({"hashes": ["AB" * 32]}, {"hashes": "ab"}, {"hash": []}, [1]):
            assert requests.post(url, json=bad, timeout=10).status_code == 400
        huge = requests.post(url, data=b"{" + b" " * 200_000, timeout=10)
        assert huge.status_code == 413
        a.ws.close()
    finally:
        server.stop()


def test_a_sheet_named_as_an_authority_record_is_refused(tmp_path: Path) -> None:
    """Held: the laptop would make its leaf in the authority's partition, a broken answer.
    Not held: the server does not serve it as an authority record, asked twice: withheld."""
    held: list[SheetNamedAs] = []

    def wrap(storage: Any) -> SheetNamedAs:
        held.append(SheetNamedAs(storage, "authority"))
        return held[0]

    server = LiveServer(tmp_path / "server", storage=wrap)
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        b = make_laptop(tmp_path / "b", "op-b")
        assert sync_service.sync_once(b.ws, server.url).outcome == "done"
        sheet = enter(a, district_stations(a.ws)[0])
        assert sync_service.sync_once(a.ws, server.url).outcome == "done"
        held[0].named = sheet
        _from_zero(a, server.url)
        result, traffic = _sync(a, server.url)
        assert result.error_kind == "bad_answer", result
        assert "certificate or revocation list" in str(result.error)
        # The helper thread knows only the certificates held when the pull started: it may
        # ask once for the body (not served), never twice.
        assert len(traffic.asked) <= 1
        assert not a.ws.store.witness.evidence()
        result, traffic = _sync(b, server.url)
        assert result.error_kind == "server_misbehaved", result
        assert [kind for kind, _ in result.misbehaviour] == ["withheld"]
        assert sheet in traffic.asked[0] and traffic.asked[-1] == [sheet]
        assert not b.ws.store.records.is_held(sheet)
        a.ws.close()
        b.ws.close()
    finally:
        server.stop()
