"""What a printed D.Hasil or C.Hasil says, page by page, before anything is drawn.

The window's print preview and `recap dhasil --pdf` / `recap sheet print` draw the same
``PrintedForm`` (``ui/printing.py`` paints it with Qt on A4). Every page carries the signed
record's hash in text and a QR code of ``recap:1:<type>:<hash>:<signer key id>``, so anyone
holding the paper can check it against the signed record (`recap check-print`).

The table is laid out like the paper forms: the form's sections and rows, in the paper's
order; a D.Hasil has a column per village (a sub-district's), per sub-district (a regency's,
when it rests on the sheets) or per child region, and the total the chair signed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from recap_desktop.crypto.envelope import Record
from recap_desktop.domain.election import Contest, text
from recap_desktop.domain.recap import RECAPS
from recap_desktop.messages import language, tr
from recap_desktop.services import plenary as plenary_service
from recap_desktop.services import regions as region_service
from recap_desktop.services.workspace import RecapError, Workspace

QR_PREFIX = "recap:1"
_QR_RE = re.compile(r"^recap:1:([a-z][a-z_]{0,31}):([0-9a-f]{64}):([0-9a-f]{64})\Z")
_HASH_RE = re.compile(r"^[0-9a-f]{64}\Z")


def qr_text(record: Record) -> str:
    """What a printed page's QR code holds: the record's type, hash and signer key id."""
    return f"{QR_PREFIX}:{record.type}:{record.hash}:{record.signer}"


@dataclass(frozen=True)
class PrintedCode:
    """A QR code's text or a typed hash, read: the hash, and the type and signer it claims."""

    hash: str
    type: str | None = None
    signer: str | None = None


def read_code(value: str) -> PrintedCode:
    """Parse what `recap check-print` is given: a QR code's text, or a hash as printed."""
    cleaned = value.strip()
    found = _QR_RE.match(cleaned)
    if found:
        return PrintedCode(found.group(2), found.group(1), found.group(3))
    compact = re.sub(r"\s+", "", cleaned).lower()
    if _HASH_RE.match(compact):
        return PrintedCode(compact)
    raise RecapError("check.bad_input", text=cleaned[:80])


@dataclass(frozen=True)
class Row:
    number: str
    label: str
    values: tuple[str, ...]
    heading: bool = False  # a section's title row


@dataclass(frozen=True)
class Block:
    """A titled list under the table (children counted, pending, objections...)."""

    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class PrintedForm:
    lang: str
    title: str  # e.g. MODEL D.HASIL KECAMATAN
    subtitle: str  # the contest
    header: tuple[tuple[str, str], ...]  # (label, value) of the place
    label_heading: str
    columns: tuple[str, ...]  # value columns: one per group, then the total
    rows: tuple[Row, ...]
    blocks: tuple[Block, ...]
    signatures: tuple[tuple[str, str], ...]  # (role, name and key or an empty line)
    status: str  # FINAL / SEMENTARA (interim) / C.Hasil's state
    record_hash: str
    signer: str
    qr: str
    check_line: str
    demo: bool = False
    landscape: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)


def _t(key: str, lang: str, **params: object) -> str:
    return tr(key, lang, **params)


def _level_title(level: str, lang: str) -> str:
    return _t(f"print.level.{level}", lang)


def dhasil_form(ws: Workspace, record_hash: str, lang: str | None = None) -> PrintedForm:
    """The printed D.Hasil of a signed record held in this store."""
    lang = lang or language()
    record = ws.store.records.get(record_hash)
    if record is None or record.type != "dhasil":
        raise RecapError("check.not_held", hash=record_hash, where="")
    p = record.payload
    outline = region_service.outline(ws)
    contest = outline.contests[p["contest"]]
    region = ws.store.places.region(p["region"])
    level = region.level if region is not None else "district"
    names = {str(c["key_id"]): c for c in ws.store.keys.certificates()}
    # Group the children into columns: a sub-district's stations by village, a regency's by
    # sub-district; children that are regions are a column each.
    depth = len(p["region"].split(".")) + 1
    groups: dict[str, dict[str, int]] = {}
    for child in p["children"]:
        code = child["code"] if p["basis"] == RECAPS else ".".join(child["code"].split(".")[:depth])
        numbers = _numbers(ws, child["record"], p["basis"])
        acc = groups.setdefault(code, {})
        for name, value in numbers.items():
            acc[name] = acc.get(name, 0) + int(value)
    for entry in p["pending"]:
        code = entry["code"] if p["basis"] == RECAPS else ".".join(entry["code"].split(".")[:depth])
        groups.setdefault(code, {})
    codes = sorted(groups)
    columns = (*(_place_name(ws, c) for c in codes), _t("print.total", lang))
    rows = _rows(
        contest,
        lang,
        lambda fid: (
            *(str(groups[c].get(fid, 0)) for c in codes),
            _n(p["totals"].get(fid, 0)),
        ),
    )
    blocks = [
        Block(
            _t("print.children", lang, count=len(p["children"])),
            tuple(
                f"{c['code']}  {_place_name(ws, c['code'])}  {c['record'][:16]}…"
                for c in p["children"]
            ),
        )
    ]
    if p["pending"]:
        blocks.append(
            Block(
                _t("print.pending", lang, count=len(p["pending"])),
                tuple(
                    f"{e['code']}  {_place_name(ws, e['code'])}  ({_state_name(e['state'], lang)})"
                    for e in p["pending"]
                ),
            )
        )
    blocks.append(
        _objections_block(
            ws,
            [
                (e["objection"], [e["resolution"]] if e["resolution"] else [])
                for e in p["objections"]
            ],
            lang,
        )
    )
    if p["supersedes"]:
        blocks.append(
            Block(
                _t("print.correction", lang),
                (_t("print.supersedes", lang, hash=p["supersedes"], reason=p["reason"]),),
            )
        )
    cert = names.get(record.signer)
    chair = _who(cert, record, lang)
    signatures = [(_t(f"print.chair.{level}", lang), chair)]
    signatures += [(_t("print.witness_box", lang, n=i), "") for i in range(1, 5)]
    return PrintedForm(
        lang=lang,
        title=_level_title(level, lang),
        subtitle=text(contest.name, lang),
        header=_header(ws, p["region"], lang),
        label_heading=_t("print.description", lang),
        columns=columns,
        rows=rows,
        blocks=tuple(blocks),
        signatures=tuple(signatures),
        status=_t("print.final" if p["final"] else "print.interim", lang),
        record_hash=record.hash,
        signer=record.signer,
        qr=qr_text(record),
        check_line=_t("print.check", lang, hash=record.hash),
        demo=_demo(ws),
        landscape=True,
    )


def chasil_form(ws: Workspace, record_hash: str, lang: str | None = None) -> PrintedForm:
    """The printed C.Hasil of a signed sheet held in this store."""
    lang = lang or language()
    record = ws.store.records.get(record_hash)
    if record is None or record.type != "sheet":
        raise RecapError("check.not_held", hash=record_hash, where="")
    p = record.payload
    contest = region_service.outline(ws).contests[p["contest"]]
    station = ws.store.places.station(p["station"])
    names = {str(c["key_id"]): c for c in ws.store.keys.certificates()}
    rows = _rows(contest, lang, lambda fid: (_n(p["values"].get(fid, 0)),))
    status = ws.store.sheets.status(p["station"], p["contest"])
    state = status["state"] if status else "not_entered"
    counted = status is not None and record.hash in (status.get("heads") or [])
    blocks = []
    if p["warnings"]:
        because = p.get("warnings_reason")
        lines = (
            *p["warnings"],
            *([_t("print.warnings_reason", lang, reason=because)] if because else []),
        )
        blocks.append(Block(_t("print.warnings", lang), tuple(lines)))
    if p.get("double_entry"):
        blocks.append(Block(_t("print.typing", lang), (_t("sheet.double_entered", lang),)))
    if p["supersedes"]:
        blocks.append(
            Block(
                _t("print.correction", lang),
                (_t("print.supersedes", lang, hash=p["supersedes"], reason=p["reason"]),),
            )
        )
    objections = [
        (o.hash, [r.hash for r in o.in_force])
        for o in plenary_service.objections_within(ws, p["station"], p["contest"])
    ]
    if objections:
        blocks.append(_objections_block(ws, objections, lang))
    cert = names.get(record.signer)
    officer = _who(cert, record, lang)
    header = list(_header(ws, p["station"], lang))
    if station is not None:
        header.append((_t("print.registered", lang), str(station.registered)))
    return PrintedForm(
        lang=lang,
        title=_t("print.level.station", lang),
        subtitle=text(contest.name, lang),
        header=tuple(header),
        label_heading=_t("print.description", lang),
        columns=(_t("print.count", lang),),
        rows=rows,
        blocks=tuple(blocks),
        signatures=(
            (_t("print.entered_by", lang), officer),
            *((_t("print.witness_box", lang, n=i), "") for i in range(1, 3)),
        ),
        status=_state_name(state, lang) + ("" if counted else " · " + _t("print.not_latest", lang)),
        record_hash=record.hash,
        signer=record.signer,
        qr=qr_text(record),
        check_line=_t("print.check", lang, hash=record.hash),
        demo=_demo(ws),
        landscape=False,
    )


def current_sheet(ws: Workspace, station: str, contest: str) -> str:
    """The hash of the sheet a station counts (or its latest version), to print it."""
    region_service.locate(ws, station, contest)
    status = ws.store.sheets.status(station, contest)
    if status is not None and status["current"]:
        return str(status["current"])
    versions = ws.store.sheets.versions(station, contest)
    if not versions:
        raise RecapError("sheet.none", station=station, contest=contest)
    return str(versions[-1]["hash"])


def current_dhasil(ws: Workspace, region: str, contest: str) -> str:
    """The D.Hasil to print: the one this laptop shows (``Plenary.printable``). Refused, with
    the versions listed, when several chairs' versions stand and none is this laptop's."""
    state = plenary_service.plenary(ws, region, contest)
    chosen = state.printable
    if chosen is not None:
        return chosen.hash
    if state.versions:
        raise RecapError(
            "dhasil.several",
            region=region,
            contest=contest,
            hashes=", ".join(sorted(state.state.in_force or state.state.heads)),
        )
    raise RecapError("dhasil.none", region=region, contest=contest)


def _who(cert: dict[str, object] | None, record: Record, lang: str) -> str:
    """Who signed, for the signature box: name and officer id, key, time."""
    name = f"{cert['name']} ({cert['officer_id']})" if cert else _t("print.uncertified", lang)
    key = f"{_t('print.key', lang)} {record.signer[:32]}…"
    return f"{name}\n{key}\n{_t('print.signed_at', lang)} {record.payload['time']}"


def _numbers(ws: Workspace, record_hash: str, basis: str) -> dict[str, int]:
    child = ws.store.records.get(record_hash)
    if child is None:
        return {}
    found = child.payload.get("totals" if basis == RECAPS else "values")
    return dict(found) if isinstance(found, dict) else {}


def _rows(contest: Contest, lang: str, values: object) -> tuple[Row, ...]:
    assert callable(values)
    out: list[Row] = []
    number = 0
    for section in contest.form.sections:
        out.append(Row("", text(section.label, lang), (), heading=True))
        for f in section.fields:
            number += 1
            out.append(Row(str(number), text(f.label, lang), tuple(values(f.id))))
    return tuple(out)


def _n(value: object) -> str:
    return f"{int(value):,}".replace(",", ".") if isinstance(value, int) else str(value)


def _objections_block(ws: Workspace, entries: list[tuple[str, list[str]]], lang: str) -> Block:
    """Each objection and the rulings it is shown with: the one a D.Hasil names, or every
    ruling in force on it (two that disagree are both shown)."""
    names = {str(c["key_id"]): c for c in ws.store.keys.certificates()}
    lines: list[str] = []
    for objection, named in entries:
        record = ws.store.records.get(objection)
        if record is None:
            continue
        p = record.payload
        who = (
            f"{p['witness']['name']} ({p['witness']['represents']})"
            if p["witness"]
            else _t("print.no_witness", lang)
        )
        kind = _t(f"print.kind.{p['kind']}", lang)
        paper = f" [{p['paper']}]" if p["paper"] else ""
        lines.append(f"{kind} {record.hash[:12]}… · {p['place']} · {who}{paper}: {p['subject']}")
        rulings = [r for r in (ws.store.records.get(h) for h in named) if r is not None]
        if not rulings:
            lines.append("    → " + _t("print.open", lang))
        for ruling in rulings:
            r = ruling.payload
            cert = names.get(ruling.signer)
            by = cert["name"] if cert else ruling.signer[:16]
            lines.append(
                "    → "
                + _t(f"print.decision.{r['decision']}", lang)
                + f" ({by}, {r['time']}): {r['reason']}"
            )
    return Block(_t("print.objections", lang, count=len(entries)), tuple(lines) or ("—",))


def _header(ws: Workspace, code: str, lang: str) -> tuple[tuple[str, str], ...]:
    """Province, regency, sub-district, village, station: each level the place lies in."""
    out = []
    parts = code.split(".")
    for i in range(1, len(parts) + 1):
        prefix = ".".join(parts[:i])
        region = ws.store.places.region(prefix)
        if region is not None:
            out.append((_t(f"print.place.{region.level}", lang), f"{region.name} ({prefix})"))
            continue
        station = ws.store.places.station(prefix)
        if station is not None:
            out.append((_t("print.place.station", lang), f"{station.name} ({prefix})"))
    return tuple(out)


def _place_name(ws: Workspace, code: str) -> str:
    region = ws.store.places.region(code)
    if region is not None:
        return region.name
    station = ws.store.places.station(code)
    return station.name if station is not None else code


def _state_name(state: str, lang: str) -> str:
    key = f"print.state.{state}"
    try:
        return _t(key, lang)
    except KeyError:
        return state


def _demo(ws: Workspace) -> bool:
    return ws.store.keys.folder() == "demo"
