"""Verify everything a store holds, with the one algorithm of docs/PROTOCOL.md."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from recap_desktop.crypto import rowcheck
from recap_desktop.crypto.envelope import Record
from recap_desktop.crypto.verifier import (
    AUTHORITY_TYPES,
    ERROR,
    ChainLink,
    Problem,
    Trust,
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
    return {k: v for k, v in ws.store.keys.known("self").items() if k == mine}


# Below this many records one process is quicker than starting workers (about 0.3 s each).
PARALLEL_FROM = 20_000
CHUNK = 2000


def worker_count(records: int) -> int:
    """Processes verify_store uses for a store of ``records`` records: one per usable core."""
    if records < PARALLEL_FROM:
        return 1
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    return max(1, usable)


def verify_store(ws: Workspace, progress: Progress | None = None) -> Report:
    """Every row of the store, including rows that no longer parse (someone edited the file).

    Large stores are checked in one worker process per core: the signature and the per-record
    checks (``check_record``) are pure functions of a record and the ``Trust``, so chunks of
    rows go to the workers and only the cross-record checks (chains, references) stay here.
    The findings, and their order, are the same as one process would give.
    """
    from recap_desktop.services.election import authority_key

    store = ws.store
    try:
        anchor = authority_key(ws)
    except RecapError:
        anchor = None
    if anchor is not None:
        workers = worker_count(store.records.count())
        if workers > 1:
            try:
                report = _verify_store_parallel(ws, anchor, workers, progress)
            except (BrokenProcessPool, OSError):
                # No worker could start: a frozen build without freeze_support, a script
                # without the ``if __name__ == "__main__"`` guard, no fork left. Still verify.
                report = None
            if report is not None:
                return report
    return _verify_store_serial(ws, anchor, progress)


def _verify_store_serial(ws: Workspace, anchor: bytes | None, progress: Progress | None) -> Report:
    store = ws.store
    records: list[Record] = []
    malformed: list[Problem] = []
    for row in store.records.rows():
        if row.record is None:
            malformed.append(Problem(row.hash, "malformed", row.error or "unreadable row"))
        else:
            records.append(row.record)
    if anchor is None:
        report = Report(records=len(records))
        report.problems.append(Problem(None, "no_election", "no election authority is known"))
        return report
    report = verify_records(records, anchor, _own_key(ws), store.integrity.heads(), progress)
    report.records += len(malformed)
    report.problems[:0] = malformed
    _add_missing(ws, report, [r for r in records if r.type in AUTHORITY_TYPES], anchor)
    return report


def _add_missing(
    ws: Workspace,
    report: Report,
    authority: list[Record],
    anchor: bytes,
    trust: Trust | None = None,
) -> None:
    """Deleted rows, projection rows naming records that are gone, and a revocation list
    removed or changed: after everything else."""
    for row_number in ws.store.integrity.missing_rows():
        report.problems.append(
            Problem(None, "missing_record", f"row {row_number} of the records table was deleted")
        )
    seen = {p.record for p in report.problems if p.kind in ("missing_record", "chain_gap")}
    for table, hash_ in ws.store.integrity.dangling_references():
        if hash_ not in seen:
            seen.add(hash_)
            report.problems.append(
                Problem(hash_, "missing_record", f"named in {table} but gone from the records")
            )
    report.problems.extend(_revocations_kept(ws.store.keys.revoked(), authority, anchor, trust))


# -- the parallel path -------------------------------------------------------------------


def _verify_store_parallel(
    ws: Workspace, anchor: bytes, workers: int, progress: Progress | None
) -> Report | None:
    """verify_store in ``workers`` processes; None if the serial path must decide instead."""
    store = ws.store
    total = store.records.count()
    authority = [
        row.record for row in store.records.rows(AUTHORITY_TYPES) if row.record is not None
    ]
    trust, trust_problems = build_trust(anchor, authority, _own_key(ws))
    malformed: list[Problem] = []
    parsed = 0
    authority_seen: list[str] = []
    links: list[ChainLink] = []
    sheets: dict[str, tuple[Any, Any]] = {}
    notable: list[tuple[str, list[Problem], tuple[tuple[str, str], ...], Any, Any]] = []
    done = 0
    cancelled = False

    def take(rows: list[rowcheck.CheckedRow]) -> None:
        nonlocal parsed
        for hash_, error, kind, signer, seq, prev, station, contest, refs, problems in rows:
            if error is not None:
                malformed.append(Problem(hash_, "malformed", error))
                continue
            parsed += 1
            if kind in AUTHORITY_TYPES:
                authority_seen.append(hash_)
            if seq is not None and signer is not None:
                links.append(ChainLink(hash_, signer, seq, prev))
            if kind == "sheet":
                sheets[hash_] = (station, contest)
            if problems or refs:
                notable.append((hash_, problems, refs, station, contest))

    # spawn, not fork: the window calls this from a worker thread, and fork copies threads'
    # locks in whatever state they are in. Rows are read here, in the store's own thread.
    context = multiprocessing.get_context("spawn")
    # The workers' functions live in crypto (not services, not storage): a spawned worker
    # imports only crypto and domain, not the store's and the keystore's libraries.
    with ProcessPoolExecutor(workers, context, rowcheck.init_worker, (trust,)) as pool:
        pending: deque[tuple[int, Future[list[rowcheck.CheckedRow]]]] = deque()
        for chunk in store.records.raw_chunks(CHUNK):
            pending.append((len(chunk), pool.submit(rowcheck.check_chunk, chunk)))
            while len(pending) > 2 * workers + 2:
                size, future = pending.popleft()
                take(future.result())
                done += size
                if progress is not None and not progress(done, total):
                    cancelled = True
                    break
            if cancelled:
                break
        if cancelled:
            for _size, future in pending:
                future.cancel()
        else:
            while pending:
                size, future = pending.popleft()
                take(future.result())
                done += size
                if progress is not None and not progress(done, total):
                    cancelled = True
                    for _size, rest in pending:
                        rest.cancel()
                    break
    if cancelled:
        report = Report(records=parsed + len(malformed), cancelled=True)
        report.problems.extend(malformed + trust_problems)
        return report
    if authority_seen != [r.hash for r in authority if r.type in AUTHORITY_TYPES]:
        return None  # a row's type column disagrees with its payload: let one process sort it
    report = Report(records=parsed)
    report.problems.extend(trust_problems)
    for hash_, problems, refs, station, contest in notable:
        report.problems.extend(problems)
        for ref, target in refs:
            other = sheets.get(target)
            if other is None:
                report.problems.append(
                    Problem(hash_, "dangling", f"{ref} {target[:16]}… is not held")
                )
            elif other != (station, contest):
                report.problems.append(
                    Problem(hash_, "dangling", f"{ref} is another station's sheet")
                )
    report.problems.extend(check_chains(links, store.integrity.heads()))
    report.records += len(malformed)
    report.problems[:0] = malformed
    _add_missing(ws, report, authority, anchor, trust)
    return report


def _revocations_kept(
    shown: dict[str, str], records: list[Record], anchor: bytes, trust: Trust | None = None
) -> list[Problem]:
    """The revoked keys the store shows were projected from the newest revocation list it
    held. If the records no longer give the same keys, a list was removed or changed (a
    deleted list un-revokes its keys, and nothing else names it once its row is gone)."""
    if trust is None:  # else built from the same records already (known keys change nothing here)
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
