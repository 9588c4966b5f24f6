"""Trial 7: every attack on the election package and the revocation list is refused, with
nothing changed and the last trusted version kept."""

from __future__ import annotations

from recap_desktop.services import Workspace
from reliability.packages import revocations


def test_an_older_list_arriving_after_an_empty_newer_one_stays_out_of_force(
    demo_ws: Workspace,
) -> None:
    demo_ws.store.append([revocations(2, [])], "sync")
    demo_ws.store.append([revocations(1, ["a" * 64])], "sync")
    assert demo_ws.store.revoked() == {}
    before = demo_ws.store.projection_dump()
    demo_ws.store.rebuild()
    assert demo_ws.store.projection_dump() == before
