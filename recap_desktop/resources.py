"""The files the program carries (DEMO election, translations, icon), found by import name.

They live in the repository's top-level ``resources/`` folder. ``setup.py`` installs that
folder as the package ``recap_desktop._resources``: a wheel copies it there, an editable
install maps the name onto the folder itself, and the PyInstaller bundle carries it as data
under the same name. Asking ``importlib.resources`` for that package, never ``__file__`` and
``parents[...]``, is what lets a checkout, an editable install, a wheel and the bundle all
find the same files.
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path

PACKAGE = "recap_desktop._resources"

_extracted = ExitStack()  # files copied out of a zipped install, removed at exit
atexit.register(_extracted.close)


def resource(*parts: str) -> Traversable:
    """One file or folder of the resources, e.g. ``resource("demo", "election.json")``."""
    return files(PACKAGE).joinpath(*parts)


def path(*parts: str) -> Path:
    """A real path, for the APIs that open files by name (Qt's translator and icons).

    Every way the program is installed today keeps the files on disk, so this is the
    resource itself; a zipped install would get a temporary copy, kept until exit.
    """
    found = resource(*parts)
    if isinstance(found, Path):
        return found
    return _extracted.enter_context(as_file(found))
