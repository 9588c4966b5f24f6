"""The sheets of a polling station and what they add up to, from the projection tables.

Versions, reviews and the state of each (station, contest), and the totals of a region, read
from the indexed projections that each save keeps (``restate``): ~40 rows for a region's
totals, whatever its size.
"""

from __future__ import annotations

import json
from typing import Any

from recap_desktop.domain.status import COUNTED, DISPUTED, REJECTED, UNCOUNTED
from recap_desktop.storage.connection import Connection
from recap_desktop.storage.package import CurrentPackage
from recap_desktop.storage.schema import number
from recap_desktop.storage.standing import Held, standings

# States of a station that holds sheets none of which counts.
UNCOUNTED_STATES = frozenset({DISPUTED, REJECTED, UNCOUNTED})


class Sheets:
    """Sheet versions, reviews and states per station and contest; totals per region."""

    def __init__(self, connection: Connection, package: CurrentPackage) -> None:
        self._db = connection.db
        self._package = package

    def versions(self, station: str, contest: str) -> list[dict[str, Any]]:
        rows = self._db.query(
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
        return [
            {**r, "overrides": json.loads(r["overrides"])}
            for r in self._db.query(
                "SELECT hash, sheet, signer, seq, time, decision, reason, overrides FROM reviews"
                " WHERE station = ? AND contest = ? ORDER BY time, seq, hash",
                [station, contest],
            )
        ]

    def status(self, station: str, contest: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT state, current, heads, attention FROM sheet_status"
            " WHERE station = ? AND contest = ?",
            [station, contest],
        ).fetchone()
        if row is None:
            return None
        return {
            "state": row[0],
            "current": row[1],
            "heads": json.loads(row[2]),
            "attention": json.loads(row[3]),
        }

    def standings(self, station: str, contest: str) -> dict[str, str | None]:
        """Why each sheet and review of a station's contest may not count (None: it may)."""
        rows = [
            Held(h, kind, signer, seq, station, time, received, idx, logged)
            for kind, h, signer, seq, time, received, idx, logged in self._db.execute(
                "SELECT 'sheet', s.hash, s.signer, s.seq, s.time, r.received, l.idx, l.received"
                " FROM sheets s LEFT JOIN records r ON r.hash = s.hash"
                " LEFT JOIN server_log l ON l.hash = s.hash"
                " WHERE s.station = ? AND s.contest = ?"
                " UNION ALL SELECT 'review', v.hash, v.signer, v.seq, v.time, r.received, l.idx,"
                " l.received FROM reviews v LEFT JOIN records r ON r.hash = v.hash"
                " LEFT JOIN server_log l ON l.hash = v.hash"
                " WHERE v.station = ? AND v.contest = ?",
                [station, contest, station, contest],
            )
        ]
        return standings(self._db, rows)

    def attention_within(self, prefix: str | None) -> dict[tuple[str, str], list[str]]:
        """(station, contest) -> what a supervisor must look at, where anything is."""
        where, params = "", []
        if prefix is not None:
            where, params = " AND station >= ? AND station < ?", [prefix + ".", prefix + "/"]
        return {
            (s, c): json.loads(a)
            for s, c, a in self._db.execute(
                f"SELECT station, contest, attention FROM sheet_status WHERE attention != '[]'"
                f"{where}",
                params,
            )
        }

    def states_within(self, prefix: str | None) -> dict[tuple[str, str], str]:
        """(station, contest) -> state for every sheet entered inside a region."""
        if prefix is None:
            rows = self._db.execute("SELECT station, contest, state FROM sheet_status")
        else:
            rows = self._db.execute(
                "SELECT station, contest, state FROM sheet_status"
                " WHERE station >= ? AND station < ?",
                [prefix + ".", prefix + "/"],
            )
        return {(s, c): state for s, c, state in rows}

    def counted_field(self, village: str, contest: str, field: str) -> dict[str, int]:
        """station -> ``field`` of its counted sheet, for the stations of a village (the
        village warning compares a station with these)."""
        return {
            station: number(value)
            for station, value in self._db.execute(
                "SELECT station, value FROM current_values WHERE contest = ? AND field = ?"
                " AND station >= ? AND station < ?",
                [contest, field, village + ".", village + "/"],
            )
        }

    def not_counted(self, prefix: str, contest: str) -> int:
        """Stations of a region (or that station) holding sheets of which none counts:
        disputed, rejected, tampered, a revoked signer… Few, and found by the state index."""
        states = sorted(UNCOUNTED_STATES)
        marks = ", ".join("?" for _ in states)
        return int(
            self._db.execute(
                f"SELECT COUNT(*) FROM sheet_status WHERE state IN ({marks})"
                " AND contest = ? AND ((station >= ? AND station < ?) OR station = ?)",
                [*states, contest, prefix + ".", prefix + "/", prefix],
            ).fetchone()[0]
        )

    def missing_within(self, prefix: str) -> list[tuple[str, str]]:
        """(station, contest) the package holds inside a region (or that station) for which
        no sheet is held at all, in code order: the stations still to come in."""
        # Per contest and by range, as ``totals`` counts them: the primary key leads with
        # the contest, so an OR over the station would scan the whole election.
        contests = [c for (c,) in self._db.execute("SELECT DISTINCT contest FROM station_contests")]
        out: list[tuple[str, str]] = []
        for contest in contests:
            out += [
                (str(s), contest)
                for (s,) in self._db.execute(
                    "SELECT sc.station FROM station_contests sc WHERE sc.contest = ?"
                    " AND ((sc.station >= ? AND sc.station < ?) OR sc.station = ?)"
                    " AND NOT EXISTS (SELECT 1 FROM sheet_status s"
                    " WHERE s.station = sc.station AND s.contest = sc.contest)",
                    [contest, prefix + ".", prefix + "/", prefix],
                )
            ]
        return sorted(out)

    def totals(self, prefix: str, contest: str) -> tuple[dict[str, int], int, int]:
        """Sum of every field over the counted sheets of a region; counted and expected stations.

        "A region" is any code: the stations inside it (``prefix + "."`` and more) and a
        station of that very code. The stations inside are read from the region_totals and
        region_counted projections, which hold every dotted prefix of every station code, so
        any prefix is answered (a prefix no station lies in has no rows: zeros).
        """
        sums: dict[str, int] = {}
        for field, total in self._db.execute(
            "SELECT field, value FROM region_totals WHERE contest = ? AND region = ?"
            " UNION ALL SELECT field, value FROM current_values WHERE contest = ? AND station = ?",
            [contest, prefix, contest, prefix],
        ):
            sums[field] = sums.get(field, 0) + number(total)
        outline = self._package.outline()
        held = outline.contests.get(contest) if outline is not None else None
        if held is not None:
            fields = set(held.form.field_ids)
            sums = {f: v for f, v in sums.items() if f in fields}
        low, high = prefix + ".", prefix + "/"
        counted = self._db.execute(
            "SELECT (SELECT COALESCE(SUM(stations), 0) FROM region_counted"
            " WHERE contest = ? AND region = ?)"
            " + (SELECT COUNT(*) FROM sheet_status WHERE station = ? AND contest = ?"
            f" AND state IN ({', '.join('?' for _ in COUNTED)}))",
            [contest, prefix, prefix, contest, *sorted(COUNTED)],
        ).fetchone()[0]
        # Two counts, not one with OR: SQLite answers that OR on a WITHOUT ROWID primary key
        # by scanning the whole contest (94 ms of a 1M-record store's 500,000 stations).
        expected = self._db.execute(
            "SELECT (SELECT COUNT(*) FROM station_contests"
            " WHERE contest = ? AND station >= ? AND station < ?)"
            " + (SELECT COUNT(*) FROM station_contests WHERE contest = ? AND station = ?)",
            [contest, low, high, contest, prefix],
        ).fetchone()[0]
        return sums, int(counted), int(expected)
