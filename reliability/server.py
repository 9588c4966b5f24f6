"""Trial rows that need the sync server (issue 4). Until recap_server lands on main they are
reported as not run, never as passed."""

from __future__ import annotations

import importlib.util

NEEDS_SERVER = "not run: needs the sync server (issue 4)"


def server_available() -> bool:
    return importlib.util.find_spec("recap_server") is not None


def reason() -> str:
    return NEEDS_SERVER
