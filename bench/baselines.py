"""What the machine and the libraries allow, measured in the same run as the benchmarks.

Each baseline is the bare operation a hot path cannot avoid: an Ed25519 signature or
verification with cryptography, one fsynced single-row SQLite commit, one SQL SUM, one empty
PySide6 window from a cold interpreter.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# A sheet record's canonical payload is about 900 bytes (the DPR form); sign that much.
MESSAGE = b"recap/1\nsheet\n" + b"x" * 900


def sign_per_second(count: int, repeats: int = 5) -> list[float]:
    key = Ed25519PrivateKey.generate()
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(count):
            key.sign(MESSAGE)
        rates.append(count / (time.perf_counter() - start))
    return rates


def verify_per_second(count: int, repeats: int = 5) -> list[float]:
    """Single core, key already loaded: the most a verifier can do per core."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    sig = key.sign(MESSAGE)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(count):
            public.verify(sig, MESSAGE)
        rates.append(count / (time.perf_counter() - start))
    return rates


def libsodium_verify_per_second(count: int, repeats: int = 5) -> list[float]:
    """The same loop with libsodium (PyNaCl), which ``crypto.keys.verify_signature`` uses: an
    extra row for honesty, since the targets stay against cryptography's rate."""
    from nacl.bindings import crypto_sign_open

    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    sig = key.sign(MESSAGE)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(count):
            crypto_sign_open(sig + MESSAGE, public)
        rates.append(count / (time.perf_counter() - start))
    return rates


def verify_cpu_per_second(count: int) -> float:
    """Verifications per CPU second (not wall): what a core does when it is ours alone."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    sig = key.sign(MESSAGE)
    start = time.process_time()
    for _ in range(count):
        public.verify(sig, MESSAGE)
    return count / (time.process_time() - start)


class BareCommit:
    """One raw signature plus one fsynced single-row commit (WAL, synchronous=FULL): the least
    a save can cost. Same disk as the stores (``folder``)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "bare.db"
        self._remove()
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, sig BLOB, body BLOB)")
        self.key = Ed25519PrivateKey.generate()

    def once(self) -> float:
        """Milliseconds for one signature and one committed row."""
        start = time.perf_counter()
        sig = self.key.sign(MESSAGE)
        self.conn.execute("BEGIN")
        self.conn.execute("INSERT INTO t (sig, body) VALUES (?, ?)", [sig, MESSAGE])
        self.conn.execute("COMMIT")
        return (time.perf_counter() - start) * 1000

    def close(self) -> None:
        self.conn.close()
        self._remove()

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


def sql_sum_ms(db_path: Path, contests: list[str], region: str, repeats: int) -> list[float]:
    """The bare SUM over the same rows recap_region adds up: one query per contest."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    samples = []
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            for contest in contests:
                conn.execute(
                    "SELECT SUM(value) FROM current_values"
                    " WHERE contest = ? AND station >= ? AND station < ?",
                    [contest, region + ".", region + "/"],
                ).fetchone()
            samples.append((time.perf_counter() - start) * 1000)
    finally:
        conn.close()
    return samples


BARE_WINDOW = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.resize(1200, 800)
window.show()
def ready():
    print("READY", flush=True)
    app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""


def window_env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def seconds_until_ready(
    args: list[str], timeout: float, env: dict[str, str] | None = None
) -> tuple[float | None, str]:
    """Start a process and time it until it prints a line starting with READY.

    Returns (seconds or None, the READY line or the tail of what it printed).
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        args,
        env=env or window_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = start + timeout
        for line in proc.stdout:
            if line.startswith("READY"):
                return time.perf_counter() - start, line.strip()
            seen.append(line)
            if time.perf_counter() > deadline:
                break
        return None, "".join(seen)[-800:]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def bare_window_seconds(repeats: int) -> list[float]:
    """A cold interpreter that shows an empty QMainWindow offscreen and reaches its event
    loop: the floor under the program's own cold start."""
    samples = []
    for _ in range(repeats):
        seconds, tail = seconds_until_ready([sys.executable, "-c", BARE_WINDOW], timeout=120)
        if seconds is None:
            raise RuntimeError(f"the bare window did not start: {tail}")
        samples.append(seconds)
    return samples


def server_insert_per_second(
    database: str | Path, count: int, batch: int = 500, repeats: int = 3
) -> list[float]:
    """The storage baseline beside the server's push rate (issue 14): rows shaped as a push
    writes them (a ``records`` row of a ~900-byte sheet payload and its ``sheets`` row),
    bulk-inserted ``batch`` at a time, each batch one transaction under the writers' lock,
    through the server's own storage (schema, indexes, append-only triggers) but without
    parsing, signatures, rules or the log. No push can store sheets faster than this.

    ``database``: a SQLite file (a new one per repeat, beside it) or a PostgreSQL URL whose
    database the caller made for this and drops after (repeats use new hashes there)."""
    from recap_server.storage import open_storage

    payload = '{"contest":"ppwp","values":{' + ",".join(f'"v{i}":{i}' for i in range(60)) + "}}"
    payload += " " * max(0, 900 - len(payload))
    signer, sig, received, values = "ab" * 32, "cd" * 64, "2026-11-26T08:00:00Z", '{"v1":1}'
    rates = []
    for repeat in range(repeats):
        target = database
        if not str(database).startswith(("postgresql://", "postgres://")):
            target = Path(f"{database}.{repeat}")
        storage = open_storage(target)
        try:
            start = time.perf_counter()
            for first in range(0, count, batch):
                rows = [
                    (f"{repeat:04x}{n:060x}", n) for n in range(first, min(count, first + batch))
                ]
                with storage.transaction() as conn:
                    conn.executemany(
                        "INSERT INTO records (hash, type, signer, seq, station, payload, sig,"
                        " received, idx, partition) VALUES (?, 'sheet', ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            (h, signer, seq, station, payload, sig, received, seq, "32.01.01")
                            for h, n in rows
                            for seq, station in [(repeat * count + n, f"32.01.01.{n % 9999:04d}")]
                        ],
                    )
                    conn.executemany(
                        "INSERT INTO sheets (hash, station, contest, signer, seq, supersedes,"
                        ' "values") VALUES (?, ?, ?, ?, ?, NULL, ?)',
                        [
                            (
                                h,
                                f"32.01.01.{n % 9999:04d}",
                                "ppwp",
                                signer,
                                repeat * count + n,
                                values,
                            )
                            for h, n in rows
                        ],
                    )
            rates.append(count / (time.perf_counter() - start))
        finally:
            storage.close()
    return rates
