"""Write tests/vectors/envelope_vectors.json: the published envelope vectors of docs/PROTOCOL.md.

Run once (``python tests/vectors/make_envelope_vectors.py``) and commit the output; the tests
check the program against the committed file, never against a fresh run of this script, so a
change to the envelope's bytes fails the tests instead of silently rewriting the vectors.
Everything is fixed: the seeds, the payloads, the times. Ed25519 is deterministic, so the
signatures are too.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from recap_desktop.crypto import authority
from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import PROTOCOL, Record, sign, signing_message
from recap_desktop.crypto.keys import SigningKey

OUT = Path(__file__).with_name("envelope_vectors.json")

# Test keys only: published here, so they must never sign anything real.
OFFICER_SEED = bytes(range(32))
AUTHORITY_SEED = hashlib.sha256(b"recap/1 test vector authority (never use)").digest()

SHEET_VALUES = {
    "dpt": 200,
    "dpt_voted": 150,
    "dptb_voted": 2,
    "dpk_voted": 1,
    "voted_total": 153,
    "disabled": 3,
    "disabled_voted": 2,
    "ballots_received": 204,
    "ballots_returned": 1,
    "ballots_unused": 50,
    "ballots_used": 153,
    "v_p01": 60,
    "v_p02": 50,
    "v_p03": 40,
    "valid": 150,
    "invalid": 3,
    "total": 153,
}

# Every character class RFC 8785 treats specially in strings, plus non-ASCII text.
ESCAPES = (
    'quote " backslash \\ slash / newline \n return \r tab \t backspace \b formfeed \f '
    "nul \u0000 unit-separator \u001f delete \u007f line-separator \u2028 "
    "paragraph-separator \u2029 e-acute \u00e9 em-dash \u2014 emoji \U0001f5f3"
)


REVIEWER_SEED = hashlib.sha256(b"recap/1 test vector reviewer (never use)").digest()
CHAIR_SEED = hashlib.sha256(b"recap/1 test vector chair (never use)").digest()
SERVER_SEED = hashlib.sha256(b"recap/1 test vector server (never use)").digest()

# Ed25519's group order and the encoding of the neutral element (y = 1).
L = 2**252 + 27742317777372353535851937790883648493
IDENTITY = bytes([1]) + bytes(31)


def _small_package() -> dict[str, Any]:
    from recap_desktop.services.demo import build_package

    payload = build_package(1)
    payload.update(election="vector-2026", demo=False)
    payload["name"] = {"id": "Pemilu vektor uji", "en": "Test vector election"}
    return payload


def _signatures(officer: SigningKey) -> list[dict[str, Any]]:
    """Signatures RFC 8032 alone (and OpenSSL) would accept, that PROTOCOL §2 refuses, and
    the honest one beside them. Built by hand from the curve's equation."""
    message = b"recap/1\nsheet\n{}"
    honest = officer.sign(message)
    # A real key, R the neutral element, S = k·a: [S]B = [k]A, so [S]B - [k]A = R.
    digest = hashlib.sha512(officer.seed()).digest()
    a = int.from_bytes(digest[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    k = int.from_bytes(hashlib.sha512(IDENTITY + officer.public_key + message).digest(), "little")
    small_r = IDENTITY + ((k * a) % L).to_bytes(32, "little")
    identity_signed = IDENTITY + bytes(32)  # A and R neutral, S = 0
    signed_identity = bytes([1]) + bytes(30) + bytes([0x80])  # the neutral element, sign set
    return [
        {
            "name": "honest",
            "public_key": officer.public_key.hex(),
            "message_hex": message.hex(),
            "sig": honest.hex(),
            "accept": True,
            "why": "an ordinary signature",
        },
        {
            "name": "small_order_r",
            "public_key": officer.public_key.hex(),
            "message_hex": message.hex(),
            "sig": small_r.hex(),
            "accept": False,
            "why": "R is the neutral element (§2 item 3); the equation of item 5 holds",
        },
        {
            "name": "small_order_key_and_r",
            "public_key": IDENTITY.hex(),
            "message_hex": message.hex(),
            "sig": identity_signed.hex(),
            "accept": False,
            "why": "A and R are the neutral element and S is 0 (§2 item 3)",
        },
        {
            "name": "neutral_key_with_sign_bit",
            "public_key": signed_identity.hex(),
            "message_hex": message.hex(),
            "sig": identity_signed.hex(),
            "accept": False,
            "why": "A is the neutral element with the sign bit set (§2 item 3)",
        },
        {
            "name": "s_not_reduced",
            "public_key": officer.public_key.hex(),
            "message_hex": message.hex(),
            "sig": (
                honest[:32] + (int.from_bytes(honest[32:], "little") + L).to_bytes(32, "little")
            ).hex(),
            "accept": False,
            "why": "S + L instead of S (§2 item 2)",
        },
    ]


def _case(name: str, description: str, key: SigningKey, key_name: str, record: Record) -> dict:
    canonical = canonical_bytes(record.payload)
    message = signing_message(record.type, canonical)
    return {
        "name": name,
        "description": description,
        "key": key_name,
        "payload": record.payload,
        "canonical_utf8": canonical.decode("utf-8"),
        "canonical_hex": canonical.hex(),
        "signing_message_hex": message.hex(),
        "hash": record.hash,
        "sig": record.sig,
        "record": record.to_json(),
    }


def build() -> dict[str, Any]:
    officer = SigningKey.from_seed(OFFICER_SEED)
    auth = SigningKey.from_seed(AUTHORITY_SEED)
    first = sign(
        officer,
        {
            "type": "sheet",
            "signer": officer.key_id,
            "seq": 1,
            "prev": None,
            "time": "2026-02-14T09:30:00Z",
            "election": "vector-2026",
            "station": "32.01.01.2001.001",
            "contest": "ppwp",
            "values": SHEET_VALUES,
            "warnings": [],
            "supersedes": None,
            "reason": None,
        },
    )
    second = sign(
        officer,
        {
            "type": "sheet",
            "signer": officer.key_id,
            "seq": 2,
            "prev": first.hash,
            "time": "2026-02-14T10:05:00Z",
            "election": "vector-2026",
            "station": "32.01.01.2001.001",
            "contest": "ppwp",
            "values": {**SHEET_VALUES, "v_p01": 61, "v_p02": 49},
            "warnings": ["dpt_matches_package"],
            "supersedes": first.hash,
            "reason": "salah ketik: 61 dan 49 tertukar",
        },
    )
    # A sheet naming two photos of its paper by hash (§4 `photos`, §9.8): the images are
    # the bytes b"vector photo 1" etc. standing in for a JPEG and a PNG; only the list's
    # shape is part of the record.
    photos = sorted(
        (
            {
                "bytes": 2_345_678,
                "sha256": hashlib.sha256(b"vector photo 1").hexdigest(),
                "type": "image/jpeg",
            },
            {
                "bytes": 812_004,
                "sha256": hashlib.sha256(b"vector photo 2").hexdigest(),
                "type": "image/png",
            },
        ),
        key=lambda p: str(p["sha256"]),
    )
    with_photos = sign(
        officer,
        {
            "type": "sheet",
            "signer": officer.key_id,
            "seq": 3,
            "prev": second.hash,
            "time": "2026-02-14T10:20:00Z",
            "election": "vector-2026",
            "station": "32.01.01.2001.002",
            "contest": "ppwp",
            "values": SHEET_VALUES,
            "warnings": [],
            "supersedes": None,
            "reason": None,
            "photos": photos,
        },
    )
    cert = authority.certificate(
        auth,
        election="vector-2026",
        officer_id="ppk-3201-01",
        name="Siti Nurhaliza",
        role="operator",
        jurisdiction="32.01.01",
        public_key=officer.public_key,
        valid_from="2026-01-15T00:00:00Z",
        valid_until="2026-12-31T23:59:59Z",
        issued="2026-01-20T08:00:00Z",
    )
    text = sign(
        officer,
        {
            "type": "vector_text",
            "text": ESCAPES,
            "empty": "",
            "numbers": [0, -1, 1, 9007199254740991, -9007199254740991],
            "flags": {"yes": True, "no": False, "none": None},
            "Zebra": "capital letters sort before lowercase",
            "_underscore": "and the underscore sorts between them",
            "aardvark": [],
            "nested": {"b": {"d": 4, "c": 3}, "a": [{"z": 1, "y": 2}]},
        },
    )
    approve = sign(
        officer_reviewer := SigningKey.from_seed(REVIEWER_SEED),
        {
            "type": "review",
            "signer": officer_reviewer.key_id,
            "seq": 1,
            "prev": None,
            "time": "2026-02-14T11:00:00Z",
            "election": "vector-2026",
            "station": "32.01.01.2001.001",
            "contest": "ppwp",
            "sheet": first.hash,
            "decision": "reject",
            "reason": "angka suara 01 tidak sesuai kertas",
        },
    )
    overriding = sign(
        officer_reviewer,
        {
            "type": "review",
            "signer": officer_reviewer.key_id,
            "seq": 2,
            "prev": approve.hash,
            "time": "2026-02-14T11:20:00Z",
            "election": "vector-2026",
            "station": "32.01.01.2001.001",
            "contest": "ppwp",
            "sheet": second.hash,
            "decision": "approve",
            "reason": None,
            "overrides": [approve.hash],
        },
    )
    # A supervisor's requirement of double entry for the district (§4 `requirement`, §6.3),
    # and the officer's next sheet, typed twice, acknowledging a warning with its reason.
    requirement = sign(
        officer_reviewer,
        {
            "type": "requirement",
            "signer": officer_reviewer.key_id,
            "seq": 3,
            "prev": overriding.hash,
            "time": "2026-02-14T11:30:00Z",
            "election": "vector-2026",
            "region": "32.01.01",
            "double_entry": True,
        },
    )
    typed_twice = sign(
        officer,
        {
            "type": "sheet",
            "signer": officer.key_id,
            "seq": 4,
            "prev": with_photos.hash,
            "time": "2026-02-14T11:40:00Z",
            "election": "vector-2026",
            "station": "32.01.01.2001.003",
            "contest": "ppwp",
            "values": SHEET_VALUES,
            "warnings": ["bound:turnout"],
            "warnings_reason": "sesuai formulir C.Hasil: banyak pemilih pindahan",
            "double_entry": {"second": officer_reviewer.key_id},
            "supersedes": None,
            "reason": None,
        },
    )
    # The recapitulation: a chair enters a
    # witness's objection from the paper form, rules on it, and signs the sub-district's
    # D.Hasil resting on the officer's corrected sheet (one station counted, one pending).
    chair = SigningKey.from_seed(CHAIR_SEED)
    objection = sign(
        chair,
        {
            "type": "objection",
            "signer": chair.key_id,
            "seq": 1,
            "prev": None,
            "time": "2026-02-15T09:00:00Z",
            "election": "vector-2026",
            "place": "32.01.01.2001.001",
            "contest": "ppwp",
            "kind": "objection",
            "witness": {"name": "Budi Santoso", "represents": "02. Paslon Dua"},
            "paper": "D.Kejadian Khusus No. 1",
            "subject": "suara paslon 02 tertulis 49, saksi mencatat 50",
        },
    )
    ruling = sign(
        chair,
        {
            "type": "resolution",
            "signer": chair.key_id,
            "seq": 2,
            "prev": objection.hash,
            "time": "2026-02-15T09:30:00Z",
            "election": "vector-2026",
            "objection": objection.hash,
            "place": "32.01.01.2001.001",
            "contest": "ppwp",
            "decision": "rejected",
            "reason": "dicocokkan dengan C.Hasil plano di depan saksi: 49",
            "overrides": [],
        },
    )
    dhasil = sign(
        chair,
        {
            "type": "dhasil",
            "signer": chair.key_id,
            "seq": 3,
            "prev": ruling.hash,
            "time": "2026-02-15T10:00:00Z",
            "election": "vector-2026",
            "region": "32.01.01",
            "contest": "ppwp",
            "basis": "sheets",
            "totals": second.payload["values"],
            "children": [{"code": "32.01.01.2001.001", "record": second.hash}],
            "pending": [{"code": "32.01.01.2001.002", "state": "not_entered"}],
            "objections": [{"objection": objection.hash, "resolution": ruling.hash}],
            "final": False,
            "supersedes": None,
            "reason": None,
        },
    )
    revoked = authority.revocations(
        auth,
        election="vector-2026",
        version=1,
        issued="2026-02-15T08:00:00Z",
        revoked=[
            {"key_id": officer.key_id, "reason": "laptop stolen", "time": "2026-02-15T07:30:00Z"}
        ],
    )
    package = sign(auth, _small_package())
    head = sign(
        SigningKey.from_seed(SERVER_SEED),
        {
            "type": "tree_head",
            "election": "vector-2026",
            "server": SigningKey.from_seed(SERVER_SEED).key_id,
            "size": 43,
            "root": hashlib.sha256(b"a log of 43 entries (not a real root)").hexdigest(),
            "partitions": hashlib.sha256(b"its partitions (not a real root)").hexdigest(),
            "partition_count": 4,
            "time": "2026-02-14T10:05:02Z",
        },
    )
    receipt = sign(
        SigningKey.from_seed(SERVER_SEED),
        {
            "type": "receipt",
            "server": SigningKey.from_seed(SERVER_SEED).key_id,
            "time": "2026-02-14T10:05:02Z",
            "election": "vector-2026",
            "head": head.hash,
            "stored": [{"hash": second.hash, "index": 42, "received": "2026-02-14T10:05:02Z"}],
            "held": [{"hash": first.hash, "index": 17, "received": "2026-02-14T09:31:10Z"}],
            "refused": [{"item": 2, "reason": "malformed"}],
        },
    )
    request = sign(
        officer,
        {
            "type": "certificate_request",
            "name": "Siti Nurhaliza",
            "officer_id": "ppk-3201-01",
            "role": "operator",
            "public_key": officer.public_key.hex(),
            "key_id": officer.key_id,
        },
    )
    return {
        "description": (
            "The published test vectors of docs/PROTOCOL.md (recap/1 envelope). Each positive "
            "case gives a key seed, a payload, and the exact canonical bytes, signing message, "
            "hash (SHA-256 of the canonical bytes, the record id) and Ed25519 signature. Each "
            "negative case is JSON text a verifier must refuse. Each signature case is a "
            "public key, a message and a signature, and whether PROTOCOL section 2 accepts it "
            "(RFC 8032 alone accepts the small-order ones). The seeds are test keys, "
            "published: never use them to sign anything real. Generated by "
            "tests/vectors/make_envelope_vectors.py; checked by tests/test_envelope.py."
        ),
        "protocol": PROTOCOL,
        "signing_message": "ASCII '<protocol>\\n<payload.type>\\n' followed by the canonical bytes",
        "keys": {
            "officer": {
                "seed": OFFICER_SEED.hex(),
                "public_key": officer.public_key.hex(),
                "key_id": officer.key_id,
            },
            "authority": {
                "seed": AUTHORITY_SEED.hex(),
                "public_key": auth.public_key.hex(),
                "key_id": auth.key_id,
            },
            "reviewer": {
                "seed": REVIEWER_SEED.hex(),
                "public_key": officer_reviewer.public_key.hex(),
                "key_id": officer_reviewer.key_id,
            },
            "chair": {
                "seed": CHAIR_SEED.hex(),
                "public_key": chair.public_key.hex(),
                "key_id": chair.key_id,
            },
            "server": {
                "seed": SERVER_SEED.hex(),
                "public_key": SigningKey.from_seed(SERVER_SEED).public_key.hex(),
                "key_id": SigningKey.from_seed(SERVER_SEED).key_id,
            },
        },
        "signatures": _signatures(officer),
        "cases": [
            _case("sheet_seq1", "first record of the officer's chain", officer, "officer", first),
            _case(
                "sheet_seq2_correction",
                "second record: prev is the first record's hash, and it corrects it",
                officer,
                "officer",
                second,
            ),
            _case(
                "sheet_seq3_photos",
                "third record: a sheet naming two photos of its paper by SHA-256 (§4, §9.8)",
                officer,
                "officer",
                with_photos,
            ),
            _case(
                "certificate",
                "an officer certificate signed by the authority (not chained)",
                auth,
                "authority",
                cert,
            ),
            _case(
                "review_reject",
                "a supervisor's rejection (chained: the reviewer's first record)",
                officer_reviewer,
                "reviewer",
                approve,
            ),
            _case(
                "review_approve_overriding",
                "an approval that overrides the rejection it saw (overrides names it)",
                officer_reviewer,
                "reviewer",
                overriding,
            ),
            _case(
                "requirement",
                "a supervisor requires double entry in the district (§4, §6.3; chained: the "
                "reviewer's third record)",
                officer_reviewer,
                "reviewer",
                requirement,
            ),
            _case(
                "sheet_seq4_double_entry_and_reason",
                "fourth record: a sheet typed twice (double_entry names the second typist) "
                "that lists a warning bound with its warnings_reason (§4)",
                officer,
                "officer",
                typed_twice,
            ),
            _case(
                "objection",
                "a witness's objection entered by the chair from the paper form (chained)",
                chair,
                "chair",
                objection,
            ),
            _case("resolution", "the chair's ruling on that objection", chair, "chair", ruling),
            _case(
                "dhasil_interim",
                "an interim sub-district D.Hasil: one station counted, one pending, the "
                "objection and its ruling",
                chair,
                "chair",
                dhasil,
            ),
            _case("revocations", "a revocation list (version 1)", auth, "authority", revoked),
            _case("election", "a small election package", auth, "authority", package),
            _case(
                "receipt",
                "a server's receipt: stored and held with their log index, a refused item",
                SigningKey.from_seed(SERVER_SEED),
                "server",
                receipt,
            ),
            _case(
                "tree_head",
                "the server's signed head of its log (§10.2; the roots here are not of a log)",
                SigningKey.from_seed(SERVER_SEED),
                "server",
                head,
            ),
            _case(
                "certificate_request",
                "an officer's request for a certificate, signed by its own key",
                officer,
                "officer",
                request,
            ),
            _case(
                "escapes_and_order",
                "string escapes, non-ASCII text, integer bounds and key order",
                officer,
                "officer",
                text,
            ),
        ],
        "negative": [
            {
                "name": "float",
                "json": '{"type":"sheet","value":1.5}',
                "reason": "floats are not allowed",
            },
            {
                "name": "exponent",
                "json": '{"type":"sheet","value":1e2}',
                "reason": "numbers with a fraction or exponent are floats",
            },
            {
                "name": "non_ascii_key",
                "json": '{"type":"sheet","d\\u00e9sa":1}',
                "reason": "object keys must be ASCII",
            },
            {
                "name": "integer_above_2_53",
                "json": '{"type":"sheet","value":9007199254740992}',
                "reason": "integers must lie within +-(2^53-1)",
            },
            {
                "name": "integer_below_minus_2_53",
                "json": '{"type":"sheet","value":-9007199254740992}',
                "reason": "integers must lie within +-(2^53-1)",
            },
            {
                "name": "duplicate_keys",
                "json": '{"type":"sheet","value":1,"value":2}',
                "reason": "an object may not repeat a key",
            },
            {
                "name": "lone_surrogate",
                "json": '{"type":"sheet","value":"\\ud800"}',
                "reason": "strings must be valid Unicode",
            },
            {
                "name": "nan",
                "json": '{"type":"sheet","value":NaN}',
                "reason": "NaN is not JSON",
            },
        ],
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), indent=2, ensure_ascii=True) + "\n")
    print(OUT)
