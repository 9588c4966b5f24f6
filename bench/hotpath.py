"""``python -m bench.hotpath``: the shared hot path of issue 14, per signed sheet, in seconds.

A focused micro-benchmark (under a minute): a DEMO election of 200 stations, one certified
operator, 500 signed sheets as a laptop makes them. It times, per sheet, the steps every door
of a record takes (the server's push, the laptop's pull, ``verify_store``): the canonical
parse of the stored bytes (``parse_canonical``), a record rebuilt from stored parts
(``from_parts``), from a pushed envelope (``from_json``), the strict parse of a 500-sheet
push body and of a pull page of them (``parse_json``), and a whole ``Ledger.push`` of the 500
on a fresh SQLite server; with libsodium's verify of the same sheets, measured in the same
run, as the baseline. Each figure is the best of a few repeats of CPU time
(``time.process_time``), since this machine is shared.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from recap_desktop.crypto import authority
from recap_desktop.crypto.canonical import parse_canonical, parse_json
from recap_desktop.crypto.envelope import Record, from_json, from_parts, sign, signing_message
from recap_desktop.crypto.keys import SigningKey, verify_signature
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.domain.election import Election
from recap_desktop.protocol.wire import batch_bytes, parse_batch
from recap_desktop.services import demo
from recap_desktop.services.election import package_file

SHEETS = 500
STATIONS = 300
SIGNED_AT = "2026-02-14T13:00:00Z"


def fixture(sheets: int = SHEETS) -> tuple[list[Any], Record, list[Record]]:
    """(the package file's records, the operator's certificate, ``sheets`` signed sheets)."""
    auth = demo.demo_authority()
    package = sign(auth, demo.build_package(STATIONS))
    election = Election.from_payload(package.payload)
    key = SigningKey.from_seed(bytes(range(32)))
    cert = authority.certificate(
        auth,
        election=election.id,
        officer_id="bench-operator",
        name="Petugas Bench",
        role="operator",
        jurisdiction="32",
        public_key=key.public_key,
        valid_from=demo.ISSUED,
        valid_until=demo.EXPIRES,
        issued=demo.ISSUED,
    )
    rng = random.Random(14)
    out: list[Record] = []
    prev: str | None = None
    for code, station in sorted(election.stations.items()):
        for cid in station.contests:
            if len(out) >= sheets:
                break
            contest = election.contests[cid]
            values = random_sheet(contest, station.registered, rng)
            warnings = [
                v.rule
                for v in contest.form.evaluate(values, {"registered": station.registered})
                if v.severity == "warning"
            ]
            record = sign(
                key,
                {
                    "type": "sheet",
                    "signer": key.key_id,
                    "seq": len(out) + 1,
                    "prev": prev,
                    "time": SIGNED_AT,
                    "election": election.id,
                    "station": code,
                    "contest": cid,
                    "values": values,
                    "warnings": warnings,
                    "supersedes": None,
                    "reason": None,
                },
            )
            prev = record.hash
            out.append(record)
    if len(out) < sheets:
        raise ValueError(f"{STATIONS} stations give fewer than {sheets} sheets")
    records = package_file(auth.public_key, [package])["records"]
    return records, cert, out


def page_bytes(sheets: list[Record]) -> bytes:
    """A pull page of ``sheets`` as the server writes it (``recap_server.app._page_bytes``):
    each entry's members sorted, the page's own not (so not canonical)."""
    entries = ",".join(
        f'{{"index":{i},"received":"{SIGNED_AT}","record":{{"hash":"{r.hash}",'
        f'"payload":{r.canonical.decode()},"sig":"{r.sig}","signer":"{r.signer}"}}}}'
        for i, r in enumerate(sheets)
    )
    tail = f'"more":false,"next":{len(sheets)},"head":null,"partitions":null'
    return f'{{"entries":[{entries}],{tail}}}'.encode()


def best(run: Callable[[], object], repeats: int) -> float:
    """The least CPU time of ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return min(times)


def push_once(folder: Path, package: list[Any], cert: Record, sheets: list[Record]) -> float:
    """CPU time of one ``Ledger.push`` of ``sheets`` on a fresh SQLite server holding the
    package and the certificate (the server's own parse of the body included)."""
    from recap_server.ledger import Ledger
    from recap_server.storage import open_storage

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    storage = open_storage(folder / "server.db")
    try:
        ledger = Ledger(storage, SigningKey.from_seed(bytes(32)), demo.demo_authority().public_key)
        ledger.push(package)
        ledger.push([cert.to_json()])
        body = batch_bytes([r.to_json() for r in sheets])
        start = time.process_time()
        batch = parse_batch(parse_json(body), max_records=len(sheets))
        pushed = ledger.push(batch.items, batch.forks)
        spent = time.process_time() - start
        assert all(o.status == "stored" for o in pushed.outcomes), pushed.outcomes[:3]
        return spent
    finally:
        storage.close()


def measure(repeats: int = 5, push_repeats: int = 3) -> dict[str, float]:
    """Microseconds per sheet for each step."""
    package, cert, sheets = fixture()
    n = len(sheets)
    stored = [(r.canonical, r.signer, r.sig, r.hash) for r in sheets]
    envelopes = [json.loads(json.dumps(r.to_json())) for r in sheets]  # fresh, as parsed
    body = batch_bytes([r.to_json() for r in sheets])
    page = page_bytes(sheets)
    key = bytes.fromhex(cert.payload["public_key"])
    messages = [(bytes.fromhex(r.sig), signing_message(r.type, r.canonical)) for r in sheets]

    def verify_all() -> None:
        for sig, message in messages:
            assert verify_signature(key, sig, message)

    steps: dict[str, Callable[[], object]] = {
        "verify_libsodium": verify_all,
        "parse_canonical": lambda: [parse_canonical(p) for p, *_ in stored],
        "from_parts": lambda: [from_parts(*s) for s in stored],
        "from_json": lambda: [from_json(e) for e in envelopes],
        "parse_json_batch": lambda: parse_json(body),
        "parse_json_page": lambda: parse_json(page),
    }
    out = {name: best(run, repeats) / n * 1e6 for name, run in steps.items()}
    with tempfile.TemporaryDirectory(prefix="recap-hotpath-") as tmp:
        out["ledger_push"] = (
            min(push_once(Path(tmp) / f"s{i}", package, cert, sheets) for i in range(push_repeats))
            / n
            * 1e6
        )
    out["sheet_bytes"] = sum(len(p) for p, *_ in stored) / n
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hotpath", description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="write the figures to this file as well")
    args = parser.parse_args(argv)
    figures = measure(args.repeats)
    for name, value in figures.items():
        unit = "bytes" if name == "sheet_bytes" else "µs/sheet"
        print(f"{name:18} {value:9.1f} {unit}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
