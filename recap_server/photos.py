"""Photos of the paper on the server: kept by hash, accepted only when an admitted sheet
names them (PROTOCOL §9.8).

The server never decodes an image: it checks the first bytes (PNG or JPEG, the type the sheet
names), the size the sheet names, and on the last chunk the SHA-256. An upload is resumable:
chunks are kept as they arrive (``photo_parts``), and ``received`` tells a laptop where to go
on after a cut connection. The SQL is kept here, apart from ``storage.py``, and uses only the
storage's ``transaction()`` (its ``?`` placeholders serve SQLite and PostgreSQL alike); the
tables are migration 3 of ``migrations.py``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from recap_desktop.domain.election import format_time
from recap_desktop.protocol.photos import MAX_PHOTO_BYTES, Photo, photos_of, sniff
from recap_server.gate import PHOTO, PushGate, Refusal, read_body

# Bytes of one PUT: the laptop sends 1 MiB (a cut connection costs one chunk); 2 MiB is
# what still arrives within the edge's 60 s body deadline at 35 KB/s, a poor rural link.
# A chunk is also never more than what remains of the photo its sheet names.
MAX_CHUNK = 2 * 1024 * 1024
MAX_SHEETS = 500  # sheets per question
BINARY = {"type": "string", "format": "binary"}


class _Storage(Protocol):
    """What this module needs of the server's storage."""

    def transaction(self) -> Any: ...
    def payload(self, hash_: str) -> dict[str, Any] | None: ...


class PhotoRefused(Exception):
    """An upload the server will not take: an HTTP status and why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Progress:
    received: int
    complete: bool


def _is_hash(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


class ServerPhotos:
    """The photo tables of the server's database."""

    def __init__(self, storage: _Storage) -> None:
        self.storage = storage
        # Its tables are the storage's migration 3 (recap_server/migrations.py).

    def named(self, sheet: str) -> list[Photo]:
        """The photos a held sheet names (none for a record that is no sheet, or not held)."""
        payload = self.storage.payload(sheet)
        if payload is None or payload.get("type") != "sheet":
            return []
        return photos_of(payload)

    def _received(self, conn: Any, sha256: str) -> int:
        row = conn.execute(
            "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM photo_parts WHERE sha256 = ?", [sha256]
        ).fetchone()
        return int(row[0])

    def _held(self, conn: Any, sha256: str) -> bool:
        return (
            conn.execute("SELECT 1 FROM photos WHERE sha256 = ?", [sha256]).fetchone() is not None
        )

    def missing(self, sheets: list[str]) -> list[dict[str, Any]]:
        """Each photo these (held) sheets name that the server does not hold whole."""
        out: dict[str, dict[str, Any]] = {}
        with self.storage.transaction() as conn:
            for sheet in sheets:
                for photo in self.named(sheet):
                    if photo.sha256 in out or self._held(conn, photo.sha256):
                        continue
                    out[photo.sha256] = {
                        **photo.to_json(),
                        "sheet": sheet,
                        "received": self._received(conn, photo.sha256),
                    }
        return [out[h] for h in sorted(out)]

    def expect(self, sha256: str, sheet: str, offset: int) -> tuple[Photo, Progress]:
        """Before a body is read: the photo ``sheet`` names under ``sha256`` and where its
        upload stands; PhotoRefused (404, 409) if a chunk from ``offset`` would be refused
        whatever its bytes."""
        photo = next((p for p in self.named(sheet) if p.sha256 == sha256), None)
        if photo is None:
            raise PhotoRefused(404, "no sheet the server holds names this photo under that sheet")
        with self.storage.transaction() as conn:
            if self._held(conn, sha256):
                return photo, Progress(photo.bytes, True)
            received = self._received(conn, sha256)
        if offset != received:
            raise PhotoRefused(409, f"received {received}: send from byte {received}")
        return photo, Progress(received, False)

    def put(self, sha256: str, sheet: str, offset: int, chunk: bytes) -> Progress:
        """Take the bytes of a photo from ``offset`` on; PhotoRefused says why not."""
        photo = next((p for p in self.named(sheet) if p.sha256 == sha256), None)
        if photo is None:
            raise PhotoRefused(404, "no sheet the server holds names this photo under that sheet")
        with self.storage.transaction() as conn:
            if self._held(conn, sha256):
                return Progress(photo.bytes, True)
            received = self._received(conn, sha256)
            if offset != received:
                raise PhotoRefused(409, f"received {received}: send from byte {received}")
            if not chunk:
                raise PhotoRefused(400, "an empty chunk")
            if offset + len(chunk) > photo.bytes:
                raise PhotoRefused(413, f"the sheet names a photo of {photo.bytes} bytes")
            if offset == 0 and sniff(chunk) != photo.type:
                raise PhotoRefused(415, f"the bytes do not begin as {photo.type}")
            conn.execute(
                "INSERT INTO photo_parts (sha256, start, data) VALUES (?, ?, ?)",
                [sha256, offset, chunk],
            )
            received += len(chunk)
            if received < photo.bytes:
                return Progress(received, False)
            parts = conn.execute(
                "SELECT data FROM photo_parts WHERE sha256 = ? ORDER BY start", [sha256]
            ).fetchall()
            data = b"".join(bytes(p[0]) for p in parts)
            conn.execute("DELETE FROM photo_parts WHERE sha256 = ?", [sha256])
            if hashlib.sha256(data).hexdigest() != sha256:
                return Progress(-1, False)  # the parts are dropped; the caller refuses (422)
            conn.execute(
                "INSERT INTO photos (sha256, type, bytes, data, received) VALUES (?, ?, ?, ?, ?)",
                [sha256, photo.type, len(data), data, format_time(datetime.now(UTC))],
            )
        return Progress(photo.bytes, True)

    def get(self, sha256: str) -> tuple[str, bytes] | None:
        with self.storage.transaction() as conn:
            row = conn.execute(
                "SELECT type, data FROM photos WHERE sha256 = ?", [sha256]
            ).fetchone()
        return None if row is None else (str(row[0]), bytes(row[1]))


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


def _hash_or_400(value: str, what: str) -> None:
    if not _is_hash(value):
        raise HTTPException(400, f"{what} is 64 lowercase hex digits")


def router(photos: ServerPhotos, gate: PushGate) -> APIRouter:
    """The photo endpoints (PROTOCOL §9.8), behind the gate's photo door (§9.9)."""
    api = APIRouter()
    # Chunks are written on threads of their own: a queue of uploads cannot take the
    # threads the other calls share.
    writers = CapacityLimiter(gate.limits.photo_active)

    @api.post(
        "/v1/photos/missing",
        response_model=PhotoAnswer,
        responses={
            401: {"description": "a push token that does not hold"},
            429: {"description": "this key's rate is spent: Retry-After says when to retry"},
        },
    )
    async def photos_missing(question: PhotoQuestion, request: Request) -> dict[str, Any]:
        """The photos these sheets name that the server does not hold whole, with how many
        bytes of each it holds. Sheets it does not hold name nothing here: push them first."""
        for sheet in question.sheets:
            _hash_or_400(sheet, "a sheet hash")
        client = request.client.host if request.client is not None else "?"
        try:
            name, _limit = gate.who(request.headers, client)
            gate.spend(name, PHOTO)
        except Refusal as exc:
            raise HTTPException(exc.status, str(exc), headers=exc.headers) from exc
        return {"photos": await run_in_threadpool(photos.missing, question.sheets)}

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
        sheet: str = Query(..., description="the hash of a held sheet that names the photo"),
        offset: int = Query(..., ge=0, le=MAX_PHOTO_BYTES, description="bytes sent before"),
    ) -> dict[str, Any]:
        """Bytes of a photo an admitted sheet names, from ``offset`` on (resumable), sent
        with the push token of a certified key (header ``Recap-Token``).

        Who sends it, at what rate, whether a sheet names it and how many bytes may follow
        are settled before the body is read; the body is counted as it streams in."""
        _hash_or_400(sha256, "a photo hash")
        _hash_or_400(sheet, "sheet")
        client = request.client.host if request.client is not None else "?"
        try:
            name, _limit = gate.who(request.headers, client, strangers=False)
            gate.spend(name, PHOTO)
            photo, stands = await run_in_threadpool(photos.expect, sha256, sheet, offset)
            if stands.complete:
                return {"sha256": sha256, "received": photo.bytes, "complete": True}
            room = min(MAX_CHUNK, photo.bytes - offset)
            why = (
                f"a chunk is at most {MAX_CHUNK} bytes, and at most what remains of the"
                f" {photo.bytes} bytes the sheet names ({room} from byte {offset})"
            )
            async with gate.reading(PHOTO):
                chunk = await read_body(request, room, why)
            async with gate.turn(PHOTO):
                progress = await to_thread.run_sync(
                    photos.put, sha256, sheet, offset, chunk, limiter=writers
                )
        except Refusal as exc:
            raise HTTPException(exc.status, str(exc), headers=exc.headers) from exc
        except PhotoRefused as exc:
            raise HTTPException(exc.status, exc.detail) from exc
        if progress.received < 0:
            raise HTTPException(422, "the bytes received are not this photo (SHA-256); send again")
        return {"sha256": sha256, "received": progress.received, "complete": progress.complete}

    @api.get(
        "/v1/photos/{sha256}",
        response_class=Response,
        responses={
            200: {"content": {"image/png": {}, "image/jpeg": {}}, "description": "the image"},
            400: {"description": "not a hash"},
            404: {"description": "not held whole"},
        },
    )
    def photo_get(sha256: str) -> Response:
        """A photo the server holds whole; the laptop checks its bytes against the sheet."""
        _hash_or_400(sha256, "a photo hash")
        found = photos.get(sha256)
        if found is None:
            raise HTTPException(404, f"no photo {sha256}")
        return Response(found[1], media_type=found[0])

    return api
