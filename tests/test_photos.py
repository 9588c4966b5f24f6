"""Photos bound into the signed sheet: the member's exact shape, files kept by hash and
checked on every read, and the CLI's --photo, `sheet show` and `verify` flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.cli import main as cli_main
from recap_desktop.protocol.photos import MAX_PHOTOS, check_photos, describe, sniff
from recap_desktop.protocol.records import check_officer_record
from tests.photo_support import png
from tests.sync_support import make_laptop, sign_sheet

STATION = "32.01.01.2001.001"
A, B = "a" * 64, "b" * 64


def entry(sha: str = A, size: int = 100, kind: str = "image/png") -> dict[str, Any]:
    return {"bytes": size, "sha256": sha, "type": kind}


@pytest.mark.parametrize(
    "photos",
    [
        "not a list",
        [entry(size=0)],
        [entry(size=10 * 1024 * 1024 + 1)],
        [entry(size=True)],  # a boolean is no size
        [entry(kind="image/gif")],
        [entry(sha="A" * 64)],
        [{**entry(), "name": "page 1"}],  # a member more
        [{"sha256": A, "bytes": 1}],  # a member less
        [entry(B), entry(A)],  # not in order
        [entry(A), entry(A)],  # twice
        [entry(f"{i:064x}") for i in range(MAX_PHOTOS + 1)],
    ],
)
def test_a_sheet_whose_photos_are_not_exactly_the_shape_is_malformed(
    photos: Any, tmp_path: Path
) -> None:
    laptop = make_laptop(tmp_path / "op", "op-shape")
    with pytest.raises(ValueError):
        check_photos(photos)
    with pytest.raises(ValueError):
        check_officer_record(sign_sheet(laptop, STATION, photos=photos))
    check_officer_record(sign_sheet(laptop, STATION, photos=[entry(A), entry(B, 5)]))
    check_officer_record(sign_sheet(laptop, STATION))  # absent: no photos


def test_only_png_and_jpeg_by_their_first_bytes() -> None:
    assert sniff(png()) == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "image/jpeg"
    for junk in (b"GIF89a", b"<svg/>", b"%PDF-1.7", b"\x89PNG", b""):
        assert sniff(junk) is None


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_attaches_photos_and_flags_an_altered_or_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECAP_LANG", "en")
    laptop = make_laptop(tmp_path / "op", "op-cli")
    laptop.ws.close()
    data = str(laptop.data_dir)
    import random

    from recap_desktop.domain.chasil_demo import random_sheet
    from recap_desktop.services import Workspace

    ws = Workspace(Path(data))
    election = ws.store.package.election()
    assert election is not None
    values = random_sheet(
        election.contests["ppwp"], election.stations[STATION].registered, random.Random(1)
    )
    ws.close()
    (tmp_path / "v.json").write_text(json.dumps(values))
    page1, page2 = tmp_path / "hal1.png", tmp_path / "hal2.png"
    page1.write_bytes(png(40, 30, seed=1))
    page2.write_bytes(png(40, 30, seed=2))
    (tmp_path / "note.txt").write_text("hello")

    enter = ["--data-dir", data, "sheet", "enter", "--station", STATION, "--contest", "ppwp",
             "--values", str(tmp_path / "v.json")]  # fmt: skip
    code, out, err = run(capsys, *enter, "--photo", str(tmp_path / "note.txt"))
    assert code == 2 and "not a PNG or JPEG" in err and not out
    code, out, err = run(capsys, *enter, "--photo", str(page1), "--photo", str(page2))
    assert code == 0, err
    sheet = out.strip()

    show = ["--data-dir", data, "sheet", "show", "--station", STATION, "--contest", "ppwp"]
    code, out, _ = run(capsys, *show)
    assert out.count("photo kept") == 2
    assert run(capsys, "--data-dir", data, "verify")[0] == 0

    one, two = describe(page1.read_bytes()), describe(page2.read_bytes())
    kept = tmp_path / "op" / "photos"
    altered = kept / one.sha256[:2] / one.sha256
    altered.write_bytes(page2.read_bytes())  # another image under its name
    (kept / two.sha256[:2] / two.sha256).unlink()
    code, out, _ = run(capsys, *show)
    assert "PHOTO ALTERED" in out and "PHOTO MISSING" in out and "photo kept" not in out
    code, out, _ = run(capsys, "--data-dir", data, "verify")
    assert code == 1
    assert f"{sheet}  {one.sha256}  PHOTO ALTERED" in out
    assert f"{sheet}  {two.sha256}  PHOTO MISSING" in out
    code, out, _ = run(capsys, "--data-dir", data, "verify", "--json")
    assert code == 1
    assert {(p["sha256"], p["state"]) for p in json.loads(out)["photos"]} == {
        (one.sha256, "altered"),
        (two.sha256, "missing"),
    }
    monkeypatch.setenv("RECAP_LANG", "id")
    code, out, _ = run(capsys, *show)
    assert "FOTO DIUBAH" in out and "FOTO HILANG" in out


def test_a_correction_names_the_photos_again_even_those_not_held_here(tmp_path: Path) -> None:
    import random

    from recap_desktop.domain.chasil_demo import random_sheet
    from recap_desktop.services import sheets as sheet_service
    from recap_desktop.services.workspace import RecapError

    laptop = make_laptop(tmp_path / "op", "op-correct")
    ws = laptop.ws
    election = ws.store.package.election()
    assert election is not None
    values = random_sheet(
        election.contests["ppwp"], election.stations[STATION].registered, random.Random(2)
    )
    one, two, three = png(20, 20, seed=31), png(20, 20, seed=32), png(20, 20, seed=33)
    first = sheet_service.enter_sheet(ws, laptop.key, STATION, "ppwp", values, photos=[one, two])
    ws.store.photos.path(describe(two).sha256).unlink()  # not held here any more

    def correct(prev: str, **kw: Any) -> Any:
        return sheet_service.enter_sheet(
            ws, laptop.key, STATION, "ppwp", values, supersedes=prev, reason="baca ulang", **kw
        )

    again = correct(first.hash, photos=[three])
    named = {p["sha256"] for p in again.payload["photos"]}
    assert named == {describe(d).sha256 for d in (one, two, three)}
    fewer = correct(again.hash, keep_photos=[describe(one).sha256])
    assert [p["sha256"] for p in fewer.payload["photos"]] == [describe(one).sha256]
    with pytest.raises(RecapError) as refused:
        correct(fewer.hash, keep_photos=[describe(two).sha256])  # not named by the one corrected
    assert refused.value.key == "photo.not_named"
    none = correct(fewer.hash, keep_photos=[])
    assert "photos" not in none.payload
