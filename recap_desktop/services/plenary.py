"""The plenary of one level: its children's states, the totals forming, what blocks closing,
witnesses' objections and the chair's rulings, and the signed D.Hasil.

The window's plenary screen and `recap dhasil` / `recap objection` call these. The D.Hasil a
chair signs is built here from what the store counts, and then goes through the one
admission rule like every record, which recomputes it from the children it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.election import Contest, Region
from recap_desktop.domain.recap import (
    DECISIONS,
    DECISIONS_FOR_KIND,
    OBJECTION_KINDS,
    RECAP_LEVELS,
    RECAPS,
    RULED,
    SET_ASIDE,
    SHEETS,
    Blockers,
    ObjectionState,
    RecapState,
    RecapVersion,
    RulingVersion,
    add_up,
    objection_state,
    recap_outdated,
    recap_state,
)
from recap_desktop.domain.status import COUNTED, DISPUTED, NOT_ENTERED
from recap_desktop.protocol.trust import roles_for
from recap_desktop.services import regions as region_service
from recap_desktop.services.admission import admit_own
from recap_desktop.services.sheets import check_mandate, next_link
from recap_desktop.services.workspace import RecapError, Workspace

NO_RECAP = "no_recap"  # a sub-region without a final D.Hasil yet
INTERIM = "interim"  # a sub-region whose D.Hasil is not final
OUTDATED = "outdated"  # a sub-region whose final D.Hasil in force are all outdated (§6.1)


@dataclass(frozen=True)
class Child:
    """A station (for a D.Hasil on the sheets) or a sub-region (on their D.Hasil)."""

    code: str
    name: str
    state: str  # a station's state (PROTOCOL §6), or signed/corrected/disputed/no_recap/interim
    record: str | None  # the sheet or final D.Hasil counted; None: pending
    values: dict[str, int] | None
    attention: tuple[str, ...] = ()
    # Every record that counts for it now (``record`` is one of them): agreeing copies of a
    # station's sheet, or the agreeing final D.Hasil of a sub-region's chairs.
    counting: frozenset[str] = frozenset()

    @property
    def counted(self) -> bool:
        return self.record is not None


@dataclass(frozen=True)
class Ruling:
    hash: str
    signer: str
    signer_name: str | None
    time: str
    decision: str
    reason: str
    standing: str | None
    seq: int = 0
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Objection:
    hash: str
    place: str
    contest: str
    kind: str  # objection | incident
    witness: dict[str, str] | None
    paper: str | None
    subject: str
    signer: str
    signer_name: str | None
    signer_role: str | None  # witness: signed by the witness's own key
    time: str
    standing: str | None
    rulings: tuple[Ruling, ...] = ()

    @property
    def status(self) -> ObjectionState:
        """Open, ruled, disputed or set aside, from its rulings alone (PROTOCOL §6.1)."""
        return objection_state(
            self.standing,
            [
                RulingVersion(r.hash, r.signer, r.seq, r.decision, r.overrides, r.standing)
                for r in self.rulings
            ],
        )

    @property
    def in_force(self) -> tuple[Ruling, ...]:
        """The rulings in force (they agree when the objection is ruled), oldest claim first."""
        chosen = set(self.status.in_force)
        return tuple(r for r in self.rulings if r.hash in chosen)

    @property
    def open(self) -> bool:
        """Whether it keeps a plenary from closing: nothing rules on it, or rulings in force
        that disagree."""
        return not self.status.settled

    def cited(self, signer: str | None = None) -> str | None:
        """The ruling a D.Hasil names for it: None while it is not ruled; else one of the
        rulings in force (they agree), the signer's own if it is one of them."""
        status = self.status
        if status.state != RULED:
            return None
        own = [r.hash for r in self.in_force if r.signer == signer]
        return own[0] if own else status.in_force[0]


@dataclass(frozen=True)
class Version:
    """One signed D.Hasil of the region."""

    hash: str
    signer: str
    signer_name: str | None
    seq: int
    time: str
    basis: str
    final: bool
    supersedes: str | None
    reason: str | None
    totals: dict[str, int]
    children: list[dict[str, str]]
    pending: list[dict[str, str]]
    objections: list[dict[str, str | None]]
    standing: str | None


@dataclass(frozen=True)
class Plenary:
    region: Region
    contest: Contest
    basis: str
    bases: tuple[str, ...]
    children: list[Child]
    totals: dict[str, int]  # forming: the sum of the counted children
    objections: list[Objection]
    versions: list[Version]
    state: RecapState  # which D.Hasil of the region is in force (PROTOCOL §6.1)
    blockers: Blockers = field(default_factory=Blockers)
    stale: frozenset[str] = frozenset()  # the versions in force that are outdated (§6.1)
    own: str | None = None  # this laptop's key: its own version is the one it shows

    @property
    def counted(self) -> int:
        return sum(1 for c in self.children if c.counted)

    @property
    def in_force(self) -> list[Version]:
        """Every D.Hasil in force (they agree in totals and in ``final``); none if disputed."""
        return [v for v in self.versions if v.hash in self.state.in_force]

    @property
    def current(self) -> Version | None:
        """The D.Hasil in force this laptop shows and prints: its own key's, or the only one.
        None when none is in force, or when several chairs' agreeing versions are and none is
        this laptop's: the window lists them all then (never one of them by hash)."""
        in_force = self.in_force
        own = [v for v in in_force if v.signer == self.own]
        if own:
            return own[0]
        return in_force[0] if len(in_force) == 1 else None

    @property
    def printable(self) -> Version | None:
        """The version to show and print: the one in force shown (``current``); when none is
        in force, this laptop's own latest version, or the only latest version there is."""
        if self.current is not None:
            return self.current
        if self.in_force:
            return None
        heads = [v for v in self.versions if v.hash in self.state.heads]
        own = [v for v in heads if v.signer == self.own]
        candidates = own or heads or self.versions
        return candidates[0] if len(candidates) == 1 else None

    @property
    def can_close(self) -> bool:
        return self.blockers.none

    @property
    def outdated(self) -> bool:
        """The D.Hasil shown no longer says what this laptop counts (PROTOCOL §6.1): a child
        it counts counted by another record now, a pending child counted, an objection filed
        or ruled on that it does not name as it stands. With several in force and none shown,
        when every one of them is."""
        current = self.current
        if current is not None:
            return current.hash in self.stale
        in_force = self.in_force
        return bool(in_force) and all(v.hash in self.stale for v in in_force)

    def payload_children(self) -> list[dict[str, str]]:
        return [{"code": c.code, "record": c.record} for c in self.children if c.record]

    def payload_pending(self) -> list[dict[str, str]]:
        return [{"code": c.code, "state": c.state} for c in self.children if not c.record]

    def payload_objections(self, signer: str | None = None) -> list[dict[str, str | None]]:
        """Every objection of the contest inside the region that is not set aside, with the
        ruling it rests on (null while open or disputed)."""
        entries = [
            {"objection": o.hash, "resolution": o.cited(signer or self.own)}
            for o in self.objections
            if o.status.state != SET_ASIDE
        ]
        return sorted(entries, key=lambda e: str(e["objection"]))


def plenary(ws: Workspace, region_code: str, contest_id: str, basis: str | None = None) -> Plenary:
    """Everything the chair of ``region_code`` sees at the plenary for one contest."""
    outline = region_service.outline(ws)
    region = ws.store.places.region(region_code)
    if region is None or region.level not in RECAP_LEVELS:
        raise RecapError("dhasil.region", region=region_code)
    contest = outline.contests.get(contest_id)
    if contest is None:
        raise RecapError(
            "contest.unknown",
            station=region_code,
            contest=contest_id,
            choices=", ".join(outline.contests),
        )
    allowed = (SHEETS,) if region.level == "district" else (SHEETS, RECAPS)
    chosen = basis or allowed[-1]
    if chosen not in allowed:
        raise RecapError("dhasil.basis", region=region_code, basis=chosen)
    look = _Look(ws, contest_id, _own_key(ws))
    names, own = look.names, look.own
    children = (
        _station_children(ws, region_code, contest_id)
        if chosen == SHEETS
        else look.children(region_code, RECAPS)  # judged once, here and for ``stale``
    )
    fields = contest.form.field_ids
    totals = add_up([c.values or {} for c in children if c.record], fields) or {}
    objections = [_objection(o, names) for o in ws.store.recaps.objections_within(region_code)]
    objections = [o for o in objections if o.contest == contest_id]
    versions = [_version(v, names) for v in ws.store.recaps.versions(region_code, contest_id)]
    state = versions_state(versions)
    blockers = Blockers(
        missing=tuple(
            c.code for c in children if not c.record and c.state not in (DISPUTED, OUTDATED)
        ),
        disputed=tuple(c.code for c in children if not c.record and c.state == DISPUTED),
        open_objections=tuple(o.hash for o in objections if o.open),
        outdated=tuple(c.code for c in children if not c.record and c.state == OUTDATED),
    )
    stale = _stale(look, region_code, versions, state, objections)
    return Plenary(
        region,
        contest,
        chosen,
        allowed,
        children,
        totals,
        objections,
        versions,
        state,
        blockers,
        stale,
        own,
    )


def versions_state(versions: list[Version]) -> RecapState:
    """Which D.Hasil of a region is in force (PROTOCOL §6.1): each chair's latest version (a
    correction names the one it replaces); all of them when they agree in totals and in
    ``final``, none (disputed) when they do not."""
    return recap_state(
        RecapVersion(v.hash, v.signer, v.seq, v.supersedes, v.totals, v.final, v.standing)
        for v in versions
    )


class _Look:
    """What one plenary reads once, however far down it judges the D.Hasil below (a
    province's plenary judges every regency's and sub-district's): the signers' names, which
    regions hold the contest, and each region's children on each basis."""

    def __init__(self, ws: Workspace, contest: str, own: str | None) -> None:
        self.ws, self.contest, self.own = ws, contest, own
        self.names = _signer_names(ws)
        self._read: set[str] = set()  # regions whose stations were read
        self._holding: set[str] = set()  # regions inside them with a station of the contest
        self._children: dict[tuple[str, str], list[Child]] = {}

    def holds(self, region: str, sub: str) -> bool:
        """Whether a station inside ``sub`` (a region inside ``region``) holds the contest:
        ``region``'s stations read once, whatever is asked of the regions inside it."""
        if not any(region == r or region.startswith(r + ".") for r in self._read):
            for station in self.ws.store.places.stations_within(region):
                if self.contest in station.contests:
                    parts = station.code.split(".")
                    self._holding.update(".".join(parts[:n]) for n in range(1, len(parts)))
            self._read.add(region)
        return sub in self._holding

    def children(self, region: str, basis: str) -> list[Child]:
        key = (region, basis)
        if key not in self._children:
            self._children[key] = (
                _station_children(self.ws, region, self.contest, full=True)
                if basis == SHEETS
                else _region_children(self, region)
            )
        return self._children[key]


def _stale(
    look: _Look,
    region: str,
    versions: list[Version],
    state: RecapState,
    objections: list[Objection],
) -> frozenset[str]:
    """The versions in force that no longer say what this laptop counts (PROTOCOL §6.1),
    each judged on its own basis."""
    in_force = [v for v in versions if v.hash in state.in_force]
    if not in_force:
        return frozenset()
    now = {o.hash: o.status for o in objections if o.status.state != SET_ASIDE}
    counting: dict[str, dict[str, frozenset[str]]] = {}
    for basis in {v.basis for v in in_force}:
        counting[basis] = {c.code: c.counting for c in look.children(region, basis)}
    return frozenset(
        v.hash
        for v in in_force
        if recap_outdated(
            {"children": v.children, "pending": v.pending, "objections": v.objections},
            counting[v.basis],
            now,
        )
    )


def _station_children(
    ws: Workspace, region: str, contest: str, *, full: bool = False
) -> list[Child]:
    """The stations of a D.Hasil on the sheets, each with the sheet it would name (one of its
    counted sheets). ``full``: each with every counted sheet too, read from its sheets and
    reviews where the projection, which keeps one, cannot say (several copies counted)."""
    held = ws.store.recaps.counted_sheets(region, contest)
    several = [
        (code, contest) for code, found in held.items() if found["current"] and found["several"]
    ]
    whole = ws.store.recaps.sheet_states(several) if full and several else {}
    out = []
    for station in ws.store.places.stations_within(region):
        if contest not in station.contests:
            continue
        found = held.get(station.code)
        if found is None:
            out.append(Child(station.code, station.name, NOT_ENTERED, None, None))
            continue
        counting: frozenset[str] = frozenset()
        if found["current"]:
            complete = whole.get((station.code, contest))
            counting = (
                frozenset(complete.counted)
                if complete is not None and complete.state in COUNTED
                else frozenset({found["current"]})
            )
        out.append(
            Child(
                station.code,
                station.name,
                str(found["state"]),
                found["current"],
                found["values"],
                tuple(found["attention"]),
                counting,
            )
        )
    return out


def _region_children(look: _Look, region: str) -> list[Child]:
    """The sub-regions of a D.Hasil on the D.Hasil below: each counts by its final D.Hasil
    in force that are up to date; the one named is its own laptop's, else any (they agree).

    An outdated one (it names a sheet that no longer counts, leaves out an objection held,
    ...) is not built upon: the level above would carry its numbers up as if they were
    what the sub-region counts (PROTOCOL §6.1). Judging it looks down the whole region, as
    the sub-region's own plenary does."""
    ws, contest, own, names = look.ws, look.contest, look.own, look.names
    out = []
    for sub in ws.store.places.child_regions(region):
        if not look.holds(region, sub.code):
            continue
        versions = [_version(v, names) for v in ws.store.recaps.versions(sub.code, contest)]
        state = versions_state(versions)
        in_force = [v for v in versions if v.hash in state.in_force]
        if state.state == DISPUTED:
            out.append(Child(sub.code, sub.name, DISPUTED, None, None, state.attention))
            continue
        if not in_force:
            out.append(Child(sub.code, sub.name, NO_RECAP, None, None, state.attention))
            continue
        if not state.final:
            out.append(Child(sub.code, sub.name, INTERIM, None, None, state.attention))
            continue
        objections = [
            o
            for o in (_objection(row, names) for row in ws.store.recaps.objections_within(sub.code))
            if o.contest == contest
        ]
        stale = _stale(look, sub.code, versions, state, objections)
        current = [v for v in in_force if v.hash not in stale]
        if not current:
            out.append(Child(sub.code, sub.name, OUTDATED, None, None, state.attention))
            continue
        mine = [v for v in current if v.signer == own]
        named = (mine or current)[0]
        out.append(
            Child(
                sub.code,
                sub.name,
                state.state,
                named.hash,
                named.totals,
                state.attention,
                frozenset(v.hash for v in current),
            )
        )
    return out


def _own_key(ws: Workspace) -> str | None:
    """This laptop's key id (None: a folder without an identity)."""
    try:
        return ws.keystore_info().key_id
    except RecapError:  # no keystore, or one that does not read: no key of its own
        return None


def _signer_names(ws: Workspace) -> dict[str, dict[str, Any]]:
    return {str(c["key_id"]): c for c in ws.store.keys.certificates()}


def _name(names: dict[str, dict[str, Any]], signer: str) -> str | None:
    found = names.get(signer)
    return str(found["name"]) if found else None


def _objection(row: dict[str, Any], names: dict[str, dict[str, Any]]) -> Objection:
    cert = names.get(str(row["signer"]))
    return Objection(
        hash=str(row["hash"]),
        place=str(row["place"]),
        contest=str(row["contest"]),
        kind=str(row["kind"]),
        witness=row["witness"],
        paper=row["paper"],
        subject=str(row["subject"]),
        signer=str(row["signer"]),
        signer_name=str(cert["name"]) if cert else None,
        signer_role=str(cert["role"]) if cert else None,
        time=str(row["time"]),
        standing=row["standing"],
        rulings=tuple(
            Ruling(
                str(r["hash"]),
                str(r["signer"]),
                _name(names, str(r["signer"])),
                str(r["time"]),
                str(r["decision"]),
                str(r["reason"]),
                r["standing"],
                int(r["seq"]),
                tuple(r["overrides"]),
            )
            for r in row["rulings"]
        ),
    )


def _version(row: dict[str, Any], names: dict[str, dict[str, Any]]) -> Version:
    return Version(
        hash=str(row["hash"]),
        signer=str(row["signer"]),
        signer_name=_name(names, str(row["signer"])),
        seq=int(row["seq"]),
        time=str(row["time"]),
        basis=str(row["basis"]),
        final=bool(row["final"]),
        supersedes=row["supersedes"],
        reason=row["reason"],
        totals=dict(row["totals"]),
        children=list(row["children"]),
        pending=list(row["pending"]),
        objections=list(row["objections"]),
        standing=row["standing"],
    )


# -- signing --------------------------------------------------------------------------------


def sign_dhasil(
    ws: Workspace,
    key: SigningKey,
    region_code: str,
    contest_id: str,
    *,
    basis: str | None = None,
    final: bool = True,
    reason: str | None = None,
) -> Record:
    """Build the D.Hasil the plenary stands at and sign it as the region's chair.

    Refused, with nothing signed, when the key does not chair this region, when a final
    D.Hasil is asked while something blocks closing (each blocker listed), when the chair's
    own D.Hasil exists and no reason for the new version is given, or when nothing changed.
    """
    check_mandate(ws, key, region_code, "dhasil")
    state = plenary(ws, region_code, contest_id, basis)
    if final and not state.can_close:
        raise RecapError("dhasil.blocked", exit_code=1, details=blocker_lines(state))
    mine = [v for v in state.versions if v.signer == key.key_id and v.hash in state.state.heads]
    previous = mine[-1] if mine else None
    payload: dict[str, Any] = {
        "type": "dhasil",
        **next_link(ws, key),
        "election": region_service.outline(ws).id,
        "region": region_code,
        "contest": contest_id,
        "basis": state.basis,
        "totals": state.totals,
        "children": state.payload_children(),
        "pending": state.payload_pending(),
        "objections": state.payload_objections(key.key_id),
        "final": final,
        "supersedes": None,
        "reason": None,
    }
    if previous is not None:
        if not (reason and reason.strip()):
            raise RecapError("dhasil.exists", hash=previous.hash)
        same = {k: payload[k] for k in ("basis", "totals", "children", "pending", "objections")}
        if final == previous.final and same == {
            "basis": previous.basis,
            "totals": previous.totals,
            "children": previous.children,
            "pending": previous.pending,
            "objections": previous.objections,
        }:
            raise RecapError("dhasil.unchanged", hash=previous.hash)
        payload["supersedes"] = previous.hash
        payload["reason"] = reason.strip()
    record = sign(key, payload)
    admit_own(ws, record)
    return record


def blocker_lines(state: Plenary, lang: str | None = None) -> list[str]:
    """One line per blocker, for the CLI and the window."""
    from recap_desktop.messages import tr

    out = [tr("dhasil.blocker.missing", lang, code=c) for c in state.blockers.missing]
    out += [tr("dhasil.blocker.disputed", lang, code=c) for c in state.blockers.disputed]
    out += [tr("dhasil.blocker.outdated", lang, code=c) for c in state.blockers.outdated]
    subjects = {o.hash: o for o in state.objections}
    out += [
        tr(
            "dhasil.blocker.ruling_disputed"
            if subjects[h].status.state == DISPUTED
            else "dhasil.blocker.objection",
            lang,
            hash=h[:16],
            place=subjects[h].place,
            subject=subjects[h].subject,
        )
        for h in state.blockers.open_objections
    ]
    return out


def file_objection(
    ws: Workspace,
    key: SigningKey,
    *,
    place: str,
    contest: str,
    subject: str,
    kind: str = "objection",
    witness_name: str | None = None,
    represents: str | None = None,
    paper: str | None = None,
) -> Record:
    """A witness's objection or an incident, signed by the witness's own key or entered by
    the officer from the paper form (then ``paper`` names that form)."""
    if kind not in OBJECTION_KINDS:
        raise RecapError("objection.kind", kind=kind)
    outline = region_service.outline(ws)
    if ws.store.places.station(place) is None and ws.store.places.region(place) is None:
        raise RecapError("region.unknown", region=place)
    if contest not in outline.contests:
        raise RecapError(
            "contest.unknown", station=place, contest=contest, choices=", ".join(outline.contests)
        )
    if not subject.strip():
        raise RecapError("objection.subject")
    witness = None
    if witness_name and witness_name.strip():
        if not (represents and represents.strip()):
            raise RecapError("objection.represents")
        witness = {"name": witness_name.strip(), "represents": represents.strip()}
    elif kind == "objection":
        raise RecapError("objection.witness")
    paper = paper.strip() if paper and paper.strip() else None
    if paper is None and "witness" not in _roles(ws, key):
        # Without a paper form it is the witness's own word: only a witness's key signs it.
        raise RecapError("objection.paper")
    check_mandate(ws, key, place, "objection", roles_for("objection", {"paper": paper}))
    record = sign(
        key,
        {
            "type": "objection",
            **next_link(ws, key),
            "election": outline.id,
            "place": place,
            "contest": contest,
            "kind": kind,
            "witness": witness,
            "paper": paper,
            "subject": subject.strip(),
        },
    )
    admit_own(ws, record)
    return record


def resolve_objection(
    ws: Workspace, key: SigningKey, objection: str, decision: str, reason: str
) -> Record:
    """The chair's signed ruling on an objection or incident. It overrides every ruling in
    force on it that this laptop holds (another chair's, or an appeal's): the chair saw them
    and decides again, so the new ruling stands alone whatever order the records travel in."""
    if decision not in DECISIONS:
        raise RecapError("resolution.decision", decision=decision)
    if not reason.strip():
        raise RecapError("resolution.reason")
    found = ws.store.recaps.objection(objection)
    if found is None:
        raise RecapError("objection.unknown", hash=objection)
    if decision not in DECISIONS_FOR_KIND[str(found["kind"])]:
        raise RecapError("resolution.kind", decision=decision, kind=found["kind"])
    check_mandate(ws, key, str(found["place"]), "resolution")
    seen = _objection(found, {})
    replaced = sorted(r.hash for r in seen.in_force if r.signer != key.key_id)
    record = sign(
        key,
        {
            "type": "resolution",
            **next_link(ws, key),
            "election": region_service.outline(ws).id,
            "objection": objection,
            "place": found["place"],
            "contest": found["contest"],
            "decision": decision,
            "reason": reason.strip(),
            "overrides": replaced,
        },
    )
    admit_own(ws, record)
    return record


def _roles(ws: Workspace, key: SigningKey) -> set[str]:
    """The roles this key's certificates give; before any certificate, the role its keystore
    was made for."""
    roles = {str(c["role"]) for c in ws.store.keys.certificates() if c["key_id"] == key.key_id}
    if roles:
        return roles
    from recap_desktop.services.identity import keystore_identity

    return {keystore_identity(ws).role}


def objections_within(ws: Workspace, region: str, contest: str | None = None) -> list[Objection]:
    """Every objection filed inside a region (open ones first), for the boards."""
    names = _signer_names(ws)
    found = [_objection(o, names) for o in ws.store.recaps.objections_within(region, contest)]
    return sorted(found, key=lambda o: (not o.open, o.time, o.hash))


def open_objections(ws: Workspace) -> list[Objection]:
    """Every objection no chair has ruled on yet, in the whole election (the supervisor's
    problem list): they block their D.Hasil."""
    tops = ws.store.places.child_regions(None)
    return [o for r in tops for o in objections_within(ws, r.code) if o.open]


def chaired_regions(ws: Workspace, key_id: str) -> list[str]:
    """The regions a key chairs (its chair certificates' jurisdictions that hold a plenary)."""
    out = []
    for cert in ws.store.keys.certificates():
        if cert["key_id"] == key_id and cert["role"] == "chair":
            found = ws.store.places.region(str(cert["jurisdiction"]))
            if found is not None and found.level in RECAP_LEVELS:
                out.append(found.code)
    return sorted(set(out))
