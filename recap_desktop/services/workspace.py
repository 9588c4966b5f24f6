"""A data folder: the store, the keystore and the trust anchors, with the typed error for users."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from recap_desktop.crypto import keystore
from recap_desktop.crypto.envelope import Record
from recap_desktop.messages import Message, render

if TYPE_CHECKING:  # imported when the store is first opened: sqlite-utils is slow to import
    from recap_desktop.storage import Store

KEYSTORE_NAME = "identity.key"


class RecapError(Exception):
    """An error a person can act on: a catalogue key, its parameters and an exit code."""

    def __init__(
        self,
        key: str,
        exit_code: int = 2,
        details: Sequence[Message | str] | None = None,
        **params: object,
    ):
        self.key = key
        self.params = params
        self.exit_code = exit_code
        self.detail_messages: list[Message | str] = list(details or [])
        super().__init__(Message(key, params).render("en"))

    def message(self, lang: str | None = None) -> str:
        return Message(self.key, self.params).render(lang)

    def detail_lines(self, lang: str | None = None) -> list[str]:
        """Each detail rendered in ``lang`` (the caller's language, at the edge)."""
        return [render(d, lang) for d in self.detail_messages]

    @property
    def details(self) -> list[str]:
        return self.detail_lines()


def private_folder(path: Path) -> None:
    """A data folder only its owner may enter (0700): it holds the officer's sealed key and
    every record. One made looser by an earlier version is tightened."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def demo_folder(data_dir: Path) -> Path:
    """Where the DEMO election of a data folder lives: beside it, never in it. A DEMO folder
    trusts the DEMO authority, whose seed is published; a real folder never does."""
    return data_dir.with_name(data_dir.name + "-demo")


def default_data_dir() -> Path:
    env = os.environ.get("RECAP_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs  # only when no folder is given: not on the window's start-up path

    return Path(platformdirs.user_data_dir("recap-desktop", "recap"))


class Workspace:
    """One officer's data folder. Cheap to make; opens the store when first asked."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self._store: Store | None = None
        # The keystore's parsed public part, with the file's identity when it was read.
        self._keystore: tuple[tuple[int, ...], keystore.KeystoreInfo] | None = None

    @property
    def keystore_path(self) -> Path:
        return self.data_dir / KEYSTORE_NAME

    @property
    def store(self) -> Store:
        if self._store is None:
            try:
                private_folder(self.data_dir)
            except OSError as exc:
                raise RecapError("usage.data_dir", path=self.data_dir, detail=exc) from exc
            from recap_desktop.storage import StorageError, Store

            try:
                self._store = Store.in_dir(self.data_dir)
            except StorageError as exc:
                key = f"store.{exc.reason}" if exc.reason else "store.error"
                raise RecapError(key, detail=exc) from exc
        return self._store

    def append(self, records: Sequence[Record], origin: str) -> list[bool]:
        """Append through the store, turning its errors into ones a person can act on: the
        CLI and the window both show ``store.full``, ``store.readonly``, ``store.io``…"""
        from recap_desktop.storage import StorageError, TamperedStore

        try:
            return self.store.append(records, origin)
        except TamperedStore as exc:
            raise RecapError("store.tampered", exit_code=1, detail=exc) from exc
        except StorageError as exc:
            key = f"store.{exc.reason}" if exc.reason else "store.error"
            raise RecapError(key, detail=exc) from exc

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def read_keystore(self) -> bytes:
        try:
            return self.keystore_path.read_bytes()
        except FileNotFoundError as exc:
            raise RecapError("identity.missing") from exc
        except OSError as exc:
            raise RecapError("file.unreadable", path=self.keystore_path, detail=exc) from exc

    def keystore_info(self) -> keystore.KeystoreInfo:
        """The keystore's public part. Every save asks (whose key is this folder's own);
        the file is parsed again only when it changed: its inode, size, modification or
        status-change time (a swapped or rewritten file changes the last at least)."""
        stamp: tuple[int, ...] = ()
        try:
            st = self.keystore_path.stat()
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        except OSError:
            pass  # read_keystore says what is wrong
        cached = self._keystore
        if stamp and cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            found = keystore.info(self.read_keystore())
            self._keystore = (stamp, found) if stamp else None
            return found
        except keystore.UnknownKeystoreVersion as exc:
            raise RecapError("keystore.version", path=self.keystore_path, detail=exc) from exc
        except keystore.DamagedKeystore as exc:
            raise RecapError("keystore.damaged", path=self.keystore_path, detail=exc) from exc
