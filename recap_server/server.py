"""Opening a server data folder: its storage, its signing key and its election authority."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from recap_desktop import resources
from recap_desktop.crypto import authority, keystore
from recap_desktop.crypto.canonical import CanonicalError, parse_json
from recap_desktop.crypto.envelope import EnvelopeError, from_json, sign
from recap_desktop.crypto.keys import BadPublicKey, SigningKey, check_public_key, key_id
from recap_desktop.domain.election import format_time
from recap_desktop.protocol.admit import admit
from recap_desktop.protocol.trust import SERVER_ROLE
from recap_server.ledger import REFUSED, Ledger
from recap_server.photos import PHOTO_DIR
from recap_server.storage import SqlStorage, open_storage, sqlite_path

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


def import_certificates(ledger: Ledger, data: bytes, source: str) -> None:
    """A certificate file from the authority ({"records": [certificate...]}), as officers
    get theirs: admitted by the same rule as any authority record."""
    try:
        doc = parse_json(data)
        records = [from_json(r) for r in doc["records"]]
    except (CanonicalError, EnvelopeError, KeyError, TypeError) as exc:
        raise ServerSetupError(f"{source} is not a certificate file: {exc}") from exc
    refused = [o for o in ledger.import_authority(records) if o.status == REFUSED]
    if refused:
        raise ServerSetupError(f"{source} was refused: {refused[0].reason}: {refused[0].detail}")


def load_certificates(ledger: Ledger, data: bytes, source: str) -> tuple[int, int]:
    """The authority's bulk file of officers' certificates, loaded before election day so
    that no laptop needs to send its own (PROTOCOL §9.9): all of it, or nothing if any one
    is refused (a forged or foreign certificate says the file is not the authority's).
    Returns (new, already held)."""
    try:
        doc = parse_json(data)
        records = [from_json(r) for r in doc["records"]]
    except (CanonicalError, EnvelopeError, KeyError, TypeError) as exc:
        raise ServerSetupError(
            f"{source} is not a certificate file ({exc}): nothing loaded"
        ) from exc
    if any(r.type != "certificate" for r in records):
        raise ServerSetupError(f"{source} holds records other than certificates: nothing loaded")
    checked = admit(records, ledger.storage, ledger.trust(), arrivals=(ledger.clock(), None))
    refused = checked.refused
    if refused:
        first = refused[0]
        detail = first.problem.detail if first.problem is not None else ""
        raise ServerSetupError(
            f"{source}: {len(refused)} certificates refused (the first, {first.hash[:16]}…:"
            f" {detail}): nothing loaded"
        )
    outcomes = ledger.import_authority(records)
    return sum(o.status == "stored" for o in outcomes), sum(o.status == "held" for o in outcomes)


def certify_demo_server(ledger: Ledger) -> None:
    """A DEMO server certifies its own key with the DEMO authority, whose seed is published:
    its receipts and heads convince DEMO laptops and nobody else."""
    election = ledger.election()
    if election is None or ledger.certified():
        return
    seed = resources.path("demo", "demo_authority_seed.hex").read_text().strip()
    cert = authority.certificate(
        SigningKey.from_seed(bytes.fromhex(seed)),
        election=election.id,
        officer_id=f"server-{ledger.server_key.key_id[:8]}",
        name="DEMO central server",
        role=SERVER_ROLE,
        jurisdiction="",
        public_key=ledger.server_key.public_key,
        valid_from=format_time(election.issued),
        valid_until=format_time(election.expires),
        issued=format_time(ledger.clock()),
    )
    ledger.import_authority([cert])


def certificate_request(key: SigningKey, name: str) -> dict[str, object]:
    """A file for the authority: the server's public key, signed by it (proof of
    possession), in the format officers' requests have."""
    record = sign(
        key,
        {
            "type": "certificate_request",
            "name": name,
            "officer_id": f"server-{key.key_id[:8]}",
            "role": SERVER_ROLE,
            "public_key": key.public_key.hex(),
            "key_id": key.key_id,
        },
    )
    return {"format": "recap-certificate-request/1", "request": record.to_json()}


def import_package(ledger: Ledger, data: bytes) -> None:
    try:
        doc = parse_json(data)
        records = [from_json(r) for r in doc["records"]]
    except (CanonicalError, EnvelopeError, KeyError, TypeError) as exc:
        raise ServerSetupError(f"the election package is unreadable: {exc}") from exc
    refused = [o for o in ledger.import_authority(records) if o.status == REFUSED]
    if refused:
        raise ServerSetupError(f"the election package was refused: {refused[0].detail}")


@contextmanager
def settled_heap() -> Iterator[None]:
    """Around a serving process's start: what it builds there (the election, 820,000
    stations at national size, and the trust: millions of objects alive as long as the
    process) is left out of every later pass of Python's cycle collector (``gc.freeze``),
    and no pass walks it while it is built. Each full pass walked all of it with every
    thread stopped: 0.3-0.9 s, dozens of times while the server started and in a surge's
    first seconds, where /v1/health waited for them (docs/PERFORMANCE.md, run V). What the
    start made and dropped is collected once, before the freeze. (What is frozen is never
    collected as a cycle again: an election replaced by a new package version stays in
    memory as far as it holds cycles, a few times an election at most.)"""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.freeze()
        if was:
            gc.enable()


def _storage(data_dir: Path, database: str | None) -> SqlStorage:
    """The storage ``--database`` names, else the folder's server.db; a ServerSetupError
    that says why when it cannot be opened."""
    try:
        return open_storage(database or data_dir / DB_NAME)
    except Exception as exc:  # psycopg.Error, sqlite3.Error, ImportError: all say why
        shown = _without_password(database) if database else str(data_dir / DB_NAME)
        raise ServerSetupError(
            f"cannot open the database {shown}: {str(exc).strip()}; check --database"
            " (postgresql://USER@HOST/DB, or a SQLite file)"
        ) from exc


def recount_totals(data_dir: Path, database: str | None = None) -> int:
    """``recap-server --recount-totals``: the region totals counted again from the stations'
    states (``SqlStorage.recount_totals``), with the database alone. No receipt key is
    unlocked and no ledger is opened: a ledger's start may sign a head, and the command runs
    beside a serving server. Returns the tallies kept."""
    path = sqlite_path(database) if database else data_dir / DB_NAME
    if path is not None and not path.is_file():
        raise ServerSetupError(
            f"no server database at {path}: give the serving server's --data-dir (and its"
            " --database, if it has one)"
        )
    storage = _storage(data_dir, database)
    try:
        return storage.recount_totals()
    finally:
        storage.close()


def open_ledger(
    data_dir: Path,
    *,
    demo: bool = False,
    election: Path | None = None,
    trust_authority: str | None = None,
    certificate: Path | None = None,
    kdf: dict[str, int] | None = None,
    require_certificate: bool = True,
    database: str | None = None,
) -> Ledger:
    """Open (or set up, on first run) a server data folder. Laptops trust only a server whose
    key the election authority certified (PROTOCOL §10.1): a DEMO server certifies its own
    with the DEMO authority; a real one is given its certificate file (``certificate``), and
    refuses to serve without one unless ``require_certificate`` is False (to write a
    certificate request). ``database``: a PostgreSQL URL or a SQLite file (default: the
    folder's server.db); the folder keeps the receipt key either way."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if data_dir.stat().st_mode & 0o077:
        data_dir.chmod(0o700)  # its receipt key and every record: the operator's only
    storage = _storage(data_dir, database)
    storage.photos_dir = data_dir / PHOTO_DIR
    try:
        ledger = _open(storage, data_dir, demo, election, trust_authority, kdf)
        if demo:
            certify_demo_server(ledger)
        if certificate is not None:
            try:
                data = certificate.read_bytes()
            except OSError as exc:
                raise ServerSetupError(f"cannot read {certificate}: {exc}") from exc
            import_certificates(ledger, data, str(certificate))
        if require_certificate and not ledger.certified():
            raise ServerSetupError(
                f"the server key {ledger.server_key.key_id[:16]}… has no certificate from the"
                " election authority in force: write a request with --request FILE, have the"
                " authority sign it, and start with --certificate FILE"
            )
        return ledger
    except BaseException:
        storage.close()
        raise


def _without_password(url: str) -> str:
    """A database URL as it may be shown or logged: its password replaced by ***."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _open(
    storage: SqlStorage,
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
