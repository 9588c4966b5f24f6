"""What a verifier believes before it looks at officers' records: the trust anchor, the
election package in force, the certificates, the revocations, the holder's own key.

A ``Trust`` is immutable, so that the expensive per-record checks may run on other threads
and processes against it. It grows only through ``TrustBuilder``, which applies the rules for
authority documents that every door shares (docs/PROTOCOL.md §5.2): a verifier that accepts
an authority record here accepts it everywhere, with the same reason when it does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from recap_desktop.crypto.envelope import Record
from recap_desktop.crypto.keys import BadPublicKey, check_public_key, key_id
from recap_desktop.domain.election import (
    Election,
    ElectionError,
    ElectionView,
    is_region_code,
    parse_time,
)
from recap_desktop.protocol.problems import Problem
from recap_desktop.protocol.records import check_fields

if TYPE_CHECKING:  # checks imports this module
    from recap_desktop.protocol.checks import Verified

AUTHORITY_TYPES = frozenset({"election", "certificate", "revocations"})
# The roles a certificate may give, and the one each officer record type needs. A "server"
# certificate lets a key sign the central server's receipts and tree heads (PROTOCOL §10.1).
CERTIFICATE_ROLES = ("operator", "supervisor", "chair", "witness", "server")
SERVER_ROLE = "server"
ROLE_FOR_TYPE = {"sheet": "operator", "review": "supervisor"}
# The roles that may sign each officer record type. A chair presides over one level's
# plenary (its certificate's jurisdiction is that region): signs its D.Hasil and rules on
# objections. An objection is signed by a witness's own certified key, or entered from the
# paper form by the chair or an operator.
ROLES_FOR_TYPE: dict[str, tuple[str, ...]] = {
    "sheet": ("operator",),
    "review": ("supervisor",),
    "dhasil": ("chair",),
    "resolution": ("chair",),
    "objection": ("witness", "chair", "operator"),
    "requirement": ("supervisor",),
}
# An objection that names no paper form is the witness's own word: only a witness's key signs
# it. A chair or an operator enters one only from the paper form the witness signed, and says
# which (so that anyone can hold the paper against the record).
UNPAPERED_ROLES = ("witness",)


def roles_for(kind: str, payload: Mapping[str, Any]) -> tuple[str, ...]:
    """The roles that may sign this record (docs/PROTOCOL.md §5.4 item 2)."""
    if kind == "objection" and payload.get("paper") is None:
        return UNPAPERED_ROLES
    return ROLES_FOR_TYPE.get(kind, ())


# A D.Hasil is signed by the chair of exactly its region (a regency's chair does not sign a
# sub-district's); every other record by anyone certified for a region containing its place.
EXACT_PLACE = frozenset({"dhasil"})


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
            check_fields(record)
            public_key = bytes.fromhex(p["public_key"])
            check_public_key(public_key)
            if key_id(public_key) != p["key_id"]:
                raise ValueError("key_id is not the SHA-256 of public_key")
            if p["role"] not in CERTIFICATE_ROLES:
                raise ValueError(f"unknown role {p['role']!r}")
            for name in ("election", "officer_id", "name"):
                if not isinstance(p[name], str) or not p[name].strip():
                    raise ValueError(f"{name} must be a non-blank text")
            if p["role"] == SERVER_ROLE:
                if p["jurisdiction"] != "":
                    raise ValueError('a server\'s jurisdiction is the whole election: ""')
            elif not is_region_code(p["jurisdiction"]):
                raise ValueError("jurisdiction must be a region code like 32.01")
            valid_from = parse_time(p["valid_from"], "valid_from")
            valid_until = parse_time(p["valid_until"], "valid_until")
            parse_time(p["issued"], "issued")
            if valid_until < valid_from:
                raise ValueError("valid_until is before valid_from")
            return cls(
                record=record.hash,
                election=p["election"],
                officer_id=p["officer_id"],
                name=p["name"],
                role=p["role"],
                jurisdiction=p["jurisdiction"],
                public_key=public_key,
                key_id=p["key_id"],
                valid_from=valid_from,
                valid_until=valid_until,
            )
        except (KeyError, TypeError, ValueError, BadPublicKey, ElectionError) as exc:
            raise ValueError(f"certificate {record.hash[:16]}… is malformed: {exc}") from exc

    @property
    def mandate(self) -> Mandate:
        return Mandate(self.role, self.jurisdiction, self.valid_from, self.valid_until)


@dataclass(frozen=True)
class Mandate:
    """What one certificate lets its key do: the part of it that decides a record's standing."""

    role: str
    jurisdiction: str
    valid_from: datetime
    valid_until: datetime


@dataclass(frozen=True)
class Revocation:
    """A revoked key. ``position`` is where the revocation entered the server's log: the
    lowest log index of the held revocation lists naming the key. None when no such list has
    come through the log yet: a holder reads the log in order, and every authority record in
    it, so a list it holds but has not met in the log lies beyond everything it has read."""

    reason: str
    position: int | None


@dataclass(frozen=True)
class Trust:
    authority_key: bytes
    election: ElectionView | None = None  # the package in force (a whole Election, but see
    # ElectionView: a laptop's save checks against its store's view)
    election_record: str | None = None
    certificates: Mapping[str, tuple[Certificate, ...]] = field(default_factory=dict)
    revoked: Mapping[str, Revocation] = field(default_factory=dict)
    revocations_version: int = 0
    known_keys: Mapping[str, bytes] = field(default_factory=dict)  # the holder's own key
    forks: Mapping[str, int] = field(default_factory=dict)  # signer -> first forked seq
    # version -> hash of every package and revocation list accepted (history included)
    packages: Mapping[int, str] = field(default_factory=dict)
    revocation_lists: Mapping[int, str] = field(default_factory=dict)
    # hash -> log position of each revocation list (known only through the server)
    revocation_positions: Mapping[str, int | None] = field(default_factory=dict)
    revocation_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def authority_id(self) -> str:
        return key_id(self.authority_key)

    def public_key(self, signer: str) -> bytes | None:
        certs = self.certificates.get(signer)
        if certs:
            return certs[0].public_key
        return self.known_keys.get(signer)

    def server_certificate(self, key: str, at: datetime) -> Certificate | None:
        """A certificate that lets ``key`` sign as the election's server at ``at``, unless
        the key is revoked (a revoked server key vouches for nothing, whenever it signed)."""
        if key in self.revoked:
            return None
        for cert in self.certificates.get(key, ()):
            if cert.role == SERVER_ROLE and cert.valid_from <= at <= cert.valid_until:
                return cert
        return None

    def server_keys(self, at: datetime | None = None) -> set[str]:
        """Every key certified as a server at ``at``; without a time, every key the authority
        certified as a server at all, unless revoked (what a laptop's marks may rest on)."""
        if at is not None:
            return {k for k in self.certificates if self.server_certificate(k, at) is not None}
        return {
            k
            for k, certs in self.certificates.items()
            if k not in self.revoked and any(c.role == SERVER_ROLE for c in certs)
        }

    def has_server_certificate(self, key: str) -> bool:
        """The key was certified as a server at some time (and is not revoked)."""
        return key in self.server_keys()

    @cached_property
    def mandates(self) -> dict[str, tuple[Mandate, ...]]:
        return {k: tuple(c.mandate for c in v) for k, v in self.certificates.items()}

    def with_forks(self, forks: Mapping[str, int]) -> Trust:
        """The same trust, knowing the proven forks of the holder's evidence."""
        merged = dict(self.forks)
        for signer, seq in forks.items():
            merged[signer] = min(seq, merged.get(signer, seq))
        return replace(self, forks=merged)

    def builder(self) -> TrustBuilder:
        return TrustBuilder(self)


class TrustBuilder:
    """Adds authority records to a Trust, one at a time, with the rules of PROTOCOL §5.2.

    Mutable while a door works through a batch (copying a national set of certificates per
    certificate would cost more than the batch); ``freeze`` gives the immutable Trust.
    """

    def __init__(self, trust: Trust) -> None:
        self._base = trust
        self._election = trust.election if isinstance(trust.election, Election) else None
        self._election_record = trust.election_record
        self._certificates = {k: list(v) for k, v in trust.certificates.items()}
        self._packages = dict(trust.packages)
        self._lists = dict(trust.revocation_lists)
        self._list_positions = dict(trust.revocation_positions)
        self._list_keys = dict(trust.revocation_keys)
        self._revocations_version = trust.revocations_version
        self._revoked_reasons = {k: v.reason for k, v in trust.revoked.items()}
        self._frozen: Trust | None = trust

    def add(
        self,
        record: Record,
        seen: datetime,
        position: int | None = None,
        verified: Verified | None = None,
    ) -> Problem | None:
        """Accept an authority record into the trust, or say why not (nothing changes then).

        ``seen``: when the door first saw it (its clock, or the server's for a pulled record);
        ``position``: its index in the server's log, if known; ``verified``: signatures
        verified ahead (``checks.preverify``), asked for the authority's key.
        """
        anchor = self._base.authority_key
        verify = record.verify_signature if verified is None else partial(verified.verify, record)
        if record.signer != key_id(anchor) or not verify(anchor):
            return Problem(record.hash, "bad_signature", "not signed by the election authority")
        kind = record.type
        if kind == "election":
            return self._add_package(record, seen)
        if kind == "certificate":
            return self._add_certificate(record)
        if kind == "revocations":
            return self._add_revocations(record, position)
        return Problem(record.hash, "malformed", f"{kind} is not an authority record")

    def _add_package(self, record: Record, seen: datetime) -> Problem | None:
        try:
            election = _parse_package(record)
        except (ValueError, ElectionError) as exc:
            return Problem(record.hash, "malformed", str(exc))
        current = self._election
        if current is not None and election.id != current.id:
            return Problem(record.hash, "wrong_election", f"a package for {election.id}")
        held = self._packages.get(election.version)
        if held is not None and held != record.hash:
            return Problem(
                record.hash, "equivocation", f"two different packages as version {election.version}"
            )
        newest = current is None or election.version > current.version
        if newest and election.expires <= seen:
            return Problem(record.hash, "expired", f"expired {record.payload.get('expires')}")
        self._packages[election.version] = record.hash
        if newest:  # an older version is kept as history and never becomes current
            self._election, self._election_record = election, record.hash
        self._frozen = None
        return None

    def _add_certificate(self, record: Record) -> Problem | None:
        try:
            cert = Certificate.from_record(record)
        except ValueError as exc:
            return Problem(record.hash, "malformed", str(exc))
        if self._election is None:
            return Problem(record.hash, "no_election", "no election package is held yet")
        if cert.election != self._election.id:
            return Problem(record.hash, "wrong_election", f"a certificate for {cert.election}")
        held = self._certificates.setdefault(cert.key_id, [])
        if all(c.record != cert.record for c in held):
            held.append(cert)
        self._frozen = None
        return None

    def _add_revocations(self, record: Record, position: int | None) -> Problem | None:
        p = record.payload
        try:
            check_fields(record)
            version = p["version"]
            if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                raise ValueError("version must be an integer from 1")
            parse_time(p["issued"], "issued")
            keys: list[str] = []
            for i, entry in enumerate(p["revoked"]):
                if not isinstance(entry, dict) or set(entry) != {"key_id", "reason", "time"}:
                    raise ValueError(f"revoked[{i}] must hold exactly key_id, reason and time")
                if not (isinstance(entry["key_id"], str) and len(entry["key_id"]) == 64):
                    raise ValueError(f"revoked[{i}].key_id must be a key id")
                if not isinstance(entry["reason"], str):
                    raise ValueError(f"revoked[{i}].reason must be a text")
                parse_time(entry["time"], f"revoked[{i}].time")
                keys.append(entry["key_id"])
        except (KeyError, TypeError, ValueError, ElectionError) as exc:
            return Problem(record.hash, "malformed", str(exc))
        if self._election is None:
            return Problem(record.hash, "no_election", "no election package is held yet")
        if p["election"] != self._election.id:
            return Problem(record.hash, "wrong_election", f"a revocation list for {p['election']}")
        held = self._lists.get(version)
        if held is not None and held != record.hash:
            return Problem(
                record.hash, "equivocation", f"two different revocation lists as version {version}"
            )
        self._lists[version] = record.hash
        self._list_positions[record.hash] = position
        self._list_keys[record.hash] = tuple(keys)
        if version > self._revocations_version:  # the newest list is the one in force
            self._revocations_version = version
            self._revoked_reasons = {e["key_id"]: e["reason"] for e in p["revoked"]}
        self._frozen = None
        return None

    def set_position(self, record_hash: str, position: int) -> None:
        """A revocation list's log position learnt after it was accepted (a later pull)."""
        if record_hash in self._list_positions and self._list_positions[record_hash] is None:
            self._list_positions[record_hash] = position
            self._frozen = None

    def freeze(self) -> Trust:
        if self._frozen is None:
            self._frozen = replace(
                self._base,
                election=self._election,
                election_record=self._election_record,
                certificates={k: tuple(v) for k, v in self._certificates.items()},
                revoked={
                    key: Revocation(reason, self._revocation_position(key))
                    for key, reason in self._revoked_reasons.items()
                },
                revocations_version=self._revocations_version,
                packages=dict(self._packages),
                revocation_lists=dict(self._lists),
                revocation_positions=dict(self._list_positions),
                revocation_keys=dict(self._list_keys),
            )
        return self._frozen

    def _revocation_position(self, key: str) -> int | None:
        """Where the log first holds the key's revocation: the lowest known position of the
        lists naming it (a list not yet met in the log lies beyond every known position)."""
        positions = [
            position
            for h, keys in self._list_keys.items()
            if key in keys and (position := self._list_positions.get(h)) is not None
        ]
        return min(positions, default=None)


# The last package parsed, by its record's hash (which fixes its every byte): a trust is built
# again whenever a certificate or a log position arrives, and parsing a national package takes
# seconds. One entry, replaced whole, so threads sharing it see one or the other.
_last_package: tuple[str, Election] | None = None


def _parse_package(record: Record) -> Election:
    global _last_package
    last = _last_package
    if last is not None and last[0] == record.hash:
        return last[1]
    check_fields(record)
    election = Election.from_payload(record.payload)
    _last_package = (record.hash, election)
    return election


def build_trust(
    authority_key: bytes,
    authority_records: Iterable[tuple[Record, datetime, int | None]],
    known_keys: Mapping[str, bytes] | None = None,
) -> tuple[Trust, list[Problem]]:
    """A Trust from authority records in the order they arrived, each with when it was first
    seen and its log position; with the problems of those refused (a store's own check)."""
    builder = Trust(authority_key, known_keys=dict(known_keys or {})).builder()
    problems = []
    for record, seen, position in authority_records:
        problem = builder.add(record, seen, position)
        if problem is not None:
            problems.append(problem)
    return builder.freeze(), problems
