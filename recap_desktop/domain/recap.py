"""The recapitulation's shape: which regions a D.Hasil is made for, and what it rests on.

In the real process the sub-district committee (PPK) recaps its polling stations' C.Hasil,
the regency recaps its sub-districts, the province its regencies. A D.Hasil names every
child of its region: each counted child with the record it counted, and the others as still
pending. Which children a region has is a fact of the election package, so a verifier checks
that a D.Hasil forgets none and invents none (docs/PROTOCOL.md §4, `dhasil`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from recap_desktop.domain.election import ElectionView

# The levels that hold a plenary and sign a D.Hasil (a village no longer recaps, as in 2024).
RECAP_LEVELS = ("district", "regency", "province")
SHEETS, RECAPS = "sheets", "recaps"  # what a D.Hasil's children are: stations, or sub-regions
# What a resolution may decide on an objection or incident.
DECISIONS = ("accepted", "rejected", "noted")
OBJECTION_KINDS = ("objection", "incident")


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


def add_up(children: Sequence[Mapping[str, int]], fields: Sequence[str]) -> dict[str, int]:
    """Every field of the form summed over the children (a field a child lacks counts 0)."""
    return {f: sum(int(c.get(f, 0)) for c in children) for f in fields}


@dataclass(frozen=True)
class Blockers:
    """What keeps a plenary from closing: children not counted, objections not resolved."""

    missing: tuple[str, ...] = ()  # children with nothing counted (codes)
    disputed: tuple[str, ...] = ()  # children whose records disagree (codes)
    open_objections: tuple[str, ...] = ()  # objection hashes without a resolution

    @property
    def none(self) -> bool:
        return not (self.missing or self.disputed or self.open_objections)
