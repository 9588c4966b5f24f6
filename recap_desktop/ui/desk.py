"""The officer's desk beside the sheet: the help (F1) and the server's receipts kept here."""

from __future__ import annotations

import html
from typing import Any

from recap_desktop.messages import local_time
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)


def help_sections() -> list[tuple[str, list[str]]]:
    """The help's headings and paragraphs, in the window's language (Qt's translation)."""
    return [
        (
            tr("Typing a sheet"),
            [
                tr(
                    "Choose the polling station in the tree (Ctrl+F finds it by name or code) "
                    "and the contest above the form."
                ),
                tr(
                    "Type each number from the paper and press Enter: the next field follows, "
                    "in the paper's order, and the form scrolls with you."
                ),
                tr(
                    "A broken rule shows at once beside the field it concerns and in the list "
                    "at the top; it goes away as soon as the numbers agree."
                ),
                tr(
                    "Ctrl+S signs and stores the sheet. A warning must be ticked after checking "
                    "the paper; an error must be fixed first."
                ),
            ],
        ),
        (
            tr("Correcting a signed sheet"),
            [
                tr(
                    "Open the sheet, choose “Correct this sheet…”, change the numbers and save: "
                    "a reason is asked, and both versions stay in the history."
                ),
            ],
        ),
        (
            tr("The key"),
            [
                tr(
                    "Your passphrase unlocks your signing key once; the key locks itself after "
                    "the idle time (Settings) or at once with Ctrl+L."
                ),
            ],
        ),
        (
            tr("Sending the sheets"),
            [
                tr(
                    "Sheets are sent whenever the central server can be reached (F9 sends now); "
                    "the status bar says how many are still unsent."
                ),
                tr(
                    "Without a network, File > Export a USB bundle writes every record to a "
                    "file, and the photos of the forms to a folder beside it (copy both); the "
                    "other laptop imports them with File > Import a USB bundle."
                ),
                tr(
                    "Tools > Receipts from the server lists the server's signed receipts: its "
                    "proof of what it took from this laptop, and when."
                ),
            ],
        ),
        (
            tr("Times"),
            [
                tr(
                    "Times are shown in this laptop's time zone, named after each time; "
                    "records keep them in UTC."
                ),
            ],
        ),
    ]


def help_html() -> str:
    parts = [f"<h2>{html.escape(tr('Recap Desktop: help'))}</h2>"]
    for heading, paragraphs in help_sections():
        parts.append(f"<h3>{html.escape(heading)}</h3>")
        parts += [f"<p>{html.escape(p)}</p>" for p in paragraphs]
    return "\n".join(parts)


class HelpDialog(QDialog):
    """The help, in the language the window speaks now."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Help"))
        self.resize(640, 560)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setHtml(help_html())
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("Close"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ReceiptsDialog(QDialog):
    """The server's signed receipts kept in this data folder, newest first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Receipts from the server"))
        self.resize(760, 420)
        layout = QVBoxLayout(self)
        self.summary = QLabel(tr("Reading the receipts…"))
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, 6)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setHorizontalHeaderLabels(
            [
                tr("Time"),
                tr("Stored"),
                tr("Held already"),
                tr("Refused"),
                tr("Server key"),
                tr("Receipt"),
            ]
        )
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("Close"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def show_receipts(self, receipts: list[dict[str, Any]]) -> None:
        self.table.setRowCount(0)
        for r in receipts:
            n = self.table.rowCount()
            self.table.insertRow(n)
            cells = [
                local_time(r["time"], seconds=True),
                str(r["stored"]),
                str(r["held"]),
                str(r["refused"]),
                r["server"][:16],
                r["hash"][:16],
            ]
            for col, value in enumerate(cells):
                self.table.setItem(n, col, QTableWidgetItem(value))
        stored = sum(int(r["stored"]) for r in receipts)
        self.summary.setText(
            tr("%n receipt(s) kept", "", len(receipts))
            + " · "
            + tr("%n record(s) stored by the server", "", stored)
            if receipts
            else tr("No receipt yet: nothing has been sent to the server from this laptop.")
        )
