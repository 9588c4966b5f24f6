"""The one signed envelope for every record: sheets, reviews, certificates, packages, receipts.

Bytes are specified in docs/PROTOCOL.md; keep the two in step.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from recap_desktop.crypto.canonical import (
    CanonicalError,
    canonical_bytes,
    canonical_form,
    parse_canonical,
)
from recap_desktop.crypto.keys import SigningKey, verify_signature

PROTOCOL = "recap/1"
_TYPE_RE = re.compile(r"^[a-z][a-z_]{0,31}\Z")
_HEX64 = re.compile(r"^[0-9a-f]{64}\Z")
_HEX128 = re.compile(r"^[0-9a-f]{128}\Z")

# Records an officer signs form a chain per signer (seq, prev). Authority documents and
# server receipts are versioned instead: the same demo authority key signs on many laptops at
# once, so one chain for it could never be kept consistent.
CHAINED_TYPES = frozenset({"sheet", "review", "dhasil", "objection", "resolution", "requirement"})


class EnvelopeError(ValueError):
    """A record that is malformed: wrong shape, not canonical, or a hash that does not match."""


def signing_message(record_type: str, canonical: bytes) -> bytes:
    """Domain separation: a signature over one type can never pass as another type."""
    return f"{PROTOCOL}\n{record_type}\n".encode("ascii") + canonical


@dataclass(frozen=True)
class Record:
    payload: dict[str, Any]
    signer: str
    sig: str
    hash: str
    canonical: bytes = field(repr=False, compare=False)

    # Cached (a record is immutable, and verification asks each of these several times).
    @cached_property
    def type(self) -> str:
        return str(self.payload["type"])

    @cached_property
    def seq(self) -> int | None:
        seq = self.payload.get("seq")
        return seq if isinstance(seq, int) else None

    @cached_property
    def prev(self) -> str | None:
        prev = self.payload.get("prev")
        return prev if isinstance(prev, str) else None

    def to_json(self) -> dict[str, Any]:
        return {"payload": self.payload, "signer": self.signer, "sig": self.sig, "hash": self.hash}

    def verify_signature(self, public_key: bytes) -> bool:
        return verify_signature(
            public_key, bytes.fromhex(self.sig), signing_message(self.type, self.canonical)
        )


def _check_payload(payload: Any) -> str:
    if not isinstance(payload, dict):
        raise EnvelopeError("payload must be a JSON object")
    record_type = payload.get("type")
    if not isinstance(record_type, str) or not _TYPE_RE.match(record_type):
        raise EnvelopeError("payload.type must be a lowercase name")
    if record_type in CHAINED_TYPES:
        seq, prev = payload.get("seq"), payload.get("prev")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise EnvelopeError("payload.seq must be an integer from 1")
        if seq == 1 and prev is not None:
            raise EnvelopeError("the first record of a chain has prev null")
        if seq > 1 and not (isinstance(prev, str) and _HEX64.match(prev)):
            raise EnvelopeError("payload.prev must be the hash of the signer's previous record")
        if not (isinstance(payload.get("signer"), str) and _HEX64.match(payload["signer"])):
            raise EnvelopeError("payload.signer must be the signer's key id")
    return record_type


def sign(key: SigningKey, payload: dict[str, Any]) -> Record:
    """Sign ``payload`` (which already holds seq and prev if its type is chained)."""
    record_type = _check_payload(payload)
    try:
        canonical = canonical_bytes(payload)
    except CanonicalError as exc:
        raise EnvelopeError(str(exc)) from exc
    if record_type in CHAINED_TYPES and payload["signer"] != key.key_id:
        raise EnvelopeError("payload.signer is not the key that signs it")
    sig = key.sign(signing_message(record_type, canonical))
    return Record(
        payload=payload,
        signer=key.key_id,
        sig=sig.hex(),
        hash=hashlib.sha256(canonical).hexdigest(),
        canonical=canonical,
    )


def from_parts(payload_bytes: bytes, signer: str, sig: str, hash_: str) -> Record:
    """Rebuild a record from stored parts, checking shape, canonical form and hash."""
    try:
        payload = parse_canonical(payload_bytes)
    except CanonicalError as exc:
        raise EnvelopeError(f"payload: {exc}") from exc
    return _record(payload, payload_bytes, signer, sig, hash_)


def _record(payload: Any, payload_bytes: bytes, signer: str, sig: str, hash_: str) -> Record:
    """The checks of ``from_parts`` after the parse: ``payload`` is ``payload_bytes`` parsed."""
    _check_payload(payload)
    if not (isinstance(signer, str) and _HEX64.match(signer)):
        raise EnvelopeError("signer must be a 64-character lowercase hex key id")
    if not (isinstance(sig, str) and _HEX128.match(sig)):
        raise EnvelopeError("sig must be a 128-character lowercase hex signature")
    if payload["type"] in CHAINED_TYPES and payload["signer"] != signer:
        raise EnvelopeError("payload.signer and the envelope's signer differ")
    actual = hashlib.sha256(payload_bytes).hexdigest()
    if hash_ != actual:
        raise EnvelopeError(f"hash does not match the payload (payload hashes to {actual[:16]}…)")
    return Record(payload=payload, signer=signer, sig=sig, hash=hash_, canonical=payload_bytes)


def _column_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def from_row(
    hash_: Any, signer: Any, payload: Any, sig: Any, type_: Any, seq: Any
) -> tuple[str, str, Record | None, str | None]:
    """A stored row's columns (text or bytes) as (hash, signer, record, None), or
    (hash, signer, None, why) for a row that is not a record or whose type and seq columns
    disagree with its payload (``type_`` None: a table without those columns)."""
    hash_, signer = _column_text(hash_), _column_text(signer)
    try:
        data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
        record = from_parts(data, signer, _column_text(sig), hash_)
    except (EnvelopeError, UnicodeEncodeError, TypeError, ValueError) as exc:
        return hash_, signer, None, str(exc)
    # The columns that find and chain records must say what the signed payload says.
    expected_seq = record.seq if record.type in CHAINED_TYPES else None
    if type_ is not None and (_column_text(type_) != record.type or seq != expected_seq):
        return hash_, signer, None, "the row's type or seq column disagrees with its payload"
    return hash_, signer, record, None


def from_json(obj: Any) -> Record:
    """Parse an untrusted envelope object (from a file, a bundle or a server answer)."""
    if not isinstance(obj, dict) or set(obj) != {"payload", "signer", "sig", "hash"}:
        raise EnvelopeError("a record is an object with exactly payload, signer, sig and hash")
    try:
        # The bytes and their parse in one go (encoding, then parsing the bytes again, was a
        # third of the server's time per pushed record).
        canonical, payload = canonical_form(obj["payload"])
    except CanonicalError as exc:
        raise EnvelopeError(f"payload: {exc}") from exc
    return _record(payload, canonical, obj["signer"], obj["sig"], obj["hash"])
