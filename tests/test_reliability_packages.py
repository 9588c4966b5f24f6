"""Trial 7: every attack on the election package and the revocation list is refused, with
nothing changed and the last trusted version kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from recap_desktop.services import RecapError, Workspace
from recap_desktop.services.election import import_election
from reliability.packages import file_of, package, packages_trial, revocations


def test_package_and_revocation_trial(tmp_path: Path) -> None:
    result = packages_trial(1, tmp_path)
    assert result.failures == []
    assert result.counts["refused, last trusted version kept"] == result.size - 1 >= 14
    assert result.counts["CLI: exit 2 with the catalogue message"] == 2


def _held_v2(ws: Workspace) -> None:
    import_election(
        ws,
        file_of(package(2), revocations(2, ["a" * 64, "b" * 64])),
        "v2",
        demo=True,
    )


@pytest.mark.parametrize(
    ("records", "key"),
    [
        (lambda: [package(2), revocations(1, ["a" * 64])], "revocations.older"),
        (lambda: [package(3), revocations(1, [])], "revocations.older"),
        (lambda: [package(2), revocations(2, ["a" * 64])], "revocations.conflict"),
        (lambda: [package(2), revocations(3, [], election="demo-2019")], "election.invalid"),
    ],
)
def test_a_revocation_list_never_rolls_back(demo_ws: Workspace, records, key: str) -> None:
    """Found by the trial: these files were imported and reported as changes."""
    _held_v2(demo_ws)
    before = (demo_ws.store.records.count(), sorted(demo_ws.store.keys.revoked()))
    with pytest.raises(RecapError) as caught:
        import_election(demo_ws, file_of(*records()), "f", demo=True)
    assert caught.value.key == key
    assert (demo_ws.store.records.count(), sorted(demo_ws.store.keys.revoked())) == before


def test_an_older_list_arriving_after_an_empty_newer_one_stays_out_of_force(
    demo_ws: Workspace,
) -> None:
    demo_ws.store.append([revocations(2, [])], "sync")
    demo_ws.store.append([revocations(1, ["a" * 64])], "sync")
    assert demo_ws.store.keys.revoked() == {}
    before = demo_ws.store.projections.dump()
    demo_ws.store.projections.rebuild()
    assert demo_ws.store.projections.dump() == before
