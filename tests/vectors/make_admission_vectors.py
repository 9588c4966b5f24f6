"""Write tests/vectors/admission_vectors.json: verdicts and counts another implementation of
docs/PROTOCOL.md must reproduce.

Two parts:
- ``admission``: a base set every door holds, then hostile (and two honest) records, each
  offered alone after the base; the verdict each must get (PROTOCOL §5).
- ``holders``: whole sets of records in the order a holder received them, each with what the
  holder knows of its arrival (seen, position); the findings a replay gives (§5.7), the state
  of every station and contest, and the totals (§6).

Run ``python tests/vectors/make_admission_vectors.py`` and commit the output; the tests check
the program against the committed file (tests/test_protocol_vectors.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json
from recap_desktop.domain.election import format_time
from recap_desktop.protocol.admit import Arrival, Replay, admit
from recap_desktop.protocol.problems import Problem
from recap_desktop.protocol.records import place_of
from recap_desktop.protocol.tally import tally
from recap_desktop.protocol.trust import AUTHORITY_TYPES, Trust
from tests import hostile
from tests.hostile import (
    CHAIR,
    CHAIR2,
    CHAIR_PROV,
    CHAIR_REG,
    DISTRICT,
    FAR_DISTRICT,
    FAR_OP,
    OP_A,
    OP_B,
    REVOKED,
    S1,
    S2,
    S3,
    SUP,
    dhasil,
    key,
    objection,
    resolution,
    review,
    sheet,
)

OUT = Path(__file__).with_name("admission_vectors.json")
NOW = datetime(2026, 11, 26, tzinfo=UTC)  # every door's clock in the admission part
SUP2 = key("supervisor two")
OWN = key("the holder's own key")
CHAIR_FAR2 = key("second chair 32.01.02")


class _Held:
    """A holder's set as a plain dict (what a door's storage answers)."""

    def __init__(self, records: list[Record]) -> None:
        self.by_hash = {r.hash: r for r in records}

    def held(self, hashes: Any) -> set[str]:
        return {h for h in hashes if h in self.by_hash}

    def ref(self, h: str) -> Any:
        r = self.by_hash.get(h)
        return (
            None if r is None else (r.type, place_of(r.type, r.payload), r.payload.get("contest"))
        )

    def chain_head(self, signer: str) -> Any:
        mine = [r for r in self.by_hash.values() if r.signer == signer and r.seq]
        top = max(mine, key=lambda r: r.seq or 0, default=None)
        return None if top is None else (top.seq, top.hash, top.payload["time"])

    def hash_at(self, signer: str, seq: int) -> str | None:
        found = [r.hash for r in self.by_hash.values() if r.signer == signer and r.seq == seq]
        return found[0] if found else None

    def record(self, h: str) -> Record | None:
        return self.by_hash.get(h)

    def payload(self, h: str) -> dict[str, Any] | None:
        r = self.by_hash.get(h)
        return None if r is None else r.payload

    def signer(self, h: str) -> str | None:
        r = self.by_hash.get(h)
        return None if r is None else r.signer


def admission_part() -> dict[str, Any]:
    table = hostile.table()
    anchor = Trust(hostile.AUTH.public_key)
    base = admit(table.base, _Held([]), anchor, arrivals=(NOW, None))
    assert not base.refused, base.problems
    assert base.trust is not None
    held = _Held(base.admitted)
    cases = []
    for case in table.cases:
        try:
            records = [r if isinstance(r, Record) else from_json(r) for r in case.records]
        except EnvelopeError:  # a record that does not even parse
            status, reason = "refused", "malformed"
        else:
            out = admit(records, held, base.trust, arrivals=(NOW, None))
            last = out.decisions[-1]
            status, reason = last.status, last.problem.kind if last.problem else None
            if status != "refused":
                reason = None  # a notice, not a refusal
        assert (reason if status == "refused" else None) == case.expect, (case.name, reason)
        cases.append(
            {
                "name": case.name,
                "why": case.why,
                "records": case.wire(),
                "expect": {"status": status, "reason": reason},
            }
        )
    return {
        "now": format_time(NOW),
        "base": [r.to_json() for r in table.base],
        "cases": cases,
    }


def _t(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 2, day, hour, tzinfo=UTC)


def holders_part() -> list[dict[str, Any]]:
    table = hostile.table()
    base = table.base
    a1, a2 = base[8], base[9]
    approval = base[10]
    same_as_a1 = sheet(OP_B, 1, None, S1)
    other_values = sheet(OP_B, 1, None, S1, values={**hostile.VALUES, "v_p01": 59, "v_p02": 51})
    reject_a1 = review(SUP, 2, approval.hash, a1, "reject", time="2026-02-14T12:00:00Z")
    future_reject = review(SUP, 2, approval.hash, a2, "reject", time="2030-01-01T00:00:00Z")
    later_approve = review(SUP2, 1, None, a2, overrides=[future_reject.hash])
    sup2_cert = hostile.certificate(SUP2, "supervisor", "32.01")
    by_revoked_early = sheet(REVOKED, 1, None, "32.01.01.2001.004")
    by_revoked_late = sheet(REVOKED, 2, by_revoked_early.hash, "32.01.01.2001.005")
    own_sheet = sheet(OWN, 1, None, "32.01.01.2001.006")
    own_cert = hostile.certificate(OWN, "operator", "32.01.01")
    unaware_approve = review(SUP2, 1, None, a1)
    settle = review(
        SUP, 3, reject_a1.hash, a1, time="2026-02-14T13:00:00Z", overrides=[unaware_approve.hash]
    )
    unreviewed = base[:10]  # the base without its approval

    def day(n: int) -> Arrival:
        return (_t(n), None)

    correction = sheet(
        OP_A, 3, a2.hash, S2, time="2026-02-15T09:00:00Z", values=_other(), supersedes=a2.hash,
        reason="salah baca kertas",
    )  # fmt: skip
    b1 = sheet(OP_B, 1, None, S2, time="2026-02-15T08:00:00Z", values=_other())
    b_fork = sheet(OP_B, 1, None, "32.01.01.2001.007", time="2026-02-15T08:05:00Z")
    b2 = sheet(OP_B, 2, b1.hash, "32.01.01.2001.008", time="2026-02-15T08:10:00Z")
    approve_a1 = base[10]
    approve_b_other = review(SUP2, 1, None, other_values)
    reject_a2 = review(SUP, 2, approve_a1.hash, a2, "reject")

    scenarios: list[tuple[str, str, list[tuple[Record, Arrival]], bool]] = [
        (
            "certificate_before_its_package",
            "a certificate that arrived before any package was admitted to check it against",
            [(base[1], day(13)), (base[0], day(14)), *((r, day(14)) for r in base[2:])],
            False,
        ),
        (
            "a_correction_and_its_own_officer",
            "an officer corrects its own sheet with other numbers: the correction counts "
            "(corrected)",
            [*((r, day(14)) for r in base), (correction, day(15))],
            False,
        ),
        (
            "approvals_that_disagree",
            "two supervisors approve two different sheets of one station",
            [
                *((r, day(14)) for r in base),
                (sup2_cert, day(14)),
                (other_values, day(14)),
                (approve_b_other, day(15)),
            ],
            False,
        ),
        (
            "a_rejection_with_nothing_else",
            "the only sheet of a station is rejected: rejected, nothing counts",
            [*((r, day(14)) for r in base), (reject_a2, day(15))],
            False,
        ),
        (
            "fork_evidence_held",
            "the holder keeps proof that operator B signed two records number 1: B's records "
            "from number 1 on do not count",
            [*((r, day(14)) for r in base), (b1, day(15)), (b2, day(15))],
            False,
        ),
        (
            "agreeing_copies_count_together",
            "two operators' equal sheets both count; rejecting one leaves the other counting",
            [*((r, day(14)) for r in base), (same_as_a1, day(14)), (reject_a1, day(15))],
            False,
        ),
        (
            "dispute",
            "different numbers from two operators: disputed, nothing counts",
            [*((r, day(14)) for r in unreviewed), (other_values, day(14))],
            False,
        ),
        (
            "a_future_date_decides_nothing",
            "a rejection dated 2030 is replaced by a later approval that names it",
            [
                *((r, day(14)) for r in base),
                (sup2_cert, day(14)),
                (future_reject, day(15)),
                (later_approve, day(16)),
            ],
            False,
        ),
        (
            "review_conflict",
            "a rejection and an approval by two supervisors unaware of each other: disputed",
            [
                *((r, day(14)) for r in base),
                (sup2_cert, day(14)),
                (reject_a1, day(15)),
                (unaware_approve, day(15)),
            ],
            False,
        ),
        (
            "reviews_that_did_not_see_each_other",
            "a rejection and an approval unaware of it: a conflict; a review naming it settles",
            [
                *((r, day(14)) for r in base),
                (sup2_cert, day(14)),
                (reject_a1, day(15)),
                (unaware_approve, day(15)),
                (settle, day(16)),
            ],
            False,
        ),
        (
            "revoked_key_before_and_after_in_the_log",
            "the server's log puts one record of a revoked key before its revocation, one after",
            [
                *((r, (_t(14), i + 1)) for i, r in enumerate(base[:7])),
                (by_revoked_early, (_t(14), 8)),
                (base[7], (_t(15), 9)),  # the revocation list
                *((r, (_t(15), 10 + i)) for i, r in enumerate(base[8:])),
                (by_revoked_late, (_t(16), 10 + len(base[8:]))),
            ],
            False,
        ),
        (
            "own_key_awaits_its_certificate",
            "the holder's own sheet, then its certificate: it counts from then on",
            [*((r, day(14)) for r in base), (own_sheet, day(14)), (own_cert, day(15))],
            True,
        ),
        (
            "own_key_without_certificate",
            "the holder's own sheet and no certificate: kept, shown, not counted",
            [*((r, day(14)) for r in base), (own_sheet, day(14))],
            True,
        ),
    ]
    scenarios += _recap_scenarios(base, day)
    forks = {"fork_evidence_held": [[b1.to_json(), b_fork.to_json()]]}
    out = []
    for name, why, arrived, own in scenarios:
        known = {OWN.key_id: OWN.public_key} if own else {}
        anchor = Trust(hostile.AUTH.public_key, known_keys=known)
        if name in forks:
            anchor = anchor.with_forks({OP_B.key_id: 1})
        findings, trust = replay(arrived, anchor)
        errors = {p.record: p.kind for p in findings if p.severity == "error" and p.record}
        result = tally(arrived, trust, errors)
        held = {r.hash for r, _ in arrived}
        for pair in forks.get(name, []):  # kept evidence, reported after the replay
            outside = next(r for r in pair if r["hash"] not in held)
            findings.append(Problem(outside["hash"], "equivocation", "fork evidence"))
        states = [
            {
                "station": station,
                "contest": contest,
                "state": state.state,
                "counted": sorted(state.counted),
                "attention": list(state.attention),
            }
            for (station, contest), state in sorted(result.states.items())
        ]
        sums, counted = result.totals("32.01.01", "ppwp")
        recaps = [
            {
                "region": region,
                "contest": contest,
                "state": state.state,
                "final": state.final,
                "in_force": list(state.in_force),
                "outdated": [h for h in state.in_force if result.outdated(h)],
                "attention": list(state.attention),
            }
            for (region, contest), state in sorted(result.recaps.items())
        ]
        objections = [
            {
                "objection": h,
                "state": state.state,
                "decision": state.decision,
                "rulings": list(state.in_force),
                "attention": list(state.attention),
            }
            for h, state in sorted(result.objections.items())
        ]
        out.append(
            {
                "name": name,
                "why": why,
                "own_key": OWN.public_key.hex() if own else None,
                "forks": forks.get(name, []),
                "records": [
                    {
                        **({"base": base.index(r)} if r in base else {"record": r.to_json()}),
                        "seen": format_time(seen),
                        "position": position,
                    }
                    for r, (seen, position) in arrived
                ],
                "expect": {
                    "findings": [[p.record, p.kind] for p in findings],
                    "states": states,
                    "totals": [
                        {"region": "32.01.01", "contest": "ppwp", "counted": counted, "sums": sums}
                    ],
                    "recaps": recaps,
                    "objections": objections,
                },
            }
        )
    return out


Scenario = tuple[str, str, list[tuple[Record, Arrival]], bool]


def _recap_scenarios(base: list[Record], day: Any) -> list[Scenario]:
    """Holders' sets for §6.1: which D.Hasil is in force, whether it is outdated, and whether
    each objection is open, ruled, disputed or set aside (every one starts from the base,
    where 32.01.02 is closed and up to date, and 32.01.01 has an interim D.Hasil that names
    the witness's objection and its ruling but not the later incident)."""
    held = [(r, day(14)) for r in base]
    far = hostile.far_district()
    filed, ruling, interim = base[14], base[15], base[16]
    incident = next(r for r in reversed(base) if r.type == "objection")
    assert (filed.type, ruling.type, interim.type, incident.type) == (
        "objection", "resolution", "dhasil", "objection",
    )  # fmt: skip
    children = {S1: base[8], S2: base[9]}
    far_children = {r.payload["station"]: r for r in far.sheets}
    first = far.sheets[0]
    recount = sheet(
        FAR_OP, 31, far.sheets[-1].hash, first.payload["station"], time="2026-02-15T08:00:00Z",
        values=_other(), supersedes=first.hash, reason="hitung ulang di pleno",
    )  # fmt: skip
    agreeing = dhasil(
        CHAIR2, 1, None, children, objections=[(filed, ruling)], time="2026-02-14T11:30:00Z"
    )
    fewer = dhasil(
        CHAIR2, 1, None, {S1: base[8]}, objections=[(filed, ruling)], time="2026-02-14T11:30:00Z"
    )
    far2_cert = hostile.certificate(CHAIR_FAR2, "chair", FAR_DISTRICT)
    not_closed = dhasil(
        CHAIR_FAR2, 1, None, far_children, region=FAR_DISTRICT,
        objections=[(far.objection, far.ruling)], time="2026-02-14T11:30:00Z",
    )  # fmt: skip
    appeal = resolution(
        CHAIR_PROV, 1, None, filed, decision="accepted", overrides=[ruling.hash],
        reason="banding: suara dihitung ulang", time="2026-02-15T09:00:00Z",
    )  # fmt: skip
    unaware = resolution(
        CHAIR_PROV, 1, None, filed, decision="accepted", reason="banding tanpa melihat putusan",
        time="2026-02-15T09:00:00Z",
    )  # fmt: skip
    again = resolution(
        CHAIR, 3, interim.hash, filed, decision="rejected", overrides=[unaware.hash],
        reason="dicocokkan ulang dengan plano di depan kedua saksi", time="2026-02-15T10:00:00Z",
    )  # fmt: skip
    unreadable = {**hostile.VALUES, "v_p01": "60"}
    odd_sheet = sheet(OP_B, 1, None, S3, values=cast(dict[str, int], unreadable))
    summed = {
        f: sum(int(v) for v in (r.payload["values"][f] for r in (base[8], base[9], odd_sheet)))
        for f in hostile.VALUES
    }
    on_odd = dhasil(
        CHAIR, 3, interim.hash, {**children, S3: odd_sheet}, objections=[(filed, ruling)],
        totals=summed, time="2026-02-14T12:00:00Z",
    )  # fmt: skip
    regency = dhasil(
        CHAIR_REG, 1, None, {FAR_DISTRICT: far.final}, region="32.01", basis="recaps",
        expected=[DISTRICT, FAR_DISTRICT],
        objections=[(filed, ruling), (far.objection, far.ruling), (incident, None)],
    )  # fmt: skip
    by_revoked = objection(
        REVOKED, 1, None, S3, kind="incident", witness=None, paper="D.KK-09",
        subject="listrik padam",
    )  # fmt: skip
    return [
        (
            "recap_outdated_by_a_recount",
            "32.01.02's final D.Hasil is in force; a sheet it names is then corrected: it is "
            "still in force (its sums still verify) and outdated",
            [*held, (recount, day(15))],
            False,
        ),
        (
            "two_chairs_agree",
            "a second chair of 32.01.01 signs a D.Hasil with the same totals and the same "
            "final: both are in force, neither chosen by hash",
            [*held, (agreeing, day(15))],
            False,
        ),
        (
            "two_chairs_disagree",
            "a second chair of 32.01.01 signs other totals: disputed, none in force",
            [*held, (fewer, day(15))],
            False,
        ),
        (
            "one_chair_closed_one_did_not",
            "two chairs of 32.01.02 agree in totals, but one closed the plenary and the other "
            "signed an interim D.Hasil: disputed",
            [*held, (far2_cert, day(15)), (not_closed, day(15))],
            False,
        ),
        (
            "an_appeal_overrides_a_ruling",
            "the province's chair rules again on the objection, naming the ruling it replaces: "
            "the objection is ruled by the appeal alone, and 32.01.01's D.Hasil is outdated",
            [*held, (appeal, day(15))],
            False,
        ),
        (
            "rulings_that_did_not_see_each_other",
            "two chairs' rulings in force disagree: the objection is disputed, whatever order "
            "they arrived in",
            [*held, (unaware, day(15))],
            False,
        ),
        (
            "a_ruling_that_saw_both_settles",
            "the district's chair rules again, overriding the province's ruling it saw (its own "
            "earlier ruling is replaced by its own later one): ruled",
            [*held, (unaware, day(15)), (again, day(16))],
            False,
        ),
        (
            "a_recap_resting_on_unreadable_numbers",
            "a sheet whose number is a text (refused bad_values, met in a replay) is named by a "
            "D.Hasil: numbers that are not counts have no sum (bad_totals), and the D.Hasil is "
            "set aside",
            [*held, (odd_sheet, day(15)), (on_odd, day(15))],
            False,
        ),
        (
            "a_regency_on_its_sub_districts",
            "the regency's chair recaps the final D.Hasil of 32.01.02, 32.01.01 pending, and "
            "names every objection inside the regency: in force and up to date",
            [*held, (regency, day(15))],
            False,
        ),
        (
            "an_objection_of_a_revoked_key",
            "an incident entered by a revoked key that nothing places before the revocation: "
            "set aside, it blocks nothing and no D.Hasil needs to name it",
            [*held, (by_revoked, day(15))],
            False,
        ),
    ]


def _other() -> dict[str, int]:
    return {**hostile.VALUES, "v_p01": 59, "v_p02": 51}


def replay(arrived: list[tuple[Record, Arrival]], anchor: Trust) -> tuple[list[Any], Trust]:
    """PROTOCOL §5.7: authority records first, in the order they arrived, then every record."""
    authority = [(r, a) for r, a in arrived if r.type in AUTHORITY_TYPES]
    first = Replay(anchor).feed([r for r, _ in authority], [a for _, a in authority])
    assert first.trust is not None
    others = [(r, a) for r, a in arrived if r.type not in AUTHORITY_TYPES]
    second = Replay(first.trust).feed([r for r, _ in others], [a for _, a in others])
    assert second.trust is not None
    return first.findings + second.findings, second.trust


def build() -> dict[str, Any]:
    return {
        "description": (
            "Admission and counting vectors of docs/PROTOCOL.md (recap/1). 'admission': a door "
            "holding 'base' (admitted in order, each seen at 'now' with no log position) is "
            "offered each case's records in order, each seen at 'now' with no position; "
            "'expect' is the last record's verdict (PROTOCOL §5): its status, and for a refused "
            "record the reason (notices of an admitted record are not part of a verdict). "
            "'holders': a holder's whole set in the order it arrived, each record with when "
            "it was seen and its position "
            "in the server's log (null: unknown), given whole or as {'base': i}, the i-th "
            "record of admission.base; 'forks' is fork evidence the holder keeps beside its set "
            "(pairs of records; PROTOCOL section 5.5); 'expect' gives the findings of a replay "
            "(§5.7) as [record hash, problem name] in the order found, the state of every "
            "station and contest with a sheet or review (§6), and the totals of a region: "
            "'counted' the number of stations that count, 'sums' per field the sum over them "
            "(only fields some counted sheet has); 'recaps', for every region and contest with a "
            "D.Hasil held (§6.1): its state, whether the D.Hasil in force are final (null: none "
            "in force), every D.Hasil in force, those of them that are outdated, and the "
            "attention list; 'objections', for every objection held (§6.1): its state, the "
            "decision of its rulings in force when they agree, those rulings, and the attention "
            "list. Keys are test keys from "
            "published seeds: never use them. Generated by "
            "tests/vectors/make_admission_vectors.py; checked by tests/test_protocol_vectors.py."
        ),
        "authority_key": hostile.AUTH.public_key.hex(),
        "admission": admission_part(),
        "holders": holders_part(),
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), indent=1, ensure_ascii=True, sort_keys=True) + "\n")
    print(OUT)
