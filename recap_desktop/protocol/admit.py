"""The one admission rule: whether a record may enter a holder's set, whatever the door.

The server's push, a laptop's pull, a bundle import, a laptop's own save and `recap verify`
all call ``admit`` with their own view of what is held (``HeldView``) and their trust; the
rule, and the names of its refusals, live only here (docs/PROTOCOL.md §5). Two copies of a
rule drift; one cannot.

``admit`` goes through records in order (the order matters: a certificate admitted early in
a batch certifies the sheets after it; a signer's chain must go up one by one) and says of
each: admitted, held already, or refused with the reason. A second record at a place in a
signer's chain that is taken is refused as ``equivocation``, and both records are returned
as a ``Fork``: evidence the holder keeps and passes on.

``Replay`` is how `recap verify` uses it: every record of a store, in the order it arrived,
against a view of the records before it; a record with a finding still takes its place, so
that one bad record is reported once, not again by every record after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from recap_desktop.crypto.envelope import CHAINED_TYPES, Record
from recap_desktop.domain.election import ElectionError, parse_time
from recap_desktop.protocol.checks import Verified, check_record
from recap_desktop.protocol.problems import ERROR, Problem
from recap_desktop.protocol.recap import check_references
from recap_desktop.protocol.records import RECAP_TYPES, overrides, place_of
from recap_desktop.protocol.trust import AUTHORITY_TYPES, Trust, TrustBuilder

ADMITTED, HELD, REFUSED = "admitted", "held", "refused"

# What a door knows of a record's arrival: when it was first seen (the door's clock, or the
# server's for a record the server's log holds) and its position in the server's log.
Arrival = tuple[datetime, int | None]
# ``check_record``'s findings made ahead of time, with the Trust they were made against (None:
# against the trust a replay holds, which its second pass never changes).
Precheck = tuple[Trust | None, list[Problem]]
# A held record as the rule needs it: its type, station and contest (for references).
Ref = tuple[str, str | None, str | None]
# A signer's last held record: seq, hash, claimed time.
Head = tuple[int, str, str]


class Admissible(Protocol):
    """What the rule reads of a record besides ``check_record``'s findings: a ``Record``,
    or in a replay whose records were checked elsewhere, a summary of one."""

    @property
    def hash(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def signer(self) -> str: ...
    @property
    def seq(self) -> int | None: ...
    @property
    def prev(self) -> str | None: ...
    @property
    def payload(self) -> dict[str, Any]: ...


class HeldView(Protocol):
    """What a door holds, as the admission rule looks at it. Storage answers these; the
    rule never sees a table."""

    def held(self, hashes: Sequence[str]) -> set[str]:
        """Which of ``hashes`` are held."""
        ...

    def ref(self, hash_: str) -> Ref | None:
        """The held record's type, station and contest; None if not held."""
        ...

    def chain_head(self, signer: str) -> Head | None:
        """The signer's last held chained record."""
        ...

    def hash_at(self, signer: str, seq: int) -> str | None:
        """The hash of the signer's held record number ``seq``."""
        ...

    def signer(self, hash_: str) -> str | None:
        """Who signed a held record; None if not held."""
        ...

    def record(self, hash_: str) -> Record | None:
        """A held record whole (only to keep a fork's evidence)."""
        ...

    def payload(self, hash_: str) -> dict[str, Any] | None:
        """A held record's payload: what a D.Hasil's children say (their numbers), what an
        objection named by a D.Hasil or a resolution is about. None if not held."""
        ...


@dataclass(frozen=True)
class Decision:
    hash: str
    status: str  # admitted | held | refused
    problem: Problem | None = None  # why refused; for an admitted record, a notice if any


@dataclass(frozen=True)
class Fork:
    """Two records one signer signed at one place of its chain: proof it equivocated."""

    signer: str
    seq: int
    held: Record
    offered: Record

    def to_json(self) -> list[dict[str, Any]]:
        return [self.held.to_json(), self.offered.to_json()]


@dataclass
class Admission:
    decisions: list[Decision] = field(default_factory=list)
    admitted: list[Any] = field(default_factory=list)  # Records in order (a replay: summaries)
    findings: list[Problem] = field(default_factory=list)  # every problem, refusals first
    forks: list[Fork] = field(default_factory=list)
    trust: Trust | None = None  # the trust after the authority records admitted

    @property
    def refused(self) -> list[Decision]:
        return [d for d in self.decisions if d.status == REFUSED]

    @property
    def problems(self) -> list[Problem]:
        """Why each refused record was refused."""
        return [d.problem for d in self.decisions if d.status == REFUSED and d.problem]

    @property
    def already(self) -> list[str]:
        return [d.hash for d in self.decisions if d.status == HELD]


def refuses(problem: Problem) -> bool:
    """Whether a door turns a record with this finding away. Errors, and a revoked key's
    record that nothing puts before the revocation (kept, it could never count)."""
    return problem.severity == ERROR or problem.kind == "revoked"


def admit(
    records: Sequence[Record],
    held: HeldView,
    trust: Trust,
    *,
    arrivals: Sequence[Arrival] | Arrival,
    prechecked: Sequence[Precheck | None] | None = None,
    verified: Verified | None = None,
) -> Admission:
    """Decide each record in order against ``held`` plus the records admitted before it.

    ``arrivals``: one Arrival for all records, or one per record. ``prechecked``: per record,
    ``checks.precheck``'s result or None. ``verified``: signatures verified ahead of time
    (``checks.preverify``, e.g. by a server's worker before the writers' lock); each is used
    only for the exact key the trust in force gives the signer and the exact bytes, so the
    decision is the one ``admit`` would make without it.
    """
    batch = _Batch(held, replay=False)
    return _run(records, batch, trust, arrivals, prechecked, verified)


class Replay:
    """`recap verify`'s use of the rule: a store's records in the order they arrived, fed in
    chunks, each against the records fed before it (and nothing else)."""

    def __init__(self, trust: Trust, held: HeldView | None = None) -> None:
        """``held``: where to look up what a record refers to among the records fed before
        its chunk (the store being verified); None: the replay keeps them all itself."""
        self.trust = trust
        self._batch = _Batch(held or _NOTHING_HELD, replay=True)
        self._forgets = held is not None

    def feed(
        self,
        records: Sequence[Admissible],
        arrivals: Sequence[Arrival],
        prechecked: Sequence[Precheck | None] | None = None,
    ) -> Admission:
        out = _run(records, self._batch, self.trust, arrivals, prechecked)
        assert out.trust is not None
        self.trust = out.trust
        if self._forgets:
            self._batch.forget()
        return out

    def heads(self) -> dict[str, tuple[int, str]]:
        """Where each signer's chain ended in what was fed: signer -> (seq, hash)."""
        return {s: (h[0], h[1]) for s, h in self._batch.heads.items() if h is not None}


def _run(
    records: Sequence[Admissible],
    batch: _Batch,
    trust: Trust,
    arrivals: Sequence[Arrival] | Arrival,
    prechecked: Sequence[Precheck | None] | None,
    verified: Verified | None = None,
) -> Admission:
    replay = batch.replay
    out = Admission()
    builder: TrustBuilder | None = None
    current = trust
    already = set() if replay else batch.held.held([r.hash for r in records])

    def decide(record: Admissible, status: str, problem: Problem | None = None) -> None:
        out.decisions.append(Decision(record.hash, status, problem))
        if status == ADMITTED:
            out.admitted.append(record)

    for i, record in enumerate(records):
        if record.hash in already or record.hash in batch.refs:
            decide(record, HELD)
            continue
        seen, position = arrivals if isinstance(arrivals, tuple) else arrivals[i]
        if record.type in AUTHORITY_TYPES:
            if builder is None:
                builder = current.builder()
            problem = builder.add(cast(Record, record), seen, position, verified)
            if problem is None or replay:
                batch.refs[record.hash] = (record.type, None, None)
            if problem is not None:
                out.findings.append(problem)
                decide(record, REFUSED, problem)
            else:
                decide(record, ADMITTED)
            continue
        if builder is not None:
            current = builder.freeze()
        ahead = prechecked[i] if prechecked is not None else None
        found = (
            ahead[1]
            if ahead is not None and (ahead[0] is current or ahead[0] is None)
            else check_record(cast(Record, record), current, seen, position, verified)
        )
        refusal = next((p for p in found if refuses(p)), None)
        if refusal is not None and not replay:
            out.findings.append(refusal)
            decide(record, REFUSED, refusal)
            continue
        out.findings.extend(found)
        if record.type not in CHAINED_TYPES or any(p.kind == "malformed" for p in found):
            # Not a well-formed record of a chain: nothing more can be said of its place.
            # (A replay still keeps the place its signer and number name, if they are
            # readable: the record after it is then not reported too.)
            if record.type in CHAINED_TYPES and record.seq is not None:
                batch.take(record, forked=False)
            else:
                batch.refs[record.hash] = (record.type, None, None)
            decide(record, REFUSED, refusal or found[0])
            continue
        place = batch.check_place(record, out)
        if place is not None:
            out.findings.append(place)
        if place is None or replay:
            batch.take(record, forked=place is not None and place.kind == "equivocation")
        problem = refusal or place
        if problem is not None:
            decide(record, REFUSED, problem)
        else:
            decide(record, ADMITTED, next(iter(found), None))
    out.trust = builder.freeze() if builder is not None else current
    return out


class _NothingHeld:
    """The view of a replay: everything it knows, it was fed."""

    def held(self, hashes: Sequence[str]) -> set[str]:
        return set()

    def ref(self, hash_: str) -> Ref | None:
        return None

    def chain_head(self, signer: str) -> Head | None:
        return None

    def hash_at(self, signer: str, seq: int) -> str | None:
        return None

    def signer(self, hash_: str) -> str | None:
        return None

    def record(self, hash_: str) -> Record | None:
        return None

    def payload(self, hash_: str) -> dict[str, Any] | None:
        return None


_NOTHING_HELD = _NothingHeld()


class _Batch:
    """The records taken so far in one ``admit`` call, over the holder's view."""

    def __init__(self, held: HeldView, replay: bool) -> None:
        self.held = held
        self.replay = replay
        self.refs: dict[str, Ref] = {}
        self.signers: dict[str, str] = {}  # hash -> signer of the chained records taken
        self.heads: dict[str, Head | None] = {}
        # (signer, seq) -> record: for a fork's evidence (a replay keeps no evidence: the
        # store it replays can hold only one record at a place).
        self.at: dict[tuple[str, int], Record] = {}
        # hash -> payload of the whole records taken in this call (a replay's summaries keep
        # only part of a payload: their numbers are read from the holder's view instead).
        self.bodies: dict[str, dict[str, Any]] = {}

    def take(self, record: Admissible, *, forked: bool) -> None:
        p = record.payload
        seq = record.seq
        assert seq is not None
        self.refs[record.hash] = (record.type, place_of(record.type, p), p.get("contest"))
        if isinstance(record, Record):
            self.bodies[record.hash] = p
        self.signers[record.hash] = record.signer
        if not forked:
            self.heads[record.signer] = (seq, record.hash, str(p.get("time")))
        if not self.replay:
            self.at[(record.signer, seq)] = cast(Record, record)

    def head(self, signer: str) -> Head | None:
        """The signer's last place: a replay knows it from what it was fed (the holder's own
        head would be the end of the chain, not the place before this record)."""
        if signer not in self.heads:
            self.heads[signer] = None if self.replay else self.held.chain_head(signer)
        return self.heads[signer]

    def ref(self, target: str) -> Ref | None:
        return self.refs.get(target) or self.held.ref(target)

    def forget(self) -> None:
        """A replay between chunks: what the chunk's records refer to is in the holder's view
        from now on (its store); only each signer's last place is kept here, so that a
        million records are not all held in memory."""
        self.refs.clear()
        self.signers.clear()
        self.bodies.clear()

    def body(self, target: str) -> dict[str, Any] | None:
        """A held record's payload, from this call or the holder's view."""
        found = self.bodies.get(target)
        return found if found is not None else self.held.payload(target)

    def check_place(self, record: Admissible, out: Admission) -> Problem | None:
        """The record's place in its signer's chain, its time after the record before it,
        and what it refers to (docs/PROTOCOL.md §5.5)."""
        signer, seq, h = record.signer, record.seq, record.hash
        assert seq is not None
        head = self.head(signer)
        if head is not None and seq <= head[0]:
            taken = self.at.get((signer, seq))
            other = (
                taken.hash
                if taken is not None
                else None
                if self.replay
                else self.held.hash_at(signer, seq)
            )
            if other is not None and other != h and not self.replay:
                # Both signatures verify (this one's above, the held one's when it came
                # in): proof the signer equivocated, kept whichever door it came through.
                first = taken or self.held.record(other)
                if first is not None:
                    out.forks.append(Fork(signer, seq, first, cast(Record, record)))
            named = f" as {other[:16]}…" if other else ""
            return Problem(
                h, "equivocation", f"signer {signer[:16]}… already signed record {seq}{named}"
            )
        want = 1 if head is None else head[0] + 1
        if seq != want:
            missing = f" ({record.prev[:16]}…)" if seq == want + 1 and record.prev else ""
            return Problem(
                h,
                "chain_gap",
                f"record {seq} came, but {want}{missing} of {signer[:16]}… is missing",
            )
        if head is not None and record.prev != head[1]:
            return Problem(h, "chain_prev", f"does not follow {head[1][:16]}…")
        p = record.payload
        if head is not None and _time(p.get("time")) < _time(head[2]):
            return Problem(
                h, "time_order", f"{p.get('time')} is before {head[2]}, the record before"
            )
        if record.type in RECAP_TYPES:
            return check_references(h, record.type, signer, p, self.body)
        station, contest = p.get("station"), p.get("contest")
        targets = [(name, p.get(name), "sheet") for name in ("supersedes", "sheet")]
        targets += [("overrides", target, "review") for target in overrides(p)]
        for name, target, kind in targets:
            if not isinstance(target, str):
                continue
            ref = self.ref(target)
            if ref is None or ref[0] != kind:
                return Problem(h, "dangling", f"{name} {target[:16]}… is not a {kind} held")
            if (ref[1], ref[2]) != (station, contest):
                return Problem(h, "dangling", f"{name} {target[:16]}… is another station's {kind}")
            if name == "supersedes" and self.signer_of(target) not in (None, signer):
                return Problem(h, "dangling", f"supersedes {target[:16]}…, another officer's sheet")
        # Four eyes: a key certified both to enter and to review may not decide its own sheet
        # (an approval would make its numbers count over another officer's).
        target = p.get("sheet")
        if record.type == "review" and isinstance(target, str) and self.signer_of(target) == signer:
            return Problem(h, "self_review", f"reviews {target[:16]}…, its own signer's sheet")
        return None

    def signer_of(self, target: str) -> str | None:
        """Who signed a held chained record (None if not known here)."""
        return self.signers.get(target) or self.held.signer(target)


def _time(value: Any) -> datetime:
    try:
        return parse_time(value, "time")
    except ElectionError:
        return datetime.min.replace(tzinfo=UTC)  # unreadable (refused already): never "after"
