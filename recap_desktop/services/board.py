"""The supervisor's board: every open problem of a region, grouped, and a dispute decided.

The board reads the projections a save keeps (each station's state and what needs attention,
the objections filed, the stations held by the package), so it costs what the region holds,
never a verification of the whole store. A dispute is shown as its versions side by side with
the fields that differ; deciding it signs the approval of the chosen version and the rejection
of every other one, admitted together and written in one transaction: a supervisor never
leaves a station half decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.status import CORRECTED, DISPUTED, REJECTED, UNCOUNTED
from recap_desktop.services import regions as region_service
from recap_desktop.services.admission import admit_own_records
from recap_desktop.services.sheets import check_mandate, next_link, seen_reviews
from recap_desktop.services.workspace import RecapError, Workspace

# The board's groups, most urgent first. A station's reasons not to count are sorted into
# them by name (protocol/problems.py); anything else that keeps it out is "uncounted".
GROUPS = (
    "dispute",
    "tampered",
    "revoked",
    "rejected",
    "corrected",
    "objection",
    "uncounted",
    "missing",
)
TAMPERED_KINDS = frozenset({"malformed", "bad_signature", "missing_record"})
SIGNER_KINDS = frozenset({"revoked", "forked", "certificate_expired"})
DISPUTE_KINDS = frozenset({"review_conflict", "approvals_disagree"})


@dataclass(frozen=True)
class BoardItem:
    """One open problem: where, what kind, and what a supervisor reads about it."""

    kind: str  # one of GROUPS
    station: str  # a polling station, or the place of an objection
    contest: str
    reasons: tuple[str, ...] = ()  # why it does not count: names of protocol/problems.py
    subject: str = ""  # an objection's subject, as the witness gave it; a rejection's reason
    officers: tuple[str, ...] = ()  # a dispute's: who signed each version in dispute
    record: str | None = None  # the objection's hash


@dataclass
class Board:
    region: str
    groups: dict[str, list[BoardItem]] = field(default_factory=lambda: {g: [] for g in GROUPS})

    @property
    def total(self) -> int:
        return sum(len(items) for items in self.groups.values())


def board(ws: Workspace, region: str) -> Board:
    """Every open problem inside ``region`` (a region or station code), grouped."""
    from recap_desktop.services.plenary import objections_within

    if ws.store.places.region(region) is None and ws.store.places.station(region) is None:
        raise RecapError("region.unknown", region=region)
    out = Board(region)
    sheets = ws.store.sheets
    names = {str(c["key_id"]): str(c["name"]) for c in ws.store.keys.certificates()}
    attention = sheets.attention_within(region)
    for (station, contest), state in sorted(sheets.states_within(region).items()):
        why = tuple(attention.get((station, contest), []))
        kinds = set(why)
        if state == DISPUTED or kinds & DISPUTE_KINDS:
            group = "dispute"
        elif kinds & TAMPERED_KINDS:
            group = "tampered"
        elif kinds & SIGNER_KINDS:
            group = "revoked"
        elif state == REJECTED:
            group = "rejected"
        elif state == UNCOUNTED:
            group = "uncounted"
        elif state == CORRECTED and (reason := _corrected_after_review(ws, station, contest)):
            out.groups["corrected"].append(
                BoardItem("corrected", station, contest, why, subject=reason)
            )
            continue
        else:
            continue
        item = BoardItem(group, station, contest, why)
        if group == "dispute":
            item = BoardItem(group, station, contest, why, officers=_officers(ws, item, names))
        elif group == "rejected":
            item = BoardItem(group, station, contest, why, subject=_rejection(ws, item))
        out.groups[group].append(item)
    for o in objections_within(ws, region):
        if o.open:
            out.groups["objection"].append(
                BoardItem("objection", o.place, o.contest, subject=o.subject, record=o.hash)
            )
    for station, contest in sheets.missing_within(region):
        out.groups["missing"].append(BoardItem("missing", station, contest))
    return out


def _officers(ws: Workspace, item: BoardItem, names: dict[str, str]) -> tuple[str, ...]:
    """Who signed the versions in dispute (a handful of rows), named as certified."""
    status = ws.store.sheets.status(item.station, item.contest)
    heads = set(status["heads"]) if status else set()
    versions = ws.store.sheets.versions(item.station, item.contest)
    return tuple(
        names.get(str(v["signer"]), str(v["signer"])[:12]) for v in versions if v["hash"] in heads
    )


def _corrected_after_review(ws: Workspace, station: str, contest: str) -> str | None:
    """The officer's reason, when a counted correction replaces a version a supervisor had
    approved or rejected and nobody has reviewed the correction: it counts without a review
    (PROTOCOL §6), so the supervisor must see that their decision no longer holds. None
    otherwise (a handful of rows, read only for corrected stations)."""
    key = (station, contest)
    state = ws.store.recaps.sheet_states([key]).get(key)
    if state is None or not state.counted:
        return None
    reviewed = {str(r["sheet"]) for r in ws.store.sheets.reviews(station, contest)}
    if reviewed & set(state.counted):
        return None
    versions = {str(v["hash"]): v for v in ws.store.sheets.versions(station, contest)}
    for counted in state.counted:
        earlier = versions[counted].get("supersedes") if counted in versions else None
        while earlier is not None and earlier in versions:
            if earlier in reviewed:
                return str(versions[counted].get("reason") or "")
            earlier = versions[earlier].get("supersedes")
    return None


def _rejection(ws: Workspace, item: BoardItem) -> str:
    """The latest rejection's reason, as the supervisor wrote it."""
    rejections = [
        r for r in ws.store.sheets.reviews(item.station, item.contest) if r["decision"] == "reject"
    ]
    return str(rejections[-1]["reason"] or "") if rejections else ""


@dataclass(frozen=True)
class Version:
    """One version of a disputed sheet as the side-by-side view shows it."""

    hash: str
    signer: str  # the key id
    officer: str | None  # the certificate's name
    officer_id: str | None
    time: str  # the signer's claim, UTC (the window shows it in local time)
    values: dict[str, int]
    standing: str | None  # why it may not count, if it may not


@dataclass(frozen=True)
class Dispute:
    station: str
    contest: str
    state: str
    fields: list[tuple[str, Any]]  # (field id, label as the form gives it), paper order
    versions: list[Version]
    differing: frozenset[str]  # field ids whose values are not the same in every version


def dispute(ws: Workspace, station: str, contest: str) -> Dispute:
    """The versions in dispute at a station (the heads of its officers' chains of versions)
    with the fields whose values differ between them."""
    from recap_desktop.services.sheets import sheet_history

    _, form_contest = region_service.locate(ws, station, contest)
    history = sheet_history(ws, station, contest)
    by_hash = {v["hash"]: v for v in history["versions"]}
    heads = [by_hash[h] for h in history["heads"] if h in by_hash]
    versions = [
        Version(
            v["hash"],
            v["signer"],
            v["officer"],
            v["officer_id"],
            v["time"],
            dict(v["values"]),
            v["standing"],
        )
        for v in sorted(heads, key=lambda v: (v["time"], v["hash"]))
    ]
    fields = [(f.id, f.label) for f in form_contest.form.fields]
    differing = frozenset(
        fid for fid, _ in fields if len({v.values.get(fid) for v in versions}) > 1
    )
    return Dispute(station, contest, history["state"], fields, versions, differing)


def resolve_dispute(
    ws: Workspace,
    key: SigningKey,
    station: str,
    contest: str,
    chosen: str,
    reason: str,
) -> list[Record]:
    """Approve ``chosen`` and reject every other version in dispute with ``reason``: the
    reviews are signed in one chain and admitted and written together, or not at all."""
    from recap_desktop.services.identity import show_identity

    if show_identity(ws).role != "supervisor":
        raise RecapError("review.role")
    if not reason.strip():
        raise RecapError("review.reason_needed")
    status = ws.store.sheets.status(station, contest)
    heads: list[str] = status["heads"] if status else []
    if status is None or status["state"] != DISPUTED or len(heads) < 2:
        raise RecapError("dispute.none", station=station, contest=contest)
    if chosen not in heads:
        raise RecapError("dispute.not_a_version", hash=chosen, station=station)
    check_mandate(ws, key, station, "review")
    election = region_service.outline(ws)
    link = next_link(ws, key)
    records: list[Record] = []
    for sheet, decision in [(chosen, "approve")] + [(h, "reject") for h in heads if h != chosen]:
        record = sign(
            key,
            {
                "type": "review",
                **link,
                "election": election.id,
                "station": station,
                "contest": contest,
                "sheet": sheet,
                "decision": decision,
                "reason": reason.strip(),
                "overrides": seen_reviews(ws, key.key_id, station, contest, sheet, decision),
            },
        )
        records.append(record)
        link = {**link, "seq": link["seq"] + 1, "prev": record.hash}
    admit_own_records(ws, records)
    return records
