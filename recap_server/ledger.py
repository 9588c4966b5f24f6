"""What the server does with a batch: admit each record by the one rule, keep it once, and
answer with a receipt.

Whether a record may enter is the protocol's ``admit``, the same function laptops, bundles
and `recap verify` call; the server supplies its view of what it holds (its storage) and its
clock. It adds what only it can see: every signer's chain across laptops, so forks become
evidence it keeps and serves, and an order of arrival (its log) that a revocation is judged
against.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json, sign
from recap_desktop.crypto.keys import SigningKey, key_id
from recap_desktop.domain.election import Election, format_time
from recap_desktop.protocol.admit import ADMITTED, HELD, Fork, admit
from recap_desktop.protocol.checks import Verified, preverify
from recap_desktop.protocol.log import sign_head
from recap_desktop.protocol.trust import AUTHORITY_TYPES, SERVER_ROLE, ElectionView, Trust
from recap_desktop.protocol.wire import BATCH_FORMAT, WireError, check_fork
from recap_server import bulk
from recap_server.log import Appended, Summary
from recap_server.storage import Position, Prepared, ServerStorage, parse_received

STORED, REFUSED, UNKNOWN = "stored", "refused", "unknown"
__all__ = ["BATCH_FORMAT", "HELD", "REFUSED", "STORED", "Ledger", "Outcome"]
_HEX64 = re.compile(r"^[0-9a-f]{64}\Z")
CATCH_UP = 5000  # entries another worker added that a view catches up with, not rebuilds
# Seconds the push gate may judge a token by a trust read that long ago (PROTOCOL §9.9): a key
# revoked within it is still rated as its key's, not yet refused, at the gate only.
TRUST_RECHECK = 1.0
MAX_DETAIL = 200  # characters of a refusal's sentence: an answer never echoes a sender's bulk
# Pushes of this process admitted in one transaction at most (``Ledger._together``).
GROUP_MOST = 16
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LogView:
    """The newest tree head with the partitions it commits to: replaced whole after each
    commit, so that a pull reads one consistent state without waiting on pushes."""

    head: Record | None
    summary: Summary

    @property
    def size(self) -> int:
        return int(self.head.payload["size"]) if self.head is not None else 0


@dataclass(frozen=True)
class Proofs:
    """What shows a pusher that its receipt's records are in the log (PROTOCOL §10.4)."""

    size_before: int
    frontier: list[bytes]
    held: dict[str, list[bytes]]
    consistency: list[bytes] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "append": {"size": self.size_before, "frontier": [h.hex() for h in self.frontier]},
            "held": {k: [h.hex() for h in v] for k, v in self.held.items()},
            "consistency": None
            if self.consistency is None
            else [h.hex() for h in self.consistency],
        }


@dataclass(frozen=True)
class Pushed:
    outcomes: list[Outcome]
    receipt: Record
    head: Record
    proofs: Proofs


@dataclass(frozen=True)
class _Sealed:
    """A push's answer but its proofs, which are read once its transaction has committed:
    the log is append-only, so the nodes of a committed tree of ``size`` entries never
    change, and their reads (a round trip each on PostgreSQL) no longer hold the database's
    writers' lock. They are read in the process's turn to admit, by the thread that holds
    it, one after another on one connection: read by each push's own thread once the turn
    was passed on (16 threads at once, 8 pooled connections), a steady push with 4 workers
    waited 13 s at the median in one run, 6-9 s in the turn (docs/PERFORMANCE.md, A7). A read
    that fails is that push's error alone; what it stored stays stored: asked again, each
    record is answered held, with its proof. (Inside a caller's own transaction,
    ``Ledger.push`` nested, they read that transaction's state.)"""

    outcomes: list[Outcome]
    receipt: Record
    head: Record
    size_before: int
    frontier: list[bytes]
    held: dict[str, int]  # a held record's hash -> its index in the log
    known: int
    size: int

    def proved(self, storage: ServerStorage) -> Pushed:
        held = {h: storage.inclusion(i, self.size) for h, i in self.held.items()}
        known, size = self.known, self.size
        consistency = storage.consistency(known, size) if 0 < known < size else None
        proofs = Proofs(self.size_before, self.frontier, held, consistency)
        return Pushed(self.outcomes, self.receipt, self.head, proofs)


@dataclass(frozen=True)
class Outcome:
    hash: str
    status: str
    reason: str | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"hash": self.hash, "status": self.status}
        if self.reason is not None:
            out["reason"] = self.reason
            out["detail"] = self.detail or ""
        return out


@dataclass(eq=False)
class _Job:
    """A push, parsed and verified, waiting for its turn to be admitted (``Ledger._together``).
    ``alone``: the work of one that is admitted in a transaction of its own (it changes the
    trust, or it is a ``holds``)."""

    items: list[Record | Outcome]
    malformed: list[tuple[int, Outcome]]
    known: int
    verified: Verified | None
    prepared: Prepared | None
    records: int
    forks: Sequence[Any] = ()
    alone: Callable[[], Pushed] | None = None
    finished: bool = False
    pushed: Pushed | None = None
    error: BaseException | None = None

    def answer(self) -> Pushed:
        error, self.error = self.error, None  # its traceback holds the group: let it go
        if error is not None:
            raise error
        assert self.pushed is not None
        return self.pushed


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Ledger:
    """The server's use cases over a storage; safe to call from the server's threads."""

    def __init__(
        self,
        storage: ServerStorage,
        server_key: SigningKey,
        authority_key: bytes,
        *,
        clock: Callable[[], datetime] = _now,
    ):
        self.storage = storage
        self.server_key = server_key
        self.authority_key = authority_key
        self.clock = clock
        # What this process knows of the database (several workers may serve it): the trust
        # as of the authority records up to log index _trust_at (and fork evidence at
        # _trust_version), and the log as of the newest head. Each is checked against the
        # database (one indexed read) before use, and caught up with what is new.
        # Guards these in-memory caches only (threads of this process catching them up); the
        # order of pushes is the database's writers' lock, not this.
        self._cache = threading.Lock()
        self._trust: Trust | None = None
        self._trust_base: Trust | None = None
        self._trust_at = -1
        self._trust_version: int | None = None
        self._trust_read = -math.inf  # when the database's trust version was last read
        # Whether pushes waiting together are admitted together (``_together``; by default
        # as the storage says is best), the pushes waiting for their turn, and whether a
        # thread is admitting.
        self.together = storage.groups_pushes
        self._waiting: list[_Job] = []
        self._turn = threading.Condition()
        self._admitting = False
        self.monotonic: Callable[[], float] = time.monotonic
        self._view = self._read_view()
        with self.storage.transaction():
            self._sign_head_if_stale()

    # -- trust ------------------------------------------------------------------------------

    def trust(self, version: int | None = None) -> Trust:
        """The authority records held, each judged as it arrived (its received time and log
        index), with the forks proven: built once, then caught up incrementally whenever
        the database's trust version moved (a certificate, a revocation or fork evidence
        stored by any worker). ``version``: the database's, when the caller just read it."""
        read = self.monotonic()
        if version is None:
            version = self.storage.trust_version()
        trust = self._trust
        if trust is not None and version == self._trust_version:
            self._trust_read = read
            return trust
        with self._cache:
            base = self._trust_base or Trust(self.authority_key)
            rows = self.storage.authority_rows(after=self._trust_at)
            if rows:
                builder = base.builder()
                for record, received, index in rows:
                    builder.add(record, parse_received(received), index)
                    self._trust_at = index
                base = builder.freeze()
            self._trust_base = base
            trust = base.with_forks(self.storage.forks())
            self._trust, self._trust_version = trust, version
            self._trust_read = read
            return trust

    def caught_up(self) -> tuple[Trust, LogView]:
        """The trust and the view of the log as the database has them now, both checked by
        one probe (``storage.newest``): what a push asks first under the writers' lock and
        what every ``/v1/health`` asks, one round trip instead of two."""
        newest, version = self.storage.newest()
        return self.trust(version), self._view_at(newest)

    def _forget_trust(self, *, base: bool = True) -> None:
        """Build the trust again at the next ``trust()``: whole, or (``base`` False) only
        its forks, the authority records it was caught up with standing."""
        with self._cache:
            self._trust, self._trust_version, self._trust_read = None, None, -math.inf
            if base:
                self._trust_base, self._trust_at = None, -1

    def held_trust(self, within: float = TRUST_RECHECK) -> Trust | None:
        """The trust as read from the database at most ``within`` seconds ago, or None, for
        the push gate, which runs on the event loop: a database read there (a round trip and
        a pooled connection on PostgreSQL, which busy threads may all hold) would stall
        every connection of the process, ``/v1/health`` included, so on None it reads
        ``trust()`` on a thread (``PushGate.who_async``). What admits a record is always
        ``trust()``, under the writers' lock."""
        trust = self._trust
        if trust is not None and self.monotonic() - self._trust_read < within:
            return trust
        return None

    def election(self) -> Election | None:
        election = self.trust().election
        assert election is None or isinstance(election, Election)  # built from packages
        return election

    def import_authority(self, records: Sequence[Record]) -> list[Outcome]:
        """Load an election package file's records (set-up, not a push): same rule."""
        return self.push([r.to_json() for r in records]).outcomes

    def certificates(self) -> list[Record]:
        """The certificates that make this server's key a server of the election."""
        mine = self.trust().certificates.get(self.server_key.key_id, ())
        # Read by hash, in the order the trust took them (the log's): reading every
        # certificate held to find these parsed a nation's 7,000 at each trust change.
        wanted = dict.fromkeys(c.record for c in mine if c.role == SERVER_ROLE)
        return [r for r in map(self.storage.record, wanted) if r is not None]

    def certified(self) -> bool:
        return self.trust().server_certificate(self.server_key.key_id, self.clock()) is not None

    # -- the log ----------------------------------------------------------------------------

    @property
    def view(self) -> LogView:
        """The newest head and the partitions it commits to, as the database has them now
        (another worker may have pushed): one index probe when nothing changed."""
        return self._view_at(self.storage.newest_head_hash())

    @view.setter
    def view(self, value: LogView) -> None:
        self._view = value

    def _view_at(self, newest: str | None) -> LogView:
        """The view, caught up if ``newest`` (the database's newest head) is not its head."""
        view = self._view
        if newest is not None and (view.head is None or view.head.hash != newest):
            view = self._keep_view(self._read_view(view))
        return view

    def _keep_view(self, view: LogView) -> LogView:
        """Keep ``view`` unless another thread kept a newer one meanwhile."""
        with self._cache:
            if view.size >= self._view.size:
                self._view = view
            return view

    def _read_view(self, old: LogView | None = None) -> LogView:
        """The newest head and its partitions, read together (one snapshot). From ``old``,
        only the partitions of the entries added since are read again."""
        with self.storage.snapshot():
            head = self.storage.head()
            size = int(head.payload["size"]) if head is not None else 0
            if old is not None and old.head is not None and 0 <= size - old.size <= CATCH_UP:
                changed = self.storage.partitions_grown(old.size, size)
                summary = old.summary.grown(changed)
                # Caught up only if it is what the head commits to (a view is read whole
                # again, not trusted, when anything made it differ).
                if head is None or summary.root.hex() == head.payload.get("partitions"):
                    return LogView(head, summary)
            return LogView(head, Summary(self.storage.partition_states()))

    def refresh(self) -> None:
        """Read the log's state from the storage again and sign a head for it if the newest
        one does not describe it (the storage was changed from outside the ledger)."""
        with self.storage.transaction():
            self._view = self._read_view()
            self._forget_trust()
            self._sign_head_if_stale()

    def _sign_head_if_stale(self) -> None:
        """A head for the log as it is, if the newest signed one is not (a server folder from
        before the log, or a key that changed). Needs an election: a head names it."""
        view = self._view
        size = self.storage.log_size()
        head = view.head
        election = self.election()
        if election is None:
            return
        if head is not None and view.size == size and head.signer == self.server_key.key_id:
            return
        made = sign_head(
            self.server_key,
            election.id,
            size,
            self.storage.log_root(size),
            view.summary.root,
            view.summary.count,
            self.clock(),
        )
        self.storage.keep_head(made)
        self._view = LogView(made, view.summary)

    # -- push -------------------------------------------------------------------------------

    def push(self, raw: Sequence[Any], forks: Sequence[Any] = (), known: int = 0) -> Pushed:
        """Admit and store a batch; returns the answer per record, the signed receipt and
        tree head, and the proofs that what the receipt lists is in the log. ``forks``:
        evidence the laptop passes on; each pair that proves a fork is kept. ``known``: the
        size of the newest head the laptop holds, for a consistency proof to the new one."""
        items, malformed = _parse(raw)  # before the lock: parsing needs no database
        # Also before the lock, in this worker: the signatures, against the keys the trust
        # gives their signers now. Admission inside the lock takes a result only for the key
        # its own trust gives then (a certificate or revocation may arrive meanwhile), so it
        # decides as if it had verified itself; the workers' verifies run in parallel.
        parsed = [r for r in items if isinstance(r, Record)]
        trust = self.trust()
        verified = preverify(parsed, trust)
        for pair in forks:  # their signatures too: inside the lock, each is a look-up
            with contextlib.suppress(WireError):
                check_fork(pair, trust, verified)
        prepared = Prepared(parsed)  # their rows, should they be stored: no database either
        job = _Job(items, malformed, known, verified, prepared, len(parsed), forks)
        authority = any(r.type in AUTHORITY_TYPES for r in parsed)
        if not (forks or authority):
            return self._together(job) if self.together else self._alone(job)
        job.alone = lambda: self._alone(job)  # what changes the trust goes alone
        try:
            return self._together(job) if self.together else job.alone()
        finally:
            if authority:
                # Committed (or not: a read again costs nothing): this worker's gate judges
                # the next token by the new certificates and revocations at once (another
                # worker's, within TRUST_RECHECK), even when a proof's read failed.
                self._trust_read = -math.inf

    def _together(self, job: _Job) -> Pushed:
        """``job`` admitted in this process's turn, with the other pushes waiting for it, in
        one transaction: one BEGIN, writers' lock, probe and COMMIT (with its flush to disk)
        for all, where each paid its own (most of a steady sync's one-sheet push under the
        lock). Each is admitted exactly as it would be alone, in turn, seeing what those
        before it stored, with its own receipt and head. The thread that takes the turn
        admits every push waiting then, its own among them; the others wait for their
        answers. One turn a process: its pushes never hold more than one pooled connection
        waiting for the database's lock. The proofs are read after the commit, in the
        turn (``_Sealed``)."""
        if self.storage.in_transaction():  # a caller's own
            return job.alone() if job.alone else self._alone(job)
        turn = self._turn
        with turn:
            self._waiting.append(job)
        while True:
            with turn:
                while self._admitting and not job.finished:
                    turn.wait()
                if job.finished:
                    return job.answer()
                self._admitting = True
                group = self._waiting[:GROUP_MOST]
                del self._waiting[:GROUP_MOST]
            try:
                self._admit(group)
            except BaseException:
                with turn:  # this thread stops: its push is not left for another to store
                    if job in self._waiting:
                        self._waiting.remove(job)
                raise
            finally:
                with turn:
                    self._admitting = False
                    turn.notify_all()

    def _admit(self, group: list[_Job]) -> None:
        """Answer every push of ``group``: those that go alone each in its transaction, the
        others together, or, if that fails, each alone: a failure, its push's or the
        database's, cannot be pinned on one push of a pipelined transaction (PostgreSQL
        reports it at a later statement or the COMMIT), so each is tried again alone and
        fails alone if it fails again. Their proofs are read once committed, each push's
        failure its own."""
        try:
            together = [job for job in group if job.alone is None]
            if len(together) > 1:
                try:
                    answers = self._transact(together)
                except Exception:
                    _log.warning(
                        "%d pushes admitted together failed; each alone",
                        len(together),
                        exc_info=True,
                    )
                else:
                    for job, sealed in zip(together, answers, strict=True):
                        try:
                            job.pushed = sealed.proved(self.storage)
                        except Exception as exc:  # committed: not admitted again
                            job.error = exc
                        job.finished = True
            for job in group:
                if not job.finished:
                    try:
                        job.pushed = job.alone() if job.alone else self._alone(job)
                    except Exception as exc:
                        job.error = exc
                    job.finished = True
        finally:
            for job in group:
                if not job.finished:  # this thread was interrupted: no push waits for ever
                    job.error = RuntimeError("the push was not admitted: the server stopped")
                    job.finished = True

    def _alone(self, job: _Job) -> Pushed:
        """``job`` admitted in a transaction of its own, its proofs read once committed."""
        return self._transact([job])[0].proved(self.storage)

    def _transact(self, jobs: Sequence[_Job]) -> list[_Sealed]:
        """Admit ``jobs`` in turn in one transaction; keep the view once committed. Their
        proofs are their callers' to read (``_Sealed``)."""
        # Small pushes (a steady sync's) send their statements pipelined, together too; a
        # large one keeps its COPYs (bulk.py), which a pipeline cannot carry.
        pipelined = all(job.records < bulk.COPY_FROM for job in jobs)
        answers: list[_Sealed] = []
        try:
            with self.storage.transaction(pipelined=pipelined):
                # The database's writers' lock from here to the commit (whichever worker
                # runs it): admission reads chain heads and held records, and the insert
                # that follows sees the same state. The view and trust are caught up inside
                # it first (the view read again only if another worker's head is newer; both
                # asked in one probe). Each push's own first reads are asked ahead
                # (``ask_ahead``): the first's go with that probe, each next one's behind the
                # writes of the one before it, with its first read. A push with fork
                # evidence keeps it first, a write, and asks nothing ahead.
                self._ask_ahead(jobs[0])
                trust, view = self.caught_up()
                for at, job in enumerate(jobs):
                    if at:
                        self._ask_ahead(job)
                    if job.forks:
                        self._take_forks(job.forks, job.verified)
                        trust = self.trust()  # the evidence kept may have changed it
                    sealed, view, trust = self._push(
                        job.items, job.malformed, job.known, view, job.verified, job.prepared, trust
                    )
                    answers.append(sealed)
        except BaseException:
            # Rolled back: the trust read after its fork evidence was kept holds those forks,
            # at a version number another worker may reach with other changes; the forks are
            # read again. The authority records it was caught up with were read before this
            # push wrote anything (all committed), and stand: a full rebuild (the package's
            # parse, every certificate) is not paid for a failed push.
            self._forget_trust(base=False)
            raise
        # The new view only once committed: a pipelined push's error may come at its COMMIT,
        # and a view of a log that never was would serve wrong partition roots for good.
        self._keep_view(view)
        return answers

    def _ask_ahead(self, job: _Job) -> None:
        if not job.forks:
            records = [r for r in job.items if isinstance(r, Record)]
            self.storage.ask_ahead(records, job.prepared)

    def holds(self, hashes: Sequence[str], known: int = 0) -> Pushed:
        """Which of ``hashes`` the log holds, answered as a push of those records would be
        (held, with a receipt and inclusion proofs), without the records: a laptop asks this
        before it sends what it has (the package, certificates) so that what the server
        holds never crosses the network again (PROTOCOL §9.9). A hash not held is answered
        ``unknown`` and is in no list of the receipt. Nothing is stored. In this process's
        turn to admit, as a push is (``_together``)."""
        if not self.together:
            return self._holds(hashes, known).proved(self.storage)
        job = _Job([], [], known, None, None, 0)
        job.alone = lambda: self._holds(hashes, known).proved(self.storage)
        return self._together(job)

    def _holds(self, hashes: Sequence[str], known: int) -> _Sealed:
        with self.storage.transaction():
            view = self.view
            found = self.storage.positions(hashes)
            items: list[Record | Outcome] = [
                Outcome(h, HELD if h in found else UNKNOWN) for h in hashes
            ]
            sealed, grown, _trust = self._push(items, [], known, view)
        self._keep_view(grown)
        return sealed

    def _take_forks(self, pairs: Sequence[Any], verified: Verified | None) -> None:
        trust = self.trust()
        found: dict[str, int] = {}
        received = format_time(self.clock())
        for pair in pairs:
            try:
                fork = check_fork(pair, trust, verified)
            except WireError:
                continue  # evidence that proves nothing is dropped; records are answered
            if self.storage.record(fork.held.hash) is None:
                if self.storage.record(fork.offered.hash) is None:
                    continue  # of records the server never held: not its evidence to keep
                fork = Fork(fork.signer, fork.seq, fork.offered, fork.held)
            self.storage.record_fork(fork, received)
            found[fork.signer] = min(fork.seq, found.get(fork.signer, fork.seq))
        if found:
            trust = trust.with_forks(found)
            self.storage.restate(trust, signers=list(found))

    def _push(
        self,
        items: list[Record | Outcome],
        malformed: list[tuple[int, Outcome]],
        known: int,
        view: LogView,
        verified: Verified | None = None,
        prepared: Prepared | None = None,
        trust: Trust | None = None,
    ) -> tuple[_Sealed, LogView, Trust]:
        """The answer but its proofs, the view it leaves (for the caller to keep once
        committed) and the trust as of it (with the forks it found). ``trust``: the trust
        as of this transaction, when the caller just caught it up."""
        records = [r for r in items if isinstance(r, Record)]
        now = self.clock()
        before = trust if trust is not None else self.trust()
        admission = admit(records, self.storage, before, arrivals=(now, None), verified=verified)
        received = format_time(now)
        for fork in admission.forks:
            self.storage.record_fork(fork, received)
        trust = admission.trust or before
        if admission.forks:
            trust = trust.with_forks({f.signer: f.seq for f in admission.forks})
        decisions = iter(admission.decisions)
        outcomes: list[Outcome] = []
        for item in items:
            if isinstance(item, Outcome):
                outcomes.append(item)
                continue
            decision = next(decisions)
            if decision.status == ADMITTED:
                outcomes.append(Outcome(item.hash, STORED))
            elif decision.status == HELD:
                outcomes.append(Outcome(item.hash, HELD))
            else:
                problem = decision.problem
                assert problem is not None
                outcomes.append(
                    Outcome(item.hash, REFUSED, problem.kind, problem.detail[:MAX_DETAIL])
                )
        stored = admission.admitted
        held_positions = self.storage.positions(o.hash for o in outcomes if o.status == HELD)
        summaries: list[Summary] = []

        def seal(positions: Mapping[str, Position], appended: Appended) -> tuple[Record, Record]:
            summary = view.summary.grown(appended.partitions)
            summaries.append(summary)
            if view.head is not None and not appended.partitions and view.size == appended.size:
                head = view.head  # nothing new in the log: the newest head still says it all
            else:
                election = trust.election
                head = sign_head(
                    self.server_key,
                    election.id if election is not None else "",
                    appended.size,
                    appended.root,
                    summary.root,
                    summary.count,
                    now,
                )
            made = self._receipt(
                outcomes,
                malformed,
                {**held_positions, **positions},
                received,
                head.hash,
                trust.election,
            )
            return head, made

        head, made, appended = self.storage.commit(
            stored,
            seal,
            received=received,
            trust=trust,
            restate_signers=_changed_signers(before, trust, stored),
            keep_receipt=bool(stored),
            prepared=prepared,
        )
        held = {h: i for h, (i, _) in held_positions.items()}
        sealed = _Sealed(
            outcomes,
            made,
            head,
            appended.size_before,
            appended.frontier,
            held,
            known,
            appended.size,
        )
        return sealed, LogView(head, summaries[-1]), trust

    def _receipt(
        self,
        outcomes: Sequence[Outcome],
        malformed: Sequence[tuple[int, Outcome]],
        positions: Mapping[str, Position],
        received: str,
        head: str,
        election: ElectionView | None,
    ) -> Record:
        """What the server computed of a batch, signed: every hash in it is one the server
        computed from a record it parsed (an item it could not parse is named by its place
        in the batch), with the log index and received time of each record stored or held.
        ``election``: the one in force in the push's trust (not ``self.election()``, which
        would read the database's trust again inside the push's own transaction)."""
        unparsed = {id(o): i for i, o in malformed}

        def entry(o: Outcome) -> dict[str, Any]:
            index, at = positions[o.hash]
            return {"hash": o.hash, "index": index, "received": at}

        return sign(
            self.server_key,
            {
                "type": "receipt",
                "server": self.server_key.key_id,
                "time": received,
                "election": election.id if election else None,
                "head": head,
                "stored": [entry(o) for o in outcomes if o.status == STORED],
                "held": [entry(o) for o in outcomes if o.status == HELD],
                "refused": [
                    {"item": unparsed[id(o)], "reason": o.reason}
                    if id(o) in unparsed
                    else {"hash": o.hash, "reason": o.reason}
                    for o in outcomes
                    if o.status == REFUSED
                ],
            },
        )

    # -- reading ----------------------------------------------------------------------------

    def authority_key_id(self) -> str:
        return key_id(self.authority_key)


def _parse(raw: Sequence[Any]) -> tuple[list[Record | Outcome], list[tuple[int, Outcome]]]:
    """Each item of a batch as a record, or the refusal of one that does not parse (with its
    place in the batch)."""
    items: list[Record | Outcome] = []
    malformed: list[tuple[int, Outcome]] = []
    seen: set[str] = set()  # a record sent twice in one batch is answered once
    for i, item in enumerate(raw):
        try:
            record = from_json(item)
            if record.hash in seen:
                continue
            seen.add(record.hash)
            items.append(record)
        except EnvelopeError as exc:
            # Named by what the sender claimed only if it looks like a hash: a refused
            # item's bulk is never copied into the answer or the receipt.
            claimed = item.get("hash") if isinstance(item, dict) else None
            name = claimed if isinstance(claimed, str) and _HEX64.match(claimed) else ""
            outcome = Outcome(name, REFUSED, "malformed", str(exc)[:MAX_DETAIL])
            items.append(outcome)
            malformed.append((i, outcome))
    return items, malformed


def _changed_signers(before: Trust, after: Trust, stored: Sequence[Record]) -> list[str]:
    """Keys whose records' standing a batch may have changed: newly certified, revoked (or
    with a revocation now placed in the log), or newly forked."""
    out = [str(r.payload.get("key_id")) for r in stored if r.type == "certificate"]
    for key in set(before.revoked) | set(after.revoked):
        if before.revoked.get(key) != after.revoked.get(key):
            out.append(key)
    out += [s for s, q in after.forks.items() if before.forks.get(s) != q]
    return out
