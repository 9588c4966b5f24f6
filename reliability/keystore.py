"""Trial 6: the keystore refuses wrong passphrases, every single-byte change of its file and
unknown versions, each with its typed error, and unlocks nothing."""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata
from pathlib import Path
from typing import Any

from recap_desktop.crypto import keystore
from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.keys import SigningKey
from reliability.common import TrialResult

PASSPHRASE = "kotak suara 7 Kécamatan"
OFFICER = {"name": "Petugas Uji", "officer_id": "op-77", "role": "operator", "demo": False}


def wrong_passphrases(n: int, rng: random.Random) -> list[str]:
    near = [
        "",
        " ",
        PASSPHRASE[:-1],
        PASSPHRASE + " ",
        " " + PASSPHRASE,
        PASSPHRASE.upper(),
        PASSPHRASE.lower(),
        PASSPHRASE.replace("7", "1"),
        unicodedata.normalize("NFD", PASSPHRASE),  # looks the same, other bytes
        PASSPHRASE + "\n",
    ]
    alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789éü—"
    while len(near) < n:
        near.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))))
    return [p for p in near[:n] if p != PASSPHRASE]


def _expect(
    result: TrialResult, label: str, data: bytes, want: tuple[type[Exception], ...]
) -> None:
    try:
        key = keystore.unseal(data, PASSPHRASE)
    except want as exc:
        result.count(f"refused with {type(exc).__name__}")
        return
    except keystore.KeystoreError as exc:
        result.fail(f"{label}: {type(exc).__name__} ({exc}), wanted {want[0].__name__}")
        return
    except Exception as exc:  # an untyped crash is a defect too
        result.fail(f"{label}: untyped {type(exc).__name__}: {exc}")
        return
    result.fail(f"{label}: UNLOCKED a key ({key.key_id[:16]})")


def _version_span(data: bytes) -> range:
    start = data.index(b'"version":') + len(b'"version":')
    end = start
    while data[end : end + 1].isdigit():
        end += 1
    return range(start, end)


def _resealed(doc: dict[str, Any], **changes: object) -> bytes:
    """The file as a program of another version would write it: changed, checksum made good."""
    body = {k: v for k, v in doc.items() if k != "checksum"}
    body.update(changes)
    body = {k: v for k, v in body.items() if v is not _DROP}
    checksum = hashlib.sha256(canonical_bytes(body)).hexdigest()
    return canonical_bytes({**body, "checksum": checksum}) + b"\n"


_DROP = object()


def keystore_trial(size: int, work: Path, seed: int = 6) -> TrialResult:
    """``size`` wrong passphrases (each pays Argon2id); every byte position of the file changed
    once (XOR with a random non-zero byte) and, at full size (50), to every other value."""
    result = TrialResult("keystore", size, "all")
    rng = random.Random(seed)
    key = SigningKey.generate()
    data = keystore.seal(key, PASSPHRASE, OFFICER)
    if keystore.unseal(data, PASSPHRASE).key_id != key.key_id:
        result.fail("the right passphrase does not unlock the key")
    for phrase in wrong_passphrases(size, rng):
        try:
            keystore.unseal(data, phrase)
            result.fail(f"wrong passphrase {phrase!r} unlocked the key")
        except keystore.WrongPassphrase:
            result.count("wrong passphrases refused")
        except Exception as exc:
            result.fail(f"wrong passphrase {phrase!r}: {type(exc).__name__}")
    version = _version_span(data)
    for pos in range(len(data)):
        values = range(1, 256) if size >= 50 else [rng.randrange(1, 256)]
        for x in values:
            flipped = bytearray(data)
            flipped[pos] ^= x
            want: tuple[type[Exception], ...] = (keystore.DamagedKeystore,)
            if pos in version:
                want = (keystore.UnknownKeystoreVersion, keystore.DamagedKeystore)
            result.count("byte flips")
            _expect(result, f"byte {pos} ^ {x:#04x}", bytes(flipped), want)
    for cut in range(len(data)):
        result.count("truncations")
        _expect(result, f"cut at {cut}", data[:cut], (keystore.DamagedKeystore,))
    doc = json.loads(data)
    resealed: list[tuple[str, bytes, type[Exception]]] = [
        ("version 2", _resealed(doc, version=2), keystore.UnknownKeystoreVersion),
        ("version 0", _resealed(doc, version=0), keystore.UnknownKeystoreVersion),
        ("version 99", _resealed(doc, version=99), keystore.UnknownKeystoreVersion),
        ("version '1'", _resealed(doc, version="1"), keystore.DamagedKeystore),
        ("no version", _resealed(doc, version=_DROP), keystore.DamagedKeystore),
        (
            "kdf scrypt",
            _resealed(doc, kdf={**doc["kdf"], "name": "scrypt"}),
            keystore.UnknownKeystoreVersion,
        ),
        (
            "cipher chacha",
            _resealed(doc, cipher={**doc["cipher"], "name": "chacha20-poly1305"}),
            keystore.UnknownKeystoreVersion,
        ),
        (
            "weakened KDF (downgrade)",
            _resealed(doc, kdf={**doc["kdf"], "memory_kib": 8}),
            keystore.DamagedKeystore,
        ),
    ]
    for label, changed, expected in resealed:
        result.count("unknown versions and resealed edits")
        _expect(result, label, changed, (expected,))
    # Someone edits the header and recomputes the (unkeyed) checksum: GCM refuses the header,
    # which only the passphrase's key can tell, so the error is WrongPassphrase.
    edits: list[tuple[str, dict[str, Any]]] = [
        ("officer role changed, checksum redone", {"officer": {**OFFICER, "role": "supervisor"}}),
        (
            "public key swapped, checksum redone",
            {"public_key": SigningKey.generate().public_key.hex()},
        ),
        ("salt changed, checksum redone", {"kdf": {**doc["kdf"], "salt": "00" * 16}}),
    ]
    for label, edit in edits:
        result.count("header edits with a good checksum")
        _expect(
            result,
            label,
            _resealed(doc, **edit),
            (keystore.WrongPassphrase, keystore.DamagedKeystore),
        )
    refused = sum(v for k, v in result.counts.items() if "refused" in k)
    result.counts["total refused"] = refused
    return result
