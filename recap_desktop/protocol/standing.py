"""Whether a verified officer record may count: the signer's standing for that record.

One function for the doors (where a record without standing is refused, or kept with a
notice), for `recap verify`, and for the projections of the laptops and the server (where a
record without standing is set aside and shown to a supervisor). Standing changes as trust
does: a certificate arriving makes a laptop's early sheets count; a revocation stops a key's
records counting unless the server's log puts them before it.

Nothing here reads a record's claimed time as an order: the claim must lie within a
certificate, and the record must also have been *seen* (by the holder, or by the server as
its log says) before the certificate ended, so that a key cannot back-date a record into a
certificate that has run out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from recap_desktop.domain.election import in_region
from recap_desktop.protocol.trust import EXACT_PLACE, ROLES_FOR_TYPE, Mandate, Revocation


def standing(
    kind: str,
    signer: str,
    seq: int,
    station: str,
    time: datetime,
    seen: datetime,
    position: int | None,
    *,
    mandates: Mapping[str, tuple[Mandate, ...]],
    revoked: Mapping[str, Revocation],
    forks: Mapping[str, int],
    roles: tuple[str, ...] | None = None,
) -> str | None:
    """None if the record may count, else the name of why not (docs/PROTOCOL.md §5.4).

    ``station`` is the record's place (``protocol.records.place_of``): a station, or the
    region of a D.Hasil or an objection. ``time`` is the record's claim; ``seen`` the
    earliest time something other than the signer attests the record existed (the holder's
    clock when it arrived, or the server's when it entered the log); ``position`` its index
    in the server's log, if known. ``roles``: the roles that may sign this record
    (``trust.roles_for``, which looks at its payload), if not those of its type.
    """
    held = mandates.get(signer)
    if not held:
        return "awaiting_certificate"
    need = ROLES_FOR_TYPE.get(kind, ()) if roles is None else roles
    fitting = [m for m in held if m.role in need]
    if not fitting:
        return "role"
    if kind in EXACT_PLACE:
        inside = [m for m in fitting if m.jurisdiction == station]
    else:
        inside = [m for m in fitting if in_region(station, m.jurisdiction)]
    if not inside:
        return "jurisdiction"
    if not any(m.valid_from <= time <= m.valid_until and seen <= m.valid_until for m in inside):
        return "certificate_expired"
    # A revoked key's record counts only where the server's log puts it before the
    # revocation: it has a position, and the revocation none yet (beyond what the holder has
    # read of the log) or a later one. Its own time proves nothing.
    revocation = revoked.get(signer)
    if revocation is not None and (
        position is None or (revocation.position is not None and position >= revocation.position)
    ):
        return "revoked"
    first_fork = forks.get(signer)
    if first_fork is not None and seq >= first_fork:
        return "forked"
    return None
