"""Projections: every table other than records, keys and receipts, derived from the records.

They are indexed for the window's reads and are never the truth: ``rebuild`` deletes them and
replays the records, and a test checks that it gives identical rows. Projection state for a
station does not depend on arrival order (``domain/status.py``), so laptops and the server
converge.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from recap_desktop.crypto.envelope import CHAINED_TYPES, Record
from recap_desktop.domain.election import Election, ElectionError
from recap_desktop.protocol.records import overrides
from recap_desktop.protocol.trust import Certificate
from recap_desktop.storage.connection import Connection, chunks
from recap_desktop.storage.errors import StorageError, TamperedStore, reason_of
from recap_desktop.storage.integrity import Integrity
from recap_desktop.storage.records import Records, timestamp
from recap_desktop.storage.restate import restate
from recap_desktop.storage.schema import PROJECTIONS
from recap_desktop.storage.standing import signer_keys


class Projections:
    """Keeps the projection tables in step with each record appended, and rebuilds them."""

    def __init__(self, connection: Connection, records: Records, integrity: Integrity) -> None:
        self._connection = connection
        self._db = connection.db
        self._records = records
        self._integrity = integrity

    def project(self, record: Record) -> None:
        p = record.payload
        kind = record.type
        if kind in CHAINED_TYPES:
            self._db.execute(_HEAD_SQL, [record.signer, record.seq, record.hash])
        if kind == "sheet":
            self._db.execute(_SHEET_SQL, _sheet_row(record))
            restate(self._db, [(str(p.get("station")), str(p.get("contest")))])
        elif kind == "review":
            self._db.execute(_REVIEW_SQL, _review_row(record))
            restate(self._db, [(str(p.get("station")), str(p.get("contest")))])
        elif kind in _RECAP_SQL:
            self._db.execute(_RECAP_SQL[kind], _recap_row(record))
        elif kind == "election":
            self._project_package(record)
        elif kind == "certificate":
            try:
                cert = Certificate.from_record(record)
            except ValueError:
                return  # `recap verify` reports it; an unusable certificate certifies nothing
            self._db.execute(
                "INSERT OR IGNORE INTO certificates (record, key_id, officer_id, name, role,"
                " jurisdiction, valid_from, valid_until) VALUES (?,?,?,?,?,?,?,?)",
                [
                    cert.record,
                    cert.key_id,
                    cert.officer_id,
                    cert.name,
                    cert.role,
                    cert.jurisdiction,
                    p["valid_from"],
                    p["valid_until"],
                ],
            )
            # Its key's records may count now (a laptop's own sheets signed before it came).
            restate(self._db, signer_keys(self._db, [cert.key_id]))
        elif kind == "revocations":
            version = p.get("version")
            # The newest list held in the records (the truth) for this election decides, not
            # the projection: an empty newer list leaves no rows, and an older list arriving
            # after it must not bring its revocations back.
            held = (
                self._db.execute(
                    "SELECT MAX(CAST(json_extract(payload, '$.version') AS INTEGER))"
                    " FROM records WHERE type = 'revocations' AND hash != ?"
                    " AND json_valid(payload) AND json_extract(payload, '$.election') IS ?",
                    [record.hash, p.get("election")],
                ).fetchone()[0]
                or 0
            )
            if isinstance(version, int) and version > held:
                before = {str(k) for (k,) in self._db.execute("SELECT key_id FROM revoked")}
                self._db.execute("DELETE FROM revoked")
                for entry in p.get("revoked", []):
                    self._db.execute(
                        "INSERT OR REPLACE INTO revoked (key_id, reason, version) VALUES (?,?,?)",
                        [str(entry.get("key_id")), str(entry.get("reason", "")), version],
                    )
                after = {str(k) for (k,) in self._db.execute("SELECT key_id FROM revoked")}
                # The keys revoked now (and any a newer list left out) are counted again.
                restate(self._db, signer_keys(self._db, before | after))

    def _project_package(self, record: Record) -> None:
        try:
            election = Election.from_payload(record.payload)
        except ElectionError:
            return
        held = self._db.execute(
            "SELECT MAX(version) FROM packages WHERE election = ?", [election.id]
        ).fetchone()[0]
        self._db.execute(
            "INSERT OR IGNORE INTO packages (record, election, version) VALUES (?, ?, ?)",
            [record.hash, election.id, election.version],
        )
        if held is not None and held >= election.version:
            return
        for table in ("regions", "stations", "station_contests"):
            self._db.execute(f"DELETE FROM {table}")
        self._db.table("regions").insert_all(
            (
                {"code": r.code, "name": r.name, "level": r.level, "parent": r.parent}
                for r in election.regions.values()
            ),
            batch_size=5000,
        )
        self._db.table("stations").insert_all(
            (
                {
                    "code": s.code,
                    "region": s.region,
                    "name": s.name,
                    "registered": s.registered,
                    "contests": json.dumps(list(s.contests)),
                }
                for s in election.stations.values()
            ),
            batch_size=5000,
        )
        self._db.table("station_contests").insert_all(
            (
                {"contest": c, "station": s.code}
                for s in election.stations.values()
                for c in s.contests
            ),
            batch_size=5000,
        )

    def project_chained(self, records: Sequence[Record]) -> None:
        """Project new sheets and reviews in bulk (what ``project`` does for each): heads,
        sheets, reviews, then each touched station and contest restated once."""
        conn = self._db.conn
        conn.executemany(_HEAD_SQL, [(r.signer, r.seq, r.hash) for r in records])
        sheets = [_sheet_row(r) for r in records if r.type == "sheet"]
        if sheets:
            conn.executemany(_SHEET_SQL, sheets)
        reviews = [_review_row(r) for r in records if r.type == "review"]
        if reviews:
            conn.executemany(_REVIEW_SQL, reviews)
        for r in records:
            if r.type in _RECAP_SQL:
                conn.execute(_RECAP_SQL[r.type], _recap_row(r))
        restate(
            self._db,
            (
                (str(r.payload.get("station")), str(r.payload.get("contest")))
                for r in records
                if r.type in ("sheet", "review")
            ),
        )

    def record_tampered(self, found: Mapping[str, str], *, whole: bool = False) -> bool:
        """Keep what was found wrong with held rows (hash -> problem name) and restate the
        stations those records belong to, so that none of them counts. ``whole``: ``found``
        is a verification of every row, so marks it no longer finds are dropped (the file was
        restored). True if anything changed."""
        kept = self._integrity.tampered()
        added = {h: k for h, k in found.items() if kept.get(h) != k}
        dropped = [h for h in kept if h not in found] if whole else []
        if not added and not dropped:
            return False
        changed = [*added, *dropped]
        try:
            self._write_tampered(added, dropped, changed)
        except sqlite3.Error as exc:  # a read-only copy, a full disk: the caller says so
            raise StorageError(
                f"cannot keep the tampered marks: {exc}", reason=reason_of(exc)
            ) from exc
        return True

    def _write_tampered(
        self, added: Mapping[str, str], dropped: Sequence[str], changed: Sequence[str]
    ) -> None:
        with self._connection.write():
            found_at = timestamp()
            self._db.conn.executemany(
                "INSERT OR REPLACE INTO tampered (hash, kind, found) VALUES (?, ?, ?)",
                [(h, k, found_at) for h, k in added.items()],
            )
            self._db.conn.executemany(
                "DELETE FROM tampered WHERE hash = ?", [(h,) for h in dropped]
            )
            keys: list[tuple[str, str]] = []
            for chunk in chunks(changed):
                marks = ", ".join("?" for _ in chunk)
                keys += [
                    (str(s), str(c))
                    for s, c in self._db.execute(
                        f"SELECT station, contest FROM sheets WHERE hash IN ({marks})"
                        f" UNION SELECT station, contest FROM reviews WHERE hash IN ({marks})",
                        [*chunk, *chunk],
                    )
                ]
            restate(self._db, keys)

    def rebuild(self) -> int:
        """Recreate every projection from the records alone; returns records replayed.

        Refused while the projections name records that are gone: they are the evidence
        that `recap verify` reports a deletion by, and a rebuild would erase it.
        """
        missing = self._integrity.dangling_references()
        if missing:
            raise TamperedStore(
                f"{len(missing)} records the projections name are gone from the records "
                f"(first {missing[0][1][:16]}…), and rebuilding would erase that evidence"
            )
        count = 0
        with self._connection.write():
            for table in PROJECTIONS:
                self._db.execute(f"DELETE FROM {table}")
            for row in self._records.rows():
                if row.record is not None:
                    self.project(row.record)
                    count += 1
        return count

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every projection table's rows in a fixed order, to compare two stores or a rebuild."""
        dump = {}
        for table in PROJECTIONS:
            columns = [c.name for c in self._db.table(table).columns]
            order = ", ".join(f'"{c}"' for c in columns)
            dump[table] = [
                tuple(r) for r in self._db.execute(f"SELECT * FROM {table} ORDER BY {order}")
            ]
        return dump


_HEAD_SQL = (
    "INSERT INTO heads (signer, seq, hash) VALUES (?, ?, ?)"
    " ON CONFLICT(signer) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
    " WHERE excluded.seq > heads.seq"
)
_SHEET_SQL = (
    "INSERT OR IGNORE INTO sheets (hash, station, contest, signer, seq, time,"
    ' supersedes, reason, "values", acknowledged) VALUES (?,?,?,?,?,?,?,?,?,?)'
)
_REVIEW_SQL = (
    "INSERT OR IGNORE INTO reviews (hash, sheet, station, contest, signer, seq, time,"
    " decision, reason, overrides) VALUES (?,?,?,?,?,?,?,?,?,?)"
)


_RECAP_SQL = {
    "dhasil": "INSERT OR IGNORE INTO recaps (hash, region, contest, signer, seq, time, basis,"
    " final, supersedes, reason, totals, children, pending, objections)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "objection": "INSERT OR IGNORE INTO objections (hash, place, contest, signer, seq, time,"
    " kind, witness, paper, subject) VALUES (?,?,?,?,?,?,?,?,?,?)",
    "resolution": "INSERT OR IGNORE INTO resolutions (hash, objection, place, contest, signer,"
    " seq, time, decision, reason) VALUES (?,?,?,?,?,?,?,?,?)",
}


def _recap_row(record: Record) -> tuple[Any, ...]:
    """The row of a D.Hasil, an objection or a resolution (admitted, so of its exact shape)."""
    p = record.payload
    head = (record.hash,)
    chain = (record.signer, record.seq, str(p.get("time")))
    if record.type == "dhasil":
        return (
            *head, str(p["region"]), str(p["contest"]), *chain, str(p["basis"]),
            int(bool(p["final"])), p.get("supersedes"), p.get("reason"),
            json.dumps(p["totals"], sort_keys=True), json.dumps(p["children"]),
            json.dumps(p["pending"]), json.dumps(p["objections"]),
        )  # fmt: skip
    if record.type == "objection":
        return (
            *head, str(p["place"]), str(p["contest"]), *chain, str(p["kind"]),
            json.dumps(p["witness"], sort_keys=True), p.get("paper"), str(p["subject"]),
        )  # fmt: skip
    return (
        *head, str(p["objection"]), str(p["place"]), str(p["contest"]), *chain,
        str(p["decision"]), str(p["reason"]),
    )  # fmt: skip


def _sheet_row(record: Record) -> tuple[Any, ...]:
    p = record.payload
    return (
        record.hash,
        str(p.get("station")),
        str(p.get("contest")),
        record.signer,
        record.seq,
        str(p.get("time")),
        p.get("supersedes"),
        p.get("reason"),
        json.dumps(p.get("values"), sort_keys=True),
        json.dumps(p.get("warnings", [])),  # the warnings the officer saw, signed
    )


def _review_row(record: Record) -> tuple[Any, ...]:
    p = record.payload
    return (
        record.hash,
        str(p.get("sheet")),
        str(p.get("station")),
        str(p.get("contest")),
        record.signer,
        record.seq,
        str(p.get("time")),
        str(p.get("decision")),
        p.get("reason"),
        json.dumps(list(overrides(p))),
    )
