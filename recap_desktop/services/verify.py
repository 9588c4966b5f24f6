"""`recap verify`: the admission rule replayed over everything the store holds
(docs/PROTOCOL.md §5.7), and what only the holder can see of its own file.

The store's records are fed to the rule in the order they arrived: authority records first
(they build the trust), then every other record against that trust and the records before
it. The per-record half of the rule (signature, certificate, values) is a pure function of a
row and the trust, so large stores run it on every core (this process and a spawned helper
per other core); the replay of places and references stays here, in order, and gives the
same findings either way.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from recap_desktop.crypto.envelope import Record
from recap_desktop.protocol import rowcheck
from recap_desktop.protocol.admit import Precheck, Replay
from recap_desktop.protocol.problems import ATTENTION, ERROR, NOTICE, Problem
from recap_desktop.protocol.trust import AUTHORITY_TYPES, Trust
from recap_desktop.protocol.wire import WireError, check_fork
from recap_desktop.services.admission import own_keys
from recap_desktop.services.workspace import RecapError, Workspace

Progress = Callable[[int, int], bool]  # (done, total) -> keep going?
# What a caller keeps of each row verified, made as it is checked (``review_store``'s list,
# without a second pass over the store): (row id, the row's signer column, its check) ->
# the item, or None to keep nothing. A run that restarts in one process (no helper could
# start) calls it again for the rows it had seen, and keeps only the second run's items.
Listing = Callable[[int, str, rowcheck.Checked], Any]


@dataclass
class Report:
    records: int = 0
    problems: list[Problem] = field(default_factory=list)
    cancelled: bool = False
    # ``listing``'s items for every row, in the store's order (row id), when one was given.
    listed: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def attention(self) -> list[Problem]:
        """Records that verify but may not count for a reason a supervisor must resolve."""
        return [p for p in self.problems if p.severity == ATTENTION]

    @property
    def notices(self) -> list[Problem]:
        """Records that verify and will count once what they wait for arrives."""
        return [p for p in self.problems if p.severity == NOTICE]

    @property
    def ok(self) -> bool:
        """Every record verifies and nothing held is kept from counting by a problem."""
        return not self.errors and not self.attention and not self.cancelled

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
            "attention": len(self.attention),
            "notices": len(self.notices),
            "cancelled": self.cancelled,
            "problems": [p.to_json() for p in self.problems],
        }


# Below this many records one process is quicker than starting workers (about 0.3 s each).
PARALLEL_FROM = 20_000
CHUNK = 2000


def worker_count(records: int) -> int:
    """Processes verify_store checks with for a store of ``records`` records: one per usable
    core (this one and ``workers - 1`` helpers)."""
    if records < PARALLEL_FROM:
        return 1
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    return max(1, usable)


def rebuild_tables(ws: Workspace) -> int:
    """Every projection rebuilt from the records (after a crash trial or a suspected edit);
    the number of records read. The CLI's ``recap rebuild`` and the window's menu call this."""
    return ws.store.projections.rebuild()


def verify_store(
    ws: Workspace, progress: Progress | None = None, listing: Listing | None = None
) -> Report:
    """Every row of the store, including rows that no longer parse (someone edited the file).
    ``listing``: what to keep of each row in ``Report.listed`` (see ``Listing``)."""
    from recap_desktop.services.election import authority_key

    try:
        anchor = authority_key(ws)
    except RecapError:
        empty = Report(records=ws.store.records.count())
        empty.problems.append(Problem(None, "no_election", "no election authority is known"))
        return empty
    workers = worker_count(ws.store.records.count())
    report: Report | None = None
    if workers > 1:
        try:
            report = _verify(ws, anchor, progress, workers, listing)
        except (BrokenProcessPool, OSError):
            # No worker could start: a frozen build without freeze_support, a script without
            # the ``if __name__ == "__main__"`` guard, no fork left. Still verify.
            pass
    if report is None:
        report = _verify(ws, anchor, progress, 1, listing)
    if not report.cancelled:
        set_aside_tampered(ws, report)
    return report


# What a held row's own bytes show: edited behind the program's back (its projections were
# written from the record it was).
EDITED = frozenset({"malformed", "bad_signature"})


def set_aside_tampered(ws: Workspace, report: Report) -> None:
    """Keep the rows a whole verification found edited, so that the store's projections
    stop counting them (``storage/standing``): the totals then read what the records prove."""
    from recap_desktop.storage import StorageError

    found = {p.record: p.kind for p in report.errors if p.record and p.kind in EDITED}
    try:
        ws.store.projections.record_tampered(found, whole=True)
    except StorageError:
        pass  # a read-only copy: the report says it all the same


def _verify(
    ws: Workspace,
    anchor: bytes,
    progress: Progress | None,
    workers: int,
    listing: Listing | None = None,
) -> Report:
    store = ws.store
    total = store.records.count()
    report = Report()
    # 1. Authority records, each as it arrived: the trust in force, placed as the store's
    # trust places them (a revocation list's place a pull said, not yet proved, counts
    # against the key's records as it does in the store; every other record's own place
    # counts only proved, step 3).
    authority = list(store.records.raw_arrivals(AUTHORITY_TYPES, authority=True))
    replay = Replay(Trust(anchor, known_keys=own_keys(ws)), store.view)
    checked = rowcheck.check_rows(authority, replay.trust)
    listed: list[tuple[int, Any]] = []
    _feed(report, replay, checked)
    _list(listed, listing, _keys(authority), checked)
    # 2. Fork evidence kept beside the records, checked against that trust.
    forks, fork_problems = _forks(ws, replay.trust)
    replay.trust = replay.trust.with_forks(forks)
    # 3. Every other record, in order, checked (in workers for a big store) then replayed.
    done = len(authority)
    for keys, checked in _checked_chunks(ws, replay.trust, workers, listing is not None):
        _feed(report, replay, checked)
        _list(listed, listing, keys, checked)
        done += len(checked)
        if progress is not None and not progress(done, total):
            report.cancelled = True
            return report
    # 4. What only this holder can see of its own file.
    report.problems.extend(_holder_checks(ws, replay))
    report.problems.extend(fork_problems)
    if listing is not None:
        # The authority's rows were read first; the store's order is the rows' ids.
        listed.sort(key=lambda item: item[0])
        report.listed = [item for _id, item in listed if item is not None]
    return report


def _keys(rows: Sequence[tuple[Any, ...]]) -> list[tuple[int, str]]:
    """Each row's id and signer column, kept here while the row is checked elsewhere."""
    # As ``from_row`` reads the column (text or bytes, whatever an edited file holds).
    return [
        (row[0], row[2].decode("utf-8", "replace") if isinstance(row[2], bytes) else str(row[2]))
        for row in rows
    ]


def _no_keys(_rows: Sequence[tuple[Any, ...]]) -> list[tuple[int, str]]:
    return []


def _list(
    out: list[tuple[int, Any]],
    listing: Listing | None,
    keys: Sequence[tuple[int, str]],
    checked: Sequence[rowcheck.Checked],
) -> None:
    if listing is not None:
        out.extend(
            (row_id, listing(row_id, signer, one))
            for (row_id, signer), one in zip(keys, checked, strict=True)
        )


def _feed(report: Report, replay: Replay, checked: Sequence[rowcheck.Checked]) -> None:
    summaries: list[rowcheck.Summary | Record] = []
    arrivals = []
    prechecks: list[Precheck | None] = []
    for summary, hash_, error, seen, position, problems in checked:
        report.records += 1
        if error is not None:
            unreadable = Problem(hash_, "malformed", error)
            if summary is None:  # no place to keep either
                report.problems.append(unreadable)
                continue
            problems = [unreadable]  # the row keeps its place (rowcheck._placeholder)
        assert seen is not None and summary is not None
        summaries.append(summary)
        arrivals.append((seen, position))
        prechecks.append(None if summary.type in AUTHORITY_TYPES else (None, problems))
    if summaries:
        report.problems.extend(replay.feed(summaries, arrivals, prechecks).findings)


Chunk = tuple[list[tuple[int, str]], list[rowcheck.Checked]]  # (_keys of the rows, checks)


def _checked_chunks(
    ws: Workspace, trust: Trust, workers: int, keyed: bool = False
) -> Iterator[Chunk]:
    """The checked rows, chunk by chunk in the store's order. With ``workers`` > 1 this
    process is one of them: ``workers - 1`` spawned processes take chunks ahead, and whenever
    the oldest of theirs is not back yet, this process checks the next chunk itself instead
    of waiting (while they start, and whenever it is ahead of them). Each chunk is checked by
    the same ``rowcheck.check_rows`` wherever it runs, and yielded in order, with the rows'
    ``_keys`` if ``keyed`` (else none: nothing will be listed)."""
    chunks = ws.store.records.raw_arrival_chunks(CHUNK, exclude=AUTHORITY_TYPES)
    keys = _keys if keyed else _no_keys
    if workers <= 1:
        for chunk in chunks:
            yield keys(chunk), rowcheck.check_rows(chunk, trust)
        return
    # spawn, not fork: the window calls this from a worker thread, and fork copies threads'
    # locks in whatever state they are in. Rows are read here, in the store's own thread.
    # One process fewer than cores: this one checks too, and every process spawned costs
    # ~0.3 CPU-s to start (the interpreter, the modules, the trust unpickled) and a pickle of
    # each chunk's results on both sides.
    helpers = workers - 1
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(helpers, context, rowcheck.init_worker, (trust,)) as pool:
        # In order: each chunk's keys, and a helper's future or this process's result.
        pending: deque[
            tuple[list[tuple[int, str]], Future[list[rowcheck.Checked]] | list[rowcheck.Checked]]
        ] = deque()
        in_flight = 0  # futures in ``pending``
        ahead = 2 * helpers + 2  # chunks given to the helpers at a time
        most = ahead + 4 * workers  # chunks held at all: a bound on memory if they stall
        more = True
        try:
            while True:
                while more and in_flight < ahead and len(pending) < most:
                    chunk = next(chunks, [])  # the store never gives an empty chunk
                    if not chunk:
                        more = False
                        break
                    pending.append((keys(chunk), pool.submit(rowcheck.check_chunk, chunk)))
                    in_flight += 1
                if not pending:
                    return
                held, head = pending[0]
                if isinstance(head, list):
                    pending.popleft()
                    yield held, head
                elif head.done() or not more or len(pending) >= most:
                    pending.popleft()
                    in_flight -= 1
                    yield held, head.result()
                else:
                    chunk = next(chunks, [])
                    if not chunk:
                        more = False
                    else:
                        pending.append((keys(chunk), rowcheck.check_rows(chunk, trust)))
        finally:
            for _, item in pending:
                if not isinstance(item, list):
                    item.cancel()


def _forks(ws: Workspace, trust: Trust) -> tuple[dict[str, int], list[Problem]]:
    """The fork evidence kept: each pair checked again (PROTOCOL §5.7), reported as the
    signer's equivocation naming the record not in the store."""
    found: dict[str, int] = {}
    problems = []
    for fork in ws.store.evidence.forks():
        try:
            checked = check_fork(fork.to_json(), trust)
        except WireError as exc:
            problems.append(Problem(None, "malformed", f"fork evidence: {exc}"))
            continue
        held = ws.store.records.held([checked.held.hash, checked.offered.hash])
        outside = next((r for r in (checked.offered, checked.held) if r.hash not in held), None)
        found[checked.signer] = min(checked.seq, found.get(checked.signer, checked.seq))
        problems.append(
            Problem(
                outside.hash if outside else checked.offered.hash,
                "equivocation",
                f"signer {checked.signer[:16]}… signed two records number {checked.seq}",
            )
        )
    return found, problems


def _holder_checks(ws: Workspace, replay: Replay) -> Iterable[Problem]:
    """Deleted rows, chains shorter than the store last wrote them, records named by a kept
    receipt or by a projection that are gone, a revocation list removed or changed."""
    store = ws.store
    for row_number in store.integrity.missing_rows():
        yield Problem(None, "missing_record", f"row {row_number} of the records table was deleted")
    seen: set[str] = set()
    reached = replay.heads()
    for signer, (seq, hash_) in store.integrity.heads().items():
        got = reached.get(signer)
        if got is None or got[0] < seq or (got[0] == seq and got[1] != hash_):
            seen.add(hash_)
            yield Problem(hash_, "missing_record", f"record number {seq} of {signer[:16]}… is gone")
    for hash_ in store.integrity.missing_from_receipts():
        if hash_ not in seen:
            seen.add(hash_)
            yield Problem(hash_, "missing_record", "a kept receipt names it, the store lost it")
    for table, hash_ in store.integrity.dangling_references():
        if hash_ not in seen:
            seen.add(hash_)
            yield Problem(hash_, "missing_record", f"named in {table} but gone from the records")
    trust = replay.trust
    shown = store.keys.revoked()
    if trust.election is not None and set(shown) != set(trust.revoked):
        yield Problem(
            None,
            "missing_record",
            f"the store shows {len(shown)} revoked keys, but the newest revocation list held "
            f"(version {trust.revocations_version}) revokes {len(trust.revoked)}: a revocation "
            "list was removed or changed",
        )
