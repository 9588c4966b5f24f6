"""Which sheet counts for a polling station's contest, and the state it is in.

Never last-writer-wins: two officers' different sheets are a dispute until a supervisor
approves one. The outcome depends only on the set of sheets and reviews, not on the order
they arrived in, so every laptop and the server reach the same state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

NOT_ENTERED = "not_entered"
SIGNED = "signed"
CORRECTED = "corrected"
APPROVED = "approved"
REJECTED = "rejected"
DISPUTED = "disputed"
PARTIAL = "partial"  # a station with some of its contests entered

# The order a station's summary picks its contests' states in: what needs a person first.
URGENCY = (DISPUTED, REJECTED, PARTIAL, NOT_ENTERED, CORRECTED, SIGNED, APPROVED)
COUNTED = frozenset({SIGNED, CORRECTED, APPROVED})


@dataclass(frozen=True)
class SheetVersion:
    hash: str
    signer: str
    seq: int
    supersedes: str | None
    values: Mapping[str, int]


@dataclass(frozen=True)
class Review:
    hash: str
    sheet: str
    signer: str
    seq: int
    time: str
    decision: str  # approve | reject


@dataclass(frozen=True)
class SheetState:
    state: str
    current: str | None  # the sheet that counts, if any
    heads: tuple[str, ...]  # each signer's latest version


def sheet_state(versions: Iterable[SheetVersion], reviews: Iterable[Review]) -> SheetState:
    by_hash = {v.hash: v for v in versions}
    if not by_hash:
        return SheetState(NOT_ENTERED, None, ())
    replaced = {
        v.supersedes
        for v in by_hash.values()
        if v.supersedes in by_hash and by_hash[v.supersedes].signer == v.signer
    }
    latest: dict[str, SheetVersion] = {}
    for v in by_hash.values():
        if v.hash in replaced:
            continue
        held = latest.get(v.signer)
        if held is None or (v.seq, v.hash) > (held.seq, held.hash):
            latest[v.signer] = v
    heads = sorted(latest.values(), key=lambda v: v.hash)
    verdict: dict[str, Review] = {}
    for r in reviews:
        held_r = verdict.get(r.sheet)
        if held_r is None or (r.time, r.seq, r.hash) > (held_r.time, held_r.seq, held_r.hash):
            verdict[r.sheet] = r
    head_hashes = tuple(v.hash for v in heads)
    approved = [v for v in heads if v.hash in verdict and verdict[v.hash].decision == "approve"]
    if approved:
        chosen = max(approved, key=lambda v: (verdict[v.hash].time, v.hash))
        return SheetState(APPROVED, chosen.hash, head_hashes)
    distinct = {tuple(sorted(v.values.items())) for v in heads}
    if len(distinct) > 1:
        return SheetState(DISPUTED, None, head_hashes)
    current = heads[0]
    if current.hash in verdict and verdict[current.hash].decision == "reject":
        return SheetState(REJECTED, None, head_hashes)
    return SheetState(CORRECTED if current.supersedes else SIGNED, current.hash, head_hashes)


def station_state(states: Iterable[str]) -> str:
    """One word for a station from its contests' states: the most urgent one."""
    seen = set(states)
    if not seen:
        return NOT_ENTERED
    if NOT_ENTERED in seen and len(seen) > 1:
        seen.discard(NOT_ENTERED)
        seen.add(PARTIAL)
    return min(seen, key=URGENCY.index)
