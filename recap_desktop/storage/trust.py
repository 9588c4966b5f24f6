"""The trust a data folder holds: its authority's records as they arrived, where the
server's log put them, the forks it has proof of, and the holder's own key.

Built with the protocol's rules (``protocol.trust.build_trust``), and kept while nothing it
rests on changes: parsing a national election package takes seconds, and a pull checks
thousands of pages against the same trust.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from recap_desktop.crypto.envelope import Record, from_row
from recap_desktop.protocol.trust import AUTHORITY_TYPES, Trust, build_trust
from recap_desktop.storage.connection import Connection
from recap_desktop.storage.errors import TamperedStore
from recap_desktop.storage.evidence import Evidence
from recap_desktop.storage.keys import Keys
from recap_desktop.storage.records import AUTHORITY_PLACE, AUTHORITY_PLACE_JOIN
from recap_desktop.storage.standing import seen

_KINDS = tuple(sorted(AUTHORITY_TYPES))
_MARKS = ", ".join("?" for _ in _KINDS)


class TrustHeld:
    """``trust(own)``: the Trust of this store, rebuilt only when it would differ."""

    def __init__(self, connection: Connection, keys: Keys, evidence: Evidence) -> None:
        self._db = connection.db
        self._keys = keys
        self._evidence = evidence
        self._cached: tuple[tuple[object, ...], Trust] | None = None

    def anchor(self) -> bytes | None:
        """The authority key this folder pinned, if any."""
        keys = self._keys.known("authority")
        return next(iter(keys.values())) if keys else None

    def trust(self, own: Mapping[str, bytes]) -> Trust | None:
        """None before an authority is pinned. ``own``: the holder's own key(s), known
        before any certificate (the keystore's, never a key found only in the store)."""
        anchor = self.anchor()
        if anchor is None:
            return None
        mark = self._fingerprint(anchor, own)
        if self._cached is not None and self._cached[0] == mark:
            return self._cached[1]
        rows: list[tuple[Record, datetime, int | None]] = []
        # An authority record's place in the server's log and when the server first held it,
        # proved or only said by a pull not yet checked: what the pull's door admitted it by
        # (a revocation list's place can only count against a record, PROTOCOL §5.4). As
        # `recap verify` reads them (``Records.raw_arrivals(authority=True)``).
        for row in self._db.execute(
            "SELECT CAST(r.hash AS BLOB), CAST(r.signer AS BLOB), CAST(r.payload AS BLOB),"
            f" CAST(r.sig AS BLOB), CAST(r.type AS BLOB), r.seq, r.received, {AUTHORITY_PLACE}"
            f" FROM records r{AUTHORITY_PLACE_JOIN} WHERE r.type IN ({_MARKS}) ORDER BY r.id",
            _KINDS,
        ):
            hash_, _signer, record, error = from_row(*row[:6])
            if record is None:
                raise TamperedStore(f"record {hash_[:16]}… in the store is damaged: {error}")
            rows.append((record, seen(row[6], row[8]), row[7]))
        trust, _ = build_trust(anchor, rows, own)
        trust = trust.with_forks(self._evidence.forked())
        self._cached = (mark, trust)
        return trust

    def _fingerprint(self, anchor: bytes, own: Mapping[str, bytes]) -> tuple[object, ...]:
        records = self._db.execute(
            f"SELECT COUNT(*), MAX(id) FROM records WHERE type IN ({_MARKS})", _KINDS
        ).fetchone()
        # The places ``trust`` reads, each looked up by its table's key (a union of both
        # tables would copy every position of the log on every call).
        placed = self._db.execute(
            "SELECT COUNT(COALESCE(l.idx, p.idx)), TOTAL(COALESCE(l.idx, p.idx))"
            " FROM records r LEFT JOIN server_log l ON l.hash = r.hash"
            " LEFT JOIN log_pending p ON p.hash = r.hash"
            f" WHERE r.type IN ({_MARKS})",
            _KINDS,
        ).fetchone()
        forks = self._db.execute("SELECT COUNT(*) FROM forks").fetchone()
        return (anchor, tuple(sorted(own.items())), *records, *placed, *forks)
