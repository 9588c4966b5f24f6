"""USB bundles: the push batch format in a file, imported with the same verification as a pull."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from recap_desktop.crypto import keystore
from recap_desktop.crypto.canonical import CanonicalError, parse_json
from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json
from recap_desktop.crypto.verifier import Problem
from recap_desktop.services.election import authority_key
from recap_desktop.services.workspace import RecapError, Workspace
from recap_desktop.sync.client import BATCH_FORMAT, batch_bytes
from recap_desktop.sync.incoming import check_incoming


@dataclass
class BundleImport:
    added: int = 0
    already: int = 0
    problems: list[Problem] = field(default_factory=list)


def export_bundle(ws: Workspace, out: Path) -> int:
    """Every record the store holds, oldest first; returns how many."""
    records: list[Record] = []
    for row in ws.store.records.rows():
        if row.record is None:
            raise RecapError("bundle.damaged_store", hash=row.hash, detail=row.error)
        records.append(row.record)
    try:
        keystore.atomic_write(Path(out), batch_bytes([r.to_json() for r in records]) + b"\n")
    except OSError as exc:
        raise RecapError("file.unwritable", path=out, detail=exc.strerror or exc) from exc
    return len(records)


def import_bundle(ws: Workspace, data: bytes, source: str) -> BundleImport:
    """Verify each record against what the store holds; keep those that pass, report the rest.

    Imported records stay unsent: the next sync carries them to the server.
    """
    try:
        doc = parse_json(data)
        if not isinstance(doc, dict) or doc.get("format") != BATCH_FORMAT:
            raise EnvelopeError(f"the format is not {BATCH_FORMAT}")
        if not isinstance(doc.get("records"), list):
            raise EnvelopeError("records must be a list")
    except (CanonicalError, EnvelopeError) as exc:
        raise RecapError("bundle.unreadable", path=source, detail=exc) from exc
    records: list[Record] = []
    malformed: list[Problem] = []
    for item in doc["records"]:
        try:
            records.append(from_json(item))
        except EnvelopeError as exc:  # one bad record is refused, as the server would
            claimed = item.get("hash") if isinstance(item, dict) else None
            malformed.append(
                Problem(claimed if isinstance(claimed, str) else None, "malformed", str(exc))
            )
    store = ws.store
    checked = check_incoming(
        records,
        authority_key=authority_key(ws),
        held_authority=store.records.authority_records(),
        known_keys=store.keys.known(),
        is_held=store.records.is_held,
        lookup=store.records.get,
        chain_head=store.integrity.chain_head,
    )
    ws.append(checked.accepted, "bundle")
    return BundleImport(len(checked.accepted), len(checked.already), malformed + checked.problems)
