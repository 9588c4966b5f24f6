"""The program's version: pyproject's ``[project] version`` is the one copy of it.

It is read from the installed distribution's metadata, and only when asked for (``--version``,
Help > About): importing ``importlib.metadata`` costs ~20 ms, which every start of the window
and the CLI would otherwise pay.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

DISTRIBUTION = "recap-desktop"


def version() -> str:
    """The installed version, or ``0+unknown`` when run from sources that were never installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"


class VersionAction(argparse.Action):
    """``--version``: prints ``PROG VERSION`` and exits 0, reading the version only then."""

    def __init__(self, option_strings: Sequence[str], dest: str = "version", **kwargs: Any) -> None:
        kwargs.setdefault("help", "show the version and exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(f"{parser.prog} {version()}")
        parser.exit()


def add_version_option(parser: argparse.ArgumentParser) -> None:
    """The same ``--version`` on ``recap``, ``recap-server`` and ``recap-desktop``."""
    parser.add_argument("--version", action=VersionAction)
