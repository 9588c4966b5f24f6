"""A certificate is logged in the partition of its jurisdiction (PROTOCOL §10.2), so a laptop's
pull names the certificates of its path (its district, the regency and province above it) and,
above a district, of every partition inside it: not the nation's 7,000+, which every fresh
laptop used to page, account for and fetch. A server that keeps from a laptop the certificate
of a record it serves it (by logging it where the laptop does not look) gets that record
refused `unknown_signer`, as every door refuses it, and the laptop's sync goes on. Real server
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
    engine.client.session.hooks["response"].append(traffic.hook)
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
    refused as at every door (the doors trial holds them to one verdict), and a page holding
    it must not stop the laptop: a later honest sheet of the district still arrives."""
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
        assert result.outcome == "refused", result  # shown to the officer, not a failure
        assert not b.ws.store.records.is_held(sheet.hash)
        refused = {p.record: p.kind for p in result.pull_problems}
        assert refused.get(sheet.hash) == "unknown_signer", result.pull_problems
        # Not stuck on that page: the cursor moved past it, and the next sync is done.
        size = server.get("/v1/log/heads")["head"]["payload"]["size"]
        assert int(b.ws.store.outbox.setting(f"log cursor {server.url} {DISTRICT}")) == size
        assert sync_service.sync_once(b.ws, server.url).outcome == "done"
        for laptop in (b, c):
            laptop.ws.close()
    finally:
        server.stop()
