"""A push reads its partitions' frontiers by their whole key: what it costs does not grow
with the partition. A district's partition holds its thousands of sheets by the end of a
count; SQLite, asked ``partition = ? AND ((level = ? AND idx = ?) OR ...)``, walked every
node of the partition from three pairs on, at every push.

SQLite alone: its virtual machine's instructions are counted (a progress handler), which
no other process or load on the machine moves. PostgreSQL plans both forms alike."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from recap_server import log
from recap_server.storage import SqlStorage, open_storage

BIG = 4096 + 2048 + 1024  # three perfect subtrees, as SMALL: the same nodes read for each
SMALL = 4 + 2 + 1


def _leaf(partition: str, index: int) -> tuple[str, bytes]:
    return partition, hashlib.sha256(f"{partition}/{index}".encode()).digest()


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SqlStorage]:
    storage = open_storage(tmp_path / "server.db")
    leaves = [_leaf("big", i) for i in range(BIG)] + [_leaf("small", i) for i in range(SMALL)]
    with storage.transaction() as conn:
        log.append(conn, 0, leaves)
    yield storage
    storage.close()


class _RolledBack(Exception):
    """Raised inside the transaction: each partition is appended to from the same state."""


def _instructions_to_append(storage: SqlStorage, partition: str) -> int:
    """SQLite's instructions (in tens) to append one leaf of ``partition`` to the log."""
    counted = [0]

    def count() -> int:
        counted[0] += 1
        return 0  # go on

    with pytest.raises(_RolledBack), storage.transaction() as conn:
        sizes = log.partition_sizes(conn, ["big", "small"])
        assert sizes == {"big": BIG, "small": SMALL}
        conn.set_progress_handler(count, 10)
        try:
            appended = log.append(conn, BIG + SMALL, [_leaf(partition, sizes[partition])])
        finally:
            conn.set_progress_handler(None, 10)
        assert appended.partitions[partition][0] == sizes[partition] + 1
        raise _RolledBack
    return counted[0]


def test_appending_to_a_large_partition_costs_what_appending_to_a_small_one_does(
    storage: SqlStorage,
) -> None:
    big = _instructions_to_append(storage, "big")
    small = _instructions_to_append(storage, "small")
    assert small > 0
    # Before: 114,960 instructions against 450 (walking the big partition's 14,000 nodes);
    # now 320 against 380.
    assert big < 2 * small, (big, small)
