"""Pushes that wait for their turn together are admitted in one transaction
(``Ledger._together``), each as it would be alone: its own outcomes, receipt, head and
proofs; a push that fails there fails alone. The server does so on PostgreSQL
(``groups_pushes``); the mechanism is tested here on SQLite and, in the PostgreSQL pass,
there."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bench import push_serial
from recap_desktop.crypto.envelope import Record
from recap_desktop.protocol import log as log_protocol
from recap_desktop.protocol.wire import parse_receipt
from recap_desktop.services import Workspace
from recap_server import ledger as ledger_module
from recap_server.ledger import Ledger, Pushed
from recap_server.log import Summary
from recap_server.server import open_ledger
from tests.pg_support import database_for
from tests.sync_support import Laptop, district_stations, enter, make_laptop


def _officers(tmp_path: Path, count: int) -> tuple[Ledger, list[Laptop]]:
    """A server holding ``count`` officers' certificates."""
    ledger = open_ledger(tmp_path / "server", demo=True, database=database_for(tmp_path / "server"))
    ledger.together = True
    laptops = [make_laptop(tmp_path / f"l{i}", f"op-{i}") for i in range(count)]
    for laptop in laptops:
        records = [r.record for r in laptop.ws.store.records.rows() if r.record]
        certificate = [r.to_json() for r in records if r.type == "certificate"]
        assert {o.status for o in ledger.push(certificate).outcomes} == {"stored"}
    return ledger, laptops


def _sheet(laptop: Laptop, at: int, seed: int) -> Record:
    made = laptop.ws.store.records.get(enter(laptop, district_stations(laptop.ws)[at], seed=seed))
    assert made is not None
    return made


@contextmanager
def _counting_transactions(ledger: Ledger) -> Iterator[list[int]]:
    """How many outermost write transactions the storage begins meanwhile."""
    storage: Any = ledger.storage
    real = storage.transaction
    began = [0]

    @contextmanager
    def counted(**kwargs: Any) -> Iterator[Any]:
        if getattr(storage._local, "conn", None) is None:
            began[0] += 1
        with real(**kwargs) as conn:
            yield conn

    storage.transaction = counted
    try:
        yield began
    finally:
        del storage.transaction


def _queued_then_admitted(
    ledger: Ledger, pushes: list[Callable[[], Pushed]]
) -> list[Pushed | BaseException]:
    """Run ``pushes`` on threads while the process's turn to admit is taken, each started
    once the one before is waiting (so they wait in this order); then give the turn back and
    collect each push's answer or error, in order."""
    return push_serial.admitted_together(ledger, pushes)


def _partition(record: Record) -> str:
    return ".".join(str(record.payload["station"]).split(".")[:3])


def test_pushes_waiting_together_are_admitted_in_one_transaction_each_as_alone(
    tmp_path: Path,
) -> None:
    """Each answer is the one a laptop checks (§10.4): its own receipt on its own head,
    which extends the head the laptop held, with every record it sent listed once."""
    ledger, laptops = _officers(tmp_path, 3)
    try:
        first = [_sheet(laptop, i, seed=i) for i, laptop in enumerate(laptops)]
        then = [_sheet(laptop, i + 3, seed=10 + i) for i, laptop in enumerate(laptops)]
        held = first[0]
        assert [o.status for o in ledger.push([held.to_json()]).outcomes] == ["stored"]
        size = ledger.storage.log_size()
        before = ledger.view.head
        assert before is not None
        unparsed = "(item 1, not a record)"
        batches: list[tuple[list[Any], dict[str, str]]] = [
            ([first[1].to_json(), then[1].to_json()], {}),  # one officer's next two sheets
            ([held.to_json()], {}),  # held already
            ([first[2].to_json(), {"not": "a record"}], {unparsed: ""}),
            ([then[0].to_json()], {}),
            ([then[2].to_json()], {}),  # after first[2], admitted before it in this group
        ]
        with _counting_transactions(ledger) as began:
            answers = _queued_then_admitted(
                ledger, [functools.partial(ledger.push, b, known=size) for b, _ in batches]
            )
        assert began == [1]
        assert all(isinstance(a, Pushed) for a in answers)
        pushed = [a for a in answers if isinstance(a, Pushed)]
        assert [[o.status for o in p.outcomes] for p in pushed] == [
            ["stored", "stored"],
            ["held"],
            ["stored", "refused"],
            ["stored"],
            ["stored"],
        ]
        # A head a push, in the order admitted; a push that stores nothing rests on the
        # newest head there is (the one before it).
        sizes = [int(p.head.payload["size"]) for p in pushed]
        assert sizes == [size + 2, size + 2, size + 3, size + 4, size + 5]
        assert pushed[1].head.hash == pushed[0].head.hash
        laptop_trust = ledger.trust()  # the laptop's, once it holds the server's certificate
        known = log_protocol.parse_head(before.to_json(), laptop_trust)
        by_hash = {r.hash: r for r in [*first, *then]}
        for p, (batch, extra) in zip(pushed, batches, strict=True):
            sent = {
                item["hash"]: _partition(by_hash[item["hash"]]) for item in batch if "hash" in item
            }
            receipt = parse_receipt(p.receipt.to_json(), ledger.server_key.public_key)
            head = log_protocol.parse_head(p.head.to_json(), laptop_trust)
            log_protocol.check_receipt(
                receipt, head, known, p.proofs.to_json(), {**sent, **extra}, trust=laptop_trust
            )
        assert ledger.storage.log_size() == size + 5
        view = ledger.view
        assert view.size == size + 5
        assert view.summary.root == Summary(ledger.storage.partition_states()).root
    finally:
        for laptop in laptops:
            laptop.ws.close()
        ledger.storage.close()


def test_pushes_that_change_the_trust_and_held_questions_take_the_turn_alone(
    tmp_path: Path,
) -> None:
    """A certificate (it changes the trust) and a question by hash (``holds``) waiting with
    two sheets: each gets a transaction of its own in the same turn, the sheets one
    together; every answer is right, and the gate judges the next token by the new
    certificate at once."""
    ledger, laptops = _officers(tmp_path, 2)
    newcomer = make_laptop(tmp_path / "new", "op-new")
    try:
        held = _sheet(laptops[0], 5, seed=5)
        assert [o.status for o in ledger.push([held.to_json()]).outcomes] == ["stored"]
        sheets = [_sheet(laptop, i, seed=i) for i, laptop in enumerate(laptops)]
        records = [r.record for r in newcomer.ws.store.records.rows() if r.record]
        certificate = [r.to_json() for r in records if r.type == "certificate"]
        assert ledger.held_trust() is not None
        with _counting_transactions(ledger) as began:
            answers = _queued_then_admitted(
                ledger,
                [
                    functools.partial(ledger.push, [sheets[0].to_json()]),
                    functools.partial(ledger.push, certificate),
                    functools.partial(ledger.holds, [held.hash, "ab" * 32]),
                    functools.partial(ledger.push, [sheets[1].to_json()]),
                ],
            )
        assert began == [1 + 2]
        assert [[o.status for o in a.outcomes] for a in answers if isinstance(a, Pushed)] == [
            ["stored"],
            ["stored"],
            ["held", "unknown"],
            ["stored"],
        ]
        assert ledger.held_trust() is None  # read again before the next token is judged
        assert newcomer.key.key_id in ledger.trust().certificates
    finally:
        for laptop in [*laptops, newcomer]:
            laptop.ws.close()
        ledger.storage.close()


def test_a_fork_found_in_a_group_is_judged_as_pushes_one_by_one_judge_it(
    tmp_path: Path,
) -> None:
    """One key's two records of one place in its chain, then its next record, each pushed
    by another laptop at once: the evidence the first fork makes, and what it does to the
    next push waiting with it, are those of the same pushes admitted one by one."""
    a = make_laptop(tmp_path / "a", "op-a")
    twin = Laptop(Workspace(tmp_path / "twin"), a.key)  # the same key on a second laptop
    a.ws.close()
    shutil.copytree(a.data_dir, twin.data_dir)
    certificates = [r.record for r in a.ws.store.records.rows() if r.record]
    stations = district_stations(a.ws)
    held = _sheet(a, 0, seed=1)
    forked = _sheet(twin, 1, seed=2)  # the same place in the key's chain as held
    after = _sheet(a, 2, seed=3)
    batches = [[held.to_json()], [forked.to_json()], [after.to_json()]]
    seen: list[Any] = []
    try:
        for name, grouped in (("one-by-one", False), ("together", True)):
            folder = tmp_path / name
            ledger = open_ledger(folder, demo=True, database=database_for(folder))
            ledger.together = grouped
            try:
                ledger.push([r.to_json() for r in certificates if r.type == "certificate"])
                if grouped:
                    with _counting_transactions(ledger) as began:
                        answers = _queued_then_admitted(
                            ledger, [functools.partial(ledger.push, b) for b in batches]
                        )
                    assert began == [1]
                else:
                    answers = [ledger.push(b) for b in batches]
                storage: Any = ledger.storage
                seen.append(
                    (
                        [
                            [(o.status, o.reason) for o in p.outcomes]
                            for p in answers
                            if isinstance(p, Pushed)
                        ],
                        storage.forks(),
                        storage.stats(),
                        sorted(
                            storage._query("SELECT station, contest, state, attention FROM status")
                        ),
                        [len(storage.evidence(s)) for s in stations[:3]],
                    )
                )
            finally:
                ledger.storage.close()
        assert seen[0][1] == {a.key.key_id: int(held.payload["seq"])}  # the fork is kept
        assert seen[1] == seen[0]
    finally:
        a.ws.close()
        twin.ws.close()


def test_a_push_that_fails_among_others_fails_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Admission fails for one push (a fault made here: the code has none known) while it
    waits with others: the transaction they shared is rolled back, each is admitted again
    alone, and only that push's sender gets the error."""
    ledger, laptops = _officers(tmp_path, 3)
    try:
        sheets = [_sheet(laptop, i, seed=i) for i, laptop in enumerate(laptops)]
        poisoned = sheets[1].hash
        real = ledger_module.admit

        def admit(records: Any, *args: Any, **kwargs: Any) -> Any:
            if any(r.hash == poisoned for r in records):
                raise RuntimeError("admission failed for this push")
            return real(records, *args, **kwargs)

        monkeypatch.setattr(ledger_module, "admit", admit)
        size = ledger.storage.log_size()
        with _counting_transactions(ledger) as began:
            answers = _queued_then_admitted(
                ledger, [functools.partial(ledger.push, [s.to_json()]) for s in sheets]
            )
        assert began == [1 + 3]  # together, rolled back; then each alone
        errors = [a for a in answers if isinstance(a, BaseException)]
        assert [str(e) for e in errors] == ["admission failed for this push"]
        stored = {o.hash for a in answers if isinstance(a, Pushed) for o in a.outcomes}
        assert stored == {sheets[0].hash, sheets[2].hash}
        assert ledger.storage.log_size() == size + 2
        assert set(ledger.storage.positions(stored)) == stored
        assert ledger.storage.positions([poisoned]) == {}
        view = ledger.view
        assert view.summary.root == Summary(ledger.storage.partition_states()).root
    finally:
        for laptop in laptops:
            laptop.ws.close()
        ledger.storage.close()
