"""Photos of the paper, kept by hash beside the store (``<data dir>/photos/ab/abcd…``).

Content-addressed files rather than BLOBs in the store: a district's photos run to gigabytes,
and the records file stays small to back up, copy and verify. A file is written to a
temporary name, fsynced and renamed (as the keystore is), so a crash leaves either the whole
image or none; every read checks the bytes against the hash the signed sheet names, since the
folder may be edited behind the program's back.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from recap_desktop.protocol.photos import ALTERED, MISSING, OK, Photo, describe, matches, photos_of
from recap_desktop.storage.connection import Connection
from recap_desktop.storage.errors import StorageError

PHOTO_DIR = "photos"


@dataclass(frozen=True)
class Named:
    """A photo a held sheet names, and which sheet."""

    sheet: str
    photo: Photo


class PhotoFiles:
    """The folder of images by hash, and which images the held sheets name."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.root = connection.path.parent / PHOTO_DIR

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> Photo:
        """Keep an image (PNG or JPEG, bounded; ``PhotoError`` otherwise) under its hash.
        Idempotent: an intact copy already kept is left as it is."""
        photo = describe(data)
        target = self.path(photo.sha256)
        if self.state(photo) == OK:
            return photo
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            dir_fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            reason = {errno.ENOSPC: "full", errno.EROFS: "readonly", errno.EACCES: "readonly"}.get(
                exc.errno or 0, "io"
            )
            raise StorageError(f"cannot keep the photo {target}: {exc}", reason=reason) from exc
        return photo

    def lacking(self, named: list[Named]) -> dict[str, Photo]:
        """The photos named that this folder holds no file of, each once: what a door that
        brings photos (a sync's fetch, a bundle's folder) may add. An altered file is left
        as it is, for ``recap verify`` to show."""
        wanted: dict[str, Photo] = {}
        for n in named:
            if n.photo.sha256 not in wanted and self._absent(n.photo.sha256):
                wanted[n.photo.sha256] = n.photo
        return wanted

    def _absent(self, sha256: str) -> bool:
        """No file under the name (``state`` would say ``missing``), asked without reading
        the images a district holds, gigabytes of them."""
        try:
            os.stat(self.path(sha256))
        except FileNotFoundError:
            return True
        except OSError:
            return False
        return False

    def take(self, photo: Photo, data: bytes) -> bool:
        """Keep ``data`` only if they are exactly the photo a sheet names (length, SHA-256,
        format): the one rule for bytes from elsewhere, a server's answer or a bundle's file.
        False (nothing kept) otherwise."""
        if not matches(photo, data):
            return False
        self.put(data)
        return True

    def read(self, photo: Photo) -> bytes | None:
        """The image's bytes if the kept file is exactly the one named, else None."""
        try:
            data = self.path(photo.sha256).read_bytes()
        except OSError:
            return None
        return data if matches(photo, data) else None

    def state(self, photo: Photo) -> str:
        """``ok``, ``missing`` (no file) or ``altered`` (a file whose bytes are not the
        image the sheet names)."""
        try:
            data = self.path(photo.sha256).read_bytes()
        except FileNotFoundError:
            return MISSING
        except OSError:
            return ALTERED
        return OK if matches(photo, data) else ALTERED

    def named(self) -> list[Named]:
        """Every photo a held sheet names, in the order the sheets were stored. The payload
        is read as text and checked by ``photos_of`` (a malformed list names nothing here;
        ``recap verify`` refuses that sheet)."""
        rows = self._connection.db.execute(
            "SELECT hash, payload FROM records WHERE type = 'sheet'"
            " AND instr(payload, '\"photos\":') > 0 ORDER BY id"
        ).fetchall()
        out: list[Named] = []
        for sheet, payload in rows:
            try:
                parsed = json.loads(payload)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                out.extend(Named(str(sheet), p) for p in photos_of(parsed))
        return out
