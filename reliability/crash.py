"""Trials 1 and 2: a writer killed with SIGKILL, and crash images of its files.

Both count lost writes the way Jepsen does: the writer prints each save's hash only after the
commit returned, so every hash printed before the crash is a write the program promised.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from recap_desktop.storage.store import DB_NAME
from reliability.common import Demo, TrialResult, check_store, make_demo

KILLS_PER_FOLDER = 50
IMAGES_PER_FOLDER = 50
ROOT = Path(__file__).resolve().parents[1]


def _start_writer(demo: Demo, rng_seed: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reliability.writer", str(demo.data_dir), str(rng_seed)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(demo.seed.hex().encode() + b"\n")
    proc.stdin.close()
    line = proc.stdout.readline()
    if line.strip() != b"ready":
        proc.kill()
        proc.wait()
        raise RuntimeError(f"the writer did not start: {line!r}")
    return proc


def _hashes(data: bytes) -> set[str]:
    """Complete lines only: a line cut by the kill was never a report."""
    lines = data.split(b"\n")
    return {ln.decode() for ln in lines[:-1] if len(ln) == 64}


def sigkill_trial(size: int, work: Path, seed: int = 1) -> TrialResult:
    """``size`` writer processes, each killed with SIGKILL after a random delay."""
    result = TrialResult("sigkill", size, 1000)
    rng = random.Random(seed)
    demo: Demo | None = None
    for n in range(size):
        if n % KILLS_PER_FOLDER == 0:
            demo = make_demo(work / f"kill-{n // KILLS_PER_FOLDER}")
            before: set[str] = set()
        assert demo is not None
        proc = _start_writer(demo, rng.randrange(2**31))
        time.sleep(rng.uniform(0.0, 0.25))
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        reported = _hashes(proc.stdout.read())
        result.count("kills")
        result.count("saves reported done", len(reported))
        held = _sheet_hashes(demo)
        new = held - before
        before = held
        # Jepsen's other count: saves that committed but were killed before their report.
        result.count("saves committed but unreported at the kill", len(new - reported))
        problems = check_store(demo.data_dir, reported)
        for p in problems:
            result.fail(f"kill {n}: {p}")
        if n % KILLS_PER_FOLDER == KILLS_PER_FOLDER - 1 or n == size - 1:
            result.count("records in stores at the end", _count(demo))
    result.notes.append(
        f"one writer process per kill, killed 0-250 ms after its store was open; "
        f"{KILLS_PER_FOLDER} kills per data folder so chains grow across kills"
    )
    return result


def _sheet_hashes(demo: Demo) -> set[str]:
    import sqlite3

    conn = sqlite3.connect(demo.db)
    try:
        return {r[0] for r in conn.execute("SELECT hash FROM records WHERE type = 'sheet'")}
    finally:
        conn.close()


def _count(demo: Demo) -> int:
    import sqlite3

    conn = sqlite3.connect(demo.db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM records WHERE type='sheet'").fetchone()[0])
    finally:
        conn.close()


def _drain(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def images_trial(size: int, work: Path, seed: int = 2) -> TrialResult:
    """``size`` crash images: the writer is frozen (SIGSTOP) at a random instant, its database,
    -wal and -shm are copied, and it runs on (SIGCONT). A frozen process's files are exactly
    what a crash of the process at that instant leaves. Each image is opened twice: with the
    -shm copied and without it (as after a reboot, when SQLite rebuilds it from the -wal)."""
    result = TrialResult("crash-images", size, 500)
    rng = random.Random(seed)
    taken = 0
    folder = 0
    while taken < size:
        demo = make_demo(work / f"writer-{folder}")
        proc = _start_writer(demo, rng.randrange(2**31))
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        os.set_blocking(fd, False)
        buffer = b""
        images: list[tuple[Path, set[str]]] = []
        try:
            for _ in range(min(IMAGES_PER_FOLDER, size - taken)):
                time.sleep(rng.uniform(0.0, 0.06))
                os.kill(proc.pid, signal.SIGSTOP)
                try:
                    buffer += _drain(fd)
                    reported = _hashes(buffer)
                    image = work / f"image-{taken}"
                    image.mkdir()
                    for suffix in ("", "-wal", "-shm"):
                        src = demo.data_dir / (DB_NAME + suffix)
                        if src.exists():
                            shutil.copy2(src, image / (DB_NAME + suffix))
                finally:
                    os.kill(proc.pid, signal.SIGCONT)
                images.append((image, reported))
                taken += 1
        finally:
            proc.kill()
            proc.wait()
        for image, reported in images:
            has_wal = (image / (DB_NAME + "-wal")).exists()
            result.count("images with a -wal" if has_wal else "images without a -wal")
            result.count("saves reported done before the image", len(reported))
            no_shm = image.with_name(image.name + "-noshm")
            shutil.copytree(image, no_shm)
            (no_shm / (DB_NAME + "-shm")).unlink(missing_ok=True)
            for variant in (image, no_shm):
                for p in check_store(variant, reported):
                    result.fail(f"{variant.name}: {p}")
                result.count("images opened and checked")
            shutil.rmtree(image)
            shutil.rmtree(no_shm)
        shutil.rmtree(demo.data_dir)
        folder += 1
    result.notes.append(
        "writer frozen with SIGSTOP 0-60 ms apart; database, -wal and -shm copied; each image "
        "opened with and without its -shm"
    )
    return result
