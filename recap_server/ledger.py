"""What the server does with a batch: verify every record, keep it once, answer with a receipt.

The checks are the desktop's (``crypto.verifier``): one algorithm for laptops, bundles and the
server. The server adds what only it can see: the chains of every signer across laptops, and
equivocation (one signer, one sequence number, two different records).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from recap_desktop.crypto.envelope import CHAINED_TYPES, EnvelopeError, Record, from_json, sign
from recap_desktop.crypto.keys import SigningKey, key_id
from recap_desktop.crypto.verifier import (
    AUTHORITY_TYPES,
    ERROR,
    Certificate,
    Trust,
    build_trust,
    check_record,
)
from recap_desktop.domain.election import Election, ElectionError
from recap_server.storage import ServerStorage

STORED, HELD, REFUSED = "stored", "held", "refused"
BATCH_FORMAT = "recap-batch/1"


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


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Ledger:
    """The server's use cases over a storage; safe to call from the server's threads."""

    def __init__(self, storage: ServerStorage, server_key: SigningKey, authority_key: bytes):
        self.storage = storage
        self.server_key = server_key
        self.authority_key = authority_key
        self._lock = threading.Lock()
        self._trust: Trust | None = None

    # -- trust ------------------------------------------------------------------------------

    def trust(self) -> Trust:
        if self._trust is None:
            self._trust, _ = build_trust(self.authority_key, self.storage.authority_records())
        return self._trust

    def election(self) -> Election | None:
        return self.trust().election

    def import_authority(self, records: Sequence[Record]) -> list[Outcome]:
        """Load an election package file's records (set-up, not a push): same checks."""
        return self.push([r.to_json() for r in records])[0]

    # -- push -------------------------------------------------------------------------------

    def push(self, raw: Sequence[Any]) -> tuple[list[Outcome], Record]:
        """Verify and store a batch; returns the answer per record and the signed receipt."""
        with self._lock:
            return self._push(raw)

    def _push(self, raw: Sequence[Any]) -> tuple[list[Outcome], Record]:
        parsed: list[Record | Outcome] = []
        for item in raw:
            try:
                parsed.append(from_json(item))
            except EnvelopeError as exc:
                claimed = item.get("hash") if isinstance(item, dict) else None
                parsed.append(
                    Outcome(
                        claimed if isinstance(claimed, str) else "", REFUSED, "malformed", str(exc)
                    )
                )
        held = self.storage.held(r.hash for r in parsed if isinstance(r, Record))
        trust = self.trust()
        authority: list[Record] | None = None  # read only if the batch brings authority records
        accepted: dict[str, Record] = {}
        heads: dict[str, tuple[int, str]] = {}
        batch_seqs: dict[tuple[str, int], str] = {}  # (signer, seq) -> hash, accepted here
        outcomes: list[Outcome] = []
        received = _now()
        for item in parsed:
            if isinstance(item, Outcome):
                outcomes.append(item)
                continue
            record = item
            if record.hash in held or record.hash in accepted:
                outcomes.append(Outcome(record.hash, HELD))
                continue
            if record.type in AUTHORITY_TYPES:
                refusal = self._check_authority(record, trust)
                if refusal is None:
                    accepted[record.hash] = record
                    if authority is None:
                        authority = self.storage.authority_records()
                    authority.append(record)
                    trust, _ = build_trust(self.authority_key, authority)
            else:
                refusal = self._check_officer(record, trust, accepted, heads, received, batch_seqs)
                if refusal is None:
                    accepted[record.hash] = record
                    if record.seq is not None:
                        heads[record.signer] = (record.seq, record.hash)
                        batch_seqs[(record.signer, record.seq)] = record.hash
            outcomes.append(refusal or Outcome(record.hash, STORED))
        receipt = self._receipt(outcomes, received)
        stored = [accepted[o.hash] for o in outcomes if o.status == STORED]
        self.storage.commit(stored, receipt)
        if any(r.type in AUTHORITY_TYPES for r in stored):
            self._trust = None
        return outcomes, receipt

    def _check_authority(self, record: Record, trust: Trust) -> Outcome | None:
        problems = check_record(record, trust)
        if problems:
            return Outcome(record.hash, REFUSED, problems[0].kind, problems[0].detail)
        election = trust.election
        try:
            if record.type == "election":
                offered = Election.from_payload(record.payload)
                if election is not None and offered.id != election.id:
                    return Outcome(record.hash, REFUSED, "wrong_election", offered.id)
                # Every version is kept; an older one never becomes current (build_trust
                # chooses the newest), so it is stored rather than refused.
            elif record.type == "certificate":
                cert = Certificate.from_record(record)
                if election is None or cert.election != election.id:
                    return Outcome(record.hash, REFUSED, "wrong_election", cert.election)
            elif record.payload.get("election") != (election.id if election else None):
                return Outcome(record.hash, REFUSED, "wrong_election", "revocations")
        except (ValueError, ElectionError) as exc:
            return Outcome(record.hash, REFUSED, "malformed", str(exc))
        return None

    def _check_officer(
        self,
        record: Record,
        trust: Trust,
        accepted: dict[str, Record],
        heads: dict[str, tuple[int, str]],
        received: str,
        batch_seqs: dict[tuple[str, int], str],
    ) -> Outcome | None:
        # The server knows no key outside certificates, so an uncertified signer is an
        # "unknown_signer" error here, never the laptop's "not yet certified" notice.
        errors = [p for p in check_record(record, trust) if p.severity == ERROR]
        if errors:
            return Outcome(record.hash, REFUSED, errors[0].kind, errors[0].detail)
        assert record.type in CHAINED_TYPES and record.seq is not None
        other = self.storage.hash_at(record.signer, record.seq)
        if other is None:
            # Accepted earlier in this batch: a dict, not a scan of every accepted record
            # (that scan made a push quadratic in the batch size).
            other = batch_seqs.get((record.signer, record.seq))
        if other is not None and other != record.hash:
            self.storage.record_equivocation(record, other, received)
            return Outcome(
                record.hash,
                REFUSED,
                "equivocation",
                f"signer {record.signer[:16]}… already signed record {record.seq} as {other[:16]}…",
            )
        head = heads.get(record.signer) or self.storage.chain_head(record.signer)
        want = 1 if head is None else head[0] + 1
        if record.seq != want:
            return Outcome(
                record.hash, REFUSED, "chain_gap", f"record {record.seq} sent, {want} expected next"
            )
        if head is not None and record.prev != head[1]:
            return Outcome(record.hash, REFUSED, "chain_prev", f"does not follow {head[1][:16]}…")
        p = record.payload
        for ref in ("supersedes", "sheet"):
            target = p.get(ref)
            if not isinstance(target, str):
                continue
            other_record = accepted.get(target) or self.storage.record(target)
            if other_record is None or other_record.type != "sheet":
                return Outcome(record.hash, REFUSED, "dangling", f"{ref} {target[:16]}… not held")
            if (other_record.payload.get("station"), other_record.payload.get("contest")) != (
                p.get("station"),
                p.get("contest"),
            ):
                return Outcome(record.hash, REFUSED, "dangling", f"{ref} is another station's")
        return None

    def _receipt(self, outcomes: Sequence[Outcome], received: str) -> Record:
        election = self.election()
        return sign(
            self.server_key,
            {
                "type": "receipt",
                "server": self.server_key.key_id,
                "time": received,
                "election": election.id if election else None,
                "stored": [o.hash for o in outcomes if o.status == STORED],
                "held": [o.hash for o in outcomes if o.status == HELD],
                "refused": [
                    {"hash": o.hash, "reason": o.reason} for o in outcomes if o.status == REFUSED
                ],
            },
        )

    # -- reading ----------------------------------------------------------------------------

    def authority_key_id(self) -> str:
        return key_id(self.authority_key)
