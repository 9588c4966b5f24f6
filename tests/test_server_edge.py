"""The server's edge against hostile and slow clients (PROTOCOL §9.9), on a real `recap-server`
process over real sockets: slow headers cut, a connection limit that keeps /v1/health
answering, 429 with Retry-After that the laptop honours, bodies refused at the limit before
they are read, pushes without a valid token refused before their body, HTTPS, and no plain
http:// to another machine."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import http.server
import ipaddress
import json
import os
import re
import resource
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from recap_desktop.crypto.envelope import sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.protocol.pushauth import HEADER, make_token
from recap_desktop.services import RecapError
from recap_desktop.services import sync as sync_service
from recap_desktop.sync import client as client_module
from recap_desktop.sync.backoff import RETRY_AFTER_SPREAD
from recap_desktop.sync.client import BadAnswer, Insecure, ServerClient, Unreachable
from recap_desktop.sync.engine import UNREACHABLE, SyncEngine
from tests.sync_support import enter, make_laptop

DEMO_ENV = {**os.environ, "RECAP_SERVER_PASSPHRASE": "demo-server-only"}


class ServerProcess:
    """`python -m recap_server --demo` on 127.0.0.1, any free port, with the given flags."""

    def __init__(self, data_dir: Path, *flags: str, fds: int | None = None) -> None:
        """``fds``: the process's descriptor limit (soft and hard), if not the test's."""

        def limit() -> None:
            if fds is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (fds, fds))

        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "recap_server", "--demo"),
                *("--data-dir", str(data_dir), "--port", "0", *flags),
            ],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=DEMO_ENV,
            text=True,
            preexec_fn=limit,
        )
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            found = re.search(r"running on (https?)://127\.0\.0\.1:(\d+)", line)
            if found:
                self.scheme, self.port = found.group(1), int(found.group(2))
                break
        else:
            raise RuntimeError(f"the server did not start: {self.proc.wait()}")
        self.url = f"{self.scheme}://127.0.0.1:{self.port}"

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    started: list[ServerProcess] = []

    def go(*flags: str, fds: int | None = None) -> ServerProcess:
        server = ServerProcess(tmp_path / f"server{len(started)}", *flags, fds=fds)
        started.append(server)
        return server

    yield go
    for server in started:
        server.stop()


def quiet_log(server: ServerProcess) -> str:
    """What the server wrote to stderr, once stopped."""
    server.stop()
    assert server.proc.stderr is not None
    return server.proc.stderr.read()


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """True if the server closes (or resets) the connection within ``within`` seconds."""
    sock.settimeout(within)
    try:
        while sock.recv(4096):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):  # a TLS connection cut
        return True
    except TimeoutError:
        return False


def answer_of(sock: socket.socket, within: float = 10.0) -> tuple[int, dict[str, str]]:
    """The status and headers of the first answer on ``sock``."""
    sock.settimeout(within)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
    return int(head[0].split()[1]), {k.lower(): v for k, v in headers.items()}


def test_slow_headers_are_cut_and_health_still_answers(start: Any) -> None:
    server = start("--header-timeout", "1")
    slow = []
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
        slow.append(sock)
    for _ in range(4):  # dribble: a byte now and then keeps no connection alive
        for sock in slow:
            try:
                sock.sendall(b"X")
            except OSError:
                pass
        time.sleep(0.2)
    assert requests.get(server.url + "/v1/health", timeout=10).json()["status"] == "ok"
    assert all(closed_by_server(sock, within=10) for sock in slow)
    assert "Traceback" not in quiet_log(server)


def test_connection_limit_holds_and_health_answers(start: Any) -> None:
    server = start("--max-connections", "30", "--header-timeout", "60")
    before = server.fds()
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(150)]
    time.sleep(0.5)
    # Each new connection beyond 30 replaced the one waiting longest: /v1/health gets in.
    for _ in range(3):
        assert requests.get(server.url + "/v1/health", timeout=10).json()["status"] == "ok"
    assert server.fds() <= before + 30 + 2
    closed = sum(closed_by_server(sock, within=0.2) for sock in idle)
    assert closed >= 150 - 30
    for sock in idle:
        sock.close()
    assert "Traceback" not in quiet_log(server)


def test_more_idle_connections_than_descriptors_exhaust_nothing(start: Any) -> None:
    """The measured failure: 1,100 idle connections against 1,024 descriptors filled the log
    with "Too many open files". Here 400 against 256: the limit is kept below the
    descriptors, the server keeps answering, and says nothing of the kind."""
    server = start("--max-connections", "1000", "--header-timeout", "60", fds=256)
    idle = []
    for _ in range(400):
        idle.append(socket.create_connection(("127.0.0.1", server.port)))
    time.sleep(0.5)
    assert requests.get(server.url + "/v1/health", timeout=10).json()["status"] == "ok"
    assert server.fds() < 256
    for sock in idle:
        sock.close()
    server.stop()
    assert server.proc.stderr is not None
    log = server.proc.stderr.read()
    assert "Too many open files" not in log and "out of system resource" not in log


def certified_token(laptop: Any) -> str:
    token = laptop.ws.store.outbox.setting(sync_service.PUSH_TOKEN)
    assert token is not None  # made when the demo key was unlocked
    return str(token)


def first_sync(server: ServerProcess, laptop: Any) -> None:
    """The laptop's first sync: its certificate goes up (a small push, without a token the
    server can check yet), its package is found held by hash."""
    result = sync_service.sync_once(laptop.ws, server.url, attempts=1)
    assert result.outcome == "done", result.error


def test_oversize_body_is_refused_before_it_is_read(start: Any, tmp_path: Path) -> None:
    server = start()
    laptop = make_laptop(tmp_path / "a", "op-a")
    first_sync(server, laptop)
    token = certified_token(laptop)
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(
        b"POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"{HEADER}: {token}\r\nContent-Length: {100 * 1024 * 1024}\r\n\r\n".encode()
        + b"[" * 65536
    )
    status, _ = answer_of(sock)
    assert status == 413
    # Streamed without a length: refused once 16 MiB have come, not after the rest.
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(
        b"POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"{HEADER}: {token}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    )
    chunk = b"%x\r\n" % (1024 * 1024) + b"[" * (1024 * 1024) + b"\r\n"
    sent = 0
    try:
        for _ in range(64):
            sock.sendall(chunk)
            sent += 1
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert sent < 64  # the server stopped reading and closed long before 64 MiB
    # The server still serves the laptop.
    assert sync_service.sync_once(laptop.ws, server.url, attempts=1).outcome == "done"


def test_push_without_a_valid_token_is_refused_before_its_body(start: Any, tmp_path: Path) -> None:
    server = start()
    laptop = make_laptop(tmp_path / "a", "op-a")
    first_sync(server, laptop)
    good = certified_token(laptop)
    encoded, sig = good.split(".")
    forged = encoded + "." + ("0" if sig[0] != "0" else "1") + sig[1:]
    expired = make_token(laptop.key, dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    for token, status in ((forged, 401), (expired, 401), (None, 413)):
        sock = socket.create_connection(("127.0.0.1", server.port))
        header = f"{HEADER}: {token}\r\n" if token else ""
        # Headers only: a body of 5 MB is announced and never sent; the answer comes anyway.
        sock.sendall(
            b"POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"{header}Content-Length: 5000000\r\n\r\n".encode()
        )
        got, _ = answer_of(sock)
        assert got == status, token
        sock.close()
    # A stranger's key (no certificate here) may push at most a small body.
    stranger = make_token(SigningKey.generate(), dt.datetime.now(dt.UTC))
    answer = requests.post(
        server.url + "/v1/push",
        data=gzip.compress(b"x" * 200_000, compresslevel=0),
        headers={HEADER: stranger, "Content-Encoding": "gzip"},
        timeout=10,
    )
    assert answer.status_code == 413


def test_rate_limit_answers_429_and_the_laptop_waits_as_told(start: Any, tmp_path: Path) -> None:
    server = start("--push-rate", "0.02", "--push-burst", "2")
    laptop = make_laptop(tmp_path / "a", "op-a")
    first_sync(server, laptop)  # the burst: the certificate, then nothing more to send
    token = certified_token(laptop)
    statuses = []
    for _ in range(3):  # the key's burst is 2
        answer = requests.post(
            server.url + "/v1/push/held",
            data=json.dumps({"hashes": []}),
            headers={HEADER: token},
            timeout=10,
        )
        statuses.append(answer.status_code)
    assert statuses[:2] == [200, 200]
    assert answer.status_code == 429
    told = int(answer.headers["Retry-After"])
    assert told >= 10  # one push per 50 s

    enter(laptop, laptop_station(laptop))
    waits: list[float] = []

    class Recording(SyncEngine):
        def wait(self, seconds: float) -> bool:
            waits.append(seconds)
            return False  # no real sleep: what matters is what it would wait

    engine = sync_service.make_engine(laptop.ws, server.url, attempts=2)
    engine.__class__ = Recording
    engine.backoff.base = 0.01  # its own backoff alone would retry at once
    result = engine.sync()
    engine.client.close()
    assert result.outcome == UNREACHABLE and result.error_kind == "server", result.error
    assert waits and told - 2 <= waits[0] <= told * RETRY_AFTER_SPREAD + 1, (told, waits)
    # A surge of laptops told the same Retry-After comes back spread, not in one second.
    engine._asked = float(told)
    spread = []
    for _ in range(50):
        engine.backoff.reset()  # each as a laptop's first retry
        spread.append(engine._retry_delay(None))
    spread.sort()
    assert told <= spread[0] and spread[-1] <= told * RETRY_AFTER_SPREAD
    assert spread[-1] - spread[0] > told * 0.2


def laptop_station(laptop: Any) -> str:
    from tests.sync_support import district_stations

    return district_stations(laptop.ws)[0]


def test_plain_http_to_another_machine_is_refused(tmp_path: Path) -> None:
    laptop = make_laptop(tmp_path / "a", "op-a")
    with pytest.raises(RecapError) as refused:
        sync_service.make_engine(laptop.ws, "http://192.0.2.7:8470")
    assert refused.value.key == "sync.insecure"
    assert sync_service.server_url(laptop.ws.store) is None  # not kept
    with pytest.raises(RecapError):  # nor from the window's server address dialog
        sync_service.set_server_url(laptop.ws.store, "http://recap.example.go.id")
    sync_service.set_server_url(laptop.ws.store, "https://recap.example.go.id")
    with pytest.raises(Insecure):
        ServerClient("http://192.0.2.7:8470").health()  # before any connection is tried
    # Loopback is this machine: allowed; and a test network when told so.
    assert not ServerClient("http://127.0.0.1:1").insecure
    assert not ServerClient("http://localhost:1").insecure
    sync_service.set_transport(laptop.ws.store, ca_file=None, allow_http=True)
    engine = sync_service.make_engine(laptop.ws, "http://192.0.2.7:8470")
    assert not engine.client.insecure
    engine.client.close()


def _cert(
    subject: str, key: Any, issuer: x509.Name, signer: Any, ca: bool, **ext: Any
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), False
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    for extension in ext.values():
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(signer, hashes.SHA256())


def make_ca(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A CA made here, and a certificate for 127.0.0.1 it signed: the CA file a laptop is
    given, the server's certificate chain and key."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "recap test CA")])
    ca = _cert("recap test CA", ca_key, ca_name, ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    usage = x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH])
    leaf = _cert("127.0.0.1", key, ca_name, ca_key, False, san=san, usage=usage)
    pem = serialization.Encoding.PEM
    cafile, certfile, keyfile = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    cafile.write_bytes(ca.public_bytes(pem))
    certfile.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    keyfile.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cafile, certfile, keyfile


def test_https_serves_and_the_laptop_trusts_its_ca_file(start: Any, tmp_path: Path) -> None:
    cafile, certfile, keyfile = make_ca(tmp_path)
    server = start("--certfile", str(certfile), "--keyfile", str(keyfile))
    assert server.url.startswith("https://")
    laptop = make_laptop(tmp_path / "a", "op-a")
    enter(laptop, laptop_station(laptop))
    # Without the CA file the certificate is not trusted: nothing is sent, and a person is
    # told what to do (retrying would not help).
    result = sync_service.sync_once(laptop.ws, server.url, attempts=3)
    assert result.outcome == "failed" and result.error_kind == "tls"
    assert "--ca-file" in str(result.error)
    assert laptop.ws.store.outbox.unsent_count() > 0
    sync_service.set_transport(laptop.ws.store, ca_file=str(cafile), allow_http=None)
    result = sync_service.sync_once(laptop.ws, server.url, attempts=1)
    assert result.outcome == "done", result.error
    assert result.sent >= 1 and laptop.ws.store.outbox.unsent_count() == 0
    with pytest.raises(Unreachable):
        ServerClient(server.url.replace("https", "http")).health()


def test_connections_that_never_finish_a_tls_handshake_are_held_off(
    start: Any, tmp_path: Path
) -> None:
    """A crowd of connections to an HTTPS server that never finish a TLS handshake (silent,
    or a ClientHello begun and never ended) count under the connection limit from their
    accept (a newcomer replaces the one waiting longest) and are cut at the header deadline.
    With the context on the listening socket, asyncio and uvloop ran the handshake before
    the edge heard of the connection: uncounted, for 60 s, a descriptor each meanwhile."""
    cafile, certfile, keyfile = make_ca(tmp_path)
    server = start(
        *("--certfile", str(certfile), "--keyfile", str(keyfile)),
        *("--max-connections", "30", "--header-timeout", "3"),
    )
    crowd = []
    for i in range(100):
        sock = socket.create_connection(("127.0.0.1", server.port))
        if i % 2:
            sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # a ClientHello's start
        crowd.append(sock)
    deadline = time.monotonic() + 10  # replaced as each newcomer came: 30 are left at most
    while len(kept := [s for s in crowd if not closed_by_server(s, within=0.01)]) > 30:
        assert time.monotonic() < deadline, len(kept)
    context = ssl.create_default_context(cafile=str(cafile))
    assert requests.get(server.url + "/v1/health", timeout=10, verify=str(cafile)).ok
    started = time.monotonic()
    assert all(closed_by_server(sock, within=8) for sock in kept)
    assert time.monotonic() - started < 8
    for sock in crowd:
        sock.close()
    time.sleep(0.5)
    settled = server.fds()
    # Handshakes done, then no request: cut all the same, and let go at once, not held for
    # the clients' close_notify (up to 30 s, their places held and not evictable).
    quiet = [
        context.wrap_socket(
            socket.create_connection(("127.0.0.1", server.port)), server_hostname="127.0.0.1"
        )
        for _ in range(10)
    ]
    started = time.monotonic()
    assert all(closed_by_server(sock, within=8) for sock in quiet)
    assert time.monotonic() - started < 8
    while server.fds() > settled and time.monotonic() < started + 10:
        time.sleep(0.1)
    assert server.fds() <= settled
    for sock in quiet:
        sock.close()
    assert "Traceback" not in quiet_log(server)


async def answer_ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app that answers 200 "ok" to anything."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@contextlib.contextmanager
def served_in_thread(config: Any) -> Iterator[tuple[Any, tuple[str, int]]]:
    """``config`` (``edge.uvicorn_config``) served by uvicorn on a thread of this process,
    on a socket bound as uvicorn's parent binds it for its workers: the server and the
    address it listens on."""
    import uvicorn

    config.lifespan = "off"
    bound = config.bind_socket()
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [bound]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started, "the server did not start within 30 s"
        yield server, bound.getsockname()[:2]
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        bound.close()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_the_edge_begins_tls_on_either_loop(loop: str, tmp_path: Path) -> None:
    """The edge puts the loop's own TLS layer under each connection it takes (uvloop's, or
    asyncio's where uvloop is not installed), in-process on each: a ClientHello sent at
    once never reaches HTTP (uvloop reads as soon as ``connection_made`` returns: with
    ``start_tls`` run a moment later, some handshakes were answered "400 Bad Request" in
    plain text), HTTPS answers, and a silent connection is cut at the header deadline."""
    from recap_server.edge import EdgeLimits, uvicorn_config

    cafile, certfile, keyfile = make_ca(tmp_path)
    tls = {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile)}
    config = uvicorn_config(answer_ok, "127.0.0.1", 0, EdgeLimits(header_timeout=2), **tls)
    config.loop = loop
    with served_in_thread(config) as (_, address):
        context = ssl.create_default_context(cafile=str(cafile))
        for _ in range(30):
            tcp = socket.create_connection(address, timeout=10)
            with context.wrap_socket(tcp, server_hostname="127.0.0.1") as laptop:
                laptop.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert laptop.recv(1024).startswith(b"HTTP/1.1 200")
        silent = socket.create_connection(address)
        started = time.monotonic()
        assert closed_by_server(silent, within=6)
        assert time.monotonic() - started < 6
        silent.close()


def test_deadlines_of_zero_or_less_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deadline of 0 s or less would cut every connection (over TLS, it made the TLS
    layer refuse to start, with a traceback for each): refused before anything starts."""
    from recap_server.__main__ import main as server_main

    for flag in ("--header-timeout", "--body-timeout", "--write-timeout"):
        for value in ("0", "-1", "nan"):
            with pytest.raises(SystemExit) as refused:
                server_main(["--data-dir", str(tmp_path / "server"), "--demo", flag, value])
            assert refused.value.code == 2
            assert f"{flag} must be more than 0 seconds" in capsys.readouterr().err
    assert not (tmp_path / "server").exists()


def load_certificates(data_dir: Path, file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "recap_server", "--demo", "--data-dir", str(data_dir)),
            *("--load-certificates", str(file)),
        ],
        env=DEMO_ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_first_contact_sends_nothing_the_server_holds(start: Any, tmp_path: Path) -> None:
    laptop = make_laptop(tmp_path / "a", "op-a")
    records = laptop.ws.store.records.authority_records()
    certs = [r.to_json() for r in records if r.type == "certificate"]
    bulk = tmp_path / "certificates.json"
    bulk.write_text(json.dumps({"records": certs}))
    # A certificate signed by another key than the authority's: refused whole, nothing loaded.
    payload = {**certs[0]["payload"], "jurisdiction": "32"}
    forged = sign(SigningKey.generate(), payload).to_json()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"records": [*certs, forged]}))
    refused = load_certificates(tmp_path / "server0", bad)
    assert refused.returncode == 2 and "nothing loaded" in refused.stderr
    loaded = load_certificates(tmp_path / "server0", bulk)
    assert loaded.returncode == 0, loaded.stderr
    assert f"{len(certs)} certificates loaded" in loaded.stdout
    again = load_certificates(tmp_path / "server0", bulk)
    assert f"0 certificates loaded, {len(certs)} held already" in again.stdout

    server = start()  # its data folder is server0, loaded above
    engine = sync_service.make_engine(laptop.ws, server.url, attempts=1)
    engine.jurisdiction = None  # the push phase only
    pushes: list[bytes] = []
    real_push = engine.client.push_body

    def push_body(body: bytes, known: int = 0) -> dict[str, Any]:
        pushes.append(body)
        return real_push(body, known)

    engine.client.push_body = push_body  # type: ignore[method-assign]
    result = engine.sync()
    engine.client.close()
    assert result.outcome == "done", result.error
    # The package and the certificate were found held by hash and proved: nothing pushed.
    assert pushes == []
    # The package, the officer's certificate and the server's (learnt at the handshake).
    after = laptop.ws.store.records.authority_records()
    assert result.held == len([r for r in after if r.type in ("election", "certificate")]) == 3
    assert laptop.ws.store.outbox.unsent_count() == 0
    assert len(laptop.ws.store.outbox.receipts()) == 1


def test_health_answers_while_a_heavy_push_is_parsed(start: Any, tmp_path: Path) -> None:
    """A small body that unpacks to 60 MB of JSON: its unpacking and parsing run on a worker
    thread, so /v1/health is answered while the push is still being worked on (on the event
    loop, the push's answer would come first)."""
    server = start()
    laptop = make_laptop(tmp_path / "a", "op-a")
    first_sync(server, laptop)
    item = b'{"payload":{"n":[' + b"1234567," * 6000 + b'0]},"signer":"","sig":"","hash":""},'
    bulk = b'{"format":"recap-batch/1","records":[' + item * (60_000_000 // len(item)) + b"0]}"
    body = gzip.compress(bulk, compresslevel=6)
    assert len(body) < 1_000_000
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(
        b"POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"{HEADER}: {certified_token(laptop)}\r\nContent-Encoding: gzip\r\n".encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    time.sleep(0.2)  # the body is in; the server is at work on it
    assert requests.get(server.url + "/v1/health", timeout=30).json()["status"] == "ok"
    sock.setblocking(False)
    with pytest.raises(BlockingIOError):
        sock.recv(1)  # the push's answer has not come yet
    status, _ = answer_of(sock, within=120)
    assert status == 200  # and it was worked on: each item refused, not an envelope


def test_the_package_is_fetched_by_hash_once_made(start: Any) -> None:
    server = start()
    client = ServerClient(server.url)
    listing = requests.get(server.url + "/v1/election/versions", timeout=10).json()
    current = next(v for v in listing["versions"] if v["version"] == listing["current"])
    package = client.election_package()
    assert package["records"][0]["hash"] == current["hash"]
    assert package == requests.get(server.url + "/v1/election", timeout=10).json()
    url = f"{server.url}/v1/election/packages/{current['hash']}"
    first = requests.get(url, timeout=10)
    assert first.headers["ETag"] == f'"{current["hash"]}"'
    assert "immutable" in first.headers["Cache-Control"]
    again = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert "Content-Encoding" not in plain.headers and plain.json() == package
    assert (
        requests.get(server.url + "/v1/election/packages/" + "0" * 64, timeout=10).status_code
        == 404
    )
    assert requests.get(server.url + "/v1/election/packages/XYZ", timeout=10).status_code == 400
    client.close()


class Impostor(http.server.BaseHTTPRequestHandler):
    """A server that lists one package and serves another (or too much of one)."""

    listed = "ab" * 32
    body = b""

    def do_GET(self) -> None:
        if self.path == "/v1/election/versions":
            data = json.dumps(
                {"election": "x", "current": 1, "versions": [{"version": 1, "hash": self.listed}]}
            ).encode()
        else:
            data = self.body
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_package_that_is_not_the_one_asked_for_is_refused(
    start: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ServerClient(start().url).election_package()
    other = json.dumps(real).encode()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Impostor)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        client = ServerClient(f"http://127.0.0.1:{httpd.server_address[1]}")
        Impostor.body = other  # a real package, but not the hash listed
        with pytest.raises(BadAnswer, match="not the package"):
            client.election_package()
        Impostor.listed = real["records"][0]["hash"]
        assert client.election_package() == real
        monkeypatch.setattr(client_module, "MAX_PACKAGE_BYTES", len(other) // 2)
        with pytest.raises(BadAnswer, match="over"):
            client.election_package()  # read as it streams in, refused at the limit
        client.close()
    finally:
        httpd.shutdown()


def slow_bodies(server: ServerProcess, token: str, count: int) -> list[socket.socket]:
    """Pushes whose headers came at once and whose body comes a byte at a time."""
    out = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(
            b"POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"{HEADER}: {token}\r\nContent-Length: 1000\r\n\r\n{{".encode()
        )
        out.append(sock)
    return out


def test_slow_bodies_hold_no_place_of_the_work_and_are_cut(start: Any, tmp_path: Path) -> None:
    laptop = make_laptop(tmp_path / "a", "op-a")
    # The slow sender is another certified laptop: one sender holds at most 4 body places.
    slow_one = make_laptop(tmp_path / "b", "op-b")
    patient = start("--body-timeout", "120")
    first_sync(patient, laptop)
    first_sync(patient, slow_one)
    slow = slow_bodies(patient, certified_token(slow_one), 4)  # the work takes 2 at once
    enter(laptop, laptop_station(laptop))
    result = sync_service.sync_once(laptop.ws, patient.url, attempts=1, read_timeout=10)
    assert result.outcome == "done" and result.sent == 1, result.error
    for sock in slow:
        sock.close()

    strict = start("--body-timeout", "1")
    slow = slow_bodies(strict, certified_token(laptop), 4)
    for _ in range(3):  # a byte now and then does not keep a body's connection
        for sock in slow:
            try:
                sock.sendall(b" ")
            except OSError:
                pass
        time.sleep(0.3)
    assert all(closed_by_server(sock, within=10) for sock in slow)
    strict.stop()
    assert strict.proc.stderr is not None
    log = strict.proc.stderr.read()
    assert "Traceback" not in log and "ClientDisconnect" not in log  # cut quietly


def test_an_answer_before_the_body_reaches_a_client_still_sending_it(start: Any) -> None:
    """A 413 given on the headers, while the client goes on sending its body (as `requests`
    does with a push the gate refuses, 429 included): the client reads the answer, not a
    connection reset; the server then closes, having read a bounded amount."""
    server = start()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(
        b"POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 300000\r\n\r\n"
    )
    time.sleep(0.5)  # answered (anonymous, over the small-body limit) while nothing came
    for _ in range(30):  # the body as a client's writes send it, a piece at a time
        sock.sendall(b"[" * 10_000)
        time.sleep(0.02)
    status, _ = answer_of(sock)
    assert status == 413
    assert closed_by_server(sock, within=10)
    # A client that goes on and on is cut after a bounded amount.
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(
        b"POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {100 * 1024 * 1024}\r\n\r\n".encode()
    )
    sent = 0
    try:
        for _ in range(100):
            sock.sendall(b"[" * 1024 * 1024)
            sent += 1
    except (BrokenPipeError, ConnectionResetError):
        pass
    sock.close()
    assert sent < 100


def test_a_head_over_its_limit_is_answered_400_and_not_kept(start: Any) -> None:
    """httptools (unlike h11) bounds no request's line and headers: it keeps an unfinished
    header in its own buffer. The edge answers one over 16 KiB with 400 and closes, whether
    it comes in one piece or goes on and on; one just under the limit is served."""
    server = start()
    under = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 15_000 + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(under)
        assert answer_of(sock)[0] == 200
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 20_000 + b"\r\n\r\n")
        assert answer_of(sock)[0] == 400
        assert closed_by_server(sock, within=10)
    # A header without end, a piece at a time: answered and cut once past the limit.
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: ")
        sent = 0
        try:
            for _ in range(1000):
                sock.sendall(b"a" * 1024)
                sent += 1
                time.sleep(0.002)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert sent < 1000
    assert requests.get(server.url + "/v1/health", timeout=10).json()["status"] == "ok"
    assert "Traceback" not in quiet_log(server)


def test_pipelined_requests_past_the_head_limit_together_are_all_answered(start: Any) -> None:
    """The head limit counts one request's head, not the requests a client pipelines in one
    write: 120 small GETs (over 16 KiB together) are all answered, in order."""
    server = start()
    one = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 120 + b"\r\n\r\n"
    assert len(one) * 120 > 16 * 1024
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(one * 120)
        sock.settimeout(10)
        data = b""
        while data.count(b"HTTP/1.1 ") < 120:
            chunk = sock.recv(65536)
            assert chunk, data[-300:]
            data += chunk
    assert data.count(b"HTTP/1.1 200 ") == 120
    assert "Traceback" not in quiet_log(server)


def test_pipelined_requests_then_a_half_close_are_all_answered(start: Any) -> None:
    """A client may send its requests and shut its side for writing at once (RFC 9112 §9.6:
    the server answers what it read, then closes): five pipelined GETs, the last one slow to
    build (a pull), then FIN: five answers, in order, then the server's FIN."""
    server = start()
    one = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
    pull = b"GET /v1/pull?jurisdiction=32&since=0&limit=100 HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(one * 4 + pull)
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(10)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 200 ") == 5, data[:300]
    assert data.rfind(b"HTTP/1.1 200 ") > data.rfind(b'"server_key"')  # the pull came last
    assert "Traceback" not in quiet_log(server)


def rss(server: ServerProcess) -> int:
    """The server process's resident memory, in bytes."""
    with open(f"/proc/{server.proc.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_a_pipelining_flood_holds_one_request_at_a_time(start: Any) -> None:
    """uvicorn parses and queues every request a read brings, without bound: one connection
    pipelining tiny requests as fast as it could grew the server by 1.1 GB in 8 s. The edge
    feeds one request at a time and pauses reading while it is answered: the flood waits in
    the client's TCP window, and the server's memory stays where it was."""
    server = start()
    before = rss(server)
    sock = socket.create_connection(("127.0.0.1", server.port))
    answered = [0]

    def read() -> None:
        try:
            while data := sock.recv(1 << 20):
                answered[0] += data.count(b"HTTP/1.1 404 ")
        except OSError:
            pass

    threading.Thread(target=read, daemon=True).start()
    flood = b"GET /v1/nope HTTP/1.1\r\nHost: x\r\n\r\n" * 10_000
    sock.settimeout(5)
    try:
        for _ in range(30):  # 300,000 requests, 10 MB
            sock.sendall(flood)
    except TimeoutError:
        pass  # the server stopped reading: the flood is the client's to hold
    time.sleep(1)
    grown = rss(server) - before
    assert answered[0] > 0
    assert grown < 100 * 1024 * 1024, grown  # 570 MB before
    assert requests.get(server.url + "/v1/health", timeout=10).json()["status"] == "ok"
    sock.close()
    assert "Traceback" not in quiet_log(server)


CHUNKED_HELD = (
    b"POST /v1/push/held HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)


def test_trailers_past_the_head_limit_are_refused(start: Any) -> None:
    """Trailer lines after a chunked body's last chunk went to uvicorn's list of the
    request's headers without bound (2.5 GB in 8 s). They count toward the head limit:
    past 16 KiB, 400 and the connection closed, whether in many lines or one; a chunked body
    of tiny chunks with a short trailer is served, and a request pipelined after it too."""
    server = start()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(CHUNKED_HELD + b"2\r\n{}\r\n0\r\n")
        sock.sendall(b"X-T: abcdefgh\r\n" * 1400)  # 21 KB
        assert answer_of(sock)[0] == 400
        assert closed_by_server(sock, within=10)
    for endless in (b"X-T: abcdefgh\r\n" * 4096, b"a" * 65536):
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(CHUNKED_HELD + b"2\r\n{}\r\n0\r\nX-T: ")
            try:
                for _ in range(16):  # 1 MB
                    sock.sendall(endless)
            except (BrokenPipeError, ConnectionResetError):
                pass
            assert closed_by_server(sock, within=10)
    body = b'{"hashes": []}'
    chunks = b"".join(b"1\r\n" + body[i : i + 1] + b"\r\n" for i in range(len(body)))
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            CHUNKED_HELD + chunks + b"0\r\nX-T: 1\r\n\r\nGET /v1/nope HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        sock.settimeout(10)
        data = b""
        while data.count(b"HTTP/1.1 ") < 2 or not data.endswith(b"}"):
            chunk = sock.recv(65536)
            assert chunk, data[-300:]
            data += chunk
        assert re.findall(rb"HTTP/1\.1 (\d+) ", data) == [b"200", b"404"]
    assert "Traceback" not in quiet_log(server)


def test_a_pipelined_head_past_the_limit_is_refused(start: Any) -> None:
    """A head that came in the same read as the end of the request before it was not
    counted: a small GET and a 30 KB head in one write were both served."""
    server = start()
    big = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 30_000 + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n" + big)
        sock.settimeout(10)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert re.findall(rb"HTTP/1\.1 (\d+) ", data) == [b"200", b"400"]
    assert "Traceback" not in quiet_log(server)


def test_a_body_pipelined_behind_an_answer_is_still_timed(start: Any) -> None:
    """A request whose headers arrived while the one before it was answered had no body
    deadline: about half such connections, their body never sent, were held for good."""
    server = start("--body-timeout", "2", "--header-timeout", "2")
    held = []
    for _ in range(10):
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.001)
        sock.sendall(
            b"POST /v1/push/held HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        held.append(sock)
    assert all(closed_by_server(sock, within=20) for sock in held)
    for sock in held:
        sock.close()
    assert "Traceback" not in quiet_log(server)


def test_a_client_that_never_reads_is_cut(start: Any) -> None:
    """No deadline ran while a request was answered, and a close waits for the answer to
    be sent: clients that pipelined requests and never read held their connections (and
    every place under the limit, /v1/health answered 503) for good. Now a client must take
    some of its answer every --write-timeout."""
    server = start("--max-connections", "4", "--write-timeout", "2", "--header-timeout", "2")
    readers = []
    for _ in range(4):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        sock.connect(("127.0.0.1", server.port))
        sock.sendall(b"GET /v1/election HTTP/1.1\r\nHost: x\r\n\r\n" * 400)  # 10 MB of answers
        readers.append(sock)
    for _ in range(60):  # the four hold every place (503) until they are cut
        status = requests.get(server.url + "/v1/health", timeout=10).status_code
        if status == 200:
            break
        time.sleep(1)
    assert status == 200
    assert all(closed_by_server(sock, within=10) for sock in readers)
    for sock in readers:
        sock.close()
    log = quiet_log(server)
    assert "Traceback" not in log and "took none of its answer" in log


def test_a_slow_client_reading_steadily_is_not_cut(start: Any) -> None:
    """The write deadline asks for progress, not speed: a laptop on a poor link that takes
    its answers steadily keeps its connection, however long they take. Progress counts the
    kernel's send queue too: it drains first, megabytes of it, while the transport's own
    buffer stands still (with that buffer alone, a 256 KB/s reader was cut in 3 s)."""
    server = start("--write-timeout", "2")
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"GET /v1/election HTTP/1.1\r\nHost: x\r\n\r\n" * 400)  # megabytes of answers
    sock.settimeout(10)
    got, until = 0, time.monotonic() + 8
    while time.monotonic() < until:  # 32 KB every 0.1 s: ~320 KB/s, for 4 write deadlines
        chunk = sock.recv(32 * 1024)
        assert chunk, f"cut after {got:,} bytes"
        got += len(chunk)
        time.sleep(0.1)
    sock.close()
    assert "took none of its answer" not in quiet_log(server)
