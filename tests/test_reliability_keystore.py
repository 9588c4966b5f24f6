"""Trial 6 at small size: the keystore refuses with its typed errors and unlocks nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recap_desktop.crypto import keystore
from recap_desktop.crypto.keys import SigningKey
from reliability.keystore import OFFICER, PASSPHRASE, keystore_trial


def test_small_keystore_trial(tmp_path: Path) -> None:
    result = keystore_trial(3, tmp_path)
    assert result.failures == []
    assert result.counts["wrong passphrases refused"] == 3
    assert result.counts["byte flips"] > 500  # one per byte of the file
    assert result.counts["byte flips"] == result.counts["truncations"]


def test_a_damaged_version_field_is_damage_not_a_newer_version() -> None:
    """Found by the byte-flip trial: a flip in the word "version" made the file say it came
    from another program version, sending the officer to look for it instead of a backup."""
    data = keystore.seal(SigningKey.generate(), PASSPHRASE, OFFICER)
    flipped = data.replace(b'"version":', b'"vession":')
    with pytest.raises(keystore.DamagedKeystore):
        keystore.unseal(flipped, PASSPHRASE)
    doc = json.loads(data)
    doc["version"] = 2
    with pytest.raises(keystore.UnknownKeystoreVersion):
        keystore.unseal(json.dumps(doc).encode(), PASSPHRASE)
