"""Run the hardening trials and write docs/RELIABILITY.md.

    python -m reliability                   every trial at its small size
    python -m reliability --full            every trial at full size (make reliability)
    python -m reliability --trial NAME [--size N | --full]

Results are kept per trial in reliability/results.json, so one trial can be re-run alone;
docs/RELIABILITY.md is rendered from all of them, each row labelled with the size it ran at.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reliability.common import NOT_RUN, Trial, TrialResult
from reliability.crash import images_trial, sigkill_trial
from reliability.doors import doors_trial
from reliability.ed25519 import ed25519_trial
from reliability.faults import faults_trial
from reliability.keystore import keystore_trial
from reliability.mutations import mutations_trial
from reliability.packages import packages_trial
from reliability.schemafuzz import schemathesis_trial
from reliability.server import reason as server_reason
from reliability.server_trials import push_idempotent_trial, server_source
from reliability.statemachine import state_machine_trial
from reliability.syncfaults import sync_faults_trial

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results.json"
DOC = ROOT / "docs" / "RELIABILITY.md"

TRIALS = [
    Trial(
        "sigkill",
        "writer process killed with SIGKILL at a random instant while saving sheets",
        "PRAGMA integrity_check ok; every save the writer reported done is present; no half "
        "record (every row parses, projections equal a rebuild); verify_store passes",
        1000,
        3,
        sigkill_trial,
    ),
    Trial(
        "crash-images",
        "crash images: database, -wal and -shm copied at random instants of a writer",
        "opens (with and without -shm); integrity_check ok; every save reported before the "
        "instant present; each record complete or absent; projections equal a rebuild; verify",
        500,
        4,
        images_trial,
    ),
    Trial(
        "faults",
        "disk full (max_page_count and a real full filesystem), read-only file, I/O errors",
        "a clear catalogue message and exit code in the CLI, a typed error from the services; "
        "nothing half-written (store verifies, projections equal a rebuild); the retry succeeds",
        "each case",
        1,
        faults_trial,
    ),
    Trial(
        "mutations",
        "random mutations of a store: byte flips in payload, sig, signer, hash; type and seq "
        "columns; non-canonical re-encodings; deleted, swapped, reordered, inserted rows; "
        "swapped certificates",
        "verify_store finds every one and names a changed record; a sample through `recap "
        "verify` (exit 1, the record's hash in the output)",
        10000,
        52,
        mutations_trial,
    ),
    Trial(
        "ed25519",
        "Ed25519: Wycheproof vectors, random bit flips of records, small-order keys, replays "
        "into another election or onto another polling station",
        "valid vectors accepted, every invalid one refused; every flipped record, small-order "
        "key and replay refused",
        10000,
        600,
        ed25519_trial,
    ),
    Trial(
        "keystore",
        "keystore: wrong passphrases, every single-byte flip of the file, truncations, "
        "unknown versions",
        "refused with the right typed error (WrongPassphrase, DamagedKeystore, "
        "UnknownKeystoreVersion); nothing unlocked",
        50,
        3,
        keystore_trial,
    ),
    Trial(
        "packages",
        "election package and revocation list: older version, expired, frozen clock, mixed "
        "releases, equivocation, another key",
        "refused with the catalogue message; the store unchanged and still verifying; the last "
        "trusted version kept",
        "each case",
        1,
        packages_trial,
    ),
    Trial(
        "push-idempotent",
        "the same push batch sent 1,000 times, with duplicates inside",
        "server unchanged after the first; the same answer each time; every receipt verifies",
        1000,
        0,
        push_idempotent_trial,
        needs_server=True,
    ),
    Trial(
        "sync-faults",
        "sync under the fault proxy, sustained (size = seconds of faults; latency to 5 s, "
        "hangs, resets, drops, truncation, 1 KB/s) while 2 laptops keep entering sheets",
        "after a final sync: lost 0, duplicated 0, everything once on the server, outboxes "
        "empty, every receipt verifies, stores and server chains verify, laptops = server",
        600,
        3,
        sync_faults_trial,
        needs_server=True,
    ),
    Trial(
        "state-machine",
        "hypothesis state machine (size = programs of up to 12 steps): enter, correct, approve, "
        "sync, crash (SIGKILL mid-sync), restart, server down/up; an operator's and a "
        "supervisor's laptop and the server",
        "after every step: server records a subset of the laptops' union, every receipt "
        "verifies, every laptop store verifies, server chains link; at the end of each "
        "program, after syncing: lost 0, duplicated 0, laptops = server",
        1000,
        3,
        state_machine_trial,
        needs_server=True,
    ),
    Trial(
        "doors",
        "hostile records (the table of tests/hostile.py: forgeries, replays, other elections, "
        "revoked and expired keys, back-dated and basic-format times, forks, dangling "
        "references, authority records of another election) through the four doors; then "
        "officers' actions (size = programs) signed with random keys and replayed in random "
        "orders",
        "every door (server push, laptop pull from a server serving what it never admitted, "
        "bundle import, recap verify of a planted store) gives every record the same verdict "
        "and reason; each program gives one state and one set of totals on laptops and server",
        1000,
        3,
        doors_trial,
        needs_server=True,
    ),
    Trial(
        "schemathesis",
        "schemathesis 4 against the server's OpenAPI document, every operation (size = cases "
        "per operation, positive and again negative; operations without parameters have 1)",
        "0 server errors (5xx), 0 responses off the documented schema or content type",
        100,
        5,
        schemathesis_trial,
        needs_server=True,
    ),
]
BY_NAME = {t.name: t for t in TRIALS}


def full_size(trial: Trial) -> int:
    return trial.full_size if isinstance(trial.full_size, int) else 1


def run_trial(trial: Trial, size: int) -> TrialResult:
    if trial.run is None or (trial.needs_server and server_source() is None):
        return TrialResult(trial.name, 0, trial.full_size, status=NOT_RUN, notes=[server_reason()])
    work = Path(tempfile.mkdtemp(prefix=f"recap-rel-{trial.name}-"))
    start = time.monotonic()
    try:
        result = trial.run(size, work, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result.seconds = time.monotonic() - start
    return result


def load() -> dict[str, Any]:
    if RESULTS.exists():
        return dict(json.loads(RESULTS.read_text()))
    return {}


def _size(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _figures(row: dict[str, Any]) -> str:
    counts = row.get("counts", {})
    return "; ".join(f"{k} {v:,}" for k, v in counts.items())


def render(results: dict[str, Any]) -> str:
    lines = [
        "# Reliability trials (issue 6)",
        "",
        "What Recap Desktop survives, with numbers. Generated by `python -m reliability` "
        "(`make reliability` runs every trial at full size); do not edit by hand. Each row "
        "says the size it was run at; where that is less than the full size, the command "
        "for the full size is given.",
        "",
        "| trial | run / full size | what was checked | result | reproduce |",
        "|---|---|---|---|---|",
    ]
    for trial in TRIALS:
        row = results.get(trial.name)
        full = _size(trial.full_size)
        if (trial.run is None or (trial.needs_server and server_source() is None)) and (
            row is None or row["status"] == NOT_RUN
        ):
            status = server_reason() if trial.needs_server else "not run: not written yet"
            lines.append(f"| {trial.title} | 0 / {full} | {trial.checked} | **{status}** | - |")
            continue
        if row is None or row["status"] == NOT_RUN:
            lines.append(
                f"| {trial.title} | 0 / {full} | {trial.checked} | **not run yet** "
                f"| `{trial.command()}` |"
            )
            continue
        size = row["size"]
        at_full = row.get("full", False)
        label = f"{size:,}" + ("" if at_full else " (reduced size)")
        status = row["status"]
        result = (
            f"**{status}** ({row.get('failure_count', 0):,} failures; see Figures)"
            if status != "passed"
            else "**passed**"
        )
        command = f"`{trial.command()}`"
        lines.append(
            f"| {trial.title} | {label} / {full} | {trial.checked} | {result} | {command} |"
        )
    lines += ["", "## Figures", ""]
    for trial in TRIALS:
        row = results.get(trial.name)
        if row is None or row["status"] == NOT_RUN:
            continue
        lines.append(f"### {trial.name}")
        lines.append("")
        lines.append(
            f"Run {row['ran']} at size {row['size']:,} in {row['seconds']:,.0f} s "
            f"({row['machine']})."
        )
        lines.append("")
        for key, value in row.get("counts", {}).items():
            lines.append(f"- {key}: {value:,}")
        for note in row.get("notes", []):
            lines.append(f"- note: {note}")
        failures = row.get("failures", [])
        for failure in failures[:5]:
            lines.append(f"- FAILURE: {failure}")
        if row.get("failure_count", 0) > 5:
            lines.append(f"- ... {row['failure_count'] - 5:,} more failures like these")
        lines.append("")
    lines += [(ROOT / "reliability" / "NOTES.md").read_text().rstrip(), ""]
    return "\n".join(lines)


def machine() -> str:
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability")
    parser.add_argument("--full", action="store_true", help="run at full size")
    parser.add_argument("--trial", action="append", choices=sorted(BY_NAME), help="only these")
    parser.add_argument("--size", type=int, help="run at this size instead")
    parser.add_argument("--no-write", action="store_true", help="do not update the results")
    parser.add_argument(
        "--render", action="store_true", help="only rewrite docs/RELIABILITY.md from the results"
    )
    args = parser.parse_args(argv)
    if args.render:
        DOC.write_text(render(load()))
        return 0
    chosen = [BY_NAME[n] for n in args.trial] if args.trial else TRIALS
    results = load()
    failed = False
    for trial in chosen:
        if args.size is not None:
            size = args.size
        elif args.full:
            size = full_size(trial)
        else:
            size = trial.small_size
        print(f"{trial.name}: size {size} ...", file=sys.stderr, flush=True)
        result = run_trial(trial, size)
        row = result.to_json()
        row["full"] = result.status != NOT_RUN and (
            not isinstance(trial.full_size, int) or size >= trial.full_size
        )
        row["ran"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        row["machine"] = machine()
        print(f"{trial.name}: {row['status']} {row['counts']} {row['seconds']} s", file=sys.stderr)
        for failure in result.failures[:10]:
            print(f"  FAILURE {failure}", file=sys.stderr)
        failed |= bool(result.failures)
        if not args.no_write:
            # Another run may finish a trial meanwhile: read, add and write under a lock.
            with open(RESULTS.with_suffix(".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                results = load()
                results[trial.name] = row
                RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
                DOC.write_text(render(results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
