"""``python -m bench --national``: a national election's surge against the real server.

A real ``recap-server`` on loopback serves the cached national election (``national_data``:
820,000 stations, 7,000 district laptops with certified keys and pre-signed sheets); the
authority's certificates of the laptops are loaded into it before the run, as the authority
does before election day. An asynchronous load generator (aiohttp, one process) then plays:

1. first contact of a few laptops whose certificates the server does not hold yet, one at a
   time on an idle server, as today's client makes it (the hashes of its package and its
   certificate asked with ``POST /v1/push/held``, then only what the server lacks pushed: its
   certificate): the server CPU it costs;
2. the server CPU of one request of each kind, on the idle server, over 20 laptops' first
   syncs made one request at a time (what the projection in docs/PERFORMANCE.md uses);
3. the surge: every laptop's first sync at once (health, its package and certificate asked
   by hash as in 1 and its certificate pushed only if not held, its sheets, every pull page
   of its district and the certificates those pages name by hash that it lacks, the fork
   evidence when health counts any), at most ``connections`` requests and ``first_pulls``
   package pages in flight, inside a time box (what is not done by then is reported, not
   waited for);
4. steady syncs every ``interval`` seconds (health carrying the consistency proof from the
   head last seen, a new sheet, a pull from its cursor; the fork evidence when health's
   count of it changed) by every laptop whose sheets are stored, as the client asks them.

Meanwhile a probe asks ``/v1/health`` every 100 ms from a process of its own, and the
server's CPU and RSS (with its worker processes) are sampled. At the end every sheet a
laptop got a receipt for is looked up in the server's database by hash: present exactly
once, at the index its receipt gave.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench import national_data
from bench.national_data import Laptop, National
from bench.report import Result, percentile, table
from recap_desktop.protocol.wire import MAX_RETRY_AFTER
from recap_desktop.sync.backoff import RETRY_AFTER_SPREAD
from recap_server.edge import EdgeLimits

PASSPHRASE = "bench-server-only"
PAGE = 500  # records per pull page, the client's default
AUTHORITY_FETCH = 1000  # hashes per POST /v1/authority/records, as the client asks
BIG_PAGE = 8 * 1024 * 1024  # a page bigger than this is read to its end, not parsed whole
_TAIL = re.compile(rb'"more":(true|false),"next":(\d+)')


@dataclass(frozen=True)
class Shape:
    name: str
    stations: int
    laptops: int
    surge_sheets: int  # sheets each laptop pushes in its first sync
    steady_sheets: int  # sheets each laptop pushes later, one per steady sync
    surge_seconds: float  # the surge's time box
    steady_seconds: float
    interval: float  # seconds between a laptop's steady syncs
    connections: int  # requests in flight at once, at most
    late: int  # laptops whose certificate arrives with their first contact
    # First pulls (cursor 0) in flight at once: each carries the whole package, and the
    # server holds ~3 copies of it per page it builds (370 MB at 820,000 stations), so a
    # real surge's thousands at once would exhaust memory. Held down here to spare the
    # machine; what they cost shows in the surge's CPU and the laptops not done in the box.
    first_pulls: int


FULL = Shape("full", 820_000, 7_000, 20, 2, 180, 60, 30.0, 500, 3, 4)
QUICK = Shape("quick", 20_000, 300, 10, 1, 30, 12, 5.0, 100, 2, 8)
TINY = Shape("tiny", 600, 20, 4, 1, 10, 4, 2.0, 20, 1, 4)


@dataclass(frozen=True)
class Backend:
    """How the server stores: SQLite in its data folder, or a PostgreSQL URL with workers."""

    name: str
    database: str | None = None  # None: SQLite
    workers: int = 1


SQLITE = Backend("sqlite")


# -- the server ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn's workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the server and its workers so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _own_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class ServerFailed(RuntimeError):
    """recap-server did not come to serve."""


class Server:
    """``recap-server`` on a free loopback port, its key certified by the bench authority,
    the laptops' certificates (but the ``late`` ones) loaded before it serves."""

    def __init__(
        self,
        national: National,
        folder: Path,
        backend: Backend,
        preload: list[dict[str, Any]],
        flags: Sequence[str] = (),
    ) -> None:
        """``flags``: more of ``recap-server``'s options to serve with."""
        from recap_desktop.crypto import authority

        folder.mkdir(parents=True, exist_ok=True)
        self.data = folder / "server"
        self.backend = backend
        env = dict(os.environ, RECAP_SERVER_PASSPHRASE=PASSPHRASE, PYTHONUNBUFFERED="1")
        args = [sys.executable, "-m", "recap_server", "--data-dir", str(self.data)]
        if backend.database is not None:
            args += ["--database", backend.database]
        first = [
            "--election",
            str(national.package),
            "--trust-authority",
            national_data.authority_key().key_id[:16],
        ]
        started = time.perf_counter()
        request = folder / "server.request"
        # The first start imports the package and writes the key's request; the second serves
        # the folder it set up (the package is not read from the file again).
        subprocess.run(
            [*args, *first, "--request", str(request)], env=env, check=True, capture_output=True
        )
        asked = json.loads(request.read_text())["request"]["payload"]
        cert = authority.certificate(
            national_data.authority_key(),
            election=national_data.ELECTION_ID,
            officer_id=asked["officer_id"],
            name=asked["name"],
            role="server",
            jurisdiction="",
            public_key=bytes.fromhex(asked["public_key"]),
            valid_from=national_data.ISSUED,
            valid_until=national_data.EXPIRES,
            issued=national_data.ISSUED,
        )
        certificates = folder / "certificates.json"
        certificates.write_text(json.dumps({"records": [cert.to_json(), *preload]}))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        self._log_file = self.log.open("wb")
        serve = [*args, "--certificate", str(certificates), "--port", str(self.port), *flags]
        if backend.workers > 1:
            serve += ["--workers", str(backend.workers)]
        self.proc = subprocess.Popen(
            serve, stdout=self._log_file, stderr=subprocess.STDOUT, env=env
        )
        deadline = time.monotonic() + 900
        while not self._answers():
            # uvicorn restarts a worker that does not answer its health check in 5 s: one
            # that takes longer to load the election dies and starts again, for ever.
            died = self.log.read_bytes().count(b"died")
            if self.proc.poll() is not None or time.monotonic() > deadline or died >= 3:
                self.stop()
                why = f"{died} workers died while starting" if died else "it did not answer"
                raise ServerFailed(f"{why}: {self.log.read_text()[-600:]}")
            time.sleep(0.2)
        # One worker answering is not all of them: the others may still be loading the
        # election, and their start-up CPU would land in the first request measured.
        while self.log.read_bytes().count(b"Application startup complete") < backend.workers:
            died = self.log.read_bytes().count(b"died")
            if self.proc.poll() is not None or time.monotonic() > deadline or died >= 3:
                self.stop()
                why = f"{died} workers died while starting" if died else "not every worker started"
                raise ServerFailed(f"{why}: {self.log.read_text()[-600:]}")
            time.sleep(0.2)
        self.start_seconds = time.perf_counter() - started

    def _answers(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(f"{self.url}/v1/health", timeout=5) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()

    def held(self, hashes: list[str]) -> dict[str, list[int]]:
        """Hash -> every log index the server's database holds it at (one, if all is well)."""
        out: dict[str, list[int]] = {}
        sql = "SELECT hash, idx FROM records WHERE hash IN ({})"
        if self.backend.database is None:
            conn = sqlite3.connect(f"file:{self.data / 'server.db'}?mode=ro", uri=True)
            try:
                for at in range(0, len(hashes), 500):
                    chunk = hashes[at : at + 500]
                    for h, idx in conn.execute(sql.format(",".join("?" * len(chunk))), chunk):
                        out.setdefault(str(h), []).append(int(idx))
            finally:
                conn.close()
            return out
        import psycopg  # type: ignore[import-not-found, unused-ignore]

        with psycopg.connect(self.backend.database) as pg:
            for at in range(0, len(hashes), 500):
                chunk = hashes[at : at + 500]
                rows = pg.execute(sql.format(",".join(["%s"] * len(chunk))), chunk).fetchall()
                for h, idx in rows:
                    out.setdefault(str(h), []).append(int(idx))
        return out

    def record_count(self) -> int:
        if self.backend.database is None:
            conn = sqlite3.connect(f"file:{self.data / 'server.db'}?mode=ro", uri=True)
            try:
                return int(conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])
            finally:
                conn.close()
        import psycopg  # type: ignore[import-not-found, unused-ignore]

        with psycopg.connect(self.backend.database) as pg:
            row = pg.execute("SELECT COUNT(*) FROM records").fetchone()
            return int(row[0]) if row else 0

    def cpu(self) -> float:
        """CPU seconds of the server's processes and, on PostgreSQL, of the database's
        backends serving it (those connected now: the workers' pools keep theirs open)."""
        total = cpu_seconds(self.pid)
        if self.backend.database is None:
            return total
        import psycopg  # type: ignore[import-not-found, unused-ignore]

        with psycopg.connect(self.backend.database) as pg:
            rows = pg.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        return total + sum(_own_cpu(int(r[0])) for r in rows)


# -- the load generator -------------------------------------------------------------------------


@dataclass
class Tally:
    """What the generator saw: latencies (ms) per endpoint and phase, errors by status, and
    every receipt's word on each sheet."""

    latency: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    waited: Counter[str] = field(default_factory=Counter)  # 429/503 answers waited out
    receipted: dict[str, int] = field(default_factory=dict)  # hash -> index the receipt gave
    sent: set[str] = field(default_factory=set)
    stored: int = 0
    pulled: int = 0
    pulled_bytes: int = 0
    empty_pulls: list[float] = field(default_factory=list)

    def took(self, name: str, ms: float) -> None:
        self.latency.setdefault(name, []).append(ms)


class Generator:
    def __init__(self, url: str, national: National, bodies: bytes, tally: Tally) -> None:
        self.url = url
        self.national = national
        self.bodies = bodies
        self.tally = tally
        self.phase = "surge"
        self.gate: asyncio.Semaphore
        self.first_pulls: asyncio.Semaphore
        self.session: aiohttp.ClientSession
        self.cursor: dict[int, int] = {}
        self.head_size: dict[int, int] = {}
        self.forks_held: dict[int, Any] = {}  # laptop -> health's forks_held, as sent
        self.forks_seen: dict[int, Any] = {}  # laptop -> forks_held when evidence was asked
        self.steady_next: dict[int, int] = {}
        self.package_hash = ""  # the package record's hash (``_package_hash``), set by ``_run``

    def span(self, at: tuple[int, int]) -> bytes:
        return self.bodies[at[0] : at[0] + at[1]]

    async def open(self, connections: int, first_pulls: int) -> None:
        self.gate = asyncio.Semaphore(connections)
        self.first_pulls = asyncio.Semaphore(first_pulls)
        self.session = aiohttp.ClientSession(
            # The server keeps an idle connection 5 s (PROTOCOL §9.9); aiohttp's 15 s would
            # send a request now and then on one the server is closing that instant (runs G, H
            # and I: one or two ServerDisconnectedError or reset): a laptop lets go first.
            connector=aiohttp.TCPConnector(
                limit=connections,
                limit_per_host=connections,
                keepalive_timeout=EdgeLimits().keep_alive - 1,
            ),
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=600),
        )

    async def close(self) -> None:
        await self.session.close()

    async def call(
        self,
        name: str,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        data: bytes | None = None,
        extra: dict[str, str] | None = None,
        gzipped: bool = True,
    ) -> tuple[int, bytes | None]:
        status, text, _ = await self.sized(
            name, method, path, params=params, data=data, extra=extra, gzipped=gzipped
        )
        return status, text

    async def sized(
        self,
        name: str,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        data: bytes | None = None,
        extra: dict[str, str] | None = None,
        gzipped: bool = True,
    ) -> tuple[int, bytes | None, int]:
        """One request: (status, the decoded body or only its last 64 kB if it was bigger than
        BIG_PAGE, the decoded body's size). ``data`` is sent gzipped unless not ``gzipped``."""
        headers = {"Accept-Encoding": "gzip", **(extra or {})}
        if data is not None:
            headers |= {"Content-Type": "application/json"}
            if gzipped:
                headers |= {"Content-Encoding": "gzip"}
        while True:
            async with self.gate:
                start = time.perf_counter()
                try:
                    async with self.session.request(
                        method, self.url + path, params=params, data=data, headers=headers
                    ) as answer:
                        text, size = await _read(answer)
                        status = answer.status
                        told = answer.headers.get("Retry-After")
                except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                    self.tally.errors[f"{name}: {type(exc).__name__}"] += 1
                    return 0, None, 0
                ms = (time.perf_counter() - start) * 1000
            if status in (429, 503) and told is not None and told.isdigit():
                # Backpressure, not an error: the laptop waits as the client does (PROTOCOL
                # §9.9, RETRY_AFTER_SPREAD) and asks again; the time box cuts what is left.
                self.tally.waited[f"{name}: {status}"] += 1
                await asyncio.sleep(
                    min(MAX_RETRY_AFTER, int(told)) * random.uniform(1.0, RETRY_AFTER_SPREAD)
                )
                continue  # its latency is not the request's: only answers count there
            self.tally.took(f"{self.phase}:{name}", ms)
            if status != 200:
                self.tally.errors[f"{name}: {status}"] += 1
            return status, text, size

    async def push(self, laptop: Laptop, body: bytes, known: int) -> bool:
        # Each laptop's key vouches for its pushes, as a real laptop's does (PROTOCOL §9.9).
        token = _push_token(laptop.index)
        status, text = await self.call(
            "push", "POST", "/v1/push", params={"known": known}, data=body, extra=token
        )
        if status != 200 or text is None:
            return False
        receipt = json.loads(text)["receipt"]["payload"]
        for entry in receipt["stored"]:
            self.tally.receipted[entry["hash"]] = int(entry["index"])
            self.tally.stored += 1
        for entry in receipt["held"]:
            self.tally.receipted.setdefault(entry["hash"], int(entry["index"]))
        return True

    async def ask_held(self, laptop: Laptop, known: int, name: str = "held") -> tuple[int, bool]:
        """``POST /v1/push/held`` with the hashes of the laptop's unsent authority records,
        its election package and its certificate, as the client asks before it pushes them
        (``SyncEngine._ask_held``): (status, whether the receipt lists the certificate as
        held). The client would push the package (~100 MB) if it were not held: the
        generator counts that an error and does not."""
        asked = [self.package_hash, laptop.cert_hash]
        body = json.dumps({"hashes": asked}, separators=(",", ":")).encode("ascii")
        status, text = await self.call(
            name,
            "POST",
            "/v1/push/held",
            params={"known": known},
            data=body,
            extra=_push_token(laptop.index),
            gzipped=False,
        )
        if status != 200 or text is None:
            return status, False
        held = {e["hash"] for e in json.loads(text)["receipt"]["payload"]["held"]}
        if self.package_hash not in held:
            self.tally.errors[f"{name}: the server does not hold the package"] += 1
            return 0, False
        return status, laptop.cert_hash in held

    async def health(self, laptop: Laptop) -> bool:
        """Health with the size last seen (the proof from it comes in the answer); the proof
        asked apart only if it did not, as the client does."""
        old = self.head_size.get(laptop.index)
        params = {"known": old} if old else None
        status, text = await self.call("health", "GET", "/v1/health", params=params)
        if status != 200 or text is None:
            return False
        answer = json.loads(text)
        head = answer.get("head")
        size = int(head["payload"]["size"]) if head else 0
        carried = answer.get("consistency") or {}
        came = (carried.get("first"), carried.get("second")) == (old, size)
        if old is not None and 0 < old < size and not came:
            await self.call(
                "consistency", "GET", "/v1/log/consistency", params={"first": old, "second": size}
            )
        self.head_size[laptop.index] = size
        self.forks_held[laptop.index] = answer.get("forks_held")
        return True

    async def evidence(self, laptop: Laptop) -> bool:
        """The region's fork evidence, asked as the client asks it: when health counts some
        and the count changed since this laptop last asked (or health sent none)."""
        held = self.forks_held.get(laptop.index)
        if type(held) is int and (held == 0 or self.forks_seen.get(laptop.index) == held):
            return True
        status, text = await self.call(
            "evidence", "GET", "/v1/evidence", params={"jurisdiction": laptop.jurisdiction}
        )
        if status == 200 and text is not None:
            self.forks_seen[laptop.index] = json.loads(text).get("forks_held")
        return status == 200

    async def pull(self, laptop: Laptop) -> bool:
        """Every page from the laptop's cursor to the newest head."""
        while True:
            since = self.cursor.get(laptop.index, 0)
            start = time.perf_counter()
            params = {"jurisdiction": laptop.jurisdiction, "since": since, "limit": PAGE}
            if since == 0:
                async with self.first_pulls:
                    status, text, size = await self.sized(
                        "first_pull", "GET", "/v1/pull", params=params
                    )
            else:
                status, text, size = await self.sized("pull", "GET", "/v1/pull", params=params)
            if status != 200 or text is None:
                return False
            found = _TAIL.search(text)
            if found is None:
                self.tally.errors["pull: no cursor in the page"] += 1
                return False
            more, nxt = found.group(1) == b"true", int(found.group(2))
            self.tally.pulled_bytes += size
            if size <= BIG_PAGE:
                entries = json.loads(text)["entries"]
                self.tally.pulled += len(entries)
                if not entries and not more:
                    self.tally.empty_pulls.append((time.perf_counter() - start) * 1000)
                named = [e["authority"] for e in entries if "authority" in e]
                if named and not await self.authority_records(laptop, named):
                    return False
            self.cursor[laptop.index] = nxt
            if not more:
                return True

    async def authority_records(self, laptop: Laptop, named: list[str]) -> bool:
        """The certificates a page named by hash that the laptop lacks, fetched as the client
        does (PROTOCOL §9.5: ``POST /v1/authority/records``, 1,000 a request). A bench laptop
        holds its own certificate only; a page names only the certificates of its partitions
        (its district's and the server's, §10.2), once (its first pull from 0: no authority
        record is stored after the late laptops' first contacts)."""
        own = {
            r["hash"]
            for r in json.loads(zlib.decompress(self.span(laptop.cert_body), wbits=31))["records"]
        }
        lacking = [h for h in named if h not in own]
        for start in range(0, len(lacking), AUTHORITY_FETCH):
            body = json.dumps({"hashes": lacking[start : start + AUTHORITY_FETCH]}).encode()
            status, text, size = await self.sized(
                "authority_records", "POST", "/v1/authority/records", data=body, gzipped=False
            )
            if status != 200 or text is None:
                return False
            self.tally.pulled_bytes += size
        return True

    async def first_sync(self, laptop: Laptop) -> bool:
        """A fresh laptop's first sync, request by request as the client makes it (the package
        is not sent again: see ``first_contact``)."""
        if not await self.health(laptop):
            return False
        known = self.head_size.get(laptop.index, 0)
        status, cert_held = await self.ask_held(laptop, known)
        if status != 200:
            return False
        if not cert_held and not await self.push(laptop, self.span(laptop.cert_body), known):
            return False
        self.tally.sent.update(laptop.surge_hashes)
        if not await self.push(laptop, self.span(laptop.surge), known):
            return False
        if not await self.pull(laptop):
            return False
        return await self.evidence(laptop)

    async def steady_sync(self, laptop: Laptop) -> None:
        await self.health(laptop)
        n = self.steady_next.get(laptop.index, 0)
        if n < len(laptop.steady):
            self.steady_next[laptop.index] = n + 1
            self.tally.sent.add(laptop.steady_hashes[n])
            await self.push(
                laptop, self.span(laptop.steady[n]), self.head_size.get(laptop.index, 0)
            )
        await self.pull(laptop)
        await self.evidence(laptop)

    async def steady(self, laptop: Laptop, interval: float, until: float) -> None:
        await asyncio.sleep(random.Random(laptop.index).uniform(0, interval))
        while time.monotonic() < until:
            began = time.monotonic()
            await self.steady_sync(laptop)
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - began)))


async def _read(answer: aiohttp.ClientResponse) -> tuple[bytes, int]:
    """The body decoded; only its last 64 kB when it is bigger than BIG_PAGE (a page carrying
    the whole package: what matters of it here is its cursor, at the end)."""
    gz = answer.headers.get("Content-Encoding", "").lower() == "gzip"
    inflater = zlib.decompressobj(wbits=31) if gz else None
    parts: list[bytes] = []
    size = total = 0
    async for chunk in answer.content.iter_chunked(1 << 20):
        data = inflater.decompress(chunk) if inflater is not None else chunk
        parts.append(data)
        size += len(data)
        total += len(data)
        if size > BIG_PAGE:
            tail = b"".join(parts)[-65536:]
            parts, size = [tail], len(tail)
    if inflater is not None:
        parts.append(inflater.flush())
    return b"".join(parts), total


class Probe:
    """``/v1/health`` every 100 ms from a process of its own (``bench.health_probe``), and
    the server's RSS. Timed in this process, health took ~100 ms at the median in a surge
    while a probe of its own measured 2 ms (run P, docs/PERFORMANCE.md): the generator's
    event loop, 500 requests in flight, added its own lag; a laptop is a machine of its own."""

    def __init__(self, url: str, pid: int) -> None:
        self.url, self.pid = url, pid
        self.samples: list[tuple[float, float, int]] = []  # (start, ms, status)
        self.rss_peak = 0.0
        self._stop = asyncio.Event()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.health_probe", url],
            stdout=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            start, ms, status = line.split()
            self.samples.append((float(start), float(ms), int(status)))

    def between(self, start: float, end: float) -> tuple[list[float], int, float]:
        """The probes begun between these ``time.monotonic()`` readings (at least one: the
        first begun after ``start``, for a surge shorter than the probes' interval): their
        times in ms, how many were not answered 200, and when the slowest began (seconds
        after ``start``: a stall is found again by its time). It waits (at most 35 s, past the
        probe's timeout) for a probe begun after ``end``: the probe is sequential, so every
        one begun before then is in."""
        deadline = time.monotonic() + 35
        while time.monotonic() < deadline and not (self.samples and self.samples[-1][0] > end):
            if self._proc.poll() is not None:
                raise RuntimeError(f"the health probe stopped (exit {self._proc.returncode})")
            time.sleep(0.05)
        after = [s for s in self.samples if s[0] >= start]
        within = [s for s in after if s[0] <= end] or after[:1]
        slowest = max(within, key=lambda s: s[1])[0] - start if within else 0.0
        return (
            [ms for _, ms, _ in within],
            sum(1 for *_, status in within if status != 200),
            slowest,
        )

    async def run(self) -> None:
        while not self._stop.is_set():
            self.rss_peak = max(self.rss_peak, await asyncio.to_thread(rss_mb, self.pid))
            try:
                await asyncio.wait_for(self._stop.wait(), 0.5)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stop.set()
        self._proc.terminate()
        self._proc.wait(timeout=30)
        self._reader.join(timeout=30)


# -- one run ----------------------------------------------------------------------------------


@dataclass
class Figures:
    backend: Backend
    shape: Shape
    start_seconds: float
    first_contact: list[tuple[str, int, float]]  # what was sent, status, server CPU s
    costs: dict[str, float]  # request kind -> server CPU s of one, on the idle server
    surge_seconds: float
    surge_done: int
    surge_stored: int
    stored_loaded: int  # sheets stored in the surge and the steady phase
    surge_cpu: float
    steady_seconds: float
    steady_laptops: int
    steady_syncs_offered: float
    steady_cpu: float
    tally: Tally
    probe_health: list[float]
    probe_failed: int
    probe_slowest_at: float  # seconds into the surge
    rss_start: float
    rss_peak: float
    rss_end: float
    records_end: int
    lost: int
    duplicated: int
    misplaced: int
    unanswered: int
    steady_pulls: int = 0
    notes: list[str] = field(default_factory=list)


async def _request_costs(gen: Generator, server: Server, sample: list[Laptop]) -> dict[str, float]:
    """Server CPU seconds per request of each kind, on the idle server, at the national
    shape: what the surge's and the projection's arithmetic rests on. Each kind is timed
    over the whole sample (the kernel counts CPU in 10 ms ticks). The sample laptops make
    their first sync here; two pull the package's page, the others start from the cursor
    that page would end at."""
    costs: dict[str, float] = {}

    async def timed(kind: str, calls: list[Any]) -> None:
        before = server.cpu()
        for call in calls:
            await call
        costs[kind] = (server.cpu() - before) / max(1, len(calls))

    await timed("health", [gen.health(lap) for lap in sample])
    await timed("held", [gen.ask_held(lap, 0) for lap in sample])
    for lap in sample:
        gen.tally.sent.update(lap.surge_hashes)
    sheets = len(sample[0].surge_hashes)
    await timed(f"push_{sheets}_sheets", [gen.push(lap, gen.span(lap.surge), 0) for lap in sample])
    await timed("first_pull", [gen.pull(lap) for lap in sample[:2]])
    _steady_laptops(gen, sample[2:], [])
    await timed("empty_pull", [gen.pull(lap) for lap in sample])
    await timed(
        "evidence",
        [
            gen.call("evidence", "GET", "/v1/evidence", params={"jurisdiction": lap.jurisdiction})
            for lap in sample
        ],
    )
    # The rest of a steady sync: its one new sheet (taken from the steady phase's sheets, so
    # it is not pushed twice), and the consistency proof from the head the laptop saw last
    # to the newest, which those pushes grew.
    steady = [lap for lap in sample if lap.steady]
    for lap in steady:
        gen.tally.sent.add(lap.steady_hashes[0])
        gen.steady_next[lap.index] = 1
    await timed("push_1_sheet", [gen.push(lap, gen.span(lap.steady[0]), 0) for lap in steady])
    newest = max(int(i) for i in gen.tally.receipted.values()) + 1
    await timed(
        "consistency",
        [
            gen.call(
                "consistency",
                "GET",
                "/v1/log/consistency",
                params={"first": max(1, gen.head_size.get(lap.index, 1)), "second": newest},
            )
            for lap in sample
        ],
    )
    # And health carrying that proof, as a steady sync asks it.
    await timed("health_proof", [gen.health(lap) for lap in sample])
    return costs


async def _first_contact(
    gen: Generator, server: Server, late: list[Laptop]
) -> list[tuple[str, int, float]]:
    """Laptops the server has no certificate of yet, one at a time on an idle server, as
    today's client makes first contact (PROTOCOL §9.9; ``SyncEngine._ask_held``): after
    ``/v1/health`` it asks ``POST /v1/push/held`` with the hashes of its unsent authority
    records (its election package and its certificate), and pushes only those the answer's
    receipt does not list as held (its certificate: the authority loaded the package). Each
    row is the server CPU of one step; ``first contact`` is their sum, the laptop's whole."""
    out = []
    for laptop in late:
        start = before = server.cpu()
        await gen.health(laptop)
        status, cert_held = await gen.ask_held(laptop, 0, "first_contact_held")
        out.append(
            ("held: health, package + certificate asked by hash", status, server.cpu() - before)
        )
        before = server.cpu()
        pushed = 200
        if status == 200 and not cert_held:
            pushed = 200 if await gen.push(laptop, gen.span(laptop.cert_body), 0) else 0
            out.append(("certificate pushed alone", pushed, server.cpu() - before))
        whole = status if status != 200 else pushed
        out.append(("first contact, health to receipt", whole, server.cpu() - start))
    return out


def audit(
    sent: list[str], receipted: dict[str, int], held: dict[str, list[int]]
) -> tuple[int, int, int, int]:
    """(lost, duplicated, misplaced, unanswered) of the sheets ``sent``: a receipted one the
    server does not hold is lost; one held at two places is duplicated; one held elsewhere
    than its receipt said is misplaced; one sent without a receipt is unanswered (a request
    cut by the time box or an error: the laptop would send it again)."""
    lost = sum(1 for h in sent if h in receipted and h not in held)
    duplicated = sum(1 for h in sent if len(held.get(h, [])) > 1)
    misplaced = sum(
        1 for h in sent if h in receipted and held.get(h, [receipted[h]])[0] != receipted[h]
    )
    unanswered = sum(1 for h in sent if h not in receipted)
    return lost, duplicated, misplaced, unanswered


def _steady_laptops(gen: Generator, laptops: list[Laptop], finished: list[Laptop]) -> list[Laptop]:
    """The laptops that sync every ``interval`` from now on: those whose first sync finished,
    and those whose sheets were all stored but whose first pull (the package's page) did not
    finish in the box, given the cursor that pull would have ended at: one past the last
    entry of their partitions, which (one laptop per district, no authority record stored
    since the late certificates) is their own last sheet's index. Without them the steady
    load would be a few laptops' instead of the nation's."""
    done = {lap.index for lap in finished}
    out = list(finished)
    for lap in laptops:
        if lap.index in done:
            continue
        indexes = [gen.tally.receipted.get(h) for h in lap.surge_hashes]
        if all(i is not None for i in indexes):
            gen.cursor[lap.index] = max(i for i in indexes if i is not None) + 1
            out.append(lap)
    return out


_PACKAGE_HASHES: dict[Path, str] = {}
# The rows of a first contact (``_first_contact``'s steps), by how each step's label begins.
_CONTACT_ROWS = (("held", "held"), ("certificate", "certificate"), ("first contact", "whole"))


def _package_hash(path: Path) -> str:
    """The hash of the package file's record (read once for every backend's run)."""
    if path not in _PACKAGE_HASHES:
        _PACKAGE_HASHES[path] = str(json.loads(path.read_bytes())["records"][0]["hash"])
    return _PACKAGE_HASHES[path]


async def _run(
    national: National, server: Server, shape: Shape, log: Callable[[str], None]
) -> Figures:
    tally = Tally()
    gen = Generator(server.url, national, national.bodies(), tally)
    gen.package_hash = await asyncio.to_thread(_package_hash, national.package)
    await gen.open(shape.connections, shape.first_pulls)
    rss_start = rss_mb(server.pid)
    probe = Probe(server.url, server.pid)  # stopped in the finally below, as its task is
    probe_task = asyncio.create_task(probe.run())
    try:
        late = national.laptops[: shape.late]
        log(f"  first contact of {len(late)} laptop(s) not known to the server")
        gen.phase = "first_contact"
        contact = await _first_contact(gen, server, late)
        for what, status, cpu in contact:
            log(f"    {what}: HTTP {status}, {cpu:.2f} s of server CPU")
        sample = national.laptops[shape.late : shape.late + 20]
        log(f"  server CPU per request, {len(sample)} laptops' first syncs one at a time")
        gen.phase = "idle"
        costs = await _request_costs(gen, server, sample)
        log("    " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in costs.items()))
        log(
            f"  surge: {len(national.laptops):,} laptops' first syncs,"
            f" {shape.connections} requests in flight"
        )
        gen.phase = "surge"
        surge_began = time.monotonic()
        cpu0, t0 = server.cpu(), time.perf_counter()
        stored_before = tally.stored
        tasks = [asyncio.create_task(gen.first_sync(lap)) for lap in national.laptops]
        done, pending = await asyncio.wait(tasks, timeout=shape.surge_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        finished = [
            lap
            for lap, task in zip(national.laptops, tasks, strict=True)
            if task in done and task.exception() is None and task.result()
        ]
        crashed = [t.exception() for t in done if t.exception() is not None]
        if crashed:
            raise RuntimeError(f"the generator failed: {crashed[0]!r}") from crashed[0]
        surge_seconds = time.perf_counter() - t0
        surge_cpu = server.cpu() - cpu0
        surge_health, surge_unanswered, slowest_at = await asyncio.to_thread(
            probe.between, surge_began, time.monotonic()
        )
        surge_stored = tally.stored - stored_before
        log(
            f"    {len(finished):,} finished in {surge_seconds:.0f} s,"
            f" {tally.stored:,} sheets stored"
        )
        syncing = _steady_laptops(gen, national.laptops, finished)
        gen.phase = "steady"
        log(
            f"  steady: {len(syncing):,} laptops ({len(syncing) - len(finished):,} given the"
            f" cursor their first pull would end at) syncing every {shape.interval:.0f} s"
            f" for {shape.steady_seconds:.0f} s"
        )
        cpu0, t0 = server.cpu(), time.perf_counter()
        until = time.monotonic() + shape.steady_seconds
        steady = [asyncio.create_task(gen.steady(lap, shape.interval, until)) for lap in syncing]
        if steady:
            await asyncio.wait(steady, timeout=shape.steady_seconds + 120)
        for later in steady:
            later.cancel()
        await asyncio.gather(*steady, return_exceptions=True)
        steady_wall = time.perf_counter() - t0
        steady_cpu = server.cpu() - cpu0
        log(
            f"    {tally.stored - stored_before - surge_stored:,} sheets stored,"
            f" {len(tally.latency.get('steady:pull', [])):,} pulls in {steady_wall:.0f} s"
        )
    finally:
        probe.stop()
        await probe_task
        await gen.close()
    rss_end = rss_mb(server.pid)
    log("  checking every receipted sheet on the server, by hash")
    hashes = sorted(tally.sent)
    lost, duplicated, misplaced, unanswered = audit(hashes, tally.receipted, server.held(hashes))
    return Figures(
        backend=server.backend,
        shape=shape,
        start_seconds=server.start_seconds,
        first_contact=contact,
        costs=costs,
        surge_seconds=surge_seconds,
        surge_done=len(finished),
        surge_stored=surge_stored,
        stored_loaded=tally.stored - stored_before,
        surge_cpu=surge_cpu,
        steady_seconds=shape.steady_seconds,
        steady_laptops=len(syncing),
        steady_syncs_offered=len(syncing) / shape.interval,
        steady_cpu=steady_cpu,
        tally=tally,
        probe_health=surge_health,
        probe_failed=surge_unanswered,
        probe_slowest_at=slowest_at,
        rss_start=rss_start,
        rss_peak=probe.rss_peak,
        rss_end=rss_end,
        records_end=server.record_count(),
        lost=lost,
        duplicated=duplicated,
        misplaced=misplaced,
        unanswered=unanswered,
    )


def run_backend(
    national: National, backend: Backend, shape: Shape, scratch: Path, log: Callable[[str], None]
) -> Figures:
    preload = json.loads(national.certificates.read_text())["records"][shape.late :]
    log(
        f"{backend.name}: starting recap-server ({national.stations:,} stations,"
        f" {len(preload):,} certificates loaded first)"
    )
    server = Server(national, scratch / f"national-{backend.name}", backend, preload)
    log(f"  serving after {server.start_seconds:.0f} s")
    try:
        return asyncio.run(_run(national, server, shape, log))
    finally:
        server.stop()


# -- the rows ---------------------------------------------------------------------------------


def results(figures: Figures, sodium: float, cores_used: int) -> list[Result]:
    """The rows of one backend's run: targets first, then what explains them."""
    b = figures.backend.name
    t = figures.tally
    shape = figures.shape
    out: list[Result] = []
    surge_rate = figures.surge_stored / figures.surge_seconds if figures.surge_seconds else 0.0
    out.append(
        Result.against(
            f"national.{b}.push",
            surge_rate,
            "sheets/s",
            "higher",
            sodium * cores_used,
            0.5,
            note=f"{figures.surge_stored:,} sheets stored in the surge's"
            f" {figures.surge_seconds:.0f} s"
            f" (pulls and all); baseline: libsodium verify x {cores_used} core(s)",
        )
    )
    steady_pulls = len(t.latency.get("steady:pull", []))
    out.append(
        Result.against(
            f"national.{b}.pulls",
            steady_pulls / figures.steady_seconds,
            "pulls/s",
            "higher",
            figures.steady_syncs_offered,
            0.9,
            note=f"steady: {figures.steady_laptops:,} laptops syncing every {shape.interval:.0f} s"
            f" ask the baseline; {steady_pulls:,} pulls answered in {figures.steady_seconds:.0f} s",
        )
    )
    empties = t.empty_pulls
    if empties:
        out.append(
            Result.absolute(
                f"national.{b}.empty_pull_p50",
                percentile(empties, 50),
                "ms",
                "lower",
                5.0,
                note=f"{len(empties):,} steady pulls with nothing new, p99"
                f" {percentile(empties, 99):.1f} ms, at {figures.records_end:,} records",
            )
        )
    else:
        out.append(
            Result.not_measured(
                f"national.{b}.empty_pull_p50", "ms", "lower", 5.0, "no laptop got as far"
            )
        )
    for what, status, cpu in figures.first_contact:
        kind = next(k for p, k in _CONTACT_ROWS if what.startswith(p))
        out.append(
            Result.absolute(
                f"national.{b}.first_contact_cpu.{kind}",
                cpu,
                "s",
                "lower",
                1.0,
                note=f"{what}, as the client sends it on first contact: HTTP {status}"
                + ("" if status == 200 else " (the laptop cannot start)"),
            )
        )
        if status != 200:
            out[-1].meets = False
    for kind, cpu in figures.costs.items():
        out.append(
            Result.plain(
                f"national.{b}.cpu_{kind}",
                cpu * 1000,
                "ms",
                "lower",
                note="server CPU per request on the idle server, over 20 laptops' (first pull: 2)",
            )
        )
    health = figures.probe_health
    laptops = figures.tally.latency.get("surge:health", []) or [0.0]
    if health:
        out.append(
            Result.absolute(
                f"national.{b}.health_max",
                max(health),
                "ms",
                "lower",
                100.0,
                note=f"{len(health):,} probes of /v1/health during the surge, every 100 ms from a"
                f" process of its own, p50 {percentile(health, 50):.1f} ms, p99"
                f" {percentile(health, 99):.0f} ms, {sum(ms > 100 for ms in health)} over 100 ms,"
                f" the slowest {figures.probe_slowest_at:.1f} s into the surge,"
                f" {figures.probe_failed} not answered 200;"
                f" the laptops' own, timed by the generator (its loop's lag included): p50"
                f" {percentile(laptops, 50):.0f} ms, p99 {percentile(laptops, 99):.0f} ms",
            )
        )
    out.append(
        Result.absolute(
            f"national.{b}.surge_finished",
            figures.surge_done,
            "laptops",
            "higher",
            shape.laptops,
            note="first syncs done (pushed, pulled, evidence) in the"
            f" {shape.surge_seconds:.0f} s box",
        )
    )
    errors = sum(t.errors.values())
    out.append(
        Result.absolute(
            f"national.{b}.errors",
            errors,
            "requests",
            "lower",
            0,
            note=", ".join(f"{k} x{v}" for k, v in t.errors.most_common()) or "none",
        )
    )
    out.append(
        Result.plain(
            f"national.{b}.told_to_wait",
            sum(t.waited.values()),
            "answers",
            "lower",
            note=(", ".join(f"{k} x{v}" for k, v in t.waited.most_common()) or "none")
            + " (429/503 with Retry-After, waited out and asked again as the client does)",
        )
    )
    bad = figures.lost + figures.duplicated + figures.misplaced
    out.append(
        Result.absolute(
            f"national.{b}.lost_or_duplicated",
            bad,
            "records",
            "lower",
            0,
            note=f"{len(t.sent) - figures.unanswered:,} receipted sheets looked up by hash:"
            f" {figures.lost} lost,"
            f" {figures.duplicated} duplicated, {figures.misplaced} at another index;"
            f" {figures.unanswered:,} sent without an answer; {figures.records_end:,} records held",
        )
    )
    for name in sorted(t.latency):
        samples = t.latency[name]
        out.append(
            Result.plain(
                f"national.{b}.{name}_p50",
                percentile(samples, 50),
                "ms",
                "lower",
                note=f"p99 {percentile(samples, 99):,.0f} ms, {len(samples):,} requests",
            )
        )
    stored = max(figures.stored_loaded, 1)
    out.append(
        Result.plain(
            f"national.{b}.cpu_per_record",
            1e6 * (figures.surge_cpu + figures.steady_cpu) / stored,
            "µs/record",
            "lower",
            note=f"server CPU (every process) in surge and steady per sheet stored"
            f" ({figures.surge_cpu:.0f} + {figures.steady_cpu:.0f} s); it also sent"
            f" {t.pulled_bytes / 1e6:,.0f} MB of pull pages",
        )
    )
    out.append(
        Result.plain(
            f"national.{b}.rss_per_record",
            1e6 * (figures.rss_end - figures.rss_start) / stored,
            "B/record",
            "lower",
            note=f"RSS {figures.rss_start:.0f} MB serving, peak {figures.rss_peak:.0f} MB,"
            f" {figures.rss_end:.0f} MB at the end; it took {figures.start_seconds:.0f} s to serve",
        )
    )
    return out


def fresh_database(url: str, name: str) -> str:
    """A new, empty PostgreSQL database beside ``url``'s (dropped first if a run before left
    it): every PostgreSQL run starts from nothing, like the SQLite one."""
    import psycopg  # type: ignore[import-not-found, unused-ignore]

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def drop_database(url: str, name: str) -> None:
    import psycopg  # type: ignore[import-not-found, unused-ignore]

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(
    shape: Shape,
    postgres: str | None,
    scratch: Path,
    log: Callable[[str], None],
    only: Sequence[str] | None = None,
) -> tuple[dict[str, Any], list[Result]]:
    """The national run on SQLite and, with ``postgres``, PostgreSQL with 2 and 4 workers;
    ``only``: these of them (by name: sqlite, pg2, pg4), e.g. to run pairs of one backend."""
    from bench import baselines
    from bench.report import spread

    national = national_data.cached(
        shape.stations, shape.laptops, shape.surge_sheets, shape.steady_sheets, log=log
    )
    sodium = spread(baselines.libsodium_verify_per_second(3000 if shape.name == "full" else 500))
    out = [
        Result.plain(
            "baseline.raw_verify_libsodium",
            sodium["median"],
            "verify/s",
            "higher",
            note="one core; what verify_signature uses",
        )
    ]
    if national.build_seconds is not None:
        out.append(Result.plain("national.build", national.build_seconds, "s", "lower"))
    out += storage_baselines(postgres, scratch, log, 20_000 if shape.name == "full" else 5_000)
    machine: dict[str, Any] = {
        "national": {
            "stations": national.stations,
            "laptops": len(national.laptops),
            "sheets_sampled": len(national.laptops) * (shape.surge_sheets + shape.steady_sheets),
            "sheets_whole_count": national.stations * len(national_data.CONTESTS),
            "package_mb": round(national.package_bytes / 1e6, 1),
        }
    }
    backends = [SQLITE]
    if postgres is not None:
        backends += [Backend(f"pg{n}", postgres, n) for n in (2, 4)]
    if only is not None:
        backends = [b for b in backends if b.name in only]
    for backend in backends:
        name = f"recap_national_{backend.name}"
        if backend.database is not None:
            backend = Backend(backend.name, fresh_database(postgres or "", name), backend.workers)
        try:
            figures = run_backend(national, backend, shape, scratch, log)
        except ServerFailed as exc:
            log(f"  {backend.name}: recap-server did not serve: {str(exc)[:200]}")
            out.append(
                Result.not_measured(
                    f"national.{backend.name}.push",
                    "sheets/s",
                    "higher",
                    0.5,
                    f"recap-server --workers {backend.workers} did not serve:"
                    f" {str(exc).splitlines()[0]}",
                )
            )
            continue
        finally:
            if backend.database is not None:
                drop_database(postgres or "", name)
        cores = min(backend.workers, os.cpu_count() or 1)
        out += results(figures, sodium["median"], cores)
        log("\n" + table(out))  # each backend's rows as soon as they are known
    return machine, out


def storage_baselines(
    postgres: str | None, scratch: Path, log: Callable[[str], None], count: int
) -> list[Result]:
    """What the databases store without the server's work (``baselines.server_insert``): a
    push's rate read beside it says how much of the push is storage and how much the rest."""
    from bench import baselines
    from bench.report import spread

    log(f"baseline.server_insert: {count:,} server-shaped rows in batches of 500")
    rows = [("sqlite", baselines.server_insert_per_second(scratch / "insert.db", count))]
    if postgres is not None:
        name = "recap_national_insert"
        try:
            url = fresh_database(postgres, name)
            rows.append(("pg", baselines.server_insert_per_second(url, count)))
        finally:
            drop_database(postgres, name)
    return [
        Result.plain(
            f"baseline.server_insert_{backend}",
            spread(rates)["median"],
            "rows/s",
            "higher",
            note="a records row and a sheets row a sheet, 500 a transaction, one process",
        )
        for backend, rates in rows
    ]


@functools.cache
def _push_token(index: int) -> dict[str, str]:
    """The push token header of laptop ``index`` (its key signs it once)."""
    from recap_desktop.protocol.pushauth import HEADER, make_token

    now = datetime.now(UTC).replace(microsecond=0)
    return {HEADER: make_token(national_data.laptop_key(index), now)}
