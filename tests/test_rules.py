"""The C.Hasil form's rules as data: properties over random sheets and single-field slips."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recap_desktop.domain import chasil
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.domain.election import Contest, Election
from recap_desktop.domain.form import MAX_VALUE, Form, FormError, Rule
from recap_desktop.services import demo as demo_service

# CI runs the suite on two busy cores: a property must never fail for being slow.
NO_DEADLINE = settings(deadline=None)

ELECTION = Election.from_payload(demo_service.build_package(6))
CONTESTS = sorted(ELECTION.contests)
contest_ids = st.sampled_from(CONTESTS)
registered_counts = st.integers(min_value=0, max_value=5000)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def _errors(form: Form, values: dict[str, Any], registered: int) -> list[Any]:
    return [v for v in form.evaluate(values, {"registered": registered}) if v.severity == "error"]


def _net(rule: Rule, field: str) -> int:
    """How much the rule's two sides move apart when ``field`` grows by one."""
    left = sum(t.times for t in rule.left if t.field == field)
    right = sum(t.times for t in rule.right if t.field == field)
    return left - right


def _guarded_by_equality(form: Form, field: str) -> bool:
    return any(r.severity == "error" and r.op == "eq" and _net(r, field) for r in form.rules)


@NO_DEADLINE
@given(contest_ids, registered_counts, seeds)
def test_random_sheet_never_breaks_an_error_rule(cid: str, registered: int, seed: int) -> None:
    contest = ELECTION.contests[cid]
    values = random_sheet(contest, registered, random.Random(seed))
    assert contest.form.check_values(values) == []
    assert _errors(contest.form, values, registered) == []


@NO_DEADLINE
@given(contest_ids, registered_counts, seeds, st.data())
def test_a_slip_of_one_in_a_checked_field_breaks_a_rule_that_names_it(
    cid: str, registered: int, seed: int, data: st.DataObject
) -> None:
    contest = ELECTION.contests[cid]
    values = random_sheet(contest, registered, random.Random(seed))
    checked = [f for f in contest.form.field_ids if _guarded_by_equality(contest.form, f)]
    field = data.draw(st.sampled_from(checked), label="field")
    delta = data.draw(st.sampled_from([1, -1] if values[field] > 0 else [1]), label="delta")
    slipped = {**values, field: values[field] + delta}
    broken = _errors(contest.form, slipped, registered)
    assert broken, f"{field} {delta:+d} went unnoticed"
    assert any(field in v.fields for v in broken)
    for v in broken:
        assert set(v.fields) <= set(contest.form.field_ids)
        assert "{left}" not in v.text("en") and "{right}" not in v.text("id")


@pytest.mark.parametrize("cid", CONTESTS)
def test_which_fields_only_inequalities_guard(cid: str) -> None:
    """Every count is tied by an equality except the DPT and the disabled voters.

    Those three are bounded only (DPT voters who voted <= DPT; disabled who voted <= disabled
    and <= all who voted), so a slip there is caught only when it crosses the bound, and the
    DPT is compared with the official list by a warning. This test pins that down so a change
    to the form's rules is a decision, not an accident.
    """
    form = ELECTION.contests[cid].form
    unguarded = {f for f in form.field_ids if not _guarded_by_equality(form, f)}
    assert unguarded == {"dpt", "disabled", "disabled_voted"}


@NO_DEADLINE
@given(registered_counts, seeds)
def test_bounded_fields_are_caught_when_they_cross_their_bound(registered: int, seed: int) -> None:
    contest = ELECTION.contests["ppwp"]
    values = random_sheet(contest, registered, random.Random(seed))
    form = contest.form
    over = {**values, "disabled_voted": values["disabled"] + 1}
    assert "disabled_voted_max" in {v.rule for v in _errors(form, over, registered)}
    under = {**values, "dpt": values["dpt_voted"] - 1} if values["dpt_voted"] else None
    if under is not None:
        assert "dpt_voted_max" in {v.rule for v in _errors(form, under, registered)}


@NO_DEADLINE
@given(contest_ids, seeds, st.integers(min_value=1, max_value=50))
def test_turnout_warning_and_zero_votes_are_warnings_only(
    cid: str, seed: int, registered: int
) -> None:
    contest = ELECTION.contests[cid]
    zero = contest.form.template()
    found = contest.form.evaluate(zero, {"registered": registered})
    assert {v.rule for v in found} == {"zero_votes", "dpt_matches_package"}
    assert {v.severity for v in found} == {"warning"}


def test_turnout_above_95_percent_warns() -> None:
    contest = ELECTION.contests["ppwp"]
    values = random_sheet(contest, 100, random.Random(1))
    # All 100 on the DPT voted, plus a few others: consistent, but turnout over 95%.
    extra = values["dptb_voted"] + values["dpk_voted"]
    voted = 100 + extra
    values.update(dpt_voted=100, voted_total=voted, ballots_used=voted, total=voted)
    values["ballots_unused"] = 5
    values["ballots_received"] = values["ballots_returned"] + 5 + voted
    values["valid"] = voted - values["invalid"]
    values["v_p01"] = values["valid"] - values["v_p02"] - values["v_p03"]
    assert values["ballots_unused"] >= 0 and values["v_p01"] >= 0
    found = contest.form.evaluate(values, {"registered": 100})
    assert [v.rule for v in found] == ["turnout_high"]
    assert found[0].fields == ("voted_total", "dpt")


json_values = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3)


@NO_DEADLINE
@given(contest_ids, st.dictionaries(st.text(max_size=12), json_values, max_size=6), seeds)
def test_check_values_names_every_value_that_is_not_a_count(
    cid: str, noise: dict[str, Any], seed: int
) -> None:
    form = ELECTION.contests[cid].form
    values: dict[str, Any] = dict(random_sheet(ELECTION.contests[cid], 200, random.Random(seed)))
    values.update(noise)
    expected = set()
    for key, value in values.items():
        if key not in form.field_ids:
            expected.add((key, "unknown"))
        elif value is None:
            expected.add((key, "missing"))
        elif not isinstance(value, int) or isinstance(value, bool):
            expected.add((key, "not_integer"))
        elif value < 0:
            expected.add((key, "negative"))
        elif value > MAX_VALUE:
            expected.add((key, "too_large"))
    assert {(p.field, p.kind) for p in form.check_values(values)} == expected


def test_every_rule_has_both_languages_and_known_fields() -> None:
    for contest in ELECTION.contests.values():
        ids = set(contest.form.field_ids)
        rule_ids = [r.id for r in contest.form.rules]
        assert len(rule_ids) == len(set(rule_ids))
        for rule in contest.form.rules:
            assert rule.message["id"] and rule.message["en"]
            assert rule.message["id"] != rule.message["en"]
            assert set(rule.fields) <= ids
            assert rule.severity in ("error", "warning")


def test_form_follows_the_paper_order() -> None:
    ppwp = ELECTION.contests["ppwp"].form
    assert [s.id for s in ppwp.sections] == ["voters", "disabled", "ballots", "votes", "result"]
    dpr = ELECTION.contests["dpr-jabar-1"]
    assert len(dpr.choices) >= 4 and all(len(c.candidates) == 3 for c in dpr.choices)
    assert dpr.form.field_ids[-3:] == ("valid", "invalid", "total")


def _contest_with(rules: list[dict[str, Any]]) -> dict[str, Any]:
    form = chasil.candidates_form([{"id": "p1", "number": 1, "name": "A"}])
    return {**form, "rules": rules}


def _rule(**changes: Any) -> dict[str, Any]:
    base = {
        "id": "r",
        "severity": "error",
        "left": ["dpt"],
        "op": "eq",
        "right": ["dpt"],
        "message": {"id": "x", "en": "x"},
    }
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


@pytest.mark.parametrize(
    "rule",
    [
        _rule(severity="fatal"),
        _rule(op="ne"),
        _rule(left=["nope"]),
        _rule(left=[{"const": 1.5}]),
        _rule(left=[{"code": "import os"}]),
        _rule(left=[{"station": "population"}]),
        _rule(message=None),
        _rule(message={"en": "English only"}),
    ],
    ids=["severity", "op", "unknown-field", "float-const", "code", "station-attr", "no-message",
         "one-language"],
)  # fmt: skip
def test_malformed_rules_are_refused(rule: dict[str, Any]) -> None:
    with pytest.raises(FormError):
        Form.from_data(_contest_with([rule]))


def test_duplicate_rule_ids_are_refused() -> None:
    rule = {
        "id": "same",
        "severity": "error",
        "left": ["dpt"],
        "op": "le",
        "right": ["dpt"],
        "message": {"id": "x", "en": "x"},
    }
    with pytest.raises(FormError, match="twice"):
        Form.from_data(_contest_with([rule, rule]))


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=60), seeds)
def test_every_demo_station_gets_a_consistent_sheet(stations: int, seed: int) -> None:
    package = demo_service.build_package(stations)
    election = Election.from_payload(package)
    assert len(election.stations) == stations
    rng = random.Random(seed)
    for station in election.stations.values():
        for cid in station.contests:
            contest: Contest = election.contests[cid]
            values = random_sheet(contest, station.registered, rng)
            assert _errors(contest.form, values, station.registered) == []
