"""Canonical JSON (RFC 8785, JCS) for the subset the protocol allows.

The subset: objects with ASCII keys, arrays, strings, integers in the IEEE-754 safe range,
booleans and null. No floats: a float's canonical form is subtle (RFC 8785 section 3.2.2.3)
and no record needs one. Within this subset Python's ``json.dumps`` with sorted keys, no
spaces and ``ensure_ascii=False`` produces exactly the JCS bytes, so the standard library does
the encoding; this module only enforces the subset, on the way out and on the way in.

That is the exact path. Every record's admission (the server's push, a laptop's pull,
``verify_store``) parses and checks canonical bytes, so the common case runs in compiled code
(msgspec) first: it accepts only what it can show the exact path accepts, with the same value,
and hands everything else to the exact path (``tests/test_canonical_fast.py`` and
``tests/test_canonical_compiled.py`` hold the two to agreement on generated and hostile input).
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

MAX_SAFE_INT = 2**53 - 1

JsonValue = Any  # str | int | bool | None | list[JsonValue] | dict[str, JsonValue]


class CanonicalError(ValueError):
    """A value outside the protocol's JSON subset, or bytes that are not its canonical form."""


def _check(value: JsonValue, path: str) -> None:
    if value is None or isinstance(value, bool | str):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise CanonicalError(f"{path}: string is not valid Unicode") from exc
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise CanonicalError(f"{path}: integer {value} is outside the safe range ±(2^53-1)")
        return
    if isinstance(value, float):
        raise CanonicalError(f"{path}: floats are not allowed, use an integer")
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: object key {key!r} is not a string")
            if not key.isascii():
                raise CanonicalError(f"{path}: object key {key!r} is not ASCII")
            _check(item, f"{path}.{key}")
        return
    raise CanonicalError(f"{path}: {type(value).__name__} is not a JSON value")


def canonical_bytes(value: JsonValue) -> bytes:
    """Encode ``value`` as canonical JSON bytes, refusing anything outside the subset."""
    _check(value, "$")
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _refuse_float(text: str) -> float:
    raise CanonicalError(f"floats are not allowed: {text}")


def _refuse_constant(text: str) -> float:
    raise CanonicalError(f"{text} is not allowed")


def _unique_keys(pairs: list[tuple[str, JsonValue]]) -> dict[str, JsonValue]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    for key, _value in pairs:
        if key in seen:
            raise CanonicalError(f"duplicate object key {key!r}")
        seen.add(key)
    raise AssertionError("a dict shorter than its pairs has a duplicate key")


def _needs_check(data: bytes | str) -> bool:
    """False when the text alone shows the subset check cannot fail: ASCII with no ``\\u``
    escape (so every string is valid Unicode and every key ASCII; JSON keys are strings) and
    no integer token of 16 or more digits (the only kind outside the safe range). Floats and
    constants are refused by the parser itself."""
    if not isinstance(data, bytes) or not data.isascii() or b"\\u" in data:
        return True
    return _has_long_int(b":" + data.translate(_SPACED_CLASSES))


def parse_json(data: bytes | str) -> JsonValue:
    """Parse JSON strictly: no floats, no NaN, no duplicate keys, valid UTF-8."""
    value = _parse_plain_fast(data)
    if value is not _MISS:
        return value
    check = _needs_check(data)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CanonicalError(f"not UTF-8: {exc}") from exc
    try:
        value = _STRICT_DECODER.decode(data)
    except CanonicalError:
        raise
    except json.JSONDecodeError as exc:
        raise CanonicalError(f"not JSON: {exc}") from exc
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise CanonicalError(f"not usable JSON: {exc}") from exc
    except RecursionError as exc:
        raise CanonicalError("not usable JSON: nested too deeply") from exc
    if check:
        try:
            _check(value, "$")
        except RecursionError as exc:
            raise CanonicalError("not usable JSON: nested too deeply") from exc
    return value


# An integer token of 16 or more digits: the only kind that can leave the safe range (2^53-1
# has 16 digits). A number token follows ':', '[', ',' or whitespace, or starts the text. To
# find one at C speed the bytes are mapped class by class (those -> ':'; digits -> '0'; '-'
# stays; all else -> ' ') and searched for ':' then sixteen '0' with or without a '-' between:
# the same matches as the regular expression ``[:,\[]-?[0-9]{16}`` (whitespace included in
# the class for the spaced map) on the original bytes.
def _classes(starts: bytes) -> bytes:
    return bytes(
        ord(":") if b in starts else ord("0") if b in b"0123456789" else b if b == 45 else 32
        for b in range(256)
    )


_CLASSES = _classes(b":,[")  # canonical text: no whitespace
_SPACED_CLASSES = _classes(b":,[ \t\n\r")
_LONG_INT = b":" + b"0" * 16
_LONG_NEG_INT = b":-" + b"0" * 16


def _has_long_int(classes: bytes) -> bool:
    return _LONG_INT in classes or _LONG_NEG_INT in classes


_MISS = object()
# The strict decoder of the exact path, built once (``json.loads`` with options builds one per
# call): a Python hook per object refuses duplicate keys.
_STRICT_DECODER = json.JSONDecoder(
    object_pairs_hook=_unique_keys, parse_float=_refuse_float, parse_constant=_refuse_constant
)


def _refuse_compiled_float(text: str) -> Any:
    raise ValueError(f"floats are not allowed: {text}")


# The compiled path (msgspec, C): a decoder that refuses every float token (msgspec calls the
# hook for each number with a fraction or an exponent; NaN and Infinity are not JSON to it)
# and an encoder with sorted keys. For a value of the subset whose encoding is ASCII the
# encoder writes exactly the bytes ``json.dumps`` writes with the options above: keys in code
# point order, ``\b \t \n \f \r \" \\`` as two characters, other control characters as
# ``\u00xx`` in lower case, DEL and ``/`` raw, integers in decimal, no spaces
# (``tests/test_canonical_compiled.py`` checks each of these against ``json.dumps``).
# Shared by the server's threads: Encoder and Decoder methods are thread-safe (made so in
# msgspec/msgspec#402, 2023, long before the 0.22 pinned here).
_C_DECODER = msgspec.json.Decoder(float_hook=_refuse_compiled_float)
_C_ENCODER = msgspec.json.Encoder(order="sorted")
_C_PLAIN_ENCODER = msgspec.json.Encoder()  # members in the order parsed: only counted
# What msgspec raises on input outside the subset or an unusual Python value: its DecodeError
# and ValidationError are ValueErrors; RecursionError for deep nesting.
_C_ERRORS = (ValueError, TypeError, OverflowError, RecursionError)


def _decode_subset(data: bytes) -> Any:
    """Parse ASCII bytes with no long integer in C, refusing floats: the value, or _MISS when
    the bytes are anything else (not JSON, a float, not ASCII, a long integer, not an object
    or an array)."""
    if not isinstance(data, bytes) or not data.isascii() or data[:1] not in (b"{", b"["):
        return _MISS
    if _has_long_int(data.translate(_CLASSES)):
        return _MISS
    try:
        return _C_DECODER.decode(data)
    except _C_ERRORS:
        return _MISS


def _parse_canonical_fast(data: bytes) -> Any:
    """The common case in compiled code: ASCII bytes, no long integer, no float, and
    re-encoding gives the same bytes. That equality also rules out duplicate keys (a dict
    keeps one), whitespace, and escapes that are not the canonical ones; ASCII rules out
    non-ASCII keys, and a lone surrogate escape is refused by the decoder, so the value is
    exactly what the full check accepts. Anything else returns _MISS and takes the exact
    path, which decides and gives the precise error."""
    value = _decode_subset(data)
    if value is _MISS:
        return _MISS
    try:
        return value if _C_ENCODER.encode(value) == data else _MISS
    except _C_ERRORS:
        return _MISS


def _parse_plain_fast(data: bytes | str) -> Any:
    """``parse_json``'s common case in compiled code (push bodies, pull pages, answers,
    files), for any spelling: ASCII bytes with no ``\\u`` escape and no long integer (so, as
    ``_needs_check`` says, every key is ASCII, every string valid and every integer safe),
    parsed refusing floats, and holding as many ``:`` as the value written back: a ``:``
    outside a string separates a member and one inside a string is itself (no escape but
    ``\\u`` writes one), so a member lost to a duplicate key leaves the value a ``:`` short.
    Anything else returns _MISS and takes the strict parse."""
    if not isinstance(data, bytes) or _needs_check(data):
        return _MISS
    try:
        value = _C_DECODER.decode(data)
        written = _C_PLAIN_ENCODER.encode(value)
    except _C_ERRORS:
        return _MISS
    return value if written.count(b":") == data.count(b":") else _MISS


def canonical_form(value: JsonValue) -> tuple[bytes, JsonValue]:
    """``canonical_bytes(value)`` and the value parsed back from those bytes, as
    ``parse_canonical`` gives it, in compiled code in the common case.

    The compiled encoder's bytes, parsed back (ASCII, no long integer, no float) into a
    value equal to ``value``, show that ``value`` was of the subset (no key or number
    changed kind on the way: an integer key, a tuple, a float, bytes or a date the encoder
    knows and JSON does not), and for such a value the encoder's bytes are ``json.dumps``'s.
    Anything unusual takes the exact path and its precise error."""
    try:
        data = _C_ENCODER.encode(value)
    except _C_ERRORS:
        pass
    else:
        parsed = _decode_subset(data)
        if parsed is not _MISS and parsed == value:
            return data, parsed
    data = canonical_bytes(value)
    return data, parse_canonical(data)


def parse_canonical(data: bytes) -> JsonValue:
    """Parse bytes that must already be canonical; anything else is refused."""
    value = _parse_canonical_fast(data)
    if value is not _MISS:
        return value
    return _parse_canonical_full(data)


def _parse_canonical_full(data: bytes) -> JsonValue:
    """The exact path: strict parse, subset check, re-encode and compare."""
    value = parse_json(data)
    if canonical_bytes(value) != data:
        raise CanonicalError("bytes are valid JSON but not in canonical form")
    return value
