"""What the laptop keeps besides the records, as proof: forks and the server's log positions.

A fork (one signer, one place of its chain, two records whose signatures verify) cannot enter
the records table, which holds one record per place; it is kept here, passed on by sync and
bundles, and stops the signer's records from that place on counting. Where the server's log put
a record (its index, and when the server first held it) is what proves a revoked key's record
came before the revocation: proved (``server_log``: a receipt, or a pull whose partitions added
up), or only said by a pull not yet checked (``log_pending``), which can count against a record
(a revocation list's place) but never for it. All of it is truth: a rebuild keeps it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import EnvelopeError, from_json
from recap_desktop.protocol.admit import Fork
from recap_desktop.protocol.log import Unvouched
from recap_desktop.storage.connection import Connection, chunks
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
        """Where the server's log put records, proved: by a receipt (its records are the new
        leaves of its head, or included in it), or by the auditor's reading of the whole log.
        Inside the caller's transaction, or one of its own. What the places may change is
        restated (``_restate_placed``)."""
        if not positions:
            return
        with self._connection.write():
            self._db.conn.executemany(
                "INSERT OR IGNORE INTO server_log (hash, idx, received, server, partition)"
                " VALUES (?, ?, ?, ?, ?)",
                [(h, i, t, server, n) for h, i, t, n in positions],
            )
            # One place per record: a proved one replaces what a pull only said.
            self._db.conn.executemany(
                "DELETE FROM log_pending WHERE hash = ?", [(h,) for h, _, _, _ in positions]
            )
            self._restate_placed([h for h, _, _, _ in positions])

    def note_pending(self, positions: Sequence[Position], server: str) -> None:
        """Where a pull page says the server's log put records: the server's word until the
        partitions' check proves it (``prove``, PROTOCOL §10.5). Kept for that check; until
        then such a position never lets a record count, but a revocation list's places the
        revocation (it can only count against a record, §5.4). A record whose place is proved
        already keeps it. Inside the caller's transaction (the page's)."""
        if not positions:
            return
        with self._connection.write():
            self._db.conn.executemany(
                "INSERT OR IGNORE INTO log_pending (hash, idx, received, server, partition)"
                " SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS"
                " (SELECT 1 FROM server_log WHERE hash = ?)",
                [(h, i, t, server, n, h) for h, i, t, n in positions],
            )
            self._restate_placed([h for h, _, _, _ in positions], lists_only=True)

    def prove(self, spans: Mapping[str, tuple[int, int]]) -> None:
        """A check of the partitions added up (PROTOCOL §10.5): for each partition, the
        entries from ``start`` (where its rebuild began) up to ``end`` (the head's size) are
        those of its tree the head proves, so their pending positions are proved. A pending
        position of the partition below ``start`` was not rebuilt: it is dropped. What the
        places proved may change is restated. Inside the caller's transaction."""
        if not spans:
            return
        with self._connection.write():
            placed: list[str] = []
            for name, (start, end) in spans.items():
                placed.extend(
                    str(h)
                    for (h,) in self._db.execute(
                        "SELECT hash FROM log_pending WHERE partition = ? AND idx >= ? AND idx < ?",
                        [name, start, end],
                    )
                )
                self._db.execute(
                    "INSERT OR IGNORE INTO server_log (hash, idx, received, server, partition)"
                    " SELECT hash, idx, received, server, partition FROM log_pending"
                    " WHERE partition = ? AND idx >= ? AND idx < ?",
                    [name, start, end],
                )
                self._db.execute(
                    "DELETE FROM log_pending WHERE partition = ? AND idx < ?", [name, end]
                )
            self._restate_placed(placed)

    def _restate_placed(self, hashes: Sequence[str], *, lists_only: bool = False) -> None:
        """Restate what the places of ``hashes`` may change: every revoked key's stations
        when a revocation list is among them, and (unless ``lists_only``) the stations
        where one of them is held and something is set aside (a place proved, or when the
        server first held it, only ever lets a record count: PROTOCOL §5.4)."""
        if not hashes:
            return
        keys: dict[tuple[str, str], None] = {}
        lists = False
        for chunk in chunks(list(hashes)):
            marks = ", ".join("?" for _ in chunk)
            lists = lists or bool(
                self._db.execute(
                    f"SELECT 1 FROM records WHERE type = 'revocations' AND hash IN ({marks})"
                    " LIMIT 1",
                    list(chunk),
                ).fetchone()
            )
            if lists_only:
                continue
            for table in ("sheets", "reviews"):
                for station, contest in self._db.execute(
                    f"SELECT DISTINCT x.station, x.contest FROM {table} x JOIN sheet_status t"
                    " ON t.station = x.station AND t.contest = x.contest"
                    f" WHERE x.hash IN ({marks}) AND t.attention != '[]'",
                    list(chunk),
                ):
                    keys[(str(station), str(contest))] = None
        if lists:
            revoked = [str(k) for (k,) in self._db.execute("SELECT key_id FROM revoked")]
            keys.update(dict.fromkeys(signer_keys(self._db, revoked)))
        if keys:
            restate(self._db, list(keys))

    def position(self, hash_: str) -> tuple[int, str] | None:
        """Where the server's log put the record, proved (a receipt, a check that added
        up); None if no proof is held."""
        row = self._db.execute(
            "SELECT idx, received FROM server_log WHERE hash = ?", [hash_]
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def positions(self) -> dict[str, tuple[int, str]]:
        """Every proved position: for a replay of the whole store (`recap verify`)."""
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
            positions += self._db.execute(
                f"DELETE FROM log_pending WHERE server NOT IN ({marks})", keys
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
