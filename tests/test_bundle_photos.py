"""USB bundles carry the photos their sheets name, as files by hash in a folder beside the
bundle (``x.json`` → ``x.photos/<sha256>``); the supervisor keeps only what is exactly the
photo a signed sheet names, whatever else the folder holds."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.cli import main as cli_main
from recap_desktop.protocol.photos import MISSING, OK, describe
from recap_desktop.services import bundle as bundle_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services.workspace import RecapError
from recap_desktop.sync.client import batch_bytes
from tests.photo_support import png
from tests.sync_support import Laptop, district_stations, make_laptop, sign_sheet


def enter_with_photos(laptop: Laptop, station: str, photos: list[bytes], seed: int = 3) -> str:
    from recap_desktop.domain.chasil_demo import random_sheet

    election = laptop.ws.store.package.election()
    assert election is not None
    values = random_sheet(
        election.contests["ppwp"], election.stations[station].registered, random.Random(seed)
    )
    record = sheet_service.enter_sheet(
        laptop.ws, laptop.key, station, "ppwp", values, photos=photos
    )
    return record.hash


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def two_laptops(tmp_path: Path) -> tuple[Laptop, Laptop]:
    return (
        make_laptop(tmp_path / "op", "op-usb"),
        make_laptop(tmp_path / "sup", "sup-usb", role="supervisor"),
    )


def test_photos_travel_beside_the_bundle_and_the_supervisor_keeps_them(tmp_path: Path) -> None:
    officer, boss = two_laptops(tmp_path)
    stations = district_stations(officer.ws)
    first, second, lost = png(seed=11), png(50, 40, seed=12), png(30, 20, seed=13)
    enter_with_photos(officer, stations[0], [first, second])
    changed = png(30, 20, seed=14)
    enter_with_photos(officer, stations[1], [lost, changed], seed=4)
    officer.ws.store.photos.path(sha(lost)).unlink()  # named by a sheet, not held here
    officer.ws.store.photos.path(sha(changed)).write_bytes(png(30, 20, seed=15))  # altered

    bundle = tmp_path / "usb" / "day1.json"
    exported = bundle_service.export_bundle(officer.ws, bundle)
    folder = tmp_path / "usb" / "day1.photos"
    assert (exported.photos, exported.not_held, exported.folder) == (2, 2, folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted([sha(first), sha(second)])
    assert (folder / sha(first)).read_bytes() == first
    # The bundle's JSON is the batch format as before: no photo inside, nothing new to read.
    assert set(json.loads(bundle.read_text())) <= {"format", "records", "forks", "heads"}
    (folder / sha(second)).write_bytes(png(50, 40, seed=16))  # spoilt on the stick
    assert bundle_service.export_bundle(officer.ws, bundle).photos == 2  # again: made whole
    assert (folder / sha(second)).read_bytes() == second
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no part file left

    # An older laptop (no folder given) still reads it: records only.
    result = bundle_service.import_bundle(boss.ws, bundle.read_bytes(), "old")
    assert result.added > 0 and result.photos == 0 and not result.problems
    photos = boss.ws.store.photos
    assert photos.state(describe(first)) == MISSING

    result = bundle_service.import_bundle(
        boss.ws, bundle.read_bytes(), str(bundle), bundle_service.photos_folder(bundle)
    )
    assert (result.photos, result.photos_refused) == (2, [])
    assert photos.state(describe(first)) == OK and photos.state(describe(second)) == OK
    assert photos.read(describe(first)) == first
    assert photos.state(describe(lost)) == MISSING  # still asked of the server at its sync
    again = bundle_service.import_bundle(boss.ws, bundle.read_bytes(), "again", folder)
    assert (again.photos, again.photos_refused) == (0, [])


def _plant_link(folder: Path, name: str, target: Path) -> None:
    os.symlink(target, folder / name)


@pytest.mark.parametrize(
    "case", ["altered", "link", "huge", "fifo", "folder", "outside", "bad_names", "dir_link"]
)
def test_a_hostile_photos_folder_keeps_nothing_and_crashes_nothing(
    tmp_path: Path, case: str
) -> None:
    officer, boss = two_laptops(tmp_path)
    station = district_stations(officer.ws)[0]
    photo, other = png(seed=21), png(seed=22)
    enter_with_photos(officer, station, [photo])
    bundle = tmp_path / "usb" / "b.json"
    bundle_service.export_bundle(officer.ws, bundle)
    folder = bundle_service.photos_folder(bundle)
    name = sha(photo)
    (folder / name).unlink()
    refused: list[str] = []
    if case == "altered":  # another real image under this photo's name
        (folder / name).write_bytes(other)
        refused = ["altered"]
    elif case == "link":  # a link to a file elsewhere, named by the hash
        _plant_link(folder, name, Path("/etc/passwd"))
        refused = ["link"]
    elif case == "huge":  # 64 GiB (sparse): refused by its size, never read
        with open(folder / name, "wb") as f:
            f.truncate(64 * 1024**3)
        refused = ["too_big"]
    elif case == "fifo":  # a pipe: opening or reading it would wait forever
        os.mkfifo(folder / name)
        refused = ["not_file"]
    elif case == "folder":
        (folder / name).mkdir()
        refused = ["not_file"]
    elif case == "outside":  # the right bytes, but beside the folder (``../<sha>``)
        (folder.parent / name).write_bytes(photo)
    elif case == "bad_names":  # the right bytes under names that are not the hash
        for junk in (name.upper(), name + ".png", "..", name[:63], "x" * 64):
            if junk != "..":
                (folder / junk).write_bytes(photo)
    elif case == "dir_link":  # the folder itself a link to a folder holding the photo
        elsewhere = tmp_path / "elsewhere"
        folder.rename(elsewhere)
        (elsewhere / name).write_bytes(photo)
        os.symlink(elsewhere, folder)
        refused = ["link"]

    result = bundle_service.import_bundle(boss.ws, bundle.read_bytes(), str(bundle), folder)
    assert result.added > 0 and not result.problems  # the records are admitted all the same
    assert [r.kind for r in result.photos_refused] == refused
    assert result.photos == 0
    assert boss.ws.store.photos.state(describe(photo)) == MISSING  # nothing kept


def test_a_file_that_hashes_right_but_is_not_the_type_the_sheet_names_is_refused(
    tmp_path: Path,
) -> None:
    officer, boss = two_laptops(tmp_path)
    station = district_stations(officer.ws)[0]
    image = png(seed=31)
    named = {"bytes": len(image), "sha256": sha(image), "type": "image/jpeg"}  # it is a PNG
    sheet = sign_sheet(officer, station, photos=[named])
    records = [r.record.to_json() for r in officer.ws.store.records.rows() if r.record]
    folder = tmp_path / "usb" / "b.photos"
    folder.mkdir(parents=True)
    (folder / sha(image)).write_bytes(image)
    result = bundle_service.import_bundle(
        boss.ws, batch_bytes([*records, sheet.to_json()]), "b.json", folder
    )
    assert boss.ws.store.records.is_held(sheet.hash)
    assert [(r.sha256, r.kind) for r in result.photos_refused] == [(sha(image), "not_named")]
    assert not boss.ws.store.photos.path(sha(image)).exists()


def test_a_full_usb_stick_is_said_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = make_laptop(tmp_path / "op", "op-usb")
    enter_with_photos(officer, district_stations(officer.ws)[0], [png(300, 200, seed=41)])
    bundle = tmp_path / "usb" / "b.json"
    bundle.parent.mkdir()

    class Usage:  # the stick as its file system reports it: 100 KiB free
        free = 100 * 1024

    monkeypatch.setattr(bundle_service.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(RecapError) as raised:
        bundle_service.export_bundle(officer.ws, bundle)
    assert raised.value.key == "bundle.no_room"
    assert "no room" in raised.value.message("en") and "MB free" in raised.value.message("en")
    assert list(bundle.parent.iterdir()) == []  # no bundle, no photo, no part file


def test_the_cli_says_what_photos_travelled_and_refuses_a_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    officer, boss = two_laptops(tmp_path)
    stations = district_stations(officer.ws)
    good, bad = png(seed=51), png(seed=52)
    enter_with_photos(officer, stations[0], [good])
    enter_with_photos(officer, stations[1], [bad], seed=5)
    officer.ws.close()
    boss.ws.close()
    bundle = tmp_path / "usb" / "b.json"
    monkeypatch.setenv("RECAP_LANG", "en")
    argv = ["--data-dir", str(officer.data_dir), "bundle", "export", "--out", str(bundle)]
    assert cli_main(argv) == 0
    out = capsys.readouterr().out
    assert f"2 photos written to {tmp_path / 'usb' / 'b.photos'}" in out
    (tmp_path / "usb" / "b.photos" / sha(bad)).write_bytes(png(seed=53))

    monkeypatch.setenv("RECAP_LANG", "id")
    code = cli_main(["--data-dir", str(boss.data_dir), "bundle", "import", str(bundle)])
    out = capsys.readouterr().out
    assert code == 1  # a refused photo is a problem found, as a refused record is
    assert "Foto dari bundel: 1 disimpan, 1 ditolak." in out
    assert f"foto {sha(bad)}: isinya tidak cocok dengan SHA-256 namanya" in out


def test_a_stick_that_fills_while_writing_leaves_no_half_photo_and_no_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = make_laptop(tmp_path / "op", "op-usb")
    first, second = png(seed=71), png(seed=72)
    enter_with_photos(officer, district_stations(officer.ws)[0], [first, second])
    bundle = tmp_path / "usb" / "b.json"
    real_fsync, calls = os.fsync, []

    def fsync(fd: int) -> None:  # the stick fills as the second photo's bytes go down
        calls.append(fd)
        if len(calls) == 3:  # the first photo: its file and its folder; then the second
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(RecapError) as raised:
        bundle_service.export_bundle(officer.ws, bundle)
    assert raised.value.key == "bundle.no_room"
    folder = bundle_service.photos_folder(bundle)
    left = sorted(p.name for p in folder.iterdir())
    assert len(left) == 1 and (folder / left[0]).read_bytes() in (first, second)  # whole
    assert not bundle.exists()  # no bundle claims photos that are not there


@pytest.mark.parametrize("kind", ["link", "file"])
def test_an_export_never_writes_photos_through_a_link_or_over_a_file(
    tmp_path: Path, kind: str
) -> None:
    """A stick prepared by someone else, its ``b.photos`` a link to a folder of this user's
    (or a file): the photos are not written there, nor the bundle, and the officer is told
    what to do; import refuses the same folder, so the two doors agree."""
    officer = make_laptop(tmp_path / "op", "op-usb")
    enter_with_photos(officer, district_stations(officer.ws)[0], [png(seed=51)])
    bundle = tmp_path / "usb" / "b.json"
    bundle.parent.mkdir()
    elsewhere = tmp_path / "home" / "documents"
    elsewhere.mkdir(parents=True)
    folder = bundle_service.photos_folder(bundle)
    if kind == "link":
        folder.symlink_to(elsewhere, target_is_directory=True)
    else:
        folder.write_bytes(b"not a folder")
    with pytest.raises(RecapError) as raised:
        bundle_service.export_bundle(officer.ws, bundle)
    assert raised.value.key == "bundle.photos_folder_bad"
    assert "not a plain folder" in raised.value.message("en")
    assert list(elsewhere.iterdir()) == []
    assert not bundle.exists()


@pytest.mark.parametrize("dir_fd", [True, False], ids=["dir_fd", "paths_as_on_windows"])
@pytest.mark.parametrize("there", [True, False], ids=["folder_there", "folder_made"])
def test_a_folder_swapped_for_a_link_after_its_check_gets_no_photo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, there: bool, dir_fd: bool
) -> None:
    """The race a local attacker could win against a check of the folder's path followed by
    writes by path: ``b.photos`` is a plain folder (or none) when the export looks, and a link
    to a folder of this user's by the time the photos are written. Made deterministic: the
    swap happens while the first photo is read from the store, between the check and the
    first write. The export writes through the folder it opened (O_DIRECTORY | O_NOFOLLOW,
    files relative to it), so nothing goes through the link; and it writes no bundle whose
    folder path no longer names the folder that holds its photos. Where the system has no
    dir_fd (Windows), the folder's path is checked again before each write: that one is
    refused before its first photo (the window is narrowed there, not closed)."""
    if not dir_fd:
        monkeypatch.setattr(bundle_service, "_DIR_FD", False)
    officer = make_laptop(tmp_path / "op", "op-usb")
    enter_with_photos(officer, district_stations(officer.ws)[0], [png(seed=61), png(seed=62)])
    bundle = tmp_path / "usb" / "b.json"
    bundle.parent.mkdir()
    folder = bundle_service.photos_folder(bundle)
    if there:
        folder.mkdir()
    elsewhere = tmp_path / "home" / "documents"
    elsewhere.mkdir(parents=True)
    files = officer.ws.store.photos
    real_read = files.read
    swaps = []

    def read(photo: Any) -> bytes | None:
        if not folder.is_symlink():
            if folder.exists():
                folder.rename(tmp_path / "usb" / "aside")
            folder.symlink_to(elsewhere, target_is_directory=True)
            swaps.append(photo)
        return real_read(photo)

    monkeypatch.setattr(files, "read", read)
    with pytest.raises(RecapError) as raised:
        bundle_service.export_bundle(officer.ws, bundle)
    assert swaps  # the swap happened after the check
    assert raised.value.key == "bundle.photos_folder_bad"
    assert list(elsewhere.iterdir()) == []  # not one byte through the link
    assert not bundle.exists()
    # The photos went to the folder opened (moved aside), whole, with no part file left.
    aside = sorted(p.name for p in (tmp_path / "usb" / "aside").iterdir())
    assert len(aside) == (2 if dir_fd else 0) and not [n for n in aside if n.endswith(".tmp")]
