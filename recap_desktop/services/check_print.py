"""`recap check-print`: does a printed D.Hasil or C.Hasil match a signed record?

A person holding the paper gives the QR code's text (any phone reads it) or the hash printed
under it. The record is looked up in this folder, or fetched from the server: its signature
is checked under the certificates this folder trusts, a D.Hasil is recomputed from the
children it names (the admission rule's own check), and the answer says whether it is the
version in force, then lists what the record says, line by line, to compare with the paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json
from recap_desktop.domain.election import in_region, text
from recap_desktop.messages import language
from recap_desktop.protocol.checks import check_record
from recap_desktop.protocol.problems import ERROR, Problem
from recap_desktop.protocol.recap import check_references
from recap_desktop.protocol.records import RECAP_TYPES, place_of
from recap_desktop.services import regions as region_service
from recap_desktop.services.admission import trust
from recap_desktop.services.plenary import OUTDATED, Plenary, plenary
from recap_desktop.services.printing import PrintedCode, read_code
from recap_desktop.services.workspace import RecapError, Workspace


@dataclass
class PrintCheck:
    code: PrintedCode
    record: Record | None = None
    problems: list[Problem] = field(default_factory=list)
    certificate: dict[str, Any] | None = None
    newer: str | None = None  # the version in force, when this one was replaced
    # Not replaced, but not what counts now: a sheet's station state when the sheet is not
    # among its counted sheets (rejected, disputed, ...); "disputed" for a D.Hasil whose
    # region's chairs disagree; "outdated" for a D.Hasil in force that no longer says what
    # its children count (PROTOCOL §6.1). None: it counts.
    standing: str | None = None
    lines: list[str] = field(default_factory=list)  # what the record says
    server: str | None = None
    index: int | None = None

    @property
    def signer_differs(self) -> bool:
        return bool(
            self.record and self.code.signer and self.code.signer != self.record.signer
        ) or bool(self.record and self.code.type and self.code.type != self.record.type)

    @property
    def ok(self) -> bool:
        """Held, verifies, signed by whom the paper says, the version in force, and what
        counts now."""
        return (
            self.record is not None
            and not self.signer_differs
            and not any(p.severity == ERROR for p in self.problems)
            and self.newer is None
            and self.standing is None
        )


def check_print(
    ws: Workspace, given: str, *, server: str | None = None, lang: str | None = None
) -> PrintCheck:
    code = read_code(given)
    out = PrintCheck(code)
    record = ws.store.records.get(code.hash)
    if record is None and server:
        record, out.index = _fetch(server, code.hash)
        out.server = server
    if record is None:
        return out
    out.record = record
    held = trust(ws)
    out.problems = [p for p in check_record(record, held, datetime.now(UTC)) if p.severity == ERROR]
    if not out.problems and record.type in RECAP_TYPES:
        again = check_references(
            record.hash, record.type, record.signer, record.payload, ws.store.view.payload
        )
        if again is not None:
            out.problems.append(again)
    certs = [c for c in ws.store.keys.certificates() if c["key_id"] == record.signer]
    place = place_of(record.type, record.payload) or ""
    fitting = [c for c in certs if in_region(place, str(c["jurisdiction"]))]
    out.certificate = next(iter(fitting or certs), None)
    p = record.payload
    region = plenary(ws, p["region"], p["contest"], p["basis"]) if record.type == "dhasil" else None
    out.newer = _newer(ws, record, region)
    if out.newer is None and not out.problems and out.server is None:
        # Only of what this folder holds: a record fetched from the server is judged by
        # what the server holds (it is not among this folder's versions at all).
        out.standing = _standing(ws, record, region)
    out.lines = _lines(ws, record, lang or language())
    return out


def _fetch(server: str, record_hash: str) -> tuple[Record | None, int | None]:
    from recap_desktop.sync.client import ServerClient, SyncError

    client = ServerClient(server)
    try:
        answer = client.record(record_hash)
    except SyncError as exc:
        raise RecapError("check.server_failed", server=server, detail=exc) from exc
    finally:
        client.close()
    if answer is None:
        return None, None
    try:
        record = from_json(answer.get("record"))
    except EnvelopeError as exc:
        raise RecapError("check.server_failed", server=server, detail=exc) from exc
    if record.hash != record_hash:
        raise RecapError("check.server_failed", server=server, detail="another record came back")
    index = answer.get("index")
    return record, index if isinstance(index, int) else None


def _newer(ws: Workspace, record: Record, held: Plenary | None) -> str | None:
    """The version in force of the same station or region, if it is not this one (``held``:
    a D.Hasil's region's plenary)."""
    p = record.payload
    if record.type == "sheet":
        status = ws.store.sheets.status(p["station"], p["contest"])
        if status is None or record.hash in status["heads"]:
            return None
        return status["current"] or (status["heads"][0] if status["heads"] else None)
    if record.type == "dhasil" and held is not None:
        state = held
        if record.hash in state.state.heads:
            return None
        # Replaced: by its signer's own latest version, else by every D.Hasil in force.
        mine = [v.hash for v in state.versions if v.signer == record.signer]
        latest = [h for h in state.state.heads if h in mine]
        return ", ".join(latest or state.state.in_force) or None
    return None


def _standing(ws: Workspace, record: Record, held: Plenary | None) -> str | None:
    """Why a record that is its signer's latest version does not count now, if it does not:
    a paper can carry a valid signature and still not be what the count rests on."""
    p = record.payload
    if record.type == "sheet":
        key = (str(p["station"]), str(p["contest"]))
        state = ws.store.recaps.sheet_states([key]).get(key)
        if state is None or record.hash in state.counted:
            return None
        return state.state
    if record.type == "dhasil" and held is not None:
        if record.hash not in held.state.in_force:
            return held.state.state  # disputed, or set aside (its standing)
        return OUTDATED if record.hash in held.stale else None
    return None


def _lines(ws: Workspace, record: Record, lang: str) -> list[str]:
    p = record.payload
    contest = region_service.outline(ws).contests.get(str(p.get("contest")))
    numbers = p.get("totals") if record.type == "dhasil" else p.get("values")
    out = [f"{record.type} · {p.get('station') or p.get('region') or p.get('place')}"
           f" · {p.get('contest')} · {p.get('time')}"]  # fmt: skip
    if record.type == "dhasil":
        out.append(
            f"final: {p['final']} · {len(p['children'])} + {len(p['pending'])} pending"
            f" · {len(p['objections'])} objections"
        )
    if contest is not None and isinstance(numbers, dict):
        number = 0
        for section in contest.form.sections:
            for f in section.fields:
                number += 1
                out.append(
                    f"{number:>3}. {text(f.label, lang)[:58]:<58} {numbers.get(f.id, '-'):>10}"
                )
    elif record.type in ("objection", "resolution"):
        out.append(str(p.get("subject") or p.get("reason")))
    return out
