"""The one place the window imports Qt from (as Anki's aqt/qt does).

Every other module of ``recap_desktop.ui`` imports Qt names from here, so a Qt upgrade or a
binding change touches one file, and a test can tell which modules use Qt at all.

Names are looked up when first imported, not copied with ``import *``: PySide6 makes each
class and enum when it is first asked for, and a star import asks for all of them (about
600 enums, a third of the window's start-up). Type checkers still see the star imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets

if TYPE_CHECKING:
    from PySide6.QtCore import *  # noqa: F403
    from PySide6.QtGui import *  # type: ignore[assignment]  # noqa: F403
    from PySide6.QtPrintSupport import *  # type: ignore[assignment]  # noqa: F403
    from PySide6.QtWidgets import *  # type: ignore[assignment]  # noqa: F403

# Later modules win, as the star imports above did (QtWidgets over QtGui over QtCore).
_MODULES = (QtWidgets, QtGui, QtCore)


def __getattr__(name: str) -> Any:
    if not name.startswith("_"):
        for module in _MODULES:
            value = getattr(module, name, _MISSING)
            if value is not _MISSING:
                globals()[name] = value  # looked up once
                return value
        # Printing (the D.Hasil's and C.Hasil's print preview) is imported when first used.
        from PySide6 import QtPrintSupport

        value = getattr(QtPrintSupport, name, _MISSING)
        if value is not _MISSING:
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_MISSING = object()


def alive(obj: QtCore.QObject) -> bool:
    """Whether a Qt object's C++ side still exists: a worker's queued result may arrive after
    the widget it was for was deleted (a window closed meanwhile)."""
    return bool(shiboken6.isValid(obj))


class QLabel(QtWidgets.QLabel):  # type: ignore[no-redef]
    """Qt's label, plain text by default: a label shows names and messages from packages,
    records, servers and bundles, and Qt's default (AutoText) would render one that looks
    like HTML (``<font size=7>``, a link) as HTML. A label that wants rich text says so."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setTextFormat(QtCore.Qt.TextFormat.PlainText)


class QMessageBox(QtWidgets.QMessageBox):  # type: ignore[no-redef]
    """Qt's message box, plain text by default, for the same reason as ``QLabel``: its text
    is often an error from a service, naming a file, a record or a server's answer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setTextFormat(QtCore.Qt.TextFormat.PlainText)


def plain_tip(text: str) -> str:
    """A tooltip that shows ``text`` as it is: Qt renders any tooltip that looks like HTML as
    HTML, so the text is escaped inside an explicitly rich one."""
    import html

    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"
