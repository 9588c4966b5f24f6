"""Sync throughput, push and pull over loopback, end to end.

The real ``recap-server`` (``python -m recap_server``: FastAPI under uvicorn) runs as its own
process on 127.0.0.1, port 0, serving the bench store's election package. Push: a copy of a
cached bench store (its certificate and ``N - 2`` signed sheets) is pushed by the real sync
engine (``services.sync.make_engine`` settings, nothing pulled). Pull: a fresh laptop of the
same election, certified for the same province, runs one real ``sync`` that pulls and verifies
every record into its empty store. Both are records per second of wall time, client and
server included.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.stores import BuiltStore
from recap_desktop.crypto import authority
from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.keys import key_id
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service
from recap_desktop.services.election import authority_key, import_election, package_file
from recap_desktop.services.sync import jurisdiction, make_engine
from recap_desktop.sync.engine import DONE

PASSPHRASE = "bench-server-only"  # a throwaway server key in the bench's scratch folder


def sync_missing() -> str | None:
    """Why sync cannot be measured, or None when it can."""
    for module, what in (
        ("recap_server", "the sync server (recap_server)"),
        ("recap_desktop.sync.engine", "the sync client (recap_desktop.sync)"),
    ):
        try:
            spec = importlib.util.find_spec(module)
        except ModuleNotFoundError:
            spec = None
        if spec is None or spec.origin is None:
            return f"needs {what}, built on the sync branch"
    return None


class ServerProcess:
    """``python -m recap_server --port 0`` in its own process; the URL it listens on."""

    def __init__(
        self, data_dir: Path, package: Path, authority: str, certificates: Path | None = None
    ) -> None:
        """``certificates``: a file of officers' certificates loaded before the server starts
        (``--load-certificates``, as the authority does before election day)."""
        env = dict(os.environ, RECAP_SERVER_PASSPHRASE=PASSPHRASE, PYTHONUNBUFFERED="1")
        self.log = data_dir.parent / f"{data_dir.name}.log"
        args = [
            sys.executable,
            "-m",
            "recap_server",
            "--data-dir",
            str(data_dir),
            "--election",
            str(package),
            "--trust-authority",
            authority,
        ]
        certificate = _certify(args, env, data_dir.parent / f"{data_dir.name}.request")
        if certificates is not None:
            subprocess.run(
                [
                    *args,
                    "--certificate",
                    str(certificate),
                    "--load-certificates",
                    str(certificates),
                ],
                env=env,
                check=True,
                capture_output=True,
            )
        self._log_file = self.log.open("wb")
        self.proc = subprocess.Popen(
            [*args, "--port", "0", "--certificate", str(certificate)],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 120
        while True:
            found = re.search(rb"running on http://127\.0\.0\.1:(\d+)", self.log.read_bytes())
            if found:
                self.url = f"http://127.0.0.1:{int(found.group(1))}"
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"recap-server did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def cpu_seconds(self) -> float:
        """The server process's CPU time so far (user and system), from /proc."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()


def _certify(args: list[str], env: dict[str, str], request: Path) -> Path:
    """The server's key certified as a real server's is (PROTOCOL §10.1): the server writes
    a certificate request, the (DEMO) authority of the bench stores signs it."""
    subprocess.run([*args, "--request", str(request)], env=env, check=True, capture_output=True)
    asked = json.loads(request.read_text())["request"]["payload"]
    cert = authority.certificate(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        officer_id=asked["officer_id"],
        name=asked["name"],
        role="server",
        jurisdiction="",
        public_key=bytes.fromhex(asked["public_key"]),
        valid_from=demo_service.ISSUED,
        valid_until=demo_service.EXPIRES,
        issued=demo_service.ISSUED,
    )
    path = request.with_suffix(".certificate")
    path.write_text(json.dumps({"records": [cert.to_json()]}))
    return path


@dataclass(frozen=True)
class SyncFigures:
    pushed: int
    push_seconds: float
    pulled: int
    pull_seconds: float
    pull_problems: int

    @property
    def push_rate(self) -> float:
        return self.pushed / self.push_seconds

    @property
    def pull_rate(self) -> float:
        return self.pulled / self.pull_seconds


def _package(ws: Workspace, folder: Path) -> tuple[Path, str]:
    """The laptop's election package as a file for ``recap-server --election``."""
    records = [r for r in ws.store.records.authority_records() if r.type == "election"]
    key = authority_key(ws)
    path = folder / "election-package.json"
    path.write_bytes(canonical_bytes(package_file(key, records)) + b"\n")
    return path, key_id(key)


def push_and_pull(
    store: BuiltStore,
    scratch: Path,
    *,
    batch_count: int = 500,
    page_size: int = 500,
    pull: bool = True,
    then: Callable[[str], None] | None = None,
) -> SyncFigures:
    """Push the store's records to a new server, then pull them into a fresh laptop (unless
    ``pull`` is False); ``then`` gets the server's URL before it stops (the auditor)."""
    work = scratch / f"sync-{store.records}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    laptop_dir = work / "laptop"
    shutil.copytree(store.path, laptop_dir)  # pushing marks records sent: never the cache
    ws = Workspace(laptop_dir)
    server = None
    try:
        package, authority = _package(ws, work)
        server = ServerProcess(work / "server", package, authority)
        engine = make_engine(ws, server.url, batch_count=batch_count, page_size=page_size)
        engine.jurisdiction = None  # push only: what is pulled is measured on its own below
        start = time.perf_counter()
        pushed = engine.sync()
        push_seconds = time.perf_counter() - start
        engine.client.close()
        if pushed.outcome != DONE or pushed.sent != store.records - 1:
            # Everything but the election package, which the server was set up with.
            raise RuntimeError(
                f"push: {pushed.outcome}, {pushed.sent} stored, {pushed.held} held,"
                f" {len(pushed.refused)} refused ({pushed.refused[:1]}, {pushed.error})"
            )
        if not pull:
            if then is not None:
                then(server.url)
            return SyncFigures(pushed.sent, push_seconds, 0, 0.0, 0)
        fresh = _fresh_laptop(ws, work / "fresh")
        try:
            puller = make_engine(fresh, server.url, batch_count=batch_count, page_size=page_size)
            start = time.perf_counter()
            pulled = puller.sync()
            pull_seconds = time.perf_counter() - start
            puller.client.close()
            if pulled.outcome not in (DONE,) or pulled.pulled < store.records - 2:
                raise RuntimeError(
                    f"pull: {pulled.outcome}, {pulled.pulled} pulled,"
                    f" {len(pulled.pull_problems)} problems ({pulled.error})"
                )
        finally:
            fresh.close()
        if then is not None:
            then(server.url)
        return SyncFigures(
            pushed.sent, push_seconds, pulled.pulled, pull_seconds, len(pulled.pull_problems)
        )
    finally:
        ws.close()
        if server is not None:
            server.stop()


@dataclass(frozen=True)
class FirstContact:
    stations: int
    package_bytes: int
    server_cpu: float  # seconds of the server's CPU for the laptop's first sync
    requests: str  # what the laptop sent


def first_contact(stations: int, scratch: Path, *, preloaded: bool = True) -> FirstContact:
    """A new laptop's first sync against a server of a package of ``stations`` stations
    whose officers' certificates the authority loaded before election day: the server's CPU
    for the handshake and the push phase (asking by hash; nothing to send). The pull is not
    included: its first page still carries the package (the pull's rework, issue 14).
    ``preloaded`` False: the authority did not load the certificates; the laptop sends its own."""
    work = scratch / f"first-contact-{stations}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ws = Workspace(work / "laptop")
    server = None
    try:
        demo_service.init_demo(ws, stations=stations)
        identity_service.unlock(ws, identity_service.DEMO_PASSPHRASE)  # its push token
        package, authority = _package(ws, work)
        certs = [
            r.to_json() for r in ws.store.records.authority_records() if r.type == "certificate"
        ]
        bulk = work / "certificates.json"
        bulk.write_text(json.dumps({"records": certs}))
        server = ServerProcess(
            work / "server", package, authority, certificates=bulk if preloaded else None
        )
        engine = make_engine(ws, server.url)
        engine.jurisdiction = None  # the push phase: handshake, ask by hash, send the rest
        sent: list[str] = []
        client = engine.client
        for name in ("health", "push_held", "push_body"):
            call = getattr(client, name)

            def counted(*args: object, _name: str = name, _call: Callable = call) -> object:
                sent.append(_name)
                return _call(*args)

            setattr(client, name, counted)
        time.sleep(0.5)  # the server settles after its start
        before = server.cpu_seconds()
        result = engine.sync()
        cpu = server.cpu_seconds() - before
        client.close()
        if result.outcome != DONE or ws.store.outbox.unsent_count():
            raise RuntimeError(f"first contact: {result.outcome} ({result.error})")
        return FirstContact(stations, package.stat().st_size, cpu, ", ".join(sent))
    finally:
        ws.close()
        if server is not None:
            server.stop()


def _fresh_laptop(source: Workspace, folder: Path) -> Workspace:
    """A new officer's laptop: the same election package, certified for the same region,
    nothing else."""
    region = jurisdiction(source.store)
    assert region is not None
    ws = Workspace(folder)
    package = [r for r in source.store.records.authority_records() if r.type == "election"]
    data = canonical_bytes(package_file(authority_key(source), package)) + b"\n"
    import_election(ws, data, "bench", demo=True)
    ident = identity_service.create_identity(
        ws,
        name="Bench Puller",
        officer_id="bench-puller",
        role="operator",
        passphrase=identity_service.DEMO_PASSPHRASE,
        demo=True,
    )
    demo_service.certify(ws, ident, role="operator", jurisdiction=region)
    return ws
