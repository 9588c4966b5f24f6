"""The sheet form as data: sections and fields in the paper's order, and rules as data.

A rule says that a linear comparison must hold: ``sum(left) OP sum(right)``. A term is a field
id, ``{"field": id, "times": k}``, ``{"const": n}`` or ``{"station": "registered", "times": k}``.
That is enough for every check on the C.Hasil (sums, equalities, bounds, turnout above a
percentage) and it is data, never code: a package cannot make the program run anything.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from recap_desktop.domain import warnings as bounds_mod

_FIELD_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\Z")
OPS: dict[str, Callable[[int, int], bool]] = {
    "eq": operator.eq,
    "le": operator.le,
    "lt": operator.lt,
    "ge": operator.ge,
    "gt": operator.gt,
}
OP_SYMBOLS = {"eq": "=", "le": "≤", "lt": "<", "ge": "≥", "gt": ">"}
SEVERITIES = ("error", "warning")
MAX_VALUE = 10**9  # more ballots than voters on earth is a typing slip, not a count


class FormError(ValueError):
    """A form or rule in a package that cannot be used."""


@dataclass(frozen=True)
class Field:
    id: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class Section:
    id: str
    label: Mapping[str, str]
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Term:
    times: int
    field: str | None = None
    const: int | None = None
    station: str | None = None

    def value(self, values: Mapping[str, int], station: Mapping[str, int]) -> int:
        if self.field is not None:
            return self.times * values.get(self.field, 0)
        if self.station is not None:
            return self.times * station.get(self.station, 0)
        return self.times * (self.const or 0)


# One side of a rule: (field, times) pairs, (station figure, times) pairs, and a constant.
_Side = tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...], int]


def _side(terms: tuple[Term, ...]) -> _Side:
    fields = tuple((t.field, t.times) for t in terms if t.field is not None)
    figures = tuple(
        (t.station, t.times) for t in terms if t.field is None and t.station is not None
    )
    const = sum(t.times * (t.const or 0) for t in terms if t.field is None and t.station is None)
    return fields, figures, const


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    op: str
    left: tuple[Term, ...]
    right: tuple[Term, ...]
    message: Mapping[str, str]

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields the rule involves, left side first: where its message is shown."""
        seen: dict[str, None] = {}
        for term in (*self.left, *self.right):
            if term.field is not None:
                seen[term.field] = None
        return tuple(seen)


@dataclass(frozen=True)
class Violation:
    rule: str
    severity: str
    fields: tuple[str, ...]
    left: int
    right: int
    message: Mapping[str, str]

    def text(self, lang: str) -> str:
        template = self.message.get(lang) or self.message.get("id", "")
        return template.replace("{left}", str(self.left)).replace("{right}", str(self.right))


@dataclass(frozen=True)
class ValueProblem:
    """A value that is not a count: missing, unknown, negative, not an integer, too large."""

    field: str
    kind: str  # missing | unknown | negative | not_integer | too_large


@dataclass(frozen=True)
class Form:
    sections: tuple[Section, ...]
    rules: tuple[Rule, ...]
    # The package's warning bounds (the form's ``warnings`` member); None: the defaults.
    declared_bounds: bounds_mod.Bounds | None = None

    @cached_property
    def bounds(self) -> bounds_mod.Bounds:
        """The warning bounds in force for this form: declared, or the documented defaults."""
        if self.declared_bounds is not None:
            return self.declared_bounds
        return bounds_mod.defaults(self.field_ids)

    # Cached: a form never changes, and verifying a store asks for them once per sheet.
    @cached_property
    def fields(self) -> tuple[Field, ...]:
        return tuple(f for s in self.sections for f in s.fields)

    @cached_property
    def field_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.fields)

    @cached_property
    def _field_set(self) -> frozenset[str]:
        return frozenset(self.field_ids)

    def template(self) -> dict[str, int]:
        return dict.fromkeys(self.field_ids, 0)

    def check_values(self, values: Mapping[str, Any]) -> list[ValueProblem]:
        """Every reason ``values`` is not a complete set of counts for this form."""
        known = self._field_set
        if values.keys() == known:
            # The common case, checked in C: exactly the form's fields, each a plain int
            # (not bool, not None) from 0 to MAX_VALUE.
            counts = values.values()
            if set(map(type, counts)) == {int} and 0 <= min(counts) and max(counts) <= MAX_VALUE:
                return []
        problems = [ValueProblem(k, "unknown") for k in values if k not in known]
        for fid in self.field_ids:
            if fid not in values or values[fid] is None:
                problems.append(ValueProblem(fid, "missing"))
                continue
            v = values[fid]
            if not isinstance(v, int) or isinstance(v, bool):
                problems.append(ValueProblem(fid, "not_integer"))
            elif v < 0:
                problems.append(ValueProblem(fid, "negative"))
            elif v > MAX_VALUE:
                problems.append(ValueProblem(fid, "too_large"))
        return problems

    @cached_property
    def _plan(self) -> tuple[tuple[Rule, Callable[[int, int], bool], _Side, _Side], ...]:
        """The rules with their terms sorted once into fields, station figures and a constant:
        a sheet is checked on every save and every verification, the rules never change."""
        return tuple(
            (rule, OPS[rule.op], _side(rule.left), _side(rule.right)) for rule in self.rules
        )

    def evaluate(self, values: Mapping[str, int], station: Mapping[str, int]) -> list[Violation]:
        """Every rule that does not hold, errors and warnings, in the form's order."""
        out = []
        for rule, op, (lf, ls, lc), (rf, rs, rc) in self._plan:
            left = lc
            for name, times in lf:
                left += times * values.get(name, 0)
            for name, times in ls:
                left += times * station.get(name, 0)
            right = rc
            for name, times in rf:
                right += times * values.get(name, 0)
            for name, times in rs:
                right += times * station.get(name, 0)
            if not op(left, right):
                out.append(
                    Violation(rule.id, rule.severity, rule.fields, left, right, rule.message)
                )
        return out

    @classmethod
    def from_data(cls, data: Mapping[str, Any], where: str = "form") -> Form:
        try:
            return _parse_form(data, where)
        except (KeyError, TypeError, AttributeError) as exc:
            raise FormError(f"{where}: incomplete or wrong type ({exc!r})") from exc


def _label(value: Any, where: str) -> Mapping[str, str]:
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("id"), str)
        or not isinstance(value.get("en"), str)
    ):
        raise FormError(f"{where}: texts in Indonesian (id) and English (en) are expected")
    return dict(value)


def _term(value: Any, fields: set[str], where: str) -> Term:
    if isinstance(value, str):
        value = {"field": value}
    if not isinstance(value, dict):
        raise FormError(f"{where}: a field id or a term object is expected")
    kinds = [k for k in ("field", "const", "station") if k in value]
    if len(kinds) != 1 or set(value) - {kinds[0], "times"}:
        raise FormError(f"{where}: a term is one of field, const or station, with times")
    times = value.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool):
        raise FormError(f"{where}.times: an integer is expected")
    if "field" in value:
        if value["field"] not in fields:
            raise FormError(f"{where}: field {value['field']!r} is not on the form")
        return Term(times, field=value["field"])
    if "const" in value:
        if not isinstance(value["const"], int) or isinstance(value["const"], bool):
            raise FormError(f"{where}.const: an integer is expected")
        return Term(times, const=value["const"])
    if value.get("station") == "registered":
        return Term(times, station="registered")
    raise FormError(f"{where}: a term names a field, a const or station 'registered'")


def _exact(value: Any, where: str, names: set[str]) -> None:
    if not isinstance(value, dict) or set(value) != names:
        raise FormError(f"{where}: an object of exactly {', '.join(sorted(names))} is expected")


def _parse_form(data: Mapping[str, Any], where: str) -> Form:
    if isinstance(data, dict) and "warnings" in data:
        _exact(data, where, {"sections", "rules", "warnings"})
    else:
        _exact(data, where, {"sections", "rules"})
    sections = []
    seen: set[str] = set()
    for i, s in enumerate(data["sections"]):
        _exact(s, f"{where}.sections[{i}]", {"id", "label", "fields"})
        if not isinstance(s["id"], str) or not _FIELD_RE.match(s["id"]):
            raise FormError(f"{where}.sections[{i}].id: {s['id']!r} is not an id")
        fields = []
        for j, f in enumerate(s["fields"]):
            _exact(f, f"{where}.sections[{i}].fields[{j}]", {"id", "label"})
            fid = f["id"]
            if not isinstance(fid, str) or not _FIELD_RE.match(fid):
                raise FormError(f"{where}.sections[{i}].fields[{j}].id: {fid!r} is not a field id")
            if fid in seen:
                raise FormError(f"{where}.sections[{i}].fields[{j}].id: {fid} appears twice")
            seen.add(fid)
            fields.append(Field(fid, _label(f["label"], f"{where}.sections[{i}].fields[{j}]")))
        sections.append(
            Section(s["id"], _label(s["label"], f"{where}.sections[{i}]"), tuple(fields))
        )
    if not seen:
        raise FormError(f"{where}: a form needs at least one field")
    rules = []
    rule_ids: set[str] = set()
    for i, r in enumerate(data["rules"]):
        rw = f"{where}.rules[{i}]"
        _exact(r, rw, {"id", "severity", "left", "op", "right", "message"})
        if not isinstance(r["id"], str) or not _FIELD_RE.match(r["id"]):
            raise FormError(f"{rw}.id: {r['id']!r} is not an id")
        if r["id"] in rule_ids:
            raise FormError(f"{rw}.id: rule {r['id']} appears twice")
        rule_ids.add(r["id"])
        if r["severity"] not in SEVERITIES:
            raise FormError(f"{rw}.severity: 'error' or 'warning' is expected")
        if r["op"] not in OPS:
            raise FormError(f"{rw}.op: one of {', '.join(OPS)} is expected")
        rules.append(
            Rule(
                id=r["id"],
                severity=r["severity"],
                op=r["op"],
                left=tuple(_term(t, seen, f"{rw}.left[{k}]") for k, t in enumerate(r["left"])),
                right=tuple(_term(t, seen, f"{rw}.right[{k}]") for k, t in enumerate(r["right"])),
                message=_label(r["message"], f"{rw}.message"),
            )
        )
    declared = None
    if "warnings" in data:
        try:
            declared = bounds_mod.parse(data["warnings"], sorted(seen), f"{where}.warnings")
        except bounds_mod.BoundsError as exc:
            raise FormError(str(exc)) from exc
    return Form(tuple(sections), tuple(rules), declared)
