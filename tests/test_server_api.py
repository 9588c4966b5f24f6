"""The central server over real HTTP on a loopback port: endpoints, refusals, disputes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import requests

from recap_desktop.crypto import authority
from recap_desktop.crypto.envelope import Record, from_json, sign, signing_message
from recap_desktop.crypto.keys import verify_signature
from recap_desktop.services import demo as demo_service
from recap_desktop.services.election import current_election
from recap_desktop.sync.client import batch_bytes
from tests.sync_support import (
    DISTRICT,
    LiveServer,
    district_stations,
    enter,
    live_server,
    make_laptop,
    sign_sheet,
)

__all__ = ["live_server"]


def push(
    server: LiveServer, records: list[Any], *, gzipped: bool = True, known: int = 0
) -> dict[str, Any]:
    body = batch_bytes([r.to_json() if isinstance(r, Record) else r for r in records])
    headers = {"Content-Type": "application/json"}
    if gzipped:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    response = requests.post(
        server.url + "/v1/push", params={"known": known}, data=body, headers=headers, timeout=10
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def statuses(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(r["status"], r.get("reason")) for r in answer["results"]]


def all_records(laptop: Any) -> list[Record]:
    return [row.record for row in laptop.ws.store.records.rows() if row.record is not None]


def test_every_endpoint_is_in_the_openapi_document(live_server: LiveServer) -> None:
    document = live_server.get("/openapi.json")
    paths = set(document["paths"])
    body = document["paths"]["/v1/push"]["post"]["requestBody"]["content"]["application/json"]
    ref = body["schema"]["properties"]["records"]["items"]["$ref"]
    assert (
        ref == "#/components/schemas/Envelope" and "Envelope" in document["components"]["schemas"]
    )
    assert "receipt" in document["components"]["schemas"]["PushAnswer"]["properties"]
    assert {
        "/v1/health",
        "/v1/election",
        "/v1/election/versions",
        "/v1/election/versions/{version}",
        "/v1/certificates",
        "/v1/revocations",
        "/v1/push",
        "/v1/pull",
        "/v1/regions/{region}/totals",
        "/v1/stats",
        "/v1/evidence",
    } <= paths


def test_demo_server_serves_the_demo_election(live_server: LiveServer) -> None:
    health = live_server.get("/v1/health")
    assert health["status"] == "ok" and health["demo"] is True
    assert health["election"] == demo_service.ELECTION_ID
    assert health["authority_key_id"] == demo_service.demo_authority().key_id
    package = live_server.get("/v1/election")
    assert package["format"] == "recap-election-package/1"
    assert from_json(package["records"][0]).type == "election"
    versions = live_server.get("/v1/election/versions")
    assert [v["version"] for v in versions["versions"]] == [1]
    assert live_server.get("/v1/election/versions/1") == package
    # The package and the DEMO authority's certificate of the server's own key (§10.1).
    assert live_server.get("/v1/stats")["records"] == 2
    (cert,) = health["certificates"]
    assert from_json(cert).payload["role"] == "server"
    assert from_json(cert).payload["public_key"] == health["server_key"]


def test_push_stores_once_and_signs_a_receipt(live_server: LiveServer, tmp_path: Path) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    demo_service.populate(a.ws, a.key, stations=3)
    records = all_records(a)
    first = push(live_server, records)
    assert statuses(first) == [("held", None)] + [("stored", None)] * (len(records) - 1)
    receipt = from_json(first["receipt"])
    server_key = bytes.fromhex(live_server.get("/v1/health")["server_key"])
    assert verify_signature(
        server_key, bytes.fromhex(receipt.sig), signing_message("receipt", receipt.canonical)
    )
    assert [x["hash"] for x in receipt.payload["stored"]] == [r.hash for r in records[1:]]
    indexes = [x["index"] for x in receipt.payload["stored"]]
    assert indexes == sorted(indexes) and len(set(indexes)) == len(indexes)  # its log places
    again = push(live_server, records, gzipped=False)  # the same batch, sent twice
    assert statuses(again) == [("held", None)] * len(records)
    held = from_json(again["receipt"]).payload["held"]
    assert [x["hash"] for x in held] == [r.hash for r in records]
    assert [x["index"] for x in held][1:] == indexes  # the same places, never new ones
    assert live_server.stats()["records"] == len(records) + 1  # and the server's certificate
    certs = live_server.get(f"/v1/certificates?jurisdiction={DISTRICT}")["records"]
    assert [from_json(c).payload["officer_id"] for c in certs] == ["op-a"]


def test_forged_replayed_foreign_and_revoked_records_are_refused(
    live_server: LiveServer, tmp_path: Path
) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    outsider = make_laptop(tmp_path / "c", "op-c", jurisdiction="32.01.02")
    revoked = make_laptop(tmp_path / "d", "op-d")
    stations = district_stations(a.ws)
    enter(a, stations[0])
    push(live_server, all_records(a) + all_records(outsider)[1:] + all_records(revoked)[1:])

    good = sign_sheet(a, stations[1], seed=5)
    forged_json = good.to_json()
    forged_json["payload"] = {**good.payload, "values": {**good.payload["values"], "v_p01": 999}}
    rehashed = {**forged_json, "hash": _hash_of(forged_json["payload"])}
    other_election = sign(a.key, {**good.payload, "election": "other-2024"})
    replay_seq = sign_sheet(a, stations[2], seed=9, seq=1, prev=None)  # seq 1 is used already
    foreign = sign_sheet(outsider, stations[3])  # 32.01.01 station, certificate for 32.01.02
    revocation = authority.revocations(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        version=1,
        issued="2026-02-01T00:00:00Z",
        revoked=[
            {
                "key_id": revoked.key.key_id,
                "reason": "laptop stolen",
                "time": "2026-02-01T00:00:00Z",
            }
        ],
    )
    by_revoked = sign_sheet(revoked, stations[4])
    answer = push(
        live_server,
        [forged_json, rehashed, other_election, replay_seq, foreign, revocation, by_revoked],
    )
    assert statuses(answer) == [
        ("refused", "malformed"),  # payload changed, hash not: the hash no longer matches
        ("refused", "bad_signature"),  # payload and hash changed: the signature does not match
        ("refused", "wrong_election"),
        ("refused", "equivocation"),
        ("refused", "jurisdiction"),
        ("stored", None),
        ("refused", "revoked"),
    ]
    assert all(r["detail"] for r in answer["results"] if r["status"] == "refused")
    receipt = from_json(answer["receipt"]).payload
    assert [x["hash"] for x in receipt["stored"]] == [revocation.hash]
    assert [x["reason"] for x in receipt["refused"]][-1] == "revoked"
    stats = live_server.stats()
    assert stats["equivocations"] == 1
    assert stats["sheets"] == 1
    # The same fork offered again is refused again and kept once, counted once (a one-record
    # push is pipelined on PostgreSQL: whether the evidence was new is read, not guessed).
    assert statuses(push(live_server, [replay_seq])) == [("refused", "equivocation")]
    assert live_server.stats()["equivocations"] == 1
    assert live_server.get("/v1/revocations")["records"][0]["hash"] == revocation.hash
    # The genuine record, replayed exactly, is held, never stored twice.
    assert statuses(push(live_server, all_records(a)[-1:])) == [("held", None)]


def _hash_of(payload: dict[str, Any]) -> str:
    import hashlib

    from recap_desktop.crypto.canonical import canonical_bytes

    return hashlib.sha256(canonical_bytes(payload)).hexdigest()


def test_chain_gaps_and_unknown_signers_are_refused(
    live_server: LiveServer, tmp_path: Path
) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    stations = district_stations(a.ws)
    enter(a, stations[0])
    enter(a, stations[1])
    records = all_records(a)
    answer = push(live_server, [records[0], records[1], records[3]])  # record 2 of 2 missing 1
    assert statuses(answer)[-1] == ("refused", "chain_gap")
    uncertified = push(live_server, [_stranger_sheet(tmp_path)])
    assert statuses(uncertified) == [("refused", "unknown_signer")]


def _stranger_sheet(tmp_path: Path) -> Record:
    from recap_desktop.crypto.keys import SigningKey

    key = SigningKey.generate()
    return sign(
        key,
        {
            "type": "sheet",
            "signer": key.key_id,
            "seq": 1,
            "prev": None,
            "time": "2026-02-14T10:00:00Z",
            "election": demo_service.ELECTION_ID,
            "station": "32.01.01.2001.001",
            "contest": "ppwp",
            "values": {},
            "warnings": [],
            "supersedes": None,
            "reason": None,
        },
    )


def test_other_officer_disputes_same_officer_supersedes(
    live_server: LiveServer, tmp_path: Path
) -> None:
    from recap_desktop.services.sheets import enter_sheet

    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    stations = district_stations(a.ws)
    enter(a, stations[0], seed=1)
    enter(b, stations[0], seed=2)  # another officer, other numbers: a dispute
    mistaken = enter(a, stations[1], seed=3)
    enter_sheet(
        a.ws,
        a.key,
        stations[1],
        "ppwp",
        _values(a, stations[1], 7),
        supersedes=mistaken,
        reason="typo in votes for 02",
    )  # the same officer corrects: supersedes, no dispute
    answer = push(live_server, all_records(a) + all_records(b)[1:])
    assert {r["status"] for r in answer["results"][1:]} == {"stored"}
    assert live_server.stats()["disputes"] == 1
    assert live_server.stats()["sheets"] == 4  # every version is kept
    totals = live_server.get(f"/v1/regions/{DISTRICT}/totals?contest=ppwp")["contests"][0]
    assert totals["states"] == {"disputed": 1, "corrected": 1}
    assert totals["stations_counted"] == 1 and totals["stations_expected"] == 30
    assert totals["totals"]["valid"] == _values(a, stations[1], 7)["valid"]


def _values(laptop: Any, station: str, seed: int) -> dict[str, int]:
    import random

    from recap_desktop.domain.chasil_demo import random_sheet

    election = current_election(laptop.ws)
    return random_sheet(
        election.contests["ppwp"], election.stations[station].registered, random.Random(seed)
    )


def test_bad_bodies_are_refused_whole(live_server: LiveServer) -> None:
    for body, headers in (
        (b"not json", {}),
        (json.dumps({"format": "other", "records": []}).encode(), {}),
        (b"\x1f\x8b garbage", {"Content-Encoding": "gzip"}),
    ):
        response = requests.post(
            live_server.url + "/v1/push", data=body, headers=headers, timeout=10
        )
        assert response.status_code == 400
    assert live_server.stats()["records"] == 2  # the package and the server's certificate
