"""A real (non-DEMO) election package for tests: signed by a test commission key from a
published seed, imported with its fingerprint as a real officer's folder would."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import demo as demo_service
from recap_desktop.services.election import package_file

COMMISSION = SigningKey.from_seed(hashlib.sha256(b"recap test commission (never use)").digest())
TRUST = ("--trust-authority", COMMISSION.key_id[:16])


def real_package(path: Path, *, size: int = 6, key: SigningKey = COMMISSION, **changes: Any) -> str:
    payload = {**demo_service.build_package(size), "demo": False, **changes}
    record = sign(key, payload)
    path.write_bytes(canonical_bytes(package_file(key.public_key, [record])) + b"\n")
    return str(path)
