"""Create, show and unlock the officer's identity; certificate requests and certificates."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from recap_desktop.crypto import keystore
from recap_desktop.crypto.canonical import CanonicalError, parse_json
from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json, sign
from recap_desktop.crypto.keys import SigningKey, key_id
from recap_desktop.domain.election import parse_time
from recap_desktop.protocol.trust import Certificate
from recap_desktop.services.admission import admit_into
from recap_desktop.services.workspace import RecapError, Workspace

ROLES = ("operator", "supervisor", "chair", "witness")
MIN_PASSPHRASE = 8
DEMO_PASSPHRASE = "demo-only"


@dataclass(frozen=True)
class Identity:
    key_id: str
    public_key: bytes
    name: str
    officer_id: str
    role: str
    demo: bool
    certificate: dict[str, Any] | None
    # What the key may do now: "certified", "awaiting_certificate", "revoked" or
    # "certificate_expired" (None: not known yet, the store was not read).
    status: str | None = None

    @property
    def fingerprint(self) -> str:
        """The key id in groups of four, as read aloud over a phone to the authority."""
        return " ".join(self.key_id[i : i + 4] for i in range(0, 32, 4))

    def to_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "public_key": self.public_key.hex(),
            "fingerprint": self.fingerprint,
            "name": self.name,
            "officer_id": self.officer_id,
            "role": self.role,
            "demo": self.demo,
            "certified": self.status == CERTIFIED,
            "status": self.status,
            "certificate": self.certificate,
        }


def create_identity(
    ws: Workspace,
    *,
    name: str,
    officer_id: str,
    role: str,
    passphrase: str,
    demo: bool = False,
    kdf: dict[str, Any] | None = None,
) -> Identity:
    if role not in ROLES:
        raise RecapError("identity.bad_role", role=role)
    for label, value in (("name", name), ("officer id", officer_id)):
        if not value.strip():
            raise RecapError("identity.bad_field", field=label)
    if len(passphrase) < MIN_PASSPHRASE and not demo:
        raise RecapError("passphrase.short", min=MIN_PASSPHRASE)
    if ws.keystore_path.exists():
        raise RecapError("identity.exists", path=ws.keystore_path)
    key = SigningKey.generate()
    officer = {"name": name.strip(), "officer_id": officer_id.strip(), "role": role, "demo": demo}
    data = keystore.seal(key, passphrase, officer, kdf=kdf)
    keystore.atomic_write(ws.keystore_path, data)
    ws.store.keys.add(key.key_id, key.public_key, "self")
    return show_identity(ws)


CERTIFIED = "certified"


def show_identity(ws: Workspace) -> Identity:
    identity = keystore_identity(ws)
    certs = [c for c in ws.store.keys.certificates() if c["key_id"] == identity.key_id]
    if identity.key_id in ws.store.keys.revoked():
        status = "revoked"
    elif not certs:
        status = "awaiting_certificate"
    elif all(parse_time(c["valid_until"], "until") < datetime.now(UTC) for c in certs):
        status = "certificate_expired"
    else:
        status = CERTIFIED
    return replace(identity, certificate=certs[-1] if certs else None, status=status)


def keystore_identity(ws: Workspace) -> Identity:
    """Who the officer is from the keystore alone, without the store's certificates: enough
    for the window to show itself before the store is opened."""
    info = ws.keystore_info()
    return Identity(
        key_id=info.key_id,
        public_key=info.public_key,
        name=str(info.officer.get("name", "")),
        officer_id=str(info.officer.get("officer_id", "")),
        role=str(info.officer.get("role", "")),
        demo=bool(info.officer.get("demo", False)),
        certificate=None,
    )


def unlock(ws: Workspace, passphrase: str) -> SigningKey:
    data = ws.read_keystore()
    try:
        key = keystore.unseal(data, passphrase)
    except keystore.WrongPassphrase as exc:
        raise RecapError("keystore.wrong_passphrase") from exc
    except keystore.UnknownKeystoreVersion as exc:
        raise RecapError("keystore.version", path=ws.keystore_path, detail=exc) from exc
    except keystore.DamagedKeystore as exc:
        raise RecapError("keystore.damaged", path=ws.keystore_path, detail=exc) from exc
    from recap_desktop.services.sync import keep_push_token

    keep_push_token(ws, key)  # while the key is open: sync runs without it (PROTOCOL §9.9)
    return key


def certificate_request(ws: Workspace, key: SigningKey) -> dict[str, Any]:
    """A file for the authority: the officer's details and public key, signed by that key."""
    ident = show_identity(ws)
    record = sign(
        key,
        {
            "type": "certificate_request",
            "name": ident.name,
            "officer_id": ident.officer_id,
            "role": ident.role,
            "public_key": ident.public_key.hex(),
            "key_id": ident.key_id,
        },
    )
    return {"format": "recap-certificate-request/1", "request": record.to_json()}


def import_certificates(ws: Workspace, data: bytes, source: str) -> list[Certificate]:
    """Import a certificate file from the authority: every certificate must verify."""
    from recap_desktop.services.election import authority_key

    try:
        doc = parse_json(data)
        if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
            raise EnvelopeError("a certificate file holds an object with a records list")
        records: list[Record] = [from_json(r) for r in doc["records"]]
    except (CanonicalError, EnvelopeError) as exc:
        raise RecapError("file.unreadable", path=source, detail=exc) from exc
    anchor = authority_key(ws)
    certs = []
    for record in records:
        if (
            record.type != "certificate"
            or record.signer != key_id(anchor)
            or not record.verify_signature(anchor)
        ):
            raise RecapError(
                "certificate.invalid", detail="not signed by this election's authority"
            )
        try:
            certs.append(Certificate.from_record(record))
        except ValueError as exc:
            raise RecapError("certificate.invalid", detail=exc) from exc
    election = ws.store.package.outline()
    for cert in certs:
        if election is None or cert.election != election.id:
            raise RecapError("certificate.invalid", detail=f"it is for election {cert.election}")
    admission = admit_into(ws, records, "import", whole=True)  # the rule every door applies
    if admission.problems:
        first = admission.problems[0]
        raise RecapError("certificate.invalid", detail=f"{first.kind}: {first.detail}")
    return certs
