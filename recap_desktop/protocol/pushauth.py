"""The push token (PROTOCOL §9.9): a laptop's certified key vouches for its pushes, so that the
server can refuse a stranger's body before reading it.

A laptop's signing key is sealed except while the officer signs, and sync runs without it; so
the key signs, whenever it is unlocked to sign, a short statement "pushes of this key until
EXPIRES", which the laptop keeps (a signature, not a key) and sends in a header. The server
checks it against the certificates it holds with one signature verification, before it reads a
byte of the body. A token is a bearer credential for the key's rate limit only: every record
in a push is still verified by the admission rule.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from recap_desktop.crypto.canonical import CanonicalError, canonical_bytes, parse_json
from recap_desktop.crypto.envelope import signing_message
from recap_desktop.crypto.keys import SigningKey, verify_signature
from recap_desktop.domain.election import ElectionError, format_time, parse_time
from recap_desktop.protocol.trust import Certificate, Trust

HEADER = "Recap-Token"
TOKEN_TYPE = "push_token"
LIFETIME = timedelta(days=30)
MAX_TOKEN_CHARS = 1024
MAX_LIFETIME = timedelta(days=60)
GRACE = timedelta(days=1)


class TokenError(ValueError):
    """The token does not let its holder push (malformed, expired, forged, uncertified)."""


class Uncertified(TokenError):
    """The token's key has no certificate in force here (yet: a laptop's first push may
    carry it), or is revoked: it vouches for nothing more than a stranger's push."""


@dataclass(frozen=True)
class PushToken:
    key_id: str
    issued: datetime
    expires: datetime
    text: str  # as sent in the header


def make_token(key: SigningKey, now: datetime, lifetime: timedelta = LIFETIME) -> str:
    """The header value: base64url of the canonical payload, a dot, the signature in hex."""
    payload = {
        "type": TOKEN_TYPE,
        "key_id": key.key_id,
        "issued": format_time(now),
        "expires": format_time(now + lifetime),
    }
    canonical = canonical_bytes(payload)
    sig = key.sign(signing_message(TOKEN_TYPE, canonical)).hex()
    return _b64(canonical) + "." + sig


_HEX_SIGNATURE = re.compile(r"[0-9a-f]{128}")
_HEX_KEY_ID = re.compile(r"[0-9a-f]{64}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def parse_token(text: str) -> PushToken:
    """The token's claims, unchecked (its shape only)."""
    if not isinstance(text, str) or len(text) > MAX_TOKEN_CHARS or text.count(".") != 1:
        raise TokenError("a push token is base64url(payload).signature")
    encoded, sig = text.split(".")
    # One spelling only (lowercase hex, unpadded base64url of exactly these bytes): base64's
    # decoder skips stray characters and hex allows capitals and spaces, so one token could
    # otherwise be sent as many header texts.
    if not _HEX_SIGNATURE.fullmatch(sig):
        raise TokenError("a push token's signature is 128 lowercase hex digits")
    try:
        if not _BASE64URL.fullmatch(encoded):
            raise ValueError("not unpadded base64url")
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if _b64(raw) != encoded:
            raise ValueError("not the base64url of its bytes")
        payload = parse_json(raw)
    except (binascii.Error, ValueError, CanonicalError) as exc:
        raise TokenError(f"the push token does not parse: {exc}") from exc
    if not isinstance(payload, dict) or set(payload) != {"type", "key_id", "issued", "expires"}:
        raise TokenError("a push token's payload is exactly type, key_id, issued, expires")
    if canonical_bytes(payload) != raw:
        raise TokenError("a push token's payload is canonical JSON (PROTOCOL §1)")
    if payload["type"] != TOKEN_TYPE:
        raise TokenError("not a push token")
    if not isinstance(payload["key_id"], str) or not _HEX_KEY_ID.fullmatch(payload["key_id"]):
        raise TokenError("a push token's key_id is 64 lowercase hex digits")
    try:
        issued = parse_time(payload["issued"], "issued")
        expires = parse_time(payload["expires"], "expires")
    except ElectionError as exc:
        raise TokenError(str(exc)) from exc
    return PushToken(payload["key_id"], issued, expires, text)


def in_force(trust: Trust, key_id: str, now: datetime) -> list[Certificate]:
    """The key's certificates in force ``now`` (begun, not ended), revoked or not: a token
    holds only while one does (the gate remembers a token it accepted until then)."""
    return [c for c in trust.certificates.get(key_id, ()) if c.valid_from <= now <= c.valid_until]


def check_token(text: str, trust: Trust, now: datetime) -> PushToken:
    """The token, if its key holds a certificate in force now and signed it, and it is in
    force; else TokenError saying why. In §9.9's order: shape (401), times (401), then a
    revoked key or one with no certificate in force now (none held, not yet begun, all ended)
    is Uncertified (treated as no token: anyone can send none), then the signature (401)."""
    token = parse_token(text)
    encoded, sig_hex = text.split(".")
    # A laptop's clock may be off by hours (a wrong clock never locks anyone out, §9.6): only
    # the end counts, with a day's grace, and no token lives longer than MAX_LIFETIME.
    if not token.issued < token.expires <= token.issued + MAX_LIFETIME:
        raise TokenError(f"a push token lives at most {MAX_LIFETIME.days} days")
    if now > token.expires + GRACE:
        raise TokenError("the push token has expired: unlock the key to sign a new one")
    if token.key_id in trust.revoked:
        raise Uncertified("the push token's key is revoked")
    certs = in_force(trust, token.key_id, now)
    if not certs:
        raise Uncertified("the push token's key has no certificate in force on this server")
    raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    sig = bytes.fromhex(sig_hex)  # its shape was checked by parse_token
    if not verify_signature(certs[0].public_key, sig, signing_message(TOKEN_TYPE, raw)):
        raise TokenError("the push token's signature does not verify")
    return token
