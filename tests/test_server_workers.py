"""`recap-server --workers 2`: two processes serving one database (PostgreSQL on the
PostgreSQL pass, one SQLite file otherwise). Laptops push at the same time through both;
nothing is lost or stored twice, the log has no gap, and every laptop's pull verifies."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from recap_desktop.crypto.envelope import from_json
from recap_desktop.protocol import merkle
from recap_desktop.protocol.log import leaf_hash
from recap_desktop.protocol.wire import BATCH_FORMAT
from recap_desktop.services import demo as demo_service
from recap_desktop.services import sync as sync_service
from tests.pg_support import database_for
from tests.sync_support import make_laptop
from tests.test_server_edge import answer_ok, make_ca, served_in_thread


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(
    data_dir: Path,
    workers: int,
    *flags: str,
    log: list[str] | None = None,
    cafile: Path | None = None,
) -> tuple[subprocess.Popen[str], str, list[str]]:
    """The server started and answering; ``log`` is filled with its lines as they come.
    ``cafile``: it serves HTTPS (``flags`` name its certificate), trusted by that CA."""
    port = _free_port()
    db = database_for(data_dir)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "recap_server",
            "--data-dir",
            str(data_dir),
            "--demo",
            "--port",
            str(port),
            "--workers",
            str(workers),
            *(["--database", db] if db else []),
            *flags,
        ],
        stdout=subprocess.PIPE,  # uvicorn's access log
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "RECAP_LANG": "en"},
    )
    assert server.stdout is not None
    lines: list[str] = log if log is not None else []
    started: set[str] = set()
    deadline = time.monotonic() + 120
    for line in server.stdout:
        lines.append(line)
        found = re.search(r"Started server process \[(\d+)\]", line)
        if found:
            started.add(found.group(1))
        if len(started) == workers or time.monotonic() > deadline:
            break
    threading.Thread(
        target=lambda: [lines.append(x) for x in server.stdout or []], daemon=True
    ).start()
    url = f"{'https' if cafile else 'http'}://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/v1/health", timeout=5, verify=str(cafile or True)).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    assert len(started) == workers, "".join(lines)
    return server, url, sorted(started)


def _entries(url: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = requests.get(url + "/v1/log/entries", params={"start": len(out)}, timeout=30)
        page.raise_for_status()
        got = page.json()["entries"]
        if not got:
            return out
        out += got


def test_two_workers_take_concurrent_pushes_into_one_log_without_gaps(tmp_path: Path) -> None:
    laptops = [make_laptop(tmp_path / f"laptop-{i}", f"op-w{i}") for i in range(4)]
    batches: list[list[list[dict[str, Any]]]] = []
    for i, laptop in enumerate(laptops):
        demo_service.populate(laptop.ws, laptop.key, stations=5, seed=i + 1)
        records = [r.record.to_json() for r in laptop.ws.store.records.rows() if r.record]
        batches.append([records[at : at + 2] for at in range(0, len(records), 2)])
    pushed = {r["hash"] for mine in batches for batch in mine for r in batch}

    server, url, workers = _start(tmp_path / "server", workers=2)
    try:
        answers: list[dict[str, Any]] = []
        failures: list[BaseException] = []

        def push_all(mine: list[list[dict[str, Any]]]) -> None:
            try:
                for batch in mine:  # one signer's chain in order; the laptops at once
                    body = {"format": BATCH_FORMAT, "records": batch}
                    answer = requests.post(url + "/v1/push", json=body, timeout=60)
                    answer.raise_for_status()
                    answers.append(answer.json())
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=push_all, args=(mine,)) for mine in batches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures, failures
        statuses = {r["status"] for a in answers for r in a["results"]}
        assert statuses <= {"stored", "held"}, [a["results"] for a in answers]

        entries = _entries(url)
        head = requests.get(url + "/v1/log/heads", timeout=10).json()["head"]
        # One log: indices 0..n-1 once each, every record once, every pushed record in it.
        assert [e["index"] for e in entries] == list(range(len(entries)))
        hashes = [e["record"]["hash"] for e in entries]
        assert len(set(hashes)) == len(hashes)
        assert pushed <= set(hashes)
        assert head["payload"]["size"] == len(entries)
        assert requests.get(url + "/v1/stats", timeout=10).json()["records"] == len(entries)
        # The signed root is the tree of exactly these entries, in this order.
        leaves = [
            leaf_hash(
                from_json(e["record"]).hash, e["index"], str(e["partition"]), str(e["received"])
            )
            for e in entries
        ]
        assert merkle.root(leaves).hex() == head["payload"]["root"]
        # Each laptop pulls through whichever worker answers and verifies the partitions.
        for laptop in laptops:
            result = sync_service.sync_once(laptop.ws, url)
            assert result.outcome == "done", result
        assert len(workers) == 2
    finally:
        server.terminate()
        server.wait(timeout=60)
        for laptop in laptops:
            laptop.ws.close()


def test_workers_wait_for_a_national_election_to_load() -> None:
    """A worker's start loads the election (minutes at 820,000 stations) while uvicorn's
    supervisor pings it; at its 5 s default every worker was killed as hung, for ever. The
    supervisor is given the server's own timeout, and uvicorn takes it under that name."""
    import inspect

    import uvicorn

    from recap_server.__main__ import make_parser, worker_options
    from recap_server.edge import EdgeLimits, GuardedProtocol

    for argv, expected in (([], 600), (["--worker-timeout", "1200"], 1200)):
        args = make_parser().parse_args(["--data-dir", "x", "--workers", "2", *argv])
        options = worker_options(args, EdgeLimits(), GuardedProtocol, {})
        inspect.signature(uvicorn.run).bind(**options)  # every option is one uvicorn knows
        config = uvicorn.Config(**options)
        assert config.timeout_worker_healthcheck == expected
        assert config.workers == 2


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """True if the server closes (or resets) the connection within ``within`` seconds."""
    sock.settimeout(within)
    try:
        while sock.recv(4096):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def test_workers_cut_slow_headers_and_bodies_as_one_process_does(tmp_path: Path) -> None:
    """--header-timeout and --body-timeout reach every worker (they had the defaults: 10 s
    and 60 s, whatever the flags said)."""
    server, url, _ = _start(tmp_path / "server", 2, "--header-timeout", "1", "--body-timeout", "1")
    try:
        slow_headers, slow_bodies = [], []
        for _ in range(8):  # spread over both workers by the kernel
            sock = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
            slow_headers.append(sock)
            sock = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
            sock.sendall(
                b"POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{"
            )
            slow_bodies.append(sock)
        started = time.monotonic()
        assert all(_closed_by_server(sock, within=6) for sock in slow_headers + slow_bodies)
        assert time.monotonic() - started < 6
        assert requests.get(url + "/v1/health", timeout=10).json()["status"] == "ok"
        for sock in slow_headers + slow_bodies:
            sock.close()
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_workers_hold_the_connection_limit(tmp_path: Path) -> None:
    """--max-connections reaches every worker: each keeps at most that many open (the
    newcomer replaces the connection that waited longest), so two workers hold at most
    twice it, and /v1/health still gets in."""
    server, url, _ = _start(
        tmp_path / "server", 2, "--max-connections", "20", "--header-timeout", "60"
    )
    try:
        port = int(url.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(120)]
        time.sleep(1.0)
        for _ in range(3):
            assert requests.get(url + "/v1/health", timeout=10).json()["status"] == "ok"
        closed = sum(_closed_by_server(sock, within=0.2) for sock in idle)
        assert closed >= 120 - 2 * 20, closed
        for sock in idle:
            sock.close()
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_workers_serve_https_and_hold_connections_that_never_finish_a_handshake(
    tmp_path: Path,
) -> None:
    """HTTPS with two workers: each worker begins TLS on the connections it takes, so a
    crowd that never finishes a handshake counts under each worker's limit and is cut at the
    header deadline, as in one process (tests/test_server_edge.py)."""
    cafile, certfile, keyfile = make_ca(tmp_path)
    server, url, _ = _start(
        tmp_path / "server",
        2,
        *("--certfile", str(certfile), "--keyfile", str(keyfile)),
        *("--max-connections", "20", "--header-timeout", "3"),
        cafile=cafile,
    )
    try:
        port = int(url.rsplit(":", 1)[1])
        crowd = [socket.create_connection(("127.0.0.1", port)) for _ in range(100)]
        time.sleep(1.0)
        kept = [sock for sock in crowd if not _closed_by_server(sock, within=0.02)]
        assert len(kept) <= 2 * 20, len(kept)
        health = requests.get(url + "/v1/health", timeout=10, verify=str(cafile))
        assert health.json()["status"] == "ok"
        started = time.monotonic()
        assert all(_closed_by_server(sock, within=8) for sock in kept)
        assert time.monotonic() - started < 8
        for sock in crowd:
            sock.close()
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_workers_refuse_a_certificate_they_cannot_read(tmp_path: Path) -> None:
    """Read once by the parent: each worker failed to read it and was started again, for
    ever, while the command said nothing and exited 0 once stopped."""
    unreadable = tmp_path / "cert.pem"
    unreadable.write_text("not a certificate")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "recap_server", "--demo", "--port", "0"),
            *("--data-dir", str(tmp_path / "server"), "--workers", "2"),
            *("--certfile", str(unreadable), "--keyfile", str(unreadable)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "RECAP_LANG": "en"},
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "cannot read the TLS certificate" in done.stderr and "--certfile" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_connection_to_a_socket_bound_as_for_workers_has_nagle_off(loop: str) -> None:
    """``--workers N`` serves a socket uvicorn binds itself, with proto 0 (uvicorn issue
    3149), and asyncio turns Nagle off only on a socket that says TCP: each kept-alive
    answer's body then waited for the laptop's delayed ACK of its headers (40 ms on Linux;
    an empty pull took 44 ms with two workers on either database, 2 ms with one,
    docs/PERFORMANCE.md). The guarded protocol turns it off on every connection it takes.
    Checked on the server's own socket, in-process, not by timing a pull, on either loop
    the server may run (uvloop, or asyncio's where uvloop is not installed)."""
    from recap_server.edge import EdgeLimits, uvicorn_config

    config = uvicorn_config(answer_ok, "127.0.0.1", 0, EdgeLimits())
    config.loop = loop
    with served_in_thread(config) as (server, address):
        with socket.create_connection(address, timeout=10) as laptop:
            laptop.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert laptop.recv(1024).startswith(b"HTTP/1.1 200")
            (taken,) = server.server_state.connections
            served = taken.transport.get_extra_info("socket")
            assert served.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


@pytest.mark.parametrize("workers", [1, 2])
def test_no_access_log_writes_no_line_a_request(tmp_path: Path, workers: int) -> None:
    """Behind a reverse proxy that logs every request, `--no-access-log` writes none of its
    own, in one process and in workers; without it each request is a line."""
    for flags, logged in (((), True), (("--no-access-log",), False)):
        lines: list[str] = []
        server, url, _ = _start(tmp_path / f"server-{logged}", workers, *flags, log=lines)
        try:
            assert requests.get(url + "/v1/no-such-page", timeout=30).status_code == 404
            deadline = time.monotonic() + (10 if logged else 2)
            seen = False
            while not seen and time.monotonic() < deadline:
                seen = any('"GET /v1/no-such-page HTTP/1.1" 404' in line for line in lines)
                time.sleep(0.1)
            assert seen == logged, "".join(lines)
        finally:
            server.terminate()
            server.wait(30)
