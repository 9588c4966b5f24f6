"""The warnings of a sheet about to be signed, and the officer's reason to sign it anyway.

A warning is not an error: a station may really have had no voters turn up. But the officer
looks at the paper again and says why, and the reason is signed with the sheet
(``warnings_reason``, PROTOCOL §4). Keyboard first: the reason field has the focus, Enter
signs once a reason is typed, Escape goes back to the form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from recap_desktop.services.sheets import SheetWarning
from recap_desktop.ui import i18n
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

AskWarnings = Callable[[QWidget | None, Sequence[SheetWarning]], str | None]


class WarningsDialog(QDialog):
    """Lists every warning of the sheet and asks for one reason covering them."""

    def __init__(self, warnings: Sequence[SheetWarning], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("warnings_dialog")
        lang = i18n.current()
        self.setWindowTitle(tr("Warnings on this sheet"))
        layout = QVBoxLayout(self)
        intro = QLabel(
            tr(
                "The numbers are consistent, but unusual. Look at the paper form again. "
                "If it says the same, give the reason: it is signed with the sheet."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.list = QListWidget()
        self.list.setObjectName("warnings_list")
        self.list.setFocusPolicy(self.list.focusPolicy().NoFocus)
        for warning in warnings:
            self.list.addItem("⚠ " + warning.text(lang))
        rows = self.list.sizeHintForRow(0) if warnings else 20
        self.list.setFixedHeight(min(240, rows * len(warnings) + 2 * self.list.frameWidth() + 8))
        layout.addWidget(self.list)
        label = QLabel(tr("&Reason (required):"))
        self.reason = QLineEdit()
        self.reason.setObjectName("warnings_reason")
        self.reason.setPlaceholderText(tr("e.g. the polling station did not open: flood"))
        label.setBuddy(self.reason)
        layout.addWidget(label)
        layout.addWidget(self.reason)
        self.buttons = QDialogButtonBox()
        self.ok = self.buttons.addButton(
            tr("Sign with this reason"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton(tr("Back to the form"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reason.textChanged.connect(self._enable)
        self._enable()
        self.reason.setFocus()
        self.resize(560, self.sizeHint().height())

    def _enable(self) -> None:
        self.ok.setEnabled(bool(self.reason.text().strip()))

    def accept(self) -> None:
        if self.reason.text().strip():  # Enter in an empty field signs nothing
            super().accept()


def ask_warnings_reason(parent: QWidget | None, warnings: Sequence[SheetWarning]) -> str | None:
    """The reason typed, or None if the officer went back to the form."""
    dialog = WarningsDialog(warnings, parent)
    return dialog.reason.text().strip() if dialog.exec() else None
