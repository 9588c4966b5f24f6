"""What the election authority signs: packages, officer certificates, revocation lists.

The program uses these to build the demo; a real authority runs the same functions on its
own offline machine.
"""

from __future__ import annotations

from typing import Any

from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey, check_public_key, key_id


def certificate(
    authority: SigningKey,
    *,
    election: str,
    officer_id: str,
    name: str,
    role: str,
    jurisdiction: str,
    public_key: bytes,
    valid_from: str,
    valid_until: str,
    issued: str,
) -> Record:
    check_public_key(public_key)
    return sign(
        authority,
        {
            "type": "certificate",
            "election": election,
            "officer_id": officer_id,
            "name": name,
            "role": role,
            "jurisdiction": jurisdiction,
            "public_key": public_key.hex(),
            "key_id": key_id(public_key),
            "valid_from": valid_from,
            "valid_until": valid_until,
            "issued": issued,
        },
    )


def revocations(
    authority: SigningKey,
    *,
    election: str,
    version: int,
    issued: str,
    revoked: list[dict[str, Any]],
) -> Record:
    """A whole revocation list; each version lists every key revoked so far."""
    return sign(
        authority,
        {
            "type": "revocations",
            "election": election,
            "version": version,
            "issued": issued,
            "revoked": revoked,
        },
    )
