"""`recap identity request` and `recap identity certificate`: only the authority certifies."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.crypto import authority
from recap_desktop.crypto.envelope import Record
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import demo as demo_service
from recap_desktop.storage import Store

Run = Callable[..., Any]


def _certificate(signer: SigningKey, public_key: bytes, **changes: Any) -> Record:
    fields: dict[str, Any] = {
        "election": demo_service.ELECTION_ID,
        "officer_id": "demo-operator-1",
        "name": "Petugas Demo",
        "role": "supervisor",
        "jurisdiction": "32.01",
        "public_key": public_key,
        "valid_from": demo_service.ISSUED,
        "valid_until": demo_service.EXPIRES,
        "issued": "2026-03-01T00:00:00Z",
    }
    fields.update(changes)
    return authority.certificate(signer, **fields)


def _write(tmp_path: Path, records: list[dict[str, Any]]) -> str:
    path = tmp_path / "certificate.json"
    path.write_text(json.dumps({"records": records}))
    return str(path)


def _count(data_dir: Path) -> int:
    with Store.in_dir(data_dir) as store:
        return store.records.count()


def test_request_then_certificate(populated_dir: Path, recap: Run, tmp_path: Path) -> None:
    out = tmp_path / "request.json"
    requested = recap("identity", "request", "--out", str(out))
    assert requested.code == 0, requested.err
    request = json.loads(out.read_text())["request"]
    public_key = bytes.fromhex(request["payload"]["public_key"])
    cert = _certificate(demo_service.demo_authority(), public_key)
    imported = recap("identity", "certificate", _write(tmp_path, [cert.to_json()]))
    assert imported.code == 0, imported.err
    assert "supervisor" in imported.out and "32.01" in imported.out
    assert recap("verify").code == 0


def _own_key(data_dir: Path) -> bytes:
    ident = json.loads((data_dir / "identity.key").read_text())
    return bytes.fromhex(ident["public_key"])


@pytest.mark.parametrize("forgery", ["other-signer", "envelope-signer", "other-election"])
def test_certificates_not_from_the_authority_are_refused(
    populated_dir: Path, recap: Run, tmp_path: Path, forgery: str
) -> None:
    public_key = _own_key(populated_dir)
    if forgery == "other-signer":
        envelope = _certificate(SigningKey.generate(), public_key).to_json()
    elif forgery == "envelope-signer":
        envelope = {
            **_certificate(demo_service.demo_authority(), public_key).to_json(),
            "signer": SigningKey.generate().key_id,
        }
    else:
        envelope = _certificate(
            demo_service.demo_authority(), public_key, election="another-2024"
        ).to_json()
    before = _count(populated_dir)
    result = recap("identity", "certificate", _write(tmp_path, [envelope]))
    assert result.code == 2, result.out
    assert "refused" in result.err
    assert _count(populated_dir) == before
    assert recap("verify").code == 0


@pytest.mark.parametrize("content", ["", "{}", '{"records": "x"}', '{"records": [{}]}', "[1]"])
def test_unreadable_certificate_files(
    populated_dir: Path, recap: Run, tmp_path: Path, content: str
) -> None:
    path = tmp_path / "garbage.json"
    path.write_text(content)
    before = _count(populated_dir)
    result = recap("identity", "certificate", str(path))
    assert result.code == 2 and "garbage.json" in result.err
    assert _count(populated_dir) == before
