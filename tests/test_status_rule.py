"""Which sheets count (docs/PROTOCOL.md §6): a rule of the officers' actions alone, never of
their keys (hashes), the order records arrive in, or the times they claim."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from recap_desktop.domain.status import (
    APPROVALS_DISAGREE,
    APPROVED,
    CORRECTED,
    DISPUTED,
    NOT_ENTERED,
    REJECTED,
    REVIEW_CONFLICT,
    SIGNED,
    UNCOUNTED,
    Review,
    SheetVersion,
    sheet_state,
)

A = {"v1": 10, "v2": 5}
B = {"v1": 9, "v2": 6}


def v(h: str, signer: str, seq: int, values: dict[str, int], supersedes: str | None = None):
    return SheetVersion(h, signer, seq, supersedes, values)


def r(h: str, sheet: str, signer: str, seq: int, decision: str, *overrides: str) -> Review:
    return Review(h, sheet, signer, seq, decision, tuple(overrides))


def test_nothing_entered_and_nothing_that_may_count() -> None:
    assert sheet_state([], []).state == NOT_ENTERED
    held = SheetVersion("a", "op1", 1, None, A, standing="revoked")
    state = sheet_state([held], [])
    assert (state.state, state.counted, state.attention) == (UNCOUNTED, (), ("revoked",))


def test_agreeing_officers_count_together_and_one_rejection_does_not_decide() -> None:
    """The hash-order defect: rejecting one of two agreeing copies left the station's count
    to whichever copy had the lower hash. Now the other copy still counts, either way."""
    for first, second in (("a", "b"), ("b", "a")):
        versions = [v(first, "op1", 1, A), v(second, "op2", 1, A)]
        both = sheet_state(versions, [])
        assert both.state == SIGNED and set(both.counted) == {"a", "b"}
        one_rejected = sheet_state(versions, [r("x", "a", "sup", 1, "reject")])
        assert one_rejected.state == SIGNED and one_rejected.counted == ("b",)
        all_rejected = sheet_state(
            versions, [r("x", "a", "sup", 1, "reject"), r("y", "b", "sup", 2, "reject")]
        )
        assert all_rejected.state == REJECTED and all_rejected.counted == ()


def test_a_dispute_until_a_supervisor_decides() -> None:
    versions = [v("a", "op1", 1, A), v("b", "op2", 1, B)]
    assert sheet_state(versions, []).state == DISPUTED
    approved = sheet_state(versions, [r("x", "b", "sup", 1, "approve")])
    assert (approved.state, approved.counted) == (APPROVED, ("b",))
    rejected = sheet_state(versions, [r("x", "a", "sup", 1, "reject")])
    assert (rejected.state, rejected.counted) == (SIGNED, ("b",))


def test_a_correction_replaces_only_its_signers_own_version() -> None:
    versions = [v("a", "op1", 1, B), v("c", "op1", 2, A, supersedes="a"), v("b", "op2", 1, A)]
    state = sheet_state(versions, [])
    assert state.state == CORRECTED and set(state.counted) == {"b", "c"}
    foreign = [v("a", "op1", 1, B), v("c", "op2", 1, A, supersedes="a")]
    assert sheet_state(foreign, []).state == DISPUTED


def test_a_later_review_wins_by_cause_never_by_claimed_time() -> None:
    """The claimed-time defect: a review dated in the future won over every later one. A
    review has no time in this rule at all: its own signer's next review on the sheet, or a
    review that names it, replaces it."""
    versions = [v("a", "op1", 1, A)]
    same_signer = [r("x", "a", "sup", 1, "reject"), r("y", "a", "sup", 2, "approve")]
    assert sheet_state(versions, same_signer).state == APPROVED
    overridden = [r("x", "a", "sup1", 7, "reject"), r("y", "a", "sup2", 1, "approve", "x")]
    assert sheet_state(versions, overridden).state == APPROVED


def test_reviews_that_did_not_see_each_other_are_a_conflict_to_settle() -> None:
    versions = [v("a", "op1", 1, A)]
    unaware = [r("x", "a", "sup1", 1, "reject"), r("y", "a", "sup2", 1, "approve")]
    state = sheet_state(versions, unaware)
    assert state.state == DISPUTED and REVIEW_CONFLICT in state.attention
    settled = [*unaware, r("z", "a", "sup1", 2, "approve", "y")]
    assert sheet_state(versions, settled).state == APPROVED


def test_approvals_of_different_numbers_are_a_dispute() -> None:
    versions = [v("a", "op1", 1, A), v("b", "op2", 1, B)]
    reviews = [r("x", "a", "sup1", 1, "approve"), r("y", "b", "sup2", 1, "approve")]
    state = sheet_state(versions, reviews)
    assert state.state == DISPUTED and APPROVALS_DISAGREE in state.attention
    switched = [*reviews, r("z", "b", "sup1", 2, "approve", "x")]
    assert sheet_state(versions, switched).state == APPROVED


def test_records_set_aside_never_move_the_count() -> None:
    versions = [v("a", "op1", 1, A), SheetVersion("b", "op2", 1, None, B, standing="revoked")]
    reviews = [Review("x", "a", "mallory", 1, "reject", (), standing="awaiting_certificate")]
    state = sheet_state(versions, reviews)
    assert state.state == SIGNED and state.counted == ("a",)
    assert state.attention == ("awaiting_certificate", "revoked")


# -- the property: actions decide, keys and arrival order do not -----------------------------

OPERATORS = ["op1", "op2", "op3"]
SUPERVISORS = ["sup1", "sup2"]
VALUES = [A, B, {"v1": 1, "v2": 1}]


@dataclass(frozen=True)
class Action:
    kind: str  # enter | correct | review
    officer: str
    values: int = 0
    target: int = 0  # review: which earlier sheet action
    decision: str = "approve"
    sees: tuple[int, ...] = ()  # review: earlier review actions it overrides
    standing: str | None = None


actions_strategy = st.lists(
    st.tuples(
        st.sampled_from(["enter", "correct", "review", "review"]),
        st.integers(0, 4),
        st.integers(0, 2),
        st.integers(0, 30),
        st.sampled_from(["approve", "reject"]),
        st.lists(st.integers(0, 30), max_size=3),
        st.sampled_from([None, None, None, "revoked"]),
    ),
    max_size=14,
)


def _program(raw: list) -> list[Action]:
    """Turn hypothesis's draws into a valid program: corrections of one's own sheet, reviews
    of earlier sheets, overrides of earlier reviews."""
    out: list[Action] = []
    for kind, who, values, target, decision, sees, standing in raw:
        sheets = [i for i, a in enumerate(out) if a.kind in ("enter", "correct")]
        reviews = [i for i, a in enumerate(out) if a.kind == "review"]
        if kind == "review":
            if not sheets:
                continue
            out.append(
                Action(
                    "review",
                    SUPERVISORS[who % 2],
                    target=sheets[target % len(sheets)],
                    decision=decision,
                    sees=tuple(sorted({reviews[s % len(reviews)] for s in sees}))
                    if reviews
                    else (),
                    standing=standing,
                )
            )
            continue
        officer = OPERATORS[who % 3]
        own = [i for i in sheets if out[i].officer == officer]
        if kind == "correct" and not own:
            kind = "enter"
        if kind == "enter" and own:
            kind = "correct"
        out.append(Action(kind, officer, values=values, standing=standing))
    return out


def _records(program: list[Action], seed: int) -> tuple[list, list, dict[str, int]]:
    """Sign the program with random keys: hashes (and key ids) differ with the seed."""
    salt = random.Random(seed).getrandbits(64)

    def key(officer: str) -> str:
        return hashlib.sha256(f"{salt}{officer}".encode()).hexdigest()

    hashes = [hashlib.sha256(f"{salt}:{i}".encode()).hexdigest() for i in range(len(program))]
    seqs: dict[str, int] = {}
    last_sheet: dict[str, int] = {}
    versions, reviews = [], []
    for i, a in enumerate(program):
        seqs[a.officer] = seqs.get(a.officer, 0) + 1
        if a.kind == "review":
            reviews.append(
                Review(
                    hashes[i],
                    hashes[a.target],
                    key(a.officer),
                    seqs[a.officer],
                    a.decision,
                    tuple(hashes[s] for s in a.sees),
                    a.standing,
                )
            )
            continue
        supersedes = hashes[last_sheet[a.officer]] if a.kind == "correct" else None
        versions.append(
            SheetVersion(
                hashes[i],
                key(a.officer),
                seqs[a.officer],
                supersedes,
                VALUES[a.values],
                a.standing,
            )
        )
        last_sheet[a.officer] = i
    return versions, reviews, {h: i for i, h in enumerate(hashes)}


@given(actions_strategy, st.integers(), st.integers(), st.randoms())
def test_the_state_depends_on_the_actions_only(raw, seed1, seed2, rnd) -> None:
    program = _program(raw)
    outcomes = []
    for seed in (seed1, seed2):
        versions, reviews, action_of = _records(program, seed)
        rnd.shuffle(versions)
        rnd.shuffle(reviews)
        state = sheet_state(versions, reviews)
        counted = {action_of[h] for h in state.counted}
        values = {tuple(sorted(VALUES[program[i].values].items())) for i in counted}
        outcomes.append((state.state, frozenset(counted), values, state.attention))
        assert len(values) <= 1, "everything counted holds the same numbers"
    assert outcomes[0] == outcomes[1]
