"""Photos of the paper through the real server on loopback: up by hash (resumable, checked
on arrival, only for admitted sheets), down by hash (checked before it is kept)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from recap_desktop.protocol.photos import MAX_PHOTO_BYTES, describe
from recap_desktop.services import photos as photo_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services import sync as sync_service
from recap_desktop.services.workspace import RecapError
from recap_desktop.sync.backoff import Backoff
from recap_desktop.sync.engine import DONE, UNREACHABLE
from recap_desktop.sync.photos import CHUNK
from recap_server.photos import PhotoFolder, ServerPhotos
from tests.faultproxy import FaultProxy
from tests.photo_support import png
from tests.sync_support import (
    Laptop,
    LiveServer,
    district_stations,
    live_server,
    make_laptop,
    sign_sheet,
)

__all__ = ["live_server"]


@pytest.fixture
def proxy(live_server: LiveServer) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(live_server.port)
    yield fault_proxy
    fault_proxy.stop()


def enter_with_photos(laptop: Laptop, station: str, photos: list[bytes]) -> str:
    import random

    from recap_desktop.domain.chasil_demo import random_sheet

    election = laptop.ws.store.package.election()
    assert election is not None
    values = random_sheet(
        election.contests["ppwp"], election.stations[station].registered, random.Random(3)
    )
    record = sheet_service.enter_sheet(
        laptop.ws, laptop.key, station, "ppwp", values, photos=photos
    )
    return record.hash


def sync(laptop: Laptop, url: str, attempts: int = 3) -> Any:
    return sync_service.sync_once(
        laptop.ws, url, attempts=attempts, backoff=Backoff(base=0.01, cap=0.05)
    )


def states(laptop: Laptop, station: str) -> list[str]:
    history = sheet_service.sheet_history(laptop.ws, station, "ppwp")
    return [p["state"] for v in history["versions"] for p in v["photos"]]


def test_a_photo_goes_up_by_hash_and_the_supervisor_pulls_and_sees_it(
    live_server: LiveServer, tmp_path: Path
) -> None:
    officer = make_laptop(tmp_path / "op", "op-photo")
    boss = make_laptop(tmp_path / "sup", "sup-photo", role="supervisor")
    station = district_stations(officer.ws)[0]
    big, small = png(700, 600, seed=5), png(40, 30, seed=6)  # big: 2 chunks
    assert len(big) > CHUNK
    sheet = enter_with_photos(officer, station, [big, small])
    assert states(officer, station) == ["ok", "ok"]

    result = sync(officer, live_server.url)
    assert result.outcome == DONE
    assert result.extra["photos"].sent == 2
    for image in (big, small):
        served = requests.get(
            f"{live_server.url}/v1/photos/{hashlib.sha256(image).hexdigest()}", timeout=10
        )
        assert served.status_code == 200 and served.content == image
        assert served.headers["content-type"] == "image/png"
    again = sync(officer, live_server.url)  # nothing left to send: asks, sends nothing
    assert again.extra["photos"].sent == 0

    result = sync(boss, live_server.url)
    assert result.outcome == DONE
    assert result.extra["photos"].fetched == 2
    history = sheet_service.sheet_history(boss.ws, station, "ppwp")
    assert [v["hash"] for v in history["versions"]] == [sheet]
    assert states(boss, station) == ["ok", "ok"]
    assert photo_service.read(boss.ws, describe(big)) == big
    assert photo_service.problems(boss.ws) == []


def test_a_server_that_serves_wrong_bytes_is_refused_and_nothing_is_kept(
    live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = make_laptop(tmp_path / "op", "op-photo")
    boss = make_laptop(tmp_path / "sup", "sup-photo", role="supervisor")
    station = district_stations(officer.ws)[1]
    image = png(50, 40, seed=7)
    photo = describe(image)
    enter_with_photos(officer, station, [image])
    assert sync(officer, live_server.url).extra["photos"].sent == 1
    # A dishonest server serves other bytes under the photo's name: same length, same PNG
    # signature, other pixels. (Patched in: the honest server checks what it reads, below.)
    forged = image[:-20] + bytes(20)
    monkeypatch.setattr(ServerPhotos, "get", lambda self, sha: ("image/png", forged))

    result = sync(boss, live_server.url)
    assert result.extra["photos"].bad == [photo.sha256]
    assert result.extra["photos"].fetched == 0
    assert not boss.ws.store.photos.path(photo.sha256).exists()
    assert states(boss, station) == ["missing"]  # flagged, never dropped
    assert [(p.sheet is not None, p.state) for p in photo_service.problems(boss.ws)] == [
        (True, "missing")
    ]


def test_the_server_keeps_photos_as_files_checked_on_every_read(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """A photo is a file by hash beside the database, the database its index; a file
    changed, cut or lost behind the server's back is never served, and is asked for again."""
    officer = make_laptop(tmp_path / "op", "op-photo")
    station = district_stations(officer.ws)[5]
    image = png(80, 60, seed=11)
    photo = describe(image)
    enter_with_photos(officer, station, [image])
    assert sync(officer, live_server.url).extra["photos"].sent == 1
    folder = PhotoFolder(live_server.data_dir / "photos")
    kept = folder.path(photo.sha256)
    assert kept.read_bytes() == image
    with live_server.ledger.storage.transaction() as conn:  # type: ignore[attr-defined]
        row = conn.execute(
            "SELECT bytes, LENGTH(data) FROM photos WHERE sha256 = ?", [photo.sha256]
        ).fetchone()
    assert (int(row[0]), int(row[1])) == (photo.bytes, 0)  # the index only
    url = f"{live_server.url}/v1/photos/{photo.sha256}"
    for damage in (
        lambda: kept.write_bytes(image[:-20] + bytes(20)),  # same length, other pixels
        lambda: kept.write_bytes(image[:100]),  # cut
        lambda: kept.unlink(),  # lost
    ):
        damage()
        assert requests.get(url, timeout=10).status_code == 404  # never the wrong bytes
        again = sync(officer, live_server.url)  # the server asks for it; it goes up again
        assert again.outcome == DONE and again.extra["photos"].sent == 1
        assert requests.get(url, timeout=10).content == image
    assert kept.with_name(photo.sha256 + ".altered").exists()  # kept for a person to see


def test_the_server_refuses_junk_oversize_and_photos_no_sheet_names(
    live_server: LiveServer, tmp_path: Path
) -> None:
    officer = make_laptop(tmp_path / "op", "op-photo")
    station = district_stations(officer.ws)[2]
    image = png(30, 30, seed=8)
    photo = describe(image)
    sheet = enter_with_photos(officer, station, [image])
    url = live_server.url

    def put(
        sha: str, data: bytes, offset: int | str = 0, named_by: str = sheet
    ) -> requests.Response:
        return requests.put(
            f"{url}/v1/photos/{sha}",
            params={"sheet": named_by, "offset": offset},
            data=data,
            headers={"Content-Type": "application/octet-stream"},
            timeout=10,
        )

    # Before the sheet is pushed the server holds no sheet naming the photo: junk.
    assert put(photo.sha256, image).status_code == 404
    junk = png(30, 30, seed=99)
    assert put(hashlib.sha256(junk).hexdigest(), junk).status_code == 404
    assert sync(officer, url).outcome == DONE  # the sheet and its photo go up
    with live_server.ledger.storage.transaction() as conn:  # type: ignore[attr-defined]
        conn.execute("DELETE FROM photos")  # as if the upload had not happened yet

    not_image = b"GIF89a" + image[6:]
    assert put(photo.sha256, not_image).status_code == 415  # magic bytes, not the named type
    assert put(photo.sha256, image + b"more").status_code == 413  # beyond the size named
    assert put(photo.sha256, image, offset=5).status_code == 409  # not where it stands
    # What the server cannot read is 400 (§9.8): 422 there says the bytes were not the photo.
    for offset in (-1, "1.0", "07", "", 10 * 1024 * 1024 + 1):
        assert put(photo.sha256, image, offset=offset).status_code == 400, offset
    for question in ({"sheets": [sheet] * 501}, {"sheets": sheet}, [sheet], {"sheets": [7]}):
        asked = requests.post(f"{url}/v1/photos/missing", json=question, timeout=10)
        assert asked.status_code == 400, question
    # Nesting too deep for the parser is 400 too, and a body past 500 hashes' size is 413,
    # answered before it is read whole, never parsed.
    deep = b"[" * 100_000 + b"]" * 100_000
    for body, status in ((deep[:39_000] + deep[-1_000:], 400), (deep, 413)):
        headers = {"Content-Type": "application/json"}
        asked = requests.post(f"{url}/v1/photos/missing", data=body, headers=headers, timeout=10)
        assert asked.status_code == status, (len(body), asked.status_code)
    assert put(photo.sha256, image[:4]).status_code == 415  # the PNG signature's start only
    too_big = put(photo.sha256, bytes(2 * 1024 * 1024 + 1))
    assert too_big.status_code == 413
    wrong = image[:-10] + bytes(10)  # the right size and signature, other bytes
    refused = put(photo.sha256, wrong)
    assert refused.status_code == 422
    missing = requests.post(f"{url}/v1/photos/missing", json={"sheets": [sheet]}, timeout=10)
    assert missing.json()["photos"][0]["received"] == 0  # the bad bytes were dropped
    assert requests.get(f"{url}/v1/photos/{photo.sha256}", timeout=10).status_code == 404
    assert put(photo.sha256, image).json() == {
        "sha256": photo.sha256,
        "received": photo.bytes,
        "complete": True,
    }
    # A sheet naming a photo beyond the bound is malformed at every door (PROTOCOL §4).
    record = sign_sheet(
        officer,
        district_stations(officer.ws)[3],
        photos=[{"bytes": MAX_PHOTO_BYTES + 1, "sha256": "a" * 64, "type": "image/png"}],
    )
    answer = live_server.ledger.push([record.to_json()])
    assert [o.status for o in answer.outcomes] == ["refused"]
    assert answer.outcomes[0].reason == "malformed"


def test_the_laptop_refuses_a_file_that_is_no_image_or_too_big(tmp_path: Path) -> None:
    officer = make_laptop(tmp_path / "op", "op-photo")
    text = tmp_path / "c-hasil.png"
    text.write_text("not an image, whatever its name")
    with pytest.raises(RecapError) as refused:
        photo_service.read_file(text)
    assert refused.value.key == "photo.not_image"
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff\xe0" + bytes(MAX_PHOTO_BYTES))
    with pytest.raises(RecapError) as refused:
        photo_service.read_file(big)
    assert refused.value.key == "photo.too_big"
    station = district_stations(officer.ws)[0]
    with pytest.raises(RecapError):
        enter_with_photos(officer, station, [b"plain text"])
    assert officer.ws.store.sheets.versions(station, "ppwp") == []  # nothing signed


def test_an_interrupted_upload_resumes_where_the_server_stands(
    live_server: LiveServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    officer = make_laptop(tmp_path / "op", "op-photo")
    station = district_stations(officer.ws)[4]
    image = png(900, 900, seed=9)  # 3 chunks
    photo = describe(image)
    assert 2 * CHUNK < len(image) <= 3 * CHUNK
    enter_with_photos(officer, station, [image])
    # The first chunk passes; the server stores the second, then the connection dies.
    proxy.queue("pass@PUT", "drop_after@PUT")
    first = sync(officer, proxy.url, attempts=1)
    assert first.outcome == UNREACHABLE
    missing = requests.post(
        f"{live_server.url}/v1/photos/missing",
        json={"sheets": [n.sheet for n in officer.ws.store.photos.named()]},
        timeout=10,
    ).json()["photos"]
    assert [(m["sha256"], m["received"]) for m in missing] == [(photo.sha256, 2 * CHUNK)]

    proxy.queue(*["pass@PUT"] * 5)
    second = sync(officer, proxy.url)
    assert second.outcome == DONE and second.extra["photos"].sent == 1
    puts = [line for line in proxy.applied[2:] if line.startswith("pass PUT")]
    assert len(puts) == 1  # only the last chunk went again
    served = requests.get(f"{live_server.url}/v1/photos/{photo.sha256}", timeout=10)
    assert served.content == image


def test_photos_are_served_and_taken_while_a_push_holds_the_writers_lock(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """Photo reads and chunks never wait for the database's writers' lock (a push's): the
    chunks go to a part file under the photo's own file lock; only a photo's index row, once
    it is whole, is written in a transaction."""
    officer = make_laptop(tmp_path / "op", "op-photo")
    station = district_stations(officer.ws)[6]
    big, small = png(700, 600, seed=12), png(30, 30, seed=13)  # big: 2 chunks
    sheet = enter_with_photos(officer, station, [big, small])
    engine = sync_service.make_engine(officer.ws, live_server.url, attempts=1)
    engine.after = ()  # the records only
    assert engine.sync().outcome == DONE
    engine.client.close()
    assert sync(officer, live_server.url).extra["photos"].sent == 2  # small held; big ...
    big_photo = describe(big)
    with live_server.ledger.storage.transaction() as conn:  # type: ignore[attr-defined]
        conn.execute("DELETE FROM photos WHERE sha256 = ?", [big_photo.sha256])  # ... not
    taken = threading.Event()
    release = threading.Event()

    def push_holding_the_lock() -> None:
        with live_server.ledger.storage.transaction():  # type: ignore[attr-defined]
            taken.set()
            release.wait(30)

    holder = threading.Thread(target=push_holding_the_lock)
    holder.start()
    try:
        assert taken.wait(10)
        small_url = f"{live_server.url}/v1/photos/{describe(small).sha256}"
        assert requests.get(small_url, timeout=5).content == small
        missing = requests.post(
            f"{live_server.url}/v1/photos/missing", json={"sheets": [sheet]}, timeout=5
        )
        assert [m["received"] for m in missing.json()["photos"]] == [0]
        first = requests.put(
            f"{live_server.url}/v1/photos/{big_photo.sha256}",
            params={"sheet": sheet, "offset": 0},
            data=big[:CHUNK],
            headers={"Content-Type": "application/octet-stream"},
            timeout=5,
        )
        assert first.json() == {"sha256": big_photo.sha256, "received": CHUNK, "complete": False}
    finally:
        release.set()
        holder.join()
    assert sync(officer, live_server.url).extra["photos"].sent == 1  # from CHUNK on
    assert (
        requests.get(f"{live_server.url}/v1/photos/{big_photo.sha256}", timeout=10).content == big
    )


def test_photos_an_older_server_kept_in_its_database_are_still_served_checked(
    live_server: LiveServer, tmp_path: Path
) -> None:
    officer = make_laptop(tmp_path / "op", "op-photo")
    station = district_stations(officer.ws)[7]
    image = png(40, 40, seed=14)
    photo = describe(image)
    enter_with_photos(officer, station, [image])
    engine = sync_service.make_engine(officer.ws, live_server.url, attempts=1)
    engine.after = ()  # the records only: the photo is put in as an older server kept it
    assert engine.sync().outcome == DONE
    engine.client.close()
    with live_server.ledger.storage.transaction() as conn:  # type: ignore[attr-defined]
        conn.execute(
            "INSERT INTO photos (sha256, type, bytes, data, received) VALUES (?, ?, ?, ?, ?)",
            [photo.sha256, photo.type, photo.bytes, image, "2026-02-14T10:00:00Z"],
        )
    url = f"{live_server.url}/v1/photos/{photo.sha256}"
    assert requests.get(url, timeout=10).content == image
    assert sync(officer, live_server.url).extra["photos"].sent == 0  # held already
    with live_server.ledger.storage.transaction() as conn:  # type: ignore[attr-defined]
        conn.execute(
            "UPDATE photos SET data = ? WHERE sha256 = ?", [image[:-5] + bytes(5), photo.sha256]
        )
    assert requests.get(url, timeout=10).status_code == 404  # never other bytes
    assert sync(officer, live_server.url).extra["photos"].sent == 1  # asked for again
    assert requests.get(url, timeout=10).content == image


def test_a_photo_folder_that_cannot_be_written_answers_503_and_keeps_nothing(
    live_server: LiveServer, tmp_path: Path
) -> None:
    officer = make_laptop(tmp_path / "op", "op-photo")
    station = district_stations(officer.ws)[8]
    image = png(30, 20, seed=15)
    photo = describe(image)
    sheet = enter_with_photos(officer, station, [image])
    engine = sync_service.make_engine(officer.ws, live_server.url, attempts=1)
    engine.after = ()  # the records only
    assert engine.sync().outcome == DONE
    engine.client.close()
    # The photo's shard of the folder is a file, not a folder: nothing can be written there
    # (a real fault, as a full or read-only disk would be; chmod does not stop root).
    blocker = PhotoFolder(live_server.data_dir / "photos").path(photo.sha256).parent
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_bytes(b"")
    answer = requests.put(
        f"{live_server.url}/v1/photos/{photo.sha256}",
        params={"sheet": sheet, "offset": 0},
        data=image,
        headers={"Content-Type": "application/octet-stream"},
        timeout=10,
    )
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) >= 1
    missing = requests.post(
        f"{live_server.url}/v1/photos/missing", json={"sheets": [sheet]}, timeout=10
    )
    assert missing.json()["photos"][0]["received"] == 0
    blocker.unlink()
    assert sync(officer, live_server.url).extra["photos"].sent == 1
    served = requests.get(f"{live_server.url}/v1/photos/{photo.sha256}", timeout=10)
    assert served.content == image
