"""Trial 5: Ed25519 and the envelope under hostile input: Wycheproof vectors, random bit
flips of records, small-order keys, records replayed into another election or onto another
polling station. Every one must be refused."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from recap_desktop.crypto import authority
from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import EnvelopeError, Record, from_parts, sign, signing_message
from recap_desktop.crypto.keys import (
    BadPublicKey,
    P,
    SigningKey,
    check_public_key,
    verify_signature,
)
from recap_desktop.protocol.trust import Certificate
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services.election import import_election, package_file
from recap_desktop.services.verify import verify_store
from reliability.common import NOT_RUN, TrialResult
from reliability.fixtures import build_attacked

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT.parent / "shared" / "vectors" / "wycheproof_ed25519_test.json"

# y of the points of order 1, 2, 4 and 8 (libsodium's blocklist).
SMALL_ORDER_Y = [
    0,
    1,
    P - 1,
    2707385501144840649318225287225658788936804267575313519463743609750303402022,
    55188659117513257062467267217118295137698188065244968500265048394206261417927,
]


def small_order_encodings() -> list[bytes]:
    """Every 32-byte encoding of a small-order point: both sign bits, canonical and y + p."""
    out = []
    for y in SMALL_ORDER_Y:
        for value in (y, y + P):
            if value < 2**255:
                for sign_bit in (0, 1):
                    out.append((value | (sign_bit << 255)).to_bytes(32, "little"))
    return out


def wycheproof(result: TrialResult, path: Path = VECTORS) -> bool:
    if not path.exists():
        result.notes.append(f"Wycheproof vectors not found at {path}: that part not run")
        return False
    doc = json.loads(path.read_text())
    for group in doc["testGroups"]:
        pk = bytes.fromhex(group["publicKey"]["pk"])
        for test in group["tests"]:
            got = verify_signature(pk, bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"]))
            want = test["result"] == "valid"
            result.count("Wycheproof vectors")
            if got != want:
                result.fail(f"Wycheproof tcId {test['tcId']} ({test['comment']}): got {got}")
            elif want:
                result.count("Wycheproof valid accepted")
            else:
                result.count("Wycheproof invalid refused")
    return True


def _flip_bit(data: bytes, rng: random.Random) -> bytes:
    pos = rng.randrange(len(data) * 8)
    out = bytearray(data)
    out[pos // 8] ^= 1 << (pos % 8)
    return bytes(out)


def record_refused(record: Record, payload: bytes, sig: bytes, public_key: bytes) -> bool:
    """What a verifier does with a record: parse the envelope (the attacker recomputes the
    hash so that it matches), then check the signature with the key it was given."""
    try:
        parsed = from_parts(payload, record.signer, sig.hex(), hashlib.sha256(payload).hexdigest())
    except EnvelopeError:
        return True
    return not parsed.verify_signature(public_key)


def bit_flips(result: TrialResult, records: list[tuple[Record, bytes]], n: int, seed: int) -> None:
    rng = random.Random(seed)
    for i in range(n):
        record, public_key = records[i % len(records)]
        payload, sig, key = record.canonical, bytes.fromhex(record.sig), public_key
        target = ("payload", "sig", "key")[i % 3]
        if target == "payload":
            payload = _flip_bit(payload, rng)
        elif target == "sig":
            sig = _flip_bit(sig, rng)
        else:
            key = _flip_bit(key, rng)
        raw = verify_signature(key, sig, signing_message(record.type, payload))
        result.count(f"bit flips in {target}")
        if raw or not record_refused(record, payload, sig, key):
            result.fail(f"a flipped bit in the {target} of {record.hash[:16]} was accepted")
        else:
            result.count("bit flips refused")


def small_order(result: TrialResult) -> None:
    message = signing_message("sheet", b'{"type":"sheet"}')
    for pk in small_order_encodings():
        result.count("small-order key encodings")
        try:
            check_public_key(pk)
            result.fail(f"small-order key {pk.hex()} accepted by check_public_key")
            continue
        except BadPublicKey:
            pass
        # R = the point itself and S = 0: the forgery a small-order key allows.
        forged = [pk + bytes(32), bytes(64), bytes.fromhex("01" + "00" * 31) + bytes(32)]
        if any(verify_signature(pk, sig, message) for sig in forged):
            result.fail(f"a forgery verified under small-order key {pk.hex()}")
            continue
        p = {
            "type": "certificate",
            "election": "demo-2024",
            "officer_id": "x",
            "name": "x",
            "role": "operator",
            "jurisdiction": "32",
            "public_key": pk.hex(),
            "key_id": hashlib.sha256(pk).hexdigest(),
            "valid_from": demo_service.ISSUED,
            "valid_until": demo_service.EXPIRES,
            "issued": demo_service.ISSUED,
        }
        try:
            Certificate.from_record(sign(demo_service.demo_authority(), p))
            result.fail(f"a certificate for small-order key {pk.hex()} was accepted")
            continue
        except ValueError:
            pass
        try:
            authority.certificate(
                demo_service.demo_authority(),
                **{k: v for k, v in p.items() if k not in ("type", "key_id", "public_key")},
                public_key=pk,
            )
            result.fail(f"the authority tool certified small-order key {pk.hex()}")
            continue
        except BadPublicKey:
            result.count("small-order keys refused")


def _other_election(work: Path, key: SigningKey) -> Workspace:
    """A store for another election by the same authority, where ``key`` is certified too."""
    authority_key = demo_service.demo_authority()
    payload = demo_service.build_package(12)
    payload["election"] = "demo-2024-b"
    package = sign(authority_key, payload)
    data = canonical_bytes(package_file(authority_key.public_key, [package]))
    ws = Workspace(work / "other-election")
    import_election(ws, data, "trial", demo=True)
    cert = authority.certificate(
        authority_key,
        election="demo-2024-b",
        officer_id="demo-operator-1",
        name="x",
        role="operator",
        jurisdiction="32",
        public_key=key.public_key,
        valid_from=demo_service.ISSUED,
        valid_until=demo_service.EXPIRES,
        issued=demo_service.ISSUED,
    )
    ws.store.append([cert], "import")
    ws.store.keys.add(key.key_id, key.public_key, "self")
    return ws


def replays(result: TrialResult, work: Path, sheets: list[Record], key: SigningKey) -> None:
    other = _other_election(work, key)
    conn = other.store.db.conn
    # The operator's whole chain replayed into another election where the key is certified
    # too: only the election differs, and each record must be named for it.
    conn.execute("SAVEPOINT replay")
    try:
        other.store.append(sorted(sheets, key=lambda r: r.seq or 0), "sync")
        report = verify_store(other)
        for record in sheets:
            result.count("replays into another election")
            named = {p.kind for p in report.errors if p.record == record.hash}
            if "wrong_election" in named:
                result.count("replays refused")
            else:
                result.fail(f"sheet {record.hash[:16]} replayed into demo-2024-b: {named}")
    finally:
        conn.execute("ROLLBACK TO replay")
        conn.execute("RELEASE replay")
    other.close()
    stations = sorted({r.payload["station"] for r in sheets})
    for record in sheets:
        payload = dict(record.payload)
        payload["station"] = next(s for s in stations if s != payload["station"])
        data = canonical_bytes(payload)
        result.count("replays onto another polling station")
        if record_refused(record, data, bytes.fromhex(record.sig), key.public_key):
            result.count("replays refused")
        else:
            result.fail(f"sheet {record.hash[:16]} accepted for another polling station")


def ed25519_trial(size: int, work: Path, seed: int = 5) -> TrialResult:
    result = TrialResult("ed25519", size, "all")
    wycheproof(result)
    small_order(result)
    att = build_attacked(work / "attacked")
    ws = Workspace(att.demo.data_dir)
    keys = {
        att.demo.key.key_id: att.demo.key.public_key,
        att.operator2.key_id: att.operator2.public_key,
        att.supervisor.key_id: att.supervisor.public_key,
        demo_service.demo_authority().key_id: demo_service.demo_authority().public_key,
    }
    records = [(r.record, keys[r.signer]) for r in ws.store.records.rows() if r.record is not None]
    sheets = [r for r, _ in records if r.type == "sheet" and r.signer == att.demo.key.key_id]
    ws.close()
    # A big package is slow to hash a million times over; the flips run on officer records
    # and certificates.
    small = [(r, k) for r, k in records if r.type != "election"]
    bit_flips(result, small, size, seed)
    replays(result, work, sheets, att.demo.key)
    total = sum(v for k, v in result.counts.items() if k.endswith("refused") or "accepted" in k)
    result.counts["total checks"] = total
    if result.counts.get("Wycheproof vectors", 0) == 0 and result.status != "FAILED":
        result.notes.append("Wycheproof: " + NOT_RUN)
    return result
