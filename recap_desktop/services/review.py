"""The supervisor's list: every officer record with its verification state, and what is open.

One pass of ``verify_store`` (the one algorithm) finds the problems and lists the rows as
it checks them; the list says, per record, which check failed (signature, chain,
certificate, role and jurisdiction, form), and what a supervisor must look at: tampered or
unverifiable records, disputes, rejections, and rule warnings on sheets that count.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from recap_desktop.domain.status import DISPUTED, REJECTED, UNCOUNTED
from recap_desktop.protocol.problems import ATTENTION, NOTICE, Problem
from recap_desktop.protocol.trust import AUTHORITY_TYPES
from recap_desktop.services.workspace import Workspace

if TYPE_CHECKING:  # verify (multiprocessing) is imported when a verification runs
    from recap_desktop.protocol.rowcheck import Checked
    from recap_desktop.services.verify import Progress

OK = "ok"
# Which column of the supervisor's table each problem kind belongs to.
CHECKS: dict[str, tuple[str, ...]] = {
    "signature": ("bad_signature", "malformed"),
    "chain": (
        "chain_gap",
        "chain_prev",
        "time_order",
        "equivocation",
        "forked",
        "missing_record",
        "dangling",
    ),
    "certificate": (
        "unknown_signer",
        "awaiting_certificate",
        "revoked",
        "certificate_expired",
        "clock_skew",
    ),
    "authority": ("role", "jurisdiction", "wrong_election", "unknown_station", "unknown_contest"),
    "form": ("bad_values", "breaks_rule", "unacknowledged_warning", "no_election", "expired"),
}
TAMPERED = frozenset({"bad_signature", "malformed", "missing_record", "chain_gap", "chain_prev"})
# Findings that leave a record valid: shown beside it, not a failed check.
NOTICES = frozenset({"awaiting_certificate", "clock_skew"})


@dataclass(frozen=True)
class RecordCheck:
    """One officer record (sheet or review) and the outcome of each check on it."""

    hash: str
    type: str  # sheet | review | ? (a row that no longer parses)
    station: str | None
    contest: str | None
    signer: str
    officer: str | None
    seq: int | None
    time: str | None
    decision: str | None  # a review's approve | reject
    reason: str | None
    supersedes: str | None
    warnings: tuple[str, ...]
    checks: dict[str, tuple[str, ...]]  # check name -> problem kinds (empty: passed)

    @property
    def ok(self) -> bool:
        return not any(set(k) - NOTICES for k in self.checks.values())


@dataclass(frozen=True)
class OpenProblem:
    kind: str  # tampered | unverifiable | revoked | forked | dispute | rejected | uncounted
    # | warning
    record: str | None
    station: str | None
    contest: str | None
    detail: str


@dataclass
class ReviewReport:
    records: list[RecordCheck] = field(default_factory=list)
    problems: list[OpenProblem] = field(default_factory=list)
    verified: int = 0
    cancelled: bool = False


def _checks(problems: list[Problem]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {name: [] for name in CHECKS}
    for p in problems:
        for name, kinds in CHECKS.items():
            if p.kind in kinds and p.kind not in out[name]:
                out[name].append(p.kind)
    return {k: tuple(v) for k, v in out.items()}


def review_store(ws: Workspace, progress: Progress | None = None) -> ReviewReport:
    """Verify the store and list every officer record with its state; honours cancel.

    The list is made from the rows as the verification checks them (``verify_store``'s
    ``listing``), not from a second pass that read and parsed every row again (a third of
    the time at 1,000,000 records); so it also lists exactly the rows that were verified."""
    from recap_desktop.services.verify import verify_store

    store = ws.store
    names = {c["key_id"]: c["name"] for c in store.keys.certificates()}

    def listing(_row_id: int, signer: str, checked: Checked) -> RecordCheck:
        return _record_check(signer, checked, names)

    verdict = verify_store(ws, progress, listing)
    report = ReviewReport(verified=verdict.records, cancelled=verdict.cancelled)
    if verdict.cancelled:
        return report
    by_record = verdict.by_record()
    superseded: set[str] = set()
    for entry in verdict.listed:
        found = by_record.get(entry.hash)
        if entry.type in AUTHORITY_TYPES and found is None:
            continue
        if entry.type == "sheet" and entry.supersedes is not None:
            superseded.add(entry.supersedes)
        report.records.append(entry if found is None else replace(entry, checks=_checks(found)))
    index = {r.hash: r for r in report.records}
    for problem in verdict.problems:
        if problem.severity == NOTICE:
            continue
        if problem.severity == ATTENTION:
            kind = problem.kind  # revoked, forked: verified, but may not count
        else:
            kind = "tampered" if problem.kind in TAMPERED else "unverifiable"
        entry = index.get(problem.record) if problem.record else None
        report.problems.append(
            OpenProblem(
                kind,
                problem.record,
                entry.station if entry else None,
                entry.contest if entry else None,
                f"{problem.kind}: {problem.detail}",
            )
        )
    attention = store.sheets.attention_within(None)
    for (station, contest), state in sorted(store.sheets.states_within(None).items()):
        if state in (DISPUTED, REJECTED, UNCOUNTED):
            kind = {DISPUTED: "dispute", REJECTED: "rejected", UNCOUNTED: "uncounted"}[state]
            why = ", ".join(attention.get((station, contest), [])) or state
            report.problems.append(OpenProblem(kind, None, station, contest, why))
    for r in report.records:
        if r.type == "sheet" and r.warnings and r.hash not in superseded:
            report.problems.append(
                OpenProblem("warning", r.hash, r.station, r.contest, ", ".join(r.warnings))
            )
    return report


def _record_check(signer: str, checked: Checked, names: dict[str, str]) -> RecordCheck:
    """A row's entry as its check found it, with no problem yet (``review_store`` puts the
    verification's findings in): a row that is not a record (an unreadable row, or one whose
    columns disagree with its payload) is listed as type ``?``."""
    summary, hash_, error, _seen, _position, _problems = checked
    rec = summary if error is None else None
    p = rec.payload if rec is not None else {}
    raw = p.get("warnings")
    warnings: list[object] = raw if isinstance(raw, list) else []
    return RecordCheck(
        hash=hash_,
        type=rec.type if rec is not None else "?",
        station=p.get("station") if isinstance(p.get("station"), str) else None,
        contest=p.get("contest") if isinstance(p.get("contest"), str) else None,
        signer=signer,
        officer=names.get(signer),
        seq=rec.seq if rec is not None else None,
        time=p.get("time") if isinstance(p.get("time"), str) else None,
        decision=p.get("decision") if isinstance(p.get("decision"), str) else None,
        reason=p.get("reason") if isinstance(p.get("reason"), str) else None,
        supersedes=p.get("supersedes") if isinstance(p.get("supersedes"), str) else None,
        warnings=tuple(str(w) for w in warnings),
        checks=_checks([]),
    )
