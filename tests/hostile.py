"""A table of hostile records, each with the verdict every door must give it.

The base is what a holder has before the table is offered: the DEMO package, the
certificates of a few officers, a revocation list, and honest sheets and a review. Each case
is a list of records offered after the base; its verdict is the last record's. Keys come from
fixed seeds, so the table is the same on every run (docs/PROTOCOL.md §8 publishes it as
admission vectors for other implementations).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from recap_desktop.crypto import authority
from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import Record, from_json, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import demo as demo_service

ELECTION = demo_service.ELECTION_ID
S1, S2, S3 = "32.01.01.2001.001", "32.01.01.2001.002", "32.01.01.2001.003"
FAR = "32.01.02.2001.001"  # a station of another district
LATER = "2026-02-14T11:00:00Z"  # after the base's last sheet
CLOSING = "2026-02-14T14:00:00Z"  # after the base's D.Hasil


def key(name: str) -> SigningKey:
    """A test key from a published seed: it must never sign anything real."""
    return SigningKey.from_seed(hashlib.sha256(f"recap hostile table: {name}".encode()).digest())


AUTH = demo_service.demo_authority()
OP_A, OP_B, SUP = key("operator a"), key("operator b"), key("supervisor")
FAR_OP, REVOKED, EXPIRED, STRANGER = key("far"), key("revoked"), key("expired"), key("stranger")
# The recapitulation: the chair of sub-district 32.01.01, the chair of regency 32.01, a witness.
CHAIR, CHAIR_REG, WITNESS = key("chair 32.01.01"), key("chair 32.01"), key("witness")
DISTRICT = "32.01.01"
# The other sub-district, recapped and closed in the base (so that a regency's D.Hasil on its
# sub-districts' D.Hasil has a final child to rest on); a second witness of 32.01.01, who
# reports an incident with its own key; the province's chair, who rules on appeal.
FAR_DISTRICT = "32.01.02"
CHAIR_FAR, FAR_WITNESS = key("chair 32.01.02"), key("witness 32.01.02")
WITNESS2, CHAIR_PROV = key("witness two"), key("chair 32")
CHAIR2 = key("second chair 32.01.01")  # another key certified to chair 32.01.01
# Double entry and warnings: an operator and a supervisor of sub-district 32.01.01.
OP_C, SUP_D = key("operator c"), key("supervisor 32.01.01")
DUAL = key("operator and supervisor")  # certified for both roles by a case of its own

VALUES = {
    "dpt": 200, "dpt_voted": 150, "dptb_voted": 2, "dpk_voted": 1, "voted_total": 153,
    "disabled": 3, "disabled_voted": 2, "ballots_received": 204, "ballots_returned": 1,
    "ballots_unused": 50, "ballots_used": 153, "v_p01": 60, "v_p02": 50, "v_p03": 40,
    "valid": 150, "invalid": 3, "total": 153,
}  # fmt: skip


def package_record() -> Record:
    doc = json.loads((demo_service.RESOURCES / "election.json").read_text())
    return from_json(doc["records"][0])


def certificate(
    k: SigningKey,
    role: str,
    region: str,
    *,
    until: str = "2031-12-31T23:59:59Z",
    signer: SigningKey = AUTH,
    election: str = ELECTION,
) -> Record:
    return authority.certificate(
        signer,
        election=election,
        officer_id=f"{role}-{k.key_id[:8]}",
        name=f"Petugas {k.key_id[:4]}",
        role=role,
        jurisdiction=region,
        public_key=k.public_key,
        valid_from="2026-01-01T00:00:00Z",
        valid_until=until,
        issued="2026-01-01T00:00:00Z",
    )


def revocation_list(version: int, *keys: SigningKey, election: str = ELECTION) -> Record:
    return authority.revocations(
        AUTH,
        election=election,
        version=version,
        issued="2026-02-01T00:00:00Z",
        revoked=[
            {"key_id": k.key_id, "reason": "laptop stolen", "time": "2026-02-01T00:00:00Z"}
            for k in keys
        ],
    )


def sheet(
    k: SigningKey,
    seq: int,
    prev: str | None,
    station: str = S1,
    *,
    time: str = "2026-02-14T10:00:00Z",
    values: dict[str, int] | None = None,
    **changes: Any,
) -> Record:
    payload: dict[str, Any] = {
        "type": "sheet",
        "signer": k.key_id,
        "seq": seq,
        "prev": prev,
        "time": time,
        "election": ELECTION,
        "station": station,
        "contest": "ppwp",
        "values": dict(VALUES if values is None else values),
        "warnings": [],
        "supersedes": None,
        "reason": None,
        **changes,
    }
    return sign(k, payload)


def requirement(
    k: SigningKey,
    seq: int,
    prev: str | None,
    region: str = DISTRICT,
    *,
    time: str = "2026-02-14T09:00:00Z",
    **changes: Any,
) -> Record:
    payload: dict[str, Any] = {
        "type": "requirement",
        "signer": k.key_id,
        "seq": seq,
        "prev": prev,
        "time": time,
        "election": ELECTION,
        "region": region,
        "double_entry": True,
        **changes,
    }
    return sign(k, payload)


def review(
    k: SigningKey,
    seq: int,
    prev: str | None,
    target: Record,
    decision: str = "approve",
    *,
    time: str = "2026-02-14T11:00:00Z",
    **changes: Any,
) -> Record:
    payload: dict[str, Any] = {
        "type": "review",
        "signer": k.key_id,
        "seq": seq,
        "prev": prev,
        "time": time,
        "election": ELECTION,
        "station": target.payload["station"],
        "contest": target.payload["contest"],
        "sheet": target.hash,
        "decision": decision,
        "reason": None if decision == "approve" else "angka tidak sesuai kertas",
        **changes,
    }
    return sign(k, payload)


def objection(
    k: SigningKey,
    seq: int,
    prev: str | None,
    place: str = S1,
    *,
    time: str = "2026-02-14T11:05:00Z",
    **changes: Any,
) -> Record:
    payload: dict[str, Any] = {
        "type": "objection",
        "signer": k.key_id,
        "seq": seq,
        "prev": prev,
        "time": time,
        "election": ELECTION,
        "place": place,
        "contest": "ppwp",
        "kind": "objection",
        "witness": {"name": "Saksi Satu", "represents": "Paslon 02"},
        "paper": None,
        "subject": "suara paslon 02 di TPS 001 kurang satu",
        **changes,
    }
    return sign(k, payload)


def resolution(
    k: SigningKey,
    seq: int,
    prev: str | None,
    target: Record,
    *,
    time: str = "2026-02-14T11:10:00Z",
    **changes: Any,
) -> Record:
    payload: dict[str, Any] = {
        "type": "resolution",
        "signer": k.key_id,
        "seq": seq,
        "prev": prev,
        "time": time,
        "election": ELECTION,
        "objection": target.hash,
        "place": target.payload["place"],
        "contest": target.payload["contest"],
        "decision": "rejected",
        "reason": "dicocokkan dengan C.Hasil: angka sesuai",
        "overrides": [],
        **changes,
    }
    return sign(k, payload)


def stations_of(region: str, contest: str = "ppwp") -> list[str]:
    """The package's stations inside a region holding the contest, in code order."""
    stations = package_record().payload["stations"]
    return sorted(
        s["code"]
        for s in stations
        if s["code"].startswith(region + ".") and contest in s["contests"]
    )


def dhasil(
    k: SigningKey,
    seq: int,
    prev: str | None,
    children: dict[str, Record],
    *,
    region: str = DISTRICT,
    expected: list[str] | None = None,
    objections: Sequence[tuple[Record, Record | None]] = (),
    final: bool = False,
    totals: dict[str, int] | None = None,
    time: str = "2026-02-14T11:15:00Z",
    **changes: Any,
) -> Record:
    """A D.Hasil of ``region`` resting on ``children`` (code -> sheet or child D.Hasil), every
    other expected child pending, its totals their sum unless given."""
    codes = stations_of(region) if expected is None else expected
    summed: dict[str, int] = {}
    for child in children.values() if totals is None else ():
        numbers = child.payload.get("values") or child.payload.get("totals") or {}
        for name, value in numbers.items():
            summed[name] = summed.get(name, 0) + value
    payload: dict[str, Any] = {
        "type": "dhasil",
        "signer": k.key_id,
        "seq": seq,
        "prev": prev,
        "time": time,
        "election": ELECTION,
        "region": region,
        "contest": "ppwp",
        "basis": "sheets",
        "totals": summed if totals is None else totals,
        "children": [{"code": c, "record": r.hash} for c, r in sorted(children.items())],
        "pending": [{"code": c, "state": "not_entered"} for c in codes if c not in children],
        "objections": sorted(
            ({"objection": o.hash, "resolution": r.hash if r else None} for o, r in objections),
            key=lambda e: e["objection"],
        ),
        "final": final,
        "supersedes": None,
        "reason": None,
        **changes,
    }
    return sign(k, payload)


@dataclass(frozen=True)
class Case:
    name: str
    records: list[Any]  # offered in order after the base: Records, or raw JSON objects
    expect: str | None  # the last record's refusal, or None: admitted
    why: str = ""

    def wire(self) -> list[dict[str, Any]]:
        return [r.to_json() if isinstance(r, Record) else r for r in self.records]


@dataclass(frozen=True)
class Table:
    base: list[Record]
    cases: list[Case] = field(default_factory=list)


def _small_order_certificate() -> Record:
    """A certificate for the neutral element as a key: signed by the authority by hand (the
    program's own certificate function refuses to make it)."""
    neutral = bytes([1]) + bytes(31)
    return sign(
        AUTH,
        {
            "type": "certificate",
            "election": ELECTION,
            "officer_id": "operator-neutral",
            "name": "Petugas Netral",
            "role": "operator",
            "jurisdiction": "32.01.01",
            "public_key": neutral.hex(),
            "key_id": hashlib.sha256(neutral).hexdigest(),
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_until": "2031-12-31T23:59:59Z",
            "issued": "2026-01-01T00:00:00Z",
        },
    )


def _rehash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(payload)).hexdigest()


@dataclass(frozen=True)
class Far:
    """Sub-district 32.01.02 closed: a sheet of every station by FAR_OP, a witness's
    objection ruled on by its chair, and the chair's final D.Hasil naming them all."""

    sheets: list[Record]
    objection: Record
    ruling: Record
    final: Record


def far_district() -> Far:
    sheets: list[Record] = []
    for i, station in enumerate(stations_of(FAR_DISTRICT)):
        prev = sheets[-1].hash if sheets else None
        sheets.append(sheet(FAR_OP, i + 1, prev, station, time="2026-02-14T09:00:00Z"))
    filed = objection(
        FAR_WITNESS, 1, None, FAR, subject="saksi tidak diberi salinan C.Hasil di TPS 001"
    )
    ruling = resolution(
        CHAIR_FAR, 1, None, filed, decision="accepted", reason="salinan diberikan di pleno"
    )
    final = dhasil(
        CHAIR_FAR,
        2,
        ruling.hash,
        {r.payload["station"]: r for r in sheets},
        region=FAR_DISTRICT,
        objections=[(filed, ruling)],
        final=True,
    )
    return Far(sheets, filed, ruling, final)


# Photos a sheet names (PROTOCOL §4): the hashes of stand-in bytes, in ascending order.
PHOTO_A = {"bytes": 2_345_678, "sha256": "0f" + "1" * 62, "type": "image/jpeg"}
PHOTO_B = {"bytes": 812_004, "sha256": "a0" + "2" * 62, "type": "image/png"}


def table() -> Table:
    package = package_record()
    a1 = sheet(OP_A, 1, None, S1)
    a2 = sheet(OP_A, 2, a1.hash, S2, time="2026-02-14T10:30:00Z")
    approval = review(SUP, 1, None, a1)
    filed = objection(WITNESS, 1, None)
    ruling = resolution(CHAIR, 1, None, filed)
    interim = dhasil(CHAIR, 2, ruling.hash, {S1: a1, S2: a2}, objections=[(filed, ruling)])
    far = far_district()
    incident = objection(
        WITNESS2, 1, None, S2, kind="incident", witness=None,
        subject="kotak suara tiba tanpa segel di PPK",
    )  # fmt: skip
    dual_sheet = sheet(DUAL, 1, None, S3, time=LATER)  # its own review of it is a case
    base = [
        package,
        certificate(OP_A, "operator", "32.01.01"),
        certificate(OP_B, "operator", "32.01.01"),
        certificate(SUP, "supervisor", "32.01"),
        certificate(FAR_OP, "operator", "32.01.02"),
        certificate(REVOKED, "operator", "32.01.01"),
        certificate(EXPIRED, "operator", "32.01.01", until="2026-02-01T00:00:00Z"),
        revocation_list(1, REVOKED),
        a1,
        a2,
        approval,
        certificate(CHAIR, "chair", DISTRICT),
        certificate(CHAIR_REG, "chair", "32.01"),
        certificate(WITNESS, "witness", DISTRICT),
        filed,
        ruling,
        interim,
        # appended after the first revision's base: the indices above stay as they were
        certificate(CHAIR_FAR, "chair", FAR_DISTRICT),
        certificate(FAR_WITNESS, "witness", FAR_DISTRICT),
        certificate(WITNESS2, "witness", DISTRICT),
        certificate(CHAIR_PROV, "chair", "32"),
        certificate(CHAIR2, "chair", DISTRICT),
        *far.sheets,
        far.objection,
        far.ruling,
        far.final,
        incident,
        certificate(OP_C, "operator", DISTRICT),
        certificate(SUP_D, "supervisor", DISTRICT),
        certificate(DUAL, "operator", DISTRICT),
        certificate(DUAL, "supervisor", DISTRICT),
        dual_sheet,
    ]
    forged_payload = {**a2.to_json(), "payload": {**a2.payload, "values": {**VALUES, "v_p01": 99}}}
    rehashed = {**forged_payload, "hash": _rehash(forged_payload["payload"])}
    authority_sheet = sign(AUTH, {**a1.payload, "signer": AUTH.key_id, "station": S3})
    extra = sign(OP_B, {**sheet(OP_B, 1, None, S3).payload, "photo": "x"})
    bad_sum = {**VALUES, "total": 154}
    zeros = dict.fromkeys(VALUES, 0)
    zero_names = ["zero_votes", "dpt_matches_package", "bound:all_zero"]
    invalid_heavy = {**VALUES, "v_p01": 40, "valid": 130, "invalid": 23}  # 15% invalid
    missing = {k: v for k, v in VALUES.items() if k != "invalid"}
    other_pkg = {**package.payload, "name": {"id": "Paket lain", "en": "Another package"}}
    expired_pkg = {**package.payload, "version": 2, "expires": "2026-02-02T00:00:00Z"}
    expired_pkg["issued"] = "2026-01-16T00:00:00Z"
    s2_review = review(SUP, 2, approval.hash, a2, overrides=[approval.hash])
    children = {S1: a1, S2: a2}
    seen = [(filed, ruling)]
    off_by_one = {**interim.payload["totals"], "v_p02": interim.payload["totals"]["v_p02"] + 1}
    forgets = stations_of(DISTRICT)[:-1]
    regency = dhasil(
        CHAIR_REG, 1, None, {DISTRICT: interim}, region="32.01", basis="recaps",
        expected=["32.01.01", "32.01.02"],
    )  # fmt: skip
    twice = dhasil(CHAIR, 3, interim.hash, children, objections=seen)
    twice_payload = {**twice.payload, "pending": sorted(
        [*twice.payload["pending"], {"code": S1, "state": "disputed"}], key=lambda e: e["code"]
    )}  # fmt: skip
    correction = dhasil(
        CHAIR, 3, interim.hash, children, objections=seen, time=CLOSING,
        supersedes=interim.hash, reason="salah tulis nama TPS",
    )  # fmt: skip
    negative = {**interim.payload["totals"], "v_p03": -1}
    far_totals = far.final.payload["totals"]
    regency_off = {**far_totals, "v_p01": far_totals["v_p01"] - 1}
    far_absent = dhasil(
        CHAIR_FAR, 3, far.final.hash, {r.payload["station"]: r for r in far.sheets},
        region=FAR_DISTRICT, objections=[(far.objection, far.ruling)], final=True,
        time=CLOSING, supersedes=far.final.hash, reason="tidak pernah dikirim",
    )  # fmt: skip
    cases = [
        Case("payload_changed", [forged_payload], "malformed", "the hash no longer matches"),
        Case("payload_rehashed", [rehashed], "bad_signature", "the signature no longer matches"),
        Case(
            "other_election",
            [sign(OP_B, {**sheet(OP_B, 1, None, S3).payload, "election": "other-2024"})],
            "wrong_election",
        ),
        Case("fork", [sheet(OP_A, 1, None, S3)], "equivocation", "a second record number 1"),
        Case("out_of_region", [sheet(FAR_OP, 1, None, S1)], "jurisdiction"),
        Case("revoked_key", [sheet(REVOKED, 1, None, S3)], "revoked"),
        Case("stranger", [sheet(STRANGER, 1, None, S3)], "unknown_signer"),
        Case("operator_review", [review(OP_B, 1, None, a1)], "role"),
        Case("authority_signs_a_sheet", [authority_sheet], "role"),
        Case("breaks_a_rule", [sheet(OP_B, 1, None, S3, values=bad_sum)], "breaks_rule"),
        Case("values_missing", [sheet(OP_B, 1, None, S3, values=missing)], "bad_values"),
        Case("unknown_station", [sheet(OP_B, 1, None, "32.01.01.2001.099")], "unknown_station"),
        Case("unknown_contest", [sheet(OP_B, 1, None, S3, contest="dpd")], "unknown_contest"),
        Case("chain_gap", [sheet(OP_A, 4, a2.hash, S3)], "chain_gap"),
        Case("chain_prev", [sheet(OP_A, 3, a1.hash, S3)], "chain_prev"),
        Case("basic_time_format", [sheet(OP_B, 1, None, S3, time="20260214T100000Z")], "malformed"),
        # Photos of the paper (PROTOCOL §4 `photos`, §9.8): only the list's shape is checked.
        Case(
            "photos_out_of_order",
            [sheet(OP_B, 1, None, S3, photos=[PHOTO_B, PHOTO_A])],
            "malformed",
        ),
        Case(
            "photo_over_10_mib",
            [sheet(OP_B, 1, None, S3, photos=[{**PHOTO_A, "bytes": 10 * 1024 * 1024 + 1}])],
            "malformed",
        ),
        Case(
            "photo_not_png_or_jpeg",
            [sheet(OP_B, 1, None, S3, photos=[{**PHOTO_A, "type": "image/svg+xml"}])],
            "malformed",
        ),
        Case(
            "photo_member_too_many",
            [sheet(OP_B, 1, None, S3, photos=[{**PHOTO_A, "url": "http://x.example/a.jpg"}])],
            "malformed",
        ),
        Case(
            "time_goes_back",
            [sheet(OP_A, 3, a2.hash, S3, time="2026-02-14T10:00:00Z")],
            "time_order",
        ),
        Case(
            "back_dated_after_expiry",
            [sheet(EXPIRED, 1, None, S3, time="2026-01-20T10:00:00Z")],
            "certificate_expired",
            "claims a time inside a certificate that ended before the record was seen",
        ),
        Case(
            "corrects_another_station",
            [sheet(OP_A, 3, a2.hash, S3, time=LATER, supersedes=a1.hash, reason="salah")],
            "dangling",
        ),
        Case(
            "reviews_an_absent_sheet",
            [review(SUP, 2, approval.hash, sheet(OP_B, 1, None, S3))],
            "dangling",
        ),
        Case("overrides_another_station", [s2_review], "dangling"),
        Case(
            "reviews_its_own_sheet",
            [review(DUAL, 2, dual_sheet.hash, dual_sheet, time=LATER)],
            "self_review",
            "a key certified both to enter and to review approves its own sheet",
        ),
        Case("a_member_too_many", [extra], "malformed"),
        Case(
            "certificate_of_another_election",
            [certificate(STRANGER, "supervisor", "32", election="other-2024")],
            "wrong_election",
        ),
        Case(
            "revocations_of_another_election",
            [revocation_list(2, OP_A, election="other-2024")],
            "wrong_election",
        ),
        Case("expired_package_newer_version", [sign(AUTH, expired_pkg)], "expired"),
        Case("two_packages_one_version", [sign(AUTH, other_pkg)], "equivocation"),
        Case(
            "self_signed_certificate",
            [certificate(STRANGER, "supervisor", "32", signer=STRANGER)],
            "bad_signature",
        ),
        Case("small_order_key_certified", [_small_order_certificate()], "malformed"),
        Case("offered_again", [a2], None, "a record held already: held, nothing changes"),
        Case(
            "time_before_the_certificate",
            [sheet(OP_B, 1, None, S3, time="2025-12-31T23:00:00Z")],
            "certificate_expired",
            "claims a time before the certificate began",
        ),
        Case(
            "two_revocation_lists_one_version",
            [revocation_list(1, REVOKED, OP_B)],
            "equivocation",
        ),
        # The recapitulation (D.Hasil, objections, rulings).
        Case(
            "dhasil_off_by_one_vote",
            [dhasil(CHAIR, 3, interim.hash, children, objections=seen, totals=off_by_one)],
            "bad_totals",
            "its totals give paslon 02 one vote more than the two sheets it names",
        ),
        Case(
            "dhasil_names_another_stations_sheet",
            [dhasil(CHAIR, 3, interim.hash, {S1: a2, S2: a1}, objections=seen)],
            "dangling",
        ),
        Case(
            "dhasil_forgets_a_station",
            [dhasil(CHAIR, 3, interim.hash, children, objections=seen, expected=forgets)],
            "bad_children",
        ),
        Case(
            "dhasil_counts_a_station_and_calls_it_pending",
            [sign(CHAIR, twice_payload)],
            "bad_children",
        ),
        Case(
            "dhasil_final_with_stations_pending",
            [dhasil(CHAIR, 3, interim.hash, children, objections=seen, final=True)],
            "not_closed",
        ),
        Case(
            "dhasil_final_with_an_objection_not_ruled",
            [
                dhasil(
                    CHAIR_FAR,
                    3,
                    far.final.hash,
                    {r.payload["station"]: r for r in far.sheets},
                    region=FAR_DISTRICT,
                    objections=[(far.objection, None)],
                    final=True,
                    time=CLOSING,
                    supersedes=far.final.hash,
                    reason="keberatan dibuka lagi",
                )
            ],
            "not_closed",
            "every station counted; the one objection it names has no ruling",
        ),
        Case("dhasil_by_an_operator", [dhasil(OP_A, 3, a2.hash, children)], "role"),
        Case(
            "dhasil_by_the_regency_chair_for_a_sub_district",
            [dhasil(CHAIR_REG, 1, None, children)],
            "jurisdiction",
            "a chair signs the D.Hasil of exactly its own region",
        ),
        Case(
            "dhasil_of_a_village",
            [
                dhasil(
                    CHAIR,
                    3,
                    interim.hash,
                    {S1: a1},
                    region="32.01.01.2001",
                    expected=stations_of("32.01.01.2001"),
                )
            ],
            "unknown_region",
        ),
        Case(
            "dhasil_of_a_sub_district_from_recaps",
            [dhasil(CHAIR, 3, interim.hash, children, basis="recaps")],
            "bad_children",
        ),
        Case(
            "regency_dhasil_on_an_interim_child",
            [regency],
            "bad_children",
            "a level above rests only on final D.Hasil",
        ),
        Case(
            "dhasil_names_an_objection_of_another_district",
            [dhasil(CHAIR, 3, interim.hash, children, objections=[*seen, (far.objection, None)])],
            "dangling",
            "the objection is held, but filed in 32.01.02: not inside the region",
        ),
        Case(
            "dhasil_names_an_objection_not_held",
            [
                dhasil(
                    CHAIR,
                    3,
                    interim.hash,
                    children,
                    objections=[*seen, (objection(WITNESS, 2, filed.hash, S3), None)],
                )
            ],
            "dangling",
        ),
        Case(
            "dhasil_names_a_ruling_on_another_objection",
            [dhasil(CHAIR, 3, interim.hash, children, objections=[*seen, (incident, ruling)])],
            "dangling",
            "the ruling it names for the incident rules on the witness's objection",
        ),
        Case(
            "dhasil_supersedes_nothing_held",
            [
                dhasil(
                    CHAIR,
                    3,
                    interim.hash,
                    children,
                    objections=seen,
                    supersedes=_rehash({"nothing": "held"}),
                    reason="versi baru",
                )
            ],
            "dangling",
        ),
        Case(
            "dhasil_supersedes_another_chairs_dhasil",
            [
                dhasil(
                    CHAIR2,
                    1,
                    None,
                    children,
                    objections=seen,
                    supersedes=interim.hash,
                    reason="versi baru",
                )
            ],
            "dangling",
            "another chair of the same region: a D.Hasil replaces only its own signer's",
        ),
        Case(
            "dhasil_totals_not_counts",
            [dhasil(CHAIR, 3, interim.hash, children, objections=seen, totals=negative)],
            "bad_values",
        ),
        Case(
            "dhasil_of_a_contest_no_station_holds",
            [dhasil(CHAIR, 3, interim.hash, children, objections=seen, contest="dpd")],
            "unknown_contest",
        ),
        Case(
            "regency_dhasil_off_by_one_vote",
            [
                dhasil(
                    CHAIR_REG,
                    1,
                    None,
                    {FAR_DISTRICT: far.final},
                    region="32.01",
                    basis="recaps",
                    expected=["32.01.01", "32.01.02"],
                    totals=regency_off,
                )
            ],
            "bad_totals",
            "a regency's totals are one vote off the final D.Hasil of the sub-district it names",
        ),
        Case(
            "regency_dhasil_on_an_interim_child_and_an_absent_one",
            [
                dhasil(
                    CHAIR_REG,
                    1,
                    None,
                    {DISTRICT: interim, FAR_DISTRICT: far_absent},
                    region="32.01",
                    basis="recaps",
                    expected=["32.01.01", "32.01.02"],
                )
            ],
            "bad_children",
            "children are checked one by one in code order: the first is held and not final",
        ),
        Case(
            "objection_of_a_contest_its_place_does_not_hold",
            [objection(WITNESS, 2, filed.hash, contest="dpd")],
            "unknown_contest",
        ),
        Case(
            "objection_without_paper_by_an_operator",
            [objection(OP_B, 1, None, S3)],
            "role",
            "without a paper form only a witness's own key signs an objection",
        ),
        Case(
            "incident_without_paper_by_a_chair",
            [objection(CHAIR, 3, interim.hash, S3, kind="incident", witness=None, time=CLOSING)],
            "role",
        ),
        Case(
            "ruling_notes_an_objection",
            [resolution(CHAIR_PROV, 1, None, filed, decision="noted")],
            "bad_ruling",
            "an objection is upheld or dismissed, never only noted",
        ),
        Case(
            "ruling_accepts_an_incident",
            [resolution(CHAIR_PROV, 1, None, incident, decision="accepted")],
            "bad_ruling",
            "an incident is noted",
        ),
        Case(
            "ruling_overrides_a_ruling_on_another_objection",
            [resolution(CHAIR_PROV, 1, None, filed, overrides=[far.ruling.hash])],
            "dangling",
        ),
        Case(
            "ruling_overrides_nothing_held",
            [resolution(CHAIR_PROV, 1, None, filed, overrides=[_rehash({"nothing": "held"})])],
            "dangling",
        ),
        Case(
            "ruling_by_a_chair_of_another_district",
            [resolution(CHAIR_FAR, 3, far.final.hash, filed, time=CLOSING)],
            "jurisdiction",
        ),
        Case("objection_by_a_supervisor", [objection(SUP, 2, approval.hash)], "role"),
        Case(
            "objection_outside_the_witness_region",
            [objection(WITNESS, 2, filed.hash, FAR)],
            "jurisdiction",
        ),
        Case(
            "objection_at_an_unknown_place",
            [objection(WITNESS, 2, filed.hash, "32.01.01.2001.099")],
            "unknown_region",
        ),
        Case(
            "objection_without_its_witness",
            [objection(WITNESS, 2, filed.hash, witness=None)],
            "malformed",
        ),
        Case("resolution_by_a_witness", [resolution(WITNESS, 2, filed.hash, filed)], "role"),
        Case(
            "resolution_of_an_absent_objection",
            [resolution(CHAIR, 3, interim.hash, objection(OP_B, 1, None, S3), time=CLOSING)],
            "dangling",
        ),
        Case(
            "resolution_at_another_place",
            [resolution(CHAIR, 3, interim.hash, filed, place=S2, time=CLOSING)],
            "dangling",
        ),
        # Warnings of the package (§4): a sheet that fires one carries it and a reason.
        Case(
            "all_zero_without_a_reason",
            [sheet(OP_B, 1, None, S3, values=zeros)],
            "unacknowledged_warning",
            "every number zero at a station with voters, signed as if nothing were odd",
        ),
        Case(
            "all_zero_reason_without_the_warning",
            [sheet(OP_B, 1, None, S3, values=zeros, warnings_reason="dicek di kertas")],
            "unacknowledged_warning",
            "a reason, but the warning it answers is not listed",
        ),
        Case(
            "invalid_share_without_a_reason",
            [sheet(OP_B, 1, None, S3, values=invalid_heavy)],
            "unacknowledged_warning",
        ),
        Case(
            "blank_warnings_reason",
            [sheet(OP_B, 1, None, S3, values=zeros, warnings=zero_names, warnings_reason=" ")],
            "malformed",
        ),
        Case(
            "double_entry_not_a_key",
            [sheet(OP_B, 1, None, S3, double_entry={"second": "operator b"})],
            "malformed",
        ),
        Case("requirement_by_an_operator", [requirement(OP_B, 1, None)], "role"),
        Case(
            "requirement_outside_the_supervisors_region",
            [requirement(SUP_D, 1, None, FAR_DISTRICT)],
            "jurisdiction",
        ),
        Case(
            "requirement_of_no_region",
            [requirement(SUP, 2, approval.hash, "32.01.09")],
            "unknown_region",
        ),
        Case(
            "requirement_not_a_boolean",
            [requirement(SUP, 2, approval.hash, double_entry="yes")],
            "malformed",
        ),
        # Admitted last: they change what later records are checked against.
        Case(
            "future_dated_review",
            [review(SUP, 2, approval.hash, a2, "reject", time="2030-01-01T00:00:00Z")],
            None,
            "a claimed time in the future is admitted: it is a claim, and decides nothing",
        ),
        Case(
            "honest_sheet",
            [sheet(OP_A, 3, a2.hash, S3, time=LATER, photos=[PHOTO_A, PHOTO_B])],
            None,
            "it names two photos of its paper (§4): only the list's shape is checked",
        ),
        Case(
            "honest_incident_entered_from_paper",
            [
                objection(
                    OP_B,
                    1,
                    None,
                    S3,
                    kind="incident",
                    witness=None,
                    paper="D.KK-01",
                    subject="listrik padam 30 menit saat penghitungan",
                )
            ],
            None,
        ),
        Case(
            "honest_dhasil_correction",
            [correction],
            None,
            "a new version naming the old one, with a reason, as sheets do",
        ),
        Case(
            "honest_regency_dhasil_on_its_sub_districts",
            [
                dhasil(
                    CHAIR_REG,
                    1,
                    None,
                    {FAR_DISTRICT: far.final},
                    region="32.01",
                    basis="recaps",
                    expected=["32.01.01", "32.01.02"],
                    objections=[(filed, ruling), (far.objection, far.ruling), (incident, None)],
                )
            ],
            None,
            "resting on the final D.Hasil of 32.01.02; 32.01.01, still interim, pending",
        ),
        Case(
            "honest_incident_signed_by_a_witness",
            [objection(WITNESS, 2, filed.hash, S3, kind="incident", witness=None)],
            None,
            "a witness's own key may report an incident too; it need not name a witness",
        ),
        Case(
            "honest_appeal_overrides_a_ruling",
            [
                resolution(
                    CHAIR_PROV,
                    1,
                    None,
                    filed,
                    decision="accepted",
                    overrides=[ruling.hash],
                    reason="banding: suara dihitung ulang, paslon 02 bertambah satu",
                )
            ],
            None,
            "the province's chair rules again on an objection, naming the ruling it replaces",
        ),
        Case(
            "honest_all_zero_sheet_acknowledged",
            [
                sheet(
                    OP_C, 1, None, S3, values=zeros, warnings=zero_names,
                    warnings_reason="TPS tidak dibuka: banjir",
                    double_entry={"second": OP_B.key_id},
                ),
            ],
            None,
            "the warnings listed and a reason given; typed twice, the second time by OP_B",
        ),
        Case(
            "honest_requirement_of_double_entry",
            [requirement(SUP_D, 1, None)],
            None,
            "a supervisor of 32.01.01 requires double entry inside it",
        ),
    ]  # fmt: skip
    return Table(base, cases)
