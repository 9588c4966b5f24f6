"""Verify everything a store holds, with the one algorithm of docs/PROTOCOL.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recap_desktop.crypto.envelope import Record
from recap_desktop.crypto.verifier import (
    AUTHORITY_TYPES,
    ERROR,
    ChainLink,
    Problem,
    build_trust,
    check_chains,
    check_record,
)
from recap_desktop.services.workspace import RecapError, Workspace

Progress = Callable[[int, int], bool]  # (done, total) -> keep going?


@dataclass
class Report:
    records: int = 0
    problems: list[Problem] = field(default_factory=list)
    cancelled: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.cancelled

    def by_record(self) -> dict[str | None, list[Problem]]:
        out: dict[str | None, list[Problem]] = {}
        for p in self.problems:
            out.setdefault(p.record, []).append(p)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "errors": len(self.errors),
            "cancelled": self.cancelled,
            "problems": [p.to_json() for p in self.problems],
        }


def verify_records(
    records: list[Record],
    authority_key: bytes,
    known_keys: dict[str, bytes],
    heads: dict[str, tuple[int, str]] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Verify a set of records as a whole: the store's, a bundle's or a server's."""
    report = Report(records=len(records))
    trust, problems = build_trust(
        authority_key, [r for r in records if r.type in AUTHORITY_TYPES], known_keys
    )
    report.problems.extend(problems)
    held = {r.hash: r for r in records}
    links = []
    for i, record in enumerate(records):
        if record.type not in AUTHORITY_TYPES:
            report.problems.extend(check_record(record, trust))
        if record.seq is not None:
            links.append(ChainLink(record.hash, record.signer, record.seq, record.prev))
        for ref in ("supersedes", "sheet"):
            target = record.payload.get(ref)
            if record.type in ("sheet", "review") and isinstance(target, str):
                other = held.get(target)
                if other is None or other.type != "sheet":
                    report.problems.append(
                        Problem(record.hash, "dangling", f"{ref} {target[:16]}… is not held")
                    )
                elif (other.payload.get("station"), other.payload.get("contest")) != (
                    record.payload.get("station"),
                    record.payload.get("contest"),
                ):
                    report.problems.append(
                        Problem(record.hash, "dangling", f"{ref} is another station's sheet")
                    )
        if progress is not None and i % 500 == 0 and not progress(i, len(records)):
            report.cancelled = True
            return report
    report.problems.extend(check_chains(links, heads))
    return report


def _own_key(ws: Workspace) -> dict[str, bytes]:
    """The one uncertified key whose records are only a notice: this laptop's own, as its
    keystore names it. Any other key in the keys table (someone may have planted one beside
    records it signed) vouches for nothing. Without a keystore (a copied store), none."""
    try:
        mine = ws.keystore_info().key_id
    except RecapError:
        return {}
    return {k: v for k, v in ws.store.known_keys("self").items() if k == mine}


def verify_store(ws: Workspace, progress: Progress | None = None) -> Report:
    """Every row of the store, including rows that no longer parse (someone edited the file)."""
    from recap_desktop.services.election import authority_key

    store = ws.store
    records: list[Record] = []
    malformed: list[Problem] = []
    for row in store.rows():
        if row.record is None:
            malformed.append(Problem(row.hash, "malformed", row.error or "unreadable row"))
        else:
            records.append(row.record)
    try:
        anchor = authority_key(ws)
    except RecapError:
        anchor = None
    if anchor is None:
        report = Report(records=len(records))
        report.problems.append(Problem(None, "no_election", "no election authority is known"))
        return report
    report = verify_records(records, anchor, _own_key(ws), store.heads(), progress)
    report.records += len(malformed)
    report.problems[:0] = malformed
    for row_number in store.missing_rows():
        report.problems.append(
            Problem(None, "missing_record", f"row {row_number} of the records table was deleted")
        )
    seen = {p.record for p in report.problems if p.kind in ("missing_record", "chain_gap")}
    for table, hash_ in store.dangling_references():
        if hash_ not in seen:
            seen.add(hash_)
            report.problems.append(
                Problem(hash_, "missing_record", f"named in {table} but gone from the records")
            )
    report.problems.extend(_revocations_kept(store.revoked(), records, anchor))
    return report


def _revocations_kept(shown: dict[str, str], records: list[Record], anchor: bytes) -> list[Problem]:
    """The revoked keys the store shows were projected from the newest revocation list it
    held. If the records no longer give the same keys, a list was removed or changed (a
    deleted list un-revokes its keys, and nothing else names it once its row is gone)."""
    trust, _ = build_trust(anchor, [r for r in records if r.type in AUTHORITY_TYPES])
    if trust.election is None or set(shown) == set(trust.revoked):
        return []
    return [
        Problem(
            None,
            "missing_record",
            f"the store shows {len(shown)} revoked keys, but the newest revocation list held "
            f"(version {trust.revocations_version}) revokes {len(trust.revoked)}: a revocation "
            "list was removed or changed",
        )
    ]
