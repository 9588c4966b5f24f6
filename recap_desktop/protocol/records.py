"""The exact fields of every record type (docs/PROTOCOL.md §4).

A record with a field missing, an extra field, or a field of the wrong kind is ``malformed``
at every door: two verifiers that each ignored a different unknown field would disagree on
what a signed record says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from recap_desktop.crypto.envelope import Record
from recap_desktop.domain.election import ElectionError, parse_time
from recap_desktop.protocol.photos import check_photos

_HEX64 = re.compile(r"^[0-9a-f]{64}\Z")

# type -> (required fields, optional fields). "type" is always required.
FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "sheet": (
        frozenset(
            {
                "type", "signer", "seq", "prev", "time", "election", "station", "contest",
                "values", "warnings", "supersedes", "reason",
            }
        ),
        frozenset({"warnings_reason", "double_entry", "photos"}),
    ),
    "review": (
        frozenset(
            {
                "type", "signer", "seq", "prev", "time", "election", "station", "contest",
                "sheet", "decision", "reason",
            }
        ),
        frozenset({"overrides"}),
    ),
    "dhasil": (
        frozenset(
            {
                "type", "signer", "seq", "prev", "time", "election", "region", "contest",
                "basis", "totals", "children", "pending", "objections", "final", "supersedes",
                "reason",
            }
        ),
        frozenset(),
    ),
    "objection": (
        frozenset(
            {
                "type", "signer", "seq", "prev", "time", "election", "place", "contest", "kind",
                "witness", "paper", "subject",
            }
        ),
        frozenset(),
    ),
    "resolution": (
        frozenset(
            {
                "type", "signer", "seq", "prev", "time", "election", "objection", "place",
                "contest", "decision", "reason", "overrides",
            }
        ),
        frozenset(),
    ),
    "requirement": (
        frozenset(
            {"type", "signer", "seq", "prev", "time", "election", "region", "double_entry"}
        ),
        frozenset(),
    ),
    "certificate": (
        frozenset(
            {
                "type", "election", "officer_id", "name", "role", "jurisdiction", "public_key",
                "key_id", "valid_from", "valid_until", "issued",
            }
        ),
        frozenset(),
    ),
    "revocations": (frozenset({"type", "election", "version", "issued", "revoked"}), frozenset()),
    "election": (
        frozenset(
            {
                "type", "election", "version", "name", "issued", "expires", "contests",
                "regions", "stations",
            }
        ),
        frozenset({"demo"}),
    ),
}  # fmt: skip


def check_fields(record: Record) -> None:
    """Raise ValueError naming what is wrong if the payload's members are not its type's."""
    fields(record.type, record.payload)


def fields(kind: str, payload: Mapping[str, Any]) -> None:
    if kind not in FIELDS:
        raise ValueError(f"unknown record type {kind!r}")
    required, optional = FIELDS[kind]
    present = set(payload)
    missing = sorted(required - present)
    extra = sorted(present - required - optional)
    if missing:
        raise ValueError(f"a {kind} needs the field(s) {', '.join(missing)}")
    if extra:
        raise ValueError(f"a {kind} has no field(s) {', '.join(extra)}")


# Where each officer record acts: the member naming its station or region. Standing checks
# the signer's jurisdiction against it; a server serves the record to laptops of regions
# that contain it; a record refers only to records whose place lies inside its own.
PLACE_FIELD = {
    "sheet": "station",
    "review": "station",
    "dhasil": "region",
    "objection": "place",
    "resolution": "place",
    "requirement": "region",
}
RECAP_TYPES = frozenset({"dhasil", "objection", "resolution"})
MAX_TOTAL = 2**53 - 1  # the largest integer of the canonical JSON


def place_of(kind: str, payload: Mapping[str, Any]) -> str | None:
    """The station or region an officer record acts on (None: not an officer record)."""
    name = PLACE_FIELD.get(kind)
    value = payload.get(name) if name else None
    return value if isinstance(value, str) else None


def check_officer_record(record: Record) -> None:
    """The kinds of an officer record's fields (their meaning is checked elsewhere)."""
    check_fields(record)
    p = record.payload
    named = ("election", PLACE_FIELD[record.type])
    for name in named if record.type == "requirement" else (*named, "contest"):
        if not isinstance(p[name], str) or not p[name]:
            raise ValueError(f"{name} must be a non-empty string")
    try:
        parse_time(p["time"], "time")
    except ElectionError as exc:
        raise ValueError(str(exc)) from exc
    if record.type in RECAP_TYPES:
        _check_recap_record(record)
    elif record.type == "requirement":
        if not isinstance(p["double_entry"], bool):
            raise ValueError("double_entry must be true or false")
    elif record.type == "sheet":
        if not isinstance(p["values"], dict):
            raise ValueError("values must be an object")
        warnings = p["warnings"]
        if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
            raise ValueError("warnings must be a list of rule ids")
        if p["supersedes"] is not None and not _is_hash(p["supersedes"]):
            raise ValueError("supersedes must be null or a record hash")
        reason = p["reason"]
        if reason is not None and not isinstance(reason, str):
            raise ValueError("reason must be null or a text")
        if p["supersedes"] is not None and not (isinstance(reason, str) and reason.strip()):
            raise ValueError("a correction needs a reason")
        if p["supersedes"] is None and reason is not None:
            raise ValueError("only a correction has a reason")
        if "warnings_reason" in p and not _nonblank(p["warnings_reason"]):
            raise ValueError("warnings_reason, when present, must be a non-blank text")
        if "double_entry" in p:
            _double_entry(p["double_entry"])
        if "photos" in p:
            check_photos(p["photos"])
    else:
        if not _is_hash(p["sheet"]):
            raise ValueError("sheet must be the hash of the sheet reviewed")
        if p["decision"] not in ("approve", "reject"):
            raise ValueError("decision is approve or reject")
        reason = p["reason"]
        if reason is not None and not isinstance(reason, str):
            raise ValueError("reason must be null or a text")
        if p["decision"] == "reject" and not (isinstance(reason, str) and reason.strip()):
            raise ValueError("a rejection needs a reason")
        _hash_list(p.get("overrides", []), "overrides", "review")


def _check_recap_record(record: Record) -> None:
    p = record.payload
    if record.type == "dhasil":
        if p["basis"] not in ("sheets", "recaps"):
            raise ValueError("basis is sheets or recaps")
        if not isinstance(p["totals"], dict):
            raise ValueError("totals must be an object")
        if not isinstance(p["final"], bool):
            raise ValueError("final must be true or false")
        _entries(p["children"], "children", ("code", "record"), "code", ("record",))
        _entries(p["pending"], "pending", ("code", "state"), "code", ())
        for entry in p["pending"]:
            if not _nonblank(entry["state"]):
                raise ValueError("a pending child's state must be a non-blank text")
        _entries(p["objections"], "objections", ("objection", "resolution"), "objection",
                 ("objection",), nullable=("resolution",))  # fmt: skip
        _correction(p)
    elif record.type == "objection":
        if p["kind"] not in ("objection", "incident"):
            raise ValueError("kind is objection or incident")
        witness = p["witness"]
        if witness is None:
            if p["kind"] == "objection":
                raise ValueError("an objection names its witness")
        elif not (
            isinstance(witness, dict)
            and set(witness) == {"name", "represents"}
            and _nonblank(witness["name"])
            and _nonblank(witness["represents"])
        ):
            raise ValueError("witness must be null or exactly {name, represents}, non-blank")
        if p["paper"] is not None and not _nonblank(p["paper"]):
            raise ValueError("paper must be null or a non-blank text")
        if not _nonblank(p["subject"]):
            raise ValueError("subject must be a non-blank text")
    else:
        if not _is_hash(p["objection"]):
            raise ValueError("objection must be the hash of the objection resolved")
        if p["decision"] not in ("accepted", "rejected", "noted"):
            raise ValueError("decision is accepted, rejected or noted")
        if not _nonblank(p["reason"]):
            raise ValueError("a resolution gives its reason (a non-blank text)")
        _hash_list(p["overrides"], "overrides", "resolution")


def _entries(
    value: Any,
    name: str,
    members: tuple[str, ...],
    key: str,
    hashes: tuple[str, ...],
    nullable: tuple[str, ...] = (),
) -> None:
    """A list of objects of exactly ``members``, in ascending order of ``key`` with no key
    twice (so two verifiers read the same list, and a duplicate needs no other rule)."""
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list")
    last: str | None = None
    for i, entry in enumerate(value):
        if not isinstance(entry, dict) or set(entry) != set(members):
            raise ValueError(f"{name}[{i}] must hold exactly {', '.join(members)}")
        if not isinstance(entry[key], str) or not entry[key]:
            raise ValueError(f"{name}[{i}].{key} must be a non-empty text")
        for h in hashes:
            if not _is_hash(entry[h]):
                raise ValueError(f"{name}[{i}].{h} must be a record hash")
        for h in nullable:
            if entry[h] is not None and not _is_hash(entry[h]):
                raise ValueError(f"{name}[{i}].{h} must be null or a record hash")
        if last is not None and entry[key] <= last:
            raise ValueError(f"{name} must be in ascending order of {key}, none twice")
        last = entry[key]


def _hash_list(value: Any, name: str, kind: str) -> None:
    """A list of record hashes, none twice (a review's or a resolution's ``overrides``)."""
    if not isinstance(value, list) or not all(_is_hash(h) for h in value):
        raise ValueError(f"{name} must be a list of {kind} hashes")
    if len(set(value)) != len(value):
        raise ValueError(f"{name} names a {kind} twice")


def _correction(p: Mapping[str, Any]) -> None:
    if p["supersedes"] is not None and not _is_hash(p["supersedes"]):
        raise ValueError("supersedes must be null or a record hash")
    reason = p["reason"]
    if reason is not None and not isinstance(reason, str):
        raise ValueError("reason must be null or a text")
    if p["supersedes"] is not None and not _nonblank(reason):
        raise ValueError("a correction needs a reason")
    if p["supersedes"] is None and reason is not None:
        raise ValueError("only a correction has a reason")


def _double_entry(value: Any) -> None:
    """A sheet typed twice: exactly ``{second}``, the second typist's key id, or null when
    the signer typed it both times (PROTOCOL §4)."""
    if not isinstance(value, dict) or set(value) != {"second"}:
        raise ValueError("double_entry must be exactly {second}")
    if value["second"] is not None and not _is_hash(value["second"]):
        raise ValueError("double_entry.second must be null or a key id")


def _nonblank(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def overrides(payload: Mapping[str, Any]) -> tuple[str, ...]:
    """A review's or a resolution's ``overrides`` (absent in reviews signed before the field
    existed: none)."""
    value = payload.get("overrides", [])
    return tuple(value) if isinstance(value, list) else ()


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and bool(_HEX64.match(value))
