"""What the laptop keeps besides the records, as proof: forks and the server's log positions.

A fork (one signer, one place of its chain, two records whose signatures verify) cannot enter
the records table, which holds one record per place; it is kept here, passed on by sync and
bundles, and stops the signer's records from that place on counting. Where the server's log put
a record (its index, and when the server first held it) is what proves a revoked key's record
came before the revocation. Both are truth: a rebuild keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import EnvelopeError, from_json
from recap_desktop.protocol.admit import Fork
from recap_desktop.protocol.log import Unvouched
from recap_desktop.storage.connection import Connection
from recap_desktop.storage.errors import TamperedStore
from recap_desktop.storage.records import timestamp
from recap_desktop.storage.restate import restate
from recap_desktop.storage.standing import signer_keys

# (hash, log index, when the server first held it, the partition it is logged in)
Position = tuple[str, int, str, str]


class Evidence:
    """Fork evidence and the server's log positions of records."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._db = connection.db

    # -- forks ----------------------------------------------------------------------------

    def add_forks(self, forks: Iterable[Fork], origin: str) -> int:
        """Keep checked fork evidence (``protocol.wire.check_fork``); returns how many were
        new. The forked signers' stations are restated: their records from the fork on no
        longer count."""
        now = timestamp()
        added = 0
        signers: set[str] = set()
        with self._connection.write():
            for fork in forks:
                first, second = sorted((fork.held, fork.offered), key=lambda r: r.hash)
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO forks (signer, seq, first, second, evidence, origin,"
                    " received) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        fork.signer,
                        fork.seq,
                        first.hash,
                        second.hash,
                        canonical_bytes([first.to_json(), second.to_json()]).decode("utf-8"),
                        origin,
                        now,
                    ],
                )
                if cursor.rowcount:
                    added += 1
                    signers.add(fork.signer)
            if signers:
                restate(self._db, signer_keys(self._db, signers))
        return added

    def forks(self) -> list[Fork]:
        """Every fork kept, as evidence read back (parsed like any untrusted input)."""
        out = []
        for signer, seq, text in self._db.execute(
            "SELECT signer, seq, evidence FROM forks ORDER BY received, first"
        ):
            try:
                first, second = (from_json(x) for x in json.loads(text))
            except (EnvelopeError, ValueError, TypeError) as exc:
                raise TamperedStore(f"the fork evidence of {signer[:16]}… is damaged") from exc
            out.append(Fork(str(signer), int(seq), first, second))
        return out

    def forked(self) -> dict[str, int]:
        """Signer -> the first place its chain forked."""
        return {
            str(s): int(q)
            for s, q in self._db.execute("SELECT signer, MIN(seq) FROM forks GROUP BY signer")
        }

    # -- the server's log -----------------------------------------------------------------

    def note_positions(self, positions: Sequence[Position], server: str) -> None:
        """Where the server's log put records (from a receipt or a pull page). Inside the
        caller's transaction, or one of its own. A revoked key's records whose place is now
        known, and every revoked key's if a revocation list's place is, are restated."""
        if not positions:
            return
        with self._connection.write():
            self._db.conn.executemany(
                "INSERT OR IGNORE INTO server_log (hash, idx, received, server, partition)"
                " VALUES (?, ?, ?, ?, ?)",
                [(h, i, t, server, n) for h, i, t, n in positions],
            )
            revoked = {str(k) for (k,) in self._db.execute("SELECT key_id FROM revoked")}
            if not revoked:
                return
            hashes = [h for h, _, _, _ in positions]
            signers: set[str] = set()
            lists = False
            for i in range(0, len(hashes), 500):
                chunk = hashes[i : i + 500]
                for signer, kind in self._db.execute(
                    "SELECT signer, type FROM records"
                    f" WHERE hash IN ({', '.join('?' for _ in chunk)})",
                    chunk,
                ):
                    lists = lists or kind == "revocations"
                    if signer in revoked:
                        signers.add(str(signer))
            restate(self._db, signer_keys(self._db, revoked if lists else signers))

    def position(self, hash_: str) -> tuple[int, str] | None:
        row = self._db.execute(
            "SELECT idx, received FROM server_log WHERE hash = ?", [hash_]
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def positions(self) -> dict[str, tuple[int, str]]:
        """Every known position: for a replay of the whole store (`recap verify`)."""
        return {
            str(h): (int(i), str(t))
            for h, i, t in self._db.execute("SELECT hash, idx, received FROM server_log")
        }

    # -- records of an unknown signer the server logged ---------------------------------------

    def note_unvouched(self, entries: Iterable[Unvouched]) -> None:
        """Keep pulled records refused ``unknown_signer`` until their partitions are checked.
        Inside the caller's transaction (the page's), or one of its own."""
        rows = [
            (
                e.hash,
                e.index,
                e.received,
                e.partition,
                e.server,
                json.dumps(e.record.to_json(), sort_keys=True),
            )
            for e in entries
        ]
        if not rows:
            return
        with self._connection.write():
            self._db.conn.executemany(
                "INSERT OR REPLACE INTO log_unvouched (hash, idx, received, partition, server,"
                " record) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def unvouched(self) -> list[Unvouched]:
        """Every record waiting, in log order (read back like any untrusted input)."""
        out = []
        for hash_, idx, received, partition, server, text in self._db.execute(
            "SELECT hash, idx, received, partition, server, record FROM log_unvouched ORDER BY idx"
        ):
            try:
                record = from_json(json.loads(text))
            except (EnvelopeError, ValueError, TypeError) as exc:
                raise TamperedStore(f"the pulled record {hash_[:16]}… kept is damaged") from exc
            if record.hash != hash_:
                raise TamperedStore(f"the pulled record {hash_[:16]}… kept is another's")
            out.append(
                Unvouched(str(hash_), int(idx), str(received), str(partition), str(server), record)
            )
        return out

    def settle_unvouched(self, hashes: Sequence[str]) -> None:
        """Judged (evidence kept, or vouched for after all): no longer waiting."""
        with self._connection.write():
            self._db.conn.executemany(
                "DELETE FROM log_unvouched WHERE hash = ?", [(h,) for h in hashes]
            )

    def certified_before(self, key: str, index: int) -> bool:
        """Whether an admitted certificate of ``key`` lies in the server's log below
        ``index`` (its position known: pulled, or named by a receipt)."""
        row = self._db.execute(
            "SELECT 1 FROM certificates c JOIN server_log s ON s.hash = c.record"
            " WHERE c.key_id = ? AND s.idx < ? LIMIT 1",
            [key, index],
        ).fetchone()
        return row is not None

    def forget_server(self, trusted: Collection[str]) -> int:
        """Drop what rests on server keys not in ``trusted`` (the keys the authority
        certifies as the election's server now): sent marks (their records go up again), log
        positions and the heads they signed (they prove nothing now); the partitions checked
        against them are checked again. Evidence of misbehaviour stays. Returns the marks
        dropped."""
        keys = sorted(trusted)
        marks = ", ".join("?" for _ in keys) or "NULL"
        with self._connection.write():
            dropped = self._db.execute(
                f"DELETE FROM sync_sent WHERE server IS NULL OR server NOT IN ({marks})", keys
            ).rowcount
            positions = self._db.execute(
                f"DELETE FROM server_log WHERE server NOT IN ({marks})", keys
            ).rowcount
            heads = self._db.execute(
                f"DELETE FROM log_heads WHERE server NOT IN ({marks})", keys
            ).rowcount
            self._db.execute(f"DELETE FROM log_unvouched WHERE server NOT IN ({marks})", keys)
            if positions or heads:
                self._db.execute("DELETE FROM log_partitions")
            if positions:
                revoked = [str(k) for (k,) in self._db.execute("SELECT key_id FROM revoked")]
                restate(self._db, signer_keys(self._db, revoked))
        return int(dropped)
