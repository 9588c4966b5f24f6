"""Which sheets count, and the totals, for a whole set of admitted records at once.

The laptops' store and the server keep the same results incrementally (a projection updated
with each record); this is the plain statement of it over a set, for a verifier that holds
the records in memory: the published vectors, and an auditor recomputing a server's totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from recap_desktop.crypto.envelope import Record
from recap_desktop.domain.election import in_region, parse_time
from recap_desktop.domain.status import COUNTED, Review, SheetState, SheetVersion, sheet_state
from recap_desktop.protocol.admit import Arrival
from recap_desktop.protocol.records import overrides
from recap_desktop.protocol.standing import standing
from recap_desktop.protocol.trust import Trust


@dataclass
class Tally:
    states: dict[tuple[str, str], SheetState] = field(default_factory=dict)
    values: dict[str, dict[str, int]] = field(default_factory=dict)  # sheet hash -> values

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
    out = Tally()
    for record, (seen, position) in records:
        if record.type not in ("sheet", "review"):
            continue
        p = record.payload
        key = (p["station"], p["contest"])
        why = standing(
            record.type,
            record.signer,
            record.seq or 0,
            p["station"],
            parse_time(p["time"], "time"),
            seen,
            position,
            mandates=trust.mandates,
            revoked=trust.revoked,
            forks=trust.forks,
        )
        why = refused.get(record.hash, why) if why is None else why
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
    return out
