"""The compiled path of canonical JSON (msgspec) against the exact path (the standard library):
byte for byte and value for value, on generated and hostile documents.

The compiled path may only decline (and the exact path decides) or accept exactly what the
exact path accepts, with the same value. These tests attack each thing it relies on: that its
encoder writes ``json.dumps``'s bytes for the subset, that it refuses every float (a float's
own spelling round-trips), integers beyond 2^53 (they round-trip too), duplicate and non-ASCII
keys, lone surrogates, and Python values the encoder knows but JSON does not."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import uuid
from collections import OrderedDict, namedtuple
from typing import Any

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from recap_desktop.crypto import canonical
from recap_desktop.crypto.canonical import MAX_SAFE_INT, CanonicalError, canonical_bytes
from tests.test_canonical_fast import _agree, _parse_json_agrees, _same

SETTINGS = settings(deadline=None, max_examples=300)


def _dumps(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


# -- the encoder writes json.dumps's bytes ----------------------------------------------------

ASCII = [chr(c) for c in range(128)]


def test_every_ascii_character_is_written_as_json_dumps_writes_it() -> None:
    for ch in ASCII:
        for value in ({"k" + ch: "v" + ch + "w"}, [ch, ch * 3], {ch: [ch]}):
            assert canonical._C_ENCODER.encode(value) == _dumps(value), repr(ch)


def test_keys_are_in_json_dumps_order() -> None:
    keys = [*ASCII, "a", "a\x00", "ab", "aB", "a b", "B", "", "~", "_", "10", "9", "a" * 40]
    value = {k: i for i, k in enumerate(keys)}
    assert canonical._C_ENCODER.encode(value) == _dumps(value)
    nested = {"z": value, "a": [value, {}, []], "m": {"y": {"x": {}}}}
    assert canonical._C_ENCODER.encode(nested) == _dumps(nested)


ascii_text = st.text(alphabet=st.characters(max_codepoint=127), max_size=10)
safe_ints = st.integers(-MAX_SAFE_INT, MAX_SAFE_INT)
subset = st.recursive(
    st.none() | st.booleans() | safe_ints | ascii_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(ascii_text, children, max_size=4)
    ),
    max_leaves=20,
)


@SETTINGS
@given(subset)
@example({"a": [1, -2, 'x\n"\\/\x7f\x1f'], "b": {"": None, "c": True}, "d": -(10**14)})
@example(-0)
@example({"n": 999_999_999_999_999})
def test_ascii_values_of_the_subset_are_encoded_alike_and_take_the_compiled_path(
    value: Any,
) -> None:
    data = canonical_bytes(value)
    assert canonical._C_ENCODER.encode(value) == data
    if data[:1] in (b"{", b"[") and not canonical._has_long_int(data.translate(canonical._CLASSES)):
        # The common case is compiled (else the speed-up silently is not there) ...
        fast = canonical._parse_canonical_fast(data)
        assert fast is not canonical._MISS, data
        assert _same(fast, canonical._parse_canonical_full(data))
        # ... and a pushed payload's bytes are the canonical ones.
        got, parsed = canonical.canonical_form(value)
        assert got == data and _same(parsed, fast)
    _agree(data)


# -- what round-trips through the compiled codec but is not in the subset --------------------

any_floats = st.floats(allow_nan=False, allow_infinity=False)


@SETTINGS
@given(any_floats)
@example(1.0)
@example(-0.0)
@example(1e20)
@example(1e-7)
@example(123456789.0)
@example(5e-324)
def test_a_float_is_refused_in_the_spelling_either_encoder_gives_it(number: float) -> None:
    for spelling in {msgspec.json.encode(number), json.dumps(number).encode()}:
        for data in (
            b'{"a":' + spelling + b"}",
            b"[" + spelling + b"]",
            b'[[1,{"b":' + spelling + b"}]]",
        ):
            assert canonical._parse_canonical_fast(data) is canonical._MISS, data
            with pytest.raises(CanonicalError):
                canonical.parse_canonical(data)
            with pytest.raises(CanonicalError):
                canonical.parse_json(data)
    with pytest.raises(CanonicalError):
        canonical.canonical_form({"a": number})


big_ints = st.integers(min_value=MAX_SAFE_INT + 1, max_value=10**40) | st.sampled_from(
    [MAX_SAFE_INT + 1, 2**63 - 1, 2**63, 2**64, 10**16, 10**15 * 9 + 7199254740992]
)


@SETTINGS
@given(big_ints, st.booleans())
def test_an_integer_beyond_2_53_is_refused(magnitude: int, negative: bool) -> None:
    number = -magnitude if negative else magnitude
    spelled = str(number).encode()
    for data in (b'{"a":' + spelled + b"}", b"[" + spelled + b"]", b'{"a":[0,' + spelled + b"]}"):
        assert canonical._parse_canonical_fast(data) is canonical._MISS, data
        _agree(data)
        with pytest.raises(CanonicalError):
            canonical.parse_json(data)
    with pytest.raises(CanonicalError):
        canonical.canonical_form({"a": [number]})


def test_the_edges_of_the_safe_range() -> None:
    for number in (MAX_SAFE_INT, -MAX_SAFE_INT):
        data = canonical_bytes({"a": number})
        assert canonical.parse_canonical(data) == {"a": number}
        assert canonical.canonical_form({"a": number})[0] == data
    for number in (MAX_SAFE_INT + 1, -MAX_SAFE_INT - 1):
        with pytest.raises(CanonicalError):
            canonical.parse_canonical(b'{"a":' + str(number).encode() + b"}")


HOSTILE = [
    b'{"a":1,"a":1}',  # a duplicate key the compiled decoder would fold into one
    b'{"a":1,"a":2}',
    b'{"a":{"b":1,"b":1}}',
    b'[{"a":1,"a":1}]',
    '{"é":1}'.encode(),  # non-ASCII key, raw UTF-8 (canonical spelling, still refused)
    b'{"\\u00e9":1}',
    '{"a":"é"}'.encode(),  # a non-ASCII value: accepted, by the exact path
    b'{"a":"\\u00e9"}',  # the same value escaped: not canonical
    b'{"a":"\\ud800"}',  # lone surrogates
    b'{"a":"\\udfff"}',
    b'{"a":"\\ud83d\\ude00"}',  # a pair, escaped: not canonical (canonical is raw UTF-8)
    '{"a":"\U0001f600"}'.encode(),
    b'{"a":"\xed\xa0\x80"}',  # a surrogate in UTF-8 bytes: not UTF-8
    b'{"a":"\\u001F"}',  # upper-case hex: not canonical
    b'{"a":"\\u001f"}',
    b'{"a":"\\u000a"}',
    b'{"a":"\\/"}',
    b'{"a":-0}',
    b'{"a":1E3}',
    b'{"a":1e+20}',
    b'{"a":NaN}',
    b'{"a":Infinity}',
    b'{"a":-Infinity}',
    b'{"a":01}',
    b'{"a":+1}',
    b'{"a": 1}',
    b' {"a":1}',
    b'{"a":1}\n',
    b'{"a":1}\n\n',
    b'{"a":1}\t',
    b'{"a":1}{"a":1}',
    b'{"b":1,"a":1}',
    b'{"B":1,"a":1}',
    b'{"a":1,"B":1}',
    b"{}",
    b"[]",
    b'"a"',
    b"1",
    b"null",
    b"[" * 3000 + b"]" * 3000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
]


@pytest.mark.parametrize("data", HOSTILE)
def test_hostile_documents_get_the_exact_paths_answer(data: bytes) -> None:
    _agree(data)
    _parse_json_agrees(data)


@SETTINGS
@given(subset)
def test_a_canonical_file_ending_in_a_newline_parses_as_the_strict_parse_does(value: Any) -> None:
    data = canonical_bytes(value)
    for spelled in (
        data + b"\n",
        data + b"\n\n",
        data + b" \n",
        b"\n" + data + b"\n",
        data + b"\r\n",
    ):
        _parse_json_agrees(spelled)


# -- canonical_form: Python values the compiled encoder knows and JSON does not --------------


class Colour(enum.Enum):
    RED = "red"


class Number(enum.IntEnum):
    ONE = 1


class Word(enum.StrEnum):
    HELLO = "hello"


@dataclasses.dataclass
class Point:
    x: int


class Shape(msgspec.Struct):
    x: int


class LooseFloat(float):
    pass


class Text(str):
    pass


Pair = namedtuple("Pair", "a b")

PYTHON_VALUES: list[Any] = [
    {"a": Colour.RED},
    {"a": Number.ONE},
    {"a": Word.HELLO},
    {Word.HELLO: 1},
    {"a": Text("x")},
    {Text("b"): 1, "a": 2},
    {"a": decimal.Decimal("1")},
    {"a": decimal.Decimal("1.5")},
    {"a": datetime.datetime(2026, 2, 14, 12, 0, tzinfo=datetime.UTC)},
    {"a": datetime.date(2026, 2, 14)},
    {"a": uuid.UUID(int=1)},
    {"a": b"ab"},
    {"a": bytearray(b"ab")},
    {"a": {1}},
    {"a": frozenset()},
    {"a": Point(1)},
    {"a": Shape(1)},
    {"a": (1, 2)},
    {"a": Pair(1, 2)},
    {"a": LooseFloat(1.0)},
    {"a": 1.0},
    {"a": -0.0},
    {"a": float("nan")},
    {"a": 2**53},
    {"a": -(2**64)},
    {1: "a"},
    {True: "a"},
    {None: "a"},
    {"é": 1},
    {"a": "\ud800"},
    OrderedDict([("b", 1), ("a", 2)]),
    [1, [2, (3,)]],
    "plain",
    7,
    None,
]


@pytest.mark.parametrize("value", PYTHON_VALUES, ids=repr)
def test_canonical_form_gives_canonical_bytes_or_its_error(value: Any) -> None:
    try:
        expected = canonical_bytes(value)
    except (CanonicalError, TypeError, ValueError) as exc:
        with pytest.raises(type(exc)):
            canonical.canonical_form(value)
        return
    data, parsed = canonical.canonical_form(value)
    assert data == expected
    assert _same(parsed, canonical.parse_canonical(expected))


# -- the real thing: a signed sheet and a push body -----------------------------------------


def test_a_signed_sheet_and_a_push_body_take_the_compiled_path() -> None:
    from bench.hotpath import fixture
    from recap_desktop.crypto.envelope import from_json, from_parts
    from recap_desktop.protocol.wire import batch_bytes

    _package, cert, sheets = fixture(20)
    for record in [cert, *sheets]:
        parsed = canonical._parse_canonical_fast(record.canonical)
        assert _same(parsed, json.loads(record.canonical)) and parsed == record.payload
        assert from_parts(record.canonical, record.signer, record.sig, record.hash) == record
        assert from_json(json.loads(json.dumps(record.to_json()))).canonical == record.canonical
    body = batch_bytes([r.to_json() for r in sheets])
    assert canonical._parse_canonical_fast(body) is not canonical._MISS
    assert _same(canonical.parse_json(body + b"\n"), json.loads(body))


def test_the_compiled_path_gives_the_same_answers_on_many_threads_at_once() -> None:
    """The server parses pushes on worker threads with one shared encoder and decoder."""
    from concurrent.futures import ThreadPoolExecutor

    from bench.hotpath import fixture

    _package, _cert, sheets = fixture(60)
    payloads = [json.loads(r.canonical) for r in sheets]

    def run(_: int) -> bool:
        for record, payload in zip(sheets, payloads, strict=True):
            if canonical.parse_canonical(record.canonical) != payload:
                return False
            if canonical.canonical_form(payload)[0] != record.canonical:
                return False
        return True

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(run, range(40)))


# -- parse_json: any spelling of plain JSON in compiled code ---------------------------------

colon_text = st.text(alphabet=':ab "\\\t/', max_size=6)
plain_values = st.recursive(
    st.none() | st.booleans() | safe_ints | colon_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(colon_text, children, max_size=4)
    ),
    max_leaves=15,
)


def _spaced(value: Any, sort_keys: bool) -> list[bytes]:
    return [
        json.dumps(value, sort_keys=sort_keys, separators=seps).encode()
        for seps in ((",", ":"), (", ", ": "), (" ,\t", " :\n"))
    ]


@SETTINGS
@given(plain_values, st.booleans())
@example({"a": "x:y", "b": {"c": ":"}}, False)
def test_plain_json_in_any_spelling_takes_the_compiled_path(value: Any, sort_keys: bool) -> None:
    for data in _spaced(value, sort_keys):
        if not canonical._needs_check(data):  # ASCII, no \u escape, no 16-digit integer
            assert canonical._parse_plain_fast(data) is not canonical._MISS, data
        _parse_json_agrees(data)


@SETTINGS
@given(
    st.dictionaries(st.sampled_from(["a", "b", "a:b", ":"]), plain_values, min_size=1, max_size=3),
    plain_values,
    st.booleans(),
)
def test_a_duplicated_key_in_any_spelling_is_refused(
    obj: dict[str, Any], extra: Any, nested: bool
) -> None:
    for key in obj:
        for text in _spaced(obj, False):
            for dup in _spaced({key: extra}, False):
                data = text[:-1] + b"," + dup[1:]
                if nested:
                    data = b'{"outer":[1,' + data + b"]}"
                assert canonical._parse_plain_fast(data) is canonical._MISS, data
                with pytest.raises(CanonicalError, match="duplicate"):
                    canonical.parse_json(data)


PLAIN_HOSTILE = [
    b'{"a":1,"a":"\\u003a"}',  # an escaped ':' would make up for the member lost
    b'{"a":"\\u003a\\u003a","a":1}',
    b'{"a":"::","a":"::"}',
    b'{"a" : 1 , "a" : 2}',
    b'{"a":{"b":1},"a":{"b":1}}',
    b'{"a":{},"a":{}}',
    b'{"a":[],"b":{"c":1,"c":1}}',
    b'{"a:":1,"a:":1}',
    b'{"\\"":1,"\\"":1}',
    b'{"a\\\\":1,"a\\\\":1}',
    b'{"x":"\\\\u003a","x":1}',
    b"[1, 2.0]",
    b"[1, 9007199254740992]",
    b"[1,\t-9007199254740992]",
    b'{"\\u00e9":1}',
    '{"é":1}'.encode(),
    b'{"a":"\\ud800"}',
    b"\x0c[1]",
    b"[1]\x0b",
    b"\xef\xbb\xbf[1]",
]


@pytest.mark.parametrize("data", PLAIN_HOSTILE)
def test_hostile_plain_json_gets_the_strict_parses_answer(data: bytes) -> None:
    _parse_json_agrees(data)
