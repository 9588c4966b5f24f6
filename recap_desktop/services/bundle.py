"""USB bundles: the push batch format in a file, admitted by the same rule as a pull."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from recap_desktop.crypto import keystore
from recap_desktop.crypto.canonical import CanonicalError, parse_json
from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json
from recap_desktop.protocol.problems import Problem
from recap_desktop.protocol.wire import (
    MAX_BUNDLE_BYTES,
    MAX_BUNDLE_FORKS,
    MAX_BUNDLE_RECORDS,
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
    data = batch_bytes([r.to_json() for r in records], forks) + b"\n"
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
    return out
