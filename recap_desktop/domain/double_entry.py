"""Double entry: a sheet typed twice, blind, and signed only once the two typings agree.

Two people (or one person twice) rarely mistype the same digit of the same field; a sheet
whose two typings agree field by field is very likely what the paper says. The comparison is
here, pure, so the window and a script compare alike; the signed sheet records that it was
double-entered (PROTOCOL §4, ``double_entry``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DoubleEntry:
    """What a sheet says of its typing: typed twice; ``second`` is the key id of the
    operator who typed it the second time, None when the signer typed it both times."""

    second: str | None = None


def differing(
    field_ids: Sequence[str], first: Mapping[str, Any], second: Mapping[str, Any]
) -> list[str]:
    """The fields, in the form's order, where the two typings differ (a field missing from
    one typing differs from any value in the other)."""
    missing = object()
    return [f for f in field_ids if first.get(f, missing) != second.get(f, missing)]


def reconcile(
    field_ids: Sequence[str],
    first: Mapping[str, Any],
    second: Mapping[str, Any],
    third: Mapping[str, Any],
) -> dict[str, Any]:
    """The agreed sheet: the fields both typings agree on, and for each differing field the
    value read a third time from the paper. Refuses a third reading that does not cover every
    differing field, or that touches a field both typings agreed on (that one was not shown)."""
    differ = set(differing(field_ids, first, second))
    if set(third) != differ:
        raise ValueError("the third reading must give exactly the fields that differed")
    return {f: (third[f] if f in differ else first[f]) for f in field_ids}


@dataclass(frozen=True)
class Requirement:
    """A supervisor's signed word that sheets inside ``region`` must be double-entered
    (``required`` False lifts that supervisor's earlier word for the region)."""

    signer: str
    seq: int
    region: str
    required: bool


def requiring_region(requirements: Sequence[Requirement], station: str) -> str | None:
    """The region (the widest, then by code) whose requirement in force covers ``station``,
    or None. In force: each supervisor's latest word (by its chain's seq, never a claimed
    time) for a region; double entry is required where any supervisor's says so. The caller
    passes only requirements whose signers may count for their region (PROTOCOL §6.2)."""
    latest: dict[tuple[str, str], Requirement] = {}
    for r in requirements:
        key = (r.signer, r.region)
        if key not in latest or r.seq > latest[key].seq:
            latest[key] = r
    covering = sorted(
        (r.region for r in latest.values() if r.required and _inside(station, r.region)),
        key=lambda code: (code.count("."), code),
    )
    return covering[0] if covering else None


def _inside(code: str, prefix: str) -> bool:
    return code == prefix or code.startswith(prefix + ".")
