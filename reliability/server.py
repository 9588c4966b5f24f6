"""Trial rows that need the sync server (issue 4). Until recap_server lands on main they are
reported as not run, never as passed."""

from __future__ import annotations

import importlib.util

NEEDS_SERVER = "not run: needs the sync server (issue 4)"


def server_available() -> bool:
    return importlib.util.find_spec("recap_server") is not None


NOT_WRITTEN = (
    "not run: not written yet (the server of issue 4 reached main at the end of this session)"
)


def reason() -> str:
    from reliability.server_trials import server_source

    return NOT_WRITTEN if server_source() is not None else NEEDS_SERVER
