"""The region tree's questions, answered from the store's projection tables.

A national package holds hundreds of thousands of polling stations. The window never parses
it whole: it asks for one branch at a time (a region's children, a village's stations) and
for the contests' forms (``outline``), each an indexed query. Only "which stations are in
this state" reads every station, a batch at a time, and the window runs it off its thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass

from recap_desktop.domain.election import Contest, ElectionOutline, Region, Station
from recap_desktop.domain.status import NOT_ENTERED, station_state
from recap_desktop.services.workspace import RecapError, Workspace


def outline(ws: Workspace) -> ElectionOutline:
    """The current election's id, name, times and contests (with their forms)."""
    found = ws.store.package.outline()
    if found is None:
        raise RecapError("election.missing")
    return found


def children(ws: Workspace, code: str | None) -> list[Region]:
    """Child regions of ``code`` (None: the top regions), in code order."""
    return ws.store.places.child_regions(code)


def region(ws: Workspace, code: str) -> Region | None:
    return ws.store.places.region(code)


def station(ws: Workspace, code: str) -> Station | None:
    return ws.store.places.station(code)


def locate(ws: Workspace, station_code: str, contest_id: str) -> tuple[Station, Contest]:
    """The station and contest of a sheet, refused as ``sheets.locate`` refuses them."""
    from recap_desktop.services.sheets import held_contest  # sheets imports this module

    contests = outline(ws).contests
    found = held_contest(ws.store.places.station(station_code), station_code, contest_id)
    return found, contests[contest_id]


@dataclass(frozen=True)
class StationRow:
    code: str
    name: str
    state: str


def _state(code: str, contests: Collection[str], states: dict[tuple[str, str], str]) -> str:
    return station_state([states.get((code, c), NOT_ENTERED) for c in contests])


def stations_of(ws: Workspace, village: str) -> list[StationRow]:
    """A village's polling stations with their states (two indexed queries)."""
    states = ws.store.sheets.states_within(village)
    return [
        StationRow(s.code, s.name, _state(s.code, s.contests, states))
        for s in ws.store.places.stations_in(village)
    ]


def station_state_of(ws: Workspace, code: str) -> str | None:
    """One station's state, None if there is no such station."""
    found = ws.store.places.station(code)
    if found is None:
        return None
    states = {
        (code, c): str(s["state"])
        for c in found.contests
        if (s := ws.store.sheets.status(code, c)) is not None
    }
    return _state(code, found.contests, states)


def progress(ws: Workspace, parent: str) -> dict[str, tuple[int, int]]:
    """For each village under ``parent``: stations with every sheet entered, and stations."""
    states = ws.store.sheets.states_within(parent)
    out: dict[str, tuple[int, int]] = {}
    for s in ws.store.places.stations_within(parent):
        done, total = out.get(s.region, (0, 0))
        entered = all((s.code, c) in states for c in s.contests)
        out[s.region] = (done + int(entered), total + 1)
    return out


def stations_in_state(
    ws: Workspace,
    wanted: Collection[str],
    cancelled: Callable[[], bool] = lambda: False,
) -> tuple[list[str], set[str]]:
    """Codes of every station of the election whose state is in ``wanted``, in code order,
    and every region holding one of them.

    Reads every station a batch at a time (0.5 s for 500,000): run it off the GUI thread.
    """
    entered = ws.store.sheets.states_within(None)
    matches: list[str] = []
    villages: set[str] = set()
    for chunk in ws.store.places.station_contest_lists():
        if cancelled():
            break
        for code, village, contests in chunk:
            if _state(code, json.loads(contests), entered) in wanted:
                matches.append(code)
                villages.add(village)
    return matches, ancestors(ws, villages)


def ancestors(ws: Workspace, villages: Collection[str]) -> set[str]:
    """Every region from these villages up to the top."""
    out: set[str] = set()
    for village in villages:
        code: str | None = village
        while code is not None and code not in out:
            out.add(code)
            found = ws.store.places.region(code)
            code = found.parent if found is not None else None
    return out


def chain(ws: Workspace, station_code: str) -> list[str]:
    """The regions from the top down to the station's village; empty for an unknown station."""
    found = ws.store.places.station(station_code)
    if found is None:
        return []
    out: list[str] = []
    code: str | None = found.region
    while code is not None:
        out.append(code)
        held = ws.store.places.region(code)
        code = held.parent if held is not None else None
    return list(reversed(out))


def find_stations(ws: Workspace, needle: str, limit: int = 50) -> list[str]:
    """Station codes equal to or ending with ``needle`` (so "2001.004" finds 32.01.01.2001.004)."""
    return ws.store.places.find_station_codes(needle.strip().lower(), limit)
