"""The recapitulation's shape: which regions a D.Hasil is made for, and what it rests on.

In the real process the sub-district committee (PPK) recaps its polling stations' C.Hasil,
the regency recaps its sub-districts, the province its regencies. A D.Hasil names every
child of its region: each counted child with the record it counted, and the others as still
pending. Which children a region has is a fact of the election package, so a verifier checks
that a D.Hasil forgets none and invents none (docs/PROTOCOL.md §4, `dhasil`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from recap_desktop.domain.election import ElectionView
from recap_desktop.domain.status import (
    CORRECTED,
    DISPUTED,
    NOT_ENTERED,
    SIGNED,
    UNCOUNTED,
    latest_versions,
)

# The levels that hold a plenary and sign a D.Hasil (a village no longer recaps, as in 2024).
RECAP_LEVELS = ("district", "regency", "province")
SHEETS, RECAPS = "sheets", "recaps"  # what a D.Hasil's children are: stations, or sub-regions
# What a resolution may decide: an objection is upheld or dismissed, an incident noted.
DECISIONS = ("accepted", "rejected", "noted")
OBJECTION_KINDS = ("objection", "incident")
DECISIONS_FOR_KIND = {"objection": ("accepted", "rejected"), "incident": ("noted",)}


def can_recap(election: ElectionView, region: str) -> bool:
    found = election.region(region)
    return found is not None and found.level in RECAP_LEVELS


def bases(election: ElectionView, region: str) -> tuple[str, ...]:
    """What a region's D.Hasil may rest on: a sub-district only on its stations' sheets; a
    regency or province on its sheets or on its sub-regions' D.Hasil (the two must agree)."""
    found = election.region(region)
    if found is None or found.level not in RECAP_LEVELS:
        return ()
    return (SHEETS,) if found.level == "district" else (SHEETS, RECAPS)


def holds_contest(election: ElectionView, place: str, contest: str) -> bool:
    """Whether a station, or any station inside a region, holds the contest."""
    station = election.station(place)
    if station is not None:
        return contest in station.contests
    return any(contest in s.contests for s in election.stations_within(place))


def knows_place(election: ElectionView, place: str) -> bool:
    """A station or a region of the package: where an objection may be filed."""
    return election.station(place) is not None or election.region(place) is not None


def expected_children(election: ElectionView, region: str, contest: str, basis: str) -> list[str]:
    """The codes a D.Hasil of ``region`` must name (as counted or pending), sorted: the
    stations inside it that hold the contest, or its direct sub-regions that hold it."""
    if basis == SHEETS:
        return [s.code for s in election.stations_within(region) if contest in s.contests]
    return [c for c in election.child_regions(region) if holds_contest(election, c, contest)]


def add_up(children: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> dict[str, int] | None:
    """Every field of ``fields`` summed over the children: a field a child lacks counts 0, a
    field of a child's that is not among ``fields`` is not summed. None when a child holds
    something other than an integer for one of ``fields`` (a record that was refused
    ``bad_values``, met again in a replay): such numbers have no sum (PROTOCOL §5.5)."""
    out = dict.fromkeys(fields, 0)
    for child in children:
        for f in fields:
            value = child.get(f, 0)
            if type(value) is not int:
                return None
            out[f] += value
    return out


@dataclass(frozen=True)
class Blockers:
    """What keeps a plenary from closing: children not counted, objections not resolved."""

    missing: tuple[str, ...] = ()  # children with nothing counted (codes)
    disputed: tuple[str, ...] = ()  # children whose records disagree (codes)
    open_objections: tuple[str, ...] = ()  # objection hashes without a resolution
    outdated: tuple[str, ...] = ()  # sub-regions whose final D.Hasil no longer hold (codes)

    @property
    def none(self) -> bool:
        return not (self.missing or self.disputed or self.open_objections or self.outdated)


# -- which D.Hasil is in force; objections open or ruled (PROTOCOL §6.1) ----------------------

# An objection's state. Open: nothing rules on it yet; ruled: the rulings in force agree;
# disputed: they disagree (chairs who did not see each other's ruling); set aside: it may not
# count (its signer's standing, or an error a replay found), so it blocks nothing.
OPEN, RULED, SET_ASIDE = "open", "ruled", "set_aside"
UNSETTLED = frozenset({OPEN, DISPUTED})  # what keeps a plenary from closing


@dataclass(frozen=True)
class RecapVersion:
    """A D.Hasil as §6.1 needs it."""

    hash: str
    signer: str
    seq: int
    supersedes: str | None
    totals: Mapping[str, int]
    final: bool
    standing: str | None = None  # None: it may count; else why not


@dataclass(frozen=True)
class RecapState:
    state: str  # not_entered | uncounted | signed | corrected | disputed
    in_force: tuple[str, ...]  # every D.Hasil in force (they agree), sorted by hash
    final: bool | None  # whether those in force are final (None: none is in force)
    heads: tuple[str, ...]  # each counting signer's latest version
    attention: tuple[str, ...] = ()  # the standing of the versions set aside, sorted


def recap_state(versions: Iterable[RecapVersion]) -> RecapState:
    """Which D.Hasil of one region and contest is in force (PROTOCOL §6.1).

    Versions that may not count are set aside. Each signer's latest version is the one none
    of its own versions supersedes. The latest versions are all in force when they say the
    same totals and the same ``final``; otherwise the region is disputed and none is. Never
    one of them by hash or by arrival: two chairs' agreeing D.Hasil are both in force, and two
    that disagree (in numbers, or one closed and one not) are shown to people as disputed.
    """
    attention: set[str] = set()
    live: dict[str, RecapVersion] = {}
    held = False
    for v in versions:
        held = True
        if v.standing is None:
            live[v.hash] = v
        else:
            attention.add(v.standing)
    noted = tuple(sorted(attention))
    if not live:
        return RecapState(UNCOUNTED if held else NOT_ENTERED, (), None, (), noted)
    heads = latest_versions(live)
    hashes = tuple(v.hash for v in heads)
    said = {(tuple(sorted(v.totals.items())), v.final) for v in heads}
    if len(said) > 1:
        return RecapState(DISPUTED, (), None, hashes, noted)
    state = CORRECTED if any(v.supersedes for v in heads) else SIGNED
    return RecapState(state, hashes, heads[0].final, hashes, noted)


@dataclass(frozen=True)
class RulingVersion:
    """A resolution as §6.1 needs it."""

    hash: str
    signer: str
    seq: int
    decision: str
    overrides: tuple[str, ...] = ()
    standing: str | None = None


@dataclass(frozen=True)
class ObjectionState:
    state: str  # open | ruled | disputed | set_aside
    decision: str | None  # the decision of the rulings in force, when they agree
    in_force: tuple[str, ...]  # the rulings in force, sorted by hash
    attention: tuple[str, ...] = ()

    @property
    def settled(self) -> bool:
        """Whether it no longer keeps a plenary from closing."""
        return self.state not in UNSETTLED


def objection_state(standing: str | None, rulings: Iterable[RulingVersion]) -> ObjectionState:
    """Whether an objection is open or ruled (PROTOCOL §6.1), as reviews decide a sheet.

    Only rulings that may count are considered. A ruling stops being in force when its
    signer has a later ruling on the same objection (higher ``seq``: the signer's own order)
    or when another ruling names it in ``overrides`` (it saw it and decides again: an appeal
    ruled at the level above, a chair correcting a colleague). The rulings in force decide
    when they agree; when they do not, the objection is disputed until a ruling overriding
    them settles it. Nothing here depends on arrival, hashes or claimed times.
    """
    attention: set[str] = set()
    considered: list[RulingVersion] = []
    for r in rulings:
        if r.standing is None:
            considered.append(r)
        else:
            attention.add(r.standing)
    if standing is not None:
        return ObjectionState(SET_ASIDE, None, (), tuple(sorted(attention | {standing})))
    overridden = {h for r in considered for h in r.overrides}
    last: dict[str, RulingVersion] = {}
    for r in considered:
        kept = last.get(r.signer)
        if kept is None or r.seq > kept.seq:
            last[r.signer] = r
    in_force = sorted((r for r in last.values() if r.hash not in overridden), key=lambda r: r.hash)
    hashes = tuple(r.hash for r in in_force)
    noted = tuple(sorted(attention))
    decisions = {r.decision for r in in_force}
    if not decisions:
        return ObjectionState(OPEN, None, (), noted)
    if len(decisions) > 1:
        return ObjectionState(DISPUTED, None, hashes, noted)
    return ObjectionState(RULED, decisions.pop(), hashes, noted)


def recap_outdated(
    dhasil: Mapping[str, Any],
    counting: Mapping[str, Iterable[str]],
    objections: Mapping[str, ObjectionState],
) -> bool:
    """Whether a D.Hasil no longer says what its holder counts now (PROTOCOL §6.1).

    ``counting``: child code -> the records that count for that child now (a station's
    counted sheets; a sub-region's D.Hasil in force, when they are final); a child absent or
    with none counts nothing. ``objections``: every objection of the D.Hasil's contest at its
    region or inside it that is not set aside, with its state. Outdated when a child it counts
    is no longer counted by the record it names, a child it lists as pending counts now, the
    objections it names are not exactly those, or one's ruling is not what it names (null for
    an open one; one of the rulings in force of a ruled one).
    """
    for child in dhasil["children"]:
        if child["record"] not in set(counting.get(child["code"], ())):
            return True
    for child in dhasil["pending"]:
        if any(True for _ in counting.get(child["code"], ())):
            return True
    named = {e["objection"]: e["resolution"] for e in dhasil["objections"]}
    if set(named) != set(objections):
        return True
    for objection, resolution in named.items():
        now = objections[objection]
        if resolution is None:
            if now.state != OPEN:
                return True
        elif now.state != RULED or resolution not in now.in_force:
            return True
    return False
