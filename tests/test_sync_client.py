"""The sync client against hostile servers on loopback (docs/PROTOCOL.md §9.6): an answer is
read as it streams in and refused past a bound on its unpacked size (a gzip bomb), a request
ends by a deadline however slowly the server sends, and a redirect is never followed."""

from __future__ import annotations

import gzip
import http.server
import json
import ssl
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.sync import client as client_module
from recap_desktop.sync.client import (
    BadAnswer,
    NotHeld,
    ServerClient,
    SyncError,
    Unreachable,
)

MiB = 1024 * 1024


def gzip_bomb(unpacked: int, byte: bytes = b" ") -> bytes:
    """``unpacked`` bytes of one byte, gzipped: about a thousandth of that on the wire."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = byte * MiB
    parts = [packer.compress(block) for _ in range(unpacked // MiB)]
    return b"".join([*parts, packer.flush()])


Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


class Stub:
    """A web server on 127.0.0.1, port 0, that answers every request with ``answer``;
    ``asked`` lists "METHOD path token" of every request it saw."""

    def __init__(self, answer: Handler, tls: ssl.SSLContext | None = None) -> None:
        stub = self
        self.asked: list[str] = []

        class Serve(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                stub.asked.append(f"{self.command} {self.path} {self.headers.get('Recap-Token')}")
                try:
                    answer(self)
                except OSError:
                    pass  # the client cut the connection: what the test wants

            do_GET = do_POST = do_PUT = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Serve)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub() -> Iterator[Callable[..., Stub]]:
    started: list[Stub] = []

    def start(answer: Handler, tls: ssl.SSLContext | None = None) -> Stub:
        started.append(Stub(answer, tls))
        return started[-1]

    yield start
    for one in started:
        one.stop()


def send(
    handler: http.server.BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    **headers: str,
) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def peak_while(call: Callable[[], Any]) -> tuple[BaseException | None, int]:
    """What ``call`` raised (None if nothing), and the most memory Python held meanwhile."""
    tracemalloc.start()
    try:
        call()
        raised = None
    except Exception as exc:
        raised = exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return raised, peak


# -- 1. every answer is read as it streams in, and refused past its bound unpacked ---------

BOMB = gzip_bomb(64 * MiB)  # ~64 KB on the wire


@pytest.mark.parametrize(
    ("status", "raised"),
    [(200, BadAnswer), (404, NotHeld), (500, Unreachable)],
    ids=["answer", "not-found", "server-error"],
)
def test_a_gzip_bomb_is_not_unpacked_past_the_bound(
    stub: Callable[..., Stub], monkeypatch: pytest.MonkeyPatch, status: int, raised: type
) -> None:
    """Before, the whole answer was unpacked into memory (``response.content``), the error
    branch's too: a 1 MB bomb to /v1/health took 3.1 GiB. The bound is made small here so
    that the test needs little memory; the answer's bound itself is checked below."""
    monkeypatch.setattr(client_module, "MAX_ANSWER_BYTES", 1 * MiB, raising=False)
    server = stub(
        lambda h: send(h, status, BOMB, Content_Type="application/json", Content_Encoding="gzip")
    )
    client = ServerClient(server.url)
    error, peak = peak_while(client.health)
    client.close()
    assert isinstance(error, raised), error
    if status == 200:
        assert isinstance(error, BadAnswer) and error.kind == "too_large"
        assert f"{1 * MiB:,} bytes" in str(error)
    assert peak < 8 * MiB, f"{peak / MiB:.0f} MiB held for an answer bound to 1 MiB"


def test_an_answer_within_the_bound_is_read_whole_gzipped_or_not(
    stub: Callable[..., Stub], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "MAX_ANSWER_BYTES", 1 * MiB, raising=False)
    answer = {"server_key": "ab" * 32, "pad": "x" * (MiB - 100)}
    body = json.dumps(answer, separators=(",", ":")).encode()
    assert len(body) <= MiB
    packed = stub(lambda h: send(h, 200, gzip.compress(body), Content_Encoding="gzip"))
    plain = stub(lambda h: send(h, 200, body))
    for server in (packed, plain):
        client = ServerClient(server.url)
        assert client.health() == answer
        client.close()
    one_more = json.dumps({**answer, "pad": answer["pad"] + "x" * (MiB - len(body) + 1)})
    over = stub(lambda h: send(h, 200, one_more.encode()))
    client = ServerClient(over.url)
    with pytest.raises(BadAnswer, match="over"):
        client.health()
    client.close()


GOOD = b'{"server_key": "x"}'
PACKED = gzip.compress(GOOD)


@pytest.mark.parametrize(
    ("body", "encoding", "said"),
    [
        (PACKED[:-12], "gzip", "cut short"),
        (PACKED + b"more", "gzip", "after its gzip stream ends"),
        (GOOD, "gzip", "not the gzip"),
        (GOOD, "br", "not asked for"),
    ],
    ids=["cut-short", "trailing", "not-gzip", "other-encoding"],
)
def test_an_answer_packed_otherwise_than_it_says_is_a_bad_answer(
    stub: Callable[..., Stub], body: bytes, encoding: str, said: str
) -> None:
    server = stub(lambda h: send(h, 200, body, Content_Encoding=encoding))
    client = ServerClient(server.url)
    with pytest.raises(BadAnswer, match=said):
        client.health()
    client.close()


def test_the_bound_fits_what_the_server_may_send() -> None:
    """The server takes a push of at most MAX_INFLATED unpacked, so no record it holds is
    larger; an answer may be as large as that, and then some for its head and proofs."""
    from recap_server.app import MAX_INFLATED

    assert client_module.MAX_ANSWER_BYTES > MAX_INFLATED


def test_a_package_or_photo_bomb_is_refused_at_its_own_bound(
    stub: Callable[..., Stub], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The streamed downloads keep their own bounds, through the same reader."""
    monkeypatch.setattr(client_module, "MAX_PACKAGE_BYTES", 1 * MiB)
    monkeypatch.setattr(client_module, "MAX_PHOTO_BYTES", 1 * MiB)
    server = stub(lambda h: send(h, 200, BOMB, Content_Encoding="gzip"))
    client = ServerClient(server.url)
    for call in (lambda: client.package_by_hash("ab" * 32), lambda: client.get_photo("ab" * 32)):
        error, peak = peak_while(call)
        assert isinstance(error, BadAnswer) and error.kind == "too_large", error
        assert peak < 8 * MiB
    client.close()


# -- 2. a request ends by its deadline, however slowly the server sends --------------------


def dribble(what: str, seconds: float) -> Handler:
    """A server that sends its answer a byte at a time, each well within the read timeout,
    for ``seconds`` in all: the status line and headers (``head``) or the body (``body``)."""
    body = b'{"server_key":"' + b"a" * 64 + b'"}'

    def answer(h: http.server.BaseHTTPRequestHandler) -> None:
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        whole = head + body
        slow = whole if what == "head" else body
        if what == "body":
            h.wfile.write(head)
        step = seconds / len(slow)
        for i in range(len(slow)):
            time.sleep(step)
            h.wfile.write(slow[i : i + 1])
            h.wfile.flush()

    return answer


@pytest.mark.parametrize("what", ["head", "body"])
def test_a_dribbling_server_is_cut_at_the_request_deadline(
    stub: Callable[..., Stub], monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    """Before, the read timeout bounded each read only: a byte every 1.5 s kept a request
    with a 2 s timeout alive 12 s, and `recap sync` could wait for ever."""
    monkeypatch.setattr(client_module, "REQUEST_DEADLINE", 1.5, raising=False)
    server = stub(dribble(what, seconds=6.0))
    client = ServerClient(server.url, read_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(Unreachable) as cut:
        client.health()
    took = time.monotonic() - started
    client.close()
    assert cut.value.kind == "too_slow" and cut.value.transient
    assert "1.5 s" in str(cut.value)
    assert took < 4.0, f"cut after {took:.1f} s"


def test_cancelling_still_cuts_a_request_at_once(stub: Callable[..., Stub]) -> None:
    """The window's cancel (``abort``, from another thread) does not wait for the deadline."""
    server = stub(dribble("body", seconds=20.0))
    client = ServerClient(server.url, read_timeout=5.0)
    raised: list[BaseException] = []

    def ask() -> None:
        try:
            client.health()
        except SyncError as exc:
            raised.append(exc)

    asking = threading.Thread(target=ask)
    asking.start()
    time.sleep(0.5)
    started = time.monotonic()
    client.abort()
    asking.join(5)
    assert not asking.is_alive() and time.monotonic() - started < 2.0
    assert isinstance(raised[0], Unreachable) and raised[0].kind == "connection"
    client.close()


# -- 3. a redirect is never followed ---------------------------------------------------------


def tls_context(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    from tests.test_server_edge import make_ca

    cafile, certfile, keyfile = make_ca(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    return context, cafile


CALLS: dict[str, Callable[[ServerClient], Any]] = {
    "push": lambda c: c.push([]),
    "health": lambda c: c.health(),
    "package": lambda c: c.package_by_hash("ab" * 32),
    "photo": lambda c: c.get_photo("ab" * 32),
}


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_refused_and_nothing_is_sent_where_it_points(
    stub: Callable[..., Stub], tmp_path: Path, call: str, status: int
) -> None:
    """Before, an https:// server's 307 to plain http:// elsewhere made the laptop send the
    push's body and its push token there in clear (requests follows redirects)."""
    elsewhere = stub(lambda h: send(h, 200, b'{"server_key": "x", "records": []}'))
    where = f"{elsewhere.url}/steal"
    context, cafile = tls_context(tmp_path)
    server = stub(lambda h: send(h, status, b"", Location=where), tls=context)
    client = ServerClient(server.url, ca_file=str(cafile), token="SECRET-PUSH-TOKEN")
    with pytest.raises(SyncError) as refused:
        CALLS[call](client)
    client.close()
    assert elsewhere.asked == []
    assert refused.value.kind == "redirect" and not refused.value.transient
    assert where in str(refused.value) and f"HTTP {status}" in str(refused.value)
    assert refused.value.params == {"location": where}
