"""Which sheets count, and the totals, for a whole set of admitted records at once; and which
D.Hasil is in force, whether it is outdated, and whether each objection is open or ruled.

The laptops' store and the server keep the same results incrementally (a projection updated
with each record); this is the plain statement of it over a set, for a verifier that holds
the records in memory: the published vectors, and an auditor recomputing a server's totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from recap_desktop.crypto.envelope import Record
from recap_desktop.domain.election import in_region, parse_time
from recap_desktop.domain.recap import (
    RECAPS,
    SET_ASIDE,
    ObjectionState,
    RecapState,
    RecapVersion,
    RulingVersion,
    objection_state,
    recap_outdated,
    recap_state,
)
from recap_desktop.domain.status import COUNTED, Review, SheetState, SheetVersion, sheet_state
from recap_desktop.protocol.admit import Arrival
from recap_desktop.protocol.records import overrides, place_of
from recap_desktop.protocol.standing import standing
from recap_desktop.protocol.trust import Trust, roles_for


@dataclass
class Tally:
    states: dict[tuple[str, str], SheetState] = field(default_factory=dict)
    values: dict[str, dict[str, int]] = field(default_factory=dict)  # sheet hash -> values
    recaps: dict[tuple[str, str], RecapState] = field(default_factory=dict)  # (region, contest)
    dhasil: dict[str, dict[str, Any]] = field(default_factory=dict)  # D.Hasil hash -> payload
    objections: dict[str, ObjectionState] = field(default_factory=dict)
    objection_at: dict[str, tuple[str, str]] = field(default_factory=dict)  # -> place, contest

    def counting(self, code: str, contest: str, basis: str) -> frozenset[str]:
        """The records that count now for a D.Hasil's child: a station's counted sheets, or
        a sub-region's D.Hasil in force when they are final (PROTOCOL §6.1)."""
        if basis == RECAPS:
            recap = self.recaps.get((code, contest))
            return frozenset(recap.in_force) if recap is not None and recap.final else frozenset()
        state = self.states.get((code, contest))
        if state is None or state.state not in COUNTED:
            return frozenset()
        return frozenset(state.counted)

    def outdated(self, dhasil: str) -> bool:
        """Whether a held D.Hasil no longer says what this set counts (PROTOCOL §6.1)."""
        p = self.dhasil[dhasil]
        region, contest = p["region"], p["contest"]
        codes = [c["code"] for c in p["children"]] + [c["code"] for c in p["pending"]]
        counting = {code: self.counting(code, contest, p["basis"]) for code in codes}
        objections = {
            h: state
            for h, state in self.objections.items()
            if state.state != SET_ASIDE
            and self.objection_at[h][1] == contest
            and in_region(self.objection_at[h][0], region)
        }
        return recap_outdated(p, counting, objections)

    def totals(self, region: str, contest: str) -> tuple[dict[str, int], int]:
        """Sums per field over the stations of ``region`` that count, and how many count."""
        sums: dict[str, int] = {}
        counted = 0
        for (station, cid), state in self.states.items():
            if cid != contest or not in_region(station, region) or state.state not in COUNTED:
                continue
            assert state.current is not None
            counted += 1
            for name, value in self.values[state.current].items():
                sums[name] = sums.get(name, 0) + value
        return sums, counted


def tally(
    records: Iterable[tuple[Record, Arrival]],
    trust: Trust,
    set_aside: Mapping[str, str] | None = None,
) -> Tally:
    """States and values of a holder's officer records (authority records are skipped), each
    with what its holder knows of its arrival, under ``trust``. ``set_aside``: records a
    replay found an error in (hash -> the finding's name): they count for nothing."""
    refused = set_aside or {}
    versions: dict[tuple[str, str], list[SheetVersion]] = {}
    reviews: dict[tuple[str, str], list[Review]] = {}
    recaps: dict[tuple[str, str], list[RecapVersion]] = {}
    objection_standing: dict[str, str | None] = {}
    rulings: dict[str, list[RulingVersion]] = {}
    out = Tally()
    for record, (seen, position) in records:
        if record.type not in ("sheet", "review", "dhasil", "objection", "resolution"):
            continue
        p = record.payload
        why = standing(
            record.type,
            record.signer,
            record.seq or 0,
            place_of(record.type, p) or "",
            parse_time(p["time"], "time"),
            seen,
            position,
            mandates=trust.mandates,
            revoked=trust.revoked,
            forks=trust.forks,
            roles=roles_for(record.type, p),
        )
        why = refused.get(record.hash, why) if why is None else why
        if record.type == "dhasil":
            out.dhasil[record.hash] = p
            recaps.setdefault((p["region"], p["contest"]), []).append(
                RecapVersion(
                    record.hash,
                    record.signer,
                    record.seq or 0,
                    p["supersedes"],
                    p["totals"],
                    p["final"],
                    why,
                )
            )
            continue
        if record.type == "objection":
            objection_standing[record.hash] = why
            out.objection_at[record.hash] = (p["place"], p["contest"])
            continue
        if record.type == "resolution":
            rulings.setdefault(p["objection"], []).append(
                RulingVersion(
                    record.hash, record.signer, record.seq or 0, p["decision"], overrides(p), why
                )
            )
            continue
        key = (p["station"], p["contest"])
        if record.type == "sheet":
            out.values[record.hash] = dict(p["values"])
            versions.setdefault(key, []).append(
                SheetVersion(
                    record.hash, record.signer, record.seq or 0, p["supersedes"], p["values"], why
                )
            )
        else:
            reviews.setdefault(key, []).append(
                Review(
                    record.hash,
                    p["sheet"],
                    record.signer,
                    record.seq or 0,
                    p["decision"],
                    overrides(p),
                    why,
                )
            )
    for key in versions.keys() | reviews.keys():
        out.states[key] = sheet_state(versions.get(key, []), reviews.get(key, []))
    for where, held in recaps.items():
        out.recaps[where] = recap_state(held)
    for h, why in objection_standing.items():
        out.objections[h] = objection_state(why, rulings.get(h, []))
    return out
