"""Photo uploads held off as pushes are (PROTOCOL §9.8, §9.9), against the real server on a
loopback port with its gate on: no body read before a certified key's push token is checked,
a body refused at the size the sheet names while it streams in, each key's rate, a replayed
token that buys nothing, bytes that are not the photo stored nowhere, and a laptop that waits
as it is told and finishes."""

from __future__ import annotations

import datetime as dt
import http.client
import itertools
import json
import random
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from recap_desktop.crypto import authority
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.protocol.photos import Photo, describe
from recap_desktop.protocol.pushauth import HEADER, make_token
from recap_desktop.services import demo as demo_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services import sync as sync_service
from recap_desktop.sync.engine import DONE, SyncEngine
from recap_desktop.sync.photos import CHUNK
from recap_server.gate import GateLimits
from tests.photo_support import png
from tests.sync_support import Laptop, LiveServer, district_stations, make_laptop


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[Any]:
    """Start a server whose gate is on (tokens required, rates kept), with these limits."""
    started: list[LiveServer] = []

    def go(**limits: Any) -> LiveServer:
        server = LiveServer(tmp_path / f"server{len(started)}", gate=GateLimits(**limits))
        started.append(server)
        return server

    yield go
    for server in started:
        server.stop()


def with_photos(laptop: Laptop, station: str, images: list[bytes]) -> str:
    """Enter a sheet naming these photos, and keep the photos on the laptop."""
    election = laptop.ws.store.package.election()
    assert election is not None
    values = random_sheet(
        election.contests["ppwp"], election.stations[station].registered, random.Random(3)
    )
    return sheet_service.enter_sheet(
        laptop.ws, laptop.key, station, "ppwp", values, photos=images
    ).hash


def records_only(laptop: Laptop, url: str) -> None:
    """A sync of the records alone (the first push carries the officer's certificate)."""
    engine = sync_service.make_engine(laptop.ws, url, attempts=1)
    engine.after = ()
    try:
        result = engine.sync()
    finally:
        engine.client.close()
    assert result.outcome == DONE, result.error


def token_of(laptop: Laptop) -> str:
    token = laptop.ws.store.outbox.setting(sync_service.PUSH_TOKEN)
    assert token is not None  # made when the demo key was unlocked
    return str(token)


def put_head(
    port: int,
    photo: Photo,
    sheet: str,
    *,
    token: str | None,
    offset: int = 0,
    length: int | None = None,
    source: str = "127.0.0.1",
) -> socket.socket:
    """A PUT's line and headers only; ``length`` None: a chunked body follows."""
    sock = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    framing = "Transfer-Encoding: chunked" if length is None else f"Content-Length: {length}"
    auth = f"{HEADER}: {token}\r\n" if token is not None else ""
    sock.sendall(
        f"PUT /v1/photos/{photo.sha256}?sheet={sheet}&offset={offset} HTTP/1.1\r\n"
        f"Host: x\r\nContent-Type: application/octet-stream\r\n{auth}{framing}\r\n\r\n".encode()
    )
    return sock


def answer_of(sock: socket.socket, within: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and the start of the body of the first answer on ``sock``."""
    sock.settimeout(within)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:] if ": " in line)}
    while len(rest) < int(headers.get("content-length", 0)):
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(lines[0].split()[1]), headers, rest


_ADDRESSES = itertools.count(10)


def observer(server: LiveServer) -> http.client.HTTPConnection:
    """A connection from a loopback address of its own: an observer without a token, whose
    questions spend no one else's rate (each address has its own bucket)."""
    address = f"127.0.1.{next(_ADDRESSES) % 250 + 1}"
    return http.client.HTTPConnection("127.0.0.1", server.port, 10, (address, 0))


def received(server: LiveServer, sheet: str) -> dict[str, int]:
    """What the server says it holds of each photo the sheet names and it lacks."""
    conn = observer(server)
    body = json.dumps({"sheets": [sheet]})
    conn.request("POST", "/v1/photos/missing", body, {"Content-Type": "application/json"})
    answer = conn.getresponse()
    data = answer.read()
    conn.close()
    assert answer.status == 200, data
    return {p["sha256"]: p["received"] for p in json.loads(data)["photos"]}


def served(server: LiveServer, photo: Photo) -> int:
    conn = observer(server)
    conn.request("GET", f"/v1/photos/{photo.sha256}")
    status = conn.getresponse().status
    conn.close()
    return status


def put(
    server: LiveServer, photo: Photo, sheet: str, data: bytes, token: str | None, offset: int = 0
) -> requests.Response:
    headers = {"Content-Type": "application/octet-stream"}
    if token is not None:
        headers[HEADER] = token
    return requests.put(
        f"{server.url}/v1/photos/{photo.sha256}",
        params={"sheet": sheet, "offset": offset},
        data=data,
        headers=headers,
        timeout=10,
    )


def test_no_photo_body_is_read_without_a_certified_keys_token(gated: Any, tmp_path: Path) -> None:
    server = gated()
    laptop = make_laptop(tmp_path / "a", "op-a")
    image = png(60, 40, seed=21)
    photo = describe(image)
    sheet = with_photos(laptop, district_stations(laptop.ws)[0], [image])
    records_only(laptop, server.url)
    good = token_of(laptop)
    encoded, sig = good.split(".")
    now = dt.datetime.now(dt.UTC)
    strangers = {
        "none": None,
        "stranger": make_token(SigningKey.generate(), now),  # a key no one certified
        "forged": encoded + "." + ("0" if sig[0] != "0" else "1") + sig[1:],
        "expired": make_token(laptop.key, now - dt.timedelta(days=40)),
        "junk": "not a token",
    }
    for name, token in strangers.items():
        # The body (5 MB announced) is never sent: the answer comes from the headers alone.
        sock = put_head(server.port, photo, sheet, token=token, length=5_000_000)
        status, _, body = answer_of(sock)
        sock.close()
        assert status == 401, (name, body)
    # The laptop's key revoked by the authority: its token holds no more.
    revoked = authority.revocations(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        version=1,
        issued="2026-02-01T00:00:00Z",
        revoked=[
            {"key_id": laptop.key.key_id, "reason": "laptop stolen", "time": "2026-02-01T00:00:00Z"}
        ],
    )
    assert [o.status for o in server.ledger.import_authority([revoked])] == ["stored"]
    sock = put_head(server.port, photo, sheet, token=good, length=len(image))
    status, _, body = answer_of(sock)
    sock.close()
    assert status == 401 and b"revoked" in body
    assert put(server, photo, sheet, image, good).status_code == 401
    # Nothing of any of them was kept.
    assert received(server, sheet) == {photo.sha256: 0}
    assert served(server, photo) == 404


def test_an_oversized_photo_dribbled_slowly_is_cut_at_the_size_its_sheet_names(
    gated: Any, tmp_path: Path
) -> None:
    server = gated()
    laptop = make_laptop(tmp_path / "a", "op-a")
    image = png(40, 30, seed=22)  # ~3.7 KB
    photo = describe(image)
    sheet = with_photos(laptop, district_stations(laptop.ws)[1], [image])
    records_only(laptop, server.url)
    token = token_of(laptop)
    # Announced over the size named: refused before a byte of the body.
    sock = put_head(server.port, photo, sheet, token=token, length=len(image) + 1)
    status, _, _ = answer_of(sock)
    sock.close()
    assert status == 413
    # Streamed a little at a time without a length: refused once past the size named, long
    # before the 2 MiB a chunk may be, and the rest is never read.
    sock = put_head(server.port, photo, sheet, token=token)
    piece = image[:1024]
    sent = 0
    answered = False
    sock.setblocking(False)
    for _ in range(2 * 1024 + 8):  # 2 MiB and a little more, 1 KiB at a time
        try:
            sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            sent += len(piece)
        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
            answered = True
            break
        time.sleep(0.002)
        try:
            if sock.recv(1, socket.MSG_PEEK):
                answered = True
                break
        except BlockingIOError:
            continue
    assert answered and sent <= len(image) + 64 * 1024, sent
    sock.setblocking(True)
    status, _, _ = answer_of(sock)
    sock.close()
    assert status == 413
    assert received(server, sheet) == {photo.sha256: 0}
    # The laptop still sends it.
    assert put(server, photo, sheet, image, token).json()["complete"] is True


def test_a_flood_from_one_key_is_told_to_wait_and_other_keys_still_send(
    gated: Any, tmp_path: Path
) -> None:
    server = gated(photo_rate=0.2, photo_burst=5)
    flooder = make_laptop(tmp_path / "a", "op-a")
    honest = make_laptop(tmp_path / "b", "op-b")
    image, other = png(30, 30, seed=23), png(30, 30, seed=24)
    sheet = with_photos(flooder, district_stations(flooder.ws)[2], [image])
    with_photos(honest, district_stations(honest.ws)[3], [other])
    records_only(flooder, server.url)
    token = token_of(flooder)
    photo = describe(image)
    statuses, waits = [], []
    for _ in range(30):
        answer = put(server, photo, sheet, image[:100], token, offset=7)  # 409: never stored
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            waits.append(int(answer.headers["Retry-After"]))
    assert statuses[:5] == [409] * 5
    assert statuses[5:] == [429] * 25
    assert min(waits) >= 1 and max(waits) <= 5  # one PUT per 5 s
    # Another key has its own share: its laptop sends its photo as if nothing happened.
    result = sync_service.sync_once(honest.ws, server.url, attempts=1)
    assert result.outcome == DONE, result.error
    assert result.extra["photos"].sent == 1
    assert served(server, describe(other)) == 200
    assert served(server, photo) == 404


def test_a_replayed_token_shares_its_keys_rate_and_stores_nothing_but_the_photo(
    gated: Any, tmp_path: Path
) -> None:
    server = gated(photo_rate=0.2, photo_burst=2)
    laptop = make_laptop(tmp_path / "a", "op-a")
    image = png(600, 600, seed=25)  # two chunks
    assert CHUNK < len(image) <= 2 * CHUNK
    photo = describe(image)
    sheet = with_photos(laptop, district_stations(laptop.ws)[4], [image])
    records_only(laptop, server.url)
    token = token_of(laptop)
    # Someone who copied the token (another address) sends bytes that are not the photo,
    # each at the right size: the parts are taken, the whole refused and dropped.
    forged = bytearray(image)
    forged[CHUNK + 10] ^= 0xFF
    first = put(server, photo, sheet, bytes(forged[:CHUNK]), token)
    assert first.status_code == 200 and first.json()["received"] == CHUNK
    sock = put_head(
        server.port, photo, sheet, token=token, offset=CHUNK, length=len(image) - CHUNK,
        source="127.0.0.2",
    )  # fmt: skip
    sock.sendall(bytes(forged[CHUNK:]))
    status, _, _ = answer_of(sock)
    sock.close()
    assert status == 422
    assert received(server, sheet) == {photo.sha256: 0}
    assert served(server, photo) == 404
    # Its third PUT from yet another address finds the key's share spent: a token buys one
    # key's rate, however many addresses replay it.
    sock = put_head(server.port, photo, sheet, token=token, length=10, source="127.0.0.3")
    status, headers, _ = answer_of(sock)
    sock.close()
    assert status == 429 and int(headers["retry-after"]) >= 1
    assert received(server, sheet) == {photo.sha256: 0}


def recorded_sync(laptop: Laptop, url: str) -> tuple[Any, list[float]]:
    """One sync attempt whose waits are recorded (and waited)."""
    waits: list[float] = []

    class Recording(SyncEngine):
        def wait(self, seconds: float) -> bool:
            waits.append(seconds)
            return super().wait(seconds)

    engine = sync_service.make_engine(laptop.ws, url, attempts=1)
    engine.__class__ = Recording
    try:
        return engine.sync(), waits
    finally:
        engine.client.close()


def test_the_laptops_wait_as_told_and_photos_go_up_and_down(gated: Any, tmp_path: Path) -> None:
    server = gated(photo_rate=2.0, photo_burst=1)
    laptop = make_laptop(tmp_path / "a", "op-a")
    boss = make_laptop(tmp_path / "b", "sup-b", role="supervisor")
    images = [png(900, 900, seed=26), png(30, 30, seed=27)]  # three chunks, and one
    assert 2 * CHUNK < len(images[0]) <= 3 * CHUNK
    with_photos(laptop, district_stations(laptop.ws)[5], images)
    result, waits = recorded_sync(laptop, server.url)
    # One attempt: the photo step itself waited the Retry-After (1 s) between chunks, the
    # whole sync was not run again.
    assert result.outcome == DONE, result.error
    assert result.extra["photos"].sent == 2
    assert len(waits) >= 3 and all(w >= 1.0 for w in waits)
    assert all(served(server, describe(image)) == 200 for image in images)
    # The supervisor's laptop fetches both at its key's rate, waiting as told.
    result, waits = recorded_sync(boss, server.url)
    assert result.outcome == DONE, result.error
    assert result.extra["photos"].fetched == 2
    assert len(waits) >= 1 and all(w >= 1.0 for w in waits)


def test_an_observer_flooding_photo_reads_is_told_to_wait(gated: Any, tmp_path: Path) -> None:
    server = gated(photo_rate=0.2, photo_burst=5)
    laptop = make_laptop(tmp_path / "a", "op-a")
    image = png(30, 30, seed=28)
    with_photos(laptop, district_stations(laptop.ws)[6], [image])
    assert sync_service.sync_once(laptop.ws, server.url, attempts=1).outcome == DONE
    url = f"{server.url}/v1/photos/{describe(image).sha256}"
    statuses = [requests.get(url, timeout=10).status_code for _ in range(12)]
    assert statuses == [200] * 5 + [429] * 7
    assert served(server, describe(image)) == 200  # another address: its own share
