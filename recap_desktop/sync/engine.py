"""One sync: push the outbox in batches, then pull what is new; retry with backoff.

The engine owns no long-lived thread: the CLI calls ``sync`` on its own thread, the window's
worker calls ``run`` on a worker thread. During a push or a pull one helper thread carries the
request in flight, so that the next batch or page is prepared meanwhile; it never touches the
store. ``cancel`` and ``poke`` are the only methods safe from another thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, NoReturn, Protocol

from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json
from recap_desktop.crypto.keys import BadPublicKey, check_public_key, key_id
from recap_desktop.domain.election import ElectionError, format_time, parse_time
from recap_desktop.protocol import log, merkle
from recap_desktop.protocol.admit import Arrival, Fork, HeldView, Precheck, admit
from recap_desktop.protocol.checks import CLOCK_TOLERANCE, precheck
from recap_desktop.protocol.log import LogError, TreeHead, Unvouched
from recap_desktop.protocol.problems import Problem
from recap_desktop.protocol.trust import Trust
from recap_desktop.protocol.wire import (
    PushAnswer,
    Receipt,
    WireError,
    check_fork,
    parse_page,
    parse_receipt,
)
from recap_desktop.sync import testpoints
from recap_desktop.sync.backoff import Backoff
from recap_desktop.sync.client import (
    MAX_AUTHORITY_FETCH,
    BadAnswer,
    NotHeld,
    ServerClient,
    SyncError,
    push_body,
)
from recap_desktop.sync.state import Machine, State

DONE, REFUSED, UNREACHABLE, CANCELLED, FAILED = (
    "done",
    "refused",
    "unreachable",
    "cancelled",
    "failed",
)


class SyncOutbox(Protocol):
    """What the engine needs of the store's outbox (storage.Outbox)."""

    def unsent(
        self, after: int, limit: int, max_bytes: int, authority: bool | None = None
    ) -> list[tuple[int, Record]]: ...
    def unsent_count(self) -> int: ...
    def mark_sent(
        self, hashes: Iterable[str], receipt: Receipt, partitions: Mapping[str, str]
    ) -> None: ...
    def note_refused(self, refused: Iterable[tuple[str, str, str]]) -> None: ...
    def append_pulled(
        self,
        records: Sequence[Record],
        cursor_key: str,
        cursor: str,
        *,
        positions: Sequence[tuple[str, int, str, str]] = (),
        server: str | None = None,
        unvouched: Sequence[Unvouched] = (),
        proven: bool = False,
    ) -> list[bool]: ...
    def setting(self, key: str) -> str | None: ...
    def set_setting(self, key: str, value: str | None) -> None: ...
    def held_of_types(self, types: Sequence[str]) -> frozenset[str]: ...


class SyncEvidence(Protocol):
    """Fork evidence and what rests on a server key (storage.Evidence)."""

    def add_forks(self, forks: Iterable[Fork], origin: str) -> int: ...
    def forks(self) -> list[Fork]: ...
    def forget_server(self, trusted: Collection[str]) -> int: ...
    def unvouched(self) -> list[Unvouched]: ...
    def settle_unvouched(self, hashes: Sequence[str]) -> None: ...
    def certified_before(self, key: str, index: int) -> bool: ...
    def position(self, hash_: str) -> tuple[int, str] | None: ...
    def prove(self, spans: Mapping[str, tuple[int, int]]) -> None: ...


class SyncWitness(Protocol):
    """The server's heads this laptop verified, its partitions checked, and the evidence of
    its misbehaviour (storage.Witness)."""

    def newest(self) -> Record | None: ...
    def gossip(self) -> list[Record]: ...
    def keep_newest(self, head: Record) -> None: ...
    def drop_gossip(self, hashes: Sequence[str]) -> None: ...
    def forget_unproven(self, floors: Mapping[str, int]) -> int: ...
    def checked(self, partition: str) -> Any: ...
    def set_checked(self, states: dict[str, Any]) -> None: ...
    def entries(self, partition: str, start: int, upto: int) -> list[tuple[str, int, str]]: ...
    def partitions_seen(self, upto: int) -> set[str]: ...
    def add_evidence(
        self,
        kind: str,
        detail: str,
        first: Record | dict[str, Any],
        second: Record | dict[str, Any] | None,
    ) -> bool: ...


class SyncTrust(Protocol):
    """The trust the store holds (storage.TrustHeld)."""

    def trust(self, own: Mapping[str, bytes]) -> Trust | None: ...
    def anchor(self) -> bytes | None: ...


class SyncStore(Protocol):
    """What the engine needs from the local store (storage.Store): its outbox, its evidence,
    its trust, and its view of what is held (what the admission rule asks)."""

    @property
    def outbox(self) -> SyncOutbox: ...
    @property
    def evidence(self) -> SyncEvidence: ...
    @property
    def trust(self) -> SyncTrust: ...
    @property
    def view(self) -> HeldView: ...
    @property
    def witness(self) -> SyncWitness: ...

    def append(self, records: Sequence[Record], origin: str) -> list[bool]: ...
    def write(self) -> AbstractContextManager[None]: ...


@dataclass(frozen=True)
class Status:
    """What the status bar shows. ``online`` is None until the server was first tried."""

    state: str
    online: bool | None
    unsent: int
    last_sync: str | None
    last_error: str | None
    error_kind: str | None
    clock_offset: int | None = None  # seconds off the server's clock, when over tolerance
    # Records admitted from the server since this engine started: the window reloads what it
    # shows (states, the board, a sheet's history) when it changes.
    pulled: int = 0


@dataclass
class SyncResult:
    outcome: str = DONE
    sent: int = 0  # records the server stored from this laptop
    held: int = 0  # records the server had already (a retry, or a colleague's)
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # hash, reason, detail
    pulled: int = 0
    pull_problems: list[Problem] = field(default_factory=list)
    forks: int = 0  # fork evidence newly kept (from the server)
    resent: int = 0  # sent marks dropped because their server key is not trusted any more
    clock_offset: int | None = None  # seconds this laptop's clock is off, when over tolerance
    misbehaviour: list[tuple[str, str]] = field(default_factory=list)  # kind, detail (§10.6)
    error: str | None = None
    error_kind: str | None = None
    error_params: dict[str, str] = field(default_factory=dict)  # what its message names
    # What steps run after the records' sync found (``after``), by name: e.g. "photos".
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            **{k: v.to_json() for k, v in self.extra.items()},
            "outcome": self.outcome,
            "sent": self.sent,
            "held": self.held,
            "refused": [{"hash": h, "reason": r, "detail": d} for h, r, d in self.refused],
            "pulled": self.pulled,
            "pull_problems": [p.to_json() for p in self.pull_problems],
            "forks": self.forks,
            "resent": self.resent,
            "clock_offset": self.clock_offset,
            "misbehaviour": [{"kind": k, "detail": d} for k, d in self.misbehaviour],
            "error": self.error,
            "error_kind": self.error_kind,
        }


class _Cancelled(Exception):
    pass


TRUSTED_SERVERS = "trusted server keys"  # setting: the certified server keys last seen
# setting: the server, region and count of fork evidence (``forks_held``) of the last
# /v1/evidence kept whole: the next is asked only when health's count is another.
EVIDENCE_SEEN = "fork evidence seen"
# Records of an unknown signer logged (§10.6) kept as evidence from one pull: one proves the
# server's misbehaviour; a server that logs a million must not fill the laptop's disk with
# their proofs (the rest are counted in the sync's message, and no longer kept).
MAX_UNVOUCHED_KEPT = 16


class ServerMisbehaved(SyncError):
    """The server broke a promise its own signatures make (PROTOCOL §10.6): the evidence is
    kept and the sync stops, marking nothing sent on its word."""

    kind = "server_misbehaved"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SyncEngine:
    def __init__(
        self,
        store: SyncStore,
        client: ServerClient,
        *,
        jurisdiction: str | None,
        own_keys: Mapping[str, bytes] | None = None,
        batch_count: int = 500,
        batch_bytes: int = 2 * 1024 * 1024,
        page_size: int = 500,
        attempts: int = 4,
        backoff: Backoff | None = None,
        on_status: Callable[[Status], None] | None = None,
        after: Sequence[Callable[[SyncResult], None]] = (),
    ) -> None:
        self.store = store
        # Steps run once the records are synced, inside the same retries (photos, §9.8).
        self.after = tuple(after)
        self.client = client
        self.jurisdiction = jurisdiction
        self.own_keys = dict(own_keys or {})  # the officer's own key: known before certified
        self.batch_count = batch_count
        self.batch_bytes = batch_bytes
        self.page_size = page_size
        self.attempts = max(1, attempts)
        self.backoff = backoff or Backoff()
        self.on_status = on_status
        self.machine = Machine()
        self._cond = threading.Condition()
        self._cancelled = False
        self._poked = False
        self._counted = -1e9  # when the unsent records were last counted (monotonic)
        self._pull_trust: Trust | None = None  # what a pull's helper prechecks records against
        self._authority_held: frozenset[str] = frozenset()  # held when the pull started
        self._head: TreeHead | None = None  # the newest tree head verified in this sync
        self._server_key = b""
        self._forks_held: object = None  # health's count of fork evidence, as sent
        self._asked: float | None = None  # the last Retry-After the server sent
        self._status = Status(
            State.IDLE.value,
            None,
            store.outbox.unsent_count(),
            store.outbox.setting("last_sync"),
            None,
            None,
        )

    # -- thread-safe controls -----------------------------------------------------------------

    def cancel(self) -> None:
        """Stop now: a request in flight is cut (safe: every request is idempotent), then the
        engine stops at the next check, between requests."""
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()
        self.client.abort()

    def poke(self) -> None:
        """ "Sync now": end the current wait at once."""
        with self._cond:
            self._poked = True
            self._cond.notify_all()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if cancelled. A poke ends the sleep early."""
        with self._cond:
            self._cond.wait_for(lambda: self._cancelled or self._poked, timeout=seconds)
            self._poked = False
            return self._cancelled

    # -- status ---------------------------------------------------------------------------------

    @property
    def status(self) -> Status:
        return self._status

    def _emit(self, **changes: Any) -> None:
        self._status = replace(self._status, state=self.machine.state.value, **changes)
        if self.on_status is not None:
            self.on_status(self._status)

    def _go(self, state: State, **changes: Any) -> None:
        self.machine.go(state)
        self._emit(**changes)

    def _check_cancel(self) -> None:
        if self._cancelled:
            raise _Cancelled

    # -- the loop the window's worker runs ------------------------------------------------------

    def run(self, interval: float = 30.0) -> None:
        """Sync, wait, sync again, until cancelled; when offline, wait by backoff instead."""
        while not self._cancelled:
            result = self.sync()
            if self._cancelled:
                break
            delay = self._retry_delay(None) if result.outcome == UNREACHABLE else interval
            if self.wait(delay):
                break

    # -- one sync -------------------------------------------------------------------------------

    def sync(self) -> SyncResult:
        """Push everything, then pull everything; retry transient failures with backoff."""
        result = SyncResult()
        for attempt in range(self.attempts):
            try:
                self._check_cancel()
                self._go(State.PUSHING)
                self._handshake(result)
                self._push_all(result)
                self._go(State.PULLING)
                self._pull_all(result)
                self._pull_evidence(result)
                for step in self.after:
                    self._check_cancel()
                    step(result)
            except _Cancelled:
                self._go(State.IDLE)
                result.outcome = CANCELLED
                return result
            except SyncError as exc:
                result.error, result.error_kind = str(exc), exc.kind
                result.error_params = dict(exc.params)
                if not exc.transient:
                    self._go(State.IDLE, online=True, last_error=str(exc), error_kind=exc.kind)
                    result.outcome = FAILED
                    return result
                if attempt + 1 < self.attempts:
                    self._go(
                        State.BACKING_OFF, online=False, last_error=str(exc), error_kind=exc.kind
                    )
                    if self.wait(self._retry_delay(exc)):
                        self._go(State.IDLE)
                        result.outcome = CANCELLED
                        return result
                    continue
                self._asked = getattr(exc, "retry_after", None)
                self._go(State.OFFLINE, online=False, last_error=str(exc), error_kind=exc.kind)
                result.outcome = UNREACHABLE
                return result
            self.backoff.reset()
            # A retry offers a refused record again: list each refusal once.
            result.refused = list({h: (h, r, d) for h, r, d in result.refused}.values())
            result.pull_problems = list(
                {(p.record, p.kind): p for p in result.pull_problems}.values()
            )
            now = _now()
            self.store.outbox.set_setting("last_sync", now)
            result.outcome = REFUSED if (result.refused or result.pull_problems) else DONE
            result.error = result.error_kind = None
            result.error_params = {}
            self._go(State.IDLE, online=True, last_sync=now, last_error=None, error_kind=None)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_delay(self, exc: SyncError | None) -> float:
        """The backoff's delay, or longer if the server said when to come back (429/503
        Retry-After; ``exc`` None: the last failure's): thousands of laptops then spread
        over the time the server asked."""
        if exc is not None:
            self._asked = getattr(exc, "retry_after", None)
        return self.backoff.after(self._asked)

    def _handshake(self, result: SyncResult) -> None:
        """Learn the server's key and accept it only if the election authority certified it as
        this election's server (its certificates come with the answer and are admitted like
        any authority record): no trust on first use. Then hold the server to its log: its
        head must extend every head this laptop verified or was shown (§10.3). Sent marks and
        log positions resting on keys no longer certified are dropped (those records go up
        again). Compare the clocks."""
        # The size of the newest head kept asks for the proof that the server's head extends
        # it in the same answer (checked below, against that head once verified).
        health = self.client.health(_hinted_size(self.store.witness.newest()))
        try:
            public_key = bytes.fromhex(str(health["server_key"]))
            check_public_key(public_key)
        except (ValueError, BadPublicKey) as exc:
            raise BadAnswer(f"the server key is unusable: {exc}") from exc
        anchor = self.store.trust.anchor()
        if anchor is not None and health.get("authority_key_id") != key_id(anchor):
            raise SyncError("the server serves another election authority", "wrong_server")
        trust = self._admit_certificates(health.get("certificates"))
        if trust is None:
            raise SyncError("this folder holds no election package yet: import it first")
        now = _laptop_clock()
        server = key_id(public_key)
        if trust.server_certificate(server, now) is None and trust.has_server_certificate(server):
            # Certified, but not at this laptop's clock: a wrong clock or a lapsed certificate
            # the authority has yet to renew. No evidence: the server signed nothing false.
            raise SyncError(
                f"the server key {server[:16]}… has a certificate from the election authority,"
                " but none in force at this laptop's clock: check the laptop's date and time,"
                " or ask the authority to renew the server's certificate",
                "server_certificate_time",
            )
        if trust.server_certificate(server, now) is None:
            self._misbehaved(
                result,
                LogError(
                    "uncertified_server",
                    f"the server's key {server[:16]}… has no certificate from the election"
                    " authority: nothing was sent to it",
                ),
                _shown(health.get("head"), server),
                None,
            )
        self._server_key = public_key
        # What rests on server keys no longer certified is dropped when the set of certified
        # keys changes (a certificate or a revocation admitted), not at every sync: it reads
        # and may rewrite every sent mark.
        trusted = sorted(trust.server_keys())
        if self.store.outbox.setting(TRUSTED_SERVERS) != ",".join(trusted):
            dropped = self.store.evidence.forget_server(trusted)
            self.store.outbox.set_setting(TRUSTED_SERVERS, ",".join(trusted))
            if dropped:
                result.resent += dropped
                self._emit(unsent=self.store.outbox.unsent_count())
        head = self._parse_head(result, health.get("head"), trust)
        if head.server != server:
            self._misbehaved(
                result, LogError("bad_head", "the head is signed by another key"), head.record, None
            )
        self._head = None
        self._forks_held = health.get("forks_held")
        self._advance(result, head, trust, health.get("consistency"))
        self._check_gossip(result, head, trust)
        result.clock_offset = _clock_offset(health.get("time"))
        self._emit(online=True, clock_offset=result.clock_offset)

    def _admit_certificates(self, raw: Any) -> Trust | None:
        """The server's certificates, as it sent them, through the admission rule."""
        records = []
        for item in raw if isinstance(raw, list) else []:
            try:
                records.append(from_json(item))
            except EnvelopeError:
                continue  # what does not parse certifies nothing
        trust = self._trust()
        if trust is None or not records:
            return trust
        arrived = datetime.now(UTC).replace(microsecond=0)
        admission = admit(records, self.store.view, trust, arrivals=(arrived, None))
        if admission.admitted:
            self.store.append(admission.admitted, "server")
            return self._trust()
        return trust

    def _parse_head(self, result: SyncResult, raw: Any, trust: Trust) -> TreeHead:
        try:
            return log.parse_head(raw, trust)
        except LogError as exc:
            first = raw if isinstance(raw, dict) else {"head": repr(raw)[:200]}
            self._misbehaved(result, exc, first, None)

    def _advance(
        self, result: SyncResult, head: TreeHead, trust: Trust, carried: Any = None
    ) -> None:
        """Make ``head`` the newest verified, if it extends the newest one held (asking the
        server for the proof when the sizes differ, unless ``carried`` is it)."""
        if self._head is not None and head.hash == self._head.hash:
            return
        kept = self.store.witness.newest()
        old = self._head or (self._kept_head(kept, trust) if kept is not None else None)
        if old is not None:
            self._extends(result, old, head, carried)
        self.store.witness.keep_newest(head.record)
        self._head = head

    def _kept_head(self, record: Record, trust: Trust) -> TreeHead | None:
        try:
            return log.parse_head(record, trust)
        except LogError:
            return None  # its key is no longer certified: it proves nothing now

    def _extends(
        self, result: SyncResult, old: TreeHead, new: TreeHead, carried: Any = None
    ) -> None:
        """``new`` extends ``old`` (§10.3), by the server's consistency proof: ``carried``
        (the one the health answer brought) if it is between these two sizes, else asked.
        A proof that does not verify is asked for once more (a newer head may have raced
        it) before it is evidence; one that does not parse is a broken answer. A smaller
        head signed no later (stale), or a 404 for the proof, is settled by the heads the
        server signed."""
        for attempt in (1, 2):
            proof: list[bytes] = []
            if 0 < old.size < new.size:
                raw = _carried_proof(carried, old.size, new.size) if attempt == 1 else _ASK
                try:
                    if raw is _ASK:
                        raw = self.client.consistency(old.size, new.size)
                except NotHeld:
                    self._settle(result, new, old)
                try:
                    proof = log.hashes(raw, "the consistency proof", "bad_answer")
                except LogError as exc:
                    raise BadAnswer(str(exc)) from exc
            try:
                log.check_extends(old, new, proof)
                return
            except LogError as exc:
                if exc.kind == "stale":
                    self._settle(result, old, new)
                if exc.kind == "inconsistent" and attempt == 1:
                    continue
                self._misbehaved(result, exc, old.record, new.record)

    def _settle(self, result: SyncResult, held: TreeHead, shown: TreeHead) -> NoReturn:
        """The server showed ``shown`` where a head of ``held``'s size was due (a smaller head
        signed no later, or a 404 for a proof to ``held``): ask which heads it signed at that
        size. Each listed is checked (§10.2: one that is not valid is evidence by its name)
        and must be of that size (else the answer is broken). Another log than ``held``'s
        among them: ``forked``, whatever else is listed (two signed heads of one size that
        differ); else ``held`` among them: a stale answer, retried later; none: it denies a
        head it signed, ``rolled_back``."""
        trust = self._trust()
        assert trust is not None  # the handshake needed it
        listed = [self._parse_head(result, raw, trust) for raw in self.client.heads_at(held.size)]
        if any(h.size != held.size for h in listed):
            raise BadAnswer(f"the server listed heads of another size than {held.size}")
        other = next((h for h in listed if not log.same_log(h, held)), None)
        if other is not None:
            self._misbehaved(
                result,
                LogError("forked", f"two different logs of {held.size} entries"),
                held.record,
                other.record,
            )
        if listed:
            raise BadAnswer(
                f"the server answered with a head of {shown.size} entries, older than its head"
                f" of {held.size}: retried later"
            )
        self._misbehaved(
            result,
            LogError(
                "rolled_back",
                f"the server signed a head of {held.size} entries and now holds none of that"
                f" size (it shows {shown.size})",
            ),
            held.record,
            shown.record,
        )

    def _check_gossip(self, result: SyncResult, head: TreeHead, trust: Trust) -> None:
        """Heads other laptops showed this one (in bundles): the server's log must extend each
        (two laptops shown different histories find out here)."""
        done = []
        for record in self.store.witness.gossip():
            shown = self._kept_head(record, trust)
            if shown is not None:
                self._extends(result, shown, head)
            done.append(record.hash)
        if done:
            self.store.witness.drop_gossip(done)

    def _misbehaved(
        self,
        result: SyncResult,
        error: LogError,
        first: Record | dict[str, Any],
        second: Record | dict[str, Any] | None,
    ) -> NoReturn:
        """Keep the evidence, say it, stop: nothing more is sent to or taken from this server
        in this sync. What is not evidence (a stale head, a proof that does not parse) is a
        broken answer: nothing is kept, the sync is retried."""
        if error.kind in log.NOT_EVIDENCE:
            raise BadAnswer(str(error))
        self.store.witness.add_evidence(error.kind, str(error), first, second)
        result.misbehaviour.append((error.kind, str(error)))
        raise ServerMisbehaved(f"{log.EVIDENCE_KINDS.get(error.kind, error.kind)}: {error}")

    def _push_all(self, result: SyncResult) -> None:
        """Fork evidence the server has not had from us, then authority records (certificates
        before the sheets they certify), then the rest."""
        self._push_forks(result)
        self._ask_held(result)
        for authority in (True, False):
            self._push_kind(result, authority)
        self._emit(unsent=self.store.outbox.unsent_count())

    def _push_forks(self, result: SyncResult) -> None:
        forks = self.store.evidence.forks()
        mark = f"forks sent {key_id(self._server_key)}"
        if not forks or self.store.outbox.setting(mark) == str(len(forks)):
            return
        known = self._head
        answer = self.client.push_body(push_body([], forks), known.size if known else 0)
        self._check_answer(result, answer, [], known)
        self.store.outbox.set_setting(mark, str(len(forks)))

    def _ask_held(self, result: SyncResult) -> None:
        """First contact by hash (§9.9): the server is asked which of the unsent authority
        records (the package, certificates) its log holds already, and proves it like a
        push's receipt; those are marked sent without crossing the network. A national
        package is ~100 MB: sent once by whoever holds it first, never by every laptop."""
        after = 0
        while rows := self.store.outbox.unsent(after, self.batch_count, self.batch_bytes, True):
            self._check_cancel()
            after = rows[-1][0]
            known = self._head
            answer = self.client.push_held([r.hash for _, r in rows], known.size if known else 0)
            # The receipt lists only what the log holds; it is checked as a push's of those
            # records (each listed once, each proved included). A hash it leaves out is simply
            # pushed next: a server that hides what it holds costs itself a push, no more.
            # Only ``held`` may list anything, and only hashes asked: whatever else it lists
            # (a hash not asked, anything stored or refused) is checked against the records
            # it holds, which it is not among, and is bad_receipt (§9.9, stranger's GAP 105).
            # A receipt listing none of ours is checked all the same (its head too).
            try:
                said = parse_receipt(answer.receipt, self._server_key)
            except WireError as exc:
                raise BadAnswer(str(exc)) from exc
            ours = [r for _, r in rows if r.hash in said.held]
            receipt, partitions = self._check_answer(result, answer, ours, known)
            self.store.outbox.mark_sent([r.hash for r in ours], receipt, partitions)
            result.held += len(ours)

    def _push_kind(self, result: SyncResult, authority: bool) -> None:
        # One request in flight at a time, in order, each batch marked sent only from its own
        # verified receipt. Around it: while the server checks batch N, batch N+1 is read from
        # the store and encoded on this thread; as soon as N's answer comes, N+1 is sent, and
        # N's receipt is checked and its marks written while the server works on N+1. Each
        # request names the newest head held when it was sent, to be proved extended.
        batch = self._next_batch(0, authority)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="recap-push") as sender:
            sending = None
            known = self._head
            if batch is not None:
                self._check_cancel()
                testpoints.reach("before_send")
                sending = sender.submit(self._send, batch[1], known)
            while batch is not None and sending is not None:
                rows = batch[0]
                try:
                    batch = self._next_batch(rows[-1][0], authority)
                    answer = sending.result()
                    sending = None
                    # The next batch names the head this answer brings (checked below, before
                    # anything rests on it): each receipt proves the head before it extended.
                    sent_with, known = known, self._peek_head(answer) or self._head
                    if batch is not None:
                        self._check_cancel()
                        testpoints.reach("before_send")
                        sending = sender.submit(self._send, batch[1], known)
                    self._take_answer(result, rows, answer, sent_with)
                except BaseException:
                    if sending is not None:  # let the request in flight end, then stop
                        sending.cancel() or sending.exception()
                    raise

    def _peek_head(self, answer: PushAnswer) -> TreeHead | None:
        """The head an answer brings, if it verifies (its receipt is checked later)."""
        trust = self._trust()
        try:
            return log.parse_head(answer.head, trust) if trust is not None else None
        except LogError:
            return None

    def _send(self, body: bytes, known: TreeHead | None) -> PushAnswer:
        return self.client.push_body(body, known.size if known is not None else 0)

    def _next_batch(
        self, after: int, authority: bool
    ) -> tuple[list[tuple[int, Record]], bytes] | None:
        rows = self.store.outbox.unsent(after, self.batch_count, self.batch_bytes, authority)
        if not rows:
            return None
        return rows, push_body([r.to_json() for _, r in rows])

    def _check_answer(
        self,
        result: SyncResult,
        answer: PushAnswer,
        records: Sequence[Record],
        known: TreeHead | None,
    ) -> tuple[Receipt, dict[str, str]]:
        """The receipt, and the partition of each record it lists, once the log shows it
        holds them (§10.4): the receipt names a head signed by a certified server key that
        extends ``known``; the records stored now are the log's last entries, which appended
        to the tree before them give the head's root; each held one has its inclusion proof.
        Anything else is evidence, and nothing is marked sent."""
        try:
            receipt = parse_receipt(answer.receipt, self._server_key)
        except WireError as exc:
            raise BadAnswer(str(exc)) from exc
        trust = self._trust()
        assert trust is not None  # the handshake needed it
        head = self._parse_head(result, answer.head, trust)
        partitions = {r.hash: log.partition_of(r) for r in records}
        proofs = answer.proofs
        try:
            log.check_receipt(receipt, head, known, proofs, partitions, trust=trust)
        except LogError as exc:
            if known is None or exc.kind not in ("inconsistent", "stale"):
                self._misbehaved(result, exc, receipt.record, head.record)
            # The head against the one held when sent: asked again, or settled (§10.3).
            self._extends(result, known, head)
            try:
                log.check_receipt(receipt, head, None, proofs, partitions, trust=trust)
            except LogError as again:
                self._misbehaved(result, again, receipt.record, head.record)
        # The newest head held moves on with each receipt: proved from ``known`` by this
        # one, or, when another came in between, by a proof asked for.
        if self._head is None or (known is not None and self._head.hash == known.hash):
            self.store.witness.keep_newest(head.record)
            self._head = head
        else:
            self._advance(result, head, trust)
        return receipt, partitions

    def _take_answer(
        self,
        result: SyncResult,
        batch: list[tuple[int, Record]],
        answer: PushAnswer,
        known: TreeHead | None,
    ) -> None:
        receipt, partitions = self._check_answer(result, answer, [r for _, r in batch], known)
        testpoints.reach("after_server_commit")
        holds = receipt.holds
        sent = [r.hash for _, r in batch if r.hash in holds]
        self.store.outbox.mark_sent(sent, receipt, partitions)
        details = {
            x.hash: (str(x.reason), x.detail or "") for x in answer.results if x.status == "refused"
        }
        ours = {r.hash for _, r in batch}
        refused = [
            (name, *details.get(name, (reason, "")))
            for name, _item, reason in receipt.refused
            if name is not None and name in ours
        ]
        self.store.outbox.note_refused(refused)
        result.sent += sum(1 for _, r in batch if r.hash in receipt.stored)
        result.held += sum(1 for _, r in batch if r.hash in receipt.held)
        result.refused.extend(refused)
        # Counting the unsent records reads the whole store: at most once a second.
        now = time.monotonic()
        if now - self._counted >= 1.0:
            self._counted = now
            self._emit(unsent=self.store.outbox.unsent_count())

    def _trust(self) -> Trust | None:
        return self.store.trust.trust(self.own_keys)

    def _pull_all(self, result: SyncResult) -> None:
        if self.jurisdiction is None:
            return
        # Pages hold whole partitions (§10.5), so a cursor of the time before must not go on.
        cursor_key = f"log cursor {self.client.base_url} {self.jurisdiction}"
        ranges = log.needed_ranges(self.jurisdiction)
        report_from = int(self.store.outbox.setting(cursor_key) or 0)
        for attempt in (1, 2):
            since = int(self.store.outbox.setting(cursor_key) or 0)
            last = self._pull_pages(result, cursor_key, since, ranges, report_from)
            if last is None or self._head is None:
                return
            head = self._head
            try:
                proved = self._check_partitions(head, ranges, last.partitions)
            except LogError as exc:
                if attempt == 2:
                    self._misbehaved(result, exc, head.record, None)
                # A page may have crossed a commit: forget what pulls said of these
                # partitions since each last added up (its own floor: what was proved stays,
                # whichever failed), and pull them again once, from the lowest floor.
                floors = {n: self._floor(n, head.size) for n in self._partitions_of(ranges)}
                with self.store.write():
                    self.store.witness.forget_unproven(floors)
                    self.store.outbox.set_setting(cursor_key, str(min(floors.values(), default=0)))
                report_from = last.next
                continue
            self._judge_unvouched(result, head, ranges, proved, last.partitions)
            return

    def _judge_unvouched(
        self,
        result: SyncResult,
        head: TreeHead,
        ranges: list[tuple[str, str]],
        proved: Mapping[str, log.PartitionState],
        proofs: Any,
    ) -> None:
        """Records pulled and refused ``unknown_signer`` (kept with their pages), judged now
        that ``head`` proved this laptop's partitions complete (PROTOCOL §10.6,
        ``unknown_signer_logged``). An honest server admits no record before a certificate
        of its signer whose jurisdiction contains the record's place, and logs that
        certificate in one of ``log.vouching_partitions`` of the record's partition, below
        it. When all of those are among the partitions just proved, this laptop learnt every
        entry of them below the head; if no certificate of the signer it admitted lies below
        the record's index, the server logged a record it had to refuse. A certificate logged
        later (at or past the record's index) excuses nothing: it was not there when the
        record was. One the laptop refused (not the authority's, malformed) excuses nothing
        either: the server had to refuse it as well. The evidence (the head, the record, its
        entry with its inclusion proof in its partition, and the partitions' proofs as sent)
        is kept and the sync stops, like any evidence; the record stays refused, and the next
        sync goes on from the cursor past it."""
        waiting = self.store.evidence.unvouched()
        if not waiting:
            return
        # Judged under this sync's head whatever server key signed the page it came in: a
        # server that rotated keys must not escape by answering every later sync under its
        # other key. A record of another log cannot be accused: its partition's entries, as
        # kept, must rebuild the root this head proves (below).
        witness = self.store.witness
        settled: list[str] = []
        found: list[tuple[str, dict[str, Any]]] = []
        beyond = 0
        for entry in waiting:
            if entry.index >= head.size:
                continue  # not yet covered by a checked head
            vouching = log.vouching_partitions(entry.partition)
            if not all(log.in_ranges(n, ranges) for n in vouching):
                continue  # left for a pull that checks them all (another jurisdiction's)
            if self.store.evidence.certified_before(entry.record.signer, entry.index):
                settled.append(entry.hash)  # vouched for after all (pulled again, in order)
                continue
            if len(found) >= MAX_UNVOUCHED_KEPT:
                settled.append(entry.hash)  # one proves it; more are counted, not kept
                beyond += 1
                continue
            rows = witness.entries(entry.partition, 0, head.size)
            state = proved.get(entry.partition)
            try:
                position, size, root, path = log.partition_inclusion(
                    entry.partition, rows, entry.index
                )
            except KeyError:
                continue  # its position is not kept: nothing to show, nothing accused
            if state is None or (size, root) != (state.size, state.root):
                continue  # the positions kept do not rebuild what was just checked
            settled.append(entry.hash)
            detail = (
                f"entry {entry.index} ({entry.hash[:16]}…, a {entry.record.type} of partition"
                f" {entry.partition or '(authority)'}) is signed by"
                f" {entry.record.signer[:16]}…, and no certificate of that key lies before it"
                f" in partitions {', '.join(repr(n) for n in vouching)}, proved complete by"
                f" the head of {head.size} entries"
            )
            found.append(
                (
                    detail,
                    {
                        "record": entry.record.to_json(),
                        "entry": {
                            "hash": entry.hash,
                            "index": entry.index,
                            "partition": entry.partition,
                            "received": entry.received,
                        },
                        "inclusion": {
                            "position": position,
                            "size": size,
                            "root": root.hex(),
                            "proof": [h.hex() for h in path],
                        },
                        "vouching": vouching,
                        "partitions": proofs,
                    },
                )
            )
        kind = "unknown_signer_logged"
        # The evidence and the judgement together: a failure between them must neither keep
        # evidence of a record still waiting (judged again under a later head: kept twice)
        # nor settle one whose evidence was not kept.
        with self.store.write():
            for detail, shown in found:
                self.store.witness.add_evidence(kind, detail, head.record, shown)
            self.store.evidence.settle_unvouched(settled)
        for detail, _ in found:
            result.misbehaviour.append((kind, detail))
        if found:
            more = len(found) - 1 + beyond
            raise ServerMisbehaved(
                f"{log.EVIDENCE_KINDS[kind]}: {found[0][0]}"
                + (f" (and {more} more)" if more else "")
            )

    def _partitions_of(self, ranges: list[tuple[str, str]]) -> set[str]:
        """The partitions of ``ranges`` this laptop learnt entries of (below any size)."""
        seen = self.store.witness.partitions_seen(log.MAX_COUNT)
        return {p for p in seen if log.in_ranges(p, ranges)}

    def _pull_pages(
        self,
        result: SyncResult,
        cursor_key: str,
        since: int,
        ranges: list[tuple[str, str]],
        report_from: int,
    ) -> _Page | None:
        """Every page from ``since``, admitted and stored in order; returns the last. The
        records refused at ``report_from`` or later are reported."""
        trust = self._trust()
        if trust is None:
            return None
        server = key_id(self._server_key)
        jurisdiction = self.jurisdiction
        assert jurisdiction is not None
        self._pull_trust = trust
        # The certificates and revocation lists held when the pull starts: the helper thread
        # fetches the bodies of those a page names and this laptop lacks (§9.5) without
        # touching the store; the engine thread checks against the store again.
        self._authority_held = self.store.outbox.held_of_types(sorted(_AUTHORITY_TYPES))
        # The next page is fetched, parsed and checked record by record (``precheck``: the
        # signature and every check of the record alone) on a helper thread while this one is
        # admitted against the store (chains, references, what is held) and stored: the
        # server builds it on its own core meanwhile, and libsodium and SQLite let go of the
        # GIL. Pages are still admitted and stored strictly in order, one at a time, on this
        # thread, and a record's precheck counts only if the Trust it used is still in force.
        last: _Page | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="recap-pull") as fetcher:
            self._check_cancel()
            ahead: Future[_Page] | None = fetcher.submit(self._fetch_page, jurisdiction, since)
            try:
                while ahead is not None:
                    page = ahead.result()
                    ahead = None
                    self._check_cancel()
                    if page.error is not None:
                        raise BadAnswer(f"a pull page is malformed: {page.error}")
                    if page.more:
                        ahead = fetcher.submit(self._fetch_page, jurisdiction, page.next)
                    testpoints.reach("during_pull")
                    head = self._parse_head(result, page.head, trust)
                    if not page.more and page.next != head.size:
                        raise BadAnswer(
                            f"the last pull page ends at {page.next}, not at its head's size"
                            f" {head.size}"
                        )
                    self._advance(result, head, trust)
                    # Indices (and the partitions the page gives) before anything it names
                    # is fetched; then a named certificate's, from its body (_named).
                    self._check_entries(result, page, head, ranges)
                    page = self._named(result, page, head)
                    self._check_entries(result, page, head, ranges)
                    index_of = {h: i for h, i, _, _ in page.positions}
                    page = self._accounted(page, head)
                    admission = admit(
                        page.records,
                        self.store.view,
                        trust,
                        arrivals=page.arrivals,
                        prechecked=page.prechecked,
                    )
                    self.store.outbox.append_pulled(
                        admission.admitted,
                        cursor_key,
                        str(page.next),
                        positions=page.positions,
                        server=server,
                        unvouched=_unvouched(page, admission.problems, server),
                        proven=False,  # the server's word until the partitions' check
                    )
                    if admission.forks:
                        result.forks += self.store.evidence.add_forks(admission.forks, "server")
                    if admission.trust is not None and admission.trust is not trust:
                        trust = self._trust() or admission.trust
                    self._pull_trust = trust  # the next pages' prechecks use it from now on
                    result.pulled += len(admission.admitted)
                    if admission.admitted:
                        self._emit(pulled=self._status.pulled + len(admission.admitted))
                    # Pulled again after partitions that did not add up: what was refused
                    # before is not reported twice.
                    result.pull_problems.extend(p for i, p in page.unreadable if i >= report_from)
                    result.pull_problems.extend(
                        p
                        for p in admission.problems
                        if p.record is None or index_of.get(p.record, report_from) >= report_from
                    )
                    last = page
            finally:
                if ahead is not None:  # stopped early: let the request in flight end
                    ahead.cancel() or ahead.exception()
        return last

    def _named(self, result: SyncResult, page: _Page, head: TreeHead) -> _Page:
        """The page with the authority records it names by hash (§9.5) put in their log
        places among its records. One this laptop holds is not fetched again, but must be
        of the kind named. An election package it lacks is fetched once by hash, streamed
        and bounded; certificates and revocation lists it lacks are fetched together, by
        hash (``_authority_bodies``). Each must be the record named (else the answer is
        broken); each is then admitted by §5 like any pulled record. A certificate's entry
        takes the partition of its body (its jurisdiction's, §10.2), held or fetched: the
        server's word for it would let a misplaced certificate pass unseen."""
        if not page.packages and not page.authority:
            return page
        rows: list[tuple[int, Record, Arrival, Precheck | None]] = [
            (arrival[1] or 0, record, arrival, check)
            for record, arrival, check in zip(
                page.records, page.arrivals, page.prechecked, strict=True
            )
        ]
        kinds = [
            (page.packages, _PACKAGE_TYPES, "a package"),
            (page.authority, _AUTHORITY_TYPES, "a certificate or revocation list"),
        ]
        held = self.store.view.held([h for named, _, _ in kinds for h, _, _ in named])
        partition: dict[str, str] = {}
        for named, types, what in kinds:
            for hash_, index, _seen in named:
                if hash_ not in held:
                    continue
                mine = self.store.view.record(hash_)
                if mine is None or mine.type not in types:  # its leaf would be another's
                    raise BadAnswer(f"entry {index} names {hash_[:16]}… as {what}: it is not")
                partition[hash_] = log.partition_of(mine)
        for hash_, index, seen in page.packages:
            if hash_ in held:
                continue
            self._check_cancel()
            answer = self.client.package_by_hash(hash_)
            try:
                record = from_json(answer["records"][0])
            except EnvelopeError as exc:
                raise BadAnswer(f"the package {hash_[:16]}… is malformed: {exc}") from exc
            if record.hash != hash_ or record.type != "election":
                raise BadAnswer(f"the server's answer is not the package {hash_[:16]}…")
            rows.append((index, record, (seen, index), None))
        lacking = [(h, i, seen) for h, i, seen in page.authority if h not in held]
        missing = [h for h, _, _ in lacking if h not in page.fetched]
        # The helper thread asked for every one the laptop lacked when the pull started
        # (once); what it did not get, or was not asked, is asked for here.
        bodies = {h: (r, c) for h, (r, c) in page.fetched.items()}
        if missing:
            tries = 1 if all(h in page.asked for h in missing) else 2
            for h, record in self._authority_bodies(result, missing, head, tries).items():
                bodies[h] = (record, None)
        rows += [(i, bodies[h][0], (seen, i), bodies[h][1]) for h, i, seen in lacking]
        rows.sort(key=lambda row: row[0])
        partition |= {h: log.partition_of(bodies[h][0]) for h, _, _ in lacking}
        return replace(
            page,
            records=[r[1] for r in rows],
            arrivals=[r[2] for r in rows],
            prechecked=[r[3] for r in rows],
            positions=[(h, i, t, partition.get(h, p)) for h, i, t, p in page.positions],
        )

    def _authority_bodies(
        self, result: SyncResult, wanted: list[str], head: TreeHead, tries: int = 2
    ) -> dict[str, Record]:
        """The certificates and revocation lists of ``wanted``, which a page named by hash and
        this laptop lacks (§9.5), asked for ``tries`` times at most (twice in all). One not
        answered then: the server withholds what its signed log holds, evidence kept with
        the page's head. A wrong answer raises BadAnswer (``_ask_authority``)."""
        got: dict[str, Record] = {}
        for _attempt in range(tries):
            self._check_cancel()
            got |= self._ask_authority([h for h in wanted if h not in got])
            if len(got) == len(wanted):
                return got
        missing = [h for h in wanted if h not in got]
        self._misbehaved(
            result,
            LogError(
                "withheld",
                f"the pull page named {len(missing)} authority record(s) of the log (first"
                f" {missing[0][:16]}…) that the server, asked twice, did not send",
            ),
            head.record,
            None,
        )

    def _ask_authority(self, wanted: list[str]) -> dict[str, Record]:
        """One ask for the bodies of ``wanted``, at most MAX_AUTHORITY_FETCH a request: each
        record answered must parse, be a certificate or revocation list, have been asked and
        come once, else the answer is broken (BadAnswer). Those not answered are left out."""
        got: dict[str, Record] = {}
        for start in range(0, len(wanted), MAX_AUTHORITY_FETCH):
            asked = wanted[start : start + MAX_AUTHORITY_FETCH]
            expected = set(asked)
            for raw in self.client.authority_records(asked):
                try:
                    record = from_json(raw)
                except EnvelopeError as exc:
                    raise BadAnswer(f"an authority record is malformed: {exc}") from exc
                if record.hash not in expected or record.hash in got:
                    raise BadAnswer(
                        f"the server answered {record.hash[:16]}…, which was not asked for"
                        " or came twice"
                    )
                if record.type not in _AUTHORITY_TYPES:
                    raise BadAnswer(
                        f"the server answered {record.hash[:16]}… as an authority record:"
                        f" it is a {record.type}"
                    )
                got[record.hash] = record
        return got

    def _check_entries(
        self, result: SyncResult, page: _Page, head: TreeHead, ranges: list[tuple[str, str]]
    ) -> None:
        """Every entry lies below the page's head, in one of the partitions asked for."""
        for hash_, index, _received, partition in page.positions:
            if index >= head.size or not log.in_ranges(partition, ranges):
                self._misbehaved(
                    result,
                    LogError(
                        "misplaced",
                        f"entry {index} ({hash_[:16]}…, partition {partition!r}) is not one"
                        f" this page of a log of {head.size} entries may hold",
                    ),
                    head.record,
                    None,
                )

    def _check_partitions(
        self, head: TreeHead, ranges: list[tuple[str, str]], proofs: Any
    ) -> dict[str, log.PartitionState]:
        """Completeness (§10.5): the head proves each partition of this laptop's ranges (its
        size and root); the entries this laptop learnt of in each, rebuilt into its tree from
        where it was last checked, must give that size and root. A partition the head leaves
        out must hold nothing this laptop learnt of. Raises LogError; keeps the states checked
        only when every partition adds up, and with them proves the positions pulled that
        each rebuild took (``Evidence.prove``): until then they decide nothing (§5.4).
        Returns what the head proves of each partition."""
        proved = log.check_ranges(head, ranges, proofs)
        witness = self.store.witness
        seen = {p for p in witness.partitions_seen(head.size) if log.in_ranges(p, ranges)}
        states = {}
        spans = {}
        for name in sorted(set(proved) | seen):
            state = proved.get(name, log.PartitionState(0, merkle.EMPTY_ROOT))
            checked = witness.checked(name)
            if checked.checked > head.size:
                checked = type(checked)(0, [], 0)  # checked against a longer log: again
            rows = witness.entries(name, checked.checked, head.size)
            size, frontier = log.check_partition(
                name, state, checked.size, checked.frontier, rows, head.size
            )
            states[name] = type(checked)(size, frontier, head.size)
            spans[name] = (checked.checked, head.size)
        with self.store.write():
            witness.set_checked(states)
            self.store.evidence.prove(spans)
        return proved

    def _floor(self, partition: str, size: int) -> int:
        """Where ``partition`` was last proved to add up, for a log of ``size`` entries: its
        entries below are known, each with its proved position (§10.5); 0 if it never was,
        or was checked against a longer log (then it is rebuilt from 0)."""
        checked = int(self.store.witness.checked(partition).checked)
        return checked if checked <= size else 0

    def _accounted(self, page: _Page, head: TreeHead) -> _Page:
        """The page without what it says below the floor of each entry's partition (§10.5):
        that part of the partition was proved, entry by entry, so an entry shown there says
        nothing new. Its position is not kept (no later check would rebuild it), and its
        record, if not held, is admitted with the position proved for it, if any, and as
        seen now (or when the log proved the server held it): never by the page's word."""
        floors = {n: self._floor(n, head.size) for n in {p[3] for p in page.positions}}
        below = {(h, i) for h, i, _, n in page.positions if i < floors[n]}
        if not below:
            return page
        now = datetime.now(UTC).replace(microsecond=0)
        arrivals = list(page.arrivals)
        prechecked = list(page.prechecked)
        for k, (record, (_seen, index)) in enumerate(zip(page.records, page.arrivals, strict=True)):
            if (record.hash, index) not in below:
                continue
            known = self.store.evidence.position(record.hash)
            if known is None:
                arrivals[k] = (now, None)
            else:
                try:
                    logged = min(now, parse_time(known[1], "received"))
                except ElectionError:
                    logged = now
                arrivals[k] = (logged, known[0])
            prechecked[k] = None  # checked with the page's word: checked again in place
        return replace(
            page,
            arrivals=arrivals,
            prechecked=prechecked,
            positions=[p for p in page.positions if (p[0], p[1]) not in below],
        )

    def _fetch_page(self, jurisdiction: str, since: int) -> _Page:
        """On the helper thread: fetch one page, parse it, precheck its records against the
        Trust in force now. Never touches the store; a malformed page is reported, not raised,
        so that the engine thread sees a cancel first, as before."""
        answer = self.client.pull(jurisdiction, since, self.page_size)
        try:
            page = parse_page(answer, since)
        except WireError as exc:
            return _Page([], [], [], 0, False, [], [], str(exc), None, None, [], [])
        arrived = datetime.now(UTC).replace(microsecond=0)
        good = [e for e in page.entries if e.record is not None]
        records = [e.record for e in good if e.record is not None]
        packages = [e for e in page.entries if e.package is not None]
        authority = [e for e in page.entries if e.authority is not None]
        unreadable = [
            (e.index, Problem(e.claimed, "malformed", e.error or "unreadable"))
            for e in page.entries if e.record is None and e.package is None and e.authority is None
        ]  # fmt: skip
        # Seen: when the server's log took it, or now if that is earlier (PROTOCOL §5.4).
        arrivals: list[Arrival] = [(min(e.received, arrived), e.index) for e in good]
        positions = [
            (r.hash, e.index, format_time(e.received), log.partition_of(r))
            for r, e in zip(records, good, strict=True)
        ]
        # An authority record named by hash: a package is of the partition "" (§10.2); a
        # certificate's partition is its body's, which the engine thread puts here (_named).
        positions += [
            (name, e.index, format_time(e.received), "")
            for e in packages + authority
            if (name := e.package or e.authority)
        ]
        positions.sort(key=lambda p: p[1])
        # The bodies of the authority records named that this laptop lacked when the pull
        # started, asked for here, off the engine thread, and prechecked with the page.
        asked = [
            e.authority
            for e in authority
            if e.authority and e.authority not in self._authority_held
        ]
        try:
            got = self._ask_authority(asked) if asked and not self._cancelled else {}
        except BadAnswer as exc:
            return _Page([], [], [], 0, False, [], [], str(exc), None, None, [], [])
        fetched = list(got.values())
        seen_at = {e.authority: min(e.received, arrived) for e in authority}
        trust = self._pull_trust
        prechecked: list[Precheck | None] = [None] * len(records)
        step = 50
        for start in range(0, len(records), step):
            # Cancelled: the engine stops at its next check, these would never be used.
            if self._cancelled or trust is None:
                break
            try:
                prechecked[start : start + step] = precheck(
                    records[start : start + step], trust, arrivals[start : start + step]
                )
            except Exception:  # left to check in place, which raises it as before
                continue
        checks: list[Precheck | None] = [None] * len(fetched)
        if fetched and trust is not None and not self._cancelled:
            index_of = {e.authority: e.index for e in authority}
            try:
                checks = list(
                    precheck(
                        fetched,
                        trust,
                        [(seen_at[r.hash], index_of[r.hash]) for r in fetched],
                    )
                )
            except Exception:  # left to check in place
                pass
        return _Page(
            records,
            arrivals,
            positions,
            page.next,
            page.more,
            prechecked,
            unreadable,
            None,
            page.head,
            page.partitions,
            [(e.package, e.index, min(e.received, arrived)) for e in packages if e.package],
            [(e.authority, e.index, min(e.received, arrived)) for e in authority if e.authority],
            {r.hash: (r, c) for r, c in zip(fetched, checks, strict=True)},
            frozenset(asked),
        )

    def _pull_evidence(self, result: SyncResult) -> None:
        """The forks the server holds proof of in this laptop's region: kept here too. Asked
        only when health's count of them (``forks_held``) is not the count the last answer
        kept whole from this server for this region was read at, or when health sends no
        count: a server that hides evidence could as well answer none, so skipping trusts
        it with nothing more."""
        if self.jurisdiction is None:
            return
        trust = self._trust()
        if trust is None:
            return
        held = self._forks_held
        where = f"{key_id(self._server_key)}:{self.jurisdiction}:"
        if type(held) is int and held >= 0:
            if held == 0 or self.store.outbox.setting(EVIDENCE_SEEN) == f"{where}{held}":
                return
        answer = self.client.evidence(self.jurisdiction)
        pairs = answer.get("forks")
        forks = []
        # Kept as seen only whole: a pair that did not check (a certificate may yet make it),
        # or no list, is asked for again at the next sync.
        whole = isinstance(pairs, list)
        if not whole:
            result.pull_problems.append(Problem(None, "malformed", "fork evidence: no list"))
        for pair in pairs if isinstance(pairs, list) else []:
            try:
                forks.append(check_fork(pair, trust))
            except WireError as exc:
                whole = False
                result.pull_problems.append(Problem(None, "malformed", f"fork evidence: {exc}"))
        if forks:
            result.forks += self.store.evidence.add_forks(forks, "server")
        # The count the answer was read at, not health's: a replica behind (or another
        # worker) may have answered this with fewer pairs than health counted.
        read_at = answer.get("forks_held")
        if whole and type(read_at) is int and read_at >= 0:
            self.store.outbox.set_setting(EVIDENCE_SEEN, f"{where}{read_at}")


# What a page's entry may name by hash (§9.5): a package, or a certificate or revocation list.
_PACKAGE_TYPES = frozenset({"election"})
_AUTHORITY_TYPES = frozenset({"certificate", "revocations"})


def _hinted_size(record: Record | None) -> int:
    """The size a kept head claims, to ask for a proof from it: a hint only (the proof is
    checked against the head once the trust has verified it)."""
    size = record.payload.get("size") if record is not None else None
    return size if type(size) is int and size > 0 else 0


_ASK = object()  # no proof came for these sizes: ask for it


def _carried_proof(carried: Any, first: int, second: int) -> Any:
    """The proof a health answer carried, as sent (checked as an asked one: not a list of
    hashes is a broken answer), if it says it is the one from ``first`` to ``second``;
    else ``_ASK``."""
    if (
        isinstance(carried, dict)
        and type(carried.get("first")) is int
        and type(carried.get("second")) is int
        and (carried["first"], carried["second"]) == (first, second)
    ):
        return carried.get("proof")
    return _ASK


def _laptop_clock() -> datetime:
    """This laptop's clock, which the handshake holds the server's certificate to."""
    return datetime.now(UTC)


def _clock_offset(server_time: Any) -> int | None:
    """Seconds this laptop's clock is ahead (+) or behind (-) the server's, when more than
    the protocol's tolerance; None when within it (or the server did not say)."""
    try:
        theirs = parse_time(server_time, "time")
    except ElectionError:
        return None
    offset = int((datetime.now(UTC) - theirs).total_seconds())
    return offset if abs(offset) > CLOCK_TOLERANCE.total_seconds() else None


@dataclass(frozen=True)
class _Page:
    """A pull page as the helper thread hands it over: parsed, its records prechecked."""

    records: list[Record]
    arrivals: list[Arrival]
    positions: list[tuple[str, int, str, str]]  # (hash, log index, when taken, partition)
    next: int
    more: bool
    prechecked: list[Precheck | None]
    unreadable: list[tuple[int, Problem]]  # (index, why) of records that did not parse
    error: str | None
    head: Any  # the tree head as sent
    partitions: Any  # the last page's partition proofs, as sent
    packages: list[tuple[str, int, datetime]]  # (hash, log index, seen): named, not sent
    authority: list[tuple[str, int, datetime]]  # certificates, revocation lists: the same
    # Their bodies the helper thread fetched (those lacking when the pull started), each with
    # its precheck, and the hashes it asked for.
    fetched: dict[str, tuple[Record, Precheck | None]] = field(default_factory=dict)
    asked: frozenset[str] = frozenset()


def _unvouched(page: _Page, problems: Sequence[Problem], server: str) -> list[Unvouched]:
    """The page's records refused ``unknown_signer``, each where the log put it: kept with
    the page until the partitions' check judges them (``SyncEngine._judge_unvouched``)."""
    unknown = {p.record for p in problems if p.kind == "unknown_signer" and p.record}
    if not unknown:
        return []
    where = {h: (i, t, n) for h, i, t, n in page.positions}
    return [
        Unvouched(r.hash, *where[r.hash], server, r)
        for r in page.records
        if r.hash in unknown and r.hash in where
    ]


def _shown(raw: Any, server: str) -> dict[str, Any]:
    """What a server showed, kept as evidence even when it is not a record."""
    return raw if isinstance(raw, dict) else {"server_key_id": server, "head": None}
