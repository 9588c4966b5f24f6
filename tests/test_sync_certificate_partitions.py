"""A certificate is logged in the partition of its jurisdiction (PROTOCOL §10.2), so a laptop's
pull names the certificates of its path (its district, the regency and province above it) and,
above a district, of every partition inside it: not the nation's 7,000+, which every fresh
laptop used to page, account for and fetch. A server that keeps from a laptop the certificate
of a record it serves it (by logging it where the laptop does not look) gets that record
refused `unknown_signer`, as every door refuses it, the evidence kept (§10.6,
`unknown_signer_logged`), and the laptop's later syncs go on. Real server
on loopback, real stores, real signatures; the dishonest server is the real one with its
storage wrapped."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from recap_desktop.crypto.envelope import Record
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.protocol.log import partition_of
from recap_desktop.services import sync as sync_service
from tests.dishonest import Injecting
from tests.hostile import certificate
from tests.sync_support import (
    DISTRICT,
    LiveServer,
    district_stations,
    make_laptop,
    sign_sheet,
)
from tests.test_sync_authority import Traffic

REGENCY = "32.01"
ON_PATH = [DISTRICT, DISTRICT + ".2001", REGENCY, "32"]  # the district laptop's path
INSIDE_REGENCY = ["32.01.02", "32.01.02.2003"]  # a neighbouring district of the regency
ELSEWHERE = ["32.02", "32.02.01", "33", "33.01.01", "33.01.01.2001"]


def _certificates(regions: list[str], per_region: int, seed: int) -> dict[str, list[Record]]:
    """``per_region`` operators certified for each of ``regions``, by the demo authority."""
    out: dict[str, list[Record]] = {}
    for r, region in enumerate(regions):
        keys = [
            SigningKey.from_seed(bytes([seed, r, i]) * 10 + b"\x00\x00") for i in range(per_region)
        ]
        out[region] = [certificate(k, "operator", region) for k in keys]
    return out


def _named(traffic: Traffic) -> list[str]:
    """The certificates and revocation lists the pull pages named by hash, in order."""
    return [
        e["authority"]
        for page in traffic.pages
        for e in json.loads(page)["entries"]
        if "authority" in e
    ]


def _sync(ws: Any, url: str) -> tuple[Any, Traffic]:
    traffic = Traffic()
    engine = sync_service.make_engine(ws, url, attempts=1)
    traffic.watch(engine.client)
    try:
        return engine.sync(), traffic
    finally:
        engine.client.close()


def test_a_first_pull_names_only_the_certificates_of_the_laptops_partitions(
    tmp_path: Path,
) -> None:
    server = LiveServer(tmp_path / "server")
    try:
        certs = _certificates([*ON_PATH, *INSIDE_REGENCY, *ELSEWHERE], 4, seed=9)
        loaded = [c for group in certs.values() for c in group]
        pushed = server.ledger.push([c.to_json() for c in loaded])
        assert {o.to_json()["status"] for o in pushed.outcomes} == {"stored"}
        on_path = {c.hash for r in ON_PATH for c in certs[r]}
        inside = {c.hash for r in INSIDE_REGENCY for c in certs[r]}

        # An operator of the district: its path's 16 certificates of the 44 loaded, no more.
        district = make_laptop(tmp_path / "district", "op-a")
        result, traffic = _sync(district.ws, server.url)
        assert result.outcome == "done", result
        named = _named(traffic)
        assert len(named) == len(set(named))
        assert len(set(named) & {c.hash for c in loaded}) == len(on_path) == 16
        assert set(named) & {c.hash for c in loaded} == on_path
        assert district.ws.store.records.held(list(on_path)) == on_path
        assert not district.ws.store.records.held(list(inside))
        # Every other entry named is the authority's (the server's certificate) or its own.
        others = [h for h in named if h not in on_path]
        for h in others:
            record = district.ws.store.records.get(h)
            assert record is not None and partition_of(record) in ("", DISTRICT)

        # A supervisor of the regency: its path and every district inside, not the others.
        regency = make_laptop(
            tmp_path / "regency", "sup-r", role="supervisor", jurisdiction=REGENCY
        )
        result, traffic = _sync(regency.ws, server.url)
        assert result.outcome == "done", result
        named_loaded = set(_named(traffic)) & {c.hash for c in loaded}
        assert named_loaded == on_path | inside
        district.ws.close()
        regency.ws.close()
    finally:
        server.stop()


def test_a_record_whose_certificate_the_server_logs_out_of_reach_is_refused_and_sync_goes_on(
    tmp_path: Path,
) -> None:
    """The attacker's move: log the certificate of a district's officer in a partition the
    district does not pull, then serve that officer's sheet. The head and proofs hold (the log
    is what it says), so only the admission rule sees it: the sheet's signer is unknown. It is
    refused as at every door (the doors trial holds them to one verdict), the evidence is
    kept, and a page holding it must not stop the laptop's later syncs."""
    server = LiveServer(tmp_path / "server", storage=Injecting)
    try:
        b = make_laptop(tmp_path / "b", "op-b")
        assert sync_service.sync_once(b.ws, server.url).outcome == "done"
        c = make_laptop(tmp_path / "c", "op-c")  # never syncs: the server has its record alone
        cert = next(r.record for r in c.ws.store.records.rows(types=("certificate",)) if r.record)
        assert partition_of(cert) == DISTRICT
        stations = district_stations(c.ws)
        sheet = sign_sheet(c, stations[0])
        storage = server.ledger.storage
        storage.inject([cert.to_json()])  # type: ignore[attr-defined]
        injected = storage.injected  # type: ignore[attr-defined]
        injected[-1] = replace(injected[-1], partition="33.01.01")  # out of the district's reach
        storage.inject([sheet.to_json()])  # type: ignore[attr-defined]
        server.ledger.refresh()
        result, _ = _sync(b.ws, server.url)
        assert not b.ws.store.records.is_held(sheet.hash)
        refused = {p.record: p.kind for p in result.pull_problems}
        assert refused.get(sheet.hash) == "unknown_signer", result.pull_problems
        # The district's partitions are proved complete and hold no certificate of the
        # signer: the server logged what it had to refuse, and this sync says so (evidence
        # kept, tests/test_sync_unknown_signer_logged.py).
        assert [k for k, _ in result.misbehaviour] == ["unknown_signer_logged"], result
        # Not stuck on that page: the cursor moved past it, and the next sync is done.
        size = server.get("/v1/log/heads")["head"]["payload"]["size"]
        assert int(b.ws.store.outbox.setting(f"log cursor {server.url} {DISTRICT}")) == size
        assert sync_service.sync_once(b.ws, server.url).outcome == "done"
        for laptop in (b, c):
            laptop.ws.close()
    finally:
        server.stop()


class _NamesBeyondHead:
    """The real server's storage, whose pull pages also name a certificate at an index past
    the page's head (an entry no log of that size holds), and which never serves its body."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage
        self.extra: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def authority_raw(self, hashes: Any) -> list[Any]:
        """Nor does it serve that certificate's body when asked for it."""
        held = self._storage.authority_raw(hashes)
        return [r for r in held if self.extra is None or r.hash != self.extra.hash]

    def pull_raw(self, ranges: Any, since: int, limit: int, upto: int, **kw: Any) -> list[Any]:
        rows = list(self._storage.pull_raw(ranges, since, limit, upto, **kw))
        if self.extra is not None and ranges is not None:
            rows.append(replace(self.extra, index=upto + 3, payload=None, named="authority"))
        return rows


def test_an_entry_past_the_head_is_misplaced_before_anything_it_names_is_fetched(
    tmp_path: Path,
) -> None:
    """A page's indices are judged before what it names is asked for and found missing: an
    entry past its head is misplaced (the server's misbehaviour, shown as such), not a body
    "withheld" that no log of that size holds. The page fills its page size, so it gives no
    next cursor a parse could hold it to; only its head can."""
    held: list[_NamesBeyondHead] = []

    def wrap(storage: Any) -> _NamesBeyondHead:
        held.append(_NamesBeyondHead(storage))
        return held[0]

    server = LiveServer(tmp_path / "server", storage=wrap)
    try:
        laptop = make_laptop(tmp_path / "b", "op-b")
        assert sync_service.sync_once(laptop.ws, server.url).outcome == "done"
        elsewhere = _certificates(["33.01.01"], 1, seed=4)["33.01.01"][0]
        assert {o.status for o in server.ledger.push([elsewhere.to_json()]).outcomes} == {"stored"}
        (held[0].extra,) = held[0]._storage.authority_raw([elsewhere.hash])
        # Pages of one entry: the hostile one fills its page (more follow, no next cursor).
        traffic = Traffic()
        engine = sync_service.make_engine(laptop.ws, server.url, attempts=1, page_size=1)
        traffic.watch(engine.client)
        try:
            result = engine.sync()
        finally:
            engine.client.close()
        # Misplaced, judged first: not "withheld" for a body it was never owed.
        assert result.error_kind == "server_misbehaved", result
        assert [kind for kind, _ in result.misbehaviour] == ["misplaced"]
        assert not laptop.ws.store.records.is_held(elsewhere.hash)
        laptop.ws.close()
    finally:
        server.stop()
