"""Canonical JSON (RFC 8785 for the protocol's subset): properties over generated values."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recap_desktop.crypto.canonical import (
    MAX_SAFE_INT,
    CanonicalError,
    canonical_bytes,
    parse_canonical,
    parse_json,
)

# CI runs the suite on two busy cores: a property must never fail for being slow.
NO_DEADLINE = settings(deadline=None)

ascii_keys = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=8)
strings = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
ints = st.integers(min_value=-MAX_SAFE_INT, max_value=MAX_SAFE_INT)
scalars = st.none() | st.booleans() | ints | strings
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(ascii_keys, children, max_size=4)
    ),
    max_leaves=20,
)
objects = st.dictionaries(ascii_keys, values, max_size=6)


def _shuffled(value: Any, rng: random.Random) -> Any:
    """The same value with every object's keys inserted in another order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@NO_DEADLINE
@given(values)
def test_round_trip(value: Any) -> None:
    encoded = canonical_bytes(value)
    assert parse_canonical(encoded) == value
    assert parse_json(encoded) == value
    assert canonical_bytes(parse_json(encoded)) == encoded


@NO_DEADLINE
@given(objects, st.randoms(use_true_random=False))
def test_key_order_does_not_change_the_bytes(value: dict[str, Any], rng: random.Random) -> None:
    assert canonical_bytes(_shuffled(value, rng)) == canonical_bytes(value)


@NO_DEADLINE
@given(values)
def test_any_json_spelling_of_a_value_canonicalises_to_the_same_bytes(value: Any) -> None:
    for spelled in (
        json.dumps(value),
        json.dumps(value, indent=2),
        json.dumps(value, ensure_ascii=True, sort_keys=True),
    ):
        assert canonical_bytes(parse_json(spelled)) == canonical_bytes(value)


@NO_DEADLINE
@given(objects)
def test_canonical_bytes_have_sorted_keys_and_no_whitespace_between_tokens(
    value: dict[str, Any],
) -> None:
    encoded = canonical_bytes(value)
    assert list(json.loads(encoded)) == sorted(value)
    assert encoded == json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


@NO_DEADLINE
@given(st.dictionaries(ascii_keys, values, min_size=1, max_size=6))
def test_parse_canonical_refuses_other_spacing(value: dict[str, Any]) -> None:
    spaced = json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")  # ": "
    with pytest.raises(CanonicalError):
        parse_canonical(spaced)


@NO_DEADLINE
@given(st.dictionaries(ascii_keys, values, min_size=2, max_size=6))
def test_parse_canonical_refuses_another_key_order(value: dict[str, Any]) -> None:
    reverse = dict(sorted(value.items(), reverse=True))
    unsorted = json.dumps(reverse, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    with pytest.raises(CanonicalError, match="canonical"):
        parse_canonical(unsorted)


@NO_DEADLINE
@given(st.floats(allow_nan=True, allow_infinity=True), values)
def test_floats_are_refused_anywhere(number: float, context: Any) -> None:
    for wrapped in (number, [context, number], {"a": context, "b": {"c": number}}):
        with pytest.raises(CanonicalError):
            canonical_bytes(wrapped)


@NO_DEADLINE
@given(st.integers(min_value=-(10**6), max_value=10**6), st.integers(min_value=1, max_value=6))
def test_json_numbers_with_a_fraction_or_exponent_are_refused(mantissa: int, exp: int) -> None:
    for text in (f"{mantissa}.5", f"{mantissa}e{exp}", f"{mantissa}E-{exp}", f"{mantissa}.0"):
        with pytest.raises(CanonicalError, match="float"):
            parse_json(f'{{"v":{text}}}')


@NO_DEADLINE
@given(
    st.builds(
        lambda before, char, after: before + char + after,
        ascii_keys,
        st.characters(min_codepoint=128, blacklist_categories=("Cs",)),
        ascii_keys,
    ),
    values,
)
def test_non_ascii_keys_are_refused(key: str, value: Any) -> None:
    with pytest.raises(CanonicalError, match="ASCII"):
        canonical_bytes({"nested": {key: value}})
    with pytest.raises(CanonicalError, match="ASCII"):
        parse_json(json.dumps({key: value}))


@NO_DEADLINE
@given(
    st.integers(min_value=MAX_SAFE_INT + 1, max_value=10**300)
    | st.integers(min_value=-(10**300), max_value=-MAX_SAFE_INT - 1)
)
def test_integers_outside_the_safe_range_are_refused(number: int) -> None:
    with pytest.raises(CanonicalError, match="safe range"):
        canonical_bytes({"n": number})
    with pytest.raises(CanonicalError, match="safe range"):
        parse_json(f'{{"n":{number}}}')


def test_integer_bounds_are_exact() -> None:
    assert canonical_bytes([MAX_SAFE_INT, -MAX_SAFE_INT]) == b"[9007199254740991,-9007199254740991]"
    for bad in (MAX_SAFE_INT + 1, -MAX_SAFE_INT - 1):
        with pytest.raises(CanonicalError):
            canonical_bytes(bad)


@NO_DEADLINE
@given(ascii_keys, values, values)
def test_duplicate_keys_are_refused(key: str, first: Any, second: Any) -> None:
    text = f"{{{json.dumps(key)}:{json.dumps(first)},{json.dumps(key)}:{json.dumps(second)}}}"
    with pytest.raises(CanonicalError, match="duplicate"):
        parse_json(text)


@pytest.mark.parametrize(
    "text",
    [
        '"\\ud800"',  # a lone surrogate is not Unicode
        '{"a":"\\udfff"}',
        "NaN",
        "Infinity",
        "-Infinity",
        "{",
        "",
        "[1,]",
        "{'a':1}",
    ],
)
def test_malformed_or_outside_the_subset_is_refused(text: str) -> None:
    with pytest.raises(CanonicalError):
        parse_json(text)


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(CanonicalError, match="UTF-8"):
        parse_json(b'{"a":"\xff"}')


@pytest.mark.parametrize(
    "text",
    [
        "1" * 5000,  # more digits than Python converts to an int
        "[" * 100_000 + "]" * 100_000,  # deeper than the parser's recursion limit
        '{"a":' * 50_000 + "1" + "}" * 50_000,
    ],
)
def test_hostile_input_is_a_canonical_error_not_a_crash(text: str) -> None:
    """Untrusted files reach parse_json; every refusal must be the one typed error."""
    with pytest.raises(CanonicalError):
        parse_json(text)


@pytest.mark.parametrize(
    "value",
    [object(), {1: "a"}, {"a": {1.5}}, b"bytes", {"a": "\ud800"}],
)
def test_values_outside_the_subset_are_refused(value: Any) -> None:
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": [True, False, None]}, b'{"a":[true,false,null],"b":1}'),
        ("\u00e9\u2028\u007f", '"\u00e9\u2028\u007f"'.encode()),
        ("\u0000\u0008\u0009\u000a\u000c\u000d\u001f", b'"\\u0000\\b\\t\\n\\f\\r\\u001f"'),
        ('"\\/', b'"\\"\\\\/"'),
        ({"": 0, "A": 1, "a": 2, "_": 3}, b'{"":0,"A":1,"_":3,"a":2}'),
        ([], b"[]"),
        ({}, b"{}"),
        (-0, b"0"),
    ],
)
def test_rfc8785_examples_by_hand(value: Any, expected: bytes) -> None:
    assert canonical_bytes(value) == expected
    assert parse_canonical(expected) == value


def test_parse_canonical_refuses_escaped_spellings_of_plain_characters() -> None:
    with pytest.raises(CanonicalError):
        parse_canonical(b'{"a":"\\u0041"}')
    with pytest.raises(CanonicalError):
        parse_canonical(b'"\\u00e9"')
    with pytest.raises(CanonicalError):
        parse_canonical(b'{"a":1}\n')
