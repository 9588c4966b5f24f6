"""TEST ONLY: kill the process at a named point of a sync, to prove a crash loses nothing.

Set RECAP_SYNC_TEST_KILL=<point> (tests/test_sync_kill.py does, in a subprocess). Unset, as in
every real run, ``reach`` does nothing.
"""

from __future__ import annotations

import os
import signal

ENV = "RECAP_SYNC_TEST_KILL"
POINTS = frozenset({"before_send", "after_server_commit", "during_pull"})


def reach(point: str) -> None:
    if os.environ.get(ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)
