"""The `recap` command. Every command is a thin call into the services the window uses too.

Exit codes: 0 done; 1 verification found problems, a sheet broke an error rule, or the server
refused records; 2 bad usage or input; 3 the server could not be reached. Messages come from
the catalogue (Indonesian or English by locale or RECAP_LANG).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from recap_desktop.crypto.canonical import CanonicalError, parse_json
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.election import text
from recap_desktop.messages import (
    MESSAGES,
    NETWORK,
    help_text,
    language,
    misbehaviour_name,
    network_error,
    problem_name,
    tr,
    use_language,
)
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import election as election_service
from recap_desktop.services import identity as identity_service
from recap_desktop.services import photos as photo_service
from recap_desktop.services import recap as recap_service
from recap_desktop.services import requirements as requirement_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services.verify import rebuild_tables, verify_store
from recap_desktop.storage import StorageError, TamperedStore
from recap_desktop.version import add_version_option

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_SERVER = 0, 1, 2, 3, 4


# argparse looks its own sentences up through gettext at the moment it needs them (a usage
# error, a section title), and Python ships no Indonesian for them: the CLI's catalogue
# answers instead, so an officer's usage errors read in the officer's language.
argparse._ = help_text  # type: ignore[attr-defined]


class HelpFormatter(argparse.HelpFormatter):
    """argparse's layout, with its "usage: " in the reader's language."""

    def _format_usage(self, usage: Any, actions: Any, groups: Any, prefix: Any) -> str:
        chosen = help_text("usage: ") if prefix is None else prefix
        return super()._format_usage(usage, actions, groups, chosen)


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # argparse exits 2 on usage errors, as we want
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def _out(line: str = "") -> None:
    print(line)


def _json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False))


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise RecapError("file.unreadable", path=path, detail=exc.strerror or exc) from exc


def passphrase_from(args: argparse.Namespace, *, confirm: bool = False) -> str | None:
    """--passphrase-file, else $RECAP_PASSPHRASE, else a silent prompt; None if none can be had."""
    if args.passphrase_file:
        return _read_file(args.passphrase_file).decode("utf-8").rstrip("\r\n")
    env = os.environ.get("RECAP_PASSPHRASE")
    if env:
        return env
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass(tr("passphrase.prompt"))
    if confirm and getpass.getpass(tr("passphrase.repeat")) != first:
        raise RecapError("passphrase.mismatch")
    return first


def unlock(ws: Workspace, args: argparse.Namespace) -> SigningKey:
    ident = identity_service.show_identity(ws)
    passphrase = passphrase_from(args)
    if passphrase is None:
        if not ident.demo:
            raise RecapError("passphrase.missing")
        passphrase = identity_service.DEMO_PASSPHRASE
    return identity_service.unlock(ws, passphrase)


# -- commands ---------------------------------------------------------------------------------


def cmd_demo_init(ws: Workspace, args: argparse.Namespace) -> int:
    passphrase = (
        passphrase_from(args)
        if (args.passphrase_file or os.environ.get("RECAP_PASSPHRASE"))
        else None
    )
    ident = demo_service.init_demo(
        ws,
        officer_id=args.officer_id,
        role=args.role,
        passphrase=passphrase,
        stations=args.stations,
        jurisdiction=args.jurisdiction,
    )
    _out(
        tr(
            "demo.init",
            stations=len(election_service.current_election(ws).stations),
            officer_id=ident.officer_id,
            role=ident.role,
            passphrase=identity_service.DEMO_PASSPHRASE if passphrase is None else "********",
        )
    )
    _out(
        tr(
            "identity.created",
            name=ident.name,
            officer_id=ident.officer_id,
            role=ident.role,
            fingerprint=ident.fingerprint,
        )
    )
    return EXIT_OK


def cmd_demo_populate(ws: Workspace, args: argparse.Namespace) -> int:
    key = unlock(ws, args)
    sheets, stations = demo_service.populate(ws, key, stations=args.stations, seed=args.seed)
    _out(tr("demo.populated", sheets=sheets, stations=stations))
    return EXIT_OK


def cmd_identity_create(ws: Workspace, args: argparse.Namespace) -> int:
    if ws.keystore_path.exists():
        raise RecapError("identity.exists", path=ws.keystore_path)
    passphrase = passphrase_from(args, confirm=True)
    if passphrase is None:
        raise RecapError("passphrase.missing")
    ident = identity_service.create_identity(
        ws, name=args.name, officer_id=args.officer_id, role=args.role, passphrase=passphrase
    )
    _out(
        tr(
            "identity.created",
            name=ident.name,
            officer_id=ident.officer_id,
            role=ident.role,
            fingerprint=ident.fingerprint,
        )
    )
    if ident.certificate is None:
        _out(tr("identity.uncertified"))
    return EXIT_OK


def cmd_identity_show(ws: Workspace, args: argparse.Namespace) -> int:
    ident = identity_service.show_identity(ws)
    if args.json:
        _json(ident.to_json())
        return EXIT_OK
    _out(f"{ident.name} ({ident.officer_id}), {ident.role}{' [DEMO]' if ident.demo else ''}")
    _out(f"key id: {ident.key_id}")
    _out(f"fingerprint: {ident.fingerprint}")
    if ident.certificate:
        c = ident.certificate
        _out(
            f"certificate: {c['role']}, region {c['jurisdiction']}, "
            f"{c['valid_from']} .. {c['valid_until']}"
        )
    _out(tr(f"identity.status.{ident.status}"))
    return EXIT_OK


def cmd_identity_request(ws: Workspace, args: argparse.Namespace) -> int:
    key = unlock(ws, args)
    doc = identity_service.certificate_request(ws, key)
    Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")
    _out(args.out)
    return EXIT_OK


def cmd_identity_certificate(ws: Workspace, args: argparse.Namespace) -> int:
    certs = identity_service.import_certificates(ws, _read_file(args.file), args.file)
    for c in certs:
        _out(tr("certificate.imported", name=c.name, role=c.role, jurisdiction=c.jurisdiction))
    return EXIT_OK


def cmd_election_import(ws: Workspace, args: argparse.Namespace) -> int:
    election, changed = election_service.import_election(
        ws,
        _read_file(args.file),
        args.file,
        trust_authority=args.trust_authority,
    )
    key = "election.imported" if changed else "election.same"
    _out(
        tr(
            key,
            election=election.id,
            version=election.version,
            contests=len(election.contests),
            stations=len(election.stations),
        )
    )
    return EXIT_OK


def cmd_election_show(ws: Workspace, args: argparse.Namespace) -> int:
    election = election_service.current_election(ws)
    lang = language()
    if args.json:
        _json(election_service.election_json(election, lang))
        return EXIT_OK
    _out(f"{text(election.name, lang)}  [{election.id} v{election.version}]")
    for contest in election.contests.values():
        _out(f"\n{contest.id}: {text(contest.name, lang)}")
        for ch in contest.choices:
            cands = ", ".join(c.name for c in ch.candidates)
            _out(f"  {ch.number:02d} {ch.name}" + (f" ({cands})" if cands else ""))
    _out("")
    for code in _walk(election, None):
        region = election.regions[code]
        depth = code.count(".")
        stations = election.stations_of(code)
        suffix = f"  ({len(stations)} TPS: {stations[0]} .. {stations[-1]})" if stations else ""
        _out(f"{'  ' * depth}{code}  {region.name}{suffix}")
    return EXIT_OK


def _walk(election: Any, code: str | None) -> list[str]:
    out = []
    for child in election.children(code):
        out.append(child)
        out.extend(_walk(election, child))
    return out


def cmd_sheet_template(ws: Workspace, args: argparse.Namespace) -> int:
    _json(sheet_service.template(ws, args.station, args.contest))
    return EXIT_OK


def _values_file(path: str) -> dict[str, Any]:
    try:
        values = parse_json(_read_file(path))
    except CanonicalError as exc:
        raise RecapError("values.unreadable", path=path, detail=exc) from exc
    if not isinstance(values, dict):
        raise RecapError(
            "values.unreadable", path=path, detail="a JSON object of field -> number is expected"
        )
    return values


def cmd_sheet_enter(ws: Workspace, args: argparse.Namespace) -> int:
    values = _values_file(args.values)
    if args.reason and not args.supersedes:
        raise RecapError("sheet.reason_without_supersedes")
    if args.supersedes and not (args.reason and args.reason.strip()):
        raise RecapError("sheet.reason_needed")
    # Validate before unlocking: a typing slip should not cost a passphrase.
    election = election_service.current_election(ws)
    station, contest = sheet_service.locate(election, args.station, args.contest)
    check = sheet_service.check_sheet(station, contest, values)
    if check.blocking:
        raise RecapError("sheet.refused", exit_code=check.exit_code, details=check.messages())
    double = None
    if args.second_values:
        # The same file twice is no second typing: the service compares what it is given.
        double = sheet_service.double_entered(
            contest, values, _values_file(args.second_values), second=args.second_typist
        )
    if double is None:  # before the passphrase: a refusal should not cost one
        required = requirement_service.double_entry_required(ws, args.station)
        if required is not None:
            raise RecapError("sheet.double_entry_required", exit_code=1, region=required)
    fired = sheet_service.sheet_warnings(ws, station, contest, values)
    if fired and not (args.accept_warnings and args.accept_warnings.strip()):
        raise RecapError(
            "sheet.warnings_need_reason", exit_code=1, details=[w.line() for w in fired]
        )
    supersedes = sheet_service.full_hash(ws, args.supersedes) if args.supersedes else None
    photos = [photo_service.read_file(path) for path in args.photo]
    key = unlock(ws, args)
    record = sheet_service.enter_sheet(
        ws,
        key,
        args.station,
        args.contest,
        values,
        supersedes=supersedes,
        reason=args.reason,
        photos=photos,
        warnings_reason=args.accept_warnings,
        double_entry=double,
    )
    for w in fired:
        print(f"warning {w.line()}", file=sys.stderr)
    _out(record.hash)
    return EXIT_OK


def cmd_require_double_entry(ws: Workspace, args: argparse.Namespace) -> int:
    key = unlock(ws, args)
    record = requirement_service.require_double_entry(ws, key, args.region, not args.lift)
    _out(tr("requirement.saved", hash=record.hash))
    return EXIT_OK


def cmd_sheet_show(ws: Workspace, args: argparse.Namespace) -> int:
    if args.hash:  # a version or review named by (a prefix of) its hash: its station's sheet
        args.station, args.contest = sheet_service.sheet_of(ws, args.hash)
    elif not (args.station and args.contest):
        raise RecapError("sheet.show_what")
    history = sheet_service.sheet_history(ws, args.station, args.contest)
    if args.json:
        _json(history)
        return EXIT_OK
    if not history["versions"]:
        _out(tr("sheet.none", station=args.station, contest=args.contest))
        return EXIT_OK
    why = ", ".join(problem_name(a) for a in history["attention"])
    _out(f"{args.station} / {args.contest}: {history['state']}" + (f" ({why})" if why else ""))
    current = next((v for v in history["versions"] if v["hash"] == history["current"]), None)
    if current:
        _out(f"current: {current['hash']}")
        lang = language()
        form = election_service.current_election(ws).contests[args.contest].form
        for f in form.fields:
            _out(f"  {text(f.label, lang)[:50]:<50} {current['values'].get(f.id, 0):>8}")
    _out("history:")
    for v in history["versions"]:
        who = v["officer"] or v["signer"][:16]
        line = f"  {v['time']}  {v['hash'][:16]}  {who} #{v['seq']}"
        if v["supersedes"]:
            line += f"  corrects {v['supersedes'][:16]}: {v['reason']}"
        if v.get("warnings"):
            line += f"  warnings: {', '.join(v['warnings'])}"
        if v.get("warnings_reason"):
            line += f" ({v['warnings_reason']})"
        if v.get("double_entry"):
            line += "  " + tr("sheet.double_entered")
        if v.get("standing"):
            line += f"  [{problem_name(v['standing'])}]"
        _out(line)
        for photo in v.get("photos", []):
            _out(
                f"    {photo['sha256'][:16]}  {photo['type']:<10} {photo['bytes']:>9} B  "
                + tr(f"photo.state.{photo['state']}")
            )
    for r in history["reviews"]:
        _out(
            f"  {r['time']}  {r['decision']} {r['sheet'][:16]}"
            f" by {r['officer'] or r['signer'][:16]}"
            + (f": {r['reason']}" if r["reason"] else "")
            + (f"  [{problem_name(r['standing'])}]" if r.get("standing") else "")
        )
    return EXIT_OK


def cmd_sheet_review(ws: Workspace, args: argparse.Namespace) -> int:
    sheet = sheet_service.full_hash(ws, args.sheet)
    key = unlock(ws, args)
    record = sheet_service.review_sheet(ws, key, sheet, args.decision, args.reason)
    _out(record.hash)
    return EXIT_OK


def cmd_recap(ws: Workspace, args: argparse.Namespace) -> int:
    results = recap_service.recap_region(ws, args.region, args.contest)
    lang = language()
    if args.format == "json":
        _json({"region": args.region, "contests": [r.to_json() for r in results]})
    elif args.format == "csv":
        recap_service.write_csv(results, sys.stdout, lang)
    else:
        for r in results:
            _out(
                f"{r.region} {r.contest.id}: {text(r.contest.name, lang)}"
                f"  ({r.counted}/{r.expected} TPS)"
            )
            if r.not_counted:
                _out("  " + tr("recap.not_counted", count=r.not_counted))
            for f, total in r.rows():
                _out(f"  {text(f.label, lang)[:60]:<60} {total:>10}")
            _out("")
    return EXIT_OK


def cmd_verify(ws: Workspace, args: argparse.Namespace) -> int:
    report = verify_store(ws)
    # Photos are not records: a missing one is shown (sync fetches it), an altered one fails.
    photo_problems = photo_service.problems(ws)
    missing, altered = photo_service.counts(photo_problems)
    ok = report.ok and not altered
    if args.json:
        _json(
            {
                **report.to_json(),
                "photos": [
                    {"sheet": p.sheet, **p.photo.to_json(), "state": p.state}
                    for p in photo_problems
                ],
            }
        )
        return EXIT_OK if ok else EXIT_PROBLEMS

    errors, attention = report.errors, report.attention
    waiting = [p for p in report.notices if p.kind == "awaiting_certificate"]
    others = [p for p in report.notices if p.kind != "awaiting_certificate"]
    # Never "holds" while anything held does not count (PROTOCOL §5.7).
    if errors:
        _out(tr("verify.problems", count=len(errors), records=report.records))
        _problems(errors)
    if attention:
        _out(tr("verify.attention", count=len(attention)))
        _problems(attention)
    if waiting:
        _out(tr("verify.ok_waiting", records=report.records, count=len(waiting)))
        _problems(waiting)
    if not (errors or attention or waiting):
        _out(tr("verify.ok", records=report.records))
    if others:
        _out(tr("verify.notices", count=len(others)))
        _problems(others)
    if photo_problems:
        _out(tr("verify.photos", missing=missing, altered=altered))
        for p in photo_problems:
            _out(f"  {p.sheet}  {p.photo.sha256}  {tr(f'photo.state.{p.state}')}")
    return EXIT_OK if ok else EXIT_PROBLEMS


def _problems(problems: Sequence[Any]) -> None:
    for p in problems:
        _out(f"  {p.record or '-'}  {problem_name(p.kind)}: {p.detail}")


def cmd_rebuild(ws: Workspace, args: argparse.Namespace) -> int:
    count = rebuild_tables(ws)
    _out(tr("rebuild.done", records=count))
    return EXIT_OK


# -- sync and bundles -------------------------------------------------------------------------


def cmd_sync(ws: Workspace, args: argparse.Namespace) -> int:
    from recap_desktop.services import sync as sync_service
    from recap_desktop.sync.engine import DONE, REFUSED, UNREACHABLE

    sync_service.set_transport(ws.store, ca_file=args.ca_file, allow_http=args.allow_http)
    result = sync_service.sync_once(
        ws, args.server, read_timeout=args.timeout, attempts=args.attempts
    )
    if args.json:
        _json({**result.to_json(), "unsent": ws.store.outbox.unsent_count()})
    elif result.outcome in (DONE, REFUSED):
        _out(
            tr(
                "sync.done",
                sent=result.sent,
                held=result.held,
                pulled=result.pulled,
                unsent=ws.store.outbox.unsent_count(),
            )
        )
    if result.refused and not args.json:
        _out(tr("sync.refused", count=len(result.refused)))
        for hash_, reason, detail in result.refused:
            _out(f"  {hash_}  {problem_name(reason)}: {detail}")
    if result.pull_problems and not args.json:
        _out(tr("sync.pull_refused", count=len(result.pull_problems)))
        for p in result.pull_problems:
            _out(f"  {p.record or '-'}  {problem_name(p.kind)}: {p.detail}")
    photos = result.extra.get("photos")
    if photos is not None and not args.json:
        _out(
            tr(
                "sync.photos",
                sent=photos.sent,
                fetched=photos.fetched,
                missing=photos.server_lacks,
            )
        )
        for sha, detail in photos.refused:
            _out("  " + tr("sync.photo_refused", sha=sha, detail=detail))
        for sha in photos.bad:
            print(tr("sync.photo_bad", sha=sha), file=sys.stderr)
    if not args.json:
        if result.resent:
            _out(tr("sync.resent", count=result.resent))
        if result.forks:
            _out(tr("sync.forks", count=result.forks))
        if result.clock_offset is not None:
            print(tr("sync.clock", minutes=round(result.clock_offset / 60)), file=sys.stderr)
    if result.outcome == DONE:
        return EXIT_OK
    if result.outcome == REFUSED:
        return EXIT_PROBLEMS
    if result.outcome == UNREACHABLE:
        print(tr("sync.unreachable", detail=network_error(result.error_kind)), file=sys.stderr)
        return EXIT_UNREACHABLE
    if result.misbehaviour:
        for kind, detail in result.misbehaviour:
            print(
                tr("sync.misbehaved", kind=misbehaviour_name(kind), detail=detail), file=sys.stderr
            )
        return EXIT_SERVER
    if result.error_kind == "server_certificate_time":
        print(tr("sync.server_certificate_time"), file=sys.stderr)
        return EXIT_USAGE
    if result.error_kind == "redirect":
        location = result.error_params.get("location", "?")
        url = args.server or sync_service.server_url(ws.store)
        print(tr("sync.redirected", url=url, location=location), file=sys.stderr)
        return EXIT_USAGE
    # A network failure in plain words; anything else (the store, a bug) as it is.
    plain = network_error(result.error_kind) if result.error_kind in NETWORK else result.error
    print(tr("sync.failed", detail=plain), file=sys.stderr)
    return EXIT_USAGE


def cmd_bundle_export(ws: Workspace, args: argparse.Namespace) -> int:
    from recap_desktop.services import bundle as bundle_service

    result = bundle_service.export_bundle(ws, Path(args.out))
    _out(tr("bundle.exported", count=result.records, path=args.out))
    if result.folder is not None:
        _out(tr("bundle.photos_exported", count=result.photos, path=result.folder))
    if result.not_held:
        _out(tr("bundle.photos_not_held", count=result.not_held))
    return EXIT_OK


def cmd_bundle_import(ws: Workspace, args: argparse.Namespace) -> int:
    from recap_desktop.services import bundle as bundle_service

    folder = bundle_service.photos_folder(Path(args.file))
    result = bundle_service.import_bundle(ws, _read_file(args.file), args.file, folder)
    _out(
        tr(
            "bundle.imported",
            added=result.added,
            already=result.already,
            refused=len(result.problems),
        )
    )
    for p in result.problems:
        _out(f"  {p.record or '-'}  {problem_name(p.kind)}: {p.detail}")
    if result.photos or result.photos_refused:
        _out(tr("bundle.photos_imported", kept=result.photos, refused=len(result.photos_refused)))
    for r in result.photos_refused:
        _out("  " + tr(f"bundle.photo_refused.{r.kind}", sha=r.sha256, detail=r.detail))
    for _kind, detail in result.misbehaviour:
        print(tr("bundle.misbehaved", detail=detail), file=sys.stderr)
    if result.misbehaviour:
        return EXIT_SERVER
    return EXIT_PROBLEMS if result.problems or result.photos_refused else EXIT_OK


def cmd_audit(ws: Workspace, args: argparse.Namespace) -> int:
    """An independent audit of a server: needs no identity, only the authority's fingerprint."""
    from recap_desktop.services.audit import audit

    heads: list[Any] = []
    for path in args.head or []:
        try:
            doc = parse_json(_read_file(path))
        except CanonicalError as exc:
            raise RecapError("file.unreadable", path=path, detail=exc) from exc
        heads.extend(doc if isinstance(doc, list) else [doc])

    def progress(done: int, total: int) -> None:
        if not args.json and sys.stderr.isatty():
            print(f"\r{done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    report = audit(
        args.server,
        args.trust_authority,
        folder=Path(args.keep) if args.keep else None,
        heads=heads,
        progress=progress,
    )
    if args.json:
        _json(report.to_json())
        return EXIT_OK if report.ok else EXIT_PROBLEMS
    _out(
        tr(
            "audit.summary",
            server=report.server[:16] + "…",
            size=report.size,
            root=report.root[:16] + "…",
            records=report.records,
            admitted=report.admitted,
            partitions=report.partitions,
            regions=report.regions,
            heads=report.heads,
            seconds=f"{report.seconds:.1f}",
        )
    )
    if report.ok:
        _out(tr("audit.ok"))
        return EXIT_OK
    _out(tr("audit.found", count=len(report.findings)))
    for finding in report.findings:
        name = misbehaviour_name(finding.kind)
        if name == finding.kind:
            name = problem_name(finding.kind)
        _out(f"  {finding.record or '-'}  {name}: {finding.detail}")
    return EXIT_PROBLEMS


def cmd_log(ws: Workspace, args: argparse.Namespace) -> int:
    """What this laptop holds the server to, and the evidence it kept of its misbehaviour."""
    from recap_desktop.services import log as log_service

    state = log_service.log_state(ws)
    if args.json:
        _json(state.to_json())
        return EXIT_SERVER if state.evidence else EXIT_OK
    head = state.head
    if head is None:
        _out(tr("log.none"))
    else:
        _out(
            tr(
                "log.head",
                size=head["size"],
                root=head["root"][:16] + "…",
                server=head["server"][:16] + "…",
                time=head["time"],
            )
        )
        if state.partitions:
            _out(
                tr(
                    "log.partitions",
                    names=", ".join(p or tr("log.authority") for p in state.partitions),
                )
            )
    if state.gossip:
        _out(tr("log.gossip", count=state.gossip))
    if not state.evidence:
        _out(tr("log.clean"))
        return EXIT_OK
    _out(tr("log.evidence", count=len(state.evidence)))
    for item in state.evidence:
        _out(f"  {item.found}  {misbehaviour_name(item.kind)}: {item.detail}")
    return EXIT_SERVER


# -- the recapitulation ------------------------------------------------------------------------


def _print_pdf(ws: Workspace, kind: str, record_hash: str, path: str, lang: str | None) -> None:
    """Print a signed record to a PDF with the window's painter (Qt, loaded only here)."""
    from recap_desktop.services import printing

    form = (
        printing.dhasil_form(ws, record_hash, lang)
        if kind == "dhasil"
        else printing.chasil_form(ws, record_hash, lang)
    )
    try:
        from recap_desktop.ui.printing import write_pdf
    except ImportError as exc:  # pragma: no cover - Qt is a dependency
        raise RecapError("print.no_qt", detail=exc) from exc
    try:
        pages = write_pdf(form, Path(path))
    except OSError as exc:
        raise RecapError("print.failed", path=path, detail=exc) from exc
    _out(tr("print.written", path=path, pages=pages))


def cmd_dhasil(ws: Workspace, args: argparse.Namespace) -> int:
    from recap_desktop.services import plenary as plenary_service
    from recap_desktop.services import printing

    if args.show:
        state = plenary_service.plenary(ws, args.region, args.contest, args.basis)
        _plenary_summary(state)
        if args.pdf:
            chosen = (
                sheet_service.full_hash(ws, args.hash)
                if args.hash
                else printing.current_dhasil(ws, args.region, args.contest)
            )
            _print_pdf(ws, "dhasil", chosen, args.pdf, args.lang)
        return EXIT_OK
    key = unlock(ws, args)
    record = plenary_service.sign_dhasil(
        ws,
        key,
        args.region,
        args.contest,
        basis=args.basis,
        final=not args.interim,
        reason=args.reason,
    )
    _out(tr("dhasil.signed", region=args.region, contest=args.contest, hash=record.hash))
    if args.pdf:
        _print_pdf(ws, "dhasil", record.hash, args.pdf, args.lang)
    return EXIT_OK


def _plenary_summary(state: Any) -> None:
    from recap_desktop.services.plenary import blocker_lines

    lang = language()
    _out(
        f"{state.region.code} {state.region.name} · {state.contest.id}: "
        f"{state.counted}/{len(state.children)} ({state.basis})"
    )
    for child in state.children:
        mark = child.record[:16] + "…" if child.record else "-"
        _out(f"  {child.code:<22} {child.state:<12} {mark}")
    for f in state.contest.form.fields:
        _out(f"  {text(f.label, lang)[:60]:<60} {state.totals.get(f.id, 0):>10}")
    current = state.current
    _out(f"D.Hasil: {current.hash if current else '-'} ({state.state.state})")
    for line in blocker_lines(state):
        _out(f"  ! {line}")


def cmd_sheet_print(ws: Workspace, args: argparse.Namespace) -> int:
    from recap_desktop.services import printing

    chosen = (
        sheet_service.full_hash(ws, args.hash)
        if args.hash
        else printing.current_sheet(ws, args.station, args.contest)
    )
    _print_pdf(ws, "sheet", chosen, args.pdf, args.lang)
    return EXIT_OK


def cmd_objection_file(ws: Workspace, args: argparse.Namespace) -> int:
    from recap_desktop.services import plenary as plenary_service

    key = unlock(ws, args)
    record = plenary_service.file_objection(
        ws,
        key,
        place=args.place,
        contest=args.contest,
        subject=args.subject,
        kind=args.kind,
        witness_name=args.witness,
        represents=args.represents,
        paper=args.paper,
    )
    _out(tr("objection.filed", hash=record.hash))
    return EXIT_OK


def cmd_objection_resolve(ws: Workspace, args: argparse.Namespace) -> int:
    from recap_desktop.services import plenary as plenary_service

    objection = sheet_service.full_hash(ws, args.objection)
    key = unlock(ws, args)
    record = plenary_service.resolve_objection(ws, key, objection, args.decision, args.reason)
    _out(tr("resolution.signed", hash=record.hash))
    return EXIT_OK


def cmd_objection_list(ws: Workspace, args: argparse.Namespace) -> int:
    from recap_desktop.services import plenary as plenary_service

    found = plenary_service.objections_within(ws, args.region, args.contest)
    if args.json:
        _json(
            [
                {
                    "hash": o.hash,
                    "place": o.place,
                    "contest": o.contest,
                    "kind": o.kind,
                    "witness": o.witness,
                    "paper": o.paper,
                    "subject": o.subject,
                    "signer": o.signer,
                    "time": o.time,
                    "standing": o.standing,
                    "open": o.open,
                    "state": o.status.state,
                    "decision": o.status.decision,
                    "rulings": [
                        {
                            "hash": r.hash,
                            "decision": r.decision,
                            "reason": r.reason,
                            "signer": r.signer,
                        }
                        for r in o.in_force
                    ],
                }
                for o in found
            ]
        )
        return EXIT_OK
    if not found:
        _out(tr("objection.none", region=args.region))
    for o in found:
        who = f"{o.witness['name']} ({o.witness['represents']})" if o.witness else "-"
        ruling = o.status.decision or o.status.state.upper()
        _out(f"{o.hash}  {o.place}  {o.contest}  {o.kind}  {who}  [{ruling}]  {o.subject}")
    return EXIT_OK


def cmd_check_print(ws: Workspace, args: argparse.Namespace) -> int:
    from recap_desktop.services.check_print import check_print

    given = args.code
    if args.image:
        given = _decode_image(args.image)
    if not given:
        raise RecapError("check.bad_input", text="")
    result = check_print(ws, given, server=args.server)
    code = result.code
    if result.record is None:
        where = f" ({args.server})" if args.server else ""
        _out(tr("check.not_held", hash=code.hash, where=where))
        return EXIT_PROBLEMS
    record = result.record
    if result.signer_differs:
        _out(tr("check.signer_differs", claimed=(code.signer or "")[:16], hash=record.hash[:16],
                signer=record.signer[:16]))  # fmt: skip
        return EXIT_PROBLEMS
    if result.problems:
        listed = "; ".join(f"{problem_name(p.kind)}: {p.detail}" for p in result.problems)
        _out(tr("check.fails", hash=record.hash, problems=listed))
        return EXIT_PROBLEMS
    _out(tr("check.matches", type=record.type, hash=record.hash))
    if result.server:
        _out(tr("check.from_server", server=result.server, index=result.index))
    cert = result.certificate
    time = str(record.payload.get("time"))
    if cert:
        _out(tr("check.signed_by", name=cert["name"], role=cert["role"],
                region=cert["jurisdiction"], keyid=record.signer[:16], time=time))  # fmt: skip
    else:
        _out(tr("check.signed_by_unknown", keyid=record.signer[:16], time=time))
    for line in result.lines:
        _out("  " + line)
    if result.newer:
        _out(tr("check.superseded", newer=result.newer))
        return EXIT_PROBLEMS
    if result.standing:
        _out(_standing_line(record.type, result.standing))
        return EXIT_PROBLEMS
    return EXIT_OK


def _standing_line(kind: str, standing: str) -> str:
    """Why a verified paper's record is not what counts now (``PrintCheck.standing``)."""
    from recap_desktop.services.plenary import OUTDATED

    if kind == "dhasil" and standing == OUTDATED:
        return tr("check.outdated")
    key = f"print.state.{standing}"  # a state; else a standing's name (revoked, role, ...)
    state = tr(key) if key in MESSAGES else problem_name(standing)
    return tr("check.not_counting" if kind == "sheet" else "check.not_in_force", state=state)


def _decode_image(path: str) -> str:
    """The Recap QR code in a scanned image (PNG, JPEG), read with zxing-cpp."""
    try:
        from recap_desktop.ui.scan import read_qr
    except ImportError as exc:
        raise RecapError("check.no_decoder") from exc
    found = read_qr(Path(path))
    if found is None:
        raise RecapError("check.no_code", path=path)
    return found


# -- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="recap", description="Recap Desktop: signed, offline-first election recapitulation."
    )
    add_version_option(parser)
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="data folder (default: $RECAP_DATA_DIR or the user data folder)",
    )
    parser.add_argument(
        "--passphrase-file",
        help="read the passphrase from this file (default: $RECAP_PASSPHRASE or a prompt)",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    demo = sub.add_parser("demo", help="the built-in DEMO election").add_subparsers(
        dest="sub", required=True
    )
    p = demo.add_parser(
        "init", help="import the demo election, make an identity certified by the demo authority"
    )
    p.add_argument("--officer-id", default="demo-operator-1")
    p.add_argument("--role", choices=identity_service.ROLES, default="operator")
    p.add_argument(
        "--stations",
        type=int,
        default=demo_service.DEFAULT_STATIONS,
        help="size of a synthetic demo election",
    )
    p.add_argument(
        "--jurisdiction",
        default=None,
        help="region code the certificate covers (default: 32; a chair: every DEMO sub-district)",
    )
    p.set_defaults(func=cmd_demo_init)
    p = demo.add_parser("populate", help="sign consistent random sheets")
    p.add_argument("--stations", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=cmd_demo_populate)

    ident = sub.add_parser("identity", help="the officer's key").add_subparsers(
        dest="sub", required=True
    )
    p = ident.add_parser("create")
    p.add_argument("--name", required=True)
    p.add_argument("--officer-id", required=True)
    p.add_argument("--role", choices=identity_service.ROLES, required=True)
    p.set_defaults(func=cmd_identity_create)
    p = ident.add_parser("show")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_identity_show)
    p = ident.add_parser("request", help="write a certificate request file for the authority")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_identity_request)
    p = ident.add_parser("certificate", help="import the certificate file from the authority")
    p.add_argument("file")
    p.set_defaults(func=cmd_identity_certificate)

    elec = sub.add_parser("election", help="the election package").add_subparsers(
        dest="sub", required=True
    )
    p = elec.add_parser("import")
    p.add_argument("file")
    p.add_argument(
        "--trust-authority",
        metavar="FINGERPRINT",
        help="the authority key's published fingerprint, on first import",
    )
    p.set_defaults(func=cmd_election_import)
    p = elec.add_parser("show")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_election_show)

    sheet = sub.add_parser("sheet", help="polling station sheets (C.Hasil)").add_subparsers(
        dest="sub", required=True
    )
    p = sheet.add_parser("template")
    p.add_argument("--station", required=True)
    p.add_argument("--contest", required=True)
    p.set_defaults(func=cmd_sheet_template)
    p = sheet.add_parser("enter")
    p.add_argument("--station", required=True)
    p.add_argument("--contest", required=True)
    p.add_argument("--values", required=True, help="JSON file: field id -> count")
    p.add_argument("--supersedes", metavar="HASH")
    p.add_argument("--reason")
    p.add_argument(
        "--photo",
        action="append",
        default=[],
        metavar="FILE",
        help="a photo or scan of the C.Hasil page (PNG/JPEG, at most 10 MiB); repeat for more",
    )
    p.add_argument(
        "--accept-warnings",
        metavar="REASON",
        help="sign despite the warnings listed, saying why (kept in the signed sheet)",
    )
    p.add_argument(
        "--second-values",
        metavar="FILE",
        help="double entry: the same sheet typed a second time, blind; signed only if equal",
    )
    p.add_argument(
        "--second-typist", metavar="KEY_ID", help="double entry: the second operator's key id"
    )
    p.set_defaults(func=cmd_sheet_enter)
    p = sheet.add_parser(
        "require-double-entry",
        help="supervisors: sheets of a region must be typed twice before they are signed",
    )
    p.add_argument("--region", required=True)
    p.add_argument("--lift", action="store_true", help="lift your earlier requirement")
    p.set_defaults(func=cmd_require_double_entry)
    p = sheet.add_parser("show")
    p.add_argument("--station")
    p.add_argument("--contest")
    p.add_argument("--hash", help="instead: any version's or review's hash, or its first 8+ digits")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sheet_show)
    p = sheet.add_parser("review", help="approve or reject a sheet (supervisors)")
    p.add_argument("sheet", metavar="HASH", help="the sheet version's hash, or its first 8+ digits")
    p.add_argument("--decision", choices=("approve", "reject"), required=True)
    p.add_argument("--reason")
    p.set_defaults(func=cmd_sheet_review)

    p = sheet.add_parser("print", help="print a signed C.Hasil as a PDF on A4")
    p.add_argument("--station", required=True)
    p.add_argument("--contest", required=True)
    p.add_argument("--hash", help="a sheet version (default: the one that counts)")
    p.add_argument("--pdf", required=True, help="the PDF file to write")
    p.add_argument("--lang", choices=("id", "en"), help="the form's language (default: id)")
    p.set_defaults(func=cmd_sheet_print)

    p = sub.add_parser(
        "dhasil", help="the recapitulation of a region: sign its D.Hasil as chair, print it"
    )
    p.add_argument("--region", required=True, help="a sub-district, regency or province code")
    p.add_argument("--contest", required=True)
    p.add_argument(
        "--basis",
        choices=("sheets", "recaps"),
        help="what it rests on (default: the D.Hasil below; a sub-district: its sheets)",
    )
    p.add_argument(
        "--interim",
        action="store_true",
        help="sign an interim D.Hasil while children or objections are pending",
    )
    p.add_argument("--reason", help="why a new version replaces your earlier D.Hasil")
    p.add_argument(
        "--show",
        action="store_true",
        help="show the plenary (children, totals, blockers); sign nothing",
    )
    p.add_argument("--pdf", help="also print the D.Hasil to this PDF file (A4)")
    p.add_argument(
        "--hash", help="with --show --pdf: the D.Hasil version to print (default: the one shown)"
    )
    p.add_argument("--lang", choices=("id", "en"), help="the form's language (default: id)")
    p.set_defaults(func=cmd_dhasil)

    objection = sub.add_parser(
        "objection", help="witnesses' objections and incidents, and the chair's rulings"
    ).add_subparsers(dest="sub", required=True)
    p = objection.add_parser("file", help="record an objection or an incident (signed)")
    p.add_argument("--place", required=True, help="a polling station or region code")
    p.add_argument("--contest", required=True)
    p.add_argument("--subject", required=True, help="what is contested, or what happened")
    p.add_argument("--kind", choices=("objection", "incident"), default="objection")
    p.add_argument("--witness", help="the witness's name")
    p.add_argument("--represents", help="the party or candidate the witness represents")
    p.add_argument("--paper", help="the paper form's reference (D.Kejadian Khusus No. ...)")
    p.set_defaults(func=cmd_objection_file)
    p = objection.add_parser("resolve", help="the chair's signed ruling on an objection")
    p.add_argument("objection", help="the objection's hash")
    p.add_argument("--decision", choices=("accepted", "rejected", "noted"), required=True)
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_objection_resolve)
    p = objection.add_parser("list", help="objections filed inside a region, open ones first")
    p.add_argument("--region", required=True)
    p.add_argument("--contest")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_objection_list)

    p = sub.add_parser(
        "check-print", help="check a printed D.Hasil or C.Hasil against its signed record"
    )
    p.add_argument("code", nargs="?", help="the QR code's text (recap:1:...) or the record hash")
    p.add_argument("--image", help="a scan or photo of the page's QR code (PNG, JPEG)")
    p.add_argument("--server", help="fetch the record from this server if it is not held here")
    p.set_defaults(func=cmd_check_print)

    p = sub.add_parser("recap", help="totals for a region")
    p.add_argument("--region", required=True)
    p.add_argument("--contest")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=cmd_recap)

    p = sub.add_parser("verify", help="verify every signature, chain, certificate, role and region")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("rebuild", help="recreate every projection from the records")
    p.set_defaults(func=cmd_rebuild)
    p = sub.add_parser("sync", help="send unsent records to the server, receive colleagues' ones")
    p.add_argument(
        "--server", metavar="URL", help="server address (kept once a sync with it went through)"
    )
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for an answer")
    p.add_argument("--attempts", type=int, default=3, help="tries before giving up")
    p.add_argument(
        "--ca-file", metavar="PEM", help="trust this CA for the https:// server (kept; '' resets)"
    )
    p.add_argument(
        "--allow-http",
        action="store_true",
        default=None,
        help="allow plain http:// to another machine: a test network only (kept)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser(
        "audit",
        help="audit a server: download its whole log, check it, recount every region",
    )
    p.add_argument("--server", required=True, help="the server's URL")
    p.add_argument(
        "--trust-authority",
        required=True,
        metavar="FINGERPRINT",
        help="the election authority's key fingerprint (16 or more hex digits)",
    )
    p.add_argument("--head", action="append", metavar="FILE", help="a tree head to check too")
    p.add_argument("--keep", metavar="DIR", help="keep the audited records in this new folder")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser(
        "log", help="the server's log as this laptop verified it, and evidence against it"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_log)

    bundle = sub.add_parser("bundle", help="carry records by USB").add_subparsers(
        dest="sub", required=True
    )
    p = bundle.add_parser("export", help="write every record to a bundle file")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_bundle_export)
    p = bundle.add_parser("import", help="verify and import a bundle file")
    p.add_argument("file")
    p.set_defaults(func=cmd_bundle_import)
    localize_help(parser)
    return parser


def help_texts(parser: argparse.ArgumentParser) -> list[str]:
    """Every help text a parser shows, its sub-commands' too, as written (in English)."""
    out: list[str] = []

    def keep(text: str) -> str:
        out.append(text)
        return text

    _walk_help(parser, keep)
    return out


def localize_help(parser: argparse.ArgumentParser, lang: str | None = None) -> None:
    """Every help text of the parser in the reader's language (``recap --help`` in both)."""
    chosen = lang or language()
    _walk_help(parser, lambda text: help_text(text, chosen))


def _walk_help(parser: argparse.ArgumentParser, change: Any) -> None:
    seen: set[int] = set()

    def walk(p: argparse.ArgumentParser) -> None:
        if id(p) in seen:
            return
        seen.add(id(p))
        if p.description:
            p.description = change(p.description)
        for group in p._action_groups:
            if group.title:
                group.title = change(group.title)
        for action in p._actions:
            if action.help and action.help != argparse.SUPPRESS:
                action.help = change(action.help)
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    if choice.help:
                        choice.help = change(choice.help)
                for sub in action.choices.values():
                    walk(sub)

    walk(parser)


def main(argv: Sequence[str] | None = None) -> int:
    use_language(None)  # the command line speaks as RECAP_LANG and the system ask, no window
    args = build_parser().parse_args(argv)
    ws = Workspace(args.data_dir)
    try:
        return int(args.func(ws, args))
    except RecapError as exc:
        print(exc.message(), file=sys.stderr)
        for line in exc.detail_lines():
            print(f"  - {line}", file=sys.stderr)
        return exc.exit_code
    except TamperedStore as exc:
        print(tr("store.tampered", detail=exc), file=sys.stderr)
        return EXIT_PROBLEMS
    except StorageError as exc:
        key = f"store.{exc.reason}" if exc.reason else "store.error"
        print(tr(key, detail=exc), file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `recap recap ... | head`: the reader left; nothing is wrong with the data. Point
        # stdout at /dev/null so the interpreter's final flush does not complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    finally:
        ws.close()


if __name__ == "__main__":
    sys.exit(main())
