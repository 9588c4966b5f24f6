"""Which D.Hasil is in force, whether it is outdated, and whether an objection is open or
ruled (docs/PROTOCOL.md §6.1): rules of the signed records alone, never of their hashes, the
order they arrived in, or the times they claim."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from recap_desktop.domain.recap import (
    OPEN,
    RULED,
    SET_ASIDE,
    ObjectionState,
    RecapVersion,
    RulingVersion,
    add_up,
    objection_state,
    recap_outdated,
    recap_state,
)
from recap_desktop.domain.status import CORRECTED, DISPUTED, NOT_ENTERED, SIGNED, UNCOUNTED

T = {"v1": 10, "v2": 5}
U = {"v1": 9, "v2": 6}


def d(h: str, signer: str, seq: int, totals: dict[str, int], final: bool = False, **kw: object):
    return RecapVersion(h, signer, seq, kw.get("supersedes"), totals, final, kw.get("standing"))  # type: ignore[arg-type]


def test_nothing_held_and_nothing_that_may_count() -> None:
    assert recap_state([]).state == NOT_ENTERED
    state = recap_state([d("a", "c1", 1, T, standing="revoked")])
    assert (state.state, state.in_force, state.final, state.attention) == (
        UNCOUNTED, (), None, ("revoked",),
    )  # fmt: skip


def test_two_chairs_that_agree_are_both_in_force_whatever_their_hashes() -> None:
    """GAP 52: the first by hash was in force. Now both are, or neither."""
    for first, second in (("a", "b"), ("b", "a")):
        both = recap_state([d(first, "c1", 1, T, True), d(second, "c2", 1, T, True)])
        assert (both.state, set(both.in_force), both.final) == (SIGNED, {"a", "b"}, True)


def test_one_chair_closed_and_one_did_not_is_disputed() -> None:
    state = recap_state([d("a", "c1", 1, T, True), d("b", "c2", 1, T, False)])
    assert (state.state, state.in_force, state.final) == (DISPUTED, (), None)
    other_totals = recap_state([d("a", "c1", 1, T), d("b", "c2", 1, U)])
    assert other_totals.state == DISPUTED


def test_a_chair_replaces_its_own_version_only() -> None:
    corrected = recap_state([d("a", "c1", 1, T), d("b", "c1", 2, U, True, supersedes="a")])
    assert (corrected.state, corrected.in_force, corrected.final) == (CORRECTED, ("b",), True)
    # Another chair's "supersedes" replaces nothing: two latest versions that disagree.
    foreign = recap_state([d("a", "c1", 1, T), d("b", "c2", 1, U, supersedes="a")])
    assert foreign.state == DISPUTED


def r(h: str, signer: str, seq: int, decision: str, *overrides: str, standing: str | None = None):
    return RulingVersion(h, signer, seq, decision, tuple(overrides), standing)


def test_an_objection_is_open_until_a_ruling_that_may_count() -> None:
    assert objection_state(None, []).state == OPEN
    aside = objection_state(None, [r("x", "c1", 1, "rejected", standing="revoked")])
    assert (aside.state, aside.attention) == (OPEN, ("revoked",))
    assert not aside.settled
    ruled = objection_state(None, [r("x", "c1", 1, "rejected")])
    assert (ruled.state, ruled.decision, ruled.in_force) == (RULED, "rejected", ("x",))


def test_an_objection_that_may_not_count_is_set_aside_and_blocks_nothing() -> None:
    state = objection_state("jurisdiction", [r("x", "c1", 1, "rejected")])
    assert (state.state, state.in_force, state.attention) == (SET_ASIDE, (), ("jurisdiction",))
    assert state.settled


def test_the_ruling_shown_does_not_depend_on_arrival_or_hash() -> None:
    """GAP 53: "the latest such resolution (by arrival)". Now rulings that did not see each
    other and disagree leave the objection disputed; one that names the other replaces it."""
    district = r("x", "c1", 1, "rejected")
    appeal_unaware = r("y", "c2", 1, "accepted")
    appeal = r("z", "c2", 1, "accepted", "x")
    for rulings in itertools.permutations([district, appeal_unaware]):
        state = objection_state(None, rulings)
        assert (state.state, state.decision, set(state.in_force)) == (DISPUTED, None, {"x", "y"})
    for rulings in itertools.permutations([district, appeal]):
        state = objection_state(None, rulings)
        assert (state.state, state.decision, state.in_force) == (RULED, "accepted", ("z",))
    # The same chair's later ruling replaces its own earlier one (its own chain's order).
    again = objection_state(None, [district, r("w", "c1", 2, "accepted")])
    assert (again.state, again.in_force) == (RULED, ("w",))
    # An override by a ruling that may not count overrides nothing.
    void = objection_state(None, [district, r("v", "c2", 1, "accepted", "x", standing="revoked")])
    assert (void.state, void.in_force) == (RULED, ("x",))


@given(st.permutations(range(4)), st.lists(st.sampled_from("abcdefgh"), min_size=4, max_size=4))
def test_objection_state_is_a_function_of_the_set(order: list[int], names: list[str]) -> None:
    rulings = [
        r("h1", "c1", 1, "rejected"),
        r("h2", "c2", 1, "accepted", "h1"),
        r("h3", "c3", 1, "rejected"),
        r("h4", "c1", 2, "accepted"),
    ]
    renamed = {f"h{i + 1}": names[i] + str(i) for i in range(4)}

    def rename(x: RulingVersion) -> RulingVersion:
        return RulingVersion(
            renamed[x.hash],
            x.signer,
            x.seq,
            x.decision,
            tuple(renamed[o] for o in x.overrides),
            x.standing,
        )

    base = objection_state(None, rulings)
    shuffled = objection_state(None, [rename(rulings[i]) for i in order])
    assert (base.state, base.decision) == (shuffled.state, shuffled.decision)
    assert {renamed[h] for h in base.in_force} == set(shuffled.in_force)


def test_add_up_refuses_numbers_that_are_not_counts() -> None:
    """GAP 50: a child met in a replay with a text, a boolean or an object for a field has no
    sum; the code took int("60") as 60 and crashed on "abc"."""
    assert add_up([{"a": 1, "b": 2, "extra": 7}, {"a": 3}], ["a", "b"]) == {"a": 4, "b": 2}
    for odd in ("60", "abc", True, {"x": 1}, None):
        assert add_up([{"a": 1}, {"a": odd}], ["a"]) is None
    assert add_up([{"a": 1, "extra": "x"}], ["a"]) == {"a": 1}


def _dhasil(children, pending=(), objections=()):  # type: ignore[no-untyped-def]
    return {
        "children": [{"code": c, "record": h} for c, h in children],
        "pending": [{"code": c, "state": "not_entered"} for c in pending],
        "objections": [{"objection": o, "resolution": x} for o, x in objections],
    }


def test_outdated_is_judged_against_every_record_that_counts() -> None:
    """GAP 54: a D.Hasil naming either of two agreeing copies of a station's sheet is up to
    date (the code compared with the copy of the lowest hash)."""
    named = _dhasil([("s1", "copy_b")], pending=["s2"])
    assert not recap_outdated(named, {"s1": {"copy_a", "copy_b"}}, {})
    assert recap_outdated(named, {"s1": {"copy_a"}}, {})  # its copy no longer counts
    assert recap_outdated(named, {"s1": {"copy_b"}, "s2": {"x"}}, {})  # a pending one counts
    ruled = ObjectionState(RULED, "rejected", ("r1", "r2"))
    with_objection = _dhasil([("s1", "copy_b")], objections=[("o1", "r2")])
    assert not recap_outdated(with_objection, {"s1": {"copy_b"}}, {"o1": ruled})
    assert recap_outdated(with_objection, {"s1": {"copy_b"}}, {})  # names one set aside now
    filed_since = {"o1": ruled, "o2": ObjectionState(OPEN, None, ())}
    assert recap_outdated(with_objection, {"s1": {"copy_b"}}, filed_since)
    open_named = _dhasil([], objections=[("o1", None)])
    assert not recap_outdated(open_named, {}, {"o1": ObjectionState(OPEN, None, ())})
    assert recap_outdated(open_named, {}, {"o1": ruled})  # ruled since
    disputed = ObjectionState(DISPUTED, None, ("r1", "r2"))
    assert recap_outdated(_dhasil([], objections=[("o1", "r1")]), {}, {"o1": disputed})
    assert recap_outdated(open_named, {}, {"o1": disputed})
