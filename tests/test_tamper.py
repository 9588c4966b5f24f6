"""Someone edits recap.db behind the program's back: `recap verify` exits 1 and names the record.

Each test works on its own copy of the populated demo folder: the election package, the
operator's certificate and six chained sheets. The attacker drops the triggers first, as
anyone with the sqlite3 shell can.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import Workspace
from recap_desktop.services.verify import verify_store

# Rows of the populated template in arrival order.
TARGETS = {"package": 1, "certificate": 2, "first": 3, "middle": 5, "last": 8}


def _open(data_dir: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(data_dir / "recap.db", isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS records_no_update")
    conn.execute("DROP TRIGGER IF EXISTS records_no_delete")
    return conn


def _row(conn: sqlite3.Connection, row_id: int) -> dict[str, Any]:
    cur = conn.execute(
        "SELECT id, hash, type, signer, seq, CAST(payload AS BLOB), sig FROM records WHERE id = ?",
        [row_id],
    )
    names = ["id", "hash", "type", "signer", "seq", "payload", "sig"]
    return dict(zip(names, cur.fetchone(), strict=True))


def _check_template(conn: sqlite3.Connection) -> None:
    types = [r[0] for r in conn.execute("SELECT type FROM records ORDER BY id")]
    assert types == ["election", "certificate"] + ["sheet"] * 6


def _assert_named(recap: Callable[..., Any], *hashes: str) -> None:
    result = recap("verify")
    assert result.code == 1, result.out
    for h in hashes:
        assert h in result.out, f"{h} not named in:\n{result.out}"


def test_untouched_copy_verifies(populated_dir: Path, recap: Callable[..., Any]) -> None:
    with _open(populated_dir) as conn:
        _check_template(conn)
    assert recap("verify").code == 0


def _xor_middle(payload: bytes) -> bytes:
    b = bytearray(payload)
    b[len(b) // 2] ^= 0x01
    return bytes(b)


def _non_utf8(payload: bytes) -> bytes:
    b = bytearray(payload)
    b[len(b) // 3] = 0xFF
    return bytes(b)


def _digit(payload: bytes) -> bytes:
    """A plausible edit: one count changed, the JSON still canonical and valid."""
    text = payload.decode()
    marker = next(m for m in ('"total":', '"officer_id":"', '"registered":') if m in text)
    at = text.index(marker) + len(marker)
    while not text[at].isalnum():
        at += 1
    new = "1" if text[at] != "1" else "2"
    return (text[:at] + new + text[at + 1 :]).encode()


PAYLOAD_EDITS = {"xor": _xor_middle, "non-utf8": _non_utf8, "digit": _digit}


@pytest.mark.parametrize("edit", sorted(PAYLOAD_EDITS))
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_changed_payload_byte(
    populated_dir: Path, recap: Callable[..., Any], target: str, edit: str
) -> None:
    with _open(populated_dir) as conn:
        row = _row(conn, TARGETS[target])
        changed = PAYLOAD_EDITS[edit](row["payload"])
        assert changed != row["payload"]
        conn.execute(
            "UPDATE records SET payload = CAST(? AS TEXT) WHERE id = ?", [changed, row["id"]]
        )
    _assert_named(recap, row["hash"])


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_changed_payload_with_recomputed_hash(
    populated_dir: Path, recap: Callable[..., Any], target: str
) -> None:
    """The hash column follows the edit, so only the signature can tell."""
    with _open(populated_dir) as conn:
        row = _row(conn, TARGETS[target])
        changed = _digit(row["payload"])
        new_hash = hashlib.sha256(changed).hexdigest()
        conn.execute(
            "UPDATE records SET payload = ?, hash = ? WHERE id = ?",
            [changed.decode(), new_hash, row["id"]],
        )
    _assert_named(recap, new_hash)


@pytest.mark.parametrize("position", [0, 1, 63, 64, 126, 127])
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_changed_signature_byte(
    populated_dir: Path, recap: Callable[..., Any], target: str, position: int
) -> None:
    with _open(populated_dir) as conn:
        row = _row(conn, TARGETS[target])
        sig = row["sig"]
        replacement = "0" if sig[position] != "0" else "f"
        conn.execute(
            "UPDATE records SET sig = ? WHERE id = ?",
            [sig[:position] + replacement + sig[position + 1 :], row["id"]],
        )
    _assert_named(recap, row["hash"])


@pytest.mark.parametrize("replacement", ["Z", "F", ""])
def test_signature_that_is_not_lowercase_hex(
    populated_dir: Path, recap: Callable[..., Any], replacement: str
) -> None:
    with _open(populated_dir) as conn:
        row = _row(conn, TARGETS["middle"])
        conn.execute(
            "UPDATE records SET sig = ? WHERE id = ?", [replacement + row["sig"][1:], row["id"]]
        )
    _assert_named(recap, row["hash"])


def test_every_byte_of_a_sheet_payload_and_signature(populated_dir: Path) -> None:
    """A sweep through one sheet (service level, to stay fast): each change is found and named."""
    with _open(populated_dir) as conn:
        row = _row(conn, TARGETS["middle"])
        edits: list[tuple[str, Any]] = []
        for i in range(0, len(row["payload"]), 5):  # every fifth byte: about a second
            b = bytearray(row["payload"])
            b[i] ^= 0x01
            edits.append(("payload", bytes(b)))
        for i in range(len(row["sig"])):
            edits.append(
                (
                    "sig",
                    row["sig"][:i] + ("1" if row["sig"][i] == "0" else "0") + row["sig"][i + 1 :],
                )
            )
        for column, value in edits:
            if column == "payload":
                conn.execute(
                    "UPDATE records SET payload = CAST(? AS TEXT) WHERE id = ?", [value, row["id"]]
                )
            else:
                conn.execute("UPDATE records SET sig = ? WHERE id = ?", [value, row["id"]])
            ws = Workspace(populated_dir)
            try:
                report = verify_store(ws)
            finally:
                ws.close()
            assert not report.ok
            assert row["hash"] in {p.record for p in report.errors}, (column, value)
        conn.execute(
            "UPDATE records SET payload = CAST(? AS TEXT), sig = ? WHERE id = ?",
            [row["payload"], row["sig"], row["id"]],
        )
    ws = Workspace(populated_dir)
    try:
        assert verify_store(ws).ok  # the sweep itself left the store as it found it
    finally:
        ws.close()


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_deleted_record(populated_dir: Path, recap: Callable[..., Any], target: str) -> None:
    with _open(populated_dir) as conn:
        row = _row(conn, TARGETS[target])
        conn.execute("DELETE FROM records WHERE id = ?", [row["id"]])
    _assert_named(recap, row["hash"])


def test_deleted_whole_chain(populated_dir: Path, recap: Callable[..., Any]) -> None:
    with _open(populated_dir) as conn:
        last = _row(conn, TARGETS["last"])
        conn.execute("DELETE FROM records WHERE type = 'sheet'")
    _assert_named(recap, last["hash"])


def _sheet_payload(data_dir: Path, key: SigningKey, seq: int, prev: str | None) -> dict[str, Any]:
    with _open(data_dir) as conn:
        template = _row(conn, TARGETS["first"])
    import json

    payload = json.loads(template["payload"])
    payload.update(signer=key.key_id, seq=seq, prev=prev)
    return payload


def _insert(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO records (hash, type, signer, seq, payload, sig, received, origin)"
        " VALUES (?, ?, ?, ?, ?, ?, '2026-02-14T00:00:00Z', 'local')",
        [row["hash"], row["type"], row["signer"], row["seq"], row["payload"], row["sig"]],
    )


def test_forged_record_from_an_unknown_key(populated_dir: Path, recap: Callable[..., Any]) -> None:
    stranger = SigningKey.generate()
    record = sign(stranger, _sheet_payload(populated_dir, stranger, 1, None))
    with _open(populated_dir) as conn:
        _insert(
            conn,
            {
                "hash": record.hash,
                "type": "sheet",
                "signer": record.signer,
                "seq": 1,
                "payload": record.canonical.decode(),
                "sig": record.sig,
            },
        )
    _assert_named(recap, record.hash)


@pytest.mark.parametrize("placement", ["same-seq", "next-seq"])
def test_forged_copy_of_a_real_record(
    populated_dir: Path, recap: Callable[..., Any], placement: str
) -> None:
    """A real sheet with one count changed and its hash recomputed, under the real signer."""
    import json

    with _open(populated_dir) as conn:
        real = _row(conn, TARGETS["last"])
        payload = json.loads(real["payload"])
        payload["values"]["invalid"] += 1
        payload["values"]["valid"] -= 1
        if placement == "same-seq":
            conn.execute("DROP INDEX records_chain")
        else:
            payload["seq"] = real["seq"] + 1
            payload["prev"] = real["hash"]
        canonical = canonical_bytes(payload)
        forged_hash = hashlib.sha256(canonical).hexdigest()
        _insert(
            conn,
            {
                "hash": forged_hash,
                "type": "sheet",
                "signer": real["signer"],
                "seq": payload["seq"],
                "payload": canonical.decode(),
                "sig": real["sig"],
            },
        )
    _assert_named(recap, forged_hash)


def test_forged_election_package(populated_dir: Path, recap: Callable[..., Any]) -> None:
    """A newer package 'signed' by a key that is not the authority's."""
    import json

    impostor = SigningKey.generate()
    with _open(populated_dir) as conn:
        real = _row(conn, TARGETS["package"])
        payload = json.loads(real["payload"])
        payload["version"] = 2
        record = sign(impostor, payload)
        _insert(
            conn,
            {
                "hash": record.hash,
                "type": "election",
                "signer": real["signer"],
                "seq": None,
                "payload": record.canonical.decode(),
                "sig": record.sig,
            },
        )
    _assert_named(recap, record.hash)


def test_verify_json_names_the_record_too(populated_dir: Path, recap: Callable[..., Any]) -> None:
    import json

    with _open(populated_dir) as conn:
        row = _row(conn, TARGETS["middle"])
        conn.execute("DELETE FROM records WHERE id = ?", [row["id"]])
    result = recap("verify", "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert not report["ok"] and report["errors"] >= 1
    assert row["hash"] in {p["record"] for p in report["problems"]}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_rebuild_does_not_erase_the_evidence_of_a_deletion(
    populated_dir: Path, recap: Callable[..., Any], target: str
) -> None:
    """Delete a record, then run `recap rebuild`: the deletion must still be reported."""
    with _open(populated_dir) as conn:
        row = _row(conn, TARGETS[target])
        conn.execute("DELETE FROM records WHERE id = ?", [row["id"]])
    rebuilt = recap("rebuild")
    assert rebuilt.code == 1
    assert "recap verify" in rebuilt.err
    _assert_named(recap, row["hash"])


def test_a_deleted_row_is_found_even_without_the_projections(
    populated_dir: Path, recap: Callable[..., Any]
) -> None:
    """Someone who also empties the projections still leaves a hole in the row numbers."""
    with _open(populated_dir) as conn:
        row = _row(conn, TARGETS["certificate"])
        conn.execute("DELETE FROM records WHERE id = ?", [row["id"]])
        for table in ("packages", "certificates", "sheets", "reviews", "heads"):
            conn.execute(f"DELETE FROM {table}")
    result = recap("verify")
    assert result.code == 1
    assert "deleted" in result.out


def test_forged_sheet_signed_with_the_published_demo_authority_seed(
    populated_dir: Path, recap: Callable[..., Any]
) -> None:
    """The demo authority's seed is public; the authority never signs sheets, so this is forged."""
    from recap_desktop.services import demo as demo_service

    forger = demo_service.demo_authority()
    record = sign(forger, _sheet_payload(populated_dir, forger, 1, None))
    with _open(populated_dir) as conn:
        _insert(
            conn,
            {
                "hash": record.hash,
                "type": "sheet",
                "signer": record.signer,
                "seq": 1,
                "payload": record.canonical.decode(),
                "sig": record.sig,
            },
        )
    _assert_named(recap, record.hash)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("seq", 99),
        ("seq", None),
        ("type", "review"),
        ("type", "certificate"),
        ("signer", "ab" * 32),
    ],
)
def test_changed_index_columns(
    populated_dir: Path, recap: Callable[..., Any], column: str, value: Any
) -> None:
    """The columns beside the payload (used to find and chain records) must agree with it."""
    with _open(populated_dir) as conn:
        row = _row(conn, TARGETS["middle"])
        conn.execute(f"UPDATE records SET {column} = ? WHERE id = ?", [value, row["id"]])
    _assert_named(recap, row["hash"])
