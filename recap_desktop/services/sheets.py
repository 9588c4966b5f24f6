"""Enter, correct, show and review sheets: each save is one signed record in one transaction."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain import warnings as warning_bounds
from recap_desktop.domain.double_entry import DoubleEntry, differing
from recap_desktop.domain.election import (
    Contest,
    Election,
    Station,
    format_time,
    in_region,
    parse_time,
)
from recap_desktop.domain.form import ValueProblem, Violation
from recap_desktop.messages import LANGS, Message, language, tr
from recap_desktop.protocol.trust import EXACT_PLACE, ROLES_FOR_TYPE
from recap_desktop.services import photos as photo_service
from recap_desktop.services import regions as region_service
from recap_desktop.services import requirements as requirement_service
from recap_desktop.services.admission import admit_own
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

    def messages(self) -> list[Message]:
        """Every blocking problem as data, rendered in the reader's language at the edge."""
        out = [Message(f"values.{p.kind}", {"field": p.field}) for p in self.value_problems]
        out += [
            Message("sheet.rule_line", {"rule": v.rule, "text": {g: v.text(g) for g in LANGS}})
            for v in self.errors
        ]
        return out

    def lines(self, lang: str | None = None) -> list[str]:
        return [m.render(lang) for m in self.messages()]


@dataclass(frozen=True)
class SheetWarning:
    """One warning a sheet fires: a form rule of severity warning, or a package bound
    (``domain.warnings``). ``name`` is what the signed sheet's ``warnings`` lists."""

    name: str
    violation: Violation | None = None
    hit: warning_bounds.Hit | None = None

    def text(self, lang: str | None = None) -> str:
        if self.violation is not None:
            return self.violation.text(lang or language())
        assert self.hit is not None
        value, bound = self.hit.value, self.hit.bound
        if self.hit.name == warning_bounds.VILLAGE:  # per mille, shown in whole percents
            value, bound = value // 10, bound // 10
        return tr(f"warning.{self.hit.name}", lang, value=value, bound=bound)

    def line(self, lang: str | None = None) -> str:
        return f"[{self.name}] {self.text(lang)}"


def sheet_warnings(
    ws: Workspace, station: Station, contest: Contest, values: Mapping[str, int]
) -> list[SheetWarning]:
    """Every warning a sheet of counts fires, in one list for the window and the CLI: the
    form's warning rules, the package's bounds on the sheet alone, and the village rule
    against the counted sheets of the station's other stations this laptop holds."""
    check = check_sheet(station, contest, values)
    out = [SheetWarning(v.rule, violation=v) for v in check.warnings]
    bounds = contest.form.bounds
    out += [
        SheetWarning(h.name, hit=h)
        for h in warning_bounds.local_hits(bounds, values, station.registered)
    ]
    rule = bounds.village
    if rule is not None:
        counted = ws.store.sheets.counted_field(station.region, contest.id, rule.field)
        others = []
        for other in ws.store.places.stations_in(station.region):
            if other.code != station.code and other.code in counted:
                share = warning_bounds.permille(
                    {rule.field: counted[other.code]}, other.registered, rule.field
                )
                if share is not None:
                    others.append(share)
        own = warning_bounds.permille(values, station.registered, rule.field)
        hit = warning_bounds.village_hit(rule, own, others)
        if hit is not None:
            out.append(SheetWarning(hit.name, hit=hit))
    return out


def double_entered(
    contest: Contest,
    first: Mapping[str, Any],
    second_values: Mapping[str, Any],
    second: str | None = None,
) -> DoubleEntry:
    """The ``double_entry`` of a sheet typed twice, if the typings agree field by field;
    else refused, naming only the fields that differ (the officer looks at those again)."""
    differ = compare_typings(contest, first, second_values)
    if differ:
        raise RecapError("sheet.double_entry_differs", exit_code=1, fields=", ".join(differ))
    return DoubleEntry(second)


def compare_typings(
    contest: Contest, first: Mapping[str, Any], second: Mapping[str, Any]
) -> list[str]:
    """The form's fields where two blind typings of one sheet differ, in the paper's order."""
    return differing(contest.form.field_ids, first, second)


def second_typists(ws: Workspace, station_code: str, me: str | None) -> list[tuple[str, str]]:
    """(key id, "name · officer id") of the other operators certified for a station: who may
    type a double entry's second time on this laptop."""
    out = {
        str(c["key_id"]): f"{c['name']} · {c['officer_id']}"
        for c in ws.store.keys.certificates()
        if c["role"] == "operator"
        and c["key_id"] != me
        and in_region(station_code, str(c["jurisdiction"]))
    }
    return sorted(out.items(), key=lambda item: item[1])


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
    """The signer's next place in its chain, and its time: the clock's, but never before the
    time of the record before it (times never go back along a chain, PROTOCOL §3). A laptop
    whose clock was set back keeps signing, its records marked as claiming a time ahead of
    when they were seen, instead of being locked out."""
    head = ws.store.view.chain_head(key.key_id)
    # Records the server confirmed holding gone from this store: signing now would reuse
    # their places and look like a fork of this officer's own.
    held = 0 if head is None else head[0]
    acknowledged = ws.store.outbox.acknowledged(key.key_id)
    if acknowledged is not None:
        if acknowledged > held:
            raise RecapError(
                "store.truncated", exit_code=1, count=acknowledged - held, first=f"#{held + 1}"
            )
    elif ws.store.outbox.has_receipts():  # kept before the highest place was: read them all
        missing = ws.store.integrity.missing_from_receipts()
        if missing:
            raise RecapError("store.truncated", exit_code=1, count=len(missing), first=missing[0])
    now = _now()
    return {
        "signer": key.key_id,
        "seq": 1 if head is None else head[0] + 1,
        "prev": None if head is None else head[1],
        "time": now
        if head is None or parse_time(head[2], "time") <= parse_time(now, "now")
        else head[2],
    }


def check_mandate(
    ws: Workspace,
    key: SigningKey,
    station_code: str,
    record_type: str,
    roles: tuple[str, ...] | None = None,
) -> None:
    """Refuse up front what the admission rule would: a revoked key, the wrong role, a
    station outside the signer's certified region, a certificate that has ended. A key with
    no certificate yet may sign (its records await the certificate and count once it comes).
    ``roles``: who may sign this very record (``protocol.trust.roles_for``), if not its type's."""
    revoked = ws.store.keys.revoked()
    if key.key_id in revoked:
        raise RecapError("mandate.revoked", reason=revoked[key.key_id] or "-")
    certs = [c for c in ws.store.keys.certificates() if c["key_id"] == key.key_id]
    if not certs:
        return
    need = ROLES_FOR_TYPE[record_type] if roles is None else roles
    fitting = [c for c in certs if c["role"] in need]
    if not fitting:
        held = ", ".join(sorted({str(c["role"]) for c in certs}))
        raise RecapError("mandate.role", held=held, need=" / ".join(need))
    if record_type in EXACT_PLACE:
        inside = [c for c in fitting if station_code == str(c["jurisdiction"])]
    else:
        inside = [c for c in fitting if in_region(station_code, str(c["jurisdiction"]))]
    if not inside:
        regions = ", ".join(sorted({str(c["jurisdiction"]) for c in fitting}))
        if record_type in EXACT_PLACE:
            raise RecapError("mandate.chair", region=station_code, regions=regions)
        raise RecapError("mandate.jurisdiction", station=station_code, regions=regions)
    moment = datetime.now(UTC)
    if not any(
        parse_time(c["valid_from"], "from") <= moment <= parse_time(c["valid_until"], "until")
        for c in inside
    ):
        until = max(str(c["valid_until"]) for c in inside)
        raise RecapError("mandate.expired", until=until)


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
    photos: Sequence[bytes] = (),
    keep_photos: Collection[str] | None = None,
    warnings_reason: str | None = None,
    double_entry: DoubleEntry | None = None,
) -> Record:
    """Validate, sign, append and project one sheet; refuse with every reason, storing nothing.

    Every warning the sheet fires (``sheet_warnings``) needs ``warnings_reason``, which the
    signed sheet carries beside the list of them; ``acknowledged``, if given, must name each
    (the window's list, so that a warning that appeared after the officer looked is seen).
    ``double_entry``: the sheet was typed twice and the typings agreed (``domain.double_entry``);
    a region whose supervisor requires it refuses a sheet without.
    ``photos``: images of the paper (PNG or JPEG), kept by hash and named in the record.
    ``keep_photos``: the hashes of the corrected sheet's photos the correction names again
    (None: all of them; a photo need not be held here to be named again).
    """
    election = region_service.outline(ws)
    station, contest = region_service.locate(ws, station_code, contest_id)
    check = check_sheet(station, contest, values)
    if check.blocking:
        raise RecapError("sheet.refused", exit_code=check.exit_code, details=check.messages())
    check_mandate(ws, key, station_code, "sheet")
    fired = sheet_warnings(ws, station, contest, values)
    warnings = [w.name for w in fired]
    if acknowledged is not None:
        missing = [w for w in warnings if w not in acknowledged]
        if missing:
            raise RecapError("sheet.warnings_unacknowledged", exit_code=1, rules=", ".join(missing))
    reason_given = bool(warnings_reason and warnings_reason.strip())
    if fired and not reason_given:
        raise RecapError(
            "sheet.warnings_need_reason", exit_code=1, details=[w.line() for w in fired]
        )
    if double_entry is None:
        required = requirement_service.double_entry_required(ws, station_code)
        if required is not None:
            raise RecapError("sheet.double_entry_required", exit_code=1, region=required)
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
        if versions[supersedes]["signer"] != key.key_id:
            # A correction replaces one's own sheet; another officer's different numbers are
            # a new sheet of one's own, and a dispute a supervisor decides.
            raise RecapError("sheet.supersedes_other", hash=supersedes)
        if supersedes not in heads:
            current = next(
                (h for h in heads if versions[h]["signer"] == versions[supersedes]["signer"]), "?"
            )
            raise RecapError("sheet.supersedes_old", hash=supersedes, current=current)
    payload = {
        "type": "sheet",
        **next_link(ws, key),
        "election": election.id,
        "station": station_code,
        "contest": contest_id,
        "values": {k: int(values[k]) for k in contest.form.field_ids},
        "warnings": warnings,
        "supersedes": supersedes,
        "reason": reason.strip() if supersedes and reason else None,
    }
    if fired and warnings_reason:
        payload["warnings_reason"] = warnings_reason.strip()
    if double_entry is not None:
        payload["double_entry"] = {"second": double_entry.second}
    kept = photo_service.carried(ws, supersedes, keep_photos) if supersedes else []
    if photos or kept:
        payload["photos"] = photo_service.keep(ws, photos, kept)
    record = sign(key, payload)
    admit_own(ws, record)
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
    station, contest = str(sheet.payload.get("station")), str(sheet.payload.get("contest"))
    check_mandate(ws, key, station, "review")
    election = region_service.outline(ws)
    payload = {
        "type": "review",
        **next_link(ws, key),
        "election": election.id,
        "station": station,
        "contest": contest,
        "sheet": sheet_hash,
        "decision": decision,
        "reason": reason.strip() if reason else None,
        "overrides": seen_reviews(ws, key.key_id, station, contest, sheet_hash, decision),
    }
    record = sign(key, payload)
    admit_own(ws, record)
    return record


def seen_reviews(
    ws: Workspace, signer: str, station: str, contest: str, sheet: str, decision: str
) -> list[str]:
    """The reviews a supervisor's new review replaces, by cause (PROTOCOL §6): other
    supervisors' reviews in force on the same sheet, and, when approving, approvals in force
    of the station's other sheets (the supervisor switches which one counts). Never a
    claimed time: the review names what its signer saw."""
    reviews = ws.store.sheets.reviews(station, contest)
    overridden = {h for r in reviews for h in r["overrides"]}
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for r in reviews:
        key = (str(r["signer"]), str(r["sheet"]))
        if key not in latest or r["seq"] > latest[key]["seq"]:
            latest[key] = r
    out = []
    for (who, target), r in sorted(latest.items()):
        if r["hash"] in overridden or (who == signer and target == sheet):
            continue  # replaced already, or one's own earlier review (replaced by its seq)
        if target == sheet or (decision == "approve" and r["decision"] == "approve"):
            out.append(str(r["hash"]))
    return sorted(out)


def sheet_state(ws: Workspace, station_code: str, contest_id: str) -> dict[str, Any]:
    """A sheet's standing as the projections hold it now (state "?" when none is held)."""
    return ws.store.sheets.status(station_code, contest_id) or {"state": "?"}


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
    tampered = check_held_rows(ws, [item["hash"] for item in (*versions, *reviews)])
    for v in versions:
        # What the projection does not keep, from the signed record (none from a tampered
        # row: what it says is not what was signed): the warnings' reason, double entry.
        payload = {} if v["hash"] in tampered else _signed_payload(ws, v["hash"])
        v["warnings_reason"] = payload.get("warnings_reason")
        v["double_entry"] = payload.get("double_entry")
    # Why each record may not count (None: it may): shown beside it, never hidden.
    standing = ws.store.sheets.standings(station_code, contest_id)
    for item in (*versions, *reviews):
        item["standing"] = standing.get(item["hash"])
    for v in versions:
        v["photos"] = [p.to_json() for p in photo_service.sheet_photos(ws, v["hash"])]
    status = ws.store.sheets.status(station_code, contest_id) or {
        "state": "not_entered",
        "current": None,
        "heads": [],
        "attention": [],
    }
    return {
        "station": station_code,
        "contest": contest_id,
        "state": status["state"],
        "current": status["current"],
        "heads": status["heads"],
        "attention": status["attention"],
        "versions": versions,
        "reviews": reviews,
    }


def _signed_payload(ws: Workspace, hash_: str) -> dict[str, Any]:
    from recap_desktop.storage import TamperedStore

    try:
        record = ws.store.records.get(hash_)
    except TamperedStore:
        return {}
    return dict(record.payload) if record is not None else {}


def check_held_rows(ws: Workspace, hashes: list[str]) -> dict[str, str]:
    """Check the held rows of the records a person is about to see (one station's handful)
    against their own bytes and signatures; rows edited behind the program's back are kept as
    tampered and their stations restated at once, so that the state, the history and the
    totals never show such a record as signed and counted. hash -> problem name."""
    from recap_desktop.storage import StorageError

    found = ws.store.integrity.row_problems(hashes)
    if found:
        try:
            ws.store.projections.record_tampered(found)
        except StorageError:
            pass  # a read-only copy: the standing below still reads the rows as they are
    return found


HASH_PREFIX_MIN = 8  # 32 bits: a typed slip hits another record once in four billion


def full_hash(ws: Workspace, text: str) -> str:
    """The held record whose hash begins with ``text`` (at least 8 hex digits, any case):
    what a person types or copies from a listing that shortens hashes. Refuses a prefix that
    is not hex, matches nothing, or matches several, naming what to do."""
    prefix = text.strip().lower()
    if not (HASH_PREFIX_MIN <= len(prefix) <= 64) or any(
        c not in "0123456789abcdef" for c in prefix
    ):
        raise RecapError("hash.bad_prefix", text=text, min=HASH_PREFIX_MIN)
    found = ws.store.records.starting_with(prefix, limit=3)
    if not found:
        raise RecapError("hash.unknown", prefix=prefix)
    if len(found) > 1:
        shown = ", ".join(h[: len(prefix) + 4] + "…" for h in found[:2])
        raise RecapError("hash.ambiguous", prefix=prefix, matches=shown)
    return found[0]


def sheet_of(ws: Workspace, text: str) -> tuple[str, str]:
    """The (station, contest) of a sheet version or review named by its hash or a prefix."""
    hash_ = full_hash(ws, text)
    record = ws.store.records.get(hash_)
    if record is None or record.type not in ("sheet", "review"):
        raise RecapError("review.unknown_sheet", hash=hash_)
    return str(record.payload["station"]), str(record.payload["contest"])
