"""The independent auditor (docs/PROTOCOL.md §10.8): anyone with the election authority's
fingerprint downloads a server's whole log, admits every record by the one rule into a
scratch folder, rebuilds the log's trees and checks them against the server's signed head,
recounts every region and compares with what the server publishes. Proof instead of trust:
nothing the server says is taken but what its own signature commits it to.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import EnvelopeError, from_json
from recap_desktop.crypto.keys import key_id
from recap_desktop.domain.election import ElectionError, format_time, parse_time
from recap_desktop.messages import NETWORK, Message
from recap_desktop.protocol import log, merkle
from recap_desktop.protocol.admit import Arrival, admit
from recap_desktop.protocol.log import LogError
from recap_desktop.services.admission import admit_into, trust
from recap_desktop.services.election import current_election, import_election
from recap_desktop.services.workspace import RecapError, Workspace
from recap_desktop.sync.client import DOWNLOAD_DEADLINE, ServerClient, SyncError, TooLarge

PAGE = 1000  # entries asked per request (the server's pages hold at most 2000)


@dataclass(frozen=True)
class Finding:
    kind: str  # a problem name of §5.6 for a record, or a log check (§10.6), or "totals"
    detail: str
    record: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "detail": self.detail, "record": self.record}


@dataclass
class AuditReport:
    server: str = ""
    size: int = 0
    root: str = ""
    records: int = 0
    admitted: int = 0  # records the admission rule lets in (or held already, as admitted)
    partitions: int = 0
    regions: int = 0  # (region, contest) totals compared
    heads: int = 0  # extra heads checked against the log
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "size": self.size,
            "root": self.root,
            "records": self.records,
            "admitted": self.admitted,
            "partitions": self.partitions,
            "regions": self.regions,
            "heads": self.heads,
            "seconds": round(self.seconds, 3),
            "ok": self.ok,
            "findings": [f.to_json() for f in self.findings],
        }


def audit(
    url: str,
    fingerprint: str,
    *,
    folder: Path | None = None,
    heads: list[Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    timeout: float = 60.0,
) -> AuditReport:
    """Audit the server at ``url`` for the election whose authority's key id starts with
    ``fingerprint``. ``folder``: where to keep the scratch store (else a temporary one,
    removed); ``heads``: tree heads collected elsewhere (laptops, other auditors), each
    checked to be a state of this log."""
    started = datetime.now(UTC)
    report = AuditReport()
    scratch = Path(tempfile.mkdtemp(prefix="recap-audit-")) if folder is None else folder
    # Its pages carry packages' bodies, and totals every region: an hour for each.
    client = ServerClient(url, read_timeout=timeout, deadline=max(DOWNLOAD_DEADLINE, timeout))
    ws = Workspace(scratch)
    try:
        _audit(client, ws, fingerprint, heads or [], report, progress)
    finally:
        ws.close()
        client.close()
        if folder is None:
            shutil.rmtree(scratch, ignore_errors=True)
    report.seconds = (datetime.now(UTC) - started).total_seconds()
    return report


def _unreachable(exc: SyncError) -> RecapError:
    return RecapError(
        "audit.unreachable", detail=Message("net." + exc.kind) if exc.kind in NETWORK else exc
    )


def _audit(
    client: ServerClient,
    ws: Workspace,
    fingerprint: str,
    extra_heads: list[Any],
    report: AuditReport,
    progress: Callable[[int, int], None] | None,
) -> None:
    from recap_desktop.services.demo import demo_anchor

    try:
        health = client.health()
        package = client.election_package()
    except SyncError as exc:
        raise _unreachable(exc) from exc
    anchor = str(package.get("authority_key", ""))
    try:
        demo = key_id(bytes.fromhex(anchor)) in demo_anchor()
    except ValueError as exc:
        raise RecapError("audit.bad_answer", detail="the package names no authority key") from exc
    import_election(ws, canonical_bytes(package), "server", trust_authority=fingerprint, demo=demo)
    certificates = []
    listed = health.get("certificates")
    for item in listed if isinstance(listed, list) else []:
        try:
            certificates.append(from_json(item))
        except EnvelopeError:
            continue
    admit_into(ws, certificates, "audit")
    try:
        head = log.parse_head(health.get("head"), trust(ws))
    except LogError as exc:
        report.findings.append(Finding(exc.kind, str(exc)))
        return
    report.server, report.size, report.root = head.server, head.size, head.root.hex()
    wanted: dict[int, list[log.TreeHead]] = {}
    for raw in extra_heads:
        try:
            shown = log.parse_head(raw, trust(ws))
        except LogError as exc:
            report.findings.append(Finding(exc.kind, f"a head given to check: {exc}"))
            continue
        if shown.size > head.size:
            report.findings.append(
                Finding("rolled_back", f"a head of {shown.size} entries; the log has {head.size}")
            )
            continue
        wanted.setdefault(shown.size, []).append(shown)
    pieces: list[bytes] = []
    parts: dict[str, tuple[int, list[bytes]]] = {}
    index, asked = 0, PAGE
    for shown in wanted.pop(0, []):  # the empty log: its roots are those of empty trees
        report.heads += 1
        empty = (merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, 0)
        if (shown.root, shown.partitions, shown.partition_count) != empty:
            report.findings.append(Finding("forked", "a head of 0 entries is not this log's"))
    while index < head.size:
        try:
            answer = client.log_entries(index, asked)
        except TooLarge as exc:
            if asked == 1:
                raise _unreachable(exc) from exc
            asked //= 2  # entries that carry packages: asked again, fewer at a time
            continue
        except SyncError as exc:
            raise _unreachable(exc) from exc
        asked = PAGE
        entries = answer.get("entries") if isinstance(answer, dict) else None
        if not isinstance(entries, list) or not entries:
            report.findings.append(
                Finding("withheld", f"the log stops at entry {index} of the head's {head.size}")
            )
            return
        records, arrivals, positions = [], [], []
        for entry in entries:
            if not isinstance(entry, dict):
                report.findings.append(Finding("malformed", f"entry {index}: not an object"))
                return
            if entry.get("index") != index or index >= head.size:
                if index >= head.size:
                    break  # the log grew since its head: this audit is of the head
                report.findings.append(
                    Finding("misplaced", f"entry {entry.get('index')} where {index} was due")
                )
                return
            try:
                record = from_json(entry.get("record"))
                received = parse_time(entry.get("received"), "received")
            except (EnvelopeError, ElectionError) as exc:
                report.findings.append(Finding("malformed", f"entry {index}: {exc}"))
                return
            name = log.partition_of(record)
            if entry.get("partition") != name:
                report.findings.append(
                    Finding(
                        "misplaced", f"entry {index} is filed in another partition", record.hash
                    )
                )
            leaf = log.leaf_hash(record.hash, index, name, format_time(received))
            pieces = merkle.extend(index, pieces, [leaf])
            size, frontier = parts.get(name, (0, []))
            parts[name] = (size + 1, merkle.extend(size, frontier, [leaf]))
            index += 1
            for shown in wanted.pop(index, []):
                report.heads += 1
                summary = log.summary_root(
                    (n, s, merkle.frontier_root(f)) for n, (s, f) in parts.items()
                )
                if (
                    merkle.frontier_root(pieces) != shown.root
                    or summary != shown.partitions
                    or len(parts) != shown.partition_count
                ):
                    report.findings.append(
                        Finding("forked", f"a head of {shown.size} entries is not this log's")
                    )
            records.append(record)
            arrivals.append((received, index - 1))
            positions.append((record.hash, index - 1, format_time(received), name))
        report.records += len(records)
        if records:
            _admit(ws, records, arrivals, positions, head.server, report)
        if progress is not None:
            progress(index, head.size)
    if merkle.frontier_root(pieces) != head.root:
        report.findings.append(Finding("inconsistent", "the log's entries do not give its root"))
    summary = log.summary_root((n, s, merkle.frontier_root(f)) for n, (s, f) in parts.items())
    report.partitions = len(parts)
    if summary != head.partitions or len(parts) != head.partition_count:
        report.findings.append(
            Finding("withheld", "the partitions the head commits to are not the log's")
        )
    _compare_totals(client, ws, report)


def _admit(
    ws: Workspace,
    records: list[Any],
    arrivals: Sequence[Arrival],
    positions: list[tuple[str, int, str, str]],
    server: str,
    report: AuditReport,
) -> None:
    """A page of the log through the one admission rule, as a laptop's pull admits it."""
    admission = admit(records, ws.store.view, trust(ws), arrivals=arrivals)
    # Every index in order from 0, each leaf added to the log's tree: the auditor's
    # positions are the log as served, and its root is checked against the head at the end.
    ws.store.outbox.append_pulled(
        admission.admitted,
        "audit",
        str(positions[-1][1] + 1),
        positions=positions,
        server=server,
        proven=True,
    )
    report.admitted += len(admission.admitted) + len(admission.already)  # held: the package
    for problem in admission.problems:
        if problem.severity == "error":
            report.findings.append(Finding(problem.kind, problem.detail, problem.record))


def _compare_totals(client: ServerClient, ws: Workspace, report: AuditReport) -> None:
    """Every region's totals, recounted from the log, against what the server publishes."""
    election = current_election(ws)
    for contest in election.contests:
        try:
            answer = client.all_totals(contest)
        except SyncError as exc:
            raise _unreachable(exc) from exc
        published = answer.get("regions", {}) if isinstance(answer, dict) else {}
        for code in election.regions:
            mine, counted, _expected = ws.store.sheets.totals(code, contest)
            theirs = published.get(code) if isinstance(published, dict) else None
            report.regions += 1
            if not isinstance(theirs, dict):
                report.findings.append(Finding("totals", f"{code} {contest}: not published"))
                continue
            totals = theirs.get("totals")
            if not isinstance(totals, dict):
                report.findings.append(Finding("totals", f"{code} {contest}: no totals published"))
                continue
            sums = {k: v for k, v in totals.items() if v}
            if (
                sums != {k: v for k, v in mine.items() if v}
                or theirs.get("stations_counted") != counted
            ):
                report.findings.append(
                    Finding(
                        "totals",
                        f"{code} {contest}: the server publishes {theirs.get('stations_counted')}"
                        f" stations counted, the log gives {counted}"
                        + ("" if sums == mine else "; the sums differ"),
                    )
                )
