"""The HTTP API (FastAPI). Its OpenAPI document, at /openapi.json, is the client's contract."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gzip
import json
import logging
import re
import threading
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar, cast

import msgspec
from anyio import CapacityLimiter, to_thread
from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from recap_desktop.crypto.canonical import CanonicalError, parse_json
from recap_desktop.crypto.envelope import Record
from recap_desktop.domain.election import Election, format_time, in_region, is_region_code
from recap_desktop.protocol.log import needed_ranges
from recap_desktop.protocol.trust import Certificate, Trust
from recap_desktop.protocol.wire import (
    BATCH_FORMAT,
    MAX_BATCH_RECORDS,
    PACKAGE_FORMAT,
    WireError,
    parse_batch,
)
from recap_server.gate import (
    GateLimits,
    PushGate,
    Refusal,
    hashes_body_bytes,
    push_places,
    read_body,
)
from recap_server.ledger import Ledger, Pushed
from recap_server.photos import ServerPhotos
from recap_server.photos import router as photo_router
from recap_server.storage import MAX_AUTHORITY_FETCH, DamagedStore, RawHeld, _protocol_time

MAX_BODY = 16 * 1024 * 1024  # bytes on the wire
MAX_INFLATED = 64 * 1024 * 1024  # bytes after gunzip: a zip bomb stops here
# A push without a token carries at most 64 KiB on the wire (GateLimits.anonymous_bytes):
# a certificate or two. Unpacked to 64 MiB, those bytes were 22 million JSON values to parse
# (12 s and 1.7 GB a push, from anyone): its JSON is held to four times the wire's limit.
ANONYMOUS_INFLATED = 256 * 1024
MAX_BATCH = MAX_BATCH_RECORDS  # records per push
MAX_PAGE = 2000  # records per pull page
GZIP_LEVEL = 5
GZIP_MIN = 2048  # bytes: a smaller answer is sent as it is
MAX_HELD_BODY = hashes_body_bytes(MAX_BATCH)  # {"hashes": [...]}
_HEX = "^[0-9a-f]{64}$"  # a record hash, in the OpenAPI schemas and in _hash_list
_HASH = re.compile(r"[0-9a-f]{64}")  # matched whole (fullmatch): "$" takes a final newline
MAX_AUTHORITY_BODY = hashes_body_bytes(MAX_AUTHORITY_FETCH)  # {"hashes": [...]}
T = TypeVar("T")
MAX_CURSOR = 2**63 - 1  # SQLite's largest integer: a pull cursor beyond it is not a cursor
_log = logging.getLogger(__name__)


class Envelope(BaseModel):
    """A signed record: docs/PROTOCOL.md "Records"."""

    payload: dict[str, Any]
    signer: str
    sig: str
    hash: str


class Consistency(BaseModel):
    first: int
    second: int
    proof: list[str]


class Health(BaseModel):
    status: str = Field(description="always ok when the server answers")
    server_key: str = Field(description="the server's Ed25519 public key, hex; signs receipts")
    server_key_id: str
    authority_key_id: str
    election: str | None
    version: int | None
    demo: bool
    time: str = Field(description="the server's clock (UTC): laptops compare theirs with it")
    head: Envelope | None = Field(description="the newest signed tree head (PROTOCOL §10.2)")
    certificates: list[Envelope] = Field(
        description="the authority's certificates of the server key (role server)"
    )
    forks_held: int = Field(
        description="fork evidence pairs the server holds, of every region: a laptop asks"
        " /v1/evidence only when this changed since it last did (PROTOCOL §9.5)"
    )
    consistency: Consistency | None = Field(
        None,
        description="asked with known=M, 0 < M < the head's size: the consistency proof from"
        " M to the head, as /v1/log/consistency gives it (one request fewer a sync)",
    )


class Batch(BaseModel):
    """A push body and a USB bundle file: the same format (gzip allowed on the wire)."""

    format: str = Field(BATCH_FORMAT, description=f"always {BATCH_FORMAT}")
    records: list[Envelope]
    forks: list[list[Envelope]] = Field(
        default_factory=list, description="fork evidence the sender holds (pairs of records)"
    )


class Result(BaseModel):
    hash: str
    status: str = Field(description="stored, held (already had it) or refused")
    reason: str | None = Field(None, description="for refused: a stable problem name")
    detail: str | None = None


class AppendProof(BaseModel):
    size: int = Field(description="entries in the log before the records stored now")
    frontier: list[str] = Field(description="that tree's perfect subtrees, largest first")


class PushProofs(BaseModel):
    append: AppendProof
    held: dict[str, list[str]] = Field(description="each held record's inclusion proof")
    consistency: list[str] | None = Field(
        description="from the size given as known to the head's size"
    )


class PushAnswer(BaseModel):
    results: list[Result] = Field(description="one per record sent, in the order sent")
    receipt: Envelope = Field(description="type receipt, signed by the server key")
    head: Envelope = Field(description="the tree head the receipt names")
    proofs: PushProofs


class Entry(BaseModel):
    """A record in the server's log: where it is, and when the server first held it."""

    index: int = Field(description="its index in the server's log, from 0")
    received: str = Field(description="when the server first held it (UTC)")
    record: Envelope


class PackageEntry(BaseModel):
    """An election package in a pull page: named by hash, its body fetched apart, once, from
    /v1/election/packages/{hash} (PROTOCOL §9.5)."""

    index: int = Field(description="its index in the server's log, from 0")
    received: str = Field(description="when the server first held it (UTC)")
    package: str = Field(description="the package record's hash")


class AuthorityEntry(BaseModel):
    """A certificate or revocation list in a pull page: named by hash, its body fetched apart,
    only by a laptop that lacks it, from POST /v1/authority/records (PROTOCOL §9.5)."""

    index: int = Field(description="its index in the server's log, from 0")
    received: str = Field(description="when the server first held it (UTC)")
    authority: str = Field(description="the certificate's or revocation list's record hash")


class PartitionProof(BaseModel):
    partition: str
    position: int = Field(description="its place in the partitions tree")
    size: int
    root: str
    proof: list[str]


class Page(BaseModel):
    entries: list[Entry | PackageEntry | AuthorityEntry] = Field(description="in log order")
    next: int = Field(description="the cursor to send as since for the next page")
    more: bool
    head: Envelope | None = Field(description="the tree head the page is bounded by")
    partitions: list[list[PartitionProof]] | None = Field(
        None, description="on the last page: the partitions of each range (PROTOCOL §10.5)"
    )


class LogEntries(BaseModel):
    entries: list[dict[str, Any]] = Field(description="index, received, partition, record")
    head: Envelope | None


class Evidence(BaseModel):
    forks: list[list[Envelope]] = Field(
        description="pairs of records one signer signed at one place of its chain"
    )
    forks_held: int = Field(
        description="fork evidence pairs the server held, of every region, when it read"
        " these: what a laptop compares health's forks_held with (PROTOCOL §9.5)"
    )


class Package(BaseModel):
    format: str
    authority_key: str
    records: list[Envelope]


class Versions(BaseModel):
    election: str | None
    current: int | None
    versions: list[dict[str, Any]]


class RecordList(BaseModel):
    records: list[Envelope]


class ContestTotals(BaseModel):
    contest: str
    totals: dict[str, int]
    stations_counted: int
    stations_expected: int
    states: dict[str, int] = Field(description="sheets per state: signed, disputed, ...")


class RegionTotals(BaseModel):
    region: str
    contests: list[ContestTotals]


def _batch_schema() -> dict[str, Any]:
    """The batch schema with its references pointing into the OpenAPI components (Envelope is
    there already, as part of the answers)."""
    schema = Batch.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


def _hashes_body(description: str, most: int) -> dict[str, Any]:
    """The OpenAPI request body ``{"hashes": [...]}`` that ``_hash_list`` reads."""
    hashes = {"type": "array", "maxItems": most, "items": {"type": "string", "pattern": _HEX}}
    schema = {
        "type": "object",
        "required": ["hashes"],
        "additionalProperties": False,
        "properties": {"hashes": hashes},
    }
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


# Threads the endpoints that are not pushes (pulls, log reads, fetches) share in one process.
# Python runs one thread at a time: past a few, anyio's 40 only add turns for the GIL, which
# the event loop waits for too; a request past these waits on the event loop at no cost. 8
# still overlap the database's round trips on PostgreSQL; 2 made a national surge a third
# slower for the same health latency (docs/PERFORMANCE.md, run E). 8 against 40 alone was
# not measured apart.
READ_THREADS = 8


@contextlib.asynccontextmanager
async def _fewer_read_threads(_app: FastAPI) -> AsyncIterator[None]:
    to_thread.current_default_thread_limiter().total_tokens = READ_THREADS
    yield


class Coalesced(Generic[T]):
    """One build at a time of an answer many ask for, each caller answered by a build begun
    after it asked, shared by all who asked while the previous build ran, and all of them
    woken at once when it is done.

    /v1/health took turns under an ``asyncio.Lock`` before: each waiter, woken in turn, had
    to run (a pass of the event loop each) only to see that a build had begun after it asked
    and let the next one in, so a crowd of n waited n passes. (Measured in a national surge,
    it was not what made health's slowest answers: the cycle collector was,
    ``server.settled_heap``; docs/PERFORMANCE.md, runs R to W.)"""

    def __init__(self, build: Callable[[], Awaitable[T]]) -> None:
        self._build = build
        self._running: asyncio.Future[T] | None = None  # the build under way (kept: a task
        # only the loop refers to may be collected before it is done)
        self._next: asyncio.Future[T] | None = None  # what those asking now will get

    async def get(self) -> T:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            # Nobody may be left to take a failure (each gone): it is taken here, not logged.
            self._next.add_done_callback(lambda f: f.cancelled() or f.exception())
        waiting = self._next
        if self._running is None:
            self._launch()
        try:
            # Shielded: a caller that goes away (its client left) does not cancel the build
            # the others wait for.
            return await asyncio.shield(waiting)
        except Exception as exc:  # one error each: the build's is shared by every caller
            raise BuildFailed(f"the build failed: {exc!r}") from exc

    def _launch(self) -> None:
        waiting, self._next = self._next, None
        assert waiting is not None

        def done(task: asyncio.Future[T]) -> None:
            self._running = None
            if task.cancelled():  # the loop is stopping: no caller is left with it
                waiting.set_exception(BuildFailed("the build was cancelled"))
            elif (error := task.exception()) is not None:
                waiting.set_exception(error)
            else:
                waiting.set_result(task.result())
            if self._next is not None:
                self._launch()  # for those who asked while this one ran

        self._running = asyncio.ensure_future(self._build())
        self._running.add_done_callback(done)


class BuildFailed(RuntimeError):
    """A ``Coalesced`` build failed (its cause chained)."""


# A request's answer on the fast path: (status, body, headers), or None to leave it to
# FastAPI (decided from the query alone, before a byte of the body is read).
Reply = tuple[int, bytes, list[tuple[bytes, bytes]]]
FastRoute = Callable[[Scope, Receive], Awaitable[Reply | None]]


class RecapAPI(FastAPI):
    """FastAPI, with the requests every sync makes (health and pull; push and its ask by
    hash) answered before its layers when their query is plain.

    Starlette's middleware and routing and FastAPI's parameters cost more server CPU than
    a steady GET's own work (docs/PERFORMANCE.md, "The steady GETs past FastAPI"), and a
    nation's laptops ask them every 30 s; a push's pass through them is event-loop time
    that /v1/health waits behind in a surge. What the fast path answers is what FastAPI's
    route, its HTTPException handler and the GZip middleware would (tests/
    test_server_fast_routes.py compares the two, status, headers in order and body as sent):
    it takes only a query of the route's own parameters, each once, digits and region codes
    as they are; anything else (an escape, a parameter it does not know, another method)
    goes to FastAPI, whose answer, 422 included, stays the one the OpenAPI document
    describes. A push's refusals and errors (400, 401, 408, 413, 429, 503) are the route's
    HTTPExceptions, answered as FastAPI's handler answers them.

    What the fast path does not cross: the app's middleware (GZip alone, which it does
    itself; a test fails if another is added), exception handlers (FastAPI's own, and
    ``DamagedStore``'s 500 that names the damage, which ``__call__`` answers the same way; any
    other unexpected error, a database's, is a 500 "Internal Server Error" all the same, but
    uvicorn's: its headers in another order, with ``connection: close``), and FastAPI's
    OpenTelemetry, which the server does not configure: an operator who does sees these
    requests outside its spans."""

    def __init__(self, **options: Any) -> None:  # FastAPI's own keyword arguments
        super().__init__(**options)
        self.fast_routes: dict[tuple[str, str], FastRoute] = {}  # (method, path)
        self.fast_answered = 0  # requests the fast path answered (tests, the bench)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            answer = self.fast_routes.get((scope["method"], scope["path"]))
            try:
                reply = await answer(scope, receive) if answer is not None else None
            except DamagedStore as exc:  # as the app's handler answers it (``damaged``)
                _log.error("%s %s: %s", scope["method"], scope["path"], exc)
                reply = _encoded(500, _json_bytes({"detail": str(exc)}), _takes_gzip(scope))
            if reply is not None:
                status, body, headers = reply
                self.fast_answered += 1
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await super().__call__(scope, receive, send)


def _plain_query(scope: Scope, names: frozenset[bytes]) -> dict[bytes, bytes] | None:
    """The query's parameters when each is one of ``names``, given once, with nothing
    escaped in it (no ``%`` or ``+``); None otherwise, and FastAPI reads it."""
    out: dict[bytes, bytes] = {}
    raw: bytes = scope["query_string"]
    if not raw:
        return out
    for part in raw.split(b"&"):
        name, equals, value = part.partition(b"=")
        if not equals or name not in names or name in out or b"%" in part or b"+" in part:
            return None
        out[name] = value
    return out


def _count(value: bytes | None, default: int, least: int, most: int) -> int | None:
    """A query integer in ASCII digits within [least, most], or None: FastAPI then reads
    it (pydantic also takes forms this does not, such as "1_0" or " 1", and answers 422
    for what is not an integer within ``Query(ge=, le=)``)."""
    if value is None:
        return default
    if not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if least <= number <= most else None


def _takes_gzip(scope: Scope) -> bool:
    """The GZip middleware's test: "gzip" in the first Accept-Encoding header."""
    for name, value in scope["headers"]:
        if name.lower() == b"accept-encoding":
            return b"gzip" in value
    return False


Headers = list[tuple[bytes, bytes]]
_VARY = (b"vary", b"Accept-Encoding")
_GZIPPED = (b"content-encoding", b"gzip")


def _json_headers(
    body: bytes,
    given: Sequence[tuple[bytes, bytes]] = (),
    added: Sequence[tuple[bytes, bytes]] = (),
) -> Headers:
    """A JSON answer's headers in the order they reach the wire through the route: those
    the route gives (``Response(headers=)``), then the two Starlette's ``Response`` writes,
    then those the GZip middleware adds."""
    length = (b"content-length", str(len(body)).encode())
    return [*given, length, (b"content-type", b"application/json"), *added]


def _health_headers(body: bytes, gzipped: bool) -> tuple[Headers, Headers]:
    """Health's headers: those its route gives, and those the GZip middleware adds. It is
    gzipped by the route (the middleware passes an encoded answer as it is, so the route
    writes Vary); the middleware adds Vary to an answer it could have gzipped; Vary always,
    once."""
    if gzipped:
        return [_VARY, _GZIPPED], []
    if len(body) < GZIP_MIN:
        return [_VARY], []
    return [], [_VARY]


def _region_or_400(jurisdiction: str) -> None:
    """A pull's and the fork evidence's jurisdiction goes into a query: a region code only
    (a NUL in it was a PostgreSQL error, a 500)."""
    if not is_region_code(jurisdiction):
        raise HTTPException(400, f"the jurisdiction {jurisdiction!r} is not a region code")


def create_app(ledger: Ledger, *, demo: bool = False, gate: GateLimits | None = None) -> RecapAPI:
    """The API over ``ledger``. ``gate``: who may push and how much (PROTOCOL §9.9);
    `recap-server` always requires push tokens and rates pushes, an app made without
    ``gate`` (the API alone, under its tests) does neither (a token sent is still checked)."""
    limits = gate if gate is not None else GateLimits(require_token=False, limit_rate=False)
    places = push_places(ledger.together) if limits.max_active is None else limits.max_active
    limits = dataclasses.replace(limits, max_active=places)
    pushes = PushGate(ledger.held_trust, ledger.clock, limits, fresh=ledger.trust)
    # Parsing and admission run on their own threads, never on the event loop, and never in
    # the pool the other endpoints share: a queue of pushes cannot delay /v1/health.
    push_threads = CapacityLimiter(places)
    package_turn = asyncio.Lock()  # a version is made once, not by each laptop at once
    app = RecapAPI(
        lifespan=_fewer_read_threads,
        title="Recap central server",
        version="1",
        description="Verifies, keeps and adds up the signed records of Recap Desktop laptops. "
        "See docs/PROTOCOL.md, section Sync protocol.",
    )
    # Level 9 (Starlette's default) cost more CPU than building a pull page; level 5 makes
    # JSON of signed records within a few percent as small.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN, compresslevel=GZIP_LEVEL)

    @app.exception_handler(DamagedStore)
    async def damaged(request: Request, exc: Exception) -> Response:
        """A database changed outside the server: a 500 that says so, and the operator's
        log says what to run (a push meets it in ``pushing``)."""
        _log.error("%s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": str(exc)}, status_code=500)

    def package(records: list[Any]) -> dict[str, Any]:
        return {
            "format": PACKAGE_FORMAT,
            "authority_key": ledger.authority_key.hex(),
            "records": [r.to_json() for r in records],
        }

    shown: dict[str, Any] = {}

    def server_certificates(trust: Trust) -> tuple[list[dict[str, Any]], int]:
        """The server's certificates and the count of fork evidence held, read again only
        when the trust changes (fork evidence stored bumps the trust's version too)."""
        if shown.get("trust") is not trust:
            shown["certificates"] = [r.to_json() for r in ledger.certificates()]
            shown["forks"] = ledger.storage.stats()["equivocations"]
            shown["trust"] = trust
        return list(shown["certificates"]), int(shown["forks"])

    # The health answer as bytes around its time field, made again only when the newest head
    # or the trust changed (both checked by one indexed read); the time is written in at each
    # build, and the body gzipped once per second at most. Validating and encoding the model
    # for each request cost more than the build (docs/PERFORMANCE.md, the `steady` branch).
    kept: dict[str, Any] = {"head": None, "trust": None, "time": None}

    def health_parts(trust: Trust, head: Record | None) -> tuple[bytes, bytes]:
        """The body before the time's value and after it, as the ``Health`` model writes it."""
        election = trust.election
        assert election is None or isinstance(election, Election)  # built from packages
        before = {
            "status": "ok",
            "server_key": ledger.server_key.public_key.hex(),
            "server_key_id": ledger.server_key.key_id,
            "authority_key_id": ledger.authority_key_id(),
            "election": election.id if election else None,
            "version": election.version if election else None,
            "demo": demo,
        }
        certificates, forks = server_certificates(trust)
        after = {
            "head": head.to_json() if head is not None else None,
            "certificates": certificates,
            "forks_held": forks,
            "consistency": None,  # last: an answer to ``known`` writes its proof there
        }
        # Written as FastAPI's JSONResponse writes a model's answer (compact, UTF-8); the
        # time is ASCII (format_time), so nothing in it needs escaping.
        return (
            _json_bytes(before)[:-1] + b',"time":"',
            b'",' + _json_bytes(after)[1:],
        )

    def health_answer() -> tuple[bytes, bytes | None, int]:
        """The answer now: (body, the body gzipped or None when it is too small to be, the
        head's size)."""
        trust, view = ledger.caught_up()
        head = view.head
        now = format_time(ledger.clock()).encode()
        if kept["trust"] is not trust or kept["head"] is not head:
            kept["parts"] = health_parts(trust, head)
            kept.update(trust=trust, head=head, time=None)
        elif kept["time"] == now:
            return cast(tuple[bytes, bytes | None, int], kept["answer"])
        before, after = kept["parts"]
        body = before + now + after
        packed = _packed(body)
        kept.update(time=now, answer=(body, packed, view.size))
        return body, packed, view.size

    health_thread = CapacityLimiter(1)
    # The consistency proofs health carries: one read of O(log n) nodes each (~40 µs on
    # SQLite, a round trip on PostgreSQL), on threads apart from the pulls' (the database
    # connections are still the process's one pool).
    proof_threads = CapacityLimiter(2)
    health_builds = Coalesced(lambda: to_thread.run_sync(health_answer, limiter=health_thread))

    async def health_reply(known: int, gzipped: bool) -> tuple[bytes, bool]:
        """The health answer's body, and whether it is gzipped."""
        body, packed, size = await health_builds.get()
        if 0 < known < size:
            # On threads of their own, as the build: never queued behind the pulls' threads.
            proof = await to_thread.run_sync(
                ledger.storage.consistency, known, size, limiter=proof_threads
            )
            hashes = ",".join(f'"{h.hex()}"' for h in proof)
            carried = f'{{"first":{known},"second":{size},"proof":[{hashes}]}}}}'
            if not body.endswith(b'"consistency":' + _NO_PROOF):
                raise RuntimeError("the kept health answer does not end with its proof field")
            body = body[: -len(_NO_PROOF)] + carried.encode()
            packed = _packed(body) if gzipped else None
        if packed is not None and gzipped:
            return packed, True
        return body, False

    async def health_fast(scope: Scope, _receive: Receive) -> Reply | None:
        """Health for a plain query (``RecapAPI``), None for FastAPI to answer."""
        known = _known(scope)
        if known is None:
            return None
        body, gzipped = await health_reply(known, _takes_gzip(scope))
        return 200, body, _json_headers(body, *_health_headers(body, gzipped))

    app.fast_routes["GET", HEALTH_PATH] = health_fast

    @app.get(HEALTH_PATH, response_model=Health)
    async def health(
        request: Request,
        known: int = Query(
            0,
            ge=0,
            le=MAX_CURSOR,
            description="the size of the newest head the laptop verified: the answer then"
            " carries the consistency proof from it to the head (when 0 < known < its size)",
        ),
    ) -> Response:
        """Built on a thread of its own, never on the event loop (the newest head and the
        trust are asked of the database, which another worker may have written), nor in the
        pool the other reads share; and once for all who asked while no build had begun
        (``Coalesced``): a crowd of laptops asking at once costs one build, each answer
        begun after its asking (a laptop never sees a head older than its last receipt's
        from the same worker).

        With ``known``, the consistency proof a laptop would ask next comes in the answer:
        a steady sync's requests are mostly the HTTP stack's cost, not their work
        (docs/PERFORMANCE.md), so one request fewer is most of a request's CPU saved."""
        # Reached only by a query the fast path leaves to FastAPI (``health_fast``); a HEAD
        # never is (FastAPI's routing answers it 405).
        body, gzipped = await health_reply(known, _takes_gzip(request.scope))
        given, _added = _health_headers(body, gzipped)  # the middleware adds its own
        headers = {name.decode(): value.decode() for name, value in given}
        return Response(body, media_type="application/json", headers=headers)

    # A package is immutable by its hash, and a national one is ~100 MB of JSON: these
    # routes, open to anyone, parsed every version held on every request (5 s each with a
    # 45 MB version, /v1/health waiting meanwhile). Each version is now read once: its file
    # gzipped (``packed``) and its "issued" (``issued``); which versions exist is the trust's.
    packed: dict[str, bytes] = {}  # package hash -> its file, gzipped
    issued: dict[str, Any] = {}  # package hash -> its payload's "issued"
    reading_package = threading.Lock()  # one version read at a time, whoever asks

    def packed_package(record_hash: str) -> bytes | None:
        """A package file made and compressed once per version (a national one is ~100 MB
        of JSON, ~15 MB gzipped): every later laptop costs the server a copy, not a parse."""
        if record_hash in packed:
            return packed[record_hash]
        with reading_package:
            if record_hash not in packed:
                if record_hash not in ledger.trust().packages.values():
                    return None
                record = ledger.storage.record(record_hash)  # this version alone
                if record is None:
                    return None
                data = json.dumps(package([record]), separators=(",", ":")).encode()
                issued[record_hash] = record.to_json()["payload"].get("issued")
                packed[record_hash] = gzip.compress(data, compresslevel=GZIP_LEVEL)
        return packed[record_hash]

    def package_answer(record_hash: str | None, request: Request, missing: str) -> Response:
        """A package file as made once, gzipped to a client that takes gzip (as the GZip
        middleware would send it), else unpacked."""
        data = packed_package(record_hash) if record_hash is not None else None
        if data is None:
            raise HTTPException(404, missing)
        if "gzip" not in request.headers.get("accept-encoding", "").lower():
            return Response(gzip.decompress(data), media_type="application/json")
        headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return Response(data, media_type="application/json", headers=headers)

    @app.get("/v1/election", response_model=Package)
    def election_package(request: Request) -> Response:
        """The current (newest) package, in the file format `recap election import` reads."""
        current = ledger.trust().election_record
        return package_answer(current, request, "no election package yet")

    @app.get("/v1/election/versions", response_model=Versions)
    def election_versions() -> dict[str, Any]:
        """Every version the server keeps, oldest first."""
        election = ledger.election()
        held = sorted(ledger.trust().packages.items())
        for _, record_hash in held:
            packed_package(record_hash)  # a version's "issued", read once
        return {
            "election": election.id if election else None,
            "current": election.version if election else None,
            "versions": [
                {"version": version, "hash": h, "issued": issued.get(h)} for version, h in held
            ],
        }

    @app.get("/v1/election/versions/{version}", response_model=Package)
    def election_version(version: int, request: Request) -> Response:
        chosen = ledger.trust().packages.get(version)
        return package_answer(chosen, request, f"no package version {version}")

    @app.get(
        "/v1/election/packages/{record_hash}",
        response_model=Package,
        responses={
            304: {"description": "the client holds it (If-None-Match)"},
            400: {"description": "not a record hash"},
            404: {"description": "no package of that hash"},
        },
    )
    async def election_by_hash(record_hash: str, request: Request) -> Response:
        """One package version by its record's hash (listed by /v1/election/versions), as a
        package file: immutable, so a reverse proxy or the laptop caches it (ETag), sent
        gzipped as made once (PROTOCOL §9.9)."""
        if not _HASH.fullmatch(record_hash):
            raise HTTPException(400, "a record hash is 64 lowercase hex digits")
        tag = f'"{record_hash}"'
        cache = {"ETag": tag, "Cache-Control": "public, max-age=31536000, immutable"}
        if request.headers.get("if-none-match") == tag:
            return Response(status_code=304, headers=cache)
        async with package_turn:  # on the reads' pool: never one of the pushes' threads
            data = await to_thread.run_sync(packed_package, record_hash)
        if data is None:
            raise HTTPException(404, f"no package {record_hash}")
        if "gzip" not in request.headers.get("accept-encoding", "").lower():
            # On the pool the reads share: a client without gzip asking again and again
            # never takes the threads pushes need.
            body = await to_thread.run_sync(gzip.decompress, data)
            return Response(body, media_type="application/json", headers=cache)
        return Response(
            data, media_type="application/json", headers={**cache, "Content-Encoding": "gzip"}
        )

    @app.get("/v1/certificates", response_model=RecordList)
    def certificates(
        jurisdiction: str | None = Query(None, description="only certificates within this region"),
    ) -> dict[str, Any]:
        out = []
        for r in ledger.storage.authority_records(["certificate"]):
            if jurisdiction is not None:
                try:
                    cert = Certificate.from_record(r)
                except ValueError:
                    continue
                if not (
                    in_region(cert.jurisdiction, jurisdiction)
                    or in_region(jurisdiction, cert.jurisdiction)
                ):
                    continue
            out.append(r.to_json())
        return {"records": out}

    @app.get("/v1/revocations", response_model=RecordList)
    def revocations() -> dict[str, Any]:
        """The newest revocation list (each version lists every key revoked so far)."""
        lists = ledger.storage.authority_records(["revocations"])
        lists.sort(key=lambda r: int(r.payload.get("version", 0)))
        return {"records": [r.to_json() for r in lists[-1:]]}

    async def pushing(request: Request, known: int, held: bool, encode: Callable[[bytes], T]) -> T:
        """A push's answer (``held``: its ask by hash's), ``encode``d on the thread that
        made it, in the push's place (``turn``): the route's rule and the fast path's. Who
        sends it, at what rate and how large are settled from the headers before the body
        is read (§9.9); a refusal, or a body that is not a batch, is an HTTPException. An
        ask's list of hashes is read on the event loop, before its turn, as before."""
        client = request.client.host if request.client is not None else "?"
        try:
            name, limit = await pushes.who_async(request.headers, client)
            pushes.spend(name)
            async with pushes.reading(who=name):
                if held:
                    body = await _read_body(
                        request, min(limit or MAX_HELD_BODY, MAX_HELD_BODY), limit is not None
                    )
                else:
                    body = await _read_body(request, limit or MAX_BODY, limit is not None)
            if held:
                job: Callable[[], Pushed] = functools.partial(ledger.holds, _hash_list(body), known)
            else:
                inflate = request.headers.get("content-encoding", "").lower() == "gzip"
                unpacked = MAX_INFLATED if limit is None else ANONYMOUS_INFLATED
                job = _PushWork(ledger, body, inflate, known, unpacked).run
            async with pushes.turn(who=name):
                # The answer is encoded here too: 500 results' JSON (and the fast path's
                # gzip) off the event loop.
                return await to_thread.run_sync(
                    lambda: encode(_answer_bytes(job())), limiter=push_threads
                )
        except Refusal as exc:
            raise HTTPException(exc.status, str(exc), headers=exc.headers) from exc
        except DamagedStore as exc:  # rolled back: the push stored nothing
            _log.error("%s %s: %s", request.method, request.url.path, exc)
            raise HTTPException(500, str(exc)) from exc

    def pushing_fast(held: bool) -> FastRoute:
        """A push (``held``: its ask by hash) for a plain query (``RecapAPI``), None for
        FastAPI to answer; its refusals answered as FastAPI's handler answers them."""

        async def fast(scope: Scope, receive: Receive) -> Reply | None:
            known = _known(scope)
            if known is None:
                return None
            gzipped = _takes_gzip(scope)
            encode = functools.partial(_encoded, 200, gzipped=gzipped)
            try:
                return await pushing(Request(scope, receive), known, held, encode)
            except StarletteHTTPException as exc:  # the class FastAPI's handler answers
                return _refused(exc, gzipped)

        return fast

    @app.post(
        PUSH_PATH,
        response_model=PushAnswer,
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "A batch (Content-Encoding: gzip allowed).",
                "content": {"application/json": {"schema": _batch_schema()}},
            }
        },
        responses={
            400: {"description": "not a batch"},
            401: {"description": "no push token, or one that does not hold (§9.9)"},
            413: {"description": "too large"},
            429: {"description": "this key's rate is spent: Retry-After says when to retry"},
            503: {"description": "the server is busy: Retry-After says when to retry"},
        },
    )
    async def push(
        request: Request,
        known: int = Query(0, ge=0, le=MAX_CURSOR, description="the newest head size you hold"),
    ) -> Response:
        """Verify and keep a batch. Idempotent: sending it again answers held, stores nothing.

        Who sends it, at what rate and how large are settled from the headers before the body
        is read (§9.9); the body is counted as it streams in and refused at the limit."""
        # Reached only by a query the fast path leaves to FastAPI (``pushing_fast``).
        body = await pushing(request, known, False, _as_is)
        return Response(body, media_type="application/json")

    @app.post(
        PUSH_HELD_PATH,
        response_model=PushAnswer,
        openapi_extra=_hashes_body("The hashes of records the laptop would push.", MAX_BATCH),
        responses={
            400: {"description": "not a list of record hashes"},
            413: {"description": "too many hashes"},
            429: {"description": "this key's rate is spent: Retry-After says when to retry"},
            503: {"description": "the server is busy: Retry-After says when to retry"},
        },
    )
    async def push_held(
        request: Request,
        known: int = Query(0, ge=0, le=MAX_CURSOR, description="the newest head size you hold"),
    ) -> Response:
        """First ask by hash (§9.9): ``{"hashes": [...]}`` answered as a push of those records
        would be, for the ones the log holds (``held``, with the receipt and inclusion proofs);
        the others ``unknown``, to be pushed. Nothing is stored."""
        # Reached only by a query the fast path leaves to FastAPI (``pushing_fast``).
        body = await pushing(request, known, True, _as_is)
        return Response(body, media_type="application/json")

    app.fast_routes["POST", PUSH_PATH] = pushing_fast(False)
    app.fast_routes["POST", PUSH_HELD_PATH] = pushing_fast(True)

    def pull_page(jurisdiction: str, since: int, limit: int) -> bytes:
        """What is new for a jurisdiction: every entry of its partitions (PROTOCOL §10.5) up
        to the newest head, and on the last page the proofs of those partitions."""
        view = ledger.view
        ranges = needed_ranges(jurisdiction)
        names = view.summary.within(ranges)  # as of the head: no query of the partitions
        held = ledger.storage.pull_raw(ranges, since, limit, view.size, bodies=False, names=names)
        more = len(held) == limit
        partitions = None if more else [view.summary.prove(lo, hi) for lo, hi in ranges]
        # The last page ends at its head: the next pull starts there, whatever it skipped.
        nxt = None if more else max(view.size, since)
        return _page_bytes(held, since, more, view.head, partitions, nxt)

    def pull_encoded(jurisdiction: str, since: int, limit: int, gzipped: bool) -> Reply:
        """A page as the route and the GZip middleware answer it, gzipped here on the same
        thread (the middleware gzips on the event loop below 128 KiB)."""
        return _encoded(200, pull_page(jurisdiction, since, limit), gzipped)

    async def pull_fast(scope: Scope, _receive: Receive) -> Reply | None:
        """A pull for a plain query (``RecapAPI``), None for FastAPI to answer."""
        query = _plain_query(scope, _PULL_QUERY)
        if query is None or b"jurisdiction" not in query:
            return None
        try:
            jurisdiction = query[b"jurisdiction"].decode("ascii")
        except UnicodeDecodeError:
            return None
        since = _count(query.get(b"since"), 0, 0, MAX_CURSOR)
        limit = _count(query.get(b"limit"), 500, 1, MAX_PAGE)
        if since is None or limit is None or not is_region_code(jurisdiction):
            return None
        # On the pool the other reads share, as FastAPI runs the route.
        return await to_thread.run_sync(
            pull_encoded, jurisdiction, since, limit, _takes_gzip(scope)
        )

    app.fast_routes["GET", PULL_PATH] = pull_fast

    @app.get(PULL_PATH, response_model=Page)
    def pull(
        jurisdiction: str = Query(..., description="region code, e.g. 32.01.01"),
        since: int = Query(
            0, ge=0, le=MAX_CURSOR, description="the next value of the previous page"
        ),
        limit: int = Query(500, ge=1, le=MAX_PAGE),
    ) -> Response:
        """What is new for a jurisdiction: every entry of its partitions (PROTOCOL §10.5) up
        to the newest head, and on the last page the proofs of those partitions."""
        # Reached only by a query the fast path leaves to FastAPI (``pull_fast``); a HEAD
        # never is (FastAPI's routing answers it 405).
        _region_or_400(jurisdiction)
        return Response(pull_page(jurisdiction, since, limit), media_type="application/json")

    @app.post(
        "/v1/authority/records",
        response_model=RecordList,
        openapi_extra=_hashes_body(
            "The hashes of authority records a pull page named.", MAX_AUTHORITY_FETCH
        ),
        responses={
            400: {"description": "not a list of record hashes"},
            413: {"description": "too many hashes"},
        },
    )
    async def authority_records(request: Request) -> Response:
        """The certificates and revocation lists of these hashes that the server holds, each
        once, in the order asked (PROTOCOL §9.5): what a laptop lacks of those a pull page
        named by hash. Any other hash is left out."""
        body = await _read_body(request, MAX_AUTHORITY_BODY, what="a request for records")
        hashes = _hash_list(body, MAX_AUTHORITY_FETCH)
        held = await to_thread.run_sync(ledger.storage.authority_raw, hashes)
        return Response(_records_bytes(held), media_type="application/json")

    @app.get("/v1/log/consistency", response_model=Consistency)
    def log_consistency(
        first: int = Query(..., ge=1, le=MAX_CURSOR),
        second: int = Query(..., ge=1, le=MAX_CURSOR),
    ) -> Response:
        """RFC 9162 consistency proof between two sizes of the log (second at most the
        newest head's)."""
        # Written here with the ``Consistency`` model's fields, not validated again through
        # the model: every steady sync after the head grew asks one.
        held = ledger.view.size
        if first > second or second > held:
            raise HTTPException(404, f"no proof from {first} to {second}: the log holds {held}")
        proof = ",".join(f'"{h.hex()}"' for h in ledger.storage.consistency(first, second))
        return Response(
            f'{{"first":{first},"second":{second},"proof":[{proof}]}}'.encode(),
            media_type="application/json",
        )

    @app.get("/v1/log/entries", response_model=LogEntries)
    def log_entries(
        start: int = Query(0, ge=0, le=MAX_CURSOR),
        limit: int = Query(1000, ge=1, le=MAX_PAGE),
    ) -> Response:
        """Every entry of the log from ``start``, in order, up to the newest head: what an
        auditor downloads to rebuild the log and recount every region."""
        view = ledger.view
        held = ledger.storage.pull_raw(None, start, limit, view.size)
        return Response(_entries_bytes(held, view.head), media_type="application/json")

    @app.get("/v1/log/heads")
    def log_heads(
        size: int | None = Query(
            None, ge=0, le=MAX_CURSOR, description="list every head signed at this size"
        ),
    ) -> dict[str, Any]:
        """The newest signed tree head; with ``size``, also every head this server signed of
        a log of that size (``heads``, oldest first; PROTOCOL §10.3)."""
        head = ledger.view.head
        out: dict[str, Any] = {"head": head.to_json() if head is not None else None}
        if size is not None:
            out["heads"] = [h.to_json() for h in ledger.storage.heads_at(size)]
        return out

    @app.get(
        "/v1/evidence",
        response_model=Evidence,
        responses={400: {"description": "the jurisdiction is not a region code"}},
    )
    def evidence(
        jurisdiction: str = Query(..., description="region code, e.g. 32.01.01"),
    ) -> Response:
        """Forks the server holds proof of (a signer's two records at one place of its chain),
        for stations within a region: every laptop of the region keeps them as evidence."""
        _region_or_400(jurisdiction)  # as a pull's (schemathesis found a NUL's 500)
        # Encoded here as the ``Evidence`` model would, not through it. The count in the same
        # read: a laptop keeps it as what it has seen, not health's (which another worker or
        # a replica behind may have answered).
        # Counted first: were the two reads to see two states, the pairs are the later.
        with ledger.storage.snapshot():
            held = ledger.storage.stats()["equivocations"]
            pairs = ledger.storage.evidence(jurisdiction)
        forks = [[a.to_json(), b.to_json()] for a, b in pairs]
        return Response(
            _json_bytes({"forks": forks, "forks_held": held}), media_type="application/json"
        )

    @app.get("/v1/regions/{region}/totals", response_model=RegionTotals)
    def totals(region: str, contest: str | None = None) -> dict[str, Any]:
        """Sums over the sheets that count, and progress (stations counted of expected)."""
        election = ledger.election()
        if election is None:
            raise HTTPException(404, "no election package yet")
        if region not in election.regions and region not in election.stations:
            raise HTTPException(404, f"unknown region {region}")
        if contest is not None and contest not in election.contests:
            raise HTTPException(404, f"unknown contest {contest}")
        stations = election.stations_within(region)
        out = []
        for cid in [contest] if contest else list(election.contests):
            sums, counted, states = ledger.storage.totals(region, cid)
            expected = sum(1 for s in stations if cid in s.contests)
            fields = election.contests[cid].form.field_ids
            out.append(
                {
                    "contest": cid,
                    "totals": {f: sums.get(f, 0) for f in fields},
                    "stations_counted": counted,
                    "stations_expected": expected,
                    "states": states,
                }
            )
        return {"region": region, "contests": out}

    @app.get("/v1/totals")
    def all_totals(contest: str = Query(..., description="a contest id")) -> dict[str, Any]:
        """Every region's totals of one contest, as ``/v1/regions/{code}/totals`` gives each:
        what an auditor recounts from the log and compares (PROTOCOL §10.8)."""
        election = ledger.election()
        if election is None:
            raise HTTPException(404, "no election package yet")
        if contest not in election.contests:
            raise HTTPException(404, f"unknown contest {contest}")
        fields = election.contests[contest].form.field_ids
        found = ledger.storage.all_totals(contest)
        regions = {}
        for code in election.regions:
            sums, counted, states = found.get(code, ({}, 0, {}))
            regions[code] = {
                "totals": {f: sums.get(f, 0) for f in fields},
                "stations_counted": counted,
                "states": states,
            }
        return {"contest": contest, "regions": regions}

    @app.get(
        "/v1/records/{record_hash}",
        response_model=Entry,
        responses={400: {"description": "not a record hash"}, 404: {"description": "not held"}},
    )
    def record(record_hash: str) -> dict[str, Any]:
        """One record the server holds, by hash, with its log index and when the server
        first held it: what `recap check-print --server` compares a printed form with."""
        if len(record_hash) != 64 or any(c not in "0123456789abcdef" for c in record_hash):
            raise HTTPException(400, "a record hash is 64 lowercase hex digits")
        found = ledger.storage.record(record_hash)
        if found is None:
            raise HTTPException(404, f"no record {record_hash}")
        index, received = ledger.storage.positions([record_hash])[record_hash]
        return {"index": index, "received": _protocol_time(received), "record": found.to_json()}

    @app.get("/v1/stats")
    def stats() -> dict[str, int]:
        """Counts: records (every record held), disputes, sheets, equivocations, receipts..."""
        return ledger.storage.stats()

    # Photos of the paper (PROTOCOL §9.8): their tables, folder and routes live in photos.py.
    folder = getattr(ledger.storage, "photos_dir", None)
    if folder is None:
        raise ValueError("the server's storage names no photo folder (open_ledger sets it)")
    photos = ServerPhotos(cast(Any, ledger.storage), folder)
    app.include_router(photo_router(photos, pushes))
    return app


def _as_is(body: bytes) -> bytes:
    return body


def _encoded(
    status: int, body: bytes, gzipped: bool, given: Sequence[tuple[bytes, bytes]] = ()
) -> Reply:
    """``body`` as a route's JSON ``Response`` and the GZip middleware send it: as it is
    when small, else gzipped to a client that takes gzip (``gzipped``), Vary either way."""
    if len(body) < GZIP_MIN:
        return status, body, _json_headers(body, given)
    if not gzipped:
        return status, body, _json_headers(body, given, [_VARY])
    packed = _gzipped(body)
    return status, packed, _json_headers(packed, given, [_VARY, _GZIPPED])


def _refused(exc: StarletteHTTPException, gzipped: bool) -> Reply:
    """An HTTPException as FastAPI's handler answers it: ``{"detail": ...}``, with its
    headers before the two ``JSONResponse`` writes (every status we raise has a body)."""
    given = [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (exc.headers or {}).items()
    ]
    return _encoded(exc.status_code, _json_bytes({"detail": exc.detail}), gzipped, given)


def _known(scope: Scope) -> int | None:
    """``known`` of a plain query of health's or a push's (the one parameter of both)."""
    query = _plain_query(scope, _KNOWN_QUERY)
    return None if query is None else _count(query.get(b"known"), 0, 0, MAX_CURSOR)


def _gzipped(body: bytes) -> bytes:
    """``body`` gzipped to the GZip middleware's very bytes: its ``compressobj(GZIP_LEVEL,
    DEFLATED, 31)`` is what ``gzip.compress`` runs for a header without a time."""
    return gzip.compress(body, GZIP_LEVEL, mtime=0)


def _packed(body: bytes) -> bytes | None:
    """A health answer gzipped as the GZip middleware would, or None when it is too small."""
    return _gzipped(body) if len(body) >= GZIP_MIN else None


_NO_PROOF = b"null}"  # how the kept health answer ends: its consistency field, unasked
HEALTH_PATH = "/v1/health"
PULL_PATH = "/v1/pull"
PUSH_PATH = "/v1/push"
PUSH_HELD_PATH = "/v1/push/held"
_KNOWN_QUERY = frozenset({b"known"})
_PULL_QUERY = frozenset({b"jurisdiction", b"since", b"limit"})


def _entry(h: RawHeld, partition: bool = False) -> str:
    extra = f',"partition":"{h.partition}"' if partition else ""
    if h.payload is None:  # an authority record, read without its body: named by hash
        key = h.named or "package"
        return f'{{"index":{h.index}{extra},"{key}":"{h.hash}","received":"{h.received}"}}'
    return (
        f'{{"index":{h.index}{extra},"received":"{h.received}","record":'
        f'{{"hash":"{h.hash}","payload":{h.payload},"sig":"{h.sig}","signer":"{h.signer}"}}}}'
    )


def _page_bytes(
    held: list[RawHeld],
    since: int,
    more: bool,
    head: Record | None,
    partitions: list[list[dict[str, Any]]] | None,
    last: int | None = None,
) -> bytes:
    """A pull page (the ``Page`` model) written straight from the stored rows: each payload is
    canonical JSON text already, and hash, signer, sig and received are plain ASCII, so
    nothing is parsed and re-encoded per record (that was most of a page's cost)."""
    entries = ",".join(_entry(h) for h in held)
    nxt = last if last is not None else held[-1].index + 1 if held else since
    tail = {
        "head": head.to_json() if head is not None else None,
        "partitions": partitions,
    }
    rest = json.dumps(tail, separators=(",", ":"))[1:-1]
    flag = "true" if more else "false"
    return f'{{"entries":[{entries}],"more":{flag},"next":{nxt},{rest}}}'.encode()


def _records_bytes(held: list[RawHeld]) -> bytes:
    """``{"records": [envelope, ...]}`` written straight from the stored rows (as a page)."""
    records = ",".join(
        f'{{"hash":"{h.hash}","payload":{h.payload},"sig":"{h.sig}","signer":"{h.signer}"}}'
        for h in held
    )
    return f'{{"records":[{records}]}}'.encode()


def _entries_bytes(held: list[RawHeld], head: Record | None) -> bytes:
    entries = ",".join(_entry(h, partition=True) for h in held)
    top = json.dumps(head.to_json() if head is not None else None, separators=(",", ":"))
    return f'{{"entries":[{entries}],"head":{top}}}'.encode()


def _answer_bytes(pushed: Pushed) -> bytes:
    """A push answer (the ``PushAnswer`` model, every ``Result`` field present) encoded here as
    FastAPI's JSON response would: validating and encoding 500 results and a receipt through
    the model was an eighth of the server's time per push."""
    results = []
    for outcome in pushed.outcomes:
        out = outcome.to_json()
        results.append(
            {
                "hash": out["hash"],
                "status": out["status"],
                "reason": out.get("reason"),
                "detail": out.get("detail"),
            }
        )
    answer = {
        "results": results,
        "receipt": pushed.receipt.to_json(),
        "head": pushed.head.to_json(),
        "proofs": pushed.proofs.to_json(),
    }
    return _ANSWER.encode(answer)


# FastAPI's JSONResponse bytes (``json.dumps(ensure_ascii=False, allow_nan=False,
# separators=(",", ":"))``) for what answers hold (objects of string keys, lists, strings,
# integers, booleans, null: no floats), written in C: json's encoder took 4 µs a sheet of a
# 500-sheet push's answer, this 0.4. tests/test_server_answer_bytes.py holds them to the same
# bytes, and the fast path's tests compare answers with FastAPI's own.
_ANSWER = msgspec.json.Encoder()


def _json_bytes(value: Any) -> bytes:
    """``value`` as FastAPI's JSONResponse encodes an answer."""
    return _ANSWER.encode(value)


def _hash_list(body: bytes, most: int = MAX_BATCH) -> list[str]:
    try:
        doc = parse_json(body)
    except CanonicalError as exc:
        raise HTTPException(400, f"not a list of hashes: {exc}") from exc
    hashes = doc.get("hashes") if isinstance(doc, dict) and set(doc) == {"hashes"} else None
    if not isinstance(hashes, list) or not all(
        isinstance(h, str) and _HASH.fullmatch(h) for h in hashes
    ):
        raise HTTPException(400, 'the body is {"hashes": [64 lowercase hex digits, ...]}')
    if len(hashes) > most:
        raise HTTPException(413, f"at most {most} hashes")
    return list(dict.fromkeys(hashes))


class _PushWork:
    """A push's heavy part, on a worker thread: unpack, parse, admit and store."""

    def __init__(
        self, ledger: Ledger, body: bytes, gzipped: bool, known: int, unpacked: int
    ) -> None:
        self.ledger, self.body, self.gzipped, self.known = ledger, body, gzipped, known
        self.unpacked = unpacked  # the most its gzip may unpack to

    def run(self) -> Pushed:
        body = _inflate(self.body, self.unpacked) if self.gzipped else self.body
        try:
            batch = parse_batch(parse_json(body), max_records=MAX_BATCH)
        except CanonicalError as exc:
            raise HTTPException(400, f"not a batch: {exc}") from exc
        except WireError as exc:
            status = 413 if str(exc).startswith("at most") else 400
            raise HTTPException(status, str(exc)) from exc
        return self.ledger.push(batch.items, batch.forks, self.known)


def _inflate(body: bytes, most: int) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(body, most)
    except zlib.error as exc:
        raise HTTPException(400, f"bad gzip: {exc}") from exc
    if inflater.unconsumed_tail:
        anonymous = " without a push token of a certified key" * (most < MAX_INFLATED)
        raise HTTPException(413, f"a batch{anonymous} is at most {most} bytes unpacked")
    return out


async def _read_body(
    request: Request, limit: int, anonymous: bool = False, what: str = "this push"
) -> bytes:
    """The body, refused (413) as soon as it is known to be over ``limit``: from its
    Content-Length before a byte is read, else while it streams in."""
    why = f"{what} may carry at most {limit} bytes"
    if anonymous:
        why = (
            f"a push without a push token of a certified key may carry at most {limit} bytes"
            " (PROTOCOL §9.9): the laptop's key signs one whenever it is unlocked"
        )
    return await read_body(request, limit, why)
