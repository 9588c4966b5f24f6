"""The one verification algorithm (docs/PROTOCOL.md, "Verifying"), shared by `recap verify`,
bundle import, pulls and the server.

It is split so that the expensive part, one signature per record, is a pure function of a
record and an immutable ``Trust``: callers may run it over chunks in several processes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from recap_desktop.crypto.envelope import CHAINED_TYPES, Record
from recap_desktop.crypto.keys import BadPublicKey, check_public_key, key_id
from recap_desktop.domain.election import Election, ElectionError, in_region, parse_time

ROLE_FOR_TYPE = {"sheet": "operator", "review": "supervisor"}
AUTHORITY_TYPES = frozenset({"election", "certificate", "revocations"})

ERROR, NOTICE = "error", "notice"


@dataclass(frozen=True)
class Problem:
    """One finding. ``kind`` is a stable name (the message catalogue translates it)."""

    record: str | None
    kind: str
    detail: str
    severity: str = ERROR

    def to_json(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "kind": self.kind,
            "severity": self.severity,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Certificate:
    record: str
    election: str
    officer_id: str
    name: str
    role: str
    jurisdiction: str
    public_key: bytes
    key_id: str
    valid_from: datetime
    valid_until: datetime

    @classmethod
    def from_record(cls, record: Record) -> Certificate:
        p = record.payload
        try:
            public_key = bytes.fromhex(p["public_key"])
            check_public_key(public_key)
            if key_id(public_key) != p["key_id"]:
                raise ValueError("key_id is not the SHA-256 of public_key")
            if p["role"] not in ("operator", "supervisor"):
                raise ValueError(f"unknown role {p['role']!r}")
            return cls(
                record=record.hash,
                election=str(p["election"]),
                officer_id=str(p["officer_id"]),
                name=str(p["name"]),
                role=p["role"],
                jurisdiction=str(p["jurisdiction"]),
                public_key=public_key,
                key_id=p["key_id"],
                valid_from=parse_time(p["valid_from"], "valid_from"),
                valid_until=parse_time(p["valid_until"], "valid_until"),
            )
        except (KeyError, TypeError, ValueError, BadPublicKey, ElectionError) as exc:
            raise ValueError(f"certificate {record.hash[:16]}… is malformed: {exc}") from exc


@dataclass(frozen=True)
class Trust:
    """What a verifier believes before looking at officers' records."""

    authority_key: bytes
    election: Election | None
    election_record: str | None = None
    certificates: Mapping[str, tuple[Certificate, ...]] = field(default_factory=dict)
    revoked: Mapping[str, str] = field(default_factory=dict)  # key id -> reason
    revocations_version: int = 0
    known_keys: Mapping[str, bytes] = field(default_factory=dict)  # uncertified, e.g. our own

    @cached_property
    def authority_id(self) -> str:
        return key_id(self.authority_key)

    def public_key(self, signer: str) -> bytes | None:
        certs = self.certificates.get(signer)
        if certs:
            return certs[0].public_key
        return self.known_keys.get(signer)


def build_trust(
    authority_key: bytes,
    authority_records: Iterable[Record],
    known_keys: Mapping[str, bytes] | None = None,
) -> tuple[Trust, list[Problem]]:
    """Choose the newest valid election package, the certificates and the newest revocations."""
    authority_id = key_id(authority_key)
    problems: list[Problem] = []
    packages: list[tuple[int, Record, Election]] = []
    cert_records: list[Record] = []
    revocations: list[Record] = []
    for record in authority_records:
        if record.signer != authority_id or not record.verify_signature(authority_key):
            problems.append(
                Problem(record.hash, "bad_signature", f"{record.type} not signed by the authority")
            )
            continue
        if record.type == "election":
            try:
                election = Election.from_payload(record.payload)
            except ElectionError as exc:
                problems.append(Problem(record.hash, "malformed", str(exc)))
                continue
            packages.append((election.version, record, election))
        elif record.type == "certificate":
            cert_records.append(record)
        elif record.type == "revocations":
            revocations.append(record)
    if not packages:
        return Trust(authority_key, None, known_keys=dict(known_keys or {})), problems
    packages.sort(key=lambda item: item[0])
    _, package_record, election = packages[-1]
    for version, record, other in packages[:-1]:
        if other.id != election.id:
            problems.append(
                Problem(record.hash, "wrong_election", f"package for {other.id}, not {election.id}")
            )
        elif version == election.version and record.hash != package_record.hash:
            problems.append(
                Problem(record.hash, "equivocation", f"two different packages as version {version}")
            )
    certificates: dict[str, list[Certificate]] = {}
    for record in cert_records:
        try:
            cert = Certificate.from_record(record)
        except ValueError as exc:
            problems.append(Problem(record.hash, "malformed", str(exc)))
            continue
        if cert.election != election.id:
            problems.append(
                Problem(record.hash, "wrong_election", f"certificate for election {cert.election}")
            )
            continue
        certificates.setdefault(cert.key_id, []).append(cert)
    revoked: dict[str, str] = {}
    revocations_version = 0
    newest = max(
        (r for r in revocations if r.payload.get("election") == election.id),
        key=lambda r: int(r.payload.get("version", 0)),
        default=None,
    )
    if newest is not None:
        revocations_version = int(newest.payload.get("version", 0))
        for entry in newest.payload.get("revoked", []):
            if isinstance(entry, dict) and isinstance(entry.get("key_id"), str):
                revoked[entry["key_id"]] = str(entry.get("reason", ""))
    trust = Trust(
        authority_key=authority_key,
        election=election,
        election_record=package_record.hash,
        certificates={k: tuple(v) for k, v in certificates.items()},
        revoked=revoked,
        revocations_version=revocations_version,
        known_keys=dict(known_keys or {}),
    )
    return trust, problems


def check_record(record: Record, trust: Trust) -> list[Problem]:
    """Everything about one officer record that does not need the other records."""
    if record.type in AUTHORITY_TYPES:
        if record.signer != trust.authority_id or not record.verify_signature(trust.authority_key):
            return [Problem(record.hash, "bad_signature", "not signed by the election authority")]
        return []
    if record.type not in CHAINED_TYPES:
        return [Problem(record.hash, "malformed", f"unknown record type {record.type!r}")]
    if record.signer == trust.authority_id:
        # The authority certifies officers; it never enters or reviews sheets itself (and the
        # DEMO authority's seed is public, so anyone could sign as it).
        return [Problem(record.hash, "role", f"the election authority never signs a {record.type}")]
    public_key = trust.public_key(record.signer)
    if public_key is None:
        return [
            Problem(record.hash, "unknown_signer", f"no certificate for key {record.signer[:16]}…")
        ]
    if not record.verify_signature(public_key):
        return [Problem(record.hash, "bad_signature", "the signature does not verify")]
    problems: list[Problem] = []
    p = record.payload
    election = trust.election
    if election is None:
        return [Problem(record.hash, "no_election", "no election package to check it against")]
    if p.get("election") != election.id:
        problems.append(
            Problem(record.hash, "wrong_election", f"signed for election {p.get('election')!r}")
        )
        return problems
    try:
        when = parse_time(p.get("time"), "time")
    except ElectionError as exc:
        return [Problem(record.hash, "malformed", str(exc))]
    station_code = p.get("station")
    station = election.stations.get(station_code) if isinstance(station_code, str) else None
    if station is None:
        problems.append(Problem(record.hash, "unknown_station", f"station {station_code!r}"))
    elif p.get("contest") not in station.contests:
        problems.append(
            Problem(
                record.hash, "unknown_contest", f"contest {p.get('contest')!r} at {station.code}"
            )
        )
    if record.signer in trust.revoked:
        problems.append(Problem(record.hash, "revoked", trust.revoked[record.signer] or "revoked"))
    certs = trust.certificates.get(record.signer, ())
    if not certs:
        problems.append(
            Problem(record.hash, "uncertified", "key not yet certified", severity=NOTICE)
        )
    else:
        timely = [c for c in certs if c.valid_from <= when <= c.valid_until]
        if not timely:
            problems.append(
                Problem(record.hash, "certificate_expired", f"signed at {p.get('time')}")
            )
        need = ROLE_FOR_TYPE[record.type]
        if not any(c.role == need for c in timely or certs):
            problems.append(Problem(record.hash, "role", f"a {record.type} needs role {need}"))
        elif station is not None and not any(
            c.role == need and in_region(station.code, c.jurisdiction) for c in timely or certs
        ):
            problems.append(
                Problem(
                    record.hash, "jurisdiction", f"{station.code} is outside the signer's region"
                )
            )
    if record.type == "sheet" and station is not None and p.get("contest") in election.contests:
        problems.extend(_check_sheet(record, election, station.registered))
    if record.type == "review":
        if p.get("decision") not in ("approve", "reject"):
            problems.append(Problem(record.hash, "malformed", "decision is approve or reject"))
        if p.get("decision") == "reject" and not (isinstance(p.get("reason"), str) and p["reason"]):
            problems.append(Problem(record.hash, "malformed", "a rejection needs a reason"))
        if not isinstance(p.get("sheet"), str):
            problems.append(Problem(record.hash, "malformed", "a review names its sheet"))
    return problems


def _check_sheet(record: Record, election: Election, registered: int) -> list[Problem]:
    p = record.payload
    form = election.contests[p["contest"]].form
    values = p.get("values")
    if not isinstance(values, dict):
        return [Problem(record.hash, "bad_values", "values must be an object")]
    value_problems = form.check_values(values)
    if value_problems:
        listed = ", ".join(f"{vp.field} ({vp.kind})" for vp in value_problems[:5])
        return [Problem(record.hash, "bad_values", listed)]
    broken = [
        v.rule for v in form.evaluate(values, {"registered": registered}) if v.severity == "error"
    ]
    out = []
    if broken:
        out.append(Problem(record.hash, "breaks_rule", ", ".join(broken)))
    supersedes, reason = p.get("supersedes"), p.get("reason")
    if supersedes is not None and not (isinstance(reason, str) and reason.strip()):
        out.append(Problem(record.hash, "malformed", "a correction needs a reason"))
    return out


@dataclass(frozen=True)
class ChainLink:
    hash: str
    signer: str
    seq: int
    prev: str | None


def check_chains(
    links: Iterable[ChainLink], heads: Mapping[str, tuple[int, str]] | None = None
) -> list[Problem]:
    """Per signer: seq 1, 2, 3… with no gap, no fork, each prev the hash before it.

    ``heads`` (signer -> (seq, hash) the holder last saw) catches the deletion of a chain's
    last record, which the chain alone cannot show.
    """
    by_signer: dict[str, dict[int, list[ChainLink]]] = {}
    for link in links:
        by_signer.setdefault(link.signer, {}).setdefault(link.seq, []).append(link)
    problems: list[Problem] = []
    for signer, by_seq in by_signer.items():
        expected_prev: str | None = None
        top = max(by_seq)
        for seq in range(1, top + 1):
            found = by_seq.get(seq)
            if not found:
                nxt = by_seq.get(seq + 1)
                missing = nxt[0].prev if nxt else None
                problems.append(
                    Problem(
                        missing,
                        "chain_gap",
                        f"signer {signer[:16]}… has no record number {seq}",
                    )
                )
                expected_prev = None
                continue
            if len(found) > 1:
                for link in found:
                    problems.append(
                        Problem(link.hash, "chain_fork", f"two records number {seq} by one signer")
                    )
                expected_prev = None
                continue
            link = found[0]
            if expected_prev is not None and link.prev != expected_prev:
                problems.append(
                    Problem(
                        link.hash, "chain_prev", f"record {seq} does not follow record {seq - 1}"
                    )
                )
            if seq == 1 and link.prev is not None:
                problems.append(
                    Problem(link.hash, "chain_prev", "first record names a previous one")
                )
            expected_prev = link.hash
        if heads and signer in heads:
            head_seq, head_hash = heads[signer]
            if head_seq > top or (head_seq in by_seq and by_seq[head_seq][0].hash != head_hash):
                problems.append(
                    Problem(
                        head_hash,
                        "missing_record",
                        f"record number {head_seq} of {signer[:16]}… is gone",
                    )
                )
    for signer, (_seq, head_hash) in (heads or {}).items():
        if signer not in by_signer:
            problems.append(
                Problem(head_hash, "missing_record", f"every record of {signer[:16]}… is gone")
            )
    return problems
