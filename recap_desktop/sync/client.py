"""HTTP to the central server (requests): every call has a timeout; failures have a kind."""

from __future__ import annotations

import gzip
import ipaddress
import json
import socket
import threading
from typing import Any, NoReturn
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error

from recap_desktop.crypto.canonical import CanonicalError, parse_json
from recap_desktop.protocol.admit import Fork
from recap_desktop.protocol.photos import MAX_PHOTO_BYTES
from recap_desktop.protocol.pushauth import HEADER as TOKEN_HEADER
from recap_desktop.protocol.wire import BATCH_FORMAT, MAX_RETRY_AFTER, batch_bytes

__all__ = [
    "BATCH_FORMAT",
    "BadAnswer",
    "Insecure",
    "NotHeld",
    "Refused",
    "ServerClient",
    "SyncError",
    "Unreachable",
    "Untrusted",
    "is_loopback",
]
USER_AGENT = "recap-desktop-sync/1"
MAX_AUTHORITY_FETCH = 1000  # hashes per POST /v1/authority/records (PROTOCOL §9.5)
# A package file, unpacked: a national one (~820,000 stations) is ~100 MB; room for 2.5x.
MAX_PACKAGE_BYTES = 256 * 1024 * 1024


class SyncError(Exception):
    """A failure with a ``kind`` the status bar and the CLI can show.

    ``transient`` failures (timeouts, cut connections, 5xx, answers that do not parse) are
    retried with backoff; the others need a person.
    """

    kind = "error"
    transient = False

    def __init__(self, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind


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


class BadAnswer(SyncError):
    """The server answered something this client cannot trust: retried, never stored."""

    kind = "bad_answer"
    transient = True


class Refused(SyncError):
    """The server said no to the request itself (4xx): retrying the same will not help."""

    kind = "protocol"


class NotHeld(Refused):
    """The server answered 404: it says it does not hold what was asked (a proof, a record)."""


class _AbortableAdapter(HTTPAdapter):
    """Remembers the sockets of its connections so that ``abort`` can cut a request in flight.

    A timeout bounds every request; ``abort`` is for "stop now" (the window closing), so that
    cancelling never waits for a hanging server's timeout.
    """

    def __init__(self) -> None:
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__()

    def _track(self, sock: socket.socket | None) -> None:
        if sock is not None:
            with self._lock:
                self._sockets = {s for s in self._sockets if s.fileno() != -1}
                self._sockets.add(sock)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        adapter = self

        class Conn(HTTPConnection):
            def connect(self) -> None:
                super().connect()
                adapter._track(self.sock)

        class TlsConn(HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                adapter._track(self.sock)

        class Pool(HTTPConnectionPool):
            ConnectionCls = Conn

        class TlsPool(HTTPSConnectionPool):
            ConnectionCls = TlsConn

        self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TlsPool}

    def abort(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # closed already


class ServerClient:
    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        session: requests.Session | None = None,
        token: str | None = None,
        ca_file: str | None = None,
        allow_http: bool = False,
    ) -> None:
        """``token``: the push token sent with pushes (PROTOCOL §9.9); ``ca_file``: the
        certificates (PEM) an https:// server's certificate must chain to, instead of the
        system's; ``allow_http``: accept plain http:// to another machine (a test network)."""
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.token = token
        self.insecure = (
            self.base_url.startswith("http://") and not allow_http and not is_loopback(base_url)
        )
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
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

    def _send(self, method: str, path: str, limit: int | None = None, **kwargs: Any) -> bytes:
        """The answer's body, or the failure by kind (shared by JSON calls and photos).
        ``limit``: refuse a body longer than this many bytes without reading it all."""
        self._check_secure()
        try:
            response = self.session.request(
                method, self.base_url + path, timeout=self.timeout, stream=limit is not None,
                verify=self.verify, **kwargs,
            )  # fmt: skip
            if limit is None:
                body = response.content  # read it all here, so a cut body raises here
            else:
                body = response.raw.read(limit + 1, decode_content=True)
                response.close()
                if len(body) > limit and response.status_code < 400:
                    raise BadAnswer(f"the answer is longer than {limit} bytes")
        except requests.Timeout as exc:
            raise Unreachable(f"the server did not answer in time ({exc})", "timeout") from exc
        except requests.exceptions.SSLError as exc:
            raise _untrusted(exc) from exc
        except (requests.RequestException, Urllib3Error, OSError) as exc:
            raise Unreachable(f"could not reach the server: {exc}") from exc
        if response.status_code >= 400:
            self._status(response.status_code, response.headers, body)
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

    def push(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """POST a batch, gzipped. The batch is the bundle format (``wire.batch_bytes``)."""
        return self.push_body(push_body(records))

    def push_body(self, body: bytes, known: int = 0) -> dict[str, Any]:
        """POST a batch made by ``push_body`` (so it can be made while another is in flight).
        ``known``: the size of the newest tree head held, to be proved extended."""
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        if self.token is not None:
            headers[TOKEN_HEADER] = self.token
        answer = self._call("POST", "/v1/push", params={"known": known}, data=body, headers=headers)
        if not isinstance(answer, dict):
            raise BadAnswer("the push answer is not an object")
        return answer

    def push_held(self, hashes: list[str], known: int = 0) -> dict[str, Any]:
        """Which of these records the server's log holds, answered as a push (§9.9)."""
        headers = {"Content-Type": "application/json"}
        if self.token is not None:
            headers[TOKEN_HEADER] = self.token
        body = json.dumps({"hashes": hashes}, separators=(",", ":")).encode("ascii")
        answer = self._call(
            "POST", "/v1/push/held", params={"known": known}, data=body, headers=headers
        )
        if not isinstance(answer, dict):
            raise BadAnswer("the held answer is not an object")
        return answer

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
            for v in versions or []
            if isinstance(v, dict) and v.get("version") == listing.get("current")
        ]
        if not current or not isinstance(current[-1].get("hash"), str):
            raise BadAnswer("the server lists no current election package")
        return self.package_by_hash(current[-1]["hash"])

    def package_by_hash(self, record_hash: str) -> dict[str, Any]:
        """One package version, by its record's hash: read as it streams in and refused
        beyond MAX_PACKAGE_BYTES unpacked; its one record must have that hash."""
        self._check_secure()
        try:
            with self.session.get(
                f"{self.base_url}/v1/election/packages/{record_hash}",
                timeout=self.timeout,
                verify=self.verify,
                stream=True,
            ) as response:
                if response.status_code >= 400:
                    self._status(response.status_code, response.headers, response.content)
                chunks, size = [], 0
                for chunk in response.iter_content(1 << 20):
                    size += len(chunk)
                    if size > MAX_PACKAGE_BYTES:
                        raise BadAnswer(f"the package is over {MAX_PACKAGE_BYTES} bytes")
                    chunks.append(chunk)
        except requests.Timeout as exc:
            raise Unreachable(f"the server did not answer in time ({exc})", "timeout") from exc
        except requests.exceptions.SSLError as exc:
            raise _untrusted(exc) from exc
        except requests.RequestException as exc:
            raise Unreachable(f"could not reach the server: {exc}") from exc
        try:
            answer = parse_json(b"".join(chunks))
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
        answer = self._call("GET", "/v1/log/entries", params={"start": start, "limit": limit})
        if not isinstance(answer, dict):
            raise BadAnswer("the entries answer is not an object")
        return answer

    def all_totals(self, contest: str) -> dict[str, Any]:
        answer = self._call("GET", "/v1/totals", params={"contest": contest})
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
        if not isinstance(answer, dict) or not isinstance(answer.get("photos"), list):
            raise BadAnswer("the photos answer has no list of photos")
        return list(answer["photos"])

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
            limit=MAX_PHOTO_BYTES,
            headers=self._token_headers(**{"Accept-Encoding": "identity"}),
        )

    def pull(self, jurisdiction: str, since: int, limit: int) -> dict[str, Any]:
        answer = self._call(
            "GET", "/v1/pull", params={"jurisdiction": jurisdiction, "since": since, "limit": limit}
        )
        if not isinstance(answer, dict):
            raise BadAnswer("the pull answer is not an object")
        return answer


def push_body(records: list[dict[str, Any]], forks: list[Fork] | None = None) -> bytes:
    """A push request's body: the batch (and fork evidence to pass on), gzipped."""
    return gzip.compress(batch_bytes(records, forks or []), compresslevel=6)
