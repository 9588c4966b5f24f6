"""Small dialogs with our own button texts.

PySide6 ships no Indonesian catalogue for Qt's own buttons (no qtbase_id.qm), so the
standard dialogs would say "OK" and "Cancel" in English inside an Indonesian window. These
helpers set every button text through our translations instead.
"""

from __future__ import annotations

from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import (
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
    QWizard,
)


def ask_text(
    parent: QWidget | None,
    title: str,
    label: str,
    *,
    password: bool = False,
    multiline: bool = False,
    initial: str = "",
) -> str | None:
    """The text typed, or None if the officer cancels."""
    dialog = QInputDialog(parent)
    dialog.setTextValue(initial)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setOkButtonText(tr("OK"))
    dialog.setCancelButtonText(tr("Cancel"))
    if multiline:
        dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        # A reason needs no tab characters: Tab leaves the box for OK, so the keyboard alone
        # can finish the dialog (Qt's box keeps Tab, and Enter, for itself).
        for box in dialog.findChildren(QPlainTextEdit):
            box.setTabChangesFocus(True)
    if password:
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
    return dialog.textValue() if dialog.exec() else None


def ask_int(
    parent: QWidget | None, title: str, label: str, value: int, low: int, high: int
) -> int | None:
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setOkButtonText(tr("OK"))
    dialog.setCancelButtonText(tr("Cancel"))
    dialog.setInputMode(QInputDialog.InputMode.IntInput)
    dialog.setIntRange(low, high)
    dialog.setIntValue(value)
    return dialog.intValue() if dialog.exec() else None


def warn(parent: QWidget | None, title: str, message: str) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.NoButton, parent
    )
    box.addButton(tr("OK"), QMessageBox.ButtonRole.AcceptRole)
    box.exec()


def translate_wizard(wizard: QWizard) -> None:
    texts = {
        QWizard.WizardButton.BackButton: tr("< Back"),
        QWizard.WizardButton.NextButton: tr("Next >"),
        QWizard.WizardButton.FinishButton: tr("Finish"),
        QWizard.WizardButton.CancelButton: tr("Cancel"),
    }
    for button, text in texts.items():
        wizard.setButtonText(button, text)
