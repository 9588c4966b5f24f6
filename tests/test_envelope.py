"""The envelope's bytes: the published vectors of docs/PROTOCOL.md, and what a verifier refuses.

The vectors file was generated once and committed; these tests recompute every value from the
seed and the payload and compare with the file, so any change to the envelope's bytes fails here.
Where it matters the expected bytes are also spelled out by hand or rebuilt with hashlib and
cryptography directly, independent of the project's own code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from recap_desktop.crypto.canonical import CanonicalError, canonical_bytes, parse_json
from recap_desktop.crypto.envelope import (
    EnvelopeError,
    from_json,
    from_parts,
    sign,
    signing_message,
)
from recap_desktop.crypto.keys import SigningKey, verify_signature

VECTORS_FILE = Path(__file__).parent / "vectors" / "envelope_vectors.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_FILE.read_text())
CASES = {case["name"]: case for case in VECTORS["cases"]}


def _key(name: str) -> SigningKey:
    return SigningKey.from_seed(bytes.fromhex(VECTORS["keys"][name]["seed"]))


def test_vector_keys_match_their_seeds() -> None:
    for name, entry in VECTORS["keys"].items():
        key = _key(name)
        assert key.public_key.hex() == entry["public_key"]
        assert key.key_id == hashlib.sha256(bytes.fromhex(entry["public_key"])).hexdigest()
        assert key.key_id == entry["key_id"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_known_answer(name: str) -> None:
    case = CASES[name]
    key = _key(case["key"])
    canonical = canonical_bytes(case["payload"])
    assert canonical.hex() == case["canonical_hex"]
    assert canonical.decode("utf-8") == case["canonical_utf8"]
    message = signing_message(case["payload"]["type"], canonical)
    assert message.hex() == case["signing_message_hex"]
    # The signing message rebuilt by hand from the protocol text, not from our function.
    prefix = f"{VECTORS['protocol']}\n{case['payload']['type']}\n".encode("ascii")
    assert message == prefix + canonical
    assert hashlib.sha256(canonical).hexdigest() == case["hash"]
    record = sign(key, case["payload"])
    assert (record.hash, record.sig) == (case["hash"], case["sig"])
    assert record.to_json() == case["record"]
    # Verified with the library directly, outside the project's verify function.
    public = Ed25519PublicKey.from_public_bytes(
        bytes.fromhex(VECTORS["keys"][case["key"]]["public_key"])
    )
    public.verify(bytes.fromhex(case["sig"]), message)


@pytest.mark.parametrize("name", sorted(CASES))
def test_published_record_parses_and_verifies(name: str) -> None:
    case = CASES[name]
    record = from_json(case["record"])
    assert record.hash == case["hash"]
    assert record.canonical.hex() == case["canonical_hex"]
    assert record.verify_signature(bytes.fromhex(VECTORS["keys"][case["key"]]["public_key"]))
    other = "authority" if case["key"] == "officer" else "officer"
    assert not record.verify_signature(bytes.fromhex(VECTORS["keys"][other]["public_key"]))


def test_chain_vectors_link() -> None:
    first, second = CASES["sheet_seq1"], CASES["sheet_seq2_correction"]
    assert first["payload"]["seq"] == 1 and first["payload"]["prev"] is None
    assert second["payload"]["seq"] == 2
    assert second["payload"]["prev"] == first["hash"]
    assert second["payload"]["supersedes"] == first["hash"] and second["payload"]["reason"]


def test_escapes_vector_matches_rfc8785_by_hand() -> None:
    text = CASES["escapes_and_order"]["canonical_utf8"]
    # Short escapes for the five named controls, \u00XX (lowercase hex) for the other
    # controls, and everything else (DEL, U+2028, U+2029, non-ASCII) as raw UTF-8.
    expected_text = (
        'quote \\" backslash \\\\ slash / newline \\n return \\r tab \\t backspace \\b '
        "formfeed \\f nul \\u0000 unit-separator \\u001f delete \x7f line-separator \u2028 "
        "paragraph-separator \u2029 e-acute \u00e9 em-dash \u2014 emoji \U0001f5f3"
    )
    assert f'"text":"{expected_text}"' in text
    # Keys in code-point order: upper case, then underscore, then lower case, at every depth.
    assert text.startswith('{"Zebra":')
    assert text.index('"_underscore"') < text.index('"aardvark"') < text.index('"empty"')
    assert '"nested":{"a":[{"y":2,"z":1}],"b":{"c":3,"d":4}}' in text
    assert '"numbers":[0,-1,1,9007199254740991,-9007199254740991]' in text


@pytest.mark.parametrize("case", VECTORS["negative"], ids=lambda c: c["name"])
def test_negative_vectors_are_refused(case: dict[str, str]) -> None:
    with pytest.raises(CanonicalError):
        parse_json(case["json"])
    with pytest.raises(CanonicalError):
        parse_json(case["json"].encode("utf-8"))


@pytest.mark.parametrize("case", VECTORS["negative"], ids=lambda c: c["name"])
def test_negative_vectors_never_make_a_record(case: dict[str, str]) -> None:
    good = CASES["escapes_and_order"]["record"]
    payload_bytes = case["json"].encode("utf-8")
    with pytest.raises(EnvelopeError):
        from_parts(
            payload_bytes, good["signer"], good["sig"], hashlib.sha256(payload_bytes).hexdigest()
        )


def test_from_parts_refuses_non_canonical_bytes() -> None:
    case = CASES["sheet_seq1"]
    spaced = json.dumps(case["payload"]).encode("utf-8")  # ", " and ": " separators
    assert spaced != bytes.fromhex(case["canonical_hex"])
    with pytest.raises(EnvelopeError, match="canonical"):
        from_parts(
            spaced, case["record"]["signer"], case["sig"], hashlib.sha256(spaced).hexdigest()
        )


def test_from_parts_refuses_a_hash_that_is_not_the_payloads() -> None:
    case = CASES["sheet_seq1"]
    with pytest.raises(EnvelopeError, match="hash"):
        from_parts(
            bytes.fromhex(case["canonical_hex"]),
            case["record"]["signer"],
            case["sig"],
            CASES["sheet_seq2_correction"]["hash"],
        )


def test_chained_payload_must_name_its_signer() -> None:
    officer, other = _key("officer"), _key("authority")
    payload = dict(CASES["sheet_seq1"]["payload"])
    with pytest.raises(EnvelopeError, match="signer"):
        sign(other, payload)
    record = sign(officer, payload)
    envelope = {**record.to_json(), "signer": other.key_id}
    with pytest.raises(EnvelopeError, match="signer"):
        from_json(envelope)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"seq": 0}, "seq"),
        ({"seq": True}, "seq"),
        ({"seq": 2, "prev": None}, "prev"),
        ({"seq": 2, "prev": "ab" * 31}, "prev"),
        ({"prev": "ab" * 32}, "prev"),
        ({"type": "Sheet"}, "type"),
        ({"value": 0.5}, "float"),
    ],
)
def test_sign_refuses_malformed_payloads(change: dict[str, Any], match: str) -> None:
    payload = {**CASES["sheet_seq1"]["payload"], **change}
    with pytest.raises(EnvelopeError, match=match):
        sign(_key("officer"), payload)


@pytest.mark.parametrize(
    "envelope_change",
    [
        {"extra": 1},
        {"sig": "00" * 63},
        {"sig": CASES["sheet_seq1"]["sig"].upper()},
        {"signer": CASES["sheet_seq1"]["record"]["signer"][:-1]},
    ],
)
def test_from_json_refuses_malformed_envelopes(envelope_change: dict[str, Any]) -> None:
    with pytest.raises(EnvelopeError):
        from_json({**CASES["sheet_seq1"]["record"], **envelope_change})


def test_domain_separation_between_types() -> None:
    """A signature over a sheet's bytes never passes as any other type, nor as raw bytes."""
    case = CASES["sheet_seq1"]
    public = bytes.fromhex(VECTORS["keys"]["officer"]["public_key"])
    sig = bytes.fromhex(case["sig"])
    canonical = bytes.fromhex(case["canonical_hex"])
    assert verify_signature(public, sig, signing_message("sheet", canonical))
    for other in ("review", "certificate", "election", "revocations", "receipt", "sheets"):
        assert not verify_signature(public, sig, signing_message(other, canonical))
    assert not verify_signature(public, sig, canonical)


def test_record_signed_as_one_type_fails_when_relabelled() -> None:
    """Swap the type inside the payload and re-hash: the old signature must not carry over."""
    officer = _key("officer")
    sheet = sign(officer, dict(CASES["sheet_seq1"]["payload"]))
    relabelled = {**sheet.payload, "type": "review"}
    canonical = canonical_bytes(relabelled)
    forged = from_parts(canonical, sheet.signer, sheet.sig, hashlib.sha256(canonical).hexdigest())
    assert forged.type == "review"
    assert not forged.verify_signature(officer.public_key)


@pytest.mark.parametrize("case", VECTORS["signatures"], ids=lambda c: c["name"])
def test_signature_acceptance_vectors(case: dict[str, Any]) -> None:
    """PROTOCOL §2's rule, which RFC 8032 alone (and OpenSSL) would answer otherwise for the
    small-order cases: the program accepts exactly what the vectors say."""
    from recap_desktop.crypto.keys import verify_signature

    accepted = verify_signature(
        bytes.fromhex(case["public_key"]),
        bytes.fromhex(case["sig"]),
        bytes.fromhex(case["message_hex"]),
    )
    assert accepted is case["accept"]
