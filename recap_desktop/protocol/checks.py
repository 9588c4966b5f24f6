"""The checks of one officer record that need nothing but the record, the trust and what
the holder knows of its arrival: a pure function, so that verifiers may run it on many
records at once in other threads or processes (docs/PROTOCOL.md §5.3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from recap_desktop.crypto.envelope import CHAINED_TYPES, Record
from recap_desktop.domain import warnings as warning_bounds
from recap_desktop.domain.election import ElectionView, format_time, parse_time
from recap_desktop.protocol.problems import ERROR, Problem
from recap_desktop.protocol.recap import check_claims
from recap_desktop.protocol.records import RECAP_TYPES, check_officer_record, place_of
from recap_desktop.protocol.standing import standing
from recap_desktop.protocol.trust import AUTHORITY_TYPES, Trust, roles_for

# How far ahead of whoever first saw it a record's claimed time may be before it is flagged.
CLOCK_TOLERANCE = timedelta(minutes=10)


class Verified:
    """Signatures verified ahead of admission (``preverify``), each kept with the exact public
    key it verified against and the exact bytes it covers (the record's type, canonical payload
    and signature). A check asks ``holds(record, key)`` with the key *its* trust gives for the
    signer: a different key, a different signature or different bytes is not in here, and is
    verified again. ``holds`` answers only for a signature that verified: a memo can skip
    work, never turn a refusal into an admission; ``verify`` also keeps those that did not,
    for the same key and bytes (a refusal that would be verified again to be refused).

    Beside it, what a record says against the election package alone (``_content``: its
    election, station, contest, the form's rules), kept for that record object and that
    election object only: a trust that holds another package (a newer version arrived
    meanwhile) is checked afresh. Its standing (certificate, role, jurisdiction, revocation,
    forks, the time it was seen) is never kept: ``admit`` decides it against the trust in
    force then. And the records found well-formed (``check_officer_record``, which looks at
    the record alone), so that a server's admission does not check them again under the
    writers' lock; one that was not is checked afresh (and refused)."""

    def __init__(self) -> None:
        self._held: set[tuple[bytes, str, str, bytes]] = set()
        self._failed: set[tuple[bytes, str, str, bytes]] = set()  # did not verify
        # id(record) -> (the record, the election object, what _content found)
        self._content: dict[int, tuple[Record, ElectionView, tuple[Problem | None, str]]] = {}
        self._shaped: dict[int, Record] = {}  # id(record) -> the record, found well-formed

    def __len__(self) -> int:
        return len(self._held)

    def holds(self, record: Record, public_key: bytes) -> bool:
        return (bytes(public_key), record.sig, record.type, record.canonical) in self._held

    def verify(self, record: Record, public_key: bytes) -> bool:
        """Whether ``record``'s signature verifies against ``public_key``: from the memo if
        this exact pair was verified before, else by libsodium (and kept, either way: the
        answer for one key and the same bytes never changes)."""
        pair = (bytes(public_key), record.sig, record.type, record.canonical)
        if pair in self._held:
            return True
        if pair in self._failed:
            return False
        if not record.verify_signature(public_key):
            self._failed.add(pair)
            return False
        self._held.add(pair)
        return True

    def shaped(self, record: Record) -> None:
        """``check_officer_record(record)`` (raises ValueError), skipped if this very record
        object passed it before."""
        if self._shaped.get(id(record)) is record:
            return
        check_officer_record(record)
        self._shaped[id(record)] = record

    def content(self, record: Record, election: ElectionView) -> tuple[Problem | None, str]:
        """``_content(record, election)``: kept if this record was checked against this very
        election object before, else computed now (and kept)."""
        kept = self._content.get(id(record))
        if kept is not None and kept[0] is record and kept[1] is election:
            return kept[2]
        found = _content(record, election)
        self._content[id(record)] = (record, election, found)
        return found


def preverify(records: Sequence[Record], trust: Trust) -> Verified:
    """Verify the officers' signatures of ``records`` against the keys ``trust`` gives their
    signers, ahead of ``admit`` and outside any lock (a server's worker, before the database's
    writers' lock). ``admit(..., verified=...)`` then skips a verification only where its own
    trust gives the same key for the same bytes (docs/PROTOCOL.md §9.7). An authority record
    is verified against the authority's key, which never changes: whatever it claims, its
    verdict is taken inside the lock from here (records that claimed the authority's key
    cost the writers' lock a verify each, from a push without a token)."""
    memo = Verified()
    for record in records:
        if record.type in AUTHORITY_TYPES and record.signer == trust.authority_id:
            memo.verify(record, trust.authority_key)  # the trust is built from it, in order
            continue
        if record.type in AUTHORITY_TYPES or record.signer == trust.authority_id:
            continue  # refused without a verify
        public_key = trust.public_key(record.signer)
        if public_key is None or not memo.verify(record, public_key):
            continue
        if trust.election is not None and record.type in CHAINED_TYPES:
            try:
                memo.shaped(record)
            except ValueError:
                continue  # refused as malformed before its content is looked at
            memo.content(record, trust.election)
    return memo


def check_record(
    record: Record,
    trust: Trust,
    seen: datetime,
    position: int | None = None,
    verified: Verified | None = None,
) -> list[Problem]:
    """Everything about one officer record that does not need the other records.

    Authority records are checked as they are added to the trust (``TrustBuilder.add``), in
    order, since each may change what the next one is checked against: here they pass.
    ``seen`` and ``position`` are what the holder knows of the record's arrival (see
    ``protocol.standing``). ``verified``: signatures verified ahead (``preverify``); one is
    taken from it only for the key ``trust`` gives the signer now.
    """
    if record.type in AUTHORITY_TYPES:
        return []
    if record.type not in CHAINED_TYPES:
        return [Problem(record.hash, "malformed", f"unknown record type {record.type!r}")]
    try:
        verified.shaped(record) if verified is not None else check_officer_record(record)
    except ValueError as exc:
        return [Problem(record.hash, "malformed", str(exc))]
    if record.signer == trust.authority_id:
        # The authority certifies officers; it never enters or reviews sheets itself (and the
        # DEMO authority's seed is public, so anyone could sign as it).
        return [Problem(record.hash, "role", f"the election authority never signs a {record.type}")]
    public_key = trust.public_key(record.signer)
    if public_key is None:
        return [
            Problem(record.hash, "unknown_signer", f"no certificate for key {record.signer[:16]}…")
        ]
    good = (
        verified.verify(record, public_key)  # a failure verified ahead is not verified again
        if verified is not None
        else record.verify_signature(public_key)
    )
    if not good:
        return [Problem(record.hash, "bad_signature", "the signature does not verify")]
    election = trust.election
    if election is None:
        return [Problem(record.hash, "no_election", "no election package to check it against")]
    found, place = (
        verified.content(record, election) if verified is not None else _content(record, election)
    )
    if found is not None:
        return [found]
    p = record.payload
    problems: list[Problem] = []
    claimed = parse_time(p["time"], "time")
    why = standing(
        record.type,
        record.signer,
        record.seq or 0,
        place,
        claimed,
        seen,
        position,
        mandates=trust.mandates,
        revoked=trust.revoked,
        forks=trust.forks,
        roles=roles_for(record.type, p),
    )
    if why is not None:
        problems.append(Problem(record.hash, why, _STANDING_DETAIL[why]))
        if problems[-1].severity == ERROR:
            return problems
    if claimed > seen + CLOCK_TOLERANCE:
        # The signer's clock was ahead of whoever first saw the record: shown to supervisors,
        # never a reason to refuse (a laptop with a wrong clock must still deliver).
        problems.append(
            Problem(
                record.hash, "clock_skew", f"claims {p['time']}, first seen {format_time(seen)}"
            )
        )
    return problems


def _content(record: Record, election: ElectionView) -> tuple[Problem | None, str]:
    """What a well-formed officer record says against the election package alone: the first
    problem (wrong election, unknown region, station or contest, a claim or the form's values
    and rules broken), or None and the place it is about."""
    p = record.payload
    if p["election"] != election.id:
        return Problem(record.hash, "wrong_election", f"signed for election {p['election']!r}"), ""
    if record.type in RECAP_TYPES:
        claim = check_claims(record.hash, record.type, p, election)
        if claim is not None:
            return claim, ""
        return None, place_of(record.type, p) or ""
    if record.type == "requirement":
        if election.region(p["region"]) is None:
            return Problem(record.hash, "unknown_region", f"region {p['region']!r}"), ""
        return None, p["region"]
    station = election.station(p["station"])
    if station is None:
        return Problem(record.hash, "unknown_station", f"station {p['station']!r}"), ""
    if p["contest"] not in station.contests:
        return (
            Problem(record.hash, "unknown_contest", f"contest {p['contest']!r} at {station.code}"),
            "",
        )
    if record.type == "sheet":
        broken = _check_values(record, election, station.registered)
        if broken:
            return broken[0], ""
    return None, station.code


_STANDING_DETAIL = {
    "awaiting_certificate": "key not yet certified",
    "role": "no certificate of the signer gives the role this record needs",
    "jurisdiction": "the place is outside the signer's certified region",
    "certificate_expired": "no certificate covered the record when it was signed and first seen",
    "revoked": "the key is revoked; nothing puts this record before the revocation",
    "forked": "the signer's chain forked at or before this record",
}


def _check_values(record: Record, election: ElectionView, registered: int) -> list[Problem]:
    p = record.payload
    form = election.contests[p["contest"]].form
    value_problems = form.check_values(p["values"])
    if value_problems:
        listed = ", ".join(f"{vp.field} ({vp.kind})" for vp in value_problems[:5])
        return [Problem(record.hash, "bad_values", listed)]
    broken = [
        v.rule
        for v in form.evaluate(p["values"], {"registered": registered})
        if v.severity == "error"
    ]
    if broken:
        return [Problem(record.hash, "breaks_rule", ", ".join(broken))]
    unacknowledged = unacknowledged_warnings(p, form.bounds, registered)
    if unacknowledged:
        return [Problem(record.hash, "unacknowledged_warning", ", ".join(unacknowledged))]
    return []


def unacknowledged_warnings(
    payload: Mapping[str, Any], bounds: warning_bounds.Bounds, registered: int
) -> list[str]:
    """The package's warnings (§4, recomputed from the sheet alone) that the sheet fires and
    does not acknowledge: each must be listed in ``warnings``, with a ``warnings_reason``."""
    fired = [h.name for h in warning_bounds.local_hits(bounds, payload["values"], registered)]
    if not fired:
        return []
    if "warnings_reason" not in payload:
        return fired
    return [name for name in fired if name not in payload["warnings"]]


def precheck(
    records: Sequence[Record],
    trust: Trust,
    arrivals: Sequence[tuple[datetime, int | None]],
) -> list[tuple[Trust, list[Problem]]]:
    """``check_record`` of each record against ``trust``, ahead of ``admit``: each result
    carries the Trust it used, and ``admit`` uses it only if that Trust is still in force."""
    return [
        (trust, check_record(record, trust, seen, position))
        for record, (seen, position) in zip(records, arrivals, strict=True)
    ]
