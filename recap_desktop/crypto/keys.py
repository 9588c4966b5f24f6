"""Ed25519 identities and the one verify function every check in the project goes through."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property, lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError, CryptoError

P = 2**255 - 19
# The y coordinates of the points of small order (1, 2, 4, 8) on edwards25519, as in
# libsodium's blocklist. OpenSSL accepts such public keys; a key of small order makes a
# signature that verifies for many messages, so the protocol refuses them outright.
_SMALL_ORDER_Y = frozenset(
    {
        0,
        1,
        P - 1,
        2707385501144840649318225287225658788936804267575313519463743609750303402022,
        55188659117513257062467267217118295137698188065244968500265048394206261417927,
    }
)


class BadPublicKey(ValueError):
    """A public key the protocol refuses (wrong length, non-canonical, small order)."""


def key_id(public_key: bytes) -> str:
    """The key id: SHA-256 of the raw 32-byte public key, lowercase hex."""
    return hashlib.sha256(public_key).hexdigest()


def check_public_key(public_key: bytes) -> None:
    """Refuse keys that cannot be an honest officer's: wrong size, non-canonical, small order."""
    if len(public_key) != 32:
        raise BadPublicKey(f"public key must be 32 bytes, not {len(public_key)}")
    y = int.from_bytes(public_key, "little") & ((1 << 255) - 1)
    if y >= P:
        raise BadPublicKey("public key is not canonically encoded")
    if y in _SMALL_ORDER_Y:
        raise BadPublicKey("public key is a point of small order")


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True only for a valid signature by an acceptable key; never raises on bad input.

    The verification itself is libsodium's (PyNaCl), about twice OpenSSL's speed on x86-64;
    it also refuses non-canonical S and small-order keys and R, and our own key checks run
    first whatever the library does. Signing and keys stay with cryptography.
    """
    if len(signature) != 64 or not _acceptable(bytes(public_key)):
        return False
    try:
        crypto_sign_open(bytes(signature) + bytes(message), bytes(public_key))
    except (BadSignatureError, CryptoError, ValueError, TypeError):
        return False
    return True


@lru_cache(maxsize=4096)
def _acceptable(public_key: bytes) -> bool:
    """``check_public_key`` as a yes/no, remembered: a store has few signers and many records."""
    try:
        check_public_key(public_key)
    except BadPublicKey:
        return False
    return True


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key in memory. It is written to disk only through the keystore."""

    _private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    # Cached: the server signs a head and a receipt with its key at every push, and deriving
    # the public key and hashing it again each time was 6 % of a one-sheet push's samples
    # holding Python's lock (py-spy, stop 31; ~5 % of a signature's instructions).
    @cached_property
    def public_key(self) -> bytes:
        return self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @cached_property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def seed(self) -> bytes:
        """The raw 32-byte seed; only the keystore calls this, to seal it."""
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        return self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def __repr__(self) -> str:  # never print key material
        return f"SigningKey(key_id={self.key_id[:16]}…)"
