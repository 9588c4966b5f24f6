"""Setting up a server data folder for a real (non-demo) election."""

from __future__ import annotations

from pathlib import Path

import pytest

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import demo as demo_service
from recap_desktop.services.election import package_file
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
    ledger = open_ledger(data, election=package, trust_authority=fingerprint)
    key_id = ledger.server_key.key_id
    assert ledger.election() is not None
    ledger.storage.close()
    # Later starts: the authority comes from the database; the same receipt key comes back.
    again = open_ledger(data)
    assert again.server_key.key_id == key_id
    assert again.storage.stats()["packages"] == 1
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
