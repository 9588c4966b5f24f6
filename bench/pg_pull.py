"""An empty pull through the real ``recap-server``, one process and ``--workers N``, on
SQLite and (with ``--postgres URL``) PostgreSQL: issue 14's 5 ms target in about a minute,
without the national run's 18.

Each server is the DEMO election given a national log's shape: ``--certificates`` real
certificates admitted by the ledger (the authority's partition a laptop's every pull reads)
and ``--partitions`` district partitions (rows of ``partitions``, as 7,000 districts' logs:
what the view and the proofs are made of). A laptop then pulls its district to the head and
asks again ``--pulls`` times on one kept-alive connection, as the client does; each answer
must be empty. Reported: p50/p99 of the wall time of those pulls and the server processes'
CPU per pull (on PostgreSQL, the database's own backends are not counted).

    python -m bench.pg_pull [--postgres postgresql://postgres@127.0.0.1:5432/test]
        [--workers 1 2] [--pulls 300]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench import national
from recap_desktop.crypto import authority
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.election import format_time
from recap_desktop.services import demo
from recap_server.server import open_ledger

DISTRICT = "32.01.01"
_TICK = os.sysconf("SC_CLK_TCK")


def shape(folder: Path, database: str | None, certificates: int, partitions: int) -> None:
    """The DEMO server's database with the certificates and partitions of a national log."""
    ledger = open_ledger(folder, demo=True, database=database)
    made = format_time(datetime.now(UTC))
    records = [
        authority.certificate(
            demo.demo_authority(),
            election=demo.ELECTION_ID,
            officer_id=f"bench-{i}",
            name=f"Bench {i}",
            role="operator",
            jurisdiction=DISTRICT,
            public_key=SigningKey.generate().public_key,
            valid_from=demo.ISSUED,
            valid_until=demo.EXPIRES,
            issued=made,
        ).to_json()
        for i in range(certificates)
    ]
    for at in range(0, len(records), 500):
        ledger.push(records[at : at + 500])
    with ledger.storage.transaction() as conn:
        conn.executemany(
            "INSERT INTO partitions (partition, size, root) VALUES (?, ?, ?)",
            [
                (f"{40 + i // 10000}.{i // 100 % 100:02d}.{i % 100:02d}", 150, b"\1" * 32)
                for i in range(partitions)
            ],
        )
    ledger.storage.close()


def _cpu(pid: int) -> float:
    """Seconds of CPU of a server process and its worker processes."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / _TICK


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(c) for c in text]
    return out


def serve(folder: Path, database: str | None, workers: int) -> tuple[subprocess.Popen[str], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "recap_server",
            "--data-dir",
            str(folder),
            "--demo",
            "--port",
            str(port),
            "--workers",
            str(workers),
            *(["--database", database] if database else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "RECAP_LANG": "en"},
    )
    assert server.stderr is not None
    started: set[str] = set()
    for line in server.stderr:
        found = re.search(r"Started server process \[(\d+)\]", line)
        if found:
            started.add(found.group(1))
        if len(started) == workers:
            break
    # Its log read on, so that a full pipe never stops the server.
    threading.Thread(target=lambda: [None for _ in server.stderr or []], daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if requests.get(url + "/v1/health", timeout=5).ok:
                return server, url
        except requests.ConnectionError:
            time.sleep(0.2)


def empty_pulls(url: str, pid: int, pulls: int) -> dict[str, Any]:
    with requests.Session() as laptop:
        params: dict[str, Any] = {"jurisdiction": DISTRICT, "since": 0, "limit": 2000}
        while True:
            page = laptop.get(url + "/v1/pull", params=params, timeout=60).json()
            params["since"] = page["next"]
            if not page["more"]:
                break
        params["limit"] = 500
        for _ in range(20):  # every worker's connections and statements warm
            laptop.get(url + "/v1/pull", params=params, timeout=60)
        times = []
        cpu = _cpu(pid)
        for _ in range(pulls):
            started = time.perf_counter()
            answer = laptop.get(url + "/v1/pull", params=params, timeout=60)
            times.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200 or answer.json()["entries"]:
                raise RuntimeError(f"not an empty pull: {answer.status_code} {answer.text[:200]}")
        cpu = _cpu(pid) - cpu
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(times[int(len(times) * 0.99)], 2),
        "cpu_ms": round(cpu * 1000 / pulls, 2),
        "log": params["since"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pg_pull", description=__doc__)
    parser.add_argument("--postgres", metavar="URL", help="also on PostgreSQL (fresh database)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--pulls", type=int, default=300)
    parser.add_argument("--certificates", type=int, default=7000)
    parser.add_argument("--partitions", type=int, default=7000)
    args = parser.parse_args(argv)
    os.environ.setdefault("RECAP_SERVER_PASSPHRASE", "bench-server-only")
    name = "recap_bench_pull"
    backends: list[tuple[str, str | None]] = [("sqlite", None)]
    if args.postgres:
        backends.append(("pg", national.fresh_database(args.postgres, name)))
    print(
        f"{'backend':<10} {'p50 ms':>7} {'p99 ms':>7} {'cpu ms':>7} log"
        f"  (load {os.getloadavg()[0]:.1f})"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="recap-pull-") as tmp:
            for backend, database in backends:
                folder = Path(tmp) / backend
                shape(folder, database, args.certificates, args.partitions)
                for workers in args.workers:
                    server, url = serve(folder, database, workers)
                    try:
                        row = empty_pulls(url, server.pid, args.pulls)
                    finally:
                        server.terminate()
                        server.wait(timeout=60)
                    print(
                        f"{backend + '-w' + str(workers):<10} {row['p50_ms']:>7} {row['p99_ms']:>7}"
                        f" {row['cpu_ms']:>7} {row['log']:,}"
                    )
    finally:
        if args.postgres:
            national.drop_database(args.postgres, name)
    print(f"load after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
