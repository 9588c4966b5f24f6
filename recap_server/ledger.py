"""What the server does with a batch: admit each record by the one rule, keep it once, and
answer with a receipt.

Whether a record may enter is the protocol's ``admit``, the same function laptops, bundles
and `recap verify` call; the server supplies its view of what it holds (its storage) and its
clock. It adds what only it can see: every signer's chain across laptops, so forks become
evidence it keeps and serves, and an order of arrival (its log) that a revocation is judged
against.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json, sign
from recap_desktop.crypto.keys import SigningKey, key_id
from recap_desktop.domain.election import Election, format_time
from recap_desktop.protocol.admit import ADMITTED, HELD, Fork, admit
from recap_desktop.protocol.trust import AUTHORITY_TYPES, Trust, build_trust
from recap_desktop.protocol.wire import BATCH_FORMAT, WireError, check_fork
from recap_server.storage import Position, ServerStorage, parse_received

STORED, REFUSED = "stored", "refused"
__all__ = ["BATCH_FORMAT", "HELD", "REFUSED", "STORED", "Ledger", "Outcome"]
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
MAX_DETAIL = 200  # characters of a refusal's sentence: an answer never echoes a sender's bulk


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
        self._lock = threading.Lock()
        self._trust: Trust | None = None

    # -- trust ------------------------------------------------------------------------------

    def trust(self) -> Trust:
        """Built once from the authority records held, each judged as it arrived (its
        received time and log index); kept up to date by each push."""
        if self._trust is None:
            rows = [
                (record, parse_received(received), index)
                for record, received, index in self.storage.authority_rows()
            ]
            trust, _ = build_trust(self.authority_key, rows)
            self._trust = trust.with_forks(self.storage.forks())
        return self._trust

    def election(self) -> Election | None:
        election = self.trust().election
        assert election is None or isinstance(election, Election)  # built from packages
        return election

    def import_authority(self, records: Sequence[Record]) -> list[Outcome]:
        """Load an election package file's records (set-up, not a push): same rule."""
        return self.push([r.to_json() for r in records])[0]

    # -- push -------------------------------------------------------------------------------

    def push(self, raw: Sequence[Any], forks: Sequence[Any] = ()) -> tuple[list[Outcome], Record]:
        """Admit and store a batch; returns the answer per record and the signed receipt.
        ``forks``: evidence the laptop passes on; each pair that proves a fork is kept."""
        with self._lock:
            self._take_forks(forks)
            return self._push(raw)

    def _take_forks(self, pairs: Sequence[Any]) -> None:
        trust = self.trust()
        found: dict[str, int] = {}
        received = format_time(self.clock())
        for pair in pairs:
            try:
                fork = check_fork(pair, trust)
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
            self._trust = trust

    def _push(self, raw: Sequence[Any]) -> tuple[list[Outcome], Record]:
        items: list[Record | Outcome] = []
        malformed: list[tuple[int, Outcome]] = []
        for i, item in enumerate(raw):
            try:
                items.append(from_json(item))
            except EnvelopeError as exc:
                # Named by what the sender claimed only if it looks like a hash: a refused
                # item's bulk is never copied into the answer or the receipt.
                claimed = item.get("hash") if isinstance(item, dict) else None
                name = claimed if isinstance(claimed, str) and _HEX64.match(claimed) else ""
                outcome = Outcome(name, REFUSED, "malformed", str(exc)[:MAX_DETAIL])
                items.append(outcome)
                malformed.append((i, outcome))
        records = [r for r in items if isinstance(r, Record)]
        now = self.clock()
        before = self.trust()
        admission = admit(records, self.storage, before, arrivals=(now, None))
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

        def receipt(positions: Mapping[str, Position]) -> Record:
            return self._receipt(outcomes, malformed, {**held_positions, **positions}, received)

        made = self.storage.commit(
            stored,
            receipt,
            received=received,
            trust=trust,
            restate_signers=_changed_signers(before, trust, stored),
            keep_receipt=bool(stored),
        )
        if any(r.type in AUTHORITY_TYPES for r in stored) or admission.forks:
            self._trust = trust
        return outcomes, made

    def _receipt(
        self,
        outcomes: Sequence[Outcome],
        malformed: Sequence[tuple[int, Outcome]],
        positions: Mapping[str, Position],
        received: str,
    ) -> Record:
        """What the server computed of a batch, signed: every hash in it is one the server
        computed from a record it parsed (an item it could not parse is named by its place
        in the batch), with the log index and received time of each record stored or held."""
        election = self.election()
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


def _changed_signers(before: Trust, after: Trust, stored: Sequence[Record]) -> list[str]:
    """Keys whose records' standing a batch may have changed: newly certified, revoked (or
    with a revocation now placed in the log), or newly forked."""
    out = [str(r.payload.get("key_id")) for r in stored if r.type == "certificate"]
    for key in set(before.revoked) | set(after.revoked):
        if before.revoked.get(key) != after.revoked.get(key):
            out.append(key)
    out += [s for s, q in after.forks.items() if before.forks.get(s) != q]
    return out
