"""What this laptop holds the central server to (docs/PROTOCOL.md §10), for `recap log` and
the window: the newest tree head it verified, the partitions it checked complete, the heads
other laptops showed it, and the evidence it kept of the server's misbehaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from recap_desktop.services.workspace import Workspace
from recap_desktop.storage.witness import Misbehaviour


@dataclass(frozen=True)
class LogState:
    head: dict[str, Any] | None  # the newest verified head's payload
    partitions: list[str]
    gossip: int
    evidence: list[Misbehaviour] = field(default_factory=list)
    # Every head kept, as signed (newest, relied on, gossip): later evidence cites them, and
    # an auditor checks them (`recap audit --head`).
    heads: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "head": self.head,
            "partitions": self.partitions,
            "gossip": self.gossip,
            "heads": self.heads,
            "evidence": [
                {
                    "kind": e.kind,
                    "detail": e.detail,
                    "found": e.found,
                    "server": e.server,
                    "first": e.first,
                    "second": e.second,
                }
                for e in self.evidence
            ],
        }


def log_state(ws: Workspace) -> LogState:
    witness = ws.store.witness
    newest = witness.newest()
    return LogState(
        dict(newest.payload) if newest is not None else None,
        witness.checked_partitions(),
        len(witness.gossip()),
        witness.evidence(),
        [h.to_json() for h in witness.kept()],
    )


def receipts(ws: Workspace) -> list[dict[str, Any]]:
    """The server's signed receipts this laptop keeps, newest first: when, which server, how
    many records it stored, held already or refused. The records themselves are checked
    against them by `recap verify` (PROTOCOL §10.4); this is what the officer can show."""
    out = []
    for record in ws.store.outbox.receipts():
        payload = record.payload
        out.append(
            {
                "hash": record.hash,
                "server": str(payload.get("server", "")),
                "time": str(payload.get("time", "")),
                "stored": len(payload.get("stored") or []),
                "held": len(payload.get("held") or []),
                "refused": len(payload.get("refused") or []),
            }
        )
    out.reverse()
    return out
