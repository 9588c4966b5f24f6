"""The published log vectors (tests/vectors/log_vectors.json, docs/PROTOCOL.md §8, §10) are
what the program computes: partitions, ranges, leaves, roots, heads, receipts' appends and
range proofs. A change to any of them fails here instead of silently rewriting the file."""

from __future__ import annotations

import json
from pathlib import Path

from recap_desktop.crypto.envelope import CHAINED_TYPES, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.protocol import log
from tests.vectors.make_log_vectors import OUT, build


def test_the_program_reproduces_every_log_vector() -> None:
    assert build() == json.loads(Path(OUT).read_text())


_PLACE = {"sheet": "station", "review": "station", "dhasil": "region", "objection": "place"}
_PLACE |= {"resolution": "place", "certificate": "jurisdiction"}


def test_a_records_partition_is_the_district_of_its_place() -> None:
    """As the program computes it from a record (a certificate's place is its jurisdiction),
    not from the code alone."""
    key = SigningKey.from_seed(b"\x05" * 32)
    for case in json.loads(Path(OUT).read_text())["partition_of"]:
        payload: dict[str, object] = {"type": case["type"]}
        if case["type"] in CHAINED_TYPES:
            payload |= {"seq": 1, "prev": None, "signer": key.key_id}
        if case["type"] in _PLACE:
            payload[_PLACE[case["type"]]] = case["place"]
        assert log.partition_of(sign(key, payload)) == case["partition"], case
