"""Every version of a sheet with who signed it and when, and every review of it."""

from __future__ import annotations

from typing import Any

from recap_desktop.messages import local_time, problem_name
from recap_desktop.ui import i18n
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)


class HistoryPanel(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 5, parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setWordWrap(True)
        self.retranslate()

    def retranslate(self) -> None:
        self.setHorizontalHeaderLabels(
            [tr("Time"), tr("What"), tr("Signed by"), tr("Record"), tr("Reason")]
        )

    def show_history(self, history: dict[str, Any] | None) -> None:
        """One row per sheet version and per review, oldest first."""
        self.setRowCount(0)
        if history is None:
            return
        rows: list[tuple[str, str, str, str, str]] = []
        for v in history["versions"]:
            what = tr("correction") if v["supersedes"] else tr("sheet")
            if v["hash"] == history["current"]:
                what += " ✓"
            what += _standing(v.get("standing"))
            who = f"{v['officer'] or tr('unknown officer')} ({v['officer_id'] or v['signer'][:8]})"
            rows.append((v["time"], what, who, v["hash"][:16], v["reason"] or ""))
        for r in history["reviews"]:
            what = tr("approved") if r["decision"] == "approve" else tr("rejected")
            what += _standing(r.get("standing"))
            who = r["officer"] or r["signer"][:8]
            rows.append((r["time"], what, who, r["sheet"][:16], r["reason"] or ""))
        rows.sort(key=lambda row: row[0])
        for row in rows:
            n = self.rowCount()
            self.insertRow(n)
            for col, value in enumerate(row):
                # Sorted by the records' UTC times; shown in the laptop's zone, named.
                shown = local_time(value) if col == 0 else value
                self.setItem(n, col, QTableWidgetItem(shown))
        self.resizeRowsToContents()


def _standing(why: str | None) -> str:
    """Why a record does not count, beside it: never shown as merely "signed"."""
    if why is None:
        return ""
    return " · " + tr("does not count: %1").replace("%1", problem_name(why, i18n.current()))
