"""Trial 7: TUF's attacks on signed metadata, against the election package and the revocation
list: rollback to an older version, an expired package (freeze), versions mixed from two
releases, equivocation, another key. Each must be refused with nothing changed, and the last
trusted version kept."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recap_desktop.crypto import authority
from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services.election import import_election, package_file
from recap_desktop.services.verify import verify_store
from reliability.common import TrialResult, make_demo

ROOT = Path(__file__).resolve().parents[1]
AUTHORITY = demo_service.demo_authority()
ATTACKER = SigningKey.generate()


def package(version: int, *, expires: str = demo_service.EXPIRES, name: str = "") -> Record:
    payload = demo_service.build_package(12)
    payload.update(version=version, expires=expires)
    if name:
        payload["name"] = {"id": name, "en": name}
    return sign(AUTHORITY, payload)


def revocations(version: int, keys: list[str], election: str = demo_service.ELECTION_ID) -> Record:
    return authority.revocations(
        AUTHORITY,
        election=election,
        version=version,
        issued=demo_service.ISSUED,
        revoked=[{"key_id": k, "reason": "laptop lost", "time": demo_service.ISSUED} for k in keys],
    )


def file_of(*records: Record, key: SigningKey = AUTHORITY) -> bytes:
    return canonical_bytes(package_file(key.public_key, list(records))) + b"\n"


def state(ws: Workspace) -> tuple[Any, ...]:
    store = ws.store
    return (store.records.count(), store.package.hash(), sorted(store.keys.revoked().items()))


def cases() -> list[tuple[str, Callable[[], bytes], str, dict[str, Any]]]:
    """(name, file, catalogue key expected, import options). Held before each: package v2 and
    revocation list v2 (keys a and b revoked)."""
    v2 = package(2)
    r2 = revocations(2, ["a" * 64, "b" * 64])
    return [
        ("package: an older version (rollback)", lambda: file_of(package(1)), "election.older", {}),
        (
            "package: older version carrying a newer revocation list",
            lambda: file_of(package(1), revocations(3, ["a" * 64])),
            "election.older",
            {},
        ),
        (
            "package: expired (expires in the past)",
            lambda: file_of(package(3, expires="2026-01-31T00:00:00Z")),
            "election.expired",
            {},
        ),
        (
            "package: newer version, but the clock is past its expiry (freeze)",
            lambda: file_of(package(3)),
            "election.expired",
            {"now": datetime(2032, 1, 1, tzinfo=UTC)},
        ),
        (
            "package: same version, other contents (equivocation)",
            lambda: file_of(package(2, name="Pemilu DEMO 2024 (versi lain)")),
            "election.conflict",
            {},
        ),
        (
            "package: newer version signed by another key",
            lambda: file_of(sign(ATTACKER, package(3).payload), key=ATTACKER),
            "election.real_in_demo",
            {},
        ),
        (
            "package: newer version under the authority's key, signature by another",
            lambda: file_of(
                Record(
                    package(3).payload,
                    AUTHORITY.key_id,
                    sign(ATTACKER, package(3).payload).sig,
                    package(3).hash,
                    package(3).canonical,
                )
            ),
            "election.bad_signature",
            {},
        ),
        (
            "mixed releases: two package versions in one file",
            lambda: file_of(package(3), v2),
            "election.invalid",
            {},
        ),
        (
            "mixed releases: current package with an older revocation list (rollback)",
            lambda: file_of(v2, revocations(1, ["a" * 64])),
            "revocations.older",
            {},
        ),
        (
            "mixed releases: newer package with an older revocation list",
            lambda: file_of(package(3), revocations(1, [])),
            "revocations.older",
            {},
        ),
        (
            "revocation list: same version, other contents (equivocation)",
            lambda: file_of(v2, revocations(2, ["a" * 64])),
            "revocations.conflict",
            {},
        ),
        (
            "revocation list: for another election",
            lambda: file_of(v2, revocations(3, ["c" * 64], election="demo-2019")),
            "election.invalid",
            {},
        ),
        (
            "revocation list: newer, signed by another key",
            lambda: file_of(v2, sign(ATTACKER, revocations(3, []).payload)),
            "election.bad_signature",
            {},
        ),
        ("(control) identical re-import is accepted", lambda: file_of(v2, r2), "", {}),
    ]


def packages_trial(size: int, work: Path, seed: int = 7) -> TrialResult:
    result = TrialResult("packages", 0, "each case")
    demo = make_demo(work / "held")
    ws = Workspace(demo.data_dir)
    import_election(ws, file_of(package(2), revocations(2, ["a" * 64, "b" * 64])), "v2", demo=True)
    ws.close()
    for name, make, want, options in cases():
        copy = demo.copy(work / "case")
        ws = Workspace(copy.data_dir)
        before = state(ws)
        try:
            import_election(ws, make(), "trial", demo=True, **options)
            got = ""
        except RecapError as exc:
            got = exc.key
        after = state(ws)
        report = verify_store(ws)
        ws.close()
        result.size += 1
        if got != want:
            result.fail(f"{name}: got {got or 'accepted'}, wanted {want or 'accepted'}")
        elif before != after:
            result.fail(f"{name}: refused, but the store changed")
        elif not report.ok:
            result.fail(f"{name}: the store no longer verifies")
        else:
            result.count("refused, last trusted version kept" if want else "controls accepted")
    _arrival_order(result, work)
    _cli(result, demo, work)
    return result


def _arrival_order(result: TrialResult, work: Path) -> None:
    """Records come down from sync in any order: an older revocation list arriving after a
    newer, empty one must not put its keys back in force (in the projection the window
    shows, as in verification)."""
    demo = make_demo(work / "arrival")
    ws = Workspace(demo.data_dir)
    try:
        ws.store.append([revocations(2, [])], "sync")
        ws.store.append([revocations(1, ["a" * 64])], "sync")
        result.size += 1
        if ws.store.keys.revoked():
            result.fail(
                "an older revocation list arriving after an empty newer one is in force: "
                f"{sorted(ws.store.keys.revoked())}"
            )
        else:
            result.count("refused, last trusted version kept")
    finally:
        ws.close()


def _cli(result: TrialResult, demo: Any, work: Path) -> None:
    """Two of the cases through `recap election import`: exit 2 and the catalogue message."""
    from recap_desktop.messages import tr

    for name, data, key, params in [
        ("older", file_of(package(1)), "election.older", {"version": 1, "held": 2}),
        (
            "revocations older",
            file_of(package(2), revocations(1, [])),
            "revocations.older",
            {"version": 1, "held": 2},
        ),
    ]:
        copy = demo.copy(work / "cli")
        path = work / "pkg.json"
        path.write_bytes(data)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "recap_desktop",
                "--data-dir",
                str(copy.data_dir),
                "election",
                "import",
                str(path),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "RECAP_LANG": "en"},
        )
        result.count("CLI cases")
        if proc.returncode == 2 and tr(key, "en", **params) in proc.stderr:
            result.count("CLI: exit 2 with the catalogue message")
        else:
            result.fail(f"CLI {name}: exit {proc.returncode}: {proc.stderr.strip()[-200:]}")
