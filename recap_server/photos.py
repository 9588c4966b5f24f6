"""Photos of the paper on the server: kept by hash, accepted only when an admitted sheet
names them (PROTOCOL §9.8), and only from a certified key, at its rate (§9.9).

The server never decodes an image: it checks the first bytes (PNG or JPEG, the type the sheet
names), the size the sheet names, and on the last chunk the SHA-256. An upload is resumable:
chunks are appended to a part file as they arrive, and ``received`` tells a laptop where to
go on after a cut connection.

**Where the images live.** A whole image is a file in a folder by hash beside the database
(``<data dir>/photos/ab/abcd…``, ``PhotoFolder``): its upload's part file, fsynced chunk by
chunk, is checked whole and renamed into place, and the image is checked against its hash on
every read; the database holds only the index (the ``photos`` row, with an empty ``data``).
Neither a chunk nor a read takes the database's writers' lock, so photos never hold up a
push; only the index row of a photo held whole is written in a (short) transaction. A
national election's 4.1 million photos of ~300 KB are over a terabyte: in the database they
would make every backup, vacuum and replica carry them, and a photo read would pass through
the database's buffers. Rows of photos kept by servers before this (their ``data`` not
empty: a photo is never empty) are read as they are, checked the same way; their chunks in
``photo_parts`` are not resumed (the upload starts again from 0) and are dropped when the
photo is held whole.

The SQL is kept here, apart from ``storage.py``, and uses only the storage's ``snapshot()``
and ``transaction()`` (its ``?`` placeholders serve SQLite and PostgreSQL alike); the tables
are migration 3 of ``migrations.py``; the folder is the storage's ``photos_dir``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from recap_desktop.domain.election import format_time
from recap_desktop.protocol.photos import MAX_PHOTO_BYTES, Photo, photos_of, sniff
from recap_server.gate import PHOTO, PushGate, Refusal, hashes_body_bytes, read_body

# Bytes of one PUT: the laptop sends 1 MiB (a cut connection costs one chunk); 2 MiB is
# what still arrives within the edge's 60 s body deadline at 35 KB/s, a poor rural link.
# A chunk is also never more than what remains of the photo its sheet names.
MAX_CHUNK = 2 * 1024 * 1024
MAX_SHEETS = 500  # sheets per question
BINARY = {"type": "string", "format": "binary"}
DISK_RETRY_AFTER = 60  # seconds, when the photo folder cannot be written (full, read-only)
PHOTO_DIR = "photos"
_log = logging.getLogger("recap_server.photos")


class _Storage(Protocol):
    """What this module needs of the server's storage."""

    def transaction(self) -> Any: ...
    def snapshot(self) -> Any: ...
    def payload(self, hash_: str) -> dict[str, Any] | None: ...


class PhotoRefused(Exception):
    """An upload the server will not take: an HTTP status and why."""

    def __init__(self, status: int, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


class PhotoFolder:
    """Whole images as files by hash (``ab/abcd…``), and the part file of each upload in
    progress (``ab/abcd….part``): appended and fsynced chunk by chunk, checked whole and
    renamed into place; every read checks the image against its hash. Uploads of one photo
    are serialised by a file lock (one of 256, by the hash's first byte), which holds across
    the worker processes of one machine."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def part(self, sha256: str) -> Path:
        return self.root / sha256[:2] / (sha256 + ".part")

    def size(self, sha256: str) -> int | None:
        try:
            return self.path(sha256).stat().st_size
        except OSError:
            return None

    def received(self, sha256: str) -> int:
        """Bytes held of an upload in progress."""
        try:
            return self.part(sha256).stat().st_size
        except OSError:
            return 0

    @contextmanager
    def locked(self, sha256: str) -> Iterator[None]:
        locks = self.root / ".locks"
        locks.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(locks / sha256[:2], os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def append(self, sha256: str, chunk: bytes) -> int:
        """Add ``chunk`` to the photo's part file, durably; the bytes held now."""
        part = self.part(sha256)
        part.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fresh = not part.exists()
        with open(part, "ab") as out:
            out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        if fresh:
            _fsync_dir(part.parent)
        return size

    def finish(self, sha256: str, size: int) -> bool:
        """The part file, whole: renamed into place if it is the photo (its length and
        SHA-256), else dropped (False). Either way no part is left."""
        part = self.part(sha256)
        digest = hashlib.sha256()
        with open(part, "rb") as held:
            for block in iter(lambda: held.read(1 << 20), b""):
                digest.update(block)
            length = held.tell()
        if length != size or digest.hexdigest() != sha256:
            part.unlink()
            _fsync_dir(part.parent)
            return False
        os.replace(part, self.path(sha256))  # fsynced as it was appended
        _fsync_dir(part.parent)
        return True

    def read(self, sha256: str, size: int) -> bytes | None:
        """The image if its file is exactly it (length and SHA-256), else None; a file of
        other bytes is moved aside (``….altered``), kept for whoever looks into it."""
        target = self.path(sha256)
        try:
            data = target.read_bytes()
        except OSError:
            return None
        if len(data) == size and hashlib.sha256(data).hexdigest() == sha256:
            return data
        _log.warning("photo file %s is not the photo of its name: moved aside", target)
        try:
            os.replace(target, target.with_name(sha256 + ".altered"))
        except OSError:
            pass
        return None


def _fsync_dir(path: Path) -> None:
    """Make a name made or removed in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Progress:
    received: int
    complete: bool


def _is_hash(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


class ServerPhotos:
    """The server's photos: the index in its database, the images in its photo folder."""

    def __init__(self, storage: _Storage, folder: Path) -> None:
        self.storage = storage
        self.folder = PhotoFolder(folder)
        # Its tables are the storage's migration 3 (recap_server/migrations.py).

    def named(self, sheet: str) -> list[Photo]:
        """The photos a held sheet names (none for a record that is no sheet, or not held)."""
        payload = self.storage.payload(sheet)
        if payload is None or payload.get("type") != "sheet":
            return []
        return photos_of(payload)

    def _held(self, conn: Any, sha256: str) -> bool:
        """Indexed, and its file there at its length (a file lost or cut behind the
        server's back is asked for again; its bytes are checked in full when read)."""
        row = conn.execute(
            "SELECT bytes, LENGTH(data) FROM photos WHERE sha256 = ?", [sha256]
        ).fetchone()
        if row is None:
            return False
        return int(row[1]) > 0 or self.folder.size(sha256) == int(row[0])

    def missing(self, sheets: list[str]) -> list[dict[str, Any]]:
        """Each photo these (held) sheets name that the server does not hold whole."""
        out: dict[str, dict[str, Any]] = {}
        with self.storage.snapshot() as conn:  # reads: never the writers' lock
            for sheet in sheets:
                for photo in self.named(sheet):
                    if photo.sha256 in out or self._held(conn, photo.sha256):
                        continue
                    out[photo.sha256] = {
                        **photo.to_json(),
                        "sheet": sheet,
                        "received": self.folder.received(photo.sha256),
                    }
        return [out[h] for h in sorted(out)]

    def _named(self, sha256: str, sheet: str) -> Photo:
        photo = next((p for p in self.named(sheet) if p.sha256 == sha256), None)
        if photo is None:
            raise PhotoRefused(404, "no sheet the server holds names this photo under that sheet")
        return photo

    def expect(self, sha256: str, sheet: str, offset: int) -> tuple[Photo, Progress]:
        """Before a body is read: the photo ``sheet`` names under ``sha256`` and where its
        upload stands; PhotoRefused (404, 409) if a chunk from ``offset`` would be refused
        whatever its bytes."""
        photo = self._named(sha256, sheet)
        with self.storage.snapshot() as conn:
            if self._held(conn, sha256):
                return photo, Progress(photo.bytes, True)
        received = self.folder.received(sha256)
        if offset != received:
            raise PhotoRefused(409, f"received {received}: send from byte {received}")
        return photo, Progress(received, False)

    def put(self, sha256: str, sheet: str, offset: int, chunk: bytes) -> Progress:
        """Take the bytes of a photo from ``offset`` on; PhotoRefused says why not.

        The chunks of one photo are appended to its part file under that photo's file lock
        (uploads of one photo, from any worker, one at a time), never under the database's
        writers' lock: a photo's upload does not hold up a push. Only the index row of a
        photo held whole is written in a (short) transaction."""
        photo = self._named(sha256, sheet)
        try:
            with self.folder.locked(sha256):
                with self.storage.snapshot() as conn:
                    if self._held(conn, sha256):
                        return Progress(photo.bytes, True)
                received = self.folder.received(sha256)
                if offset != received:
                    raise PhotoRefused(409, f"received {received}: send from byte {received}")
                if not chunk:
                    raise PhotoRefused(400, "an empty chunk")
                if offset + len(chunk) > photo.bytes:
                    raise PhotoRefused(413, f"the sheet names a photo of {photo.bytes} bytes")
                if offset == 0 and sniff(chunk) != photo.type:
                    raise PhotoRefused(415, f"the bytes do not begin as {photo.type}")
                received = self.folder.append(sha256, chunk)
                if received < photo.bytes:
                    return Progress(received, False)
                if not self.folder.finish(sha256, photo.bytes):
                    return Progress(-1, False)  # the part is dropped; the caller refuses (422)
                with self.storage.transaction() as conn:
                    # A row whose file was lost is replaced (the photo is held again now);
                    # chunks an older server kept in the database are dropped.
                    conn.execute("DELETE FROM photos WHERE sha256 = ?", [sha256])
                    conn.execute(
                        "INSERT INTO photos (sha256, type, bytes, data, received)"
                        " VALUES (?, ?, ?, ?, ?)",
                        [sha256, photo.type, photo.bytes, b"", format_time(datetime.now(UTC))],
                    )
                    conn.execute("DELETE FROM photo_parts WHERE sha256 = ?", [sha256])
        except OSError as exc:  # the folder cannot be written: full, read-only, gone
            _log.error("cannot keep photo %s: %s", sha256, exc)
            raise PhotoRefused(
                503, "the server cannot keep photos now: try again later", DISK_RETRY_AFTER
            ) from exc
        return Progress(photo.bytes, True)

    def get(self, sha256: str) -> tuple[str, bytes] | None:
        """The image held whole, checked against its hash (None: not held, or its file is
        not the image any more: then its row is dropped, so that laptops send it again)."""
        with self.storage.snapshot() as conn:
            row = conn.execute(
                "SELECT type, bytes, data FROM photos WHERE sha256 = ?", [sha256]
            ).fetchone()
        if row is None:
            return None
        kind, size, kept = str(row[0]), int(row[1]), bytes(row[2])
        if kept:  # held in the database by an older server: checked all the same
            data: bytes | None = kept if hashlib.sha256(kept).hexdigest() == sha256 else None
        else:
            data = self.folder.read(sha256, size)
        if data is None:
            _log.warning("photo %s is not held intact any more: asked for again", sha256)
            with self.storage.transaction() as conn:
                conn.execute("DELETE FROM photos WHERE sha256 = ? AND bytes = ?", [sha256, size])
            return None
        return kind, data


# -- the HTTP API ---------------------------------------------------------------------------


class PhotoQuestion(BaseModel):
    sheets: list[str] = Field(max_length=MAX_SHEETS, description="hashes of sheets held")


class LackedPhoto(BaseModel):
    sha256: str
    bytes: int
    type: str
    sheet: str = Field(description="a sheet that names it (name it in the PUT)")
    received: int = Field(description="bytes already held of an interrupted upload")


class PhotoAnswer(BaseModel):
    photos: list[LackedPhoto]


class PutAnswer(BaseModel):
    sha256: str
    received: int
    complete: bool


# A question's body, read bounded (413 as soon as it is known to be longer) before it is
# parsed on the event loop.
MAX_QUESTION_BYTES = hashes_body_bytes(MAX_SHEETS)
_QUESTION_TOO_BIG = f"a question is at most {MAX_QUESTION_BYTES} bytes ({MAX_SHEETS} sheets)"


def _question(body: bytes) -> list[str]:
    """The sheets a ``missing`` question names; HTTPException 400 for anything else."""
    try:
        question = json.loads(body)
    except (ValueError, RecursionError) as exc:  # [[[[…: nesting too deep for the parser
        raise HTTPException(400, "the body is not JSON") from exc
    sheets = question.get("sheets") if isinstance(question, dict) else None
    if not isinstance(sheets, list) or set(question) != {"sheets"}:
        raise HTTPException(400, "the body is exactly {sheets: [hash, ...]}")
    if len(sheets) > MAX_SHEETS:
        raise HTTPException(400, f"at most {MAX_SHEETS} sheets a question")
    for sheet in sheets:
        _hash_or_400(sheet, "a sheet hash")
    return sheets


def _offset_or_400(value: str | None) -> int:
    """A PUT's ``offset``: a decimal integer 0 … MAX_PHOTO_BYTES, else 400 (not 422)."""
    if value is None or not _DECIMAL.fullmatch(value) or int(value) > MAX_PHOTO_BYTES:
        raise HTTPException(400, f"offset is an integer 0 … {MAX_PHOTO_BYTES}")
    return int(value)


_DECIMAL = re.compile(r"0|[1-9][0-9]{0,9}")


def _hash_or_400(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _is_hash(value):
        raise HTTPException(400, f"{what} is 64 lowercase hex digits")
    return value


def router(photos: ServerPhotos, gate: PushGate) -> APIRouter:
    """The photo endpoints (PROTOCOL §9.8), behind the gate's photo door (§9.9)."""
    api = APIRouter()
    # Chunks are written on threads of their own: a queue of uploads cannot take the
    # threads the other calls share.
    writers = CapacityLimiter(gate.limits.photo_active)

    @api.post(
        "/v1/photos/missing",
        response_model=PhotoAnswer,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": PhotoQuestion.model_json_schema()}},
            }
        },
        responses={
            400: {"description": "not {sheets: [hash, ...]} of at most 500 hashes"},
            401: {"description": "a push token that does not hold"},
            429: {"description": "this key's rate is spent: Retry-After says when to retry"},
        },
    )
    async def photos_missing(request: Request) -> dict[str, Any]:
        """The photos these sheets name that the server does not hold whole, with how many
        bytes of each it holds. Sheets it does not hold name nothing here: push them first.
        A body that is not ``{sheets: [hash, ...]}`` of at most 500 is 400 (§9.8), never
        the framework's 422, which §9.8 gives another meaning."""
        sheets = _question(await read_body(request, MAX_QUESTION_BYTES, _QUESTION_TOO_BIG))
        client = request.client.host if request.client is not None else "?"
        try:
            name, _limit = await gate.who_async(request.headers, client)
            gate.spend(name, PHOTO)
        except Refusal as exc:
            raise HTTPException(exc.status, str(exc), headers=exc.headers) from exc
        return {"photos": await run_in_threadpool(photos.missing, sheets)}

    @api.put(
        "/v1/photos/{sha256}",
        response_model=PutAnswer,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/octet-stream": {"schema": BINARY}},
            },
        },
        responses={
            400: {"description": "not a hash, or an empty chunk"},
            401: {"description": "no push token of a certified key (§9.9), body unread"},
            404: {"description": "no held sheet names this photo"},
            409: {"description": "offset is not the bytes received"},
            413: {"description": "beyond the size the sheet names, or a chunk over 2 MiB"},
            415: {"description": "the first bytes are not the type the sheet names"},
            422: {"description": "the whole is not the photo: its SHA-256 differs"},
            429: {"description": "this key's rate is spent: Retry-After says when to retry"},
            503: {"description": "the server is busy: Retry-After says when to retry"},
        },
    )
    async def photo_put(
        sha256: str,
        request: Request,
        sheet: str | None = Query(None, description="the hash of a held sheet naming the photo"),
        offset: str | None = Query(None, description="bytes sent before: 0 … 10485760"),
    ) -> dict[str, Any]:
        """Bytes of a photo an admitted sheet names, from ``offset`` on (resumable), sent
        with the push token of a certified key (header ``Recap-Token``).

        Who sends it, at what rate, whether a sheet names it and how many bytes may follow
        are settled before the body is read; the body is counted as it streams in."""
        _hash_or_400(sha256, "a photo hash")
        named_by = _hash_or_400(sheet, "sheet")
        at = _offset_or_400(offset)
        client = request.client.host if request.client is not None else "?"
        try:
            name, _limit = await gate.who_async(request.headers, client, strangers=False)
            gate.spend(name, PHOTO)
            photo, stands = await run_in_threadpool(photos.expect, sha256, named_by, at)
            if stands.complete:
                return {"sha256": sha256, "received": photo.bytes, "complete": True}
            room = min(MAX_CHUNK, photo.bytes - at)
            why = (
                f"a chunk is at most {MAX_CHUNK} bytes, and at most what remains of the"
                f" {photo.bytes} bytes the sheet names ({room} from byte {at})"
            )
            async with gate.reading(PHOTO, name):
                chunk = await read_body(request, room, why)
            async with gate.turn(PHOTO, name):
                progress = await to_thread.run_sync(
                    photos.put, sha256, named_by, at, chunk, limiter=writers
                )
        except Refusal as exc:
            raise HTTPException(exc.status, str(exc), headers=exc.headers) from exc
        except PhotoRefused as exc:
            after = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
            raise HTTPException(exc.status, exc.detail, headers=after) from exc
        if progress.received < 0:
            raise HTTPException(422, "the bytes received are not this photo (SHA-256); send again")
        return {"sha256": sha256, "received": progress.received, "complete": progress.complete}

    @api.get(
        "/v1/photos/{sha256}",
        response_class=Response,
        responses={
            200: {"content": {"image/png": {}, "image/jpeg": {}}, "description": "the image"},
            400: {"description": "not a hash"},
            401: {"description": "a push token that does not hold"},
            404: {"description": "not held whole"},
            429: {"description": "this key's rate is spent: Retry-After says when to retry"},
        },
    )
    async def photo_get(sha256: str, request: Request) -> Response:
        """A photo the server holds whole, its bytes checked against its hash as they are
        read; the laptop checks them again against the sheet. Rated as uploads are, per key
        (with a push token) or per address (without: an observer)."""
        _hash_or_400(sha256, "a photo hash")
        client = request.client.host if request.client is not None else "?"
        try:
            name, _limit = await gate.who_async(request.headers, client)
            gate.spend(name, PHOTO)
        except Refusal as exc:
            raise HTTPException(exc.status, str(exc), headers=exc.headers) from exc
        found = await run_in_threadpool(photos.get, sha256)
        if found is None:
            raise HTTPException(404, f"no photo {sha256}")
        return Response(found[1], media_type=found[0])

    return api
