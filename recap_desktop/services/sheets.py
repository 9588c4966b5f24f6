"""Enter, correct, show and review sheets: each save is one signed record in one transaction."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.crypto.verifier import ROLE_FOR_TYPE
from recap_desktop.domain.election import Contest, Election, Station, format_time, in_region
from recap_desktop.domain.form import ValueProblem, Violation
from recap_desktop.messages import tr
from recap_desktop.services import regions as region_service
from recap_desktop.services.workspace import RecapError, Workspace


@dataclass(frozen=True)
class SheetCheck:
    """What the form says about a set of values, before anything is signed."""

    value_problems: list[ValueProblem]
    violations: list[Violation]

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "error"]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "warning"]

    @property
    def blocking(self) -> bool:
        return bool(self.value_problems or self.errors)

    @property
    def exit_code(self) -> int:
        """2 for values that are not counts (bad input), 1 for counts that break a rule."""
        return 2 if self.value_problems else 1

    def lines(self, lang: str | None = None) -> list[str]:
        out = [tr(f"values.{p.kind}", lang, field=p.field) for p in self.value_problems]
        out += [f"[{v.rule}] {v.text(lang or 'en')}" for v in self.errors]
        return out


def held_contest(station: Station | None, station_code: str, contest_id: str) -> Station:
    """The station, if it exists and holds the contest; else the error a person can act on.
    One check for the full election (CLI) and the store's outline (window)."""
    if station is None:
        raise RecapError("station.unknown", station=station_code)
    if contest_id not in station.contests:
        raise RecapError(
            "contest.unknown",
            station=station_code,
            contest=contest_id,
            choices=", ".join(station.contests),
        )
    return station


def locate(election: Election, station_code: str, contest_id: str) -> tuple[Station, Contest]:
    station = held_contest(election.stations.get(station_code), station_code, contest_id)
    return station, election.contests[contest_id]


def template(ws: Workspace, station_code: str, contest_id: str) -> dict[str, int]:
    _, contest = region_service.locate(ws, station_code, contest_id)
    return contest.form.template()


def check_sheet(station: Station, contest: Contest, values: Mapping[str, Any]) -> SheetCheck:
    problems = contest.form.check_values(values)
    if problems:
        return SheetCheck(problems, [])
    return SheetCheck([], contest.form.evaluate(values, {"registered": station.registered}))


def _now() -> str:
    return format_time(datetime.now(UTC))


def next_link(ws: Workspace, key: SigningKey) -> dict[str, Any]:
    head = ws.store.integrity.chain_head(key.key_id)
    return {
        "signer": key.key_id,
        "seq": 1 if head is None else head[0] + 1,
        "prev": None if head is None else head[1],
    }


def check_mandate(ws: Workspace, key: SigningKey, station_code: str, record_type: str) -> None:
    """Refuse up front what `recap verify` would report: the wrong role, or a station outside
    the signer's certified region. A key with no certificate yet may sign (it shows as not yet
    certified until the certificate arrives)."""
    certs = [c for c in ws.store.keys.certificates() if c["key_id"] == key.key_id]
    if not certs:
        return
    need = ROLE_FOR_TYPE[record_type]
    fitting = [c for c in certs if c["role"] == need]
    if not fitting:
        held = ", ".join(sorted({str(c["role"]) for c in certs}))
        raise RecapError("mandate.role", held=held, need=need)
    if not any(in_region(station_code, str(c["jurisdiction"])) for c in fitting):
        regions = ", ".join(sorted({str(c["jurisdiction"]) for c in fitting}))
        raise RecapError("mandate.jurisdiction", station=station_code, regions=regions)


def enter_sheet(
    ws: Workspace,
    key: SigningKey,
    station_code: str,
    contest_id: str,
    values: Mapping[str, Any],
    *,
    supersedes: str | None = None,
    reason: str | None = None,
    acknowledged: Collection[str] | None = None,
) -> Record:
    """Validate, sign, append and project one sheet; refuse with every reason, storing nothing.

    ``acknowledged`` lists the warning rules the officer has seen; None accepts every
    warning (the CLI prints them). The warnings go into the signed record either way.
    """
    election = region_service.outline(ws)
    station, contest = region_service.locate(ws, station_code, contest_id)
    check = check_sheet(station, contest, values)
    if check.blocking:
        raise RecapError("sheet.refused", exit_code=check.exit_code, details=check.lines())
    check_mandate(ws, key, station_code, "sheet")
    warnings = [v.rule for v in check.warnings]
    if acknowledged is not None:
        missing = [w for w in warnings if w not in acknowledged]
        if missing:
            raise RecapError("sheet.warnings_unacknowledged", exit_code=1, rules=", ".join(missing))
    status = ws.store.sheets.status(station_code, contest_id)
    heads: list[str] = status["heads"] if status else []
    versions = {v["hash"]: v for v in ws.store.sheets.versions(station_code, contest_id)}
    if supersedes is None:
        mine = [h for h in heads if versions[h]["signer"] == key.key_id]
        if mine:
            raise RecapError("sheet.exists", hash=mine[0])
    else:
        if not (reason and reason.strip()):
            raise RecapError("sheet.reason_needed")
        if supersedes not in versions:
            raise RecapError("sheet.supersedes_unknown", hash=supersedes)
        if supersedes not in heads:
            current = next(
                (h for h in heads if versions[h]["signer"] == versions[supersedes]["signer"]), "?"
            )
            raise RecapError("sheet.supersedes_old", hash=supersedes, current=current)
    payload = {
        "type": "sheet",
        **next_link(ws, key),
        "time": _now(),
        "election": election.id,
        "station": station_code,
        "contest": contest_id,
        "values": {k: int(values[k]) for k in contest.form.field_ids},
        "warnings": warnings,
        "supersedes": supersedes,
        "reason": reason.strip() if supersedes and reason else None,
    }
    record = sign(key, payload)
    ws.append([record], "local")
    return record


def review_sheet(
    ws: Workspace, key: SigningKey, sheet_hash: str, decision: str, reason: str | None
) -> Record:
    """A supervisor's signed approval or rejection of one sheet version."""
    from recap_desktop.services.identity import show_identity

    if show_identity(ws).role != "supervisor":
        raise RecapError("review.role")
    if decision == "reject" and not (reason and reason.strip()):
        raise RecapError("review.reason_needed")
    sheet = ws.store.records.get(sheet_hash)
    if sheet is None or sheet.type != "sheet":
        raise RecapError("review.unknown_sheet", hash=sheet_hash)
    check_mandate(ws, key, str(sheet.payload.get("station")), "review")
    election = region_service.outline(ws)
    payload = {
        "type": "review",
        **next_link(ws, key),
        "time": _now(),
        "election": election.id,
        "station": sheet.payload["station"],
        "contest": sheet.payload["contest"],
        "sheet": sheet_hash,
        "decision": decision,
        "reason": reason.strip() if reason else None,
    }
    record = sign(key, payload)
    ws.append([record], "local")
    return record


def sheet_history(ws: Workspace, station_code: str, contest_id: str) -> dict[str, Any]:
    """The current state, every version with its signer, and every review."""
    region_service.locate(ws, station_code, contest_id)
    names = {c["key_id"]: c for c in ws.store.keys.certificates()}
    versions = ws.store.sheets.versions(station_code, contest_id)
    for v in versions:
        cert = names.get(v["signer"])
        v["officer"] = cert["name"] if cert else None
        v["officer_id"] = cert["officer_id"] if cert else None
    reviews = ws.store.sheets.reviews(station_code, contest_id)
    for r in reviews:
        cert = names.get(r["signer"])
        r["officer"] = cert["name"] if cert else None
    status = ws.store.sheets.status(station_code, contest_id) or {
        "state": "not_entered",
        "current": None,
        "heads": [],
    }
    return {
        "station": station_code,
        "contest": contest_id,
        "state": status["state"],
        "current": status["current"],
        "heads": status["heads"],
        "versions": versions,
        "reviews": reviews,
    }
