"""docs/PROTOCOL.md's vectors must be what the code produces, and checkable without our code."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from recap_desktop.crypto.canonical import canonical_bytes, parse_canonical
from recap_desktop.crypto.envelope import from_parts, sign, signing_message
from recap_desktop.crypto.keys import SigningKey

DOC = Path(__file__).resolve().parents[1] / "docs" / "PROTOCOL.md"


def _vectors() -> list[dict[str, Any]]:
    match = re.search(r"```json vectors\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, "docs/PROTOCOL.md lost its vectors block"
    return list(json.loads(match.group(1)))


@pytest.mark.parametrize("vector", _vectors(), ids=lambda v: v["hash"][:12])
def test_vector_checks_with_plain_primitives(vector: dict[str, Any]) -> None:
    """What another implementation would do: SHA-256 and Ed25519 with no Recap code."""
    seed = bytes.fromhex(vector["seed"])
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    assert public.public_bytes_raw().hex() == vector["public_key"]
    assert hashlib.sha256(bytes.fromhex(vector["public_key"])).hexdigest() == vector["key_id"]
    canonical = vector["canonical"].encode("utf-8")
    record_type = json.loads(canonical)["type"]
    message = b"recap/1\n" + record_type.encode("ascii") + b"\n" + canonical
    assert message.hex() == vector["signing_message_hex"]
    assert hashlib.sha256(canonical).hexdigest() == vector["hash"]
    Ed25519PublicKey.from_public_bytes(public.public_bytes_raw()).verify(
        bytes.fromhex(vector["sig"]), message
    )


@pytest.mark.parametrize("vector", _vectors(), ids=lambda v: v["hash"][:12])
def test_code_reproduces_vector(vector: dict[str, Any]) -> None:
    key = SigningKey.from_seed(bytes.fromhex(vector["seed"]))
    canonical = vector["canonical"].encode("utf-8")
    payload = parse_canonical(canonical)
    assert canonical_bytes(payload) == canonical
    record = sign(key, payload)
    assert (record.hash, record.sig) == (vector["hash"], vector["sig"])
    assert signing_message(record.type, canonical).hex() == vector["signing_message_hex"]
    parsed = from_parts(canonical, vector["key_id"], vector["sig"], vector["hash"])
    assert parsed.verify_signature(key.public_key)


def test_vector_chain_links() -> None:
    first, second = _vectors()
    assert json.loads(second["canonical"])["prev"] == first["hash"]
    assert json.loads(second["canonical"])["supersedes"] == first["hash"]
