"""What the sync trials share: the real server in a thread, demo laptops, and the checks that
count lost and duplicated records, unsent outboxes and receipts that do not verify.

The server is recap_server's FastAPI app under uvicorn on 127.0.0.1 (tests/sync_support.py);
laptops are `recap demo init` data folders copied from a template made once per process.
"""

from __future__ import annotations

from collections import defaultdict

from recap_desktop.crypto.envelope import Record, signing_message
from recap_desktop.crypto.keys import verify_signature
from recap_desktop.services.verify import verify_store
from reliability.common import TrialResult
from tests.sync_support import Laptop, LiveServer, laptop_hashes, server_hashes

__all__ = ["Laptop", "LiveServer", "check_converged", "laptop_hashes", "server_hashes"]


def server_key(server: LiveServer) -> bytes:
    return bytes.fromhex(server.get("/v1/health")["server_key"])


def server_records(server: LiveServer) -> list[Record]:
    storage = server.ledger.storage
    rows = storage._query("SELECT hash, signer, payload, sig FROM records ORDER BY id")  # type: ignore[attr-defined]
    return [storage._parse(r) for r in rows]  # type: ignore[attr-defined]


def receipts_verify(laptop: Laptop, key: bytes, result: TrialResult, tag: str) -> None:
    for receipt in laptop.ws.store.outbox.receipts():
        good = verify_signature(
            key, bytes.fromhex(receipt.sig), signing_message("receipt", receipt.canonical)
        )
        result.count("receipts verified" if good else "receipts NOT verified")
        if not good:
            result.fail(f"{tag}: receipt {receipt.hash[:16]} does not verify")


def server_chains(server: LiveServer, result: TrialResult, *, complete: bool) -> None:
    """Every signer's records on the server link to the one before (prev = hash at seq - 1);
    with ``complete``, each chain is 1..n without a gap."""
    by_signer: dict[str, dict[int, Record]] = defaultdict(dict)
    for record in server_records(server):
        if record.seq is not None:
            if record.seq in by_signer[record.signer]:
                result.fail(f"server: two records at {record.signer[:12]} seq {record.seq}")
            by_signer[record.signer][record.seq] = record
    for signer, chain in by_signer.items():
        for seq, record in chain.items():
            before = chain.get(seq - 1)
            if before is not None and record.prev != before.hash:
                result.fail(f"server: {signer[:12]} seq {seq} does not link to seq {seq - 1}")
        if complete and sorted(chain) != list(range(1, len(chain) + 1)):
            result.fail(f"server: {signer[:12]} chain has gaps: {sorted(chain)[:10]}")
    result.count("server chains checked", len(by_signer))


def check_converged(
    server: LiveServer, laptops: list[Laptop], result: TrialResult, tag: str
) -> None:
    """After every laptop synced with no faults: lost 0, duplicated 0, outboxes empty, every
    receipt verifies, every store and the server's chains verify, laptops equal the server."""
    held = server_hashes(server)
    union: set[str] = set()
    for laptop in laptops:
        union |= set(laptop_hashes(laptop))
    lost = union - set(held)
    duplicated = len(held) - len(set(held))
    result.count("lost", len(lost))
    result.count("duplicated", duplicated)
    if lost:
        result.fail(f"{tag}: {len(lost)} records lost, e.g. {sorted(lost)[:2]}")
    if duplicated:
        result.fail(f"{tag}: {duplicated} duplicated records on the server")
    extra = set(held) - union
    if extra:
        result.fail(f"{tag}: the server holds {len(extra)} records no laptop has")
    key = server_key(server)
    for i, laptop in enumerate(laptops):
        unsent = laptop.ws.store.outbox.unsent_count()
        if unsent:
            result.fail(f"{tag}: laptop {i} still has {unsent} unsent")
        if set(laptop_hashes(laptop)) != set(held):
            result.fail(f"{tag}: laptop {i} differs from the server after syncing")
        receipts_verify(laptop, key, result, f"{tag} laptop {i}")
        report = verify_store(laptop.ws)
        if not report.ok:
            result.fail(f"{tag}: laptop {i} does not verify: {report.errors[:2]}")
    server_chains(server, result, complete=True)
