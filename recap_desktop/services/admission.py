"""Letting records into this laptop's store, whatever the door: a save, a bundle, a pull.

Each door calls the one admission rule (``protocol.admit``) with the store's view of what is
held and the trust the data folder holds; only what the rule admits is appended, and fork
evidence it finds is kept. The rule and its reasons live in ``protocol``; this module only
supplies the laptop's side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from recap_desktop.crypto.envelope import Record
from recap_desktop.domain.election import Contest, Region, Station
from recap_desktop.messages import problem_name
from recap_desktop.protocol.admit import Admission, Arrival, Precheck, admit
from recap_desktop.protocol.trust import Certificate, Revocation, Trust
from recap_desktop.services.workspace import RecapError, Workspace


def own_keys(ws: Workspace) -> dict[str, bytes]:
    """The one uncertified key whose records this folder admits: its own, as its keystore
    names it. Any other key in the keys table (someone may have planted one beside records
    it signed) vouches for nothing. Without a keystore (a copied store), none."""
    try:
        mine = ws.keystore_info().key_id
    except RecapError:
        return {}
    return {k: v for k, v in ws.store.keys.known("self").items() if k == mine}


def trust(ws: Workspace) -> Trust:
    """The whole trust of the folder (packages, certificates, revocations, forks, own key)."""
    found = ws.store.trust.trust(own_keys(ws))
    if found is None:
        raise RecapError("election.missing")
    return found


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def admit_into(
    ws: Workspace,
    records: Sequence[Record],
    origin: str,
    *,
    arrivals: Sequence[Arrival] | Arrival | None = None,
    prechecked: Sequence[Precheck | None] | None = None,
    whole: bool = False,
) -> Admission:
    """Admit ``records`` in order against the store; append what is admitted and keep the
    fork evidence found. A record arriving by this door is seen now (no log position).
    ``whole``: a file that is one act (a certificate file): any refusal appends nothing."""
    admission = admit(
        records,
        ws.store.view,
        trust(ws),
        arrivals=arrivals if arrivals is not None else (now(), None),
        prechecked=prechecked,
    )
    if admission.admitted and not (whole and admission.refused):
        ws.append(admission.admitted, origin)
    if admission.forks:
        ws.store.evidence.add_forks(admission.forks, origin)
    return admission


@dataclass(frozen=True)
class StoreElection:
    """The election in force as a save checks against it (``domain.ElectionView``): its
    contests from the package's outline, a station at a time from the store's projections,
    so that a save never parses a national package."""

    id: str
    contests: Mapping[str, Contest]
    ws: Workspace

    def station(self, code: str) -> Station | None:
        return self.ws.store.places.station(code)

    def region(self, code: str) -> Region | None:
        return self.ws.store.places.region(code)

    def child_regions(self, code: str) -> list[str]:
        return [r.code for r in self.ws.store.places.child_regions(code)]

    def stations_within(self, prefix: str) -> list[Station]:
        return self.ws.store.places.stations_within(prefix)


def own_trust(ws: Workspace, key_id: str) -> Trust:
    """What checking one of this laptop's own records needs: its key, its certificates, its
    revocation and forks, and the election as the store holds it."""
    anchor = ws.store.trust.anchor()
    outline = ws.store.package.outline()
    if anchor is None or outline is None:
        raise RecapError("election.missing")
    certificates = tuple(
        Certificate.from_record(r) for r in ws.store.records.certificates_of(key_id)
    )
    revoked = ws.store.keys.revoked()
    revocation = (
        {key_id: Revocation(revoked[key_id], ws.store.keys.revocation_position(key_id))}
        if key_id in revoked
        else {}
    )
    forked = ws.store.evidence.forked()
    return Trust(
        anchor,
        StoreElection(outline.id, outline.contests, ws),
        certificates={key_id: certificates} if certificates else {},
        revoked=revocation,
        known_keys={k: v for k, v in own_keys(ws).items() if k == key_id},
        forks={key_id: forked[key_id]} if key_id in forked else {},
    )


def admit_own(ws: Workspace, record: Record) -> None:
    """A record this laptop's officer just signed: through the same rule as any door, then
    into the store; refused with the rule's reason (nothing changes then)."""
    admit_own_records(ws, [record])


def admit_own_records(ws: Workspace, records: Sequence[Record]) -> None:
    """Records this laptop's officer just signed as one act (one chain, in order): each
    through the rule, then all appended in one transaction; any refusal appends none."""
    signer = records[0].signer
    admission = admit(records, ws.store.view, own_trust(ws, signer), arrivals=(now(), None))
    for decision in admission.decisions:
        if decision.status != "admitted":
            problem = decision.problem
            kind = problem.kind if problem else "malformed"
            raise RecapError(
                "record.refused",
                exit_code=1,
                reason=problem_name(kind),
                detail=problem.detail if problem else "",
            )
    ws.append(list(records), "local")
