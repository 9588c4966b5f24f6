"""The requests every sync makes, /v1/health, /v1/pull, /v1/push and /v1/push/held,
answered past FastAPI's layers when their query is plain (``RecapAPI``): on the real server
on a loopback port, each answer must be the one FastAPI's route gives to the same request,
byte for byte and header for header, a push's refusals and errors included, and any query
the fast path does not take must get FastAPI's own answer."""

from __future__ import annotations

import gzip
import http.client
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from starlette.exceptions import HTTPException

from recap_desktop.protocol.pushauth import HEADER
from recap_desktop.protocol.wire import batch_bytes
from recap_desktop.services import demo as demo_service
from recap_server.app import MAX_BATCH
from recap_server.gate import GateLimits
from recap_server.storage import DamagedStore
from tests.sync_support import DISTRICT, LiveServer, make_laptop
from tests.test_server_api import all_records, push

# A parameter no route has: FastAPI ignores it, the fast path leaves the request to it.
TO_FASTAPI = "fastapi=1"
Answer = tuple[int, list[tuple[str, str]], bytes]


def _get(
    server: LiveServer,
    target: str,
    encoding: str | None,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """Status, headers in the order sent (but the date, each answer's own; no name twice)
    and the body as it came on the wire."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        sending = dict(headers or {})
        if encoding is not None:
            sending["Accept-Encoding"] = encoding
        conn.request(method, target, body=body, headers=sending)
        answer = conn.getresponse()
        sent = [(k.lower(), v) for k, v in answer.getheaders() if k.lower() != "date"]
        assert len({k for k, _ in sent}) == len(sent), sent
        return answer.status, sent, answer.read()
    finally:
        conn.close()


def _both(
    server: LiveServer, target: str, encoding: str | None, *request: Any
) -> tuple[Answer, Answer]:
    """The fast path's answer to ``target`` and FastAPI's, each checked to be the one asked
    (``request``: ``_get``'s method, body and headers)."""
    before = server.app.fast_answered
    fast = _get(server, target, encoding, *request)
    assert server.app.fast_answered == before + 1, f"{target}: not answered by the fast path"
    joined = target + ("&" if "?" in target else "?") + TO_FASTAPI
    routed = _get(server, joined, encoding, *request)
    assert server.app.fast_answered == before + 1, f"{joined}: answered by the fast path"
    return fast, routed


@pytest.fixture
def server(tmp_path: Path) -> LiveServer:
    # One time for every answer: health's body carries the clock, to the second.
    now = datetime.now(UTC)
    server = LiveServer(tmp_path / "server", clock=lambda: now)
    laptop = make_laptop(tmp_path / "op-a", "op-a")
    demo_service.populate(laptop.ws, laptop.key, stations=12, seed=3)
    push(server, all_records(laptop))
    return server


ENCODINGS = ["gzip", "identity", None, "deflate, gzip;q=0.5"]


def test_pull_answers_as_fastapi_does(server: LiveServer) -> None:
    try:
        size = server.ledger.view.size
        assert size > 20
        seen: set[tuple[str | None, bool]] = set()
        for jurisdiction in (DISTRICT, "32", "32.01.01.2001", "11"):
            for since, limit in (
                (0, None),
                (0, 3),
                (5, 2),
                (size - 1, None),
                (size, 500),
                (10**9, 1),
            ):
                query = f"jurisdiction={jurisdiction}&since={since}"
                if limit is not None:
                    query += f"&limit={limit}"
                for encoding in ENCODINGS:
                    fast, routed = _both(server, f"/v1/pull?{query}", encoding)
                    assert fast == routed, (query, encoding)
                    assert fast[0] == 200
                    headers = dict(fast[1])
                    seen.add((headers.get("content-encoding"), "vary" in headers))
        # Both sides of the gzip middleware's line: a small page as it is, a large one gzipped
        # or, to a client that takes no gzip, as it is with Vary.
        assert {("gzip", True), (None, True), (None, False)} <= seen
        # The defaults: no since, no limit.
        fast, routed = _both(server, f"/v1/pull?jurisdiction={DISTRICT}", "gzip")
        assert fast == routed and fast[0] == 200
    finally:
        server.stop()


def test_health_answers_as_fastapi_does(server: LiveServer) -> None:
    try:
        size = server.ledger.view.size
        for known in (None, 0, 1, size // 2, size - 1, size, size + 7):
            target = "/v1/health" + ("" if known is None else f"?known={known}")
            for encoding in ENCODINGS:
                fast, routed = _both(server, target, encoding)
                assert fast == routed, (target, encoding)
                assert fast[0] == 200 and ("vary", "Accept-Encoding") in fast[1]
                if encoding == "identity":
                    carries = b'"consistency":{' in fast[2]
                    assert carries == (0 < (known or 0) < size), target
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("/v1/pull?jurisdiction=nope", 400),
        ("/v1/pull?since=0", 422),
        ("/v1/pull?jurisdiction=32&since=-1", 422),
        ("/v1/pull?jurisdiction=32&since=99999999999999999999", 422),
        ("/v1/pull?jurisdiction=32&since=9223372036854775808", 422),
        ("/v1/pull?jurisdiction=32&limit=0", 422),
        ("/v1/pull?jurisdiction=32&limit=2001", 422),
        ("/v1/pull?jurisdiction=32&limit=", 422),
        ("/v1/pull?jurisdiction=32&since=1.5", 422),
        ("/v1/health?known=x", 422),
        ("/v1/health?known=-1", 422),
        ("/v1/health?known=", 422),
        # Escaped, repeated or unknown: FastAPI reads it, and answers.
        ("/v1/pull?jurisdiction=32%2E01&since=0", 200),
        ("/v1/pull?jurisdiction=11&jurisdiction=32&since=0", 200),
        ("/v1/pull?jurisdiction=32&since=+1", 200),
        ("/v1/health?known=1&known=2", 200),
        ("/v1/health?known", 422),
        ("/v1/pull?jurisdiction=32&&since=0", 200),
        ("/v1/pull?jurisdiction=32&since=0&", 200),
        ("/v1/pull?jurisdiction=32;since=0", 400),
        ("/v1/health?&", 200),
        ("/v1/push?known=-1", 422),
        ("/v1/push?known=x", 422),
        ("/v1/push/held?known=99999999999999999999", 422),
        ("/v1/push?known=1&known=2", 400),  # FastAPI reads the last; the body is no batch
        ("/v1/push/held?known=%31", 400),
    ],
)
def test_a_query_the_fast_path_does_not_take_gets_fastapis_answer(
    server: LiveServer, target: str, status: int
) -> None:
    try:
        before = server.app.fast_answered
        method = "POST" if target.startswith("/v1/push") else "GET"
        body = b"{}" if method == "POST" else None
        got, headers, _body = _get(server, target, "gzip", method, body)
        assert (got, server.app.fast_answered) == (status, before), headers
    finally:
        server.stop()


def test_an_escaped_query_reads_as_its_plain_one(server: LiveServer) -> None:
    """What FastAPI answers to an escaped query is what the fast path answers to its plain
    form: both read the same parameters."""
    try:
        before = server.app.fast_answered
        escaped = _get(server, "/v1/pull?jurisdiction=32%2E01&since=%30", "identity")
        assert server.app.fast_answered == before
        plain = _get(server, "/v1/pull?jurisdiction=32.01&since=0", "identity")
        assert server.app.fast_answered == before + 1
        assert escaped == plain and plain[0] == 200
    finally:
        server.stop()


def test_a_method_the_route_does_not_take_gets_fastapis_answer(server: LiveServer) -> None:
    """FastAPI's routes take GET alone: a HEAD is answered 405, as before the fast path;
    and a push's, POST alone."""
    try:
        before = server.app.fast_answered
        for target in ("/v1/health", "/v1/pull?jurisdiction=32"):
            status, headers, _body = _get(server, target, "gzip", method="HEAD")
            assert (status, server.app.fast_answered) == (405, before)
            assert ("allow", "GET") in headers
        for target in ("/v1/push", "/v1/push/held?known=1"):
            status, headers, _body = _get(server, target, "gzip", method="GET")
            assert (status, server.app.fast_answered) == (405, before)
            assert ("allow", "POST") in headers
    finally:
        server.stop()


def test_the_fast_path_skips_no_middleware_but_the_gzip_it_does_itself(
    server: LiveServer,
) -> None:
    """What the fast path answers does not cross the app's middleware nor its exception
    handlers: a middleware or a handler added to the app must be done by the fast path too
    (``RecapAPI``), or this fails."""
    try:
        assert [m.cls for m in server.app.user_middleware] == [GZipMiddleware]
        assert set(server.app.exception_handlers) == {
            HTTPException,
            RequestValidationError,
            WebSocketRequestValidationError,
            # A push answers it in ``pushing`` itself, the route's and the fast path's (and
            # health and pull read no totals): tests/test_server_damaged_totals.py.
            DamagedStore,
        }
        # A push's refusals are answered as this handler answers them (``_refused``).
        assert server.app.exception_handlers[HTTPException] is http_exception_handler
    finally:
        server.stop()


def _batch(records: list[Any], gzipped: bool = False) -> tuple[bytes, dict[str, str]]:
    body = batch_bytes([r.to_json() for r in records])
    if not gzipped:
        return body, {"Content-Type": "application/json"}
    return gzip.compress(body), {"Content-Type": "application/json", "Content-Encoding": "gzip"}


def test_a_push_and_its_ask_by_hash_answer_as_fastapi_does(
    server: LiveServer, tmp_path: Path
) -> None:
    """New records pushed through the fast path are stored, as the route stores them. Then a
    push of records the server holds, and an ask by their hashes: the answer (results,
    receipt, head, proofs from ``known``) the same, byte for byte, from the fast path and
    from FastAPI's route, gzipped or not (every such answer is over the gzip middleware's
    line; a refusal's, under it, is test_a_push_refused_is_answered_as_fastapi_answers_it's)."""
    try:
        laptop = make_laptop(tmp_path / "op-b", "op-b")
        demo_service.populate(laptop.ws, laptop.key, stations=4, seed=5)
        records = all_records(laptop)
        size = server.ledger.view.size
        before = server.app.fast_answered
        answer = push(server, records)
        assert server.app.fast_answered == before + 1
        assert {r["status"] for r in answer["results"]} <= {"stored", "held"}
        assert "stored" in {r["status"] for r in answer["results"]}
        assert server.ledger.view.size > size
        size = server.ledger.view.size
        seen: set[tuple[str | None, bool]] = set()
        for count in (1, len(records)):
            for known in (0, 1, size // 2, size):
                for packed in (False, True):
                    body, headers = _batch(records[:count], packed)
                    for encoding in ENCODINGS:
                        fast, routed = _both(
                            server, f"/v1/push?known={known}", encoding, "POST", body, headers
                        )
                        assert fast == routed, (count, known, packed, encoding)
                        assert fast[0] == 200
                        sent = dict(fast[1])
                        seen.add((sent.get("content-encoding"), "vary" in sent))
                hashes = json.dumps({"hashes": [r.hash for r in records[:count]]}).encode()
                for encoding in ENCODINGS:
                    fast, routed = _both(
                        server, f"/v1/push/held?known={known}", encoding, "POST", hashes
                    )
                    assert fast == routed and fast[0] == 200, (count, known, encoding)
        # A push's answer (receipt, head, proofs) is over the line; a refusal's is under it
        # (test_a_push_refused_is_answered_as_fastapi_answers_it).
        assert seen == {("gzip", True), (None, True)}
        assert server.ledger.view.size == size  # held: nothing stored
    finally:
        server.stop()


_REFUSALS: dict[str, tuple[GateLimits, str, bytes, dict[str, str], int]] = {
    # (the gate, the path, the body, its headers, the status)
    "an anonymous body over its limit": (
        GateLimits(anonymous_bytes=1000),
        "/v1/push",
        b"x" * 2000,
        {},
        413,
    ),
    "not a batch": (GateLimits(), "/v1/push", b"nope", {}, 400),
    "bad gzip": (GateLimits(), "/v1/push?known=3", b"nope", {"Content-Encoding": "gzip"}, 400),
    "a token that does not parse": (GateLimits(), "/v1/push", b"{}", {HEADER: "a.b"}, 401),
    "not a list of hashes": (GateLimits(), "/v1/push/held", b'{"hashes": 1}', {}, 400),
    "too many hashes": (
        GateLimits(),
        "/v1/push/held?known=0",
        json.dumps({"hashes": ["0" * 64] * (MAX_BATCH + 1)}).encode(),
        {},
        413,
    ),
    "the server busy": (GateLimits(max_reading=0), "/v1/push", b"{}", {}, 503),
    "the sender's rate spent": (GateLimits(burst=1, rate=0.001), "/v1/push", b"{}", {}, 429),
}


@pytest.mark.parametrize("case", sorted(_REFUSALS))
def test_a_push_refused_is_answered_as_fastapi_answers_it(tmp_path: Path, case: str) -> None:
    """Each refusal of the push gate, and each body that is not what its route takes: the
    fast path's answer is FastAPI's handler's (status, ``{"detail": ...}``, Retry-After
    first), header for header."""
    limits, target, body, headers, status = _REFUSALS[case]
    server = LiveServer(tmp_path / "server", gate=limits)
    try:
        if status == 429:  # the one push the bucket holds, spent
            _get(server, target, None, "POST", body, headers)
        fast, routed = _both(server, target, "gzip", "POST", body, headers)
        if status == 429:  # a wait counted in whole seconds, asked twice a moment apart
            waits = [dict(a[1])["retry-after"] for a in (fast, routed)]
            assert abs(int(waits[0]) - int(waits[1])) <= 1, waits
            fast = (fast[0], [(k, "N" if k == "retry-after" else v) for k, v in fast[1]], fast[2])
            routed = (
                routed[0],
                [(k, "N" if k == "retry-after" else v) for k, v in routed[1]],
                routed[2],
            )
        assert fast == routed
        assert fast[0] == status, fast
        assert "detail" in json.loads(fast[2])
        names = [name for name, _value in fast[1]]
        if status in (429, 503):  # the exception's header, before the two the answer writes
            assert names.index("retry-after") < names.index("content-length")
    finally:
        server.stop()
