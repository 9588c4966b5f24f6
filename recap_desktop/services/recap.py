"""Totals for a region: what the D.Hasil adds up, from the sheets that count."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from recap_desktop.domain.election import Contest, ElectionError, parse_time, text
from recap_desktop.domain.form import Field
from recap_desktop.services import regions as region_service
from recap_desktop.services.workspace import RecapError, Workspace


@dataclass(frozen=True)
class ContestTotals:
    contest: Contest
    region: str
    sums: dict[str, int]
    counted: int
    expected: int
    not_counted: int = 0  # stations holding sheets none of which counts (see the board)

    def rows(self) -> list[tuple[Field, int]]:
        """Every field of the form in the paper's order with its total."""
        return [(f, self.sums.get(f.id, 0)) for f in self.contest.form.fields]

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "contest": self.contest.id,
            "stations_counted": self.counted,
            "stations_expected": self.expected,
            "stations_not_counted": self.not_counted,
            "totals": {f.id: self.sums.get(f.id, 0) for f in self.contest.form.fields},
        }


def recap_region(ws: Workspace, region: str, contest_id: str | None = None) -> list[ContestTotals]:
    election = region_service.outline(ws)
    if ws.store.places.region(region) is None and ws.store.places.station(region) is None:
        raise RecapError("region.unknown", region=region)
    if contest_id is not None and contest_id not in election.contests:
        raise RecapError(
            "contest.unknown",
            station=region,
            contest=contest_id,
            choices=", ".join(election.contests),
        )
    wanted = [contest_id] if contest_id else list(election.contests)
    out = []
    for cid in wanted:
        sums, counted, expected = ws.store.sheets.totals(region, cid)
        if expected or contest_id:
            held_out = ws.store.sheets.not_counted(region, cid)
            out.append(
                ContestTotals(election.contests[cid], region, sums, counted, expected, held_out)
            )
    return out


def votes_per_choice(totals: ContestTotals, lang: str) -> list[tuple[str, int]]:
    """Each choice's votes, for the chart: the form's line ``v_<choice>`` (a pair's votes) or
    ``<choice>_total`` (a party's with its candidates), as the C.Hasil forms name them."""
    out = []
    fields = set(totals.contest.form.field_ids)
    for choice in totals.contest.choices:
        for name in (f"v_{choice.id}", f"{choice.id}_total"):
            if name in fields:
                out.append((f"{choice.number:02d}. {choice.name}", totals.sums.get(name, 0)))
                break
    return out


def counted_times(ws: Workspace, region: str, contest: str) -> list[datetime]:
    """When each counted station's sheet was signed (its officer's claim), oldest first."""
    out = []
    for value in ws.store.recaps.counted_times(region, contest):
        try:
            out.append(parse_time(value, "time"))
        except ElectionError:
            continue
    return out


CSV_COLUMNS = (
    "region",
    "contest",
    "field",
    "label",
    "total",
    "stations_counted",
    "stations_expected",
)


def write_csv(results: Sequence[ContestTotals], out: IO[str], lang: str) -> None:
    """One row per contest and form line, the counted and expected stations on each row: the
    same file from `recap recap --format csv` and the window's export."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in results:
        for f, total in r.rows():
            writer.writerow(
                [
                    r.region,
                    r.contest.id,
                    f.id,
                    cell(text(f.label, lang)),
                    total,
                    r.counted,
                    r.expected,
                ]
            )


# What a spreadsheet reads as the start of a formula (OWASP, "CSV injection"): a label from a
# package that starts with one is written with a leading apostrophe, so it stays text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str) -> str:
    """A text cell a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
