"""HTTP to the central server (requests): every call has a timeout and a deadline, every
answer a bound on its size, no redirect is followed; failures have a kind."""

from __future__ import annotations

import gzip
import ipaddress
import json
import socket
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from recap_desktop.crypto.canonical import CanonicalError, parse_json
from recap_desktop.protocol.admit import Fork
from recap_desktop.protocol.photos import MAX_PHOTO_BYTES
from recap_desktop.protocol.pushauth import HEADER as TOKEN_HEADER
from recap_desktop.protocol.wire import (
    BATCH_FORMAT,
    MAX_RETRY_AFTER,
    PushAnswer,
    WireError,
    batch_bytes,
    parse_push_answer,
)

__all__ = [
    "BATCH_FORMAT",
    "BadAnswer",
    "Insecure",
    "NotHeld",
    "Redirected",
    "Refused",
    "ServerClient",
    "SyncError",
    "TooLarge",
    "TooSlow",
    "Unreachable",
    "Untrusted",
    "is_loopback",
]
USER_AGENT = "recap-desktop-sync/1"
MAX_AUTHORITY_FETCH = 1000  # hashes per POST /v1/authority/records (PROTOCOL §9.5)
# A package file, unpacked: a national one (~820,000 stations) is ~100 MB; room for 2.5x.
MAX_PACKAGE_BYTES = 256 * 1024 * 1024
# Any other answer, unpacked (PROTOCOL §9.6). The server unpacks at most 64 MiB of a request
# (a push), so no record it holds is larger; 1 MiB more for what an answer carries around
# one (its index, the head, proofs). A sync's answers are a few MB at most (a pull page of
# 500 sheets is under 1 MB, a push's answer with its receipt and proofs about as much):
# past the bound an answer (a gzip bomb: 1 MB on the wire, 1 GiB unpacked) is refused as it
# streams in, before it fills the laptop's memory.
MAX_ANSWER_BYTES = 65 * 1024 * 1024
# The auditor's pages of the whole log carry packages' bodies; /v1/totals lists every region
# of the election (~60 MB for a contest of 39 fields at 820,000 stations).
MAX_AUDIT_BYTES = MAX_PACKAGE_BYTES + MAX_ANSWER_BYTES
# Of an error's answer only its first words are shown: no more is read.
MAX_ERROR_BYTES = 64 * 1024
# Every request ends within this many seconds, whatever the server does (PROTOCOL §9.6): the
# connect and read timeouts bound each wait for a byte, so a server that sends one byte
# within each would hold a request, and `recap sync`, for ever. Five minutes is a whole
# photo (10 MiB) at 280 kbit/s; a longer read timeout (``recap sync --timeout``) lengthens it.
REQUEST_DEADLINE = 300.0
# A package by hash and the auditor's pages: an hour (a national package, ~100 MB unpacked
# and less on the wire, at 230 kbit/s).
DOWNLOAD_DEADLINE = 3600.0
_CHUNK = 64 * 1024  # bytes read from the connection at a time


class SyncError(Exception):
    """A failure with a ``kind`` the status bar and the CLI can show.

    ``transient`` failures (timeouts, cut connections, 5xx, answers that do not parse) are
    retried with backoff; the others need a person. ``params``: what the kind's message in
    the reader's language names (``messages.py``).
    """

    kind = "error"
    transient = False

    def __init__(self, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        self.params: dict[str, str] = {}


class Unreachable(SyncError):
    kind = "connection"
    transient = True

    def __init__(
        self, message: str, kind: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, kind)
        self.retry_after = retry_after  # what the server asked for (429/503 Retry-After)


class Untrusted(SyncError):
    """The https:// server's certificate does not verify: retrying will not change that."""

    kind = "tls"


def _untrusted(exc: Exception) -> Untrusted:
    return Untrusted(
        f"the server's TLS certificate is not trusted ({exc}): if the server uses its own"
        " certificate authority, give its CA file (recap sync --ca-file FILE)"
    )


class Insecure(SyncError):
    """Plain http:// to a server that is not this machine: records and the push token
    would cross the network readable and changeable by anyone on the way."""

    kind = "insecure"


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (RFC 9110 allows a date too; this server sends seconds, and
    a date or nonsense falls back to the backoff)."""
    if value is None or not value.strip().isdigit():
        return None
    return min(float(value.strip()), MAX_RETRY_AFTER)


class TooSlow(Unreachable):
    """The answer did not come whole by the request's deadline, however steadily its bytes
    came: the connection is cut."""

    kind = "too_slow"

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the server's answer did not come whole within {seconds:g} s, the most a request"
            " may take: the connection was cut"
        )


class BadAnswer(SyncError):
    """The server answered something this client cannot trust: retried, never stored."""

    kind = "bad_answer"
    transient = True


class TooLarge(BadAnswer):
    """An answer that unpacks to more than its bound: not read further."""

    kind = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the server's answer is over {limit:,} bytes unpacked, the most this program"
            " reads of it: it was not read further"
        )


class Refused(SyncError):
    """The server said no to the request itself (4xx): retrying the same will not help."""

    kind = "protocol"


class NotHeld(Refused):
    """The server answered 404: it says it does not hold what was asked (a proof, a record)."""


class Redirected(Refused):
    """The server answered a redirect (3xx), which is never followed: the body and the push
    token would go wherever it points, plain http:// to another machine too."""

    kind = "redirect"

    def __init__(self, url: str, status: int, location: str) -> None:
        super().__init__(
            f"the server at {url} answered HTTP {status}, sending this laptop to {location}:"
            " a redirect is never followed (the records and the push token would go there);"
            " set the server's own address"
        )
        self.params = {"location": location}


def _location(headers: Any) -> str:
    """Where a redirect points, as printable text of at most 200 characters."""
    where = str(headers.get("Location") or "")
    return "".join(c for c in where if c.isprintable())[:200] or "(nowhere)"


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # closed already


class _Request:
    """One request in flight: the connections it uses, cut when its deadline passes (by a
    timer) or when every request is aborted; ``expired`` and ``aborted`` say why."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = self.aborted = False
        self._done = False
        self._handles: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut, kwargs={"expired": True})
        self._timer.daemon = True

    def use(self, handle: socket.socket) -> None:
        with self._lock:
            self._handles.append(handle)
            cut = self.expired or self.aborted
        if cut:
            _shut(handle)

    def _cut(self, *, expired: bool = False) -> None:
        with self._lock:
            if self._done:
                return  # over: its connection may serve the next request now
            if expired:
                self.expired = True
            else:
                self.aborted = True
            handles = list(self._handles)
        for handle in handles:
            _shut(handle)

    def abort(self) -> None:
        self._cut()

    def __enter__(self) -> _Request:
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()


class _Watched(HTTPConnection):
    """A connection its adapter can cut from another thread, from its first byte on: it
    keeps a handle on its socket (a duplicate, as TLS detaches the socket it wraps), which
    the request using it is told of."""

    adapter: _AbortableAdapter
    _handle: socket.socket | None = None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._handle = self.adapter.opened(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self._handle is not None and self.sock is not None:  # kept alive from before
            self.adapter.using(self._handle)
        super().request(*args, **kwargs)

    def close(self) -> None:
        super().close()
        if self._handle is not None:
            self.adapter.closed(self._handle)
            self._handle = None


class _AbortableAdapter(HTTPAdapter):
    """Knows the connections it opened and the request each thread has in flight, so that a
    request can be cut at its deadline (``request``) and every one at once (``abort``).

    The timeouts bound each wait for a byte; the deadline bounds the request; ``abort`` is
    for "stop now" (the window closing), so that cancelling never waits for either.
    """

    def __init__(self) -> None:
        self._handles: set[socket.socket] = set()
        self._requests: set[_Request] = set()
        self._lock = threading.Lock()
        self._local = threading.local()
        super().__init__()

    def opened(self, sock: socket.socket) -> socket.socket:
        handle = sock.dup()
        with self._lock:
            self._handles.add(handle)
        self.using(handle)
        return handle

    def using(self, handle: socket.socket) -> None:
        request: _Request | None = getattr(self._local, "request", None)
        if request is not None:
            request.use(handle)

    def closed(self, handle: socket.socket) -> None:
        with self._lock:
            self._handles.discard(handle)
        handle.close()

    @contextmanager
    def request(self, seconds: float) -> Iterator[_Request]:
        """The request this thread makes now, cut if it is not over within ``seconds``."""
        with _Request(seconds) as request:
            self._local.request = request
            with self._lock:
                self._requests.add(request)
            try:
                yield request
            finally:
                self._local.request = None
                with self._lock:
                    self._requests.discard(request)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        adapter = self

        class Conn(_Watched):
            pass

        class TlsConn(_Watched, HTTPSConnection):
            pass

        Conn.adapter = TlsConn.adapter = adapter

        class Pool(HTTPConnectionPool):
            ConnectionCls = Conn

        class TlsPool(HTTPSConnectionPool):
            ConnectionCls = TlsConn

        self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TlsPool}

    def abort(self) -> None:
        with self._lock:
            requests_, handles = list(self._requests), list(self._handles)
        for request in requests_:
            request.abort()
        for handle in handles:
            _shut(handle)


def _failure(exc: Exception | None, request: _Request) -> SyncError:
    """What a request's network error was: its deadline or an abort cut it, a timeout, a
    certificate that does not verify, or a connection that failed."""
    if request.expired:
        return TooSlow(request.seconds)
    if request.aborted:
        return Unreachable("the request was cancelled: its connection was cut")
    if isinstance(exc, (requests.Timeout, Urllib3Timeout, socket.timeout)):
        return Unreachable(f"the server did not answer in time ({exc})", "timeout")
    if isinstance(exc, requests.exceptions.SSLError):
        return _untrusted(exc)
    return Unreachable(f"could not reach the server: {exc}")


def _read(response: requests.Response, limit: int, *, cut_short: bool = False) -> bytes:
    """An answer's body as it streams in, unpacked (gzip, or as it is: all a request asks
    for), at most ``limit`` bytes: past it TooLarge is raised, or with ``cut_short`` the
    first ``limit`` bytes are returned (the first words of an error) and no more is read."""
    encoding = str(response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise BadAnswer(f"the answer is packed as {encoding[:40]!r}, which was not asked for")
    unpack = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding != "identity" else None
    parts: list[bytes] = []
    size = 0
    try:
        while wire := response.raw.read(_CHUNK, decode_content=False):
            while wire:
                if unpack is None:
                    piece, wire = wire[: limit - size + 1], b""
                else:
                    piece = unpack.decompress(wire, limit - size + 1)
                    wire = unpack.unconsumed_tail
                    if unpack.eof and unpack.unused_data and not cut_short:
                        raise BadAnswer("the answer goes on after its gzip stream ends")
                if size + len(piece) > limit:
                    if cut_short:
                        return b"".join([*parts, piece[: limit - size]])
                    raise TooLarge(limit)
                parts.append(piece)
                size += len(piece)
        if unpack is not None and not unpack.eof and not cut_short:
            raise BadAnswer("the answer's gzip stream is cut short")
    except zlib.error as exc:
        if cut_short:
            return b"".join(parts)
        raise BadAnswer(f"the answer is not the gzip it says it is: {exc}") from exc
    return b"".join(parts)


class ServerClient:
    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        deadline: float | None = None,
        session: requests.Session | None = None,
        token: str | None = None,
        ca_file: str | None = None,
        allow_http: bool = False,
    ) -> None:
        """``deadline``: the seconds a request may take in all (default ``REQUEST_DEADLINE``,
        or the read timeout if longer); ``token``: the push token sent with pushes (PROTOCOL
        §9.9); ``ca_file``: the certificates (PEM) an https:// server's certificate must chain
        to, instead of the system's; ``allow_http``: accept plain http:// to another machine
        (a test network)."""
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.deadline = deadline if deadline is not None else max(REQUEST_DEADLINE, read_timeout)
        self.token = token
        self.insecure = (
            self.base_url.startswith("http://") and not allow_http and not is_loopback(base_url)
        )
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        # What ``_read`` unpacks, and all the server sends (a photo asks for identity).
        self.session.headers["Accept-Encoding"] = "gzip"
        # Given on every request: requests would otherwise let $REQUESTS_CA_BUNDLE win.
        self.verify: str | bool = ca_file or True
        self._adapter = _AbortableAdapter()
        self.session.mount("http://", self._adapter)
        self.session.mount("https://", self._adapter)

    def close(self) -> None:
        self.session.close()

    def abort(self) -> None:
        """Cut every request in flight (from any thread); it fails as a connection error."""
        self._adapter.abort()

    def _check_secure(self) -> None:
        if self.insecure:
            raise Insecure(
                f"{self.base_url} is plain http:// to another machine: use https://, or allow"
                " plain http for a test network in the settings"
            )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        body = self._send(method, path, **kwargs)
        try:
            return parse_json(body)
        except CanonicalError as exc:
            raise BadAnswer(f"the server's answer is not valid JSON: {exc}") from exc

    def _send(
        self,
        method: str,
        path: str,
        *,
        max_bytes: int | None = None,
        deadline: float | None = None,
        **kwargs: Any,
    ) -> bytes:
        """The answer's body, or the failure by kind: every request and every download goes
        through here. Its body is read as it streams in and refused past ``max_bytes`` bytes
        unpacked (``MAX_ANSWER_BYTES`` unless said); the request is cut once it has lasted
        ``deadline`` seconds (``self.deadline`` unless said); a redirect is refused."""
        self._check_secure()
        limit = MAX_ANSWER_BYTES if max_bytes is None else max_bytes
        seconds = self.deadline if deadline is None else deadline
        with self._adapter.request(seconds) as request:
            try:
                response = self.session.request(
                    method, self.base_url + path, timeout=self.timeout, stream=True,
                    verify=self.verify, allow_redirects=False, **kwargs,
                )  # fmt: skip
                with response:  # the connection is kept only when the body was read whole
                    status = response.status_code
                    if 300 <= status < 400:
                        raise Redirected(self.base_url, status, _location(response.headers))
                    if status >= 400:
                        words = _read(response, MAX_ERROR_BYTES, cut_short=True)
                        self._status(status, response.headers, words)
                    body = _read(response, limit)
            except (SyncError, requests.RequestException, Urllib3Error, OSError) as exc:
                # A connection cut at the deadline may also read as an answer cut short.
                if isinstance(exc, SyncError) and not (request.expired or request.aborted):
                    raise
                raise _failure(exc, request) from exc
        if request.expired or request.aborted:  # what was read is only what came in time
            raise _failure(None, request)
        return body

    @staticmethod
    def _status(status: int, headers: Any, body: bytes) -> NoReturn:
        """The failure an error status is: 429 and 5xx transient (after Retry-After), 404
        NotHeld, another 4xx Refused."""
        if status == 429 or status >= 500:
            raise Unreachable(
                f"the server is unavailable (HTTP {status})",
                "server",
                _retry_after(headers.get("Retry-After")),
            )
        if status == 404:
            raise NotHeld(f"HTTP 404: {body[:300]!r}")
        raise Refused(f"HTTP {status}: {body[:300]!r}")

    def health(self, known: int = 0) -> dict[str, Any]:
        """The server's key, certificates and newest head; with ``known`` (the size of the
        newest head this laptop verified), the consistency proof from it to that head too
        (``consistency``, checked by the caller), one request fewer a sync."""
        params = {"known": known} if known > 0 else None
        answer = self._call("GET", "/v1/health", params=params)
        if not isinstance(answer, dict) or not isinstance(answer.get("server_key"), str):
            raise BadAnswer("the health answer has no server_key")
        return answer

    def push(self, records: list[dict[str, Any]]) -> PushAnswer:
        """POST a batch, gzipped. The batch is the bundle format (``wire.batch_bytes``)."""
        return self.push_body(push_body(records))

    def push_body(self, body: bytes, known: int = 0) -> PushAnswer:
        """POST a batch made by ``push_body`` (so it can be made while another is in flight).
        ``known``: the size of the newest tree head held, to be proved extended."""
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        if self.token is not None:
            headers[TOKEN_HEADER] = self.token
        answer = self._call("POST", "/v1/push", params={"known": known}, data=body, headers=headers)
        return _push_answer(answer, "push")

    def push_held(self, hashes: list[str], known: int = 0) -> PushAnswer:
        """Which of these records the server's log holds, answered as a push (§9.9)."""
        headers = {"Content-Type": "application/json"}
        if self.token is not None:
            headers[TOKEN_HEADER] = self.token
        body = json.dumps({"hashes": hashes}, separators=(",", ":")).encode("ascii")
        answer = self._call(
            "POST", "/v1/push/held", params={"known": known}, data=body, headers=headers
        )
        return _push_answer(answer, "held")

    def evidence(self, jurisdiction: str) -> dict[str, Any]:
        answer = self._call("GET", "/v1/evidence", params={"jurisdiction": jurisdiction})
        if not isinstance(answer, dict):
            raise BadAnswer("the evidence answer is not an object")
        return answer

    def consistency(self, first: int, second: int) -> list[str]:
        """The server's proof that its log of ``second`` entries extends that of ``first``."""
        answer = self._call("GET", "/v1/log/consistency", params={"first": first, "second": second})
        if not isinstance(answer, dict) or not isinstance(answer.get("proof"), list):
            raise BadAnswer("the consistency answer has no proof")
        return list(answer["proof"])

    def heads_at(self, size: int) -> list[Any]:
        """Every tree head the server says it signed of a log of ``size`` entries (each to be
        verified by the caller)."""
        answer = self._call("GET", "/v1/log/heads", params={"size": size})
        if not isinstance(answer, dict) or not isinstance(answer.get("heads"), list):
            raise BadAnswer("the heads answer has no list of heads")
        return list(answer["heads"])

    def election_package(self) -> dict[str, Any]:
        """The current package: its version and hash from /v1/election/versions, then the
        file by hash (PROTOCOL §9.9), streamed and bounded."""
        listing = self._call("GET", "/v1/election/versions")
        versions = listing.get("versions") if isinstance(listing, dict) else None
        current = [
            v
            for v in (versions if isinstance(versions, list) else [])
            if isinstance(v, dict) and v.get("version") == listing.get("current")
        ]
        if not current or not isinstance(current[-1].get("hash"), str):
            raise BadAnswer("the server lists no current election package")
        return self.package_by_hash(current[-1]["hash"])

    def package_by_hash(self, record_hash: str) -> dict[str, Any]:
        """One package version, by its record's hash: read as it streams in and refused
        beyond MAX_PACKAGE_BYTES unpacked; its one record must have that hash."""
        body = self._send(
            "GET",
            f"/v1/election/packages/{record_hash}",
            max_bytes=MAX_PACKAGE_BYTES,
            deadline=max(DOWNLOAD_DEADLINE, self.deadline),
        )
        try:
            answer = parse_json(body)
        except CanonicalError as exc:
            raise BadAnswer(f"the package is not valid JSON: {exc}") from exc
        records = answer.get("records") if isinstance(answer, dict) else None
        if (
            not isinstance(records, list)
            or len(records) != 1
            or not isinstance(records[0], dict)
            or records[0].get("hash") != record_hash
        ):
            raise BadAnswer(f"the server's answer is not the package {record_hash[:16]}…")
        return answer

    def authority_records(self, hashes: list[str]) -> list[Any]:
        """The certificates and revocation lists of these hashes (at most
        ``MAX_AUTHORITY_FETCH``) that the server holds, as it sends them: the caller checks
        each against what its pull page named (§9.5)."""
        body = json.dumps({"hashes": hashes}, separators=(",", ":")).encode("ascii")
        answer = self._call(
            "POST",
            "/v1/authority/records",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("records"), list):
            raise BadAnswer("the authority records answer has no list of records")
        return list(answer["records"])

    def log_entries(self, start: int, limit: int) -> dict[str, Any]:
        """The log's entries from index ``start`` (an auditor's download)."""
        answer = self._call(
            "GET",
            "/v1/log/entries",
            params={"start": start, "limit": limit},
            max_bytes=MAX_AUDIT_BYTES,
        )
        if not isinstance(answer, dict):
            raise BadAnswer("the entries answer is not an object")
        return answer

    def all_totals(self, contest: str) -> dict[str, Any]:
        answer = self._call(
            "GET", "/v1/totals", params={"contest": contest}, max_bytes=MAX_AUDIT_BYTES
        )
        if not isinstance(answer, dict):
            raise BadAnswer("the totals answer is not an object")
        return answer

    def record(self, record_hash: str) -> dict[str, Any] | None:
        """One record the server holds, with its log index (None: the server has none)."""
        try:
            answer = self._call("GET", f"/v1/records/{record_hash}")
        except Refused as exc:
            if str(exc).startswith("HTTP 404"):
                return None
            raise
        if not isinstance(answer, dict):
            raise BadAnswer("the record answer is not an object")
        return answer

    # -- photos of the paper (PROTOCOL §9.8) ------------------------------------------------

    def _token_headers(self, **headers: str) -> dict[str, str]:
        if self.token is not None:
            headers[TOKEN_HEADER] = self.token
        return headers

    def photos_missing(self, sheets: list[str]) -> list[dict[str, Any]]:
        """The photos these sheets name that the server lacks, with the bytes it has of each."""
        answer = self._call(
            "POST", "/v1/photos/missing", json={"sheets": sheets}, headers=self._token_headers()
        )
        photos = answer.get("photos") if isinstance(answer, dict) else None
        if not isinstance(photos, list) or not all(isinstance(p, dict) for p in photos):
            raise BadAnswer("the photos answer has no list of photos")
        return list(photos)

    def put_photo(self, sha256: str, sheet: str, offset: int, chunk: bytes) -> dict[str, Any]:
        """Send the bytes of a photo from ``offset`` on, with the push token (the server
        takes photos only from certified keys, §9.8); the server says how many it holds."""
        answer = self._call(
            "PUT",
            f"/v1/photos/{sha256}",
            params={"sheet": sheet, "offset": offset},
            data=chunk,
            headers=self._token_headers(**{"Content-Type": "application/octet-stream"}),
        )
        if not isinstance(answer, dict) or type(answer.get("received")) is not int:
            raise BadAnswer("the photo answer does not say what was received")
        return answer

    def get_photo(self, sha256: str) -> bytes:
        """A photo's bytes as the server sends them (the caller checks them)."""
        # identity: an image does not compress, and gzip would only cost the server time
        return self._send(
            "GET",
            f"/v1/photos/{sha256}",
            max_bytes=MAX_PHOTO_BYTES,
            headers=self._token_headers(**{"Accept-Encoding": "identity"}),
        )

    def pull(self, jurisdiction: str, since: int, limit: int) -> dict[str, Any]:
        answer = self._call(
            "GET", "/v1/pull", params={"jurisdiction": jurisdiction, "since": since, "limit": limit}
        )
        if not isinstance(answer, dict):
            raise BadAnswer("the pull answer is not an object")
        return answer


def _push_answer(answer: Any, what: str) -> PushAnswer:
    try:
        return parse_push_answer(answer)
    except WireError as exc:
        raise BadAnswer(f"the {what} answer is broken: {exc}") from exc


def push_body(records: list[dict[str, Any]], forks: list[Fork] | None = None) -> bytes:
    """A push request's body: the batch (and fork evidence to pass on), gzipped."""
    return gzip.compress(batch_bytes(records, forks or []), compresslevel=6)
