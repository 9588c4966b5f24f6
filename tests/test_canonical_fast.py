"""The C fast path of ``parse_canonical`` agrees with the exact path on every input: it either
declines (and the exact path decides) or returns the very value the exact path returns."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from recap_desktop.crypto import canonical
from recap_desktop.crypto.canonical import MAX_SAFE_INT, CanonicalError, canonical_bytes

NO_DEADLINE = settings(deadline=None, max_examples=300)

any_keys = st.text(max_size=6)  # non-ASCII and surrogates too: the subset refuses them
any_strings = st.text(max_size=12)
near_bounds = st.sampled_from([MAX_SAFE_INT, MAX_SAFE_INT + 1, -MAX_SAFE_INT, -MAX_SAFE_INT - 1])
any_ints = st.integers() | near_bounds | st.integers(min_value=-(10**20), max_value=10**20)
scalars = (
    st.none()
    | st.booleans()
    | any_ints
    | any_strings
    | st.floats(allow_nan=True, allow_infinity=True)
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_keys, children, max_size=4)
    ),
    max_leaves=15,
)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same JSON types all the way down (True == 1 in Python)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _agree(data: bytes) -> None:
    try:
        exact: Any = canonical._parse_canonical_full(data)
        accepted = True
    except CanonicalError:
        accepted = False
    fast = canonical._parse_canonical_fast(data)
    if fast is not canonical._MISS:
        assert accepted, data
        assert _same(fast, exact), data
    try:
        public = canonical.parse_canonical(data)
    except CanonicalError:
        assert not accepted, data
    else:
        assert accepted and _same(public, exact), data


def _spellings(value: Any) -> list[bytes]:
    """Canonical and non-canonical spellings of one value."""
    out = []
    for sort_keys in (True, False):
        for ensure_ascii in (True, False):
            for seps in ((",", ":"), (", ", ": ")):
                try:
                    text = json.dumps(
                        value, sort_keys=sort_keys, ensure_ascii=ensure_ascii, separators=seps
                    )
                except (TypeError, ValueError):
                    continue
                out.append(text.encode("utf-8", "surrogatepass"))
    return out


@NO_DEADLINE
@given(values)
def test_fast_and_exact_paths_agree_on_spellings_of_any_value(value: Any) -> None:
    for data in _spellings(value):
        _agree(data)
        _agree(b" " + data)
        _agree(data + b"\n")


@NO_DEADLINE
@given(st.dictionaries(st.text(alphabet="abc", max_size=2), values, max_size=4), values)
def test_a_duplicated_key_is_refused_by_both(obj: dict[str, Any], extra: Any) -> None:
    try:
        text = canonical_bytes(obj)
    except CanonicalError:
        return
    for key in obj:
        try:
            dup = json.dumps({key: extra}, ensure_ascii=False, separators=(",", ":"))
        except ValueError:
            continue
        data = text[:-1] + b"," + dup[1:].encode("utf-8", "surrogatepass")
        _agree(data)
        _agree(dup[:-1].encode("utf-8", "surrogatepass") + b"," + text[1:])


@NO_DEADLINE
@given(st.binary(max_size=40))
@example(b'{"a":-0}')
@example(b'{"a":0}')
@example(b'{"a":00}')
@example(b'{"a":1.0}')
@example(b'{"a":1e3}')
@example(b'{"a":NaN}')
@example(b'{"a":Infinity}')
@example(b'{"a":9007199254740991}')
@example(b'{"a":9007199254740992}')
@example(b'{"a":-9007199254740992}')
@example(b'{"a":[9007199254740992]}')
@example(b'{"a":[1,9007199254740992]}')
@example(b'{"a":"9007199254740992"}')
@example(b'{"a":"\\ud800"}')
@example(b'{"a":"\\ud83d\\ude00"}')
@example(b'{"a":"\\u0041"}')
@example(b'{"a":"\\u001f"}')
@example(b'{"a":"\\u007f"}')
@example(b'{"a":"\\/"}')
@example(b'{"a":"\\n"}')
@example(b'{"a":"\\u000a"}')
@example(b'{"a":"\x7f"}')
@example(b'{"a":"\t"}')
@example(b'{"\\u00e9":1}')
@example(b'{"a":1,"a":1}')
@example(b'{"b":1,"a":1}')
@example(b'{"a":1} ')
@example(b'{"a":1}{}')
@example(b"[1,2]")
@example(b'"x"')
@example(b"12")
@example(b"")
@example(b"[" * 5000 + b"]" * 5000)
@example(b'{"a":true,"b":false,"c":null}')
def test_fast_and_exact_paths_agree_on_any_bytes(data: bytes) -> None:
    _agree(data)


@NO_DEADLINE
@given(st.text(alphabet='{}[]":,-0123456789abe.\\u ntrl', max_size=40))
def test_fast_and_exact_paths_agree_on_json_like_text(text: str) -> None:
    _agree(text.encode("ascii"))


def test_a_plain_canonical_record_takes_the_fast_path() -> None:
    data = canonical_bytes({"b": [1, -2, 'x\n"\\'], "a": {"z": None, "y": True}, "n": -(2**40)})
    assert _same(canonical._parse_canonical_fast(data), canonical.parse_canonical(data))
    assert canonical._parse_canonical_fast(data) is not canonical._MISS


def _strict_reference(data: bytes) -> Any:
    """parse_json as it was before its shortcuts: a Python duplicate-key hook and the
    subset check over every value."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise CanonicalError("duplicate")
            out[key] = value
        return out

    def refuse(text: str) -> Any:
        raise CanonicalError(text)

    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=unique,
            parse_float=refuse,
            parse_constant=refuse,
        )
        canonical._check(value, "$")
    except (ValueError, RecursionError) as exc:
        raise CanonicalError(str(exc)) from exc
    return value


def _parse_json_agrees(data: bytes) -> None:
    try:
        expected: Any = _strict_reference(data)
        accepted = True
    except CanonicalError:
        accepted = False
    try:
        got = canonical.parse_json(data)
    except CanonicalError:
        assert not accepted, data
    else:
        assert accepted and _same(got, expected), data


@NO_DEADLINE
@given(values)
def test_parse_json_agrees_with_its_reference_on_spellings_of_any_value(value: Any) -> None:
    for data in _spellings(value):
        _parse_json_agrees(data)
        _parse_json_agrees(b"\n " + data + b" ")


@NO_DEADLINE
@given(st.binary(max_size=40))
@example(b"9007199254740992")
@example(b" -9007199254740992")
@example(b"[\t9007199254740992]")
@example(b'{"a":\n-9007199254740992}')
@example(b'{"a": 9007199254740991}')
@example(b'{"\\u00e9": 1}')
@example(b'{"a": "\\ud800"}')
@example(b'{"a": "\\uD800"}')
@example(b'{"a": 1, "a": 2}')
@example(b'{"a": 1.5}')
@example('{"é": 1}'.encode())
def test_parse_json_agrees_with_its_reference_on_any_bytes(data: bytes) -> None:
    _parse_json_agrees(data)


@NO_DEADLINE
@given(st.text(alphabet='{}[]":,-0123456789ab.\\u \n\tD8', max_size=40))
def test_parse_json_agrees_with_its_reference_on_json_like_text(text: str) -> None:
    _parse_json_agrees(text.encode("ascii"))


python_keys = any_keys | st.integers(-3, 3) | st.booleans() | st.none()
python_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(python_keys, children, max_size=4)
    ),
    max_leaves=15,
)


@NO_DEADLINE
@given(python_values)
@example({1: "a"})
@example({"a": (1, 2)})
@example({True: 1})
@example({None: 1})
@example({"a": 1.0})
@example({"a": 2**53})
@example({"é": 1})
@example({"a": "\ud800"})
def test_canonical_form_is_canonical_bytes_then_parse_canonical(value: Any) -> None:
    try:
        expected = canonical_bytes(value)
    except (CanonicalError, TypeError, ValueError) as exc:
        try:
            canonical.canonical_form(value)
        except type(exc):
            return
        raise AssertionError(f"canonical_form accepted {value!r}") from None
    data, parsed = canonical.canonical_form(value)
    assert data == expected
    assert _same(parsed, canonical.parse_canonical(expected))
