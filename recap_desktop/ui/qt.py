"""The one place the window imports Qt from (as Anki's aqt/qt does).

Every other module of ``recap_desktop.ui`` imports Qt names from here, so a Qt upgrade or a
binding change touches one file, and a test can tell which modules use Qt at all.
"""

from __future__ import annotations

from PySide6.QtCore import *  # noqa: F403
from PySide6.QtGui import *  # type: ignore[assignment]  # noqa: F403
from PySide6.QtWidgets import *  # type: ignore[assignment]  # noqa: F403
