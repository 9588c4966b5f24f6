"""Setting up a server data folder for a real (non-demo) election."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import Record, from_json, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import demo as demo_service
from recap_desktop.services.election import package_file
from recap_server.__main__ import main as server_main
from recap_server.server import DEMO_PACKAGE, PASSPHRASE_ENV, ServerSetupError, open_ledger


def test_first_run_needs_the_authority_fingerprint_and_a_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "election.json"
    package.write_bytes(DEMO_PACKAGE.read_bytes())
    fingerprint = demo_service.demo_authority().key_id[:16]
    data = tmp_path / "srv"
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    with pytest.raises(ServerSetupError, match="--election"):
        open_ledger(data)
    with pytest.raises(ServerSetupError, match="--trust-authority"):
        open_ledger(data, election=package)
    with pytest.raises(ServerSetupError, match=PASSPHRASE_ENV):
        open_ledger(data, election=package, trust_authority=fingerprint)

    monkeypatch.setenv(PASSPHRASE_ENV, "a long server passphrase")
    # Laptops trust only a server the authority certified: a real one will not serve without.
    with pytest.raises(ServerSetupError, match="no certificate from the election authority"):
        open_ledger(data, election=package, trust_authority=fingerprint)
    request = tmp_path / "server.request"
    assert server_main(["--data-dir", str(data), "--request", str(request)]) == 0
    asked = json.loads(request.read_text())["request"]
    assert from_json(asked).payload["role"] == "server"  # signed by the key it names
    certificate = tmp_path / "server.certificate"
    certificate.write_text(
        json.dumps(
            {
                "records": [
                    server_certificate(bytes.fromhex(asked["payload"]["public_key"])).to_json()
                ]
            }
        )
    )
    ledger = open_ledger(data, certificate=certificate)
    key_id = ledger.server_key.key_id
    assert ledger.election() is not None and ledger.certified()
    ledger.storage.close()
    # Later starts: the authority and the certificate come from the database; the same
    # receipt key comes back.
    again = open_ledger(data)
    assert again.server_key.key_id == key_id
    assert again.storage.stats()["packages"] == 1 and again.certified()
    again.storage.close()

    other = SigningKey.generate()
    foreign = tmp_path / "foreign.json"
    foreign.write_bytes(
        canonical_bytes(
            package_file(other.public_key, [sign(other, demo_service.build_package(5))])
        )
    )
    with pytest.raises(ServerSetupError, match="another authority"):
        open_ledger(data, election=foreign)
    monkeypatch.setenv(PASSPHRASE_ENV, "the wrong passphrase")
    with pytest.raises(ServerSetupError, match="cannot unlock"):
        open_ledger(data)


def server_certificate(public_key: bytes) -> Record:
    from recap_desktop.crypto import authority

    return authority.certificate(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        officer_id="kpu-server",
        name="central server",
        role="server",
        jurisdiction="",
        public_key=public_key,
        valid_from=demo_service.ISSUED,
        valid_until=demo_service.EXPIRES,
        issued=demo_service.ISSUED,
    )


def test_a_certificate_of_another_key_or_role_does_not_make_a_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "a long server passphrase")
    package = tmp_path / "election.json"
    package.write_bytes(DEMO_PACKAGE.read_bytes())
    data = tmp_path / "srv"
    fingerprint = demo_service.demo_authority().key_id[:16]
    ledger = open_ledger(
        data, election=package, trust_authority=fingerprint, require_certificate=False
    )
    mine = ledger.server_key.public_key
    ledger.storage.close()
    from recap_desktop.crypto import authority

    officer = authority.certificate(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        officer_id="op-1",
        name="an operator",
        role="operator",
        jurisdiction="32",
        public_key=mine,
        valid_from=demo_service.ISSUED,
        valid_until=demo_service.EXPIRES,
        issued=demo_service.ISSUED,
    )
    for wrong in (server_certificate(SigningKey.generate().public_key), officer):
        file = tmp_path / "wrong.certificate"
        file.write_text(json.dumps({"records": [wrong.to_json()]}))
        with pytest.raises(ServerSetupError, match="no certificate from the election authority"):
            open_ledger(data, certificate=file)


def test_a_database_that_cannot_be_opened_is_named_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://recap:s3cret@127.0.0.1:1/nowhere"
    with pytest.raises(ServerSetupError) as refused:
        open_ledger(tmp_path / "data", demo=True, database=url)
    message = str(refused.value)
    assert "s3cret" not in message and "recap:***@127.0.0.1:1/nowhere" in message
    assert "--database" in message
    assert not (tmp_path / "data" / "server.db").exists()  # nothing made in its place
