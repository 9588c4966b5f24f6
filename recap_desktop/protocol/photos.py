"""Photos of the paper bound into a signed sheet by their SHA-256 (PROTOCOL §4, §9.8).

A sheet's optional ``photos`` member lists the images of its C.Hasil pages; the images
themselves travel apart, by hash. What an image is (PNG or JPEG by its first bytes, at most
``MAX_PHOTO_BYTES``) is decided here once, for the laptop, the server and any verifier.
Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # a phone photo of a page is 2-5 MB; a scan at 300 dpi less
MAX_PHOTOS = 12  # a C.Hasil has 3-4 pages per contest; a few retakes
MEDIA_TYPES = ("image/jpeg", "image/png")
# What a holder finds of a named photo: kept intact, no file, or a file of other bytes.
OK, MISSING, ALTERED = "ok", "missing", "altered"
PHOTO_MEMBERS = frozenset({"sha256", "bytes", "type"})
_HEX64 = re.compile(r"^[0-9a-f]{64}\Z")
# The first bytes of each format (the PNG signature of RFC 2083 §3.1; JPEG's SOI + a marker).
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


class PhotoError(ValueError):
    """Bytes that are no photo a sheet may name: ``kind`` is ``empty``, ``too_big`` or
    ``not_image``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Photo:
    """One entry of a sheet's ``photos``: the image's hash, size and media type."""

    sha256: str
    bytes: int
    type: str

    def to_json(self) -> dict[str, Any]:
        return {"bytes": self.bytes, "sha256": self.sha256, "type": self.type}


def sniff(data: bytes) -> str | None:
    """The media type the bytes begin as (PNG or JPEG), else None."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def describe(data: bytes) -> Photo:
    """The entry a sheet would name for these bytes; PhotoError if they may not be one."""
    if not data:
        raise PhotoError("empty", "the file is empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(
            "too_big", f"{len(data)} bytes; a photo is at most {MAX_PHOTO_BYTES} bytes"
        )
    kind = sniff(data)
    if kind is None:
        raise PhotoError("not_image", "not a PNG or JPEG image (by its first bytes)")
    return Photo(hashlib.sha256(data).hexdigest(), len(data), kind)


def matches(photo: Photo, data: bytes) -> bool:
    """Whether ``data`` are exactly the image the sheet names (size, hash and format)."""
    return (
        len(data) == photo.bytes
        and hashlib.sha256(data).hexdigest() == photo.sha256
        and sniff(data) == photo.type
    )


def check_photos(value: Any) -> None:
    """A sheet's ``photos`` member (§4): a list of at most MAX_PHOTOS objects of exactly
    ``sha256`` (64 lowercase hex), ``bytes`` (1 … MAX_PHOTO_BYTES) and ``type`` (one of
    MEDIA_TYPES), in ascending order of ``sha256``, none twice. ValueError otherwise."""
    if not isinstance(value, list):
        raise ValueError("photos must be a list")
    if len(value) > MAX_PHOTOS:
        raise ValueError(f"a sheet names at most {MAX_PHOTOS} photos")
    last: str | None = None
    for i, entry in enumerate(value):
        if not isinstance(entry, dict) or set(entry) != PHOTO_MEMBERS:
            raise ValueError(f"photos[{i}] must hold exactly bytes, sha256, type")
        sha = entry["sha256"]
        if not isinstance(sha, str) or not _HEX64.match(sha):
            raise ValueError(f"photos[{i}].sha256 must be 64 lowercase hex digits")
        size = entry["bytes"]
        if type(size) is not int or not 1 <= size <= MAX_PHOTO_BYTES:
            raise ValueError(f"photos[{i}].bytes must be an integer 1 … {MAX_PHOTO_BYTES}")
        if entry["type"] not in MEDIA_TYPES:
            raise ValueError(f"photos[{i}].type must be one of {', '.join(MEDIA_TYPES)}")
        if last is not None and sha <= last:
            raise ValueError("photos must be in ascending order of sha256, none twice")
        last = sha


def photos_of(payload: Mapping[str, Any]) -> list[Photo]:
    """The photos a sheet names (none if it has no valid ``photos`` member)."""
    value = payload.get("photos", [])
    try:
        check_photos(value)
    except ValueError:
        return []
    return [Photo(e["sha256"], e["bytes"], e["type"]) for e in value]


def photo_list(photos: list[Photo]) -> list[dict[str, Any]]:
    """The ``photos`` member for a set of photos: sorted by hash, each once."""
    unique = {p.sha256: p for p in photos}
    return [unique[h].to_json() for h in sorted(unique)]
