"""The server's edge: what a hostile or merely slow client can cost it, bounded.

Uvicorn times out only idle keep-alive connections, and only until the next byte: a client
that dribbles a header a byte at a time keeps its connection (and a descriptor) forever, and
``limit_concurrency`` answers 503 only once a whole request has arrived, so idle connections
beyond it still pile up until the process runs out of descriptors. Uvicorn has no setting for
either, so this module adds a small subclass of its httptools protocol (our own code, because
no well-kept library does this inside uvicorn):

- a **header deadline**: a request's line and headers must arrive within ``header_timeout``
  of the connection opening (or of the previous answer);
- a **body deadline**: its body within ``body_timeout`` of its headers;
- a **head limit**: a request's line and headers are at most ``max_header_bytes``, and so
  are a chunked body's trailers (uvicorn adds them to the request's headers, without bound);
- **one request at a time**: pipelined requests are fed to httptools one by one, reading
  paused while one is answered (uvicorn parses and queues every request a read brings,
  without bound: one connection could take gigabytes);
- a **half-close** answered: a client that sends its requests and shuts its side for
  writing gets every answer, then the connection closes (RFC 9112 §9.6; uvicorn closed at
  once, losing the answers not yet written). Not over TLS, which has no half-close: its
  close_notify ends the connection whatever the protocol answers (asyncio and uvloop both
  say so, with a warning logged each time, if asked to keep it);
- a **write deadline**: a client must take some of an answer waiting for it every
  ``write_timeout`` (as nginx's ``send_timeout``), else the connection is aborted;
- a **connection limit**: at the limit, a new connection replaces the one that has waited
  longest without a complete request (so a crowd of idle or slow connections cannot keep
  ``/v1/health`` or a laptop out); if every connection is busy, the newcomer gets a 503 with
  ``Retry-After`` and is closed at once;
- **TLS begun by the edge** (``EdgeConfig``): an HTTPS connection is counted and timed from
  its accept, its handshake within the header deadline, not from the handshake's end.

The protocol is uvicorn's C-backed one (httptools parses, uvloop runs the event loop where it
is installed, asyncio's loop otherwise): under a national surge the event loop is what bounds
``/v1/health`` (docs/PERFORMANCE.md), and h11 parses in pure Python.

The descriptor limit is raised to its hard limit on start and the connection limit kept below
it, so ``accept`` never fails with "Too many open files".
"""

from __future__ import annotations

import asyncio
import asyncio.sslproto
import functools
import resource
import socket
import ssl
import struct
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

try:  # the kernel's unsent bytes of a socket (Linux: SIOCOUTQ, the same number as TIOCOUTQ)
    import fcntl
    import termios

    _OUTQ: int | None = termios.TIOCOUTQ if hasattr(termios, "TIOCOUTQ") else None
except ImportError:  # Windows
    _OUTQ = None

# uvloop where it is installed (not on Windows), else asyncio's own loop: uvicorn's "auto".
LOOP = "auto"
RESERVED_FDS = 64  # the database, the log, the thread pool's files: never given to sockets
# An answer given before the body was read (413, 401, 429): closing at once, with the body's
# bytes still arriving, makes the kernel reset the connection, and a reset can reach the client
# before it has read the answer, so the laptop sees "connection reset" instead of 429 and
# Retry-After. So, as Apache and nginx do ("lingering close"), the server shuts its side for
# writing and reads and drops what still comes, for at most this long and this much.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024


@dataclass(frozen=True)
class EdgeLimits:
    """The edge's settings (PROTOCOL §9.9 says which a laptop sees)."""

    header_timeout: float = 10.0  # seconds for a request's line and headers
    body_timeout: float = 60.0  # seconds for its body (16 MiB at 280 KB/s)
    keep_alive: float = 5.0  # seconds an idle connection is kept between requests
    max_connections: int = 1000  # open connections
    retry_after: int = 5  # seconds, in the 503 of a connection refused at the limit
    max_header_bytes: int = 16 * 1024  # a request's line, headers and trailers
    write_timeout: float = 60.0  # seconds a client may take none of its answer


def raise_fd_limit() -> int:
    """Raise the soft descriptor limit to the hard one; return the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass  # a container may refuse: keep the soft limit, and stay below it
    return int(soft)


def sizes(wanted: int) -> tuple[int, int]:
    """The connection limit (``wanted``, or fewer) and the listen backlog, within the
    descriptor limit: asyncio accepts up to a backlog of connections in one go, and a few
    such batches may be open before the first is looked at (and the excess closed), so the
    limit leaves room for four backlogs."""
    room = raise_fd_limit() - RESERVED_FDS
    backlog = min(2048, max(8, room // 8))
    return max(1, min(wanted, room - 4 * backlog)), backlog


class GuardedProtocol(HttpToolsProtocol):
    """Uvicorn's httptools protocol with header and body deadlines, a bound on a request's
    line, headers and trailers, one request read at a time, a connection limit and a
    lingering close.

    The request's progress is followed through httptools' callbacks, in ``_request``:
    "idle" until its headers are complete (and again once it is answered), "body" until its
    body is, "done" until it is answered. What a read brings is kept in ``_buffer`` and fed to
    httptools a piece at a time, each piece ending where a request can end, and nothing more
    is fed while a request is "done" (reading is paused instead): so, as with h11, a
    connection holds one request and a read or two ahead, however fast it pipelines
    (uvicorn would parse and queue every request of a read, without bound), and every piece
    belongs to one request, whose head and trailers are counted exactly."""

    limits: ClassVar[EdgeLimits] = EdgeLimits()

    _deadline: asyncio.TimerHandle | None = None
    _phase = "header"
    _since = 0.0
    _lingered = 0
    _request = "idle"
    _buffer: bytearray
    _paused = False  # reading paused by the edge while a request is answered
    _outside = 0  # bytes of this request's line and headers fed so far
    _tail = 0  # bytes of a chunked body fed since its last byte of data: its trailers
    _body_left: int | None = None  # of a Content-Length body; None when chunked
    _body_bytes = 0  # body bytes httptools gave so far (all requests)
    _stall: asyncio.TimerHandle | None = None
    _unsent = 0  # the write buffer when the write deadline was armed
    _eof = False  # the client shut its side for writing: answer what it sent, then close
    _handshake: asyncio.Future[Any] | None = None  # an HTTPS connection's TLS handshake
    _secure = False  # and it ended: HTTP runs over TLS
    _tcp: asyncio.Transport | None = None  # under TLS, the connection itself

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        tls = getattr(self.config, "edge_tls", None)
        if tls is not None and self._handshake is None:
            self._begin_tls(transport, tls)
            return
        super().connection_made(transport)
        if self._handshake is not None:  # the TLS layer, its handshake ended: HTTP begins
            self._secure = True  # the deadline armed at the accept still runs
        elif self._taken(transport, plain=True):
            self._arm("header", self.limits.header_timeout)

    def _taken(self, transport: asyncio.Transport, *, plain: bool) -> bool:
        """Count the connection under the limit, or refuse it (503, or a plain close before a
        TLS handshake, which has no way to say why)."""
        self._buffer = bytearray()
        _no_delay(transport)
        self._since = time.monotonic()
        if len(self.connections) <= self.limits.max_connections or self._evict_one():
            return True
        self.connections.discard(self)
        if plain:
            transport.write(
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: "
                + str(self.limits.retry_after).encode()
                + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
        transport.close()
        return False

    def _begin_tls(self, tcp: asyncio.Transport, context: ssl.SSLContext) -> None:
        """An HTTPS connection, taken from its first byte (``EdgeConfig``): counted under
        the connection limit and evictable at once, its handshake and then its request's
        head both within ``header_timeout`` of the accept. The loop's own TLS layer is put
        under this protocol here, as ``loop.start_tls`` does, but at once: uvloop starts
        reading as ``connection_made`` returns, and the first bytes of a handshake must not
        reach HTTP. Once the handshake has ended the layer calls ``connection_made`` with
        its transport, and HTTP begins."""
        self.transport = self._tcp = tcp
        self.connections.add(self)
        if not self._taken(tcp, plain=False):
            return
        self._arm("header", self.limits.header_timeout)
        self._handshake = self.loop.create_future()
        layer = _tls_layer(self.loop)(
            self.loop,
            self,
            context,
            self._handshake,
            server_side=True,
            ssl_handshake_timeout=self.limits.header_timeout,
        )
        tcp.set_protocol(layer)
        layer.connection_made(tcp)
        self._handshake.add_done_callback(self._shaken)

    def _shaken(self, handshake: asyncio.Future[Any]) -> None:
        """The handshake's end: HTTP began (``connection_made``), or the connection failed,
        timed out, was cut by the deadline or replaced before it did, and is let go."""
        failed = handshake.cancelled() or handshake.exception() is not None
        if self._secure and not failed:
            return
        self._disarm()
        self._phase = "gone"
        self.connections.discard(self)
        if not self.transport.is_closing():
            self.transport.abort()

    def _evict_one(self) -> bool:
        """Close the connection that has waited longest for a complete request, if any."""
        waiting = [
            c
            for c in self.connections
            if isinstance(c, GuardedProtocol) and c is not self and c._phase == "header"
        ]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c._since)
        oldest._close("evicted")
        return True

    def _arm(self, phase: str, seconds: float) -> None:
        self._disarm()
        self._phase = phase
        self._since = time.monotonic()
        self._deadline = self.loop.call_later(seconds, self._close, phase)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _close(self, why: str) -> None:
        """Too slow (or evicted): cut the connection; a request being answered is not cut.
        Over TLS, one still in its handshake, or with nothing left to send, is aborted:
        ``close`` would send close_notify and wait up to 30 s (the TLS layer's shutdown
        bound) for the client's, its place held and not evictable meanwhile."""
        self._disarm()
        self._phase = "closed"
        if self.cycle is not None and not self.cycle.response_complete and why != "body":
            return
        if self._handshake is not None and (not self._secure or self._queued() == 0):
            self.transport.abort()
            return
        if not self.transport.is_closing():
            self.transport.close()
        self._watch_writes()  # close waits for the write buffer: it must drain

    def data_received(self, data: bytes) -> None:
        if self._phase == "lingering":
            self._lingered += len(data)
            if self._lingered > LINGER_BYTES:
                self._disarm()
                self.transport.abort()  # the answer went long ago: free the descriptor now
            return  # dropped: the request was answered already
        self._unset_keepalive_if_required()
        self._buffer += data
        self._pump()

    def _pump(self) -> None:
        """Feed httptools what is buffered, a piece at a time (``_piece``), until a request
        is complete; then pause reading until it is answered."""
        limit = self.limits.max_header_bytes
        while self._buffer and self._request != "done" and not self.transport.is_closing():
            size = self._piece()
            if size <= 0:
                break  # a few bytes that may end a request: wait for what follows them
            head = self._request == "idle"
            chunked = self._request == "body" and self._body_left is None
            if head and self._outside + size > limit:
                # httptools has no bound on a request's line and headers (h11 had one): it
                # keeps an unfinished header in its own buffer. A head that has not ended
                # within ``max_header_bytes`` is answered 400, as uvicorn answers any
                # malformed request, before httptools holds it.
                self._refuse(limit)
                return
            piece = bytes(self._buffer[:size])
            del self._buffer[:size]
            body = self._body_bytes
            super().data_received(piece)
            if self.transport.is_closing() or self.transport.get_protocol() is not self:
                self._buffer.clear()
                break  # answered 400 (malformed), gone, or upgraded
            if self._request == "idle":
                self._outside += size
            elif chunked and self._request == "body":
                # After the last chunk come trailers (header lines, which uvicorn appends to
                # the request's headers, without bound): what is fed without a byte of body
                # counts toward the limit as a head does; a byte of body starts it again.
                self._tail = self._tail + size if self._body_bytes == body else 0
                if self._tail > limit:
                    self._refuse(limit)
                    return
        if self._buffer and self._request == "done":
            # The client's own TCP window now holds what it pipelines. Again on every read:
            # uvicorn resumes reading when the application asks for the body.
            self._paused = True
            self.transport.pause_reading()
        self._follow()

    def _piece(self) -> int:
        """How much of the buffer to feed next: never past the end of the current request.

        A Content-Length body ends where its length says. A head, and a chunked body, end
        with CRLF CRLF, so a piece ends with the first of those in the buffer (or, if there
        is none, three bytes short of the buffer's end, which may begin one). In a chunked
        body a piece also ends before CRLF "0", which may begin the last chunk, so that the
        trailers after it begin a piece of their own (and are counted); and at most the
        bytes the limit still allows, so httptools never holds more of them."""
        buf = self._buffer
        if self._request == "body" and self._body_left is not None:
            return min(len(buf), self._body_left)
        allowed = self.limits.max_header_bytes + 1
        allowed -= self._outside if self._request == "idle" else self._tail
        window = min(len(buf), allowed + 3)
        end = buf.find(b"\r\n\r\n", 0, window)
        size = window - 3 if end < 0 else end + 4
        if self._request == "body":
            last = buf.find(b"\r\n0", 1, size + 2)
            if last > 0:
                size = last
        return size

    def _refuse(self, limit: int) -> None:
        self.logger.warning("Request line and headers, or trailers, over %d bytes.", limit)
        self._buffer.clear()
        self.send_400_response("Invalid HTTP request received.")
        self._follow()

    def eof_received(self) -> bool | None:  # type: ignore[override]  # asyncio allows True
        """The client will send nothing more, and may still read. A request being answered
        keeps the connection open for its answer (``on_response_complete`` closes it once
        nothing complete is left); otherwise none can complete: close, as uvicorn does.
        (Reading is paused while requests wait in ``_buffer``, so the end is read only
        once the last of them is being answered.)"""
        self._eof = True
        if self._request != "done" or self.transport.get_extra_info("ssl_object") is not None:
            return None
        return True

    def on_headers_complete(self) -> None:
        self._request, self._tail, self._body_left = "body", 0, None
        for name, value in self.headers:
            if name == b"content-length":  # one, all digits: httptools refuses others
                self._body_left = int(value)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_left is not None:
            self._body_left -= len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._request = "done"
        super().on_message_complete()

    def on_response_complete(self) -> None:
        if self._request == "body" and not self.transport.is_closing():
            # Answered before the body was read (413, 401, 429): the rest is not wanted, and
            # reading it to keep the connection would let the sender push it all anyway. A
            # bounded lingering close (LINGER_*) lets the client read the answer first.
            self.server_state.total_requests += 1
            self._disarm()
            self._unset_keepalive_if_required()
            self._phase, self._lingered = "lingering", 0
            self._buffer.clear()
            if self.transport.can_write_eof():
                self.transport.write_eof()  # sent once the answer is flushed
            self.transport.resume_reading()
            # abort, not close: close would wait for a write buffer a client that never
            # reads keeps full, holding the descriptor.
            self._deadline = self.loop.call_later(LINGER_SECONDS, self.transport.abort)
            return
        super().on_response_complete()
        self._request, self._outside = "idle", 0
        if self.transport.is_closing():
            self._watch_writes()
            return
        self._arm("header", self.limits.header_timeout)
        if self._paused:
            self._paused = False
            self.transport.resume_reading()
        self._pump()  # the next request, if it came while this one was answered
        if self._eof and self._request != "done":
            self._close("end")  # the client sent all it will: what it sent is answered

    def _follow(self) -> None:
        """Move the deadline along with the request: headers done, then body done."""
        if self.transport.is_closing():
            self._disarm()
            self._watch_writes()  # an answer (a 400) may wait to be sent
            return
        if self._request == "body" and self._phase == "header":
            self._arm("body", self.limits.body_timeout)
        elif self._request == "done" and self._phase != "done":
            self._disarm()
            self._phase = "done"

    def timeout_keep_alive_handler(self) -> None:
        super().timeout_keep_alive_handler()
        self._watch_writes()

    def pause_writing(self) -> None:
        super().pause_writing()
        self._watch_writes()

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None

    def _watch_writes(self) -> None:
        """A write deadline, as nginx's ``send_timeout``: while answers wait to be sent (the
        write buffer over its high-water mark, or a connection closing with bytes unsent),
        the client must take some of them every ``write_timeout``, or the connection is
        aborted. Otherwise a client that never reads would hold its connection (and its
        place under the connection limit) for ever: ``close`` waits for the buffer to
        drain, and no other deadline runs while a request is answered."""
        if self._stall is not None or self.transport.get_write_buffer_size() == 0:
            return
        self._unsent = self._queued()
        self._stall = self.loop.call_later(self.limits.write_timeout, self._stalled)

    def _queued(self) -> int:
        """Bytes of answers not yet taken by the client: the transport's buffer and the
        kernel's send queue. The buffer alone can stand still for long while a slow client
        reads steadily (the kernel's queue, megabytes, drains first, and the buffer moves only
        once a third of it is free): a laptop on a poor link would be cut mid-package."""
        queued = self.transport.get_write_buffer_size()
        if self._tcp is not None:  # over TLS: what the TLS layer passed on, not yet sent
            queued += self._tcp.get_write_buffer_size()
        sock = self.transport.get_extra_info("socket")
        if _OUTQ is not None and sock is not None:
            try:
                queued += struct.unpack("i", fcntl.ioctl(sock.fileno(), _OUTQ, b"\0" * 4))[0]
            except (OSError, ValueError):
                pass  # no such ioctl here: the buffer alone, as nginx's send_timeout
        return queued

    def _stalled(self) -> None:
        self._stall = None
        if self._phase == "gone":
            return
        unsent = self.transport.get_write_buffer_size()
        if unsent and self._queued() >= self._unsent:
            self.logger.warning(
                "Client took none of its answer in %s s.", self.limits.write_timeout
            )
            self.transport.abort()
        else:
            self._watch_writes()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None
        self._phase = "gone"
        self._buffer = bytearray()
        super().connection_lost(exc)


def _tls_layer(loop: asyncio.AbstractEventLoop) -> Any:
    """The TLS protocol class of ``loop``: uvloop's own, or asyncio's (both are what their
    ``start_tls`` uses, with the same constructor)."""
    uvloop = _uvloop()
    if uvloop is not None and isinstance(loop, uvloop.Loop):
        return uvloop.loop.SSLProtocol
    return asyncio.sslproto.SSLProtocol


@functools.cache
def _uvloop() -> Any:
    """uvloop, imported once, or None where it is not installed (Windows)."""
    try:
        import uvloop.loop
    except ImportError:
        return None
    return uvloop


def _no_delay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off on an accepted TCP connection. asyncio does it only when
    the socket says IPPROTO_TCP, and ``--workers N`` serves a socket uvicorn bound itself
    with proto 0 (uvicorn issue 3149): an answer's body then waited for the client's delayed
    ACK of its headers, 40 ms on Linux, on every keep-alive request (an empty pull took 44 ms
    with two workers on either database, 2 ms with one)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # closed by the peer already: nothing to answer


def worker_limits(limits: EdgeLimits) -> None:
    """In a worker process of ``recap-server --workers N``: guard its connections with
    ``limits`` (the parent's flags). uvicorn hands its workers the protocol class by reference
    (a class made at run time would not reach them), so each worker sets the limits of the
    class it imported, once, at its start, before it accepts a connection. The connection
    limit is per worker, within the worker's own descriptor limit."""
    limit, _ = sizes(limits.max_connections)
    GuardedProtocol.limits = EdgeLimits(**{**limits.__dict__, "max_connections": limit})


class EdgeConfig(uvicorn.Config):
    """uvicorn's configuration, with HTTPS begun by the guarded protocol on each accepted
    connection (``GuardedProtocol._begin_tls``) rather than by the listening socket. Given
    the context there, asyncio and uvloop run the TLS handshake before the protocol hears of
    the connection, for up to 60 s (their bound): uncounted under the connection limit, past
    the header deadline, and not evictable, so a crowd of connections that never finished a
    handshake could use up the descriptors. Served by ``serve``, whose banner still says
    https (uvicorn's own would say http: it asks the context the socket was given)."""

    edge_tls: ssl.SSLContext | None = None

    def load(self) -> None:
        super().load()
        self.edge_tls, self.ssl = self.ssl, None  # made in each process, from the files


class _Server(uvicorn.Server):
    """uvicorn's server, whose banner names the scheme of the context the edge was given
    (uvicorn's asks the listening socket's, which ``EdgeConfig`` leaves without one)."""

    def _log_started_message(self, listeners: Any) -> None:
        config: Any = self.config
        config.ssl = getattr(config, "edge_tls", None)
        try:
            super()._log_started_message(listeners)
        finally:
            config.ssl = None


def serve(config: EdgeConfig) -> None:
    """Serve ``config``: in this process, or in ``config.workers`` processes on one socket
    bound here, as ``uvicorn.run`` does for workers."""
    if config.is_ssl:  # read once, here: a worker that could not was started again for ever
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
                str(config.ssl_certfile), config.ssl_keyfile, config.ssl_keyfile_password
            )
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"cannot read the TLS certificate {config.ssl_certfile} or its key"
                f" {config.ssl_keyfile} ({exc}): give --certfile the certificate chain and"
                " --keyfile its private key, both PEM files"
            ) from exc
    if config.workers == 1:
        _Server(config).run()
        return
    from uvicorn.supervisors import Multiprocess

    sock = config.bind_socket()  # its banner names the scheme of the certificate given
    try:
        Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:  # as uvicorn.run: the workers were told to stop
        pass


def uvicorn_config(
    app: Any, host: str, port: int, limits: EdgeLimits, access_log: bool = True, **tls: Any
) -> EdgeConfig:
    """A uvicorn configuration with the guarded protocol and these limits; ``access_log``:
    uvicorn's line a request (``--no-access-log``)."""
    limit, backlog = sizes(limits.max_connections)
    guarded = type(
        "Guarded",
        (GuardedProtocol,),
        {"limits": EdgeLimits(**{**limits.__dict__, "max_connections": limit})},
    )
    return EdgeConfig(
        app,
        host=host,
        port=port,
        http=guarded,
        timeout_keep_alive=int(limits.keep_alive),
        loop=LOOP,
        backlog=backlog,
        access_log=access_log,
        **tls,
    )
