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

_HEX64 = re.compile(r"^[0-9a-f]{64}$")

# type -> (required fields, optional fields). "type" is always required.
FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "sheet": (
        frozenset(
            {
                "type", "signer", "seq", "prev", "time", "election", "station", "contest",
                "values", "warnings", "supersedes", "reason",
            }
        ),
        frozenset(),
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


def check_officer_record(record: Record) -> None:
    """The kinds of a sheet's or a review's fields (their meaning is checked elsewhere)."""
    check_fields(record)
    p = record.payload
    for name in ("election", "station", "contest"):
        if not isinstance(p[name], str) or not p[name]:
            raise ValueError(f"{name} must be a non-empty string")
    try:
        parse_time(p["time"], "time")
    except ElectionError as exc:
        raise ValueError(str(exc)) from exc
    if record.type == "sheet":
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
        overrides = p.get("overrides", [])
        if not isinstance(overrides, list) or not all(_is_hash(h) for h in overrides):
            raise ValueError("overrides must be a list of review hashes")
        if len(set(overrides)) != len(overrides):
            raise ValueError("overrides names a review twice")


def overrides(payload: Mapping[str, Any]) -> tuple[str, ...]:
    """A review's ``overrides`` (absent in reviews signed before the field existed: none)."""
    value = payload.get("overrides", [])
    return tuple(value) if isinstance(value, list) else ()


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and bool(_HEX64.match(value))
