"""The two GETs every steady sync makes, /v1/health and /v1/pull, answered past FastAPI's
layers when their query is plain (``RecapAPI``): on the real server on a loopback port, each
answer must be the one FastAPI's route gives to the same request, byte for byte and header
for header, and any query the fast path does not take must get FastAPI's own answer, its
errors included."""

from __future__ import annotations

import http.client
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from starlette.exceptions import HTTPException

from recap_desktop.services import demo as demo_service
from tests.sync_support import DISTRICT, LiveServer, make_laptop
from tests.test_server_api import all_records, push

# A parameter neither route has: FastAPI ignores it, the fast path leaves the request to it.
TO_FASTAPI = "fastapi=1"


def _get(
    server: LiveServer, target: str, encoding: str | None, method: str = "GET"
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers in the order sent (but the date, each answer's own; no name twice)
    and the body as it came on the wire."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        headers = {} if encoding is None else {"Accept-Encoding": encoding}
        conn.request(method, target, headers=headers)
        answer = conn.getresponse()
        sent = [(k.lower(), v) for k, v in answer.getheaders() if k.lower() != "date"]
        assert len({k for k, _ in sent}) == len(sent), sent
        return answer.status, sent, answer.read()
    finally:
        conn.close()


def _both(
    server: LiveServer, target: str, encoding: str | None
) -> tuple[tuple[int, list[tuple[str, str]], bytes], tuple[int, list[tuple[str, str]], bytes]]:
    """The fast path's answer to ``target`` and FastAPI's, each checked to be the one asked."""
    before = server.app.fast_answered
    fast = _get(server, target, encoding)
    assert server.app.fast_answered == before + 1, f"{target}: not answered by the fast path"
    joined = target + ("&" if "?" in target else "?") + TO_FASTAPI
    routed = _get(server, joined, encoding)
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
    ],
)
def test_a_query_the_fast_path_does_not_take_gets_fastapis_answer(
    server: LiveServer, target: str, status: int
) -> None:
    try:
        before = server.app.fast_answered
        got, headers, _body = _get(server, target, "gzip")
        assert (got, server.app.fast_answered) == (status, before), headers
    finally:
        server.stop()


def test_an_escaped_query_reads_as_its_plain_one(server: LiveServer) -> None:
    """What FastAPI answers to an escaped query is what the fast path answers to its plain
    form: both read the same parameters."""
    try:
        escaped = _get(server, "/v1/pull?jurisdiction=32%2E01&since=%30", "identity")
        assert server.app.fast_answered == 0
        plain = _get(server, "/v1/pull?jurisdiction=32.01&since=0", "identity")
        assert server.app.fast_answered == 1
        assert escaped == plain and plain[0] == 200
    finally:
        server.stop()


def test_a_head_request_gets_fastapis_answer(server: LiveServer) -> None:
    """FastAPI's routes take GET alone: a HEAD is answered 405, as before the fast path."""
    try:
        for target in ("/v1/health", "/v1/pull?jurisdiction=32"):
            status, headers, _body = _get(server, target, "gzip", method="HEAD")
            assert (status, server.app.fast_answered) == (405, 0)
            assert ("allow", "GET") in headers
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
        }
    finally:
        server.stop()
