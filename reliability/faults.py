"""Trial 3: disk full, a read-only file and I/O errors, each made real where the machine
allows it, through the CLI and through the services the window calls.

- disk full, services: PRAGMA max_page_count on the store's own connection (SQLITE_FULL);
- disk full, CLI: a real tmpfs of a few hundred KiB filled up, inside a user and mount
  namespace (`unshare`), so write(2) fails with ENOSPC;
- read-only file: the database file chmod 0444, the program run as an unprivileged user;
- I/O error: RLIMIT_FSIZE on the child process, so write(2) fails with EFBIG, which SQLite
  reports as a disk I/O error (SQLITE_IOERR_WRITE). Read errors are not made.

Each case checks: a clear catalogue message and exit code 2 from the CLI (a typed error from
the services), nothing half-written (the store verifies, projections equal a rebuild), and
that the same save succeeds once the cause is gone.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.messages import MESSAGES
from recap_desktop.services import Workspace
from recap_desktop.services.election import current_election
from recap_desktop.services.sheets import enter_sheet
from reliability.common import Demo, TrialResult, check_store, make_demo

ROOT = Path(__file__).resolve().parents[1]
NOBODY = 65534
ENV = {**os.environ, "RECAP_LANG": "en"}


def _steps(demo: Demo, work: Path, n: int) -> list[dict[str, str]]:
    ws = Workspace(demo.data_dir)
    election = current_election(ws)
    ws.close()
    rng = random.Random(3)
    steps = []
    for i, station in enumerate(sorted(election.stations.values(), key=lambda s: s.code)[:n]):
        values = random_sheet(election.contests["ppwp"], station.registered, rng)
        path = work / f"values-{i}.json"
        path.write_text(json.dumps(values))
        steps.append({"station": station.code, "contest": "ppwp", "values": str(path)})
    return steps


def _message_keys(text: str) -> list[str]:
    """The catalogue entries whose fixed English text appears in ``text``."""
    found = []
    for key, entry in MESSAGES.items():
        head = entry["en"].split("{")[0].strip()
        if len(head) > 12 and head in text:
            found.append(key)
    return found


def _cli(data_dir: Path, step: dict[str, str], preexec: Any = None, user: bool = False) -> Any:
    cmd = [
        sys.executable,
        "-m",
        "recap_desktop",
        "--data-dir",
        str(data_dir),
        "sheet",
        "enter",
        "--station",
        step["station"],
        "--contest",
        step["contest"],
        "--values",
        step["values"],
    ]
    if user:
        cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]
    return subprocess.run(
        cmd, capture_output=True, text=True, cwd=ROOT, env=ENV, preexec_fn=preexec
    )


def _service(
    demo: Demo, data_dir: Path, step: dict[str, str], preexec: Any = None, user: bool = False
) -> dict[str, Any]:
    values = Path(step["values"]).read_text()
    cmd = [
        sys.executable,
        "-m",
        "reliability.faultcli",
        "service",
        str(data_dir),
        demo.seed.hex(),
        step["station"],
        step["contest"],
        values,
    ]
    if user:
        cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, cwd=ROOT, env=ENV, preexec_fn=preexec
    )
    try:
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    except (IndexError, ValueError):
        return {"ok": False, "type": "crash", "error": proc.stderr.strip()[-400:]}


def _judge_cli(result: TrialResult, case: str, proc: Any, want: str) -> None:
    keys = _message_keys(proc.stderr)
    if proc.returncode == 2 and want in keys:
        result.count(f"{case}: CLI exit 2 with message {want}")
        result.notes.append(f"{case}, CLI says: {proc.stderr.strip().splitlines()[0]}")
    else:
        result.fail(f"{case}: CLI exit {proc.returncode}, messages {keys}: {proc.stderr[-300:]!r}")


def _judge_service(result: TrialResult, case: str, answer: dict[str, Any], want: str) -> None:
    if answer.get("ok"):
        result.fail(f"{case}: the service saved despite the fault")
    elif answer.get("type") in ("StorageError", "RecapError") and (
        answer.get("key") == want
        or want in _message_keys(answer.get("error", ""))
        or answer.get("type") == "StorageError"
    ):
        result.count(f"{case}: services raise {answer['type']}")
        result.notes.append(f"{case}, services raise {answer['type']}: {answer['error']}")
    else:
        result.fail(f"{case}: services: {answer}")


def _after(result: TrialResult, case: str, data_dir: Path, done: set[str]) -> None:
    problems = check_store(data_dir, done)
    if problems:
        result.fail(f"{case}: after the fault: {problems}")
    else:
        result.count(f"{case}: nothing half-written, retry saved, store verifies")


def disk_full_services(result: TrialResult, demo: Demo, steps: list[dict[str, str]]) -> None:
    case = "disk full (max_page_count), services"
    copy = demo.copy(demo.data_dir.parent / "mpc")
    ws = Workspace(copy.data_dir)
    key = copy.key
    election = current_election(ws)
    pages = ws.store.db.execute("PRAGMA page_count").fetchone()[0]
    ws.store.db.execute(f"PRAGMA max_page_count = {pages + 4}")
    done: set[str] = set()
    failed: tuple[dict[str, str], Exception] | None = None
    for step in steps:
        values = json.loads(Path(step["values"]).read_text())
        try:
            done.add(enter_sheet(ws, key, step["station"], step["contest"], values).hash)
        except Exception as exc:
            failed = (step, exc)
            break
    if failed is None:
        result.fail(f"{case}: the store never filled up")
        ws.close()
        return
    step, error = failed
    result.count(f"{case}: saves before the disk was full", len(done))
    _judge_service(
        result,
        case,
        {
            "ok": False,
            "type": type(error).__name__,
            "key": getattr(error, "key", None),
            "error": str(error),
        },
        "store.full",
    )
    held = ws.store.records.count("sheet")
    if held != len(done):
        result.fail(f"{case}: {held} sheets held after the failure, {len(done)} saved")
    ws.store.db.execute("PRAGMA max_page_count = 4294967294")
    try:  # the same connection, as the window keeps it: the retry must work on it
        values = json.loads(Path(step["values"]).read_text())
        done.add(enter_sheet(ws, key, step["station"], step["contest"], values).hash)
        result.count(f"{case}: retry on the same connection saved")
    except Exception as exc2:
        result.fail(f"{case}: the retry failed: {type(exc2).__name__}: {exc2}")
    ws.close()
    del election
    _after(result, case, copy.data_dir, done)


def disk_full_cli(result: TrialResult, demo: Demo, steps: list[dict[str, str]], work: Path) -> None:
    case = "disk full (a real full filesystem), CLI"
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True
    )
    if probe.returncode != 0:
        result.notes.append(f"{case}: not run, unshare is not permitted on this machine")
        return
    plan = {
        "size_kib": (demo.db.stat().st_size + 1023) // 1024 + 512,
        "free_kib": 64,
        "steps": steps,
        "copy_back": str(work / "fullfs-after"),
    }
    plan_path = work / "plan.json"
    plan_path.write_text(json.dumps(plan))
    proc = subprocess.run(
        [
            "unshare",
            "--user",
            "--map-root-user",
            "--mount",
            sys.executable,
            "-m",
            "reliability.faultcli",
            "fullfs",
            str(demo.data_dir),
            str(work / "mnt"),
            str(plan_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
    )
    try:
        out = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        result.fail(f"{case}: the namespace helper failed: {proc.stderr[-500:]}")
        return
    saves = out["saves"]
    done = {s["out"] for s in saves if s["code"] == 0}
    result.count(f"{case}: saves before the disk was full", len(done))
    if out["failed_at"] is None:
        result.fail(f"{case}: the filesystem never filled up")
        return

    class P:  # the shape _judge_cli reads
        returncode = saves[-1]["code"]
        stderr = saves[-1]["err"]

    _judge_cli(result, case, P, "store.full")
    if out["verify_when_full"]["code"] != 0:
        result.fail(f"{case}: recap verify on the full disk: {out['verify_when_full']}")
    else:
        result.count(f"{case}: recap verify passes while the disk is full")
    retry = out.get("retry", {})
    if retry.get("code") != 0:
        result.fail(f"{case}: the retry after freeing space failed: {retry}")
    else:
        done.add(retry["out"])
        result.count(f"{case}: retry after freeing space saved")
    _after(result, case, work / "fullfs-after", done)


def readonly_setup(demo: Demo, step: dict[str, str]) -> tuple[Path, Demo, dict[str, str]]:
    """A copy of the data folder, and the values file, where an unprivileged user can reach
    them (a folder of its own under the system temp folder), with the database read-only."""
    base = Path(tempfile.mkdtemp(prefix="recap-readonly-"))
    os.chmod(base, 0o755)
    copy = demo.copy(base / "data")
    values = base / "values.json"
    shutil.copy(step["values"], values)
    for path in [copy.data_dir, *copy.data_dir.iterdir(), values]:
        os.chown(path, NOBODY, NOBODY)
    os.chmod(copy.db, 0o444)
    return base, copy, {**step, "values": str(values)}


def read_only(result: TrialResult, demo: Demo, steps: list[dict[str, str]], work: Path) -> None:
    case = "read-only database file"
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        result.notes.append(f"{case}: not run, needs root to run the program as another user")
        return
    base, copy, step = readonly_setup(demo, steps[0])
    try:
        _judge_cli(result, case, _cli(copy.data_dir, step, user=True), "store.readonly")
        _judge_service(
            result, case, _service(copy, copy.data_dir, step, user=True), "store.readonly"
        )
        os.chmod(copy.db, 0o644)
        retry = _cli(copy.data_dir, step, user=True)
        done = set()
        if retry.returncode == 0:
            done.add(retry.stdout.strip())
            result.count(f"{case}: retry after chmod saved")
        else:
            result.fail(f"{case}: the retry failed: {retry.stderr[-300:]}")
        _after(result, case, copy.data_dir, done)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _fsize_limit(limit: int) -> Any:
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def io_error(result: TrialResult, demo: Demo, steps: list[dict[str, str]], work: Path) -> None:
    case = "I/O error (write fails with EFBIG)"
    copy = demo.copy(work / "ioerr")
    step = steps[0]
    limit = _fsize_limit(36 * 1024)  # room for the 32 KiB -shm; the WAL fills mid-save
    _judge_cli(result, case, _cli(copy.data_dir, step, preexec=limit), "store.io")
    _judge_service(result, case, _service(copy, copy.data_dir, step, preexec=limit), "store.io")
    retry = _cli(copy.data_dir, step)
    done = set()
    if retry.returncode == 0:
        done.add(retry.stdout.strip())
        result.count(f"{case}: retry without the fault saved")
    else:
        result.fail(f"{case}: the retry failed: {retry.stderr[-300:]}")
    _after(result, case, copy.data_dir, done)


def faults_trial(size: int, work: Path, seed: int = 3) -> TrialResult:
    result = TrialResult("faults", 0, "each case")
    demo = make_demo(work / "base")
    steps = _steps(demo, work, 30)
    for run in (
        lambda: disk_full_services(result, demo, steps),
        lambda: disk_full_cli(result, demo, steps, work),
        lambda: read_only(result, demo, steps, work),
        lambda: io_error(result, demo, steps, work),
    ):
        run()
        result.size += 1
    return result
