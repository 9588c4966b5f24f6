"""Trials that need the sync server (issue 4), written against the API of the sync branch
(POST /v1/push, GET /v1/health, GET /v1/stats). They run only when a server can be started:
``recap_server`` importable, or RECAP_SERVER_SRC naming a checkout that has it. Until the
server is on main, the runner reports them as not run.

The other server trials: reliability/syncfaults.py (the fault proxy), statemachine.py (the
hypothesis state machine) and schemafuzz.py (schemathesis).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from recap_desktop.crypto.envelope import EnvelopeError, from_json
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from reliability.common import TrialResult, make_demo

ROOT = Path(__file__).resolve().parents[1]


def server_source() -> Path | None:
    src = os.environ.get("RECAP_SERVER_SRC")
    if src and (Path(src) / "recap_server").is_dir():
        return Path(src)
    if (ROOT / "recap_server").is_dir():
        return ROOT
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The real server on a loopback port, as the sync tests of issue 4 run it."""

    def __init__(self, data_dir: Path, src: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "recap_server",
                "--data-dir",
                str(data_dir),
                "--demo",
                "--port",
                str(self.port),
            ],
            cwd=src,
            env={**os.environ, "PYTHONPATH": str(src)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        import requests

        self.http = requests.Session()
        deadline = time.monotonic() + 60  # waiting for start-up, not asserting a duration
        while True:
            try:
                self.health = self.http.get(self.url + "/v1/health", timeout=2).json()
                return
            except requests.RequestException:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                    self.stop()
                    raise RuntimeError(f"the server did not start: {err[-500:]}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _batch(work: Path) -> list[dict[str, Any]]:
    """A laptop's certificate and 20 sheets, with three of them sent twice inside the batch."""
    demo = make_demo(work / "laptop")
    ws = Workspace(demo.data_dir)
    try:
        demo_service.populate(ws, demo.key, stations=10)
        records = [r.record for r in ws.store.records.rows(["certificate", "sheet"]) if r.record]
    finally:
        ws.close()
    batch = [r.to_json() for r in records]
    return [*batch, batch[0], batch[3], batch[7]]


def _stats(server: Server) -> dict[str, Any]:
    stats = dict(server.http.get(server.url + "/v1/stats", timeout=30).json())
    stats.pop("receipts", None)  # every push gets its own receipt; that is not a change
    return stats


def push_idempotent_trial(size: int, work: Path, seed: int = 8) -> TrialResult:
    """The same batch pushed ``size`` times: the first stores each record once (duplicates
    inside answer held); every later push answers the same (all held), stores nothing, and
    every receipt verifies with the server's key."""
    result = TrialResult("push-idempotent", size, 1000)
    src = server_source()
    assert src is not None, "no recap_server to run"
    batch = _batch(work)
    body = json.dumps({"format": "recap-batch/1", "records": batch}).encode()
    server = Server(work / "server", src)
    try:
        server_key = bytes.fromhex(server.health["server_key"])
        result.notes.append(f"server from {src}; batch of {len(batch)} records, 3 repeated")
        first: list[dict[str, Any]] | None = None
        later: list[dict[str, Any]] | None = None
        stats: dict[str, Any] | None = None
        for i in range(size):
            answer = server.http.post(
                server.url + "/v1/push",
                data=body,
                headers={"Content-Type": "application/json"},
                timeout=60,
            )
            if answer.status_code != 200:
                result.fail(f"push {i}: HTTP {answer.status_code} {answer.text[:200]}")
                continue
            doc = answer.json()
            try:
                receipt = from_json(doc["receipt"])
                good = receipt.verify_signature(server_key)
            except (EnvelopeError, KeyError, ValueError):
                good = False
            result.count("receipts verified" if good else "receipts NOT verified")
            if not good:
                result.fail(f"push {i}: the receipt does not verify")
            results = [{k: r.get(k) for k in ("hash", "status", "reason")} for r in doc["results"]]
            if i == 0:
                first = results
                stats = _stats(server)
                statuses = [r["status"] for r in results]
                result.counts["first push: stored"] = statuses.count("stored")
                result.counts["first push: held (duplicates inside)"] = statuses.count("held")
                refused = [r for r in results if r["status"] == "refused"]
                if refused or statuses[-3:] != ["held"] * 3:
                    result.fail(f"first push: {refused[:3]} / duplicates {statuses[-3:]}")
                continue
            if later is None:
                later = results
                if any(r["status"] != "held" for r in results):
                    result.fail(f"push {i}: not all held: {results[:3]}")
            if results != later:
                result.fail(f"push {i}: a different answer")
            else:
                result.count("later pushes with the same answer")
            if i % 100 == 0 or i == size - 1:
                now = _stats(server)
                if now != stats:
                    result.fail(f"push {i}: the server changed: {stats} -> {now}")
                else:
                    result.count("stats checks: server unchanged")
        del first
    finally:
        server.stop()
    return result
