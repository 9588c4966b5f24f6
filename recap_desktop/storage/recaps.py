"""The recapitulation as the store holds it: D.Hasil versions, objections, rulings, and the
counted sheet of each station a D.Hasil would rest on (from the m007 projections and the
sheets' states).

Each row comes with its standing (``storage.standing``): a D.Hasil, objection or ruling whose
signer may not count it (uncertified, revoked, outside its region) is shown, never counted.
"""

from __future__ import annotations

import json
from typing import Any

from recap_desktop.domain.status import COUNTED, SheetState
from recap_desktop.protocol.trust import roles_for
from recap_desktop.storage.connection import Connection
from recap_desktop.storage.restate import sheet_states
from recap_desktop.storage.standing import Held, standings


class Recaps:
    """Reads of the recaps, objections and resolutions tables."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection.db

    def versions(self, region: str, contest: str) -> list[dict[str, Any]]:
        """Every D.Hasil of a region and contest, oldest first, each with its standing."""
        rows = [
            {
                **r,
                "final": bool(r["final"]),
                "totals": json.loads(r["totals"]),
                "children": json.loads(r["children"]),
                "pending": json.loads(r["pending"]),
                "objections": json.loads(r["objections"]),
            }
            for r in self._db.query(
                "SELECT hash, region, contest, signer, seq, time, basis, final, supersedes,"
                " reason, totals, children, pending, objections FROM recaps"
                " WHERE region = ? AND contest = ? ORDER BY time, seq, hash",
                [region, contest],
            )
        ]
        return self._with_standing(rows, "dhasil", "recaps", "region")

    def objections_within(self, region: str, contest: str | None = None) -> list[dict[str, Any]]:
        """Objections filed at a place inside a region (or at the region itself), oldest
        first, each with its standing and the rulings on it (``rulings``)."""
        where, params = "", [region, region + ".", region + "/"]
        if contest is not None:
            where, params = " AND contest = ?", [*params, contest]
        rows = [
            {**r, "witness": json.loads(r["witness"])}
            for r in self._db.query(
                "SELECT hash, place, contest, signer, seq, time, kind, witness, paper, subject"
                " FROM objections WHERE (place = ? OR (place >= ? AND place < ?))"
                f"{where} ORDER BY time, seq, hash",
                params,
            )
        ]
        rows = self._with_standing(rows, "objection", "objections", "place")
        for row in rows:
            row["rulings"] = self.rulings(str(row["hash"]))
        return rows

    def objection(self, hash_: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT place FROM objections WHERE hash = ?", [hash_]).fetchone()
        if row is None:
            return None
        return next((o for o in self.objections_within(str(row[0])) if o["hash"] == hash_), None)

    def rulings(self, objection: str) -> list[dict[str, Any]]:
        """Every ruling on an objection, each with its standing and ``overrides`` (read from
        the signed record: the rulings it replaces)."""
        rows = [
            {**r, "overrides": _hashes(r["overrides"])}
            for r in self._db.query(
                "SELECT s.hash, s.objection, s.place, s.contest, s.signer, s.seq, s.time,"
                " s.decision, s.reason, CASE WHEN json_valid(r.payload)"
                " THEN json_extract(r.payload, '$.overrides') END AS overrides"
                " FROM resolutions s LEFT JOIN records r ON r.hash = s.hash"
                " WHERE s.objection = ? ORDER BY s.time, s.seq, s.hash",
                [objection],
            )
        ]
        return self._with_standing(rows, "resolution", "resolutions", "place")

    def sheet_states(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], SheetState]:
        """The whole state of each (station, contest), every counted sheet included."""
        return sheet_states(self._db, keys)

    def counted_sheets(self, region: str, contest: str) -> dict[str, dict[str, Any]]:
        """station -> {state, current, values, attention, several} for every station inside a
        region with a sheet: what a D.Hasil resting on the sheets would name. ``several``:
        more than one signer's latest version, so more than ``current`` may count."""
        out: dict[str, dict[str, Any]] = {}
        for station, state, current, attention, heads, values in self._db.execute(
            'SELECT t.station, t.state, t.current, t.attention, t.heads, s."values"'
            " FROM sheet_status t LEFT JOIN sheets s ON s.hash = t.current"
            " WHERE t.contest = ? AND t.station >= ? AND t.station < ?",
            [contest, region + ".", region + "/"],
        ):
            counted = state in COUNTED and values is not None
            out[str(station)] = {
                "state": state,
                "current": current if counted else None,
                "values": json.loads(values) if counted else None,
                "attention": json.loads(attention),
                "several": len(_hashes(heads)) > 1,
            }
        return out

    def counted_times(self, region: str, contest: str) -> list[str]:
        """The signing time of each counted station's sheet inside a region (claims: for the
        chart of stations counted over time, never to order anything)."""
        return [
            str(t)
            for (t,) in self._db.execute(
                "SELECT s.time FROM sheet_status t JOIN sheets s ON s.hash = t.current"
                f" WHERE t.contest = ? AND t.state IN ({', '.join('?' for _ in COUNTED)})"
                " AND (t.station = ? OR (t.station >= ? AND t.station < ?)) ORDER BY s.time",
                [contest, *sorted(COUNTED), region, region + ".", region + "/"],
            )
        ]

    def regions_with_recaps(self) -> list[tuple[str, str]]:
        """(region, contest) of every D.Hasil held."""
        return [
            (str(r), str(c))
            for r, c in self._db.execute(
                "SELECT DISTINCT region, contest FROM recaps ORDER BY region, contest"
            )
        ]

    def _with_standing(
        self, rows: list[dict[str, Any]], kind: str, table: str, place: str
    ) -> list[dict[str, Any]]:
        if not rows:
            return rows
        arrivals = {
            str(h): (received, idx, logged)
            for h, received, idx, logged in self._db.execute(
                f"SELECT t.hash, r.received, l.idx, l.received FROM {table} t"
                " LEFT JOIN records r ON r.hash = t.hash LEFT JOIN server_log l"
                f" ON l.hash = t.hash WHERE t.hash IN ({', '.join('?' for _ in rows)})",
                [r["hash"] for r in rows],
            )
        }
        held = [
            Held(
                str(r["hash"]),
                kind,
                str(r["signer"]),
                int(r["seq"]),
                str(r[place]),
                str(r["time"]),
                *arrivals.get(str(r["hash"]), (None, None, None)),
                roles_for(kind, r),
            )
            for r in rows
        ]
        why = standings(self._db, held)
        for r in rows:
            r["standing"] = why.get(str(r["hash"]))
        return rows


def _hashes(text: Any) -> list[str]:
    """A JSON list of hashes as the record holds it (anything else: none)."""
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return []
    return [h for h in value if isinstance(h, str)] if isinstance(value, list) else []
