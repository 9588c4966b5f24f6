"""Verify records that come from outside (a pull page, a bundle) before any enters the store.

The same checks as ``recap verify`` and the server (crypto.verifier), record by record against
what the store already holds: a record that fails is reported and left out, and nothing that
depends on it gets in either.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from recap_desktop.crypto.envelope import Record
from recap_desktop.crypto.verifier import (
    AUTHORITY_TYPES,
    ERROR,
    Certificate,
    Problem,
    Trust,
    build_trust,
    check_record,
)
from recap_desktop.domain.election import Election, ElectionError

# ``check_record``'s findings for a record, and the Trust they were found against: made ahead
# of time (on the pull's helper thread), used only if that Trust is still the one in force.
Precheck = tuple[Trust, list[Problem]]


def precheck(records: Sequence[Record], trust: Trust) -> list[Precheck]:
    """``check_record`` of each record against ``trust``: a pure function of the two, so it
    may run on another thread, ahead of ``check_incoming``."""
    return [(trust, check_record(record, trust)) for record in records]


@dataclass
class Checked:
    accepted: list[Record] = field(default_factory=list)  # new and verified, in order
    already: list[str] = field(default_factory=list)  # held before
    problems: list[Problem] = field(default_factory=list)
    authority: list[Record] = field(default_factory=list)  # held + accepted authority records
    trust: Trust | None = None  # built from ``authority``: pass both on to check the next page


def check_incoming(
    records: Sequence[Record],
    *,
    authority_key: bytes,
    held_authority: Iterable[Record],
    known_keys: Mapping[str, bytes],
    is_held: Callable[[str], bool],
    lookup: Callable[[str], Record | None],
    chain_head: Callable[[str], tuple[int, str] | None],
    trust: Trust | None = None,
    prechecked: Sequence[Precheck | None] | None = None,
    held: Collection[str] | None = None,
) -> Checked:
    """``trust``, if given, must be built from ``held_authority``: it saves parsing the election
    package again for every page of a pull.

    ``prechecked``, if given, has one entry per record (or None): ``precheck``'s result, used
    only when its Trust is the very one in force when the record's turn comes (a certificate
    or package accepted earlier in the same call makes a new one: the record is then checked
    in place). ``held``, if given, is every hash of ``records`` the store holds (one query
    instead of ``is_held`` per record; the store does not change during the call)."""
    out = Checked()
    authority = list(held_authority)
    if trust is None:
        trust, _ = build_trust(authority_key, authority, known_keys)
    heads: dict[str, tuple[int, str]] = {}
    accepted: dict[str, Record] = {}

    def refuse(record: Record, kind: str, detail: str) -> None:
        out.problems.append(Problem(record.hash, kind, detail))

    for i, record in enumerate(records):
        if record.hash in accepted or (
            record.hash in held if held is not None else is_held(record.hash)
        ):
            out.already.append(record.hash)
            continue
        ahead = prechecked[i] if prechecked is not None else None
        found = ahead[1] if ahead is not None and ahead[0] is trust else check_record(record, trust)
        problems = [p for p in found if p.severity == ERROR]
        if problems:
            refuse(record, problems[0].kind, problems[0].detail)
            continue
        if record.type in AUTHORITY_TYPES:
            try:
                if record.type == "election":
                    offered = Election.from_payload(record.payload)
                    if trust.election is not None and offered.id != trust.election.id:
                        refuse(record, "wrong_election", f"package for {offered.id}")
                        continue
                elif record.type == "certificate":
                    Certificate.from_record(record)
            except (ValueError, ElectionError) as exc:
                refuse(record, "malformed", str(exc))
                continue
            accepted[record.hash] = record
            out.accepted.append(record)
            authority.append(record)
            trust, _ = build_trust(authority_key, authority, known_keys)
            continue
        seq = record.seq
        assert seq is not None  # check_record refuses unchained officer types
        head = heads.get(record.signer) or chain_head(record.signer)
        if head is not None and seq <= head[0]:
            refuse(record, "equivocation", f"a different record number {seq} is held already")
            continue
        want = 1 if head is None else head[0] + 1
        if seq != want:
            refuse(record, "chain_gap", f"record {seq} came, {want} was expected")
            continue
        if head is not None and record.prev != head[1]:
            refuse(record, "chain_prev", f"does not follow {head[1][:16]}…")
            continue
        dangling = None
        for ref in ("supersedes", "sheet"):
            target = record.payload.get(ref)
            if isinstance(target, str):
                other = accepted.get(target) or lookup(target)
                if other is None or other.type != "sheet":
                    dangling = f"{ref} {target[:16]}… is not held"
                elif (other.payload.get("station"), other.payload.get("contest")) != (
                    record.payload.get("station"),
                    record.payload.get("contest"),
                ):
                    dangling = f"{ref} is another station's sheet"
        if dangling:
            refuse(record, "dangling", dangling)
            continue
        heads[record.signer] = (seq, record.hash)
        accepted[record.hash] = record
        out.accepted.append(record)
    out.authority, out.trust = authority, trust
    return out
