"""The sealed keystore: wrong passphrase, damaged bytes, unknown versions, atomic writes."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.crypto import keystore
from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.crypto.keystore import (
    DamagedKeystore,
    KeystoreError,
    UnknownKeystoreVersion,
    WrongPassphrase,
)

PASSPHRASE = "kata sandi yang panjang"
OFFICER = {"name": "Siti", "officer_id": "ppk-01", "role": "operator", "demo": False}


@pytest.fixture(scope="module")
def sealed() -> tuple[SigningKey, bytes]:
    """One keystore with the default (production) KDF parameters, sealed once per module."""
    key = SigningKey.generate()
    return key, keystore.seal(key, PASSPHRASE, OFFICER)


def _doc(data: bytes) -> dict[str, Any]:
    return json.loads(data)


def _reseal_header(data: bytes, change: dict[str, Any]) -> bytes:
    """Edit the header and recompute the checksum, as someone who knows the format would."""
    doc = _doc(data)
    doc.pop("checksum")
    for path, value in change.items():
        target = doc
        *parents, last = path.split(".")
        for part in parents:
            target = target[part]
        target[last] = value
    checksum = hashlib.sha256(canonical_bytes(doc)).hexdigest()
    return canonical_bytes({**doc, "checksum": checksum}) + b"\n"


def test_right_passphrase_unseals_the_same_key(sealed: tuple[SigningKey, bytes]) -> None:
    key, data = sealed
    assert keystore.unseal(data, PASSPHRASE).public_key == key.public_key


def test_wrong_passphrase(sealed: tuple[SigningKey, bytes]) -> None:
    _, data = sealed
    with pytest.raises(WrongPassphrase):
        keystore.unseal(data, PASSPHRASE + " ")


def test_header_holds_the_kdf_parameters(sealed: tuple[SigningKey, bytes]) -> None:
    key, data = sealed
    doc = _doc(data)
    assert doc["format"] == "recap-keystore" and doc["version"] == 1
    kdf = doc["kdf"]
    assert kdf["name"] == "argon2id"
    assert kdf["memory_kib"] >= 64 * 1024
    assert kdf["iterations"] >= 3
    assert kdf["lanes"] >= 1
    assert len(bytes.fromhex(kdf["salt"])) >= 16
    assert doc["cipher"]["name"] == "aes-256-gcm"
    assert len(bytes.fromhex(doc["cipher"]["nonce"])) == 12
    info = keystore.info(data)
    assert info.kdf["memory_kib"] == kdf["memory_kib"]
    assert info.kdf["iterations"] == kdf["iterations"]
    assert info.key_id == key.key_id and info.officer == OFFICER


def test_the_seed_never_appears_in_the_file(sealed: tuple[SigningKey, bytes]) -> None:
    key, data = sealed
    assert key.seed() not in data
    assert key.seed().hex().encode() not in data


def test_two_seals_of_one_key_differ(sealed: tuple[SigningKey, bytes]) -> None:
    """Fresh salt and nonce each time: equal files would reveal equal keys or passphrases."""
    key, data = sealed
    again = keystore.seal(key, PASSPHRASE, OFFICER)
    assert _doc(again)["kdf"]["salt"] != _doc(data)["kdf"]["salt"]
    assert _doc(again)["cipher"]["nonce"] != _doc(data)["cipher"]["nonce"]


def test_every_single_bit_flip_is_refused(sealed: tuple[SigningKey, bytes]) -> None:
    """Every byte of the file, each of its eight bits: a typed refusal, never a key.

    A flip that broke only the ciphertext would surface as a wrong passphrase; the checksum
    is there so that damage is told apart, and so that no flip costs an Argon2 run.
    """
    _, data = sealed
    outcomes: dict[str, int] = {}
    for position in range(len(data)):
        for bit in range(8):
            flipped = bytearray(data)
            flipped[position] ^= 1 << bit
            with pytest.raises((DamagedKeystore, UnknownKeystoreVersion)) as caught:
                keystore.unseal(bytes(flipped), PASSPHRASE)
            outcomes[caught.type.__name__] = outcomes.get(caught.type.__name__, 0) + 1
    assert outcomes.get("DamagedKeystore", 0) > 0
    assert sum(outcomes.values()) == 8 * len(data)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d[:-1] + b"\r",  # the newline turned into another JSON whitespace
        lambda d: d[:-1] + b" ",
        lambda d: d[:-1] + b"\t",
        lambda d: d[:-1],  # truncated by one byte
        lambda d: d + b"\n",
        lambda d: b" " + d,
        lambda d: d.replace(b'","', b'", "', 1),
        lambda d: d[: len(d) // 2],
        lambda d: b"",
    ],
    ids=[
        "cr",
        "space",
        "tab",
        "truncated-1",
        "extra-newline",
        "leading-space",
        "spaced",
        "half",
        "empty",
    ],
)
def test_any_other_bytes_are_refused(sealed: tuple[SigningKey, bytes], change: Any) -> None:
    """The file is exactly what seal wrote; even a change JSON would ignore is damage."""
    _, data = sealed
    with pytest.raises(DamagedKeystore):
        keystore.unseal(change(data), PASSPHRASE)
    with pytest.raises(DamagedKeystore):
        keystore.info(change(data))


@pytest.mark.parametrize("version", [0, 2])
def test_unknown_version(sealed: tuple[SigningKey, bytes], version: Any) -> None:
    _, data = sealed
    with pytest.raises(UnknownKeystoreVersion):
        keystore.unseal(_reseal_header(data, {"version": version}), PASSPHRASE)
    with pytest.raises(UnknownKeystoreVersion):
        keystore.info(_reseal_header(data, {"version": version}))


@pytest.mark.parametrize("version", ["1", None, True])
def test_version_that_is_not_a_number_is_damage(
    sealed: tuple[SigningKey, bytes], version: Any
) -> None:
    """Every format version has an integer version: without one the file is damaged."""
    _, data = sealed
    with pytest.raises(DamagedKeystore):
        keystore.unseal(_reseal_header(data, {"version": version}), PASSPHRASE)


@pytest.mark.parametrize(("path", "value"), [("kdf.name", "scrypt"), ("cipher.name", "chacha20")])
def test_unknown_algorithms(sealed: tuple[SigningKey, bytes], path: str, value: str) -> None:
    _, data = sealed
    with pytest.raises(UnknownKeystoreVersion):
        keystore.unseal(_reseal_header(data, {path: value}), PASSPHRASE)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("kdf.memory_kib", 1024),  # below the minimum: never derive with weak parameters
        ("kdf.iterations", 1),
        ("kdf.iterations", "3"),
        ("kdf.lanes", 0),
        ("kdf.lanes", "4"),
        ("kdf.salt", "zz"),
        ("kdf.salt", ""),
        ("cipher.nonce", ""),
        ("cipher.nonce", "00" * 8),
        ("public_key", "00" * 32),
        ("key_id", "00" * 32),
        ("ciphertext", "abc"),
    ],
)
def test_malformed_header_is_a_typed_error(
    sealed: tuple[SigningKey, bytes], path: str, value: Any
) -> None:
    """Even with a valid checksum, a header the program did not write never crashes it."""
    _, data = sealed
    with pytest.raises(DamagedKeystore):
        keystore.unseal(_reseal_header(data, {path: value}), PASSPHRASE)


def test_swapped_officer_details_do_not_unseal(sealed: tuple[SigningKey, bytes]) -> None:
    """The header is the cipher's associated data: a supervisor role cannot be written in."""
    _, data = sealed
    forged = _reseal_header(data, {"officer.role": "supervisor"})
    assert keystore.info(forged).officer["role"] == "supervisor"  # readable, but:
    with pytest.raises(KeystoreError):
        keystore.unseal(forged, PASSPHRASE)


def test_not_a_keystore() -> None:
    for data in (b"{}", b"[]", b'{"format":"something-else","version":1}', b"\xff\xfe"):
        with pytest.raises(DamagedKeystore):
            keystore.info(data)


def test_atomic_write_leaves_no_temp_file_and_mode_0600(tmp_path: Path) -> None:
    target = tmp_path / "keys" / "identity.key"
    keystore.atomic_write(target, b"first")
    keystore.atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["identity.key"]


def test_atomic_write_that_fails_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "identity.key"
    keystore.atomic_write(target, b"old")
    with pytest.raises(TypeError):
        keystore.atomic_write(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["identity.key"]


def test_identity_keystore_on_disk(demo_template: Any) -> None:
    """The demo folder's keystore: mode 0600, no temp files, parameters in the header."""
    path = demo_template.path / "identity.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in os.listdir(demo_template.path) if p.endswith(".tmp")]
    kdf = keystore.info(path.read_bytes()).kdf
    assert kdf["memory_kib"] >= 64 * 1024 and kdf["iterations"] >= 3
