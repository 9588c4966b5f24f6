"""Helpers the fault trial runs in a child process, where the fault is made real: inside a
user and mount namespace (a tiny tmpfs that fills up), as another user (a read-only file),
or under RLIMIT_FSIZE (writes fail with EFBIG, which SQLite reports as a disk I/O error).

    python -m reliability.faultcli service DATA_DIR SEED_HEX STATION CONTEST VALUES_JSON
        one save through services.sheets.enter_sheet; prints JSON {ok, hash | error, type}
    python -m reliability.faultcli fullfs DATA_DIR MOUNT_POINT PLAN_JSON
        (run under `unshare --user --map-root-user --mount`) mounts a tmpfs, copies the
        data folder in, fills the disk, runs each CLI save of the plan, frees space, retries;
        prints JSON of every exit code and message
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


def service(data_dir: str, seed_hex: str, station: str, contest: str, values: str) -> None:
    from recap_desktop.crypto.keys import SigningKey
    from recap_desktop.services import Workspace
    from recap_desktop.services.sheets import enter_sheet

    ws = Workspace(Path(data_dir))
    try:
        record = enter_sheet(
            ws, SigningKey.from_seed(bytes.fromhex(seed_hex)), station, contest, json.loads(values)
        )
        print(json.dumps({"ok": True, "hash": record.hash}))
    except Exception as exc:
        from recap_desktop.services import RecapError

        message = exc.message("en") if isinstance(exc, RecapError) else str(exc)
        key = exc.key if isinstance(exc, RecapError) else None
        print(json.dumps({"ok": False, "type": type(exc).__name__, "key": key, "error": message}))
    finally:
        try:
            ws.close()
        except Exception as exc:  # closing on a full disk may fail too; report, do not hide
            print(json.dumps({"close_error": str(exc)}), file=sys.stderr)


def cli(data_dir: Path, station: str, contest: str, values: Path) -> dict[str, object]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "recap_desktop",
            "--data-dir",
            str(data_dir),
            "sheet",
            "enter",
            "--station",
            station,
            "--contest",
            contest,
            "--values",
            str(values),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "RECAP_LANG": "en"},
    )
    return {"code": proc.returncode, "out": proc.stdout.strip(), "err": proc.stderr.strip()}


def fullfs(data_dir: str, mount_point: str, plan_path: str) -> None:
    """Fill a real filesystem, save until the CLI refuses, free space, save again."""
    plan = json.loads(Path(plan_path).read_text())
    mnt = Path(mount_point)
    mnt.mkdir(parents=True, exist_ok=True)
    size_kib = plan["size_kib"]
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(mnt)], check=True
    )
    out: dict[str, object] = {"saves": []}
    try:
        target = mnt / "data"
        shutil.copytree(data_dir, target)
        filler = mnt / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        # Leave a little room: enough to open the store, not enough for many saves.
        os.truncate(filler, max(0, filler.stat().st_size - plan["free_kib"] * 1024))
        saves = out["saves"]
        assert isinstance(saves, list)
        failed_at = None
        for i, step in enumerate(plan["steps"]):
            result = cli(target, step["station"], step["contest"], Path(step["values"]))
            saves.append(result)
            if result["code"] != 0:
                failed_at = i
                break
        out["failed_at"] = failed_at
        out["verify_when_full"] = _verify(target)
        filler.unlink()
        if failed_at is not None:
            step = plan["steps"][failed_at]
            out["retry"] = cli(target, step["station"], step["contest"], Path(step["values"]))
        out["verify_after"] = _verify(target)
        shutil.copytree(target, plan["copy_back"])
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
    print(json.dumps(out))


def _verify(data_dir: Path) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-m", "recap_desktop", "--data-dir", str(data_dir), "verify"],
        capture_output=True,
        text=True,
        env={**os.environ, "RECAP_LANG": "en"},
    )
    return {"code": proc.returncode, "out": proc.stdout.strip()[-300:], "err": proc.stderr.strip()}


if __name__ == "__main__":
    if sys.argv[1] == "service":
        service(*sys.argv[2:7])
    elif sys.argv[1] == "fullfs":
        fullfs(*sys.argv[2:5])
    else:
        raise SystemExit(f"unknown mode {sys.argv[1]}")
