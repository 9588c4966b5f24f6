"""`recap election import`: only the trusted authority's current package; refusals change nothing"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import demo as demo_service
from recap_desktop.services.election import package_file
from recap_desktop.storage import Store
from tests.packages import COMMISSION, TRUST

Run = Callable[..., Any]
DEMO_FILE = demo_service.RESOURCES / "election.json"


def _package(
    tmp_path: Path,
    name: str,
    *,
    key: SigningKey | None = None,
    size: int = demo_service.DEFAULT_STATIONS,
    **changes: Any,
) -> str:
    signer = key or demo_service.demo_authority()
    payload = {**demo_service.build_package(size), **changes}
    record = sign(signer, payload)
    path = tmp_path / name
    path.write_bytes(canonical_bytes(package_file(signer.public_key, [record])) + b"\n")
    return str(path)


def _state(data_dir: Path) -> tuple[Any, ...]:
    with Store.in_dir(data_dir) as store:
        return (
            store.records.count(),
            store.package.hash(),
            store.keys.known(),
            store.projections.dump(),
        )


def test_a_real_package_imports_once(data_dir: Path, recap: Run, tmp_path: Path) -> None:
    path = _package(tmp_path, "real.json", key=COMMISSION, size=6, demo=False)
    result = recap("election", "import", path, *TRUST)
    assert result.code == 0, result.err
    assert "demo-2024" in result.out
    state = _state(data_dir)
    assert state[0] == 1
    again = recap("election", "import", path)  # pinned now: no fingerprint needed
    assert again.code == 0 and "nothing changed" in again.out
    assert _state(data_dir) == state


def test_the_demo_package_imports_again_only_into_a_demo_folder(
    populated_dir: Path, recap: Run
) -> None:
    before = _state(populated_dir)
    again = recap("election", "import", str(DEMO_FILE))
    assert again.code == 0 and "nothing changed" in again.out
    assert _state(populated_dir) == before


@pytest.mark.parametrize("fingerprint", [(), TRUST, ("--trust-authority", "")])
def test_the_demo_authority_is_never_trusted_in_a_real_folder(
    data_dir: Path, recap: Run, fingerprint: tuple[str, ...]
) -> None:
    """Its seed is published: a DEMO package in a real folder would let anyone certify
    themselves and sign sheets that verify. Refused whatever fingerprint is given."""
    demo_fingerprint = ("--trust-authority", demo_service.demo_authority().key_id)
    for given in (fingerprint, demo_fingerprint):
        result = recap("election", "import", str(DEMO_FILE), *given)
        assert result.code == 2
        assert "DEMO" in result.err or "fingerprint" in result.err
        assert _state(data_dir)[0] == 0


def test_a_wrong_fingerprint_is_refused_for_every_package(populated_dir: Path, recap: Run) -> None:
    """A DEMO folder too: the fingerprint given is checked, never ignored."""
    before = _state(populated_dir)
    result = recap("election", "import", str(DEMO_FILE), "--trust-authority", "0" * 16)
    assert result.code == 2 and "fingerprint" in result.err
    assert _state(populated_dir) == before


def test_a_real_package_never_enters_a_demo_folder(
    populated_dir: Path, recap: Run, tmp_path: Path
) -> None:
    path = _package(tmp_path, "real.json", key=COMMISSION, size=6, demo=False)
    before = _state(populated_dir)
    result = recap("election", "import", path, *TRUST)
    assert result.code == 2 and "DEMO" in result.err
    assert _state(populated_dir) == before


def test_shipped_demo_package_is_reproduced_byte_for_byte() -> None:
    assert DEMO_FILE.read_bytes() == demo_service.package_bytes()


def _tamper_sig(doc: dict[str, Any]) -> None:
    sig = doc["records"][0]["sig"]
    doc["records"][0]["sig"] = ("1" if sig[0] == "0" else "0") + sig[1:]


def _tamper_payload_keep_hash(doc: dict[str, Any]) -> None:
    doc["records"][0]["payload"]["version"] = 7


def _tamper_payload_and_hash(doc: dict[str, Any]) -> None:
    import hashlib

    payload = doc["records"][0]["payload"]
    payload["stations"][0]["registered"] += 1
    doc["records"][0]["hash"] = hashlib.sha256(canonical_bytes(payload)).hexdigest()


def _tamper_authority_key(doc: dict[str, Any]) -> None:
    doc["authority_key"] = SigningKey.generate().public_key.hex()


@pytest.mark.parametrize(
    "tamper",
    [_tamper_sig, _tamper_payload_keep_hash, _tamper_payload_and_hash, _tamper_authority_key],
    ids=["signature", "payload", "payload-and-hash", "authority-key"],
)
@pytest.mark.parametrize("held", [False, True], ids=["fresh", "populated"])
def test_bad_signature_is_refused(
    request: pytest.FixtureRequest,
    data_dir: Path,
    recap: Run,
    tmp_path: Path,
    tamper: Callable[[dict[str, Any]], None],
    held: bool,
) -> None:
    if held:
        request.getfixturevalue("populated_dir")
    doc = json.loads(DEMO_FILE.read_bytes())
    tamper(doc)
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(doc))
    before = _state(data_dir)
    result = recap("election", "import", str(path))
    assert result.code == 2, result.out
    assert result.err.strip() and "Traceback" not in result.err
    assert _state(data_dir) == before


def test_older_version_is_refused(populated_dir: Path, recap: Run, tmp_path: Path) -> None:
    newer = _package(tmp_path, "v2.json", version=2)
    assert recap("election", "import", newer).code == 0
    before = _state(populated_dir)
    with Store.in_dir(populated_dir) as store:
        election = store.package.election()
        assert election is not None and election.version == 2
    result = recap("election", "import", str(DEMO_FILE))
    assert result.code == 2
    assert "older" in result.err and "1" in result.err and "2" in result.err
    assert _state(populated_dir) == before
    assert recap("verify").code == 0


def test_same_version_with_other_contents_is_refused(
    populated_dir: Path, recap: Run, tmp_path: Path
) -> None:
    before = _state(populated_dir)
    other = _package(tmp_path, "other-v1.json", issued="2026-01-16T00:00:00Z")
    result = recap("election", "import", other)
    assert result.code == 2 and "version 1" in result.err
    assert _state(populated_dir) == before


@pytest.mark.parametrize("held", [False, True], ids=["fresh", "populated"])
def test_expired_package_is_refused(
    request: pytest.FixtureRequest, data_dir: Path, recap: Run, tmp_path: Path, held: bool
) -> None:
    if held:
        request.getfixturevalue("populated_dir")
    expired = _package(
        tmp_path,
        "expired.json",
        key=None if held else COMMISSION,
        version=3,
        issued="2020-01-01T00:00:00Z",
        expires="2021-01-01T00:00:00Z",
    )
    before = _state(data_dir)
    result = recap("election", "import", expired, *(() if held else TRUST))
    assert result.code == 2
    assert "expired" in result.err and "2021-01-01" in result.err
    assert _state(data_dir) == before


def test_unknown_authority_needs_its_fingerprint(
    data_dir: Path, recap: Run, tmp_path: Path
) -> None:
    stranger = SigningKey.generate()
    path = _package(tmp_path, "real.json", key=stranger, size=6, demo=False)
    before = _state(data_dir)
    refused = recap("election", "import", path)
    assert refused.code == 2
    assert stranger.key_id[:16] in refused.err and "--trust-authority" in refused.err
    assert _state(data_dir) == before
    short = recap("election", "import", path, "--trust-authority", stranger.key_id[:8])
    assert short.code == 2 and _state(data_dir) == before
    wrong = recap("election", "import", path, "--trust-authority", "0" * 16)
    assert wrong.code == 2 and _state(data_dir) == before
    accepted = recap("election", "import", path, "--trust-authority", stranger.key_id[:16])
    assert accepted.code == 0, accepted.err
    with Store.in_dir(data_dir) as store:
        assert set(store.keys.known("authority")) == {stranger.key_id}


def test_another_authority_never_replaces_the_held_one(
    populated_dir: Path, recap: Run, tmp_path: Path
) -> None:
    stranger = SigningKey.generate()
    path = _package(tmp_path, "takeover.json", key=stranger, version=9)
    before = _state(populated_dir)
    result = recap("election", "import", path, "--trust-authority", stranger.key_id)
    assert result.code == 2
    assert _state(populated_dir) == before


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"{}",
        b"[]",
        b'{"format":"recap-election-package/1"}',
        b'{"format":"recap-election-package/1","authority_key":"zz","records":[]}',
        b"\xff\xfe\x00",
        b"[" * 50_000,
        "TRUNCATED",
    ],
    ids=["empty", "text", "object", "list", "no-key", "bad-key", "binary", "deep", "truncated"],
)
@pytest.mark.parametrize("held", [False, True], ids=["fresh", "populated"])
def test_garbage_is_refused(
    request: pytest.FixtureRequest,
    data_dir: Path,
    recap: Run,
    tmp_path: Path,
    content: bytes | str,
    held: bool,
) -> None:
    if held:
        request.getfixturevalue("populated_dir")
    data = (
        DEMO_FILE.read_bytes()[: len(DEMO_FILE.read_bytes()) // 2]
        if content == "TRUNCATED"
        else content
    )
    assert isinstance(data, bytes)
    path = tmp_path / "garbage.json"
    path.write_bytes(data)
    before = _state(data_dir)
    result = recap("election", "import", str(path))
    assert result.code == 2
    assert "garbage.json" in result.err and "Traceback" not in result.err
    assert _state(data_dir) == before


def test_missing_file(data_dir: Path, recap: Run) -> None:
    result = recap("election", "import", str(data_dir / "nope.json"))
    assert result.code == 2 and "nope.json" in result.err


def test_package_with_a_sheet_inside_is_refused(
    data_dir: Path, recap: Run, tmp_path: Path, demo_template: Any
) -> None:
    """A package file carries authority records only; a smuggled sheet sinks the file."""
    with Store.in_dir(demo_template.path) as store:
        sheet = next(r.record for r in store.records.rows(["sheet"]))
    assert sheet is not None
    doc = json.loads(Path(_package(tmp_path, "real.json", key=COMMISSION, size=6)).read_bytes())
    doc["records"].append(sheet.to_json())
    path = tmp_path / "smuggled.json"
    path.write_text(json.dumps(doc))
    result = recap("election", "import", str(path), *TRUST)
    assert result.code == 2 and "refused" in result.err
    assert _state(data_dir)[0] == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"version": 0},
        {"expires": "2025-01-01T00:00:00Z", "issued": "2026-01-01T00:00:00Z"},
        {"contests": [{"id": "X"}]},
        {"regions": [{"code": "32", "name": "Jawa Barat", "level": "planet", "parent": None}]},
    ],
    ids=[
        "version-0",
        "expires-before-issued",
        "bad-contest",
        "bad-level",
    ],
)
def test_signed_but_unusable_contents_are_refused(
    data_dir: Path, recap: Run, tmp_path: Path, changes: dict[str, Any]
) -> None:
    path = _package(tmp_path, "unusable.json", key=COMMISSION, size=6, **changes)
    result = recap("election", "import", path, *TRUST)
    assert result.code == 2, result.out
    assert "cannot be used" in result.err
    assert _state(data_dir)[0] == 0


def test_a_station_in_a_region_the_package_does_not_define_is_refused(
    data_dir: Path, recap: Run, tmp_path: Path
) -> None:
    stations = demo_service.build_package(6)["stations"]
    stray = {**stations[0], "code": "32.09.01.2001.001", "region": "32.09.01.2001"}
    path = _package(tmp_path, "stray.json", key=COMMISSION, size=6, stations=[*stations, stray])
    result = recap("election", "import", path, *TRUST)
    assert result.code == 2 and "32.09.01.2001" in result.err
    assert _state(data_dir)[0] == 0
