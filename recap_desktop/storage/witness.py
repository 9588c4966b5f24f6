"""What this laptop holds the central server to (docs/PROTOCOL.md §10): the tree heads it
verified or was shown, how far each partition of the log was checked, and the evidence of
the server's misbehaviour. Truth, like the records: a rebuild keeps it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json
from recap_desktop.storage.connection import Connection
from recap_desktop.storage.errors import TamperedStore
from recap_desktop.storage.records import timestamp
from recap_desktop.storage.restate import restate
from recap_desktop.storage.standing import signer_keys

NEWEST, GOSSIP, RELIED = "newest", "gossip", "relied"


@dataclass(frozen=True)
class Checked:
    """A partition's tree as far as this laptop rebuilt it: ``size`` leaves, its perfect
    subtrees (``frontier``, largest first), up to log index ``checked`` (exclusive)."""

    size: int
    frontier: list[bytes]
    checked: int


@dataclass(frozen=True)
class Misbehaviour:
    id: int
    kind: str
    detail: str
    first: dict[str, Any]
    second: dict[str, Any] | None
    server: str
    found: str


class Witness:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._db = connection.db

    # -- heads ------------------------------------------------------------------------------

    def newest(self) -> Record | None:
        """The newest head verified: every later one must extend it."""
        heads = self._heads(NEWEST)
        return heads[0] if heads else None

    def gossip(self) -> list[Record]:
        """Heads other holders showed (bundles), to check against the server at next sync."""
        return self._heads(GOSSIP)

    def _heads(self, kind: str) -> list[Record]:
        out = []
        for hash_, text in self._db.execute(
            "SELECT hash, record FROM log_heads WHERE kind = ? ORDER BY size DESC, hash", [kind]
        ):
            try:
                out.append(from_json(json.loads(text)))
            except (EnvelopeError, ValueError) as exc:
                raise TamperedStore(f"the kept tree head {hash_[:16]}… is damaged") from exc
        return out

    def relied(self) -> list[Record]:
        """Heads this laptop relied on before its newest (a receipt's marks, a pull's checks
        rest on each), largest first: later evidence cites them."""
        return self._heads(RELIED)

    def kept(self) -> list[Record]:
        """Every head kept: the newest, those relied on, and gossip."""
        return [*self._heads(NEWEST), *self._heads(RELIED), *self._heads(GOSSIP)]

    def keep_newest(self, head: Record) -> None:
        """``head`` is the newest verified; the one it replaces stays, as relied on (a head
        once shown as gossip or relied on becomes the newest: one row per head)."""
        with self._connection.write():
            self._db.execute(
                "UPDATE log_heads SET kind = ? WHERE kind = ? AND hash != ?",
                [RELIED, NEWEST, head.hash],
            )
            self._db.execute(
                "DELETE FROM log_heads WHERE hash = ? AND kind != ?", [head.hash, NEWEST]
            )
            self._keep(head, NEWEST)

    def keep_gossip(self, head: Record) -> bool:
        """Keep a head shown by another holder; False if it is held already."""
        with self._connection.write():
            return self._keep(head, GOSSIP)

    def drop_gossip(self, hashes: Sequence[str]) -> None:
        with self._connection.write():
            self._db.conn.executemany(
                "DELETE FROM log_heads WHERE kind = ? AND hash = ?", [(GOSSIP, h) for h in hashes]
            )

    def _keep(self, head: Record, kind: str) -> bool:
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO log_heads (hash, kind, size, server, record, received)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                head.hash,
                kind,
                int(head.payload["size"]),
                head.signer,
                json.dumps(head.to_json(), sort_keys=True),
                timestamp(),
            ],
        )
        return bool(cursor.rowcount)

    # -- partitions -------------------------------------------------------------------------

    def checked(self, partition: str) -> Checked:
        row = self._db.execute(
            "SELECT size, frontier, checked FROM log_partitions WHERE partition = ?", [partition]
        ).fetchone()
        if row is None:
            return Checked(0, [], 0)
        try:
            frontier = [bytes.fromhex(h) for h in json.loads(row[1])]
        except (ValueError, TypeError) as exc:
            raise TamperedStore(f"the checked state of partition {partition!r} is damaged") from exc
        return Checked(int(row[0]), frontier, int(row[2]))

    def checked_partitions(self) -> list[str]:
        return [
            str(n) for (n,) in self._db.execute("SELECT partition FROM log_partitions ORDER BY 1")
        ]

    def set_checked(self, states: dict[str, Checked]) -> None:
        with self._connection.write():
            self._db.conn.executemany(
                "INSERT OR REPLACE INTO log_partitions (partition, size, frontier, checked)"
                " VALUES (?, ?, ?, ?)",
                [
                    (name, c.size, json.dumps([h.hex() for h in c.frontier]), c.checked)
                    for name, c in states.items()
                ],
            )

    def entries(self, partition: str, start: int, upto: int) -> list[tuple[str, int, str]]:
        """(hash, index, received) of the log entries of a partition this laptop learnt of
        (proved, or pulled and not yet proved), from index ``start`` up to ``upto``, in log
        order: what the partition's tree is rebuilt from."""
        return [
            (str(h), int(i), str(t))
            for h, i, t in self._db.execute(
                "SELECT hash, idx, received FROM server_log"
                " WHERE partition = ? AND idx >= ? AND idx < ?"
                " UNION ALL SELECT hash, idx, received FROM log_pending"
                " WHERE partition = ? AND idx >= ? AND idx < ? ORDER BY 2",
                [partition, start, upto, partition, start, upto],
            )
        ]

    def forget_unproven(self, floors: Mapping[str, int]) -> int:
        """Forget what pulls said of each partition of ``floors`` from its floor on (where the
        partition was last proved to add up): the positions not yet proved, and the records
        of an unknown signer kept at them. A pull whose partitions did not add up is fetched
        again from there (PROTOCOL §10.5); what was proved stays, whatever failed. Returns
        the positions forgotten."""
        forgotten = 0
        with self._connection.write():
            for name, floor in sorted(floors.items()):
                forgotten += self._db.execute(
                    "DELETE FROM log_pending WHERE partition = ? AND idx >= ?", [name, floor]
                ).rowcount
                # Pulled again from there: a record of an unknown signer is kept again if the
                # server serves it again, at the index it gives then.
                self._db.execute(
                    "DELETE FROM log_unvouched WHERE partition = ? AND idx >= ?", [name, floor]
                )
            if forgotten:
                # A revocation list's place that was only said counts no more.
                revoked = [str(k) for (k,) in self._db.execute("SELECT key_id FROM revoked")]
                restate(self._db, signer_keys(self._db, revoked))
        return int(forgotten)

    def partitions_seen(self, upto: int) -> set[str]:
        """Partitions of entries below ``upto`` this laptop holds positions for (proved or
        pulled)."""
        return {
            str(n)
            for (n,) in self._db.execute(
                "SELECT DISTINCT partition FROM server_log WHERE idx < ? AND partition IS NOT NULL"
                " UNION SELECT DISTINCT partition FROM log_pending WHERE idx < ?",
                [upto, upto],
            )
        }

    # -- evidence ---------------------------------------------------------------------------

    def add_evidence(
        self,
        kind: str,
        detail: str,
        first: Record | dict[str, Any],
        second: Record | dict[str, Any] | None,
    ) -> bool:
        """Keep what shows the server misbehaved: the signed head (or receipt) and what it
        contradicts. False if the same was kept already."""
        shown = first.to_json() if isinstance(first, Record) else first
        other = second.to_json() if isinstance(second, Record) else second
        signer = first.signer if isinstance(first, Record) else str(first.get("signer", ""))
        first_text = json.dumps(shown, sort_keys=True)
        second_text = None if other is None else json.dumps(other, sort_keys=True)
        with self._connection.write():
            seen = self._db.execute(
                "SELECT 1 FROM log_evidence WHERE kind = ? AND first = ? AND second IS ?",
                [kind, first_text, second_text],
            ).fetchone()
            if seen:
                return False
            self._db.execute(
                "INSERT INTO log_evidence (kind, detail, first, second, server, found)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [kind, detail, first_text, second_text, signer, timestamp()],
            )
        return True

    def evidence(self) -> list[Misbehaviour]:
        out = []
        for row in self._db.execute(
            "SELECT id, kind, detail, first, second, server, found FROM log_evidence ORDER BY id"
        ):
            try:
                first = json.loads(row[3])
                second = None if row[4] is None else json.loads(row[4])
            except ValueError as exc:
                raise TamperedStore(f"log evidence {row[0]} is damaged") from exc
            kind, detail, server, found = str(row[1]), str(row[2]), str(row[5]), str(row[6])
            out.append(Misbehaviour(int(row[0]), kind, detail, first, second, server, found))
        return out
