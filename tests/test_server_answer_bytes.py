"""The server writes its JSON answers (a push's, the fast path's) with msgspec, in C: the
very bytes FastAPI's JSONResponse renders for the same value, for any value an answer can
hold, so that a laptop, a cache or a signature over an answer sees no difference."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from recap_server.app import _json_bytes

# What answers hold: objects with string keys, lists, strings of any code point a str can
# hold encoded (no lone surrogates: neither encoder writes them), integers of any size,
# booleans and null. No floats: no answer has one (canonical JSON refuses them).
_TEXT = st.text(st.characters(exclude_categories=["Cs"]))
_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(_TEXT, inner, max_size=6),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_an_answer_is_written_as_fastapi_writes_it(value: Any) -> None:
    assert _json_bytes(value) == JSONResponse(value).body


def test_characters_json_escapes_are_escaped_alike() -> None:
    """Every control character, the quote and backslash, DEL, the line and paragraph
    separators and characters beyond the BMP, in keys and in values."""
    text = "".join(chr(c) for c in range(0x20)) + '"\\/\x7f\u2028\u2029é中😀'
    value = {text: [text, {"k": text}], "n": [-(2**70), 2**70, 0]}
    assert _json_bytes(value) == JSONResponse(value).body
