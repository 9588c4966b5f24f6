"""USB bundles: the push batch format in a file, admitted by the same rule as a pull.

The photos its sheets name travel beside it, one file per photo named by its SHA-256 in a
folder named after the bundle (``bundle.json`` → ``bundle.photos/<sha256>``): the bundle's
JSON stays the batch format, so a laptop that knows no photos folder reads it as before.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from recap_desktop.crypto import keystore
from recap_desktop.crypto.canonical import CanonicalError, parse_json
from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json
from recap_desktop.protocol.log import LogError, parse_head, same_log
from recap_desktop.protocol.photos import Photo, matches
from recap_desktop.protocol.problems import Problem
from recap_desktop.protocol.wire import (
    MAX_BUNDLE_BYTES,
    MAX_BUNDLE_FORKS,
    MAX_BUNDLE_RECORDS,
    MAX_HEADS,
    WireError,
    batch_bytes,
    check_fork,
    parse_batch,
)
from recap_desktop.services.admission import admit_into, trust
from recap_desktop.services.workspace import RecapError, Workspace
from recap_desktop.storage.errors import StorageError

PHOTOS_SUFFIX = ".photos"
# Why a bundle's photo file was not kept (each a catalogue key ``bundle.photo_refused.<kind>``).
REFUSALS = ("link", "not_file", "too_big", "altered", "not_named", "unreadable", "not_kept")


@dataclass(frozen=True)
class PhotoRefusal:
    """A file of the bundle's photos folder, named by a photo a sheet names, not kept."""

    sha256: str
    kind: str  # one of REFUSALS
    detail: str = ""


@dataclass
class BundleImport:
    added: int = 0
    already: int = 0
    forks: int = 0  # fork evidence newly kept
    problems: list[Problem] = field(default_factory=list)
    heads: int = 0  # the server's tree heads newly learnt, to check at the next sync
    misbehaviour: list[tuple[str, str]] = field(default_factory=list)  # kind, detail (§10.6)
    photos: int = 0  # photos kept from the folder beside the bundle
    photos_refused: list[PhotoRefusal] = field(default_factory=list)


@dataclass
class BundleExport:
    records: int
    photos: int = 0  # photo files in the folder beside the bundle, intact
    not_held: int = 0  # photos the sheets name that this laptop does not hold intact
    folder: Path | None = None  # the photos folder (None: no sheet names a photo held here)


def photos_folder(bundle: Path) -> Path:
    """The folder beside a bundle that carries its photos: ``x.json`` → ``x.photos``."""
    bundle = Path(bundle)
    folder = bundle.with_name(bundle.stem + PHOTOS_SUFFIX)
    return folder if folder != bundle else bundle.with_name(bundle.name + PHOTOS_SUFFIX)


def export_bundle(ws: Workspace, out: Path) -> BundleExport:
    """Every record the store holds, in the order it arrived (so every chain goes up one by
    one), and the fork evidence it keeps; the photos its sheets name, beside it. The photos
    are written first and the bundle last, so a bundle file found whole has its photos."""
    records: list[Record] = []
    for row in ws.store.records.rows():
        if row.record is None:
            raise RecapError("bundle.damaged_store", hash=row.hash, detail=row.error)
        records.append(row.record)
    forks = ws.store.evidence.forks()
    if len(records) > MAX_BUNDLE_RECORDS or len(forks) > MAX_BUNDLE_FORKS:
        raise RecapError("bundle.too_large", records=len(records), limit=MAX_BUNDLE_RECORDS)
    # The newest head and the latest it replaced (each relied on): bounded like a batch.
    witness = ws.store.witness
    newest = witness.newest()
    kept = ([newest] if newest is not None else []) + witness.relied()
    heads = [h.to_json() for h in kept[:MAX_HEADS]]
    data = batch_bytes([r.to_json() for r in records], forks, heads) + b"\n"
    if len(data) > MAX_BUNDLE_BYTES:
        raise RecapError("bundle.too_large", records=len(records), limit=MAX_BUNDLE_RECORDS)
    out = Path(out)
    result = _export_photos(ws, out, len(data))
    result.records = len(records)
    try:
        keystore.atomic_write(out, data)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise RecapError("bundle.no_room", path=out, detail=exc.strerror or exc) from exc
        raise RecapError("file.unwritable", path=out, detail=exc.strerror or exc) from exc
    return result


def _export_photos(ws: Workspace, out: Path, bundle_bytes: int) -> BundleExport:
    """Write each photo a held sheet names and this laptop holds intact into the folder
    beside ``out`` (a file already there intact is left), each atomically. Checks first that
    the disk has room for them and the bundle: a full USB stick is said before anything is
    written; one that fills meanwhile leaves no part file. Every read and write of the folder
    goes through a descriptor of the folder itself (``_PhotoFolder``), so a folder swapped
    for a link after it was checked cannot send the photos elsewhere."""
    files = ws.store.photos
    named: dict[str, Photo] = {}
    for n in files.named():
        named.setdefault(n.photo.sha256, n.photo)
    result = BundleExport(0)
    if not named:
        return result
    folder = photos_folder(out)
    # Sizes alone first (each file is read once, below, where it is checked whole).
    held = [p for p in named.values() if _size(files.path(p.sha256), follow=True) == p.bytes]
    result.not_held = len(named) - len(held)
    if not held:
        return result
    result.folder = folder
    target = _PhotoFolder.open(folder)  # None: not there yet (made after the room check)
    try:
        there = target.size if target is not None else lambda name: None
        needed = sum(p.bytes for p in held if there(p.sha256) != p.bytes) + bundle_bytes
        try:
            free = shutil.disk_usage(_existing(folder)).free
        except OSError as exc:
            raise RecapError("file.unwritable", path=folder, detail=exc.strerror or exc) from exc
        if needed > free:
            raise RecapError(
                "bundle.no_room",
                path=folder,
                detail=f"{_mb(needed)} MB needed, {_mb(free)} MB free",
            )
        if target is None:
            target = _PhotoFolder.open(folder, create=True)
            if target is None:  # made, then removed before it could be opened
                raise RecapError("bundle.photos_folder_bad", path=folder)
        for photo in held:
            if target.intact(photo):
                result.photos += 1  # exported before: left as it is
                continue
            data = files.read(photo)
            if data is None:  # not the photo named: altered behind the program's back
                result.not_held += 1
                continue
            try:
                target.write(photo.sha256, data)
            except OSError as exc:
                key = "bundle.no_room" if exc.errno == errno.ENOSPC else "file.unwritable"
                raise RecapError(
                    key, path=folder / photo.sha256, detail=exc.strerror or exc
                ) from exc
            result.photos += 1
        # The bundle is written next, by its path: its photos must be in the folder that
        # path names, not in one moved aside while a link took its place.
        target.still_there()
    finally:
        if target is not None:
            target.close()
    return result


# Linux and macOS write the photos relative to a descriptor of the folder, opened without
# following a link (the standard library's dir_fd calls: openat, renameat, fstatat, unlinkat;
# no library does this better). Windows has no dir_fd: there the folder is checked (no link,
# no junction) when opened and again before each file is written, which narrows the window a
# local attacker has but does not close it.
_DIR_FD = (
    # os.replace is renameat like os.rename, which is the one supports_dir_fd lists.
    all(f in os.supports_dir_fd for f in (os.open, os.rename, os.stat, os.unlink))
    and hasattr(os, "O_DIRECTORY")
    and hasattr(os, "O_NOFOLLOW")
)
_REPARSE_POINT = getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0x400)


class _PhotoFolder:
    """The photos folder beside a bundle, as the export reads and writes it: a descriptor of
    the folder itself, opened with O_DIRECTORY | O_NOFOLLOW (a link, or anything but a
    folder, is ``bundle.photos_folder_bad``), and every file opened relative to it, never
    following a link (``O_NOFOLLOW``; a part file made with ``O_CREAT | O_EXCL``, then
    renamed over the photo's name inside the same folder). Swapping the folder's path for a
    link after it was opened changes nothing of where the photos go."""

    def __init__(self, path: Path, fd: int | None, identity: tuple[int, int]) -> None:
        self.path = path
        self._fd = fd  # None on Windows (no dir_fd): paths, checked before each write
        self._identity = identity  # (device, inode) of the folder opened

    @classmethod
    def open(cls, path: Path, *, create: bool = False) -> _PhotoFolder | None:
        """The folder at ``path``; None when there is none and ``create`` is off. Made when
        missing (its parent too: the place the officer chose for the bundle), by a mkdir that
        never follows a link, then opened as above."""
        if create:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                os.mkdir(path)
            except FileExistsError:
                pass  # whatever is there is judged by the open
            except OSError as exc:
                raise RecapError("file.unwritable", path=path, detail=exc.strerror or exc) from exc
        if not _DIR_FD:
            info = _plain_folder(path)
            return None if info is None else cls(path, None, (info.st_dev, info.st_ino))
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                raise RecapError("bundle.photos_folder_bad", path=path) from exc
            raise RecapError("file.unwritable", path=path, detail=exc.strerror or exc) from exc
        try:
            info = os.fstat(fd)
        except OSError as exc:
            os.close(fd)
            raise RecapError("file.unwritable", path=path, detail=exc.strerror or exc) from exc
        return cls(path, fd, (info.st_dev, info.st_ino))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def size(self, name: str) -> int | None:
        """The length of the regular file ``name`` in the folder (None: none, or a link)."""
        try:
            if self._fd is None:
                info = os.lstat(self.path / name)
            else:
                info = os.stat(name, dir_fd=self._fd, follow_symlinks=False)
        except OSError:
            return None
        return info.st_size if stat.S_ISREG(info.st_mode) else None

    def intact(self, photo: Photo) -> bool:
        """Whether the folder's regular file (not a link) named by the photo is exactly it."""
        if self.size(photo.sha256) != photo.bytes:
            return False
        flags = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | getattr(os, "O_BINARY", 0)
        try:
            if self._fd is None:
                self._check_again()
                fd = os.open(self.path / photo.sha256, flags)
            else:
                fd = os.open(photo.sha256, flags, dir_fd=self._fd)
        except (OSError, RecapError):
            return False
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return False
            chunks, left = [], photo.bytes + 1
            while left > 0 and (chunk := os.read(fd, min(left, 1024 * 1024))):
                chunks.append(chunk)
                left -= len(chunk)
            return matches(photo, b"".join(chunks))
        except OSError:
            return False
        finally:
            os.close(fd)

    def write(self, name: str, data: bytes) -> None:
        """``data`` as the folder's file ``name``, atomically: a part file of its own (never
        one that was there, never through a link), fsynced, renamed over ``name`` inside the
        folder, and the folder fsynced. A failure leaves no part file. Raises OSError."""
        if self._fd is None:
            self._check_again()
            keystore.atomic_write(self.path / name, data)
            return
        part = f".{name}.{secrets.token_hex(4)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_BINARY", 0)
        fd = os.open(part, flags, 0o644, dir_fd=self._fd)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, name, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(part, dir_fd=self._fd)
            raise
        os.fsync(self._fd)

    def still_there(self) -> None:
        """The folder's path still names the folder written into (not a link put in its
        place, nor another folder): else ``bundle.photos_folder_bad``, and no bundle."""
        try:
            info = os.lstat(self.path)
        except OSError as exc:
            raise RecapError("bundle.photos_folder_bad", path=self.path) from exc
        if not stat.S_ISDIR(info.st_mode) or (info.st_dev, info.st_ino) != self._identity:
            raise RecapError("bundle.photos_folder_bad", path=self.path)

    def _check_again(self) -> None:
        """Windows: the path is still the plain folder first opened."""
        info = _plain_folder(self.path)
        if info is None or (info.st_dev, info.st_ino) != self._identity:
            raise RecapError("bundle.photos_folder_bad", path=self.path)


def _plain_folder(folder: Path) -> os.stat_result | None:
    """Refuse a photos folder that is a link (a junction too, on Windows) or not a folder:
    a stick prepared by someone else could send the photos' writes anywhere this user may
    write (import refuses the same folder, so the two doors agree). None: there is none."""
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RecapError("file.unwritable", path=folder, detail=exc.strerror or exc) from exc
    reparse = getattr(info, "st_file_attributes", 0) & _REPARSE_POINT
    if not stat.S_ISDIR(info.st_mode) or reparse:
        raise RecapError("bundle.photos_folder_bad", path=folder)
    return info


def _size(path: Path, *, follow: bool = False) -> int | None:
    """The length of the file at ``path`` (None: none, or a link when ``follow`` is off)."""
    try:
        info = os.stat(path) if follow else os.lstat(path)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _existing(path: Path) -> Path:
    """The nearest folder of ``path`` that exists (to ask its disk for room)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _mb(n: int) -> int:
    return -(-n // (1024 * 1024))


def import_bundle(
    ws: Workspace, data: bytes, source: str, photos: Path | None = None
) -> BundleImport:
    """Admit each record by the rule every door applies; keep those admitted and the fork
    evidence that proves a fork; report the rest. Bounded like a push: a file larger than
    any laptop's records is refused whole, before it is read. Then, from the folder
    ``photos`` (``photos_folder`` of the bundle's path; absent: none), each photo a held
    sheet names that this laptop lacks (``take_photos``).

    Imported records stay unsent: the next sync carries them to the server.
    """
    if len(data) > MAX_BUNDLE_BYTES:
        raise RecapError("bundle.unreadable", path=source, detail=f"over {MAX_BUNDLE_BYTES} bytes")
    try:
        batch = parse_batch(parse_json(data), max_records=MAX_BUNDLE_RECORDS)
    except (CanonicalError, WireError) as exc:
        raise RecapError("bundle.unreadable", path=source, detail=exc) from exc
    records: list[Record] = []
    malformed: list[Problem] = []
    for item in batch.items:
        try:
            records.append(from_json(item))
        except EnvelopeError as exc:  # one bad record is refused, as the server would
            claimed = item.get("hash") if isinstance(item, dict) else None
            name = claimed if isinstance(claimed, str) and len(claimed) == 64 else None
            malformed.append(Problem(name, "malformed", str(exc)[:200]))
    admission = admit_into(ws, records, "bundle")
    out = BundleImport(
        len(admission.admitted), len(admission.already), problems=malformed + admission.problems
    )
    held = trust(ws)
    forks = []
    for pair in batch.forks:
        try:
            forks.append(check_fork(pair, held))
        except WireError as exc:
            out.problems.append(Problem(None, "malformed", f"fork evidence: {exc}"))
    out.forks = ws.store.evidence.add_forks(forks, "bundle") + len(admission.forks)
    _take_heads(ws, batch.heads, out)
    if photos is not None:
        take_photos(ws, Path(photos), out)
    return out


def take_photos(ws: Workspace, folder: Path, out: BundleImport) -> None:
    """Keep each photo a held sheet names that this laptop lacks, from ``folder``'s file of
    that exact name, by the rule a sync's fetch keeps one by (``PhotoFiles.take``).

    The folder is never listed: only the names the signed sheets give (64 hex digits) are
    looked up, so a file of another name (``../x``, junk, a million of them) is never read.
    Each is opened without following a link (inside a folder opened the same way, where the
    system allows), must be a regular file no longer than the photo named, and is read no
    further than that: a link to ``/etc/passwd``, a device, a pipe or a huge file is refused
    unread. A file that is not the photo named is refused and nothing is kept of it."""
    files = ws.store.photos
    wanted = files.lacking(files.named())
    if not wanted:
        return
    try:
        info = os.lstat(folder)
    except OSError:
        return  # no photos beside this bundle: an older laptop's, or records alone
    if not stat.S_ISDIR(info.st_mode):
        kind = "link" if stat.S_ISLNK(info.st_mode) else "not_file"
        out.photos_refused.append(PhotoRefusal("-", kind, str(folder)))
        return
    dir_fd: int | None = None
    if os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY"):
        try:
            dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
        except OSError as exc:
            out.photos_refused.append(PhotoRefusal("-", "unreadable", exc.strerror or str(exc)))
            return
    try:
        for sha, photo in wanted.items():
            data, refusal = _read_photo(folder, dir_fd, photo)
            if refusal is not None:
                out.photos_refused.append(refusal)
                continue
            if data is None:
                continue  # not in this bundle: still missing here
            try:
                kept = files.take(photo, data)
            except StorageError as exc:  # this laptop's disk: the rest would fail alike
                out.photos_refused.append(PhotoRefusal(sha, "not_kept", str(exc)))
                return
            if kept:
                out.photos += 1
            elif hashlib.sha256(data).hexdigest() != sha:
                out.photos_refused.append(PhotoRefusal(sha, "altered"))
            else:
                out.photos_refused.append(PhotoRefusal(sha, "not_named"))
    finally:
        if dir_fd is not None:
            os.close(dir_fd)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a pipe named like a photo must not hang the open


def _read_photo(
    folder: Path, dir_fd: int | None, photo: Photo
) -> tuple[bytes | None, PhotoRefusal | None]:
    """The bytes of the folder's file named ``photo.sha256`` (None: no such file), or why
    it is refused unread (a link, not a regular file, longer than the photo named)."""
    sha = photo.sha256
    flags = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | getattr(os, "O_BINARY", 0)
    try:
        if dir_fd is not None:
            fd = os.open(sha, flags, dir_fd=dir_fd)
        else:  # no dir_fd here (Windows): refuse a link seen before the open
            path = folder / sha
            if os.path.islink(path):
                return None, PhotoRefusal(sha, "link")
            fd = os.open(path, flags)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, PhotoRefusal(sha, "link")
        return None, PhotoRefusal(sha, "unreadable", exc.strerror or str(exc))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, PhotoRefusal(sha, "not_file")
        if info.st_size > photo.bytes:
            return None, PhotoRefusal(sha, "too_big")
        chunks: list[bytes] = []
        left = photo.bytes + 1  # one byte more shows a file that grew since its size was read
        while left > 0:
            chunk = os.read(fd, min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks), None
    except OSError as exc:
        return None, PhotoRefusal(sha, "unreadable", exc.strerror or str(exc))
    finally:
        os.close(fd)


def _take_heads(ws: Workspace, raw: list[object], out: BundleImport) -> None:
    """The server's tree heads another laptop verified (gossip, PROTOCOL §10.7), checked like
    the server's own: a head of the same size as any head held (the newest, one relied on,
    gossip) that describes another log (root, partitions root or count) is a fork of the
    server's history, found here; any other is kept, and the next sync asks the server to
    prove its log extends it."""
    held = trust(ws)
    witness = ws.store.witness
    mine = []
    for record in witness.kept():
        try:
            mine.append(parse_head(record, held))
        except LogError:
            continue  # its key is no longer certified: it proves nothing now
    for item in raw:
        try:
            shown = parse_head(item, held)
        except LogError as exc:
            out.problems.append(Problem(None, "malformed", f"tree head: {exc}"))
            continue
        if any(h.hash == shown.hash for h in mine):
            continue
        other = next((h for h in mine if h.size == shown.size and not same_log(h, shown)), None)
        if other is not None:
            detail = f"two different logs of {other.size} entries"
            witness.add_evidence("forked", detail, other.record, shown.record)
            out.misbehaviour.append(("forked", detail))
            # Histories that parted once differ at every later size: one pair shows it (the
            # newest head first, as exported); the rest would be the same fork again.
            return
        if witness.keep_gossip(shown.record):
            out.heads += 1
            mine.append(shown)
