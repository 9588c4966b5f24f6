"""USB bundles: the push batch format in a file, admitted by the same rule as a pull."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from recap_desktop.crypto import keystore
from recap_desktop.crypto.canonical import CanonicalError, parse_json
from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json
from recap_desktop.protocol.log import LogError, parse_head, same_log
from recap_desktop.protocol.problems import Problem
from recap_desktop.protocol.wire import (
    MAX_BUNDLE_BYTES,
    MAX_BUNDLE_FORKS,
    MAX_BUNDLE_RECORDS,
    MAX_HEADS,
    WireError,
    batch_bytes,
    check_fork,
    parse_batch,
)
from recap_desktop.services.admission import admit_into, trust
from recap_desktop.services.workspace import RecapError, Workspace


@dataclass
class BundleImport:
    added: int = 0
    already: int = 0
    forks: int = 0  # fork evidence newly kept
    problems: list[Problem] = field(default_factory=list)
    heads: int = 0  # the server's tree heads newly learnt, to check at the next sync
    misbehaviour: list[tuple[str, str]] = field(default_factory=list)  # kind, detail (§10.6)


def export_bundle(ws: Workspace, out: Path) -> int:
    """Every record the store holds, in the order it arrived (so every chain goes up one by
    one), and the fork evidence it keeps; returns how many records."""
    records: list[Record] = []
    for row in ws.store.records.rows():
        if row.record is None:
            raise RecapError("bundle.damaged_store", hash=row.hash, detail=row.error)
        records.append(row.record)
    forks = ws.store.evidence.forks()
    if len(records) > MAX_BUNDLE_RECORDS or len(forks) > MAX_BUNDLE_FORKS:
        raise RecapError("bundle.too_large", records=len(records), limit=MAX_BUNDLE_RECORDS)
    # The newest head and the latest it replaced (each relied on): bounded like a batch.
    witness = ws.store.witness
    newest = witness.newest()
    kept = ([newest] if newest is not None else []) + witness.relied()
    heads = [h.to_json() for h in kept[:MAX_HEADS]]
    data = batch_bytes([r.to_json() for r in records], forks, heads) + b"\n"
    if len(data) > MAX_BUNDLE_BYTES:
        raise RecapError("bundle.too_large", records=len(records), limit=MAX_BUNDLE_RECORDS)
    try:
        keystore.atomic_write(Path(out), data)
    except OSError as exc:
        raise RecapError("file.unwritable", path=out, detail=exc.strerror or exc) from exc
    return len(records)


def import_bundle(ws: Workspace, data: bytes, source: str) -> BundleImport:
    """Admit each record by the rule every door applies; keep those admitted and the fork
    evidence that proves a fork; report the rest. Bounded like a push: a file larger than
    any laptop's records is refused whole, before it is read.

    Imported records stay unsent: the next sync carries them to the server.
    """
    if len(data) > MAX_BUNDLE_BYTES:
        raise RecapError("bundle.unreadable", path=source, detail=f"over {MAX_BUNDLE_BYTES} bytes")
    try:
        batch = parse_batch(parse_json(data), max_records=MAX_BUNDLE_RECORDS)
    except (CanonicalError, WireError) as exc:
        raise RecapError("bundle.unreadable", path=source, detail=exc) from exc
    records: list[Record] = []
    malformed: list[Problem] = []
    for item in batch.items:
        try:
            records.append(from_json(item))
        except EnvelopeError as exc:  # one bad record is refused, as the server would
            claimed = item.get("hash") if isinstance(item, dict) else None
            name = claimed if isinstance(claimed, str) and len(claimed) == 64 else None
            malformed.append(Problem(name, "malformed", str(exc)[:200]))
    admission = admit_into(ws, records, "bundle")
    out = BundleImport(
        len(admission.admitted), len(admission.already), problems=malformed + admission.problems
    )
    held = trust(ws)
    forks = []
    for pair in batch.forks:
        try:
            forks.append(check_fork(pair, held))
        except WireError as exc:
            out.problems.append(Problem(None, "malformed", f"fork evidence: {exc}"))
    out.forks = ws.store.evidence.add_forks(forks, "bundle") + len(admission.forks)
    _take_heads(ws, batch.heads, out)
    return out


def _take_heads(ws: Workspace, raw: list[object], out: BundleImport) -> None:
    """The server's tree heads another laptop verified (gossip, PROTOCOL §10.7), checked like
    the server's own: a head of the same size as any head held (the newest, one relied on,
    gossip) that describes another log (root, partitions root or count) is a fork of the
    server's history, found here; any other is kept, and the next sync asks the server to
    prove its log extends it."""
    held = trust(ws)
    witness = ws.store.witness
    mine = []
    for record in witness.kept():
        try:
            mine.append(parse_head(record, held))
        except LogError:
            continue  # its key is no longer certified: it proves nothing now
    for item in raw:
        try:
            shown = parse_head(item, held)
        except LogError as exc:
            out.problems.append(Problem(None, "malformed", f"tree head: {exc}"))
            continue
        if any(h.hash == shown.hash for h in mine):
            continue
        other = next((h for h in mine if h.size == shown.size and not same_log(h, shown)), None)
        if other is not None:
            detail = f"two different logs of {other.size} entries"
            witness.add_evidence("forked", detail, other.record, shown.record)
            out.misbehaviour.append(("forked", detail))
            # Histories that parted once differ at every later size: one pair shows it (the
            # newest head first, as exported); the rest would be the same fork again.
            return
        if witness.keep_gossip(shown.record):
            out.heads += 1
            mine.append(shown)
