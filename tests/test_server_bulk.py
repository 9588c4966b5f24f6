"""A push's rows go to the database a statement per table, not per row (recap_server/bulk.py):
on PostgreSQL a COPY or one unnest upsert each; the rows as stored are byte for byte those
the laptop signed, whatever text they hold (on SQLite, and on PostgreSQL in its pass)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.hotpath import fixture
from recap_desktop.crypto.envelope import sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import demo
from recap_server import bulk
from recap_server.ledger import Ledger
from recap_server.storage import SqlStorage, open_storage
from tests.pg_support import database_for
from tests.test_server_storage import _recount


def _server(folder: Path) -> tuple[SqlStorage, Ledger]:
    storage = open_storage(database_for(folder) or folder / "server.db")
    ledger = Ledger(storage, SigningKey.from_seed(bytes(32)), demo.demo_authority().public_key)
    return storage, ledger


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement psycopg sends (an ``executemany`` counts its rows): a spy on the
    driver's cursor, below the storage's own code; the statements still run."""
    import psycopg

    out: list[str] = []
    execute, executemany, copy = (
        psycopg.Cursor.execute,
        psycopg.Cursor.executemany,
        psycopg.Cursor.copy,
    )

    def counted(self: Any, query: Any, *args: Any, **kw: Any) -> Any:
        out.append(str(query))
        return execute(self, query, *args, **kw)

    def counted_many(self: Any, query: Any, params: Any, *args: Any, **kw: Any) -> Any:
        params = list(params)
        out.extend(str(query) for _ in params)
        return executemany(self, query, params, *args, **kw)

    def counted_copy(self: Any, statement: Any, *args: Any, **kw: Any) -> Any:
        out.append(str(statement))
        return copy(self, statement, *args, **kw)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    monkeypatch.setattr(psycopg.Cursor, "executemany", counted_many)
    monkeypatch.setattr(psycopg.Cursor, "copy", counted_copy)
    yield out


@pytest.mark.postgres_only
def test_a_push_of_500_sheets_sends_tens_of_statements_not_thousands(
    tmp_path: Path, sent: list[str]
) -> None:
    package, cert, sheets = fixture(500)
    storage, ledger = _server(tmp_path)
    try:
        ledger.push(package)
        ledger.push([cert.to_json()])
        sent.clear()
        outcomes = ledger.push([r.to_json() for r in sheets]).outcomes
        assert {o.status for o in outcomes} == {"stored"}
        # Before bulk.py: ~4,300 (a statement per record, sheet, tree node, state and
        # region total). Now the reads, a COPY per table and an upsert per projection.
        assert len(sent) < 60, sorted(set(sent))
        for contest in {str(r.payload["contest"]) for r in sheets}:
            assert storage.all_totals(contest) == _recount(storage, contest)
        assert storage.stats()["sheets"] == 500
    finally:
        storage.close()


# What a COPY's text format gives a meaning to (NULL, end of data, escapes, separators),
# and text beyond ASCII: a signed reason holding them is stored and served as signed.
AWKWARD = "\\N\t\\.\n\\\\ \r\"'; DROP TABLE records; -- ü 选举 \u0000 \x7f"


@pytest.mark.parametrize("copy_from", [1, bulk.COPY_FROM], ids=["by COPY", "as pushed"])
def test_awkward_text_is_stored_and_served_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy_from: int
) -> None:
    """On PostgreSQL a push's few rows go by statements, many by COPY: both keep the text."""
    monkeypatch.setattr(bulk, "COPY_FROM", copy_from)
    package, cert, sheets = fixture(3)
    last = sheets[-1]
    correction = sign(
        SigningKey.from_seed(bytes(range(32))),  # the operator's key (bench.hotpath)
        {
            **sheets[0].payload,
            "seq": last.payload["seq"] + 1,
            "prev": last.hash,
            "supersedes": sheets[0].hash,
            "reason": AWKWARD,
        },
    )
    storage, ledger = _server(tmp_path)
    try:
        ledger.push(package)
        ledger.push([cert.to_json()])
        outcomes = ledger.push([r.to_json() for r in [*sheets, correction]]).outcomes
        assert {o.status for o in outcomes} == {"stored"}, outcomes
        held = storage.record(correction.hash)
        assert held is not None and held.canonical == correction.canonical
        assert held.payload["reason"] == AWKWARD
        raw = [r for r in storage.pull_raw(None, 0, 100, 100) if r.hash == correction.hash]
        assert [r.payload for r in raw] == [correction.canonical.decode("utf-8")]
        assert [r.sig for r in raw] == [correction.sig]
        station, contest = sheets[0].payload["station"], sheets[0].payload["contest"]
        current = storage._query(
            "SELECT current FROM status WHERE station = ? AND contest = ?", [station, contest]
        )
        assert current == [(correction.hash,)]
    finally:
        storage.close()
