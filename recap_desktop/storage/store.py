"""The local store: one SQLite file, append-only records, projections rebuilt from them.

A ``Store`` belongs to the thread that opened it (sqlite3's rule); the window opens one per
worker thread. Every write is one transaction, so a crash leaves either all of a save or
none of it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from recap_desktop.crypto.envelope import CHAINED_TYPES, Record
from recap_desktop.crypto.verifier import Certificate
from recap_desktop.domain.election import (
    Election,
    ElectionError,
    ElectionOutline,
    Region,
    Station,
)
from recap_desktop.domain.status import COUNTED, Review, SheetVersion, sheet_state
from recap_desktop.storage.connection import Connection, chunks
from recap_desktop.storage.errors import StorageError, TamperedStore, reason_of
from recap_desktop.storage.integrity import Integrity
from recap_desktop.storage.keys import Keys
from recap_desktop.storage.records import Records, parse_row, timestamp
from recap_desktop.storage.schema import PROJECTIONS, number, regions_of

DB_NAME = "recap.db"


class Store:
    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self._connection = Connection(path, readonly=readonly)
        self.path = self._connection.path
        self.db = self._connection.db
        self.records = Records(self._connection)
        self.keys = Keys(self._connection)
        self.integrity = Integrity(self._connection)
        self._election: tuple[str, Election] | None = None
        self._outline: tuple[str, ElectionOutline] | None = None

    @classmethod
    def in_dir(cls, data_dir: Path, *, readonly: bool = False) -> Store:
        return cls(Path(data_dir) / DB_NAME, readonly=readonly)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing --------------------------------------------------------------------------

    def append(self, records: Sequence[Record], origin: str) -> list[bool]:
        """Append records not yet held and project them; True for each one that was new.

        All or none. Sheets and reviews are written in batches (records, heads, sheets,
        reviews, then each touched station and contest restated once): the same rows, in the
        same order, as appending them one at a time.
        """
        added: list[bool] = []
        received = timestamp()
        try:
            with self._connection.write():
                held = self.records.held([r.hash for r in records])
                chained: list[Record] = []
                for record in records:
                    if record.hash in held:
                        added.append(False)
                        continue
                    held.add(record.hash)
                    added.append(True)
                    if record.type in CHAINED_TYPES:
                        chained.append(record)
                        continue
                    # Packages, certificates and revocations, one at a time and in their place.
                    self._append_chained(chained, received, origin)
                    chained = []
                    self._insert_records([record], received, origin)
                    self._project(record)
                self._append_chained(chained, received, origin)
        except sqlite3.IntegrityError as exc:
            raise StorageError(
                f"the store refused the records ({exc}); a record with the same signer and "
                "sequence number but different contents is held already"
            ) from exc
        except sqlite3.OperationalError as exc:
            raise StorageError(
                f"could not write to the store: {exc}", reason=reason_of(exc)
            ) from exc
        return added

    def _insert_records(self, records: Sequence[Record], received: str, origin: str) -> None:
        # A plain INSERT: a different record in the same (signer, seq) place is a fork and
        # must fail loudly, never be dropped as if already held.
        self.db.conn.executemany(
            "INSERT INTO records (hash, type, signer, seq, payload, sig, received, origin)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.hash,
                    r.type,
                    r.signer,
                    r.seq if r.type in CHAINED_TYPES else None,
                    r.canonical.decode("utf-8"),
                    r.sig,
                    received,
                    origin,
                )
                for r in records
            ],
        )

    def _append_chained(self, records: Sequence[Record], received: str, origin: str) -> None:
        """Insert and project new sheets and reviews in bulk (what ``_project`` does for each)."""
        if not records:
            return
        self._insert_records(records, received, origin)
        conn = self.db.conn
        conn.executemany(_HEAD_SQL, [(r.signer, r.seq, r.hash) for r in records])
        sheets = [_sheet_row(r) for r in records if r.type == "sheet"]
        if sheets:
            conn.executemany(_SHEET_SQL, sheets)
        reviews = [_review_row(r) for r in records if r.type == "review"]
        if reviews:
            conn.executemany(_REVIEW_SQL, reviews)
        self._restate_many(
            (str(r.payload.get("station")), str(r.payload.get("contest"))) for r in records
        )

    # -- projections ----------------------------------------------------------------------

    def _project(self, record: Record) -> None:
        p = record.payload
        kind = record.type
        if kind in CHAINED_TYPES:
            self.db.execute(_HEAD_SQL, [record.signer, record.seq, record.hash])
        if kind == "sheet":
            self.db.execute(_SHEET_SQL, _sheet_row(record))
            self._restate(str(p.get("station")), str(p.get("contest")))
        elif kind == "review":
            self.db.execute(_REVIEW_SQL, _review_row(record))
            self._restate(str(p.get("station")), str(p.get("contest")))
        elif kind == "election":
            self._project_package(record)
        elif kind == "certificate":
            try:
                cert = Certificate.from_record(record)
            except ValueError:
                return  # `recap verify` reports it; an unusable certificate certifies nothing
            self.db.execute(
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
        elif kind == "revocations":
            version = p.get("version")
            # The newest list held in the records (the truth) for this election decides, not
            # the projection: an empty newer list leaves no rows, and an older list arriving
            # after it must not bring its revocations back.
            held = (
                self.db.execute(
                    "SELECT MAX(CAST(json_extract(payload, '$.version') AS INTEGER))"
                    " FROM records WHERE type = 'revocations' AND hash != ?"
                    " AND json_valid(payload) AND json_extract(payload, '$.election') IS ?",
                    [record.hash, p.get("election")],
                ).fetchone()[0]
                or 0
            )
            if isinstance(version, int) and version > held:
                self.db.execute("DELETE FROM revoked")
                for entry in p.get("revoked", []):
                    self.db.execute(
                        "INSERT OR REPLACE INTO revoked (key_id, reason, version) VALUES (?,?,?)",
                        [str(entry.get("key_id")), str(entry.get("reason", "")), version],
                    )

    def _project_package(self, record: Record) -> None:
        try:
            election = Election.from_payload(record.payload)
        except ElectionError:
            return
        held = self.db.execute(
            "SELECT MAX(version) FROM packages WHERE election = ?", [election.id]
        ).fetchone()[0]
        self.db.execute(
            "INSERT OR IGNORE INTO packages (record, election, version) VALUES (?, ?, ?)",
            [record.hash, election.id, election.version],
        )
        if held is not None and held >= election.version:
            return
        for table in ("regions", "stations", "station_contests"):
            self.db.execute(f"DELETE FROM {table}")
        self.db.table("regions").insert_all(
            (
                {"code": r.code, "name": r.name, "level": r.level, "parent": r.parent}
                for r in election.regions.values()
            ),
            batch_size=5000,
        )
        self.db.table("stations").insert_all(
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
        self.db.table("station_contests").insert_all(
            (
                {"contest": c, "station": s.code}
                for s in election.stations.values()
                for c in s.contests
            ),
            batch_size=5000,
        )

    def _restate(self, station: str, contest: str) -> None:
        self._restate_many([(station, contest)])

    def _restate_many(self, keys: Iterable[tuple[str, str]]) -> None:
        """Recompute the state of each (station, contest) from its sheets and reviews; store
        it, its counted values, and the change of both in the totals of every region the
        station lies in. Statements are batched over the keys; the result is the same as one
        key at a time, in any order (the region tables hold sums and counts, nothing else)."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return
        targets = set(wanted)
        stations = list(dict.fromkeys(station for station, _ in wanted))
        versions: dict[tuple[str, str], list[SheetVersion]] = {k: [] for k in wanted}
        reviews: dict[tuple[str, str], list[Review]] = {k: [] for k in wanted}
        status: dict[tuple[str, str], str] = {}
        for chunk in chunks(stations):
            marks = ", ".join("?" for _ in chunk)
            for r in self.db.execute(
                'SELECT station, contest, hash, signer, seq, supersedes, "values" FROM sheets'
                f" WHERE station IN ({marks})",
                chunk,
            ):
                if (r[0], r[1]) in targets:
                    versions[(r[0], r[1])].append(
                        SheetVersion(r[2], r[3], r[4], r[5], json.loads(r[6]))
                    )
            for r in self.db.execute(
                "SELECT station, contest, hash, sheet, signer, seq, time, decision FROM reviews"
                f" WHERE station IN ({marks})",
                chunk,
            ):
                if (r[0], r[1]) in targets:
                    reviews[(r[0], r[1])].append(Review(r[2], r[3], r[4], r[5], r[6], r[7]))
            for station, contest, state_ in self.db.execute(
                f"SELECT station, contest, state FROM sheet_status WHERE station IN ({marks})",
                chunk,
            ):
                status[(station, contest)] = state_
        old: dict[tuple[str, str], dict[str, Any]] = {k: {} for k in wanted}
        by_contest: dict[str, list[str]] = {}
        for station, contest in wanted:
            by_contest.setdefault(contest, []).append(station)
        for contest, in_contest in by_contest.items():
            for chunk in chunks(in_contest):
                for station, field, value in self.db.execute(
                    "SELECT station, field, value FROM current_values"
                    f" WHERE contest = ? AND station IN ({', '.join('?' for _ in chunk)})",
                    [contest, *chunk],
                ):
                    if (station, contest) in targets:
                        old[(station, contest)][field] = value

        state_rows = []
        cleared: list[tuple[str, str]] = []
        value_rows: list[tuple[str, str, str, int]] = []
        value_objects: list[tuple[str, str, str]] = []  # contest, station, values as JSON
        odd: list[tuple[str, str, str]] = []  # values that are not plain integers
        new: dict[tuple[str, str], dict[str, Any]] = {}
        counted_steps: dict[tuple[str, str], int] = {}
        for key in wanted:
            station, contest = key
            state = sheet_state(versions[key], reviews[key])
            state_rows.append(
                (station, contest, state.state, state.current, json.dumps(list(state.heads)))
            )
            values: Any = {}
            if state.state in COUNTED and state.current is not None:
                values = next(v.values for v in versions[key] if v.hash == state.current)
            plain = _plain(values)
            now = dict(values) if plain else {}
            new[key] = now
            if plain and now == old[key]:
                pass
            else:
                if old[key]:
                    cleared.append((contest, station))
                if plain:
                    if _json_safe(now):
                        value_objects.append((contest, station, json.dumps(now)))
                    else:
                        value_rows.extend((contest, station, f, v) for f, v in now.items())
                else:
                    odd.append((contest, station, json.dumps(values)))
            step = (state.state in COUNTED) - (status.get(key) in COUNTED)
            if step:
                for region in regions_of(station):
                    counted_steps[(contest, region)] = (
                        counted_steps.get((contest, region), 0) + step
                    )

        conn = self.db.conn
        conn.executemany(
            "INSERT OR REPLACE INTO sheet_status (station, contest, state, current, heads)"
            " VALUES (?, ?, ?, ?, ?)",
            state_rows,
        )
        if cleared:
            conn.executemany(
                "DELETE FROM current_values WHERE contest = ? AND station = ?", cleared
            )
        if value_objects:
            # One statement per sheet, its fields unpacked by SQLite (~30 rows of four bound
            # values each cost more): the same rows, as ``_json_safe`` guarantees.
            conn.executemany(
                "INSERT INTO current_values (contest, station, field, value)"
                " SELECT ?, ?, key, value FROM json_each(?)",
                value_objects,
            )
        if value_rows:
            conn.executemany(
                "INSERT INTO current_values (contest, station, field, value) VALUES (?, ?, ?, ?)",
                value_rows,
            )
        for contest, station, text in odd:
            # SQLite's column affinity decides what is stored: read it back.
            conn.execute(
                "INSERT INTO current_values (contest, station, field, value)"
                " SELECT ?, ?, key, value FROM json_each(?)",
                [contest, station, text],
            )
            new[(station, contest)] = dict(
                conn.execute(
                    "SELECT field, value FROM current_values WHERE contest = ? AND station = ?",
                    [contest, station],
                ).fetchall()
            )

        # Summed per innermost region first (a page's stations share few), then spread to
        # every region that holds it.
        inner: dict[tuple[str, str], dict[str, list[int]]] = {}
        for key in wanted:
            if new[key] == old[key]:
                continue
            station, contest = key
            regions = regions_of(station)
            if not regions:
                continue
            fields = inner.setdefault((contest, regions[-1]), {})
            for field, change, count in _deltas(old[key], new[key]):
                acc = fields.get(field)
                if acc is None:
                    fields[field] = [change, count]
                else:
                    acc[0] += change
                    acc[1] += count
        sums: dict[tuple[str, str, str], list[int]] = {}
        for (contest, innermost), fields in inner.items():
            for region in [*regions_of(innermost), innermost]:
                for field, (change, count) in fields.items():
                    acc = sums.get((contest, region, field))
                    if acc is None:
                        sums[(contest, region, field)] = [change, count]
                    else:
                        acc[0] += change
                        acc[1] += count
        if counted_steps:
            conn.executemany(
                "INSERT INTO region_counted (contest, region, stations) VALUES (?, ?, ?)"
                " ON CONFLICT(contest, region) DO UPDATE"
                " SET stations = stations + excluded.stations",
                [(c, r, n) for (c, r), n in counted_steps.items() if n],
            )
            conn.executemany(
                "DELETE FROM region_counted WHERE contest = ? AND region = ? AND stations = 0",
                [(c, r) for (c, r), n in counted_steps.items() if n < 0],
            )
        if sums:
            conn.executemany(
                "INSERT INTO region_totals (contest, region, field, value, stations)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(contest, region, field) DO UPDATE"
                " SET value = value + excluded.value, stations = stations + excluded.stations",
                [(c, r, f, v, n) for (c, r, f), (v, n) in sums.items() if v or n],
            )
            conn.executemany(
                "DELETE FROM region_totals"
                " WHERE contest = ? AND region = ? AND field = ? AND stations = 0",
                [(c, r, f) for (c, r, f), (_, n) in sums.items() if n < 0],
            )

    def rebuild(self) -> int:
        """Recreate every projection from the records alone; returns records replayed.

        Refused while the projections name records that are gone: they are the evidence
        that `recap verify` reports a deletion by, and a rebuild would erase it.
        """
        missing = self.integrity.dangling_references()
        if missing:
            raise TamperedStore(
                f"{len(missing)} records the projections name are gone from the records "
                f"(first {missing[0][1][:16]}…), and rebuilding would erase that evidence"
            )
        count = 0
        with self._connection.write():
            for table in PROJECTIONS:
                self.db.execute(f"DELETE FROM {table}")
            for row in self.records.rows():
                if row.record is not None:
                    self._project(row.record)
                    count += 1
        return count

    def projection_dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every projection table's rows in a fixed order, to compare two stores or a rebuild."""
        dump = {}
        for table in PROJECTIONS:
            columns = [c.name for c in self.db.table(table).columns]
            order = ", ".join(f'"{c}"' for c in columns)
            dump[table] = [
                tuple(r) for r in self.db.execute(f"SELECT * FROM {table} ORDER BY {order}")
            ]
        return dump

    # -- reading --------------------------------------------------------------------------

    def current_package(self) -> str | None:
        row = self.db.execute(
            "SELECT record FROM packages ORDER BY version DESC, record LIMIT 1"
        ).fetchone()
        return str(row[0]) if row else None

    def election(self) -> Election | None:
        """The newest election package held, parsed once per store and package."""
        hash_ = self.current_package()
        if hash_ is None:
            return None
        if self._election is None or self._election[0] != hash_:
            record = self.records.get(hash_)
            if record is None:
                raise TamperedStore(f"the election package {hash_[:16]}… has gone from the store")
            try:
                self._election = (hash_, Election.from_payload(record.payload))
            except ElectionError as exc:
                raise TamperedStore(f"the stored election package is damaged: {exc}") from exc
        return self._election[1]

    def adopt_election(self, hash_: str, election: Election) -> None:
        """Use an election another thread's store parsed, if it is still the newest package.

        Parsing a national package takes about a second; the window parses it on a worker
        thread and hands the (immutable) result to the GUI thread's store.
        """
        if hash_ == self.current_package():
            self._election = (hash_, election)

    # -- the current package without its stations (the window's reads) -------------------
    # A national package is one record of tens of MB; parsing it whole takes seconds and
    # hundreds of MB. Its regions and stations are in the projection tables (indexed), and
    # the rest (contests, forms, name, times) is read from the payload's leading members.

    def election_outline(self) -> ElectionOutline | None:
        """The newest package's id, version, name, times and contests, without its stations."""
        hash_ = self.current_package()
        if hash_ is None:
            return None
        if self._outline is not None and self._outline[0] == hash_:
            return self._outline[1]
        if self._election is not None and self._election[0] == hash_:
            outline = ElectionOutline.of(self._election[1])
        else:
            row = self.db.execute(
                "SELECT version FROM packages WHERE record = ?", [hash_]
            ).fetchone()
            members = self._package_members(hash_)
            try:
                outline = ElectionOutline.from_members(members, row[0])
            except ElectionError as exc:
                raise TamperedStore(f"the stored election package is damaged: {exc}") from exc
        self._outline = (hash_, outline)
        return outline

    def _package_members(self, hash_: str) -> dict[str, Any]:
        """The package's members before "regions". Stored payloads are canonical JSON (keys
        sorted), so they are read from the start of the text, a growing prefix at a time;
        a payload that is not laid out so is read whole by SQLite instead."""
        decoder = json.JSONDecoder()
        size = 1 << 18
        while True:
            row = self.db.execute(
                "SELECT substr(payload, 1, ?), length(payload) FROM records"
                " WHERE hash = ? AND type = 'election'",
                [size, hash_],
            ).fetchone()
            if row is None:
                raise TamperedStore(f"the election package {hash_[:16]}… has gone from the store")
            head, total = row
            members: dict[str, Any] = {}
            at, complete = 1, False
            try:
                if head[:1] != "{":
                    raise ValueError("not an object")
                while at < len(head):
                    key, at = decoder.raw_decode(head, at)
                    if not isinstance(key, str) or head[at : at + 1] != ":":
                        raise ValueError("not a member")
                    if key >= "regions":
                        complete = True
                        break
                    members[key], at = decoder.raw_decode(head, at + 1)
                    if head[at : at + 1] != ",":
                        raise ValueError("not followed by another member")
                    at += 1
            except ValueError:
                if len(head) < total and size < total:
                    size *= 4
                    continue
                complete = False
            if complete and "contests" in members:
                return members
            break
        got = self.db.execute(
            "SELECT json_extract(payload, '$.election', '$.name', '$.issued', '$.expires',"
            " '$.contests') FROM records WHERE hash = ?",
            [hash_],
        ).fetchone()
        try:
            values = json.loads(got[0])
        except (TypeError, ValueError) as exc:
            raise TamperedStore(f"the stored election package is damaged: {exc}") from exc
        return dict(zip(("election", "name", "issued", "expires", "contests"), values, strict=True))

    def region(self, code: str) -> Region | None:
        row = self.db.execute(
            "SELECT code, name, level, parent FROM regions WHERE code = ?", [code]
        ).fetchone()
        return Region(*row) if row else None

    def child_regions(self, code: str | None) -> list[Region]:
        """The regions whose parent is ``code`` (None: the top regions), in code order."""
        if code is None:
            rows = self.db.execute(
                "SELECT code, name, level, parent FROM regions WHERE parent IS NULL ORDER BY code"
            )
        else:
            rows = self.db.execute(
                "SELECT code, name, level, parent FROM regions WHERE parent = ? ORDER BY code",
                [code],
            )
        return [Region(*r) for r in rows]

    def station(self, code: str) -> Station | None:
        row = self.db.execute(
            "SELECT code, region, name, registered, contests FROM stations WHERE code = ?", [code]
        ).fetchone()
        return _station(row) if row else None

    def stations_in(self, village: str) -> list[Station]:
        """The polling stations directly in a village, in code order."""
        rows = self.db.execute(
            "SELECT code, region, name, registered, contests FROM stations"
            " WHERE region = ? ORDER BY code",
            [village],
        )
        return [_station(r) for r in rows]

    def stations_within(self, prefix: str) -> list[Station]:
        """The polling stations inside a region (any level), in code order."""
        rows = self.db.execute(
            "SELECT code, region, name, registered, contests FROM stations"
            " WHERE code >= ? AND code < ? ORDER BY code",
            [prefix + ".", prefix + "/"],
        )
        return [_station(r) for r in rows]

    def station_contest_lists(self, batch: int = 5000) -> Iterator[list[tuple[str, str, str]]]:
        """Every station's code, village and contests (JSON list), in code order, in batches."""
        last = ""
        while True:
            chunk = self.db.execute(
                "SELECT code, region, contests FROM stations WHERE code > ? ORDER BY code LIMIT ?",
                [last, batch],
            ).fetchall()
            if not chunk:
                return
            last = chunk[-1][0]
            yield chunk

    def find_station_codes(self, needle: str, limit: int = 50) -> list[str]:
        """Station codes equal to or ending with ``needle``, in code order."""
        like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return [
            r[0]
            for r in self.db.execute(
                "SELECT code FROM stations WHERE code = ? OR code LIKE ? ESCAPE '\\'"
                " ORDER BY code LIMIT ?",
                [needle, like, limit],
            )
        ]

    def sheet_versions(self, station: str, contest: str) -> list[dict[str, Any]]:
        rows = self.db.query(
            'SELECT hash, signer, seq, time, supersedes, reason, "values", acknowledged'
            " FROM sheets WHERE station = ? AND contest = ? ORDER BY time, seq, hash",
            [station, contest],
        )
        return [
            {
                **r,
                "values": json.loads(r["values"]),
                "acknowledged": json.loads(r["acknowledged"]),
                "warnings": json.loads(r["acknowledged"]),
            }
            for r in rows
        ]

    def reviews(self, station: str, contest: str) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT hash, sheet, signer, seq, time, decision, reason FROM reviews"
                " WHERE station = ? AND contest = ? ORDER BY time, seq, hash",
                [station, contest],
            )
        )

    def sheet_status(self, station: str, contest: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT state, current, heads FROM sheet_status WHERE station = ? AND contest = ?",
            [station, contest],
        ).fetchone()
        if row is None:
            return None
        return {"state": row[0], "current": row[1], "heads": json.loads(row[2])}

    def states_within(self, prefix: str | None) -> dict[tuple[str, str], str]:
        """(station, contest) -> state for every sheet entered inside a region."""
        if prefix is None:
            rows = self.db.execute("SELECT station, contest, state FROM sheet_status")
        else:
            rows = self.db.execute(
                "SELECT station, contest, state FROM sheet_status"
                " WHERE station >= ? AND station < ?",
                [prefix + ".", prefix + "/"],
            )
        return {(s, c): state for s, c, state in rows}

    def totals(self, prefix: str, contest: str) -> tuple[dict[str, int], int, int]:
        """Sum of every field over the counted sheets of a region; counted and expected stations.

        "A region" is any code: the stations inside it (``prefix + "."`` and more) and a
        station of that very code. The stations inside are read from the region_totals and
        region_counted projections, which hold every dotted prefix of every station code, so
        any prefix is answered (a prefix no station lies in has no rows: zeros).
        """
        sums: dict[str, int] = {}
        for field, total in self.db.execute(
            "SELECT field, value FROM region_totals WHERE contest = ? AND region = ?"
            " UNION ALL SELECT field, value FROM current_values WHERE contest = ? AND station = ?",
            [contest, prefix, contest, prefix],
        ):
            sums[field] = sums.get(field, 0) + number(total)
        outline = self.election_outline()
        held = outline.contests.get(contest) if outline is not None else None
        if held is not None:
            fields = set(held.form.field_ids)
            sums = {f: v for f, v in sums.items() if f in fields}
        low, high = prefix + ".", prefix + "/"
        counted = self.db.execute(
            "SELECT (SELECT COALESCE(SUM(stations), 0) FROM region_counted"
            " WHERE contest = ? AND region = ?)"
            " + (SELECT COUNT(*) FROM sheet_status WHERE station = ? AND contest = ?"
            f" AND state IN ({', '.join('?' for _ in COUNTED)}))",
            [contest, prefix, prefix, contest, *sorted(COUNTED)],
        ).fetchone()[0]
        # Two counts, not one with OR: SQLite answers that OR on a WITHOUT ROWID primary key
        # by scanning the whole contest (94 ms of a 1M-record store's 500,000 stations).
        expected = self.db.execute(
            "SELECT (SELECT COUNT(*) FROM station_contests"
            " WHERE contest = ? AND station >= ? AND station < ?)"
            " + (SELECT COUNT(*) FROM station_contests WHERE contest = ? AND station = ?)",
            [contest, low, high, contest, prefix],
        ).fetchone()[0]
        return sums, int(counted), int(expected)

    # -- sync -----------------------------------------------------------------------------
    # The outbox is every record without a sent mark; marks come only from verified receipts
    # (or from a pull: the server holds what it sends). Used by recap_desktop.sync.

    def sync_unsent(
        self, after: int, limit: int, max_bytes: int, authority: bool | None = None
    ) -> list[tuple[int, Record]]:
        """Unsent records after row ``after``, oldest first (so chains go up in order).

        ``authority`` True: only packages, certificates and revocations (sent first, so that a
        certificate imported after its officer's sheets still reaches the server before them);
        False: only the others. Bounded by count and by bytes; at least one record.
        """
        kinds = "'election', 'certificate', 'revocations'"
        where = {
            None: "",
            True: f" AND r.type IN ({kinds})",
            False: f" AND r.type NOT IN ({kinds})",
        }
        out: list[tuple[int, Record]] = []
        size = 0
        for row_id, hash_, signer, payload, sig, type_, seq in self.db.execute(
            "SELECT r.id, r.hash, r.signer, r.payload, r.sig, r.type, r.seq FROM records r"
            " LEFT JOIN sync_sent s ON s.hash = r.hash WHERE s.hash IS NULL AND r.id > ?"
            f"{where[authority]} ORDER BY r.id LIMIT ?",
            [after, limit],
        ):
            parsed = parse_row(row_id, hash_, signer, payload, sig, type_, seq)
            if parsed.record is None:
                raise TamperedStore(f"record {hash_[:16]}… in the store is damaged: {parsed.error}")
            size += len(payload) + 300  # the envelope around the payload
            if out and size > max_bytes:
                break
            out.append((int(row_id), parsed.record))
        return out

    def sync_is_held(self, hash_: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM records WHERE hash = ?", [hash_]).fetchone() is not None
        )

    def sync_held(self, hashes: Sequence[str]) -> set[str]:
        """Which of ``hashes`` the store holds (a pulled page's, in one query or a few)."""
        return self.records.held(hashes)

    def sync_authority_records(self) -> list[Record]:
        """Packages, certificates and revocations held: what incoming records verify against."""
        out = []
        for row in self.records.rows(types=("election", "certificate", "revocations")):
            if row.record is None:
                raise TamperedStore(f"record {row.hash[:16]}… in the store is damaged: {row.error}")
            out.append(row.record)
        return out

    def sync_unsent_count(self) -> int:
        return int(
            self.db.execute(
                "SELECT COUNT(*) FROM records r LEFT JOIN sync_sent s ON s.hash = r.hash"
                " WHERE s.hash IS NULL"
            ).fetchone()[0]
        )

    def sync_mark_sent(self, hashes: Iterable[str], receipt: Record) -> None:
        """Keep the receipt and mark what it covers as sent, in one transaction."""
        now = timestamp()
        with self._connection.write():
            self.db.execute(
                "INSERT OR IGNORE INTO sync_receipts (hash, server, payload, sig, received)"
                " VALUES (?, ?, ?, ?, ?)",
                [receipt.hash, receipt.signer, receipt.canonical.decode("utf-8"), receipt.sig, now],
            )
            for hash_ in hashes:
                self.db.execute(
                    "INSERT OR IGNORE INTO sync_sent (hash, receipt, sent) VALUES (?, ?, ?)",
                    [hash_, receipt.hash, now],
                )
                self.db.execute("DELETE FROM sync_refused WHERE hash = ?", [hash_])

    def sync_note_refused(self, refused: Iterable[tuple[str, str, str]]) -> None:
        """Remember the server's last refusal of each record (hash, reason, detail)."""
        now = timestamp()
        with self._connection.write():
            for hash_, reason, detail in refused:
                self.db.execute(
                    "INSERT OR REPLACE INTO sync_refused (hash, reason, detail, time)"
                    " VALUES (?, ?, ?, ?)",
                    [hash_, reason, detail, now],
                )

    def sync_refused(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT hash, reason, detail, time FROM sync_refused"))

    def sync_receipts(self) -> list[Record]:
        out = []
        for hash_, signer, payload, sig in self.db.execute(
            "SELECT hash, server, payload, sig FROM sync_receipts ORDER BY received, hash"
        ):
            parsed = parse_row(0, hash_, signer, payload, sig, None, None)
            if parsed.record is None:
                raise TamperedStore(f"receipt {hash_[:16]}… is damaged: {parsed.error}")
            out.append(parsed.record)
        return out

    def sync_append_pulled(
        self, records: Sequence[Record], cursor_key: str, cursor: str
    ) -> list[bool]:
        """Verified records from the server, their sent marks and the new cursor: all or none."""
        now = timestamp()
        with self._connection.write():
            added = self.append(records, "server")
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO sync_sent (hash, receipt, sent) VALUES (?, NULL, ?)",
                [(record.hash, now) for record in records],
            )
            self.db.execute(
                "INSERT OR REPLACE INTO sync_settings (key, value) VALUES (?, ?)",
                [cursor_key, cursor],
            )
        return added

    def sync_get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM sync_settings WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def sync_set(self, key: str, value: str | None) -> None:
        with self._connection.write():
            if value is None:
                self.db.execute("DELETE FROM sync_settings WHERE key = ?", [key])
            else:
                self.db.execute(
                    "INSERT OR REPLACE INTO sync_settings (key, value) VALUES (?, ?)", [key, value]
                )


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
    " decision, reason) VALUES (?,?,?,?,?,?,?,?,?)"
)


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
    )


def _plain(values: Any) -> bool:
    """True if a sheet's values are stored as they are: a JSON object of plain integers."""
    return isinstance(values, dict) and all(
        type(v) is int and -(1 << 63) <= v < (1 << 63) for v in values.values()
    )


_JSON_SAFE = 1 << 53


def _json_safe(values: dict[str, int]) -> bool:
    """True if SQLite's json_each gives back exactly these fields and values from
    ``json.dumps(values)``: plain integers (``_plain`` holds) well inside every SQLite's exact
    range, and ASCII field names (nothing to decode, no lone surrogate)."""
    return not values or (
        all(map(str.isascii, values))
        and -_JSON_SAFE < min(values.values())
        and max(values.values()) < _JSON_SAFE
    )


def _deltas(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(field, change of the sum, change of the stations holding it) from old rows to new."""
    if not old and all(type(v) is int for v in new.values()):
        return [(field, value, 1) for field, value in new.items()]
    out = []
    for field, value in new.items():
        if field not in old:
            out.append((field, number(value), 1))
        elif old[field] != value:
            out.append((field, number(value) - number(old[field]), 0))
    out.extend((field, -number(value), -1) for field, value in old.items() if field not in new)
    return out


def _station(row: Sequence[Any]) -> Station:
    return Station(row[0], row[1], row[2], int(row[3]), tuple(json.loads(row[4])))
