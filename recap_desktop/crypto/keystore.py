"""The officer's private key at rest: Argon2id from the passphrase, AES-256-GCM around the seed.

File layout (JSON, canonical): a header that says everything needed to open it (format,
version, KDF and its parameters, nonce, the public key and the officer's details) plus the
ciphertext, and a SHA-256 checksum over all of that. The checksum lets a damaged file be told
apart from a wrong passphrase: both fail GCM, only damage fails the checksum. The header is
GCM's associated data, so nobody can swap the officer's details under a sealed key.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from recap_desktop.crypto.canonical import CanonicalError, canonical_bytes, parse_json
from recap_desktop.crypto.keys import SigningKey, key_id

FORMAT = "recap-keystore"
VERSION = 1
# OWASP's first Argon2id choice is 19 MiB x 2; we ask more because a laptop can be stolen
# and unlocking happens once per session.
DEFAULT_KDF = {"memory_kib": 64 * 1024, "iterations": 3, "lanes": 4}
MIN_MEMORY_KIB = 64 * 1024
MIN_ITERATIONS = 3
# Upper bounds, so that a doctored header cannot make unlocking eat the laptop's memory or time.
MAX_MEMORY_KIB = 4 * 1024 * 1024
MAX_ITERATIONS = 64
MAX_LANES = 64


class KeystoreError(Exception):
    """Base of the keystore's typed errors."""


class WrongPassphrase(KeystoreError):
    pass


class DamagedKeystore(KeystoreError):
    pass


class UnknownKeystoreVersion(KeystoreError):
    pass


@dataclass(frozen=True)
class KeystoreInfo:
    """What can be read without the passphrase."""

    key_id: str
    public_key: bytes
    officer: dict[str, Any]
    kdf: dict[str, Any]


def _derive(passphrase: str, salt: bytes, kdf: dict[str, Any]) -> bytes:
    return Argon2id(
        salt=salt,
        length=32,
        iterations=kdf["iterations"],
        lanes=kdf["lanes"],
        memory_cost=kdf["memory_kib"],
    ).derive(passphrase.encode("utf-8"))


def atomic_write(path: Path, data: bytes) -> None:
    """Temp file, fsync, replace, fsync the folder: a crash leaves the old file or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if os.name == "nt":
        return  # Windows opens no folder as a file to fsync it; NTFS journals the rename
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def seal(
    key: SigningKey,
    passphrase: str,
    officer: dict[str, Any],
    kdf: dict[str, Any] | None = None,
) -> bytes:
    """Return the keystore file's bytes for ``key`` under ``passphrase``."""
    params = dict(DEFAULT_KDF if kdf is None else kdf)
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "kdf": {"name": "argon2id", **params, "salt": salt.hex()},
        "cipher": {"name": "aes-256-gcm", "nonce": nonce.hex()},
        "public_key": key.public_key.hex(),
        "key_id": key.key_id,
        "officer": officer,
    }
    kek = _derive(passphrase, salt, params)
    ciphertext = AESGCM(kek).encrypt(nonce, key.seed(), canonical_bytes(header))
    body = {**header, "ciphertext": ciphertext.hex()}
    checksum = hashlib.sha256(canonical_bytes(body)).hexdigest()
    return canonical_bytes({**body, "checksum": checksum}) + b"\n"


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _parse(data: bytes) -> tuple[dict[str, Any], bytes]:
    try:
        doc = parse_json(data)
    except CanonicalError as exc:
        raise DamagedKeystore(f"the keystore is not readable JSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise DamagedKeystore("this file is not a Recap keystore")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        # Every version of the format has an integer version: without one the file is
        # damaged, and "use the program that made it" would send the officer the wrong way.
        raise DamagedKeystore("the keystore has no version number: the file is damaged")
    if version != VERSION:
        raise UnknownKeystoreVersion(
            f"keystore version {doc.get('version')!r} is not known to this program "
            f"(it reads version {VERSION}); use the program that made it"
        )
    if data != canonical_bytes(doc) + b"\n":
        raise DamagedKeystore("the keystore is not byte for byte what this program writes")
    body = {k: v for k, v in doc.items() if k != "checksum"}
    if doc.get("checksum") != hashlib.sha256(canonical_bytes(body)).hexdigest():
        raise DamagedKeystore("the keystore's checksum does not match: the file is damaged")
    try:
        header = {k: v for k, v in body.items() if k != "ciphertext"}
        kdf, cipher = header["kdf"], header["cipher"]
        if kdf["name"] != "argon2id" or cipher["name"] != "aes-256-gcm":
            raise UnknownKeystoreVersion("unknown key derivation or cipher")
        if not (
            _int_in(kdf["memory_kib"], MIN_MEMORY_KIB, MAX_MEMORY_KIB)
            and _int_in(kdf["iterations"], MIN_ITERATIONS, MAX_ITERATIONS)
            and _int_in(kdf["lanes"], 1, MAX_LANES)
        ):
            raise DamagedKeystore("the keystore's KDF parameters are outside the allowed range")
        if len(bytes.fromhex(kdf["salt"])) < 16 or len(bytes.fromhex(cipher["nonce"])) != 12:
            raise DamagedKeystore("the keystore's salt or nonce has the wrong length")
        public_key = bytes.fromhex(header["public_key"])
        if key_id(public_key) != header["key_id"]:
            raise DamagedKeystore("the keystore's key id does not match its public key")
        ciphertext = bytes.fromhex(body["ciphertext"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DamagedKeystore(f"the keystore's header is incomplete ({exc})") from exc
    return header, ciphertext


def info(data: bytes) -> KeystoreInfo:
    header, _ = _parse(data)
    return KeystoreInfo(
        key_id=header["key_id"],
        public_key=bytes.fromhex(header["public_key"]),
        officer=dict(header["officer"]),
        kdf={k: v for k, v in header["kdf"].items() if k != "salt"},
    )


def unseal(data: bytes, passphrase: str) -> SigningKey:
    header, ciphertext = _parse(data)
    kdf = header["kdf"]
    kek = _derive(passphrase, bytes.fromhex(kdf["salt"]), kdf)
    try:
        seed = AESGCM(kek).decrypt(
            bytes.fromhex(header["cipher"]["nonce"]), ciphertext, canonical_bytes(header)
        )
    except InvalidTag as exc:
        raise WrongPassphrase("the passphrase is wrong") from exc
    key = SigningKey.from_seed(seed)
    if key.key_id != header["key_id"]:
        raise DamagedKeystore("the sealed key does not match the keystore's public key")
    return key
