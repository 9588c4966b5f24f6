"""Restating stations: a sheet's state, its counted values, and their change in the totals.

Each save restates the (station, contest) it touches from that station's sheets and reviews
(``domain.status.sheet_state``) and applies the change of its counted values to every region
the station lies in. The region tables hold sums and counts, nothing else, so the rows equal a
recount in any arrival order; a pulled page restates each station it touches once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from recap_desktop.domain.status import COUNTED, Review, SheetState, SheetVersion, sheet_state
from recap_desktop.storage.connection import chunks
from recap_desktop.storage.schema import number, regions_of
from recap_desktop.storage.standing import Held, standings


def restate(db: Database, keys: Iterable[tuple[str, str]]) -> None:
    """Recompute the state of each (station, contest) from its sheets and reviews; store
    it, its counted values, and the change of both in the totals of every region the
    station lies in. Statements are batched over the keys; the result is the same as one
    key at a time, in any order (the region tables hold sums and counts, nothing else)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return
    versions, reviews, status = _load(db, wanted)
    old: dict[tuple[str, str], dict[str, Any]] = {k: {} for k in wanted}
    by_contest: dict[str, list[str]] = {}
    for station, contest in wanted:
        by_contest.setdefault(contest, []).append(station)
    for contest, in_contest in by_contest.items():
        for chunk in chunks(in_contest):
            for station, field, value in db.execute(
                "SELECT station, field, value FROM current_values"
                f" WHERE contest = ? AND station IN ({', '.join('?' for _ in chunk)})",
                [contest, *chunk],
            ):
                if (station, contest) in old:
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
            (
                station,
                contest,
                state.state,
                state.current,
                json.dumps(list(state.heads)),
                json.dumps(list(state.attention)),
            )
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
                counted_steps[(contest, region)] = counted_steps.get((contest, region), 0) + step

    conn = db.conn
    conn.executemany(
        "INSERT OR REPLACE INTO sheet_status (station, contest, state, current, heads,"
        " attention) VALUES (?, ?, ?, ?, ?, ?)",
        state_rows,
    )
    if cleared:
        conn.executemany("DELETE FROM current_values WHERE contest = ? AND station = ?", cleared)
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


def sheet_states(
    db: Database, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], SheetState]:
    """The whole state of each (station, contest), every counted sheet included (the
    projection keeps one of them, ``current``): what a D.Hasil naming another agreeing copy
    is checked against (PROTOCOL §6.1)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    versions, reviews, _ = _load(db, wanted)
    return {k: sheet_state(versions[k], reviews[k]) for k in wanted}


def _load(
    db: Database, wanted: list[tuple[str, str]]
) -> tuple[
    dict[tuple[str, str], list[SheetVersion]],
    dict[tuple[str, str], list[Review]],
    dict[tuple[str, str], str],
]:
    """The sheets and reviews of each key with their standing, and each key's stored state."""
    targets = set(wanted)
    stations = list(dict.fromkeys(station for station, _ in wanted))
    versions: dict[tuple[str, str], list[SheetVersion]] = {k: [] for k in wanted}
    reviews: dict[tuple[str, str], list[Review]] = {k: [] for k in wanted}
    status: dict[tuple[str, str], str] = {}
    sheet_rows: list[tuple[Any, ...]] = []
    review_rows: list[tuple[Any, ...]] = []
    held: list[Held] = []
    for chunk in chunks(stations):
        marks = ", ".join("?" for _ in chunk)
        for r in db.execute(
            'SELECT s.station, s.contest, s.hash, s.signer, s.seq, s.supersedes, s."values",'
            " s.time, r.received, l.idx, l.received FROM sheets s"
            " LEFT JOIN records r ON r.hash = s.hash LEFT JOIN server_log l ON l.hash = s.hash"
            f" WHERE s.station IN ({marks})",
            chunk,
        ):
            if (r[0], r[1]) in targets:
                sheet_rows.append(r)
                held.append(Held(r[2], "sheet", r[3], r[4], r[0], r[7], r[8], r[9], r[10]))
        for r in db.execute(
            "SELECT v.station, v.contest, v.hash, v.sheet, v.signer, v.seq, v.decision,"
            " v.overrides, v.time, r.received, l.idx, l.received FROM reviews v"
            " LEFT JOIN records r ON r.hash = v.hash LEFT JOIN server_log l ON l.hash = v.hash"
            f" WHERE v.station IN ({marks})",
            chunk,
        ):
            if (r[0], r[1]) in targets:
                review_rows.append(r)
                held.append(Held(r[2], "review", r[4], r[5], r[0], r[8], r[9], r[10], r[11]))
        for station, contest, state_ in db.execute(
            f"SELECT station, contest, state FROM sheet_status WHERE station IN ({marks})",
            chunk,
        ):
            status[(station, contest)] = state_
    why = standings(db, held)
    for r in sheet_rows:
        versions[(r[0], r[1])].append(
            SheetVersion(r[2], r[3], r[4], r[5], json.loads(r[6]), why[r[2]])
        )
    for r in review_rows:
        reviews[(r[0], r[1])].append(
            Review(r[2], r[3], r[4], r[5], r[6], tuple(json.loads(r[7])), why[r[2]])
        )
    return versions, reviews, status


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
