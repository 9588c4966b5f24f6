"""Photos of the paper: read a file as an image a sheet may name, keep it, say its state.

The window and the CLI both come here: a file is refused with a message saying why (not
PNG/JPEG, too big, empty, unreadable) before anything is signed, and every photo a sheet
names is shown with its state (kept, missing, altered), never dropped.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recap_desktop.protocol.photos import (
    ALTERED,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    MISSING,
    OK,
    Photo,
    PhotoError,
    describe,
    photo_list,
    photos_of,
)
from recap_desktop.services.workspace import RecapError, Workspace

__all__ = ["ALTERED", "MISSING", "OK", "PhotoView", "check", "read_file", "sheet_photos"]


@dataclass(frozen=True)
class PhotoView:
    """A photo a sheet names, and whether this folder holds it intact."""

    photo: Photo
    state: str  # OK, MISSING or ALTERED

    def to_json(self) -> dict[str, Any]:
        return {**self.photo.to_json(), "state": self.state}


@dataclass(frozen=True)
class PhotoProblem:
    """A photo a held sheet names that this folder lacks or holds altered."""

    sheet: str
    photo: Photo
    state: str


def check(data: bytes, name: str) -> Photo:
    """The entry for an image file's bytes; a RecapError saying what is wrong otherwise."""
    try:
        return describe(data)
    except PhotoError as exc:
        raise RecapError(
            f"photo.{exc.kind}", path=name, limit=MAX_PHOTO_BYTES // (1024 * 1024)
        ) from exc


def read_file(path: str | Path) -> bytes:
    """An image file's bytes, checked (PNG or JPEG, at most 10 MiB) before it is read whole."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_PHOTO_BYTES:
            raise RecapError("photo.too_big", path=str(p), limit=MAX_PHOTO_BYTES // (1024 * 1024))
        data = p.read_bytes()
    except OSError as exc:
        raise RecapError("file.unreadable", path=str(p), detail=exc.strerror or exc) from exc
    check(data, str(p))
    return data


def carried(ws: Workspace, corrected: str, keep: Collection[str] | None) -> list[Photo]:
    """The photos of the corrected sheet that its correction names again (``keep``: their
    hashes; None: all). Only photos that sheet names can be carried: a hash is not a photo."""
    record = ws.store.records.get(corrected)
    named = photos_of(record.payload) if record is not None else []
    if keep is None:
        return named
    unknown = sorted(set(keep) - {p.sha256 for p in named})
    if unknown:
        raise RecapError("photo.not_named", sha=unknown[0])
    return [p for p in named if p.sha256 in keep]


def keep(
    ws: Workspace, images: Sequence[bytes], named: Sequence[Photo] = ()
) -> list[dict[str, Any]]:
    """Keep each image by its hash beside the store; the sheet's ``photos`` member (with
    ``named``, photos named again without their bytes)."""
    from recap_desktop.storage import StorageError

    hashes = {check(d, f"#{i + 1}").sha256 for i, d in enumerate(images)}
    if len(hashes | {p.sha256 for p in named}) > MAX_PHOTOS:
        raise RecapError("photo.too_many", limit=MAX_PHOTOS)
    kept: list[Photo] = list(named)
    for data in images:
        try:
            kept.append(ws.store.photos.put(data))
        except StorageError as exc:
            key = f"store.{exc.reason}" if exc.reason else "store.error"
            raise RecapError(key, detail=exc) from exc
    return photo_list(kept)


def sheet_photos(ws: Workspace, sheet_hash: str) -> list[PhotoView]:
    """The photos a held sheet names, each with its state here (none for a record edited
    behind the program's back: what it names is not what was signed; it reads tampered)."""
    from recap_desktop.storage import TamperedStore

    try:
        record = ws.store.records.get(sheet_hash)
    except TamperedStore:
        return []
    if record is None or record.type != "sheet":
        return []
    files = ws.store.photos
    return [PhotoView(p, files.state(p)) for p in photos_of(record.payload)]


def read(ws: Workspace, photo: Photo) -> bytes | None:
    """The image's bytes, only if the kept file is exactly the one the sheet names."""
    return ws.store.photos.read(photo)


def problems(ws: Workspace) -> list[PhotoProblem]:
    """Every photo a held sheet names that is missing here or altered (``recap verify``)."""
    files = ws.store.photos
    out = []
    seen: dict[str, str] = {}
    for named in files.named():
        state = seen.get(named.photo.sha256)
        if state is None:
            state = seen[named.photo.sha256] = files.state(named.photo)
        if state != OK:
            out.append(PhotoProblem(named.sheet, named.photo, state))
    return out


def counts(found: Sequence[PhotoProblem]) -> tuple[int, int]:
    """(missing, altered)."""
    return (
        sum(1 for p in found if p.state == MISSING),
        sum(1 for p in found if p.state == ALTERED),
    )
