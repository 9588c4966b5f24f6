"""The checks of the recapitulation's records: a D.Hasil, an objection, a resolution
(docs/PROTOCOL.md §4 and §5.3, §5.5).

A D.Hasil claims things: totals, the children they rest on, what is still pending, the
objections filed and how they were ruled. Each claim is checked against proof: the children
against the election package (``check_claims``, which needs nothing but the record and the
package), the totals against the children's own signed numbers and the objections against
the held objections and resolutions (``check_references``, which needs what the holder
holds). A D.Hasil whose totals are off by one vote from the sum of what it names is refused at
every door, because every door calls these through the one admission rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from recap_desktop.domain.election import ElectionView, in_region
from recap_desktop.domain.recap import (
    DECISIONS_FOR_KIND,
    RECAPS,
    add_up,
    bases,
    expected_children,
    holds_contest,
    knows_place,
)
from recap_desktop.protocol.problems import Problem
from recap_desktop.protocol.records import MAX_TOTAL, place_of

# A held record's payload by hash (None: not held).
Body = Callable[[str], Mapping[str, Any] | None]


def check_claims(
    record_hash: str, kind: str, p: Mapping[str, Any], election: ElectionView
) -> Problem | None:
    """What a recap record says that the election package alone can refute."""
    contest = p["contest"]
    if kind == "dhasil":
        region = p["region"]
        allowed = bases(election, region)
        if not allowed:
            return Problem(
                record_hash, "unknown_region", f"{region} is not a region that signs a D.Hasil"
            )
        if not holds_contest(election, region, contest):
            return Problem(record_hash, "unknown_contest", f"contest {contest!r} in {region}")
        form = election.contests[contest].form
        totals = p["totals"]
        if set(totals) != set(form.field_ids) or not all(
            type(v) is int and 0 <= v <= MAX_TOTAL for v in totals.values()
        ):
            return Problem(
                record_hash, "bad_values", "totals must hold every field of the form as a count"
            )
        if p["basis"] not in allowed:
            return Problem(
                record_hash, "bad_children", f"a D.Hasil of {region} cannot rest on {p['basis']}"
            )
        want = expected_children(election, region, contest, p["basis"])
        named = sorted([c["code"] for c in p["children"]] + [c["code"] for c in p["pending"]])
        if named != want:
            extra = sorted(set(named) - set(want))
            missing = sorted(set(want) - set(named))
            twice = sorted({c for c in named if named.count(c) > 1})
            said = (
                f"names {extra[0]}, not a child of {region}"
                if extra
                else f"says nothing of {missing[0]}"
                if missing
                else f"names {twice[0]} both as counted and as pending"
            )
            return Problem(record_hash, "bad_children", said)
        if p["final"] and p["pending"]:
            return Problem(
                record_hash,
                "not_closed",
                f"final while {len(p['pending'])} children are still pending",
            )
        if p["final"] and any(o["resolution"] is None for o in p["objections"]):
            return Problem(record_hash, "not_closed", "final with an objection not ruled on")
        return None
    place = p["place"]
    if not knows_place(election, place):
        return Problem(record_hash, "unknown_region", f"{place} is not in the election")
    if not holds_contest(election, place, contest):
        return Problem(record_hash, "unknown_contest", f"contest {contest!r} at {place}")
    return None


def check_references(
    record_hash: str, kind: str, signer: str, p: Mapping[str, Any], body: Body
) -> Problem | None:
    """What a recap record refers to: each reference held, of the right type and place, and
    a D.Hasil's totals the sum of its children's numbers (PROTOCOL §5.5)."""
    if kind == "objection":
        return None
    if kind == "resolution":
        target = body(p["objection"])
        if target is None or target.get("type") != "objection":
            return _dangling(record_hash, "objection", p["objection"], "an objection held")
        if (target.get("place"), target.get("contest")) != (p["place"], p["contest"]):
            return _dangling(record_hash, "objection", p["objection"], "of this place and contest")
        for replaced in p["overrides"]:
            earlier = body(replaced)
            if (
                earlier is None
                or earlier.get("type") != "resolution"
                or earlier.get("objection") != p["objection"]
            ):
                return _dangling(
                    record_hash, "overrides", replaced, "a ruling on the same objection held"
                )
        allowed = DECISIONS_FOR_KIND.get(str(target.get("kind")), ())
        if p["decision"] not in allowed:
            return Problem(
                record_hash,
                "bad_ruling",
                f"{p['decision']} on an {target.get('kind')}: it may be {' or '.join(allowed)}",
            )
        return None
    region, contest = p["region"], p["contest"]
    if p["supersedes"] is not None:
        old = body(p["supersedes"])
        if (
            old is None
            or old.get("type") != "dhasil"
            or (old.get("region"), old.get("contest")) != (region, contest)
            or old.get("signer") != signer
        ):
            return _dangling(
                record_hash, "supersedes", p["supersedes"], "a D.Hasil of its signer held here"
            )
    counted: list[Mapping[str, Any]] = []
    want = "dhasil" if p["basis"] == RECAPS else "sheet"
    for child in p["children"]:
        got = body(child["record"])
        if (
            got is None
            or got.get("type") != want
            or place_of(want, got) != child["code"]
            or got.get("contest") != contest
        ):
            return _dangling(
                record_hash, f"children {child['code']}", child["record"], f"its {want} held"
            )
        if want == "dhasil" and got.get("final") is not True:
            return Problem(
                record_hash,
                "bad_children",
                f"rests on {child['record'][:16]}…, a D.Hasil of {child['code']} not final",
            )
        numbers = got.get("totals" if want == "dhasil" else "values")
        counted.append(numbers if isinstance(numbers, dict) else {})
    for entry in p["objections"]:
        got = body(entry["objection"])
        if (
            got is None
            or got.get("type") != "objection"
            or got.get("contest") != contest
            or not isinstance(got.get("place"), str)
            or not in_region(got["place"], region)
        ):
            return _dangling(
                record_hash, "objections", entry["objection"], f"an objection in {region} held"
            )
        if entry["resolution"] is not None:
            ruling = body(entry["resolution"])
            if (
                ruling is None
                or ruling.get("type") != "resolution"
                or ruling.get("objection") != entry["objection"]
            ):
                return _dangling(
                    record_hash, "resolution", entry["resolution"], "a ruling on that objection"
                )
    totals = p["totals"]
    summed = add_up(counted, list(totals))
    if summed is None:
        return Problem(
            record_hash, "bad_totals", "a child it names holds numbers that are not counts"
        )
    off = [f for f in sorted(totals) if summed[f] != totals[f]]
    if off:
        first = off[0]
        return Problem(
            record_hash,
            "bad_totals",
            f"{first} is {totals[first]}, its children add up to {summed[first]}"
            + (f" ({len(off)} fields differ)" if len(off) > 1 else ""),
        )
    return None


def _dangling(record_hash: str, name: str, target: str, what: str) -> Problem:
    return Problem(record_hash, "dangling", f"{name} {target[:16]}… is not {what}")
