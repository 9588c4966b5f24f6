"""The server's CPU per request at its edge: ``/v1/health``, an empty pull and a push the
gate refuses (429: this address's rate spent, as the surge's crowd is told 429 and 503 tens
of thousands of times), each asked ``--requests`` times in a row on one kept-alive
connection to ``recap-server --demo`` (one process, SQLite), after 200 of each to warm up
(the refused push on a new connection each time: the server closes one it refused a body
on). Reported: the server process's CPU (user + system, from /proc, so Linux only) and the
client's wall time per request, with the load average. Then ``--crowd`` clients (aiohttp,
each on its own kept-alive connection) ask empty pulls and health as fast as they are
answered for ``--seconds``, while a probe asks ``/v1/health`` every 50 ms on a connection
of its own: the requests answered a second, the server's CPU per request, and the probe's
p50 and max, event-loop work alone (no pushes, no database writes). It measures whichever
``recap_server`` Python imports, so a baseline is measured by putting another checkout
first on ``PYTHONPATH`` (docs/PERFORMANCE.md, issue 14 fastedge).

    python -m bench.edge_cpu [--requests 3000] [--crowd 300] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence


def _cpu(pid: int) -> float:
    """User + system CPU seconds of the process ``pid`` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _crowd(url: str, pid: int, empty: str, clients: int, seconds: float) -> None:
    """The crowd and the probe (module docstring)."""
    import aiohttp

    done = 0
    probe: list[float] = []
    stop = time.perf_counter() + seconds

    async def client(session: aiohttp.ClientSession, path: str) -> None:
        nonlocal done
        while time.perf_counter() < stop:
            async with session.get(url + path) as answer:
                await answer.read()
                done += 1

    async def probing(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < stop:
            start = time.perf_counter()
            async with session.get(url + "/v1/health") as answer:
                await answer.read()
            probe.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(0.05)

    limit = aiohttp.TCPConnector(limit=clients)
    async with (
        aiohttp.ClientSession(connector=limit) as session,
        aiohttp.ClientSession() as alone,
    ):
        cpu0, wall0 = _cpu(pid), time.perf_counter()
        paths = [empty if i % 2 else "/v1/health" for i in range(clients)]
        await asyncio.gather(probing(alone), *(client(session, p) for p in paths))
        cpu, wall = _cpu(pid) - cpu0, time.perf_counter() - wall0
    probe.sort()
    print(
        f"crowd of {clients}: {done / wall:,.0f} requests/s, server CPU"
        f" {cpu / max(1, done) * 1000:.3f} ms a request; probe health p50"
        f" {probe[len(probe) // 2]:.1f} ms, max {probe[-1]:.1f} ms ({len(probe)} asked)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.edge_cpu")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--crowd", type=int, default=300, help="clients at once (0: none)")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="recap-edge-cpu-") as data:
        proc = subprocess.Popen(
            [sys.executable, "-m", "recap_server", "--demo", "--data-dir", data, "--port", "0"],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "RECAP_SERVER_PASSPHRASE": "demo-server-only"},
        )
        try:
            assert proc.stderr is not None
            port = 0
            for line in proc.stderr:
                found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
                if found:
                    port = int(found.group(1))
                    break
            if not port:
                print(f"the server did not start: {proc.wait()}", file=sys.stderr)
                return 1
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

            def get(path: str) -> bytes:
                conn.request("GET", path)
                answer = conn.getresponse()
                body = answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"{path}: HTTP {answer.status}")
                return body

            def refused(path: str) -> bytes:
                """A push without a token, once this address's bucket is spent: 429. The
                server closes a connection it refused a body on: a new one each time."""
                once = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    once.request("POST", path, body=b"{}")
                    answer = once.getresponse()
                    body = answer.read()
                finally:
                    once.close()
                if answer.status not in (400, 429):  # 400: not a batch, while the bucket lasts
                    raise RuntimeError(f"{path}: HTTP {answer.status}")
                return body

            head = re.search(rb'"next":(\d+)', get("/v1/pull?jurisdiction=32&since=0&limit=100"))
            assert head is not None
            empty = f"/v1/pull?jurisdiction=32&since={head.group(1).decode()}&limit=100"
            if b'"entries":[]' not in get(empty):
                raise RuntimeError("the pull at the head was not empty")
            load = os.getloadavg()
            for name, path, ask in (
                ("health", "/v1/health", get),
                ("empty_pull", empty, get),
                ("push_refused", "/v1/push", refused),
            ):
                for _ in range(200):
                    ask(path)
                cpu0, wall0 = _cpu(proc.pid), time.perf_counter()
                for _ in range(args.requests):
                    ask(path)
                cpu = (_cpu(proc.pid) - cpu0) / args.requests * 1000
                wall = (time.perf_counter() - wall0) / args.requests * 1000
                print(f"{name}: server CPU {cpu:.3f} ms, wall {wall:.3f} ms a request")
            if args.crowd:
                url = f"http://127.0.0.1:{port}"
                asyncio.run(_crowd(url, proc.pid, empty, args.crowd, args.seconds))
            after = os.getloadavg()
            print(f"load {load[0]:.2f} -> {after[0]:.2f}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
