"""TEST ONLY: kill the process at a named point of a sync, to prove a crash loses nothing.

Set RECAP_SYNC_TEST_KILL=<point> or <point>#<n> (the n-th time the point is reached;
tests/test_sync_kill.py does, in a subprocess). Unset, as in every real run, ``reach`` does
nothing.
"""

from __future__ import annotations

import os
import signal

ENV = "RECAP_SYNC_TEST_KILL"
POINTS = frozenset({"before_send", "after_server_commit", "during_pull"})


_reached: dict[str, int] = {}


def reach(point: str) -> None:
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    name, _, nth = wanted.partition("#")
    if name != point:
        return
    _reached[point] = _reached.get(point, 0) + 1
    if _reached[point] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
