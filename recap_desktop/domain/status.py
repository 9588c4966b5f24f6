"""Which sheets count for a polling station's contest, and the state it is in.

Never last-writer-wins: two officers' different sheets are a dispute until a supervisor
decides. The outcome depends only on the set of sheets and reviews, and on nothing that a
key or a clock decides: not the order they arrived in, not their hashes (which change with
the officers' random keys), not the times their signers claim. Every laptop and the server
therefore reach the same state from the same records (docs/PROTOCOL.md §6).

Whether each record *may* count (its signer certified for it, not revoked, not forked) is
decided by the admission rule (``protocol.standing``) and passed in: a record that may not
count is set aside here, and the reason is kept as something a supervisor must look at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

NOT_ENTERED = "not_entered"
SIGNED = "signed"
CORRECTED = "corrected"
APPROVED = "approved"
REJECTED = "rejected"
DISPUTED = "disputed"
UNCOUNTED = "uncounted"  # sheets are held, but none may count (see ``attention``)
PARTIAL = "partial"  # a station with some of its contests entered

# The order a station's summary picks its contests' states in: what needs a person first.
URGENCY = (DISPUTED, UNCOUNTED, REJECTED, PARTIAL, NOT_ENTERED, CORRECTED, SIGNED, APPROVED)
COUNTED = frozenset({SIGNED, CORRECTED, APPROVED})

# Reasons in ``SheetState.attention`` that this module adds itself (the others are the
# standing of the records set aside: awaiting_certificate, revoked, forked, ...).
REVIEW_CONFLICT = "review_conflict"  # reviews of one sheet that did not see each other disagree
APPROVALS_DISAGREE = "approvals_disagree"  # approved sheets with different values


@dataclass(frozen=True)
class SheetVersion:
    hash: str
    signer: str
    seq: int
    supersedes: str | None
    values: Mapping[str, int]
    standing: str | None = None  # None: it may count; else why not (protocol.standing)


@dataclass(frozen=True)
class Review:
    hash: str
    sheet: str
    signer: str
    seq: int
    decision: str  # approve | reject
    overrides: tuple[str, ...] = ()  # reviews of the same station and contest it replaces
    standing: str | None = None


@dataclass(frozen=True)
class SheetState:
    state: str
    current: str | None  # one of ``counted``, for display (all of them hold the same values)
    heads: tuple[str, ...]  # each counting signer's latest version, by hash
    counted: tuple[str, ...] = ()  # every sheet that counts: they agree, so any one's values
    attention: tuple[str, ...] = ()  # what a supervisor must look at, sorted


def sheet_state(versions: Iterable[SheetVersion], reviews: Iterable[Review]) -> SheetState:
    """The rule of docs/PROTOCOL.md §6.

    1. Records that may not count are set aside; their standing goes to ``attention``.
    2. Each signer's latest version is the one none of its own later versions supersedes
       (ties by ``seq``: a signer's own order, never a claimed time).
    3. A review stops being in force when a later review of the same signer on the same
       sheet, or any review naming it in ``overrides``, exists (causal order: the later
       review saw it). The reviews still in force on a sheet decide it when they agree; when
       they do not (two supervisors who did not see each other's review) the station is
       disputed until a review overriding them settles it.
    4. If any latest version is approved, the approved ones count (they must agree, else
       the station is disputed). Otherwise rejected versions are set aside and the others
       count when they agree in values (all of them together: which one is not a question
       of hashes), are disputed when they differ, and the station is rejected when none is
       left.
    """
    attention: set[str] = set()
    live: dict[str, SheetVersion] = {}
    held = False
    for v in versions:
        held = True
        if v.standing is None:
            live[v.hash] = v
        else:
            attention.add(v.standing)
    in_force: list[Review] = []
    for r in reviews:
        if r.standing is None:
            in_force.append(r)
        else:
            attention.add(r.standing)
    if not live:
        state = UNCOUNTED if held else NOT_ENTERED
        return SheetState(state, None, (), (), tuple(sorted(attention)))

    heads = latest_versions(live)
    head_hashes = tuple(v.hash for v in heads)

    verdicts = _verdicts(in_force)
    if any(verdicts.get(h) == "conflict" for h in head_hashes):
        attention.add(REVIEW_CONFLICT)
        return SheetState(DISPUTED, None, head_hashes, (), tuple(sorted(attention)))
    approved = [v for v in heads if verdicts.get(v.hash) == "approve"]
    if approved:
        if _agree(approved):
            counted = tuple(v.hash for v in approved)
            return SheetState(APPROVED, counted[0], head_hashes, counted, tuple(sorted(attention)))
        attention.add(APPROVALS_DISAGREE)
        return SheetState(DISPUTED, None, head_hashes, (), tuple(sorted(attention)))
    remaining = [v for v in heads if verdicts.get(v.hash) != "reject"]
    if not remaining:
        return SheetState(REJECTED, None, head_hashes, (), tuple(sorted(attention)))
    if not _agree(remaining):
        return SheetState(DISPUTED, None, head_hashes, (), tuple(sorted(attention)))
    counted = tuple(v.hash for v in remaining)
    state = CORRECTED if any(v.supersedes for v in remaining) else SIGNED
    return SheetState(state, counted[0], head_hashes, counted, tuple(sorted(attention)))


class Versioned(Protocol):
    """A signed version that may replace its signer's earlier one: a sheet or a D.Hasil."""

    @property
    def hash(self) -> str: ...
    @property
    def signer(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def supersedes(self) -> str | None: ...


V = TypeVar("V", bound=Versioned)


def latest_versions(live: Mapping[str, V]) -> list[V]:
    """Each signer's latest version among ``live`` (hash -> version, all of which may count):
    the one none of its own versions supersedes, ties by ``seq`` (the signer's own order).
    Sorted by hash only so that the result is a set written down the same way everywhere."""
    replaced = {
        v.supersedes
        for v in live.values()
        if v.supersedes is not None
        and v.supersedes in live
        and live[v.supersedes].signer == v.signer
    }
    latest: dict[str, V] = {}
    for v in live.values():
        if v.hash in replaced:
            continue
        kept = latest.get(v.signer)
        if kept is None or v.seq > kept.seq:
            latest[v.signer] = v
    return sorted(latest.values(), key=lambda v: v.hash)


def _verdicts(reviews: list[Review]) -> dict[str, str]:
    """Sheet hash -> approve | reject | conflict, from the reviews still in force."""
    overridden = {h for r in reviews for h in r.overrides}
    last: dict[tuple[str, str], Review] = {}
    for r in reviews:
        key = (r.signer, r.sheet)
        kept = last.get(key)
        if kept is None or r.seq > kept.seq:
            last[key] = r
    out: dict[str, str] = {}
    for r in last.values():
        if r.hash in overridden:
            continue
        before = out.get(r.sheet)
        out[r.sheet] = r.decision if before in (None, r.decision) else "conflict"
    return out


def _agree(versions: list[SheetVersion]) -> bool:
    first = dict(versions[0].values)
    return all(dict(v.values) == first for v in versions[1:])


def station_state(states: Iterable[str]) -> str:
    """One word for a station from its contests' states: the most urgent one."""
    seen = set(states)
    if not seen:
        return NOT_ENTERED
    if NOT_ENTERED in seen and len(seen) > 1:
        seen.discard(NOT_ENTERED)
        seen.add(PARTIAL)
    return min(seen, key=URGENCY.index)
