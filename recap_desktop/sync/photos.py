"""Photos of the paper to and from the server, by hash (PROTOCOL §9.8). No Qt.

Runs after the records' sync, so that the server holds the sheets that name the photos (it
accepts only images an admitted sheet names). Up: ask which photos of the held sheets the
server lacks and how many bytes of each it has, then send the rest in chunks; a cut
connection costs at most one chunk, and the next sync goes on from what the server holds.
Down: fetch each photo a held sheet names that this folder lacks, and keep it only if its
bytes are exactly the ones named (size, SHA-256, format).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recap_desktop.protocol.photos import MISSING, OK, Photo, matches
from recap_desktop.storage.photos import Named, PhotoFiles
from recap_desktop.sync.client import Refused, ServerClient

CHUNK = 1024 * 1024  # bytes per PUT: what a cut connection costs at most
ASK = 500  # sheets per question


@dataclass
class PhotoSync:
    """What one photo sync did: photos sent whole, fetched and kept, still missing on the
    server (their sheet's photo is not held intact here either), and those refused."""

    sent: int = 0
    fetched: int = 0
    server_lacks: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (sha256, why)
    bad: list[str] = field(default_factory=list)  # sha256 of answers that were not the photo

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "fetched": self.fetched,
            "server_lacks": self.server_lacks,
            "refused": [{"sha256": h, "detail": d} for h, d in self.refused],
            "bad": list(self.bad),
        }


def sync_photos(
    files: PhotoFiles,
    client: ServerClient,
    *,
    cancelled: Callable[[], bool] = lambda: False,
) -> PhotoSync:
    """Push what the server lacks, then fetch what this folder lacks."""
    result = PhotoSync()
    named = files.named()
    push_photos(files, client, named, result, cancelled)
    fetch_photos(files, client, named, result, cancelled)
    return result


def push_photos(
    files: PhotoFiles,
    client: ServerClient,
    named: list[Named],
    result: PhotoSync,
    cancelled: Callable[[], bool],
) -> None:
    held = {n.photo.sha256: n for n in named if files.state(n.photo) == OK}
    sheets = sorted({n.sheet for n in held.values()})
    for start in range(0, len(sheets), ASK):
        try:
            lacking = client.photos_missing(sheets[start : start + ASK])
        except Refused as exc:  # a server without photos: the records' sync still counts
            result.refused.append(("-", str(exc)))
            return
        for entry in lacking:
            sha = entry.get("sha256")
            received = entry.get("received")
            if not isinstance(sha, str) or sha not in held or type(received) is not int:
                result.server_lacks += 1  # a photo this folder cannot send
                continue
            if cancelled():
                return
            item = held[sha]
            try:
                if _upload(files, client, item, received):
                    result.sent += 1
            except Refused as exc:
                result.refused.append((sha, str(exc)))


def _upload(files: PhotoFiles, client: ServerClient, item: Named, offset: int) -> bool:
    """Send the photo from ``offset`` on, chunk by chunk; True once the server holds it."""
    data = files.read(item.photo)
    if data is None:
        return False
    if not 0 <= offset <= len(data):
        offset = 0
    while True:
        answer = client.put_photo(
            item.photo.sha256, item.sheet, offset, data[offset : offset + CHUNK]
        )
        if answer.get("complete") is True:
            return True
        received = answer["received"]
        if not offset < received <= len(data):
            raise Refused(f"the server holds {received} bytes after {offset} were sent")
        offset = received


def fetch_photos(
    files: PhotoFiles,
    client: ServerClient,
    named: list[Named],
    result: PhotoSync,
    cancelled: Callable[[], bool],
) -> None:
    wanted: dict[str, Photo] = {}
    for n in named:
        if n.photo.sha256 not in wanted and files.state(n.photo) == MISSING:
            wanted[n.photo.sha256] = n.photo
    for sha, photo in wanted.items():
        if cancelled():
            return
        try:
            data = client.get_photo(sha)
        except Refused:
            continue  # not on the server yet: still flagged missing here
        if not matches(photo, data):
            result.bad.append(sha)  # never kept: the sheet names other bytes
            continue
        files.put(data)
        result.fetched += 1
