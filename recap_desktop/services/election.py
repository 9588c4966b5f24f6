"""Import and show the election package, the trust anchor of a data folder."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from recap_desktop.crypto.canonical import CanonicalError, parse_json
from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json
from recap_desktop.crypto.keys import BadPublicKey, check_public_key, key_id
from recap_desktop.domain.election import Election, ElectionError, format_time
from recap_desktop.protocol.admit import admit
from recap_desktop.protocol.trust import Certificate, Trust
from recap_desktop.services.admission import own_keys
from recap_desktop.services.workspace import RecapError, Workspace

PACKAGE_FORMAT = "recap-election-package/1"


def package_file(authority_public_key: bytes, records: list[Record]) -> dict[str, Any]:
    return {
        "format": PACKAGE_FORMAT,
        "authority_key": authority_public_key.hex(),
        "records": [r.to_json() for r in records],
    }


def authority_key(ws: Workspace) -> bytes:
    anchor = ws.store.trust.anchor()
    if anchor is None:
        raise RecapError("election.missing")
    return anchor


def _parse_file(data: bytes, source: str) -> tuple[bytes, list[Record]]:
    try:
        doc = parse_json(data)
        if not isinstance(doc, dict) or doc.get("format") != PACKAGE_FORMAT:
            raise EnvelopeError(f"the format is not {PACKAGE_FORMAT}")
        public_key = bytes.fromhex(str(doc.get("authority_key")))
        check_public_key(public_key)
        if not isinstance(doc.get("records"), list):
            raise EnvelopeError("records must be a list")
        records = [from_json(r) for r in doc["records"]]
    except (CanonicalError, EnvelopeError, BadPublicKey, ValueError) as exc:
        raise RecapError("election.unreadable", path=source, detail=exc) from exc
    return public_key, records


DEMO, REAL = "demo", "real"


def folder_kind(ws: Workspace) -> str | None:
    """'demo' or 'real', as the folder was set up; None before its first package."""
    kind = ws.store.keys.folder()
    if kind is not None:
        return kind
    held = ws.store.keys.known("authority")
    if not held:
        return None
    # A folder from before the kind was written down: what its pinned authority makes it.
    from recap_desktop.services.demo import demo_anchor

    kind = DEMO if set(held) <= demo_anchor() else REAL
    ws.store.keys.set_folder(kind)
    return kind


def import_election(
    ws: Workspace,
    data: bytes,
    source: str,
    *,
    trust_authority: str | None = None,
    now: datetime | None = None,
    demo: bool = False,
) -> tuple[Election, bool]:
    """Check and import a package file; returns the election and whether anything changed.

    The trust anchors (PROTOCOL §5.1): a DEMO folder (``demo``: `recap demo init`) trusts
    only the DEMO authority; a real folder never trusts it, and pins its authority at the
    first import by the fingerprint the officer gives. A fingerprint given must match,
    whatever the folder. Then, each refusing with nothing changed: the authority's signature
    on every record, contents, expiry, version not older than held, and the admission rule
    every door applies to authority records.
    """
    from recap_desktop.services.demo import demo_anchor

    public_key, records = _parse_file(data, source)
    anchor_id = key_id(public_key)
    kind = folder_kind(ws)
    is_demo = anchor_id in demo_anchor()
    wanted = (trust_authority or "").replace(" ", "").lower()
    if wanted and (len(wanted) < 16 or not anchor_id.startswith(wanted)):
        raise RecapError("election.fingerprint_mismatch", given=wanted, fingerprint=anchor_id[:16])
    if is_demo and (kind == REAL or (kind is None and not demo)):
        raise RecapError("election.demo_in_real")
    if not is_demo and (kind == DEMO or demo):
        raise RecapError("election.real_in_demo")
    held_anchor = ws.store.keys.known("authority")
    if held_anchor and anchor_id not in held_anchor:
        raise RecapError(
            "election.other_authority",
            fingerprint=anchor_id[:16],
            held=next(iter(held_anchor))[:16],
        )
    if not held_anchor and not is_demo and not wanted:
        raise RecapError("election.untrusted", fingerprint=anchor_id[:16])
    for record in records:
        if record.signer != anchor_id or not record.verify_signature(public_key):
            raise RecapError("election.bad_signature")
    packages = [r for r in records if r.type == "election"]
    if len(packages) != 1:
        raise RecapError("election.invalid", detail="a package file holds exactly one election")
    try:
        election = Election.from_payload(packages[0].payload)
    except ElectionError as exc:
        raise RecapError("election.invalid", detail=exc) from exc
    for record in records:
        if record.type == "certificate":
            try:
                cert = Certificate.from_record(record)
            except ValueError as exc:
                raise RecapError("election.invalid", detail=exc) from exc
            if cert.election != election.id:
                raise RecapError("election.invalid", detail="a certificate is for another election")
        elif record.type not in ("election", "revocations"):
            raise RecapError("election.invalid", detail=f"unexpected {record.type} record")
    moment = now or datetime.now(UTC)
    if election.expires <= moment:
        raise RecapError("election.expired", expires=format_time(election.expires))
    held = ws.store.package.election()
    if held is not None:
        if held.id != election.id:
            raise RecapError("election.other", other=election.id, held=held.id)
        if election.version < held.version:
            raise RecapError("election.older", version=election.version, held=held.version)
        if election.version == held.version and ws.store.package.hash() != packages[0].hash:
            raise RecapError("election.conflict", version=election.version)
    _check_revocations(ws, election, [r for r in records if r.type == "revocations"])
    # The rule every door applies (the records above pass it; a file is a door too).
    base = ws.store.trust.trust(own_keys(ws)) if held_anchor else Trust(public_key)
    assert base is not None
    admission = admit(records, ws.store.view, base, arrivals=(moment.replace(microsecond=0), None))
    if admission.problems:
        problem = admission.problems[0]
        raise RecapError("election.invalid", detail=f"{problem.kind}: {problem.detail}")
    if not held_anchor:
        ws.store.keys.add(anchor_id, public_key, "authority")
    if kind is None:
        ws.store.keys.set_folder(DEMO if is_demo else REAL)
    added = ws.append(admission.admitted, "import")
    return election, any(added)


def _check_revocations(ws: Workspace, election: Election, lists: list[Record]) -> None:
    """A revocation list never rolls back: refuse one for another election, one older than
    the list held, and a different list under the version held (TUF's rollback and
    mix-and-match attacks)."""
    held: dict[int, str] = {}
    for row in ws.store.records.rows(["revocations"]):
        r = row.record
        if r is not None and r.payload.get("election") == election.id:
            version = r.payload.get("version")
            if isinstance(version, int):
                held[version] = r.hash
    newest = max(held, default=0)
    for record in lists:
        version = record.payload.get("version")
        if record.payload.get("election") != election.id:
            raise RecapError("election.invalid", detail="a revocation list is for another election")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise RecapError("election.invalid", detail="a revocation list has no valid version")
        if version < newest:
            raise RecapError("revocations.older", version=version, held=newest)
        if version in held and held[version] != record.hash:
            raise RecapError("revocations.conflict", version=version)


def has_election(ws: Workspace) -> bool:
    """Whether this folder holds an election package yet (the first-run wizard's question):
    answered from the package table, without parsing the package (the window asks before
    its first paint)."""
    return ws.store.package.hash() is not None


def current_election(ws: Workspace) -> Election:
    election = ws.store.package.election()
    if election is None:
        raise RecapError("election.missing")
    return election


def election_json(election: Election, lang: str = "en") -> dict[str, Any]:
    return {
        "election": election.id,
        "version": election.version,
        "name": dict(election.name),
        "issued": format_time(election.issued),
        "expires": format_time(election.expires),
        "contests": [
            {
                "id": c.id,
                "name": dict(c.name),
                "kind": c.kind,
                "choices": [
                    {
                        "id": ch.id,
                        "number": ch.number,
                        "name": ch.name,
                        "candidates": [
                            {"id": cd.id, "number": cd.number, "name": cd.name}
                            for cd in ch.candidates
                        ],
                    }
                    for ch in c.choices
                ],
                "fields": list(c.form.field_ids),
            }
            for c in election.contests.values()
        ],
        "regions": [
            {"code": r.code, "name": r.name, "level": r.level, "parent": r.parent}
            for r in election.regions.values()
        ],
        "stations": [
            {
                "code": s.code,
                "region": s.region,
                "name": s.name,
                "registered": s.registered,
                "contests": list(s.contests),
            }
            for s in election.stations.values()
        ],
    }
