"""Push throughput of ``recap-server``: one process against ``--workers N``, beside libsodium.

A focused micro-benchmark for issue 14's push target (push >= 0.5 x libsodium's single-core
verify rate x cores used), apart from the national run: several laptops (clients) at once,
each pushing its own chain of pre-signed sheets in batches of ``--batch`` (500 by default)
to the real server on loopback, on SQLite and (with ``--postgres URL``) PostgreSQL in a fresh
database. Reported per backend: sheets/s of wall time from the first push to the last answer,
the server's CPU per sheet (its processes and, on PostgreSQL, the database backends), and the
machine's load average, with libsodium's single-core verify rate measured before and after in
the same run. Every sheet must come back ``stored``; anything else is an error, reported.

    python -m bench.push_workers [--postgres postgresql://postgres@127.0.0.1:5432/test]
        [--laptops 8] [--sheets 1000] [--batch 500] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

from bench import national, national_data, stores
from bench.baselines import libsodium_verify_per_second
from recap_desktop.protocol.wire import batch_bytes


def _batches(nat: national_data.National, batch: int) -> list[list[bytes]]:
    """Each laptop's sheets as gzipped push bodies of ``batch`` sheets, in chain order."""
    out: list[list[bytes]] = []
    for laptop in nat.laptops:
        records = json.loads(gzip.decompress(nat.read(laptop.surge)))["records"]
        out.append(
            [
                gzip.compress(batch_bytes(records[at : at + batch]), compresslevel=6)
                for at in range(0, len(records), batch)
            ]
        )
    return out


def _run_backend(
    nat: national_data.National,
    bodies: list[list[bytes]],
    folder: Path,
    backend: national.Backend,
) -> dict[str, Any]:
    certs = json.loads(nat.certificates.read_text())["records"]
    # The per-key rate of pushes (10 a second) is lifted: this measures admission, not the
    # gate, and one-sheet pushes (``--batch 1``) would otherwise be told to wait (429).
    lifted = ["--push-rate", "1000000", "--push-burst", "1000000"]
    server = national.Server(nat, folder, backend, certs, lifted)
    try:
        load_before = os.getloadavg()[0]
        cpu_before = server.cpu()
        errors: list[str] = []
        stored = [0] * len(bodies)

        def client(i: int) -> None:
            headers = {
                "Content-Encoding": "gzip",
                "Content-Type": "application/json",
                **national._push_token(nat.laptops[i].index),
            }
            with requests.Session() as session:
                for body in bodies[i]:
                    answer = session.post(
                        server.url + "/v1/push",
                        data=body,
                        headers=headers,
                        params={"known": 0},
                        timeout=600,
                    )
                    if answer.status_code != 200:
                        errors.append(f"HTTP {answer.status_code}: {answer.text[:200]}")
                        return
                    for r in answer.json()["results"]:
                        if r["status"] == "stored":
                            stored[i] += 1
                        else:
                            errors.append(json.dumps(r)[:200])

        threads = [threading.Thread(target=client, args=(i,)) for i in range(len(bodies))]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        cpu = server.cpu() - cpu_before
        total = sum(stored)
        return {
            "backend": backend.name,
            "workers": backend.workers,
            "sheets": total,
            "seconds": round(wall, 2),
            "sheets_per_s": round(total / wall, 1),
            "server_cpu_us_per_sheet": round(cpu / max(total, 1) * 1e6),
            "load_before": round(load_before, 1),
            "load_after": round(os.getloadavg()[0], 1),
            "errors": errors[:5],
            "error_count": len(errors),
        }
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.push_workers", description=__doc__)
    parser.add_argument("--laptops", type=int, default=8, help="clients pushing at once")
    parser.add_argument("--sheets", type=int, default=1000, help="sheets per laptop")
    parser.add_argument("--batch", type=int, default=500, help="sheets per push")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--postgres", metavar="URL", help="also on PostgreSQL (fresh database)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    # Districts big enough for each laptop's sheets: five contests a station.
    stations = args.laptops * (args.sheets // 5 + 20)
    nat = national_data.cached(stations, args.laptops, args.sheets, 0)
    bodies = _batches(nat, args.batch)
    sodium_before = statistics.median(libsodium_verify_per_second(5000, 5))
    print(f"libsodium verify, one core: {sodium_before:,.0f}/s (load {os.getloadavg()[0]:.1f})")
    backends: list[national.Backend] = []
    for workers in args.workers:
        backends.append(national.Backend(f"sqlite-w{workers}", None, workers))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="recap-push-", dir=stores.cache_root_made()) as tmp:
        for backend in backends:
            rows.append(_run_backend(nat, bodies, Path(tmp) / backend.name, backend))
            print(json.dumps(rows[-1]))
        if args.postgres:
            for workers in args.workers:
                name = f"recap_push_pg{workers}"
                url = national.fresh_database(args.postgres, name)
                try:
                    backend = national.Backend(f"pg-w{workers}", url, workers)
                    rows.append(_run_backend(nat, bodies, Path(tmp) / backend.name, backend))
                    print(json.dumps(rows[-1]))
                finally:
                    national.drop_database(args.postgres, name)
    sodium_after = statistics.median(libsodium_verify_per_second(5000, 5))
    sodium = (sodium_before + sodium_after) / 2
    cores = os.cpu_count() or 1
    print(f"libsodium verify, one core: {sodium_after:,.0f}/s after; mean {sodium:,.0f}/s")
    print(
        f"{'backend':<12} {'sheets/s':>9} {'x verify':>9} {'target':>7} {'cpu µs/sheet':>13}"
        f" {'load':>9} errors"
    )
    for row in rows:
        used = min(row["workers"], cores)
        ratio = row["sheets_per_s"] / sodium
        print(
            f"{row['backend']:<12} {row['sheets_per_s']:>9,.0f} {ratio:>9.3f}"
            f" {0.5 * used:>7.2f} {row['server_cpu_us_per_sheet']:>13,}"
            f" {row['load_before']:>4}-{row['load_after']:<4} {row['error_count']}"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"sodium": [sodium_before, sodium_after], "rows": rows}, indent=2)
        )
    return 0 if all(r["error_count"] == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
