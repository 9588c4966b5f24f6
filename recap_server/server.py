"""Opening a server data folder: its storage, its signing key and its election authority."""

from __future__ import annotations

import os
from pathlib import Path

from recap_desktop import resources
from recap_desktop.crypto import keystore
from recap_desktop.crypto.canonical import CanonicalError, parse_json
from recap_desktop.crypto.envelope import EnvelopeError, from_json
from recap_desktop.crypto.keys import BadPublicKey, SigningKey, check_public_key, key_id
from recap_server.ledger import REFUSED, Ledger
from recap_server.storage import SqliteStorage

DB_NAME = "server.db"
KEY_NAME = "server.key"
PASSPHRASE_ENV = "RECAP_SERVER_PASSPHRASE"
DEMO_PASSPHRASE = "demo-server-only"
DEMO_PACKAGE = resources.path("demo", "election.json")


class ServerSetupError(Exception):
    """The data folder cannot be served: no election, wrong authority, no passphrase."""


def load_server_key(data_dir: Path, *, demo: bool, kdf: dict[str, int] | None = None) -> SigningKey:
    """The receipt key, sealed like an officer's key (Argon2id + AES-256-GCM) in server.key.

    The passphrase comes from $RECAP_SERVER_PASSPHRASE; a demo server without it uses a
    published demo passphrase (a demo server's receipts prove nothing to anyone else).
    """
    passphrase = os.environ.get(PASSPHRASE_ENV) or (DEMO_PASSPHRASE if demo else None)
    if not passphrase:
        raise ServerSetupError(f"set {PASSPHRASE_ENV}: it unlocks the server's receipt key")
    path = data_dir / KEY_NAME
    if path.exists():
        try:
            return keystore.unseal(path.read_bytes(), passphrase)
        except keystore.KeystoreError as exc:
            raise ServerSetupError(f"cannot unlock {path}: {exc}") from exc
    key = SigningKey.generate()
    keystore.atomic_write(
        path, keystore.seal(key, passphrase, {"name": "recap-server", "role": "server"}, kdf=kdf)
    )
    return key


def import_package(ledger: Ledger, data: bytes) -> None:
    try:
        doc = parse_json(data)
        records = [from_json(r) for r in doc["records"]]
    except (CanonicalError, EnvelopeError, KeyError, TypeError) as exc:
        raise ServerSetupError(f"the election package is unreadable: {exc}") from exc
    refused = [o for o in ledger.import_authority(records) if o.status == REFUSED]
    if refused:
        raise ServerSetupError(f"the election package was refused: {refused[0].detail}")


def open_ledger(
    data_dir: Path,
    *,
    demo: bool = False,
    election: Path | None = None,
    trust_authority: str | None = None,
    kdf: dict[str, int] | None = None,
) -> Ledger:
    """Open (or set up, on first run) a server data folder."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if data_dir.stat().st_mode & 0o077:
        data_dir.chmod(0o700)  # its receipt key and every record: the operator's only
    storage = SqliteStorage(data_dir / DB_NAME)
    try:
        return _open(storage, data_dir, demo, election, trust_authority, kdf)
    except BaseException:
        storage.close()
        raise


def _open(
    storage: SqliteStorage,
    data_dir: Path,
    demo: bool,
    election: Path | None,
    trust_authority: str | None,
    kdf: dict[str, int] | None,
) -> Ledger:
    held = storage.get_meta("authority_key")
    package: bytes | None = None
    if demo:
        package = DEMO_PACKAGE.read_bytes()
    elif election is not None:
        package = election.read_bytes()
    offered: bytes | None = None
    if package is not None:
        try:
            doc = parse_json(package)
            offered = bytes.fromhex(str(doc["authority_key"]))
            check_public_key(offered)
        except (CanonicalError, KeyError, TypeError, ValueError, BadPublicKey) as exc:
            raise ServerSetupError(f"the election package is unreadable: {exc}") from exc
    if held is None:
        if offered is None:
            raise ServerSetupError("first run: give --election FILE (or --demo)")
        wanted = (trust_authority or "").replace(" ", "").lower()
        if not demo and (len(wanted) < 16 or not key_id(offered).startswith(wanted)):
            raise ServerSetupError(
                f"confirm the authority with --trust-authority {key_id(offered)[:16]}"
            )
        storage.set_meta("authority_key", offered.hex())
        held = offered.hex()
    authority = bytes.fromhex(held)
    if offered is not None and offered != authority:
        raise ServerSetupError("that package is signed by another authority than this server's")
    ledger = Ledger(storage, load_server_key(data_dir, demo=demo, kdf=kdf), authority)
    if package is not None:
        import_package(ledger, package)
    return ledger
