"""The regions and polling stations of the newest package, from their projection tables.

What the window's region tree, its search and the services read, indexed: the package record
itself is never parsed for them (``package`` reads the rest of it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from recap_desktop.domain.election import Region, Station
from recap_desktop.storage.connection import Connection


class Places:
    """Regions (by code, by parent) and polling stations (by code, village, region, search)."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection.db

    def region(self, code: str) -> Region | None:
        row = self._db.execute(
            "SELECT code, name, level, parent FROM regions WHERE code = ?", [code]
        ).fetchone()
        return Region(*row) if row else None

    def child_regions(self, code: str | None) -> list[Region]:
        """The regions whose parent is ``code`` (None: the top regions), in code order."""
        if code is None:
            rows = self._db.execute(
                "SELECT code, name, level, parent FROM regions WHERE parent IS NULL ORDER BY code"
            )
        else:
            rows = self._db.execute(
                "SELECT code, name, level, parent FROM regions WHERE parent = ? ORDER BY code",
                [code],
            )
        return [Region(*r) for r in rows]

    def station(self, code: str) -> Station | None:
        row = self._db.execute(
            "SELECT code, region, name, registered, contests FROM stations WHERE code = ?", [code]
        ).fetchone()
        return _station(row) if row else None

    def stations_in(self, village: str) -> list[Station]:
        """The polling stations directly in a village, in code order."""
        rows = self._db.execute(
            "SELECT code, region, name, registered, contests FROM stations"
            " WHERE region = ? ORDER BY code",
            [village],
        )
        return [_station(r) for r in rows]

    def stations_within(self, prefix: str) -> list[Station]:
        """The polling stations inside a region (any level), in code order."""
        rows = self._db.execute(
            "SELECT code, region, name, registered, contests FROM stations"
            " WHERE code >= ? AND code < ? ORDER BY code",
            [prefix + ".", prefix + "/"],
        )
        return [_station(r) for r in rows]

    def station_contest_lists(self, batch: int = 5000) -> Iterator[list[tuple[str, str, str]]]:
        """Every station's code, village and contests (JSON list), in code order, in batches."""
        last = ""
        while True:
            chunk = self._db.execute(
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
            for r in self._db.execute(
                "SELECT code FROM stations WHERE code = ? OR code LIKE ? ESCAPE '\\'"
                " ORDER BY code LIMIT ?",
                [needle, like, limit],
            )
        ]


def _station(row: Sequence[Any]) -> Station:
    return Station(row[0], row[1], row[2], int(row[3]), tuple(json.loads(row[4])))
