"""A supervisor's requirement of double entry for a region: signing one, and asking whether
a station lies under one in force (a laptop then refuses a sheet typed once)."""

from __future__ import annotations

from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.double_entry import Requirement, requiring_region
from recap_desktop.domain.election import in_region, parse_time
from recap_desktop.services import regions as region_service
from recap_desktop.services.admission import admit_own
from recap_desktop.services.workspace import RecapError, Workspace


def require_double_entry(
    ws: Workspace, key: SigningKey, region: str, required: bool = True
) -> Record:
    """Sign a ``requirement`` for ``region`` (a region or station of the package); refused
    up front, as the admission rule would refuse it, unless the key is a supervisor's
    certified for a region containing it."""
    from recap_desktop.services.sheets import check_mandate, next_link  # sheets imports us

    election = region_service.outline(ws)
    if ws.store.places.region(region) is None and ws.store.places.station(region) is None:
        raise RecapError("requirement.unknown_region", region=region)
    mine = [c for c in ws.store.keys.certificates() if c["key_id"] == key.key_id]
    if not any(c["role"] == "supervisor" for c in mine):
        # An uncertified key's requirement would bind no one: only a supervisor's counts.
        raise RecapError("requirement.role")
    check_mandate(ws, key, region, "requirement")
    payload = {
        "type": "requirement",
        **next_link(ws, key),
        "election": election.id,
        "region": region,
        "double_entry": required,
    }
    record = sign(key, payload)
    admit_own(ws, record)
    return record


def double_entry_required(ws: Workspace, station: str) -> str | None:
    """The region whose requirement in force makes ``station`` need double entry, or None.
    A requirement counts only if a supervisor certificate of its signer, not revoked, covers
    its region and its time (the standing of PROTOCOL §5.4, items 2 to 5)."""
    certs = [c for c in ws.store.keys.certificates() if c["role"] == "supervisor"]
    revoked = ws.store.keys.revoked()
    found = []
    for row in ws.store.records.rows(types=["requirement"]):
        record = row.record
        if record is None or record.signer in revoked:
            continue
        p = record.payload
        region, flag = p.get("region"), p.get("double_entry")
        if not isinstance(region, str) or not isinstance(flag, bool):
            continue
        moment = parse_time(p["time"], "time")
        if any(
            c["key_id"] == record.signer
            and in_region(region, str(c["jurisdiction"]))
            and parse_time(c["valid_from"], "from") <= moment <= parse_time(c["valid_until"], "u")
            for c in certs
        ):
            found.append(Requirement(record.signer, record.seq or 0, region, flag))
    return requiring_region(found, station)
