"""A push's first reads asked ahead (``SqlStorage.ask_ahead``): which of its records are
held, its signers' chain heads, the log's size and its partitions' sizes are sent before
the probe of ``Ledger.caught_up`` and answered in its round trip on PostgreSQL. They are
never answered after a write of the transaction (on SQLite, and on PostgreSQL in its
pass), and a push admits and stores exactly what it did when each read waited for its own
answer."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench import hotpath, push_serial
from recap_desktop.crypto.envelope import Record
from recap_server import log
from recap_server.ledger import Ledger, Pushed
from recap_server.storage import Prepared, SqlStorage
from tests.pg_support import database_for
from tests.test_server_totals_batch import _records, _server


def _set_up(tmp_path: Path) -> tuple[SqlStorage, Ledger, list[Record]]:
    package, certs, sheets = _records()
    storage, ledger = _server(tmp_path)
    ledger.push(package)
    ledger.push([c.to_json() for c in certs])
    return storage, ledger, sheets


def _writes(storage: SqlStorage, ledger: Ledger, record: Record) -> list[Callable[[], Any]]:
    """Writes a transaction may make after its push's reads were asked ahead."""
    head = ledger.view.head
    assert head is not None
    return [
        lambda: storage.set_meta("asked", "ahead"),
        lambda: storage.keep_head(head),
        lambda: ledger._push([record], [], 0, ledger.view),  # admits and commits it
    ]


@pytest.mark.parametrize("pipelined", [False, True])
def test_nothing_asked_ahead_is_answered_after_a_write(tmp_path: Path, pipelined: bool) -> None:
    """Whatever write comes first (a nested transaction: meta, a head, a push's commit),
    what was asked ahead is gone by then, and the reads after it see the write: a push
    that takes only some of what was asked (its own hashes are not all that was asked)
    leaves none of the rest to answer after its commit."""
    storage, ledger, sheets = _set_up(tmp_path)
    try:
        for at, write in enumerate(_writes(storage, ledger, sheets[0])):
            with storage.transaction(pipelined=pipelined):
                storage.ask_ahead(sheets[:2], Prepared(sheets[:2]))
                assert storage._ahead() is not None
                write()
                assert storage._ahead() is None, at
        x, y = sheets[1], sheets[-3]  # officer A's next sheet; officer B's first
        with storage.transaction(pipelined=pipelined):
            storage.ask_ahead([x, y], Prepared([x, y]))  # neither is held yet
            ledger._push([x], [], 0, ledger.view)  # A's alone: the ask of both is not taken
            # Asked before x was stored, answered after: the database as it is now.
            assert storage.held([x.hash, y.hash]) == {x.hash}
            head = storage.chain_head(x.signer)
            assert head is not None and head[1] == x.hash
    finally:
        storage.close()


def test_a_push_with_its_reads_asked_ahead_is_what_it_was_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pushes of held, new and refused records by two officers, one by one and in batches
    (a chain's next sheet after a held one, a second officer's disputes, one out of its
    chain's order), each asked ahead and not: the same outcomes, log, states and totals."""
    from tests.test_server_totals_batch import _state

    results = []
    for ahead in (True, False):
        if not ahead:
            monkeypatch.setattr(SqlStorage, "ask_ahead", lambda *_a, **_k: None)
        storage, ledger = _server(tmp_path / str(ahead))
        package, certs, sheets = _records()
        try:
            ledger.push(package)
            ledger.push([c.to_json() for c in certs])
            answers = []
            for batch in ([sheets[0]], sheets[:3], sheets[3:60], [sheets[-2]], sheets[60:]):
                pushed = ledger.push([r.to_json() for r in batch])
                answers.append([(o.hash, o.status) for o in pushed.outcomes])
            log_rows = storage._query("SELECT hash, idx, partition FROM records ORDER BY idx")
            # (Not the roots: a leaf hashes the second it was received.)
            partitions = storage._query("SELECT partition, size FROM partitions ORDER BY 1")
            results.append((answers, log_rows, partitions, _state(storage)))
        finally:
            storage.close()
    assert results[0] == results[1]
    answers = results[0][0]
    # Officer B's second dispute alone, before its first: refused (a gap in its chain).
    assert {s for batch in answers for _, s in batch} == {"stored", "held", "refused"}


class _LogAlone(log.Appending):
    """The log's append reading its nodes as soon as it asks them (before the change)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kept in [self._log, *self._trees.values()]:
            kept.take()


@pytest.mark.postgres_only
def test_a_steady_push_reads_ahead_with_the_probe_and_its_log_with_the_restatement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-sheet push on PostgreSQL: which records are held, the signer's chain head, the
    log's size and the partition's size go in the probe's round trip, not four of their
    own under the lock; the log's nodes and the partition's go with the restatement's
    reads, not in a trip of their own."""
    monkeypatch.setattr(hotpath, "STATIONS", hotpath.STATIONS)  # push_serial.run sets it
    unasked = {"ask_ahead": lambda *_a, **_k: None}
    trips = {}
    for name, storage, appending in (
        ("now", {}, log.Appending),
        ("unasked", unasked, log.Appending),
        ("log alone", {}, _LogAlone),
    ):
        with monkeypatch.context() as patched:
            for attribute, value in storage.items():
                patched.setattr(SqlStorage, attribute, value)
            patched.setattr(log, "Appending", appending)
            url = database_for(tmp_path / name)
            assert url is not None
            found = push_serial.run(url, stations=1200, pushes=5, batch=1)
            trips[name] = found["trips_per_push"]
    # Unasked: the probe, held, the chain head, the size, the partition's size each wait.
    assert trips["now"] == trips["unasked"] - 4, trips
    assert trips["now"] == trips["log alone"] - 1, trips


@pytest.mark.postgres_only
def test_each_push_of_a_group_asks_its_first_reads_in_one_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pushes admitted together on PostgreSQL (a steady phase's, four officers' sheets):
    the first's reads go with the probe, each next one's in the round trip of its own first
    read, behind the writes of the push before it, not one round trip each; and each is
    admitted as alone."""
    from tests.test_server_group import (
        _counting_transactions,
        _officers,
        _queued_then_admitted,
        _sheet,
    )

    trips = {}
    for name in ("now", "unasked"):
        with monkeypatch.context() as patched:
            if name == "unasked":
                patched.setattr(SqlStorage, "ask_ahead", lambda *_a, **_k: None)
            ledger, laptops = _officers(tmp_path / name, 4)
            try:
                sheets = [_sheet(laptop, i, seed=i) for i, laptop in enumerate(laptops)]
                counts = push_serial._Counts()
                with push_serial._count_pg(counts), _counting_transactions(ledger) as began:
                    answers = _queued_then_admitted(
                        ledger, [functools.partial(ledger.push, [s.to_json()]) for s in sheets]
                    )
                assert [
                    [o.status for o in a.outcomes] if isinstance(a, Pushed) else a for a in answers
                ] == [["stored"]] * 4
                assert began == [1]  # one group, one transaction
                trips[name] = counts.trips
            finally:
                for laptop in laptops:
                    laptop.ws.close()
                ledger.storage.close()
    # Unasked: the first's held, chain head, size and partition's size each wait (the probe
    # answers none of them); each next one's size, chain head and partition's size too.
    assert trips["now"] == trips["unasked"] - 4 - 3 * 3, trips
