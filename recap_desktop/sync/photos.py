"""Photos of the paper to and from the server, by hash (PROTOCOL §9.8). No Qt.

Runs after the records' sync, so that the server holds the sheets that name the photos (it
accepts only images an admitted sheet names). Up: ask which photos of the held sheets the
server lacks and how many bytes of each it has, then send the rest in chunks; a cut
connection costs at most one chunk, and the next sync goes on from what the server holds.
A server that answers 429 or 503 with ``Retry-After`` (PROTOCOL §9.9) is waited on here, as
long as it asked and at least the backoff's delay, and the same request sent again: a busy
server costs the photos a pause, not the whole sync run again. After ``PATIENCE`` such
answers in a row the step gives up to the engine's retries.
Down: fetch each photo a held sheet names that this folder lacks, and keep it only if its
bytes are exactly the ones named (size, SHA-256, format).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from recap_desktop.protocol.photos import OK
from recap_desktop.storage.photos import Named, PhotoFiles
from recap_desktop.sync.backoff import Backoff
from recap_desktop.sync.client import Refused, ServerClient, Unreachable

CHUNK = 1024 * 1024  # bytes per PUT: what a cut connection costs at most
ASK = 500  # sheets per question
PATIENCE = 5  # 429/503 answers in a row waited on before the engine's retries take over
T = TypeVar("T")


class _Cancelled(Exception):
    """The wait for the server was cut short by a cancel: stop the step."""


class Patience:
    """Each request again after a 429/503, once the server's ``Retry-After`` (spread, and at
    least the backoff's delay: ``Backoff.after``) has passed. ``wait(seconds)`` sleeps and
    returns True if the sync was cancelled meanwhile; without it nothing is waited on here
    (the error goes up)."""

    def __init__(
        self, wait: Callable[[float], bool] | None = None, backoff: Backoff | None = None
    ) -> None:
        self.wait = wait
        self.backoff = backoff or Backoff()
        self.waited: list[float] = []  # what was waited, in seconds (for the caller to show)

    def call(self, request: Callable[[], T]) -> T:
        tries = 0
        while True:
            try:
                answer = request()
            except Unreachable as exc:
                told = exc.retry_after
                if self.wait is None or told is None or tries >= PATIENCE:
                    raise  # a cut connection, or patience spent: the engine retries
                tries += 1
                delay = self.backoff.after(told)
                self.waited.append(delay)
                if self.wait(delay):
                    raise _Cancelled from exc
                continue
            self.backoff.reset()
            return answer


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
    patience: Patience | None = None,
) -> PhotoSync:
    """Push what the server lacks, then fetch what this folder lacks. ``patience``: how a
    429 or 503 is waited on (None: not here; it goes up to the caller)."""
    result = PhotoSync()
    named = files.named()
    patience = patience or Patience()
    try:
        push_photos(files, client, named, result, cancelled, patience)
        fetch_photos(files, client, named, result, cancelled, patience)
    except _Cancelled:
        pass
    return result


def push_photos(
    files: PhotoFiles,
    client: ServerClient,
    named: list[Named],
    result: PhotoSync,
    cancelled: Callable[[], bool],
    patience: Patience,
) -> None:
    held = {n.photo.sha256: n for n in named if files.state(n.photo) == OK}
    sheets = sorted({n.sheet for n in held.values()})
    for start in range(0, len(sheets), ASK):
        asked = sheets[start : start + ASK]
        try:
            lacking = patience.call(partial(client.photos_missing, asked))
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
                if _upload(files, client, item, received, patience):
                    result.sent += 1
            except Refused as exc:
                result.refused.append((sha, str(exc)))


def _upload(
    files: PhotoFiles, client: ServerClient, item: Named, offset: int, patience: Patience
) -> bool:
    """Send the photo from ``offset`` on, chunk by chunk; True once the server holds it."""
    data = files.read(item.photo)
    if data is None:
        return False
    if not 0 <= offset <= len(data):
        offset = 0
    while True:
        chunk = data[offset : offset + CHUNK]
        answer = patience.call(
            partial(client.put_photo, item.photo.sha256, item.sheet, offset, chunk)
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
    patience: Patience | None = None,
) -> None:
    patience = patience or Patience()
    for sha, photo in files.lacking(named).items():
        if cancelled():
            return
        try:
            data = patience.call(partial(client.get_photo, sha))
        except Refused:
            continue  # not on the server yet: still flagged missing here
        if not files.take(photo, data):
            result.bad.append(sha)  # never kept: the sheet names other bytes
            continue
        result.fetched += 1
