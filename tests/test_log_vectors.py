"""The published log vectors (tests/vectors/log_vectors.json, docs/PROTOCOL.md §8, §10) are
what the program computes: partitions, ranges, leaves, roots, heads, receipts' appends and
range proofs. A change to any of them fails here instead of silently rewriting the file."""

from __future__ import annotations

import json
from pathlib import Path

from recap_desktop.protocol import log
from tests.vectors.make_log_vectors import OUT, build


def test_the_program_reproduces_every_log_vector() -> None:
    assert build() == json.loads(Path(OUT).read_text())


def test_a_records_partition_is_the_district_of_its_place() -> None:
    for case in json.loads(Path(OUT).read_text())["partition_of"]:
        place = case["place"]
        expected = case["partition"]
        assert (log.partition_of_code(place) if place else "") == expected
