"""Servers that misbehave: the real server on a loopback port, its storage wrapped to lie, or
its data folder edited behind its back (docs/PROTOCOL.md §10.6 names what each breaks).

- ``Injecting``: logs and serves entries it never admitted (a pull door's hostile records).
- ``Withholding``: leaves one officer's records out of its pull pages; its log is honest.
- ``NotStoring``: answers a push with a receipt saying "stored" and keeps nothing.
- ``rewrite_entry``: edits an old entry of a stopped server's log and rebuilds the trees.
- ``uncertified``: swaps the server's key for one the authority never certified.
- ``FlakyProof``: its first consistency proof is wrong (a reply that crossed a newer head).
- ``WithholdingOnce``: leaves one officer's records out of its first pull page only.
- ``serve_head``: the live server answers with an older head of its own (a lagging replica).
- ``SheetNamedAs``: its pages name one sheet by hash as if it were a package or an
  authority record (PROTOCOL §9.5).
- ``Relocating``: its pages show a record it never logged in the place of a real entry, and
  leave entries out (PROTOCOL §10.5: positions a pull has not proved).

A fork of the server's history needs no wrapper: two servers started from copies of one data
folder share its key and its log, then each grows its own.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.election import format_time
from recap_desktop.protocol import merkle
from recap_desktop.protocol.log import (
    in_ranges,
    leaf_hash,
    partition_of,
    partition_of_code,
)
from recap_server import log
from recap_server.log import Appended
from recap_server.storage import RawHeld
from tests.pg_support import database_for

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class _Wrapper:
    def __init__(self, storage: Any) -> None:
        self._storage = storage

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)


class SheetNamedAs(_Wrapper):
    """Pages that name the sheet ``named`` (set it once stored) by hash, without its body,
    as ``kind`` names a record: "package" or "authority" (a certificate or revocation list)."""

    def __init__(self, storage: Any, kind: str) -> None:
        super().__init__(storage)
        self.kind = kind
        self.named: str | None = None

    def pull_raw(self, *args: Any, **kwargs: Any) -> list[RawHeld]:
        rows = self._storage.pull_raw(*args, **kwargs)
        return [
            replace(r, payload=None, named=self.kind) if r.hash == self.named else r for r in rows
        ]


class Injecting(_Wrapper):
    """Appends to its log, after the real entries, entries the server never admitted, and
    serves them like any other: its heads and proofs cover them, so a laptop's admission rule
    is what refuses them. Nothing more may be stored once it injected (their indices would
    clash)."""

    def __init__(self, storage: Any) -> None:
        super().__init__(storage)
        self.injected: list[RawHeld] = []

    def inject(self, items: Sequence[dict[str, Any]], received: str | None = None) -> None:
        """Envelopes (as JSON objects, malformed ones included), logged and served; then call
        the ledger's ``refresh`` so that it signs a head over them."""
        when = received or format_time(datetime.now(UTC))
        for item in items:
            payload = item["payload"]
            try:
                name = partition_of(from_json(item))
            except EnvelopeError:
                station = payload.get("station") if isinstance(payload, dict) else None
                name = partition_of_code(station) if isinstance(station, str) else ""
            claimed = str(item.get("hash"))
            self.injected.append(
                RawHeld(
                    self.log_size(),
                    claimed if _HEX64.match(claimed) else "0" * 64,
                    str(item["signer"]),
                    canonical_bytes(payload).decode("utf-8"),
                    str(item["sig"]),
                    when,
                    name,
                )
            )

    # -- the log as it claims it ------------------------------------------------------------

    def _entries(self) -> list[tuple[str, int, str, str]]:
        real = [
            (str(h), int(i), str(n), str(t))
            for h, i, n, t in self._storage._query(
                "SELECT hash, idx, partition, received FROM records ORDER BY idx"
            )
        ]
        return real + [(h.hash, h.index, h.partition, h.received) for h in self.injected]

    def _tree(self, partition: str | None = None) -> merkle.InMemoryNodes:
        tree = merkle.InMemoryNodes()
        tree.append(
            [
                leaf_hash(h, i, n, t)
                for h, i, n, t in self._entries()
                if partition is None or n == partition
            ]
        )
        return tree

    def log_size(self) -> int:
        return int(self._storage.log_size()) + len(self.injected)

    def log_root(self, size: int) -> bytes:
        return merkle.tree_root(self._tree(), size) if size else merkle.EMPTY_ROOT

    def consistency(self, first: int, second: int) -> list[bytes]:
        return merkle.consistency_proof(self._tree(), first, second)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return merkle.inclusion_proof(self._tree(), index, size)

    def partition_states(self) -> dict[str, tuple[int, bytes]]:
        out = {}
        for name in {n for _, _, n, _ in self._entries()}:
            tree = self._tree(name)
            out[name] = (tree.tree_size, merkle.tree_root(tree, tree.tree_size))
        return out

    def pull_raw(
        self,
        ranges: Sequence[tuple[str, str]] | None,
        since: int,
        limit: int,
        upto: int,
        bodies: bool = True,
        names: Sequence[str] | None = None,
    ) -> list[RawHeld]:
        real = self._storage.pull_raw(ranges, since, limit, upto, bodies, names)
        extra = [
            h
            for h in self.injected
            if since <= h.index < upto and (ranges is None or in_ranges(h.partition, ranges))
        ]
        return sorted([*real, *extra], key=lambda h: h.index)[:limit]

    def commit(self, records: Sequence[Record], seal: Any, **kwargs: Any) -> Any:
        if not self.injected:
            return self._storage.commit(records, seal, **kwargs)
        if records:
            raise RuntimeError("this dishonest server stores nothing after it injected")
        size = self.log_size()
        tree = self._tree()
        appended = Appended(size, merkle.frontier(tree, size), size, self.log_root(size), {})
        head, receipt = seal({}, appended)
        return head, receipt, appended


class Withholding(_Wrapper):
    """Leaves every record of one signer out of its pull pages. Its log, heads and proofs
    are honest: the pages are what lies."""

    def __init__(self, storage: Any) -> None:
        super().__init__(storage)
        self.hidden: set[str] = set()  # signers whose records are never served

    def pull_raw(
        self,
        ranges: Sequence[tuple[str, str]] | None,
        since: int,
        limit: int,
        upto: int,
        bodies: bool = True,
        names: Sequence[str] | None = None,
    ) -> list[RawHeld]:
        return [
            h
            for h in self._storage.pull_raw(ranges, since, limit, upto, bodies, names)
            if h.signer not in self.hidden
        ]


class Relocating(_Wrapper):
    """Its pull pages show a record it never logged in the place of a real entry, at that
    entry's index (``placed``: index -> record), and leave entries out (``hidden``: hashes).
    Its log, heads and proofs are honest: the pages are what lies."""

    def __init__(self, storage: Any) -> None:
        super().__init__(storage)
        self.placed: dict[int, Record] = {}
        self.hidden: set[str] = set()

    def pull_raw(
        self,
        ranges: Sequence[tuple[str, str]] | None,
        since: int,
        limit: int,
        upto: int,
        bodies: bool = True,
        names: Sequence[str] | None = None,
    ) -> list[RawHeld]:
        out = []
        for held in self._storage.pull_raw(ranges, since, limit, upto, bodies, names):
            if held.hash in self.hidden:
                continue
            shown = self.placed.get(held.index)
            if shown is not None:
                held = RawHeld(
                    held.index,
                    shown.hash,
                    shown.signer,
                    shown.canonical.decode("utf-8"),
                    shown.sig,
                    held.received,
                    partition_of(shown),
                )
            out.append(held)
        return out


class NotStoring(_Wrapper):
    """Answers a push as if it stored the batch, with the receipt listing every record as
    stored at the next places of its log, and keeps none of it: its head does not move."""

    def __init__(self, storage: Any) -> None:
        super().__init__(storage)
        self.lying = False

    def commit(self, records: Sequence[Record], seal: Any, **kwargs: Any) -> Any:
        if not self.lying or not records:
            return self._storage.commit(records, seal, **kwargs)
        size = int(self._storage.log_size())
        with self._storage._connection() as conn:
            frontier = log.frontier(conn, size)
        received = kwargs["received"]
        positions: Mapping[str, tuple[int, str]] = {
            r.hash: (size + i, received) for i, r in enumerate(records)
        }
        appended = Appended(size, frontier, size, self._storage.log_root(size), {})
        head, receipt = seal(positions, appended)
        return head, receipt, appended


def uncertified(server: Any) -> SigningKey:
    """The live server now answers with a fresh key the authority never certified."""
    key = SigningKey.generate()
    server.ledger.server_key = key
    return key


_APPEND_ONLY = ("records", "log_nodes", "partition_nodes", "heads")


def rewrite_entry(data_dir: Path, index: int, received: str) -> None:
    """An operator with the database file changes when entry ``index`` says the server
    received it, and rebuilds the log's trees to match (the server must be stopped)."""
    url = database_for(data_dir)
    db: Any
    if url is not None:  # the PostgreSQL pass (tests/pg_support.py): the same, in its schema
        import psycopg

        from recap_server.storage import _PgConnection

        db = _PgConnection(psycopg.connect(url, autocommit=True))
        untrigger = [f"ALTER TABLE {t} DISABLE TRIGGER USER" for t in _APPEND_ONLY]
    else:
        db = sqlite3.connect(data_dir / "server.db", isolation_level=None)
        untrigger = [
            f"DROP TRIGGER IF EXISTS {t}_no_{verb}"
            for t in _APPEND_ONLY
            for verb in ("update", "delete")
        ]
    try:
        db.execute("BEGIN")
        for statement in untrigger:
            db.execute(statement)
        db.execute("UPDATE records SET received = ? WHERE idx = ?", [received, index])
        for table in ("log_nodes", "partition_nodes", "partitions", "heads"):
            db.execute(f"DELETE FROM {table}")
        rows = db.execute("SELECT hash, idx, partition, received FROM records ORDER BY idx")
        leaves = [(str(n), leaf_hash(str(h), int(i), str(n), str(t))) for h, i, n, t in rows]
        log.append(db, 0, leaves)
        db.execute("COMMIT")
    finally:
        db.close()


class FlakyProof(_Wrapper):
    """Its next ``flaky`` consistency proofs are wrong (every hash flipped); then honest."""

    def __init__(self, storage: Any) -> None:
        super().__init__(storage)
        self.flaky = 0
        self.asked = 0

    def consistency(self, first: int, second: int) -> list[bytes]:
        self.asked += 1
        proof = list(self._storage.consistency(first, second))
        if self.flaky > 0:
            self.flaky -= 1
            return [bytes(b ^ 0xFF for b in h) for h in proof]
        return proof


class WithholdingOnce(Withholding):
    """Leaves the hidden signers' records out of its next ``times`` pull pages, then serves
    them: a page that crossed a commit, as a laptop cannot tell from a lie at first."""

    def __init__(self, storage: Any) -> None:
        super().__init__(storage)
        self.times = 0

    def pull_raw(
        self,
        ranges: Sequence[tuple[str, str]] | None,
        since: int,
        limit: int,
        upto: int,
        bodies: bool = True,
        names: Sequence[str] | None = None,
    ) -> list[RawHeld]:
        if ranges is None or self.times <= 0:
            return list(self._storage.pull_raw(ranges, since, limit, upto, bodies, names))
        self.times -= 1
        return super().pull_raw(ranges, since, limit, upto, bodies, names)


def serve_head(server: Any, head: Record) -> None:
    """The live server answers health, pulls and proofs as of ``head``, an older head it
    signed (a replica behind the others); its database still holds every head it signed."""
    from recap_server.ledger import Ledger, LogView
    from recap_server.log import Summary

    class Lagging(Ledger):
        """Reads its view as it was set, without catching up with the database."""

        @property
        def view(self) -> LogView:
            return self._view

        @view.setter
        def view(self, value: LogView) -> None:
            self._view = value

        def _view_at(self, newest: str | None) -> LogView:
            return self._view  # what health and pushes catch up by (Ledger.caught_up)

    ledger = server.ledger
    size = int(head.payload["size"])
    parts: dict[str, list[bytes]] = {}
    with ledger.storage._connection() as conn:
        for name, _idx, value in _leaves(conn, size):
            parts.setdefault(name, []).append(value)
    summary = Summary({n: (len(v), merkle.root(v)) for n, v in parts.items()})
    ledger.__class__ = Lagging
    ledger.view = LogView(head, summary)


def _leaves(conn: Any, size: int) -> list[tuple[str, int, bytes]]:
    rows = conn.execute(
        "SELECT hash, idx, partition, received FROM records WHERE idx < ? ORDER BY idx", [size]
    ).fetchall()
    return [(str(n), int(i), leaf_hash(str(h), int(i), str(n), str(t))) for h, i, n, t in rows]
