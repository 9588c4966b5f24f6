"""Sync throughput, push and pull over loopback, once the sync client and server exist."""

from __future__ import annotations

import importlib.util


def sync_missing() -> str | None:
    """Why sync cannot be measured, or None when it can."""
    for module, what in (
        ("recap_server", "the sync server (recap_server)"),
        ("recap_desktop.sync.engine", "the sync client (recap_desktop.sync)"),
    ):
        try:
            spec = importlib.util.find_spec(module)
        except ModuleNotFoundError:
            spec = None
        if spec is None or spec.origin is None:
            return f"needs {what}, built on the sync branch"
    return None
