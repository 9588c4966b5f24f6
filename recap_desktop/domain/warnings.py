"""Warning bounds as data: what a sheet may say only with a reason (docs/PROTOCOL.md §4).

A form's rules of severity ``warning`` are linear comparisons; these four need what a linear
rule cannot say (a share with a bound, "every value zero while the station has voters", a
station far from its village). They live in the election package, beside the rules, as the
form's optional ``warnings`` member; a package without it gets ``DEFAULTS``. This module is
the one place they are read and evaluated: the window, the CLI and the verifier call it.

Integers only (the canonical JSON has no floats), so two verifiers compute the same verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The names a sheet's ``warnings`` list uses for these. A colon is no rule id's character,
# so they never clash with a form rule's id.
TURNOUT, INVALID, ALL_ZERO, VILLAGE = (
    "bound:turnout",
    "bound:invalid_share",
    "bound:all_zero",
    "bound:village",
)
# The warnings a verifier recomputes from the sheet and the package alone (the village rule
# needs the other stations' sheets, which two holders may hold differently).
LOCAL = frozenset({TURNOUT, INVALID, ALL_ZERO})
MAX_PERCENT = 1000


class BoundsError(ValueError):
    """A ``warnings`` member of a form that cannot be used."""


@dataclass(frozen=True)
class Share:
    """``100 * field > max_percent * of`` fires (``of`` None: the station's registered)."""

    field: str
    of: str | None
    max_percent: int


@dataclass(frozen=True)
class Village:
    """A station's ``field`` per mille of its registered voters, against the median of the
    other stations of its village: fires when it differs from it by more than
    ``floor_permille`` and by more than ``k`` times the median absolute deviation (MAD), with
    at least ``min_stations`` other stations known. The MAD, not the standard deviation: one
    wild station does not widen the band that should catch it."""

    field: str
    k: int
    floor_permille: int
    min_stations: int


@dataclass(frozen=True)
class Bounds:
    turnout: Share | None
    invalid_share: Share | None
    all_zero: bool
    village: Village | None


@dataclass(frozen=True)
class Hit:
    """One warning that fired: its name and the numbers a message shows."""

    name: str
    value: int
    bound: int


def defaults(field_ids: Sequence[str]) -> Bounds:
    """What a package without ``warnings`` gets (PROTOCOL §4): the 2024 C.Hasil's field ids,
    each bound off where its fields are not on the form. Turnout above 100% of the registered
    voters; invalid votes above 10% of all votes (2024: some 2% for the president, 10% at the
    worst DPR stations); every value zero at a station with voters; a station's turnout more
    than 200 per mille (20 points) and more than 6 MADs (about 4 standard deviations of a
    normal spread) from its village's median, with 4 other stations known. Conservative on
    purpose: the DEMO's random sheets (turnout spread evenly over 60% to 90%) fire it for
    about 1 station in 200; a package tightens it where the commission wants."""
    have = set(field_ids)
    return Bounds(
        turnout=Share("voted_total", None, 100) if "voted_total" in have else None,
        invalid_share=Share("invalid", "total", 10) if {"invalid", "total"} <= have else None,
        all_zero=True,
        village=Village("voted_total", 6, 200, 4) if "voted_total" in have else None,
    )


def parse(data: Any, field_ids: Sequence[str], where: str) -> Bounds:
    """A form's ``warnings`` member: exactly ``turnout``, ``invalid_share``, ``all_zero`` and
    ``village``, each null (off) or as §4 says."""
    fields = set(field_ids)
    _exact(data, where, {"turnout", "invalid_share", "all_zero", "village"})
    turnout = data["turnout"]
    if turnout is not None:
        _exact(turnout, f"{where}.turnout", {"field", "max_percent"})
        turnout = Share(
            _field(turnout["field"], fields, f"{where}.turnout.field"),
            None,
            _count(turnout["max_percent"], f"{where}.turnout.max_percent", MAX_PERCENT),
        )
    invalid = data["invalid_share"]
    if invalid is not None:
        _exact(invalid, f"{where}.invalid_share", {"field", "of", "max_percent"})
        invalid = Share(
            _field(invalid["field"], fields, f"{where}.invalid_share.field"),
            _field(invalid["of"], fields, f"{where}.invalid_share.of"),
            _count(invalid["max_percent"], f"{where}.invalid_share.max_percent", MAX_PERCENT),
        )
    if not isinstance(data["all_zero"], bool):
        raise BoundsError(f"{where}.all_zero: true or false is expected")
    village = data["village"]
    if village is not None:
        w = f"{where}.village"
        _exact(village, w, {"field", "k", "floor_permille", "min_stations"})
        village = Village(
            _field(village["field"], fields, f"{w}.field"),
            _count(village["k"], f"{w}.k", 100, minimum=1),
            _count(village["floor_permille"], f"{w}.floor_permille", 1000),
            _count(village["min_stations"], f"{w}.min_stations", 1000, minimum=1),
        )
    return Bounds(turnout, invalid, data["all_zero"], village)


def local_hits(bounds: Bounds, values: Mapping[str, int], registered: int) -> list[Hit]:
    """The warnings a sheet's own values fire, in the order of ``LOCAL``'s documentation:
    turnout, invalid share, all zero. ``values`` are counts (checked before)."""
    out = []
    t = bounds.turnout
    if t is not None and 100 * values.get(t.field, 0) > t.max_percent * registered:
        out.append(Hit(TURNOUT, _percent(values.get(t.field, 0), registered), t.max_percent))
    s = bounds.invalid_share
    if s is not None and s.of is not None:
        part, whole = values.get(s.field, 0), values.get(s.of, 0)
        if 100 * part > s.max_percent * whole:
            out.append(Hit(INVALID, _percent(part, whole), s.max_percent))
    if bounds.all_zero and registered > 0 and not any(values.values()):
        out.append(Hit(ALL_ZERO, 0, registered))
    return out


def permille(values: Mapping[str, int], registered: int, field: str) -> int | None:
    """A station's ``field`` per mille of its registered voters (None: no registered)."""
    return 1000 * values.get(field, 0) // registered if registered > 0 else None


def median(numbers: Sequence[int]) -> int:
    """The median of integers, the two middle ones averaged and rounded down when even."""
    ordered = sorted(numbers)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) // 2


def village_hit(rule: Village, own: int | None, others: Sequence[int]) -> Hit | None:
    """Whether a station's share ``own`` (per mille) is far from its village's others'."""
    if own is None or len(others) < rule.min_stations:
        return None
    centre = median(others)
    mad = median([abs(x - centre) for x in others])
    gap = abs(own - centre)
    if gap > rule.floor_permille and gap > rule.k * mad:
        return Hit(VILLAGE, own, centre)
    return None


def _percent(part: int, whole: int) -> int:
    return 100 * part // whole if whole > 0 else 100 * part


def _exact(value: Any, where: str, names: set[str]) -> None:
    if not isinstance(value, dict) or set(value) != names:
        raise BoundsError(f"{where}: an object of exactly {', '.join(sorted(names))} is expected")


def _field(value: Any, fields: set[str], where: str) -> str:
    if not isinstance(value, str) or value not in fields:
        raise BoundsError(f"{where}: {value!r} is not a field of the form")
    return value


def _count(value: Any, where: str, maximum: int, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise BoundsError(f"{where}: an integer from {minimum} to {maximum} is expected")
    return value
