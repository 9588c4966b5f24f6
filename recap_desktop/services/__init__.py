"""Use cases: the one API the CLI and the window both call. No SQL here, no Qt."""

from recap_desktop.services.workspace import RecapError, Workspace

__all__ = ["RecapError", "Workspace"]
