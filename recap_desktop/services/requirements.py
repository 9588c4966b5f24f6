"""A supervisor's requirement of double entry for a region: signing one, and asking whether
a station lies under one in force (a laptop then refuses a sheet typed once)."""

from __future__ import annotations

from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.double_entry import Requirement, requiring_region
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
    Only requirements that may count (standing none, PROTOCOL §5.4, as every other record's
    is judged: certificate, time seen, revocation by log position, forks) are weighed, as in
    force and as lifting an earlier one (§6.3)."""
    found = [
        Requirement(record.signer, record.seq or 0, record.payload["region"], flag)
        for record, why in ws.store.records.requirements()
        if why is None and isinstance(flag := record.payload.get("double_entry"), bool)
    ]
    return requiring_region(found, station)
