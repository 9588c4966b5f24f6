"""Totals for the chosen region (the D.Hasil), with stations entered of expected, and CSV export.

The sums are computed on the quick worker thread: a province's totals add up many thousand
sheets, and the window must not wait for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recap_desktop.domain.election import text
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services.plenary import Objection, objections_within
from recap_desktop.services.recap import (
    ContestTotals,
    counted_times,
    recap_region,
    votes_per_choice,
    write_csv,
)
from recap_desktop.ui import i18n
from recap_desktop.ui.chart import RecapChart
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFont,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from recap_desktop.ui.tasks import TaskHandle, TaskRunner


class RecapView(QWidget):
    loaded = Signal()

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.region: str | None = None
        self.region_name = ""
        self.totals: list[ContestTotals] = []
        self.times: dict[str, list[Any]] = {}  # contest -> counted times, for the chart
        self.objections: list[Objection] = []
        layout = QVBoxLayout(self)
        self.title = QLabel()
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSize(font.pointSize() + 2)
        self.title.setFont(font)
        layout.addWidget(self.title)
        row = QHBoxLayout()
        self.contest = QComboBox()
        self.contest.currentIndexChanged.connect(self._show)
        self.progress = QProgressBar()
        self.counted = QLabel()
        self.export_button = QPushButton()
        self.export_button.clicked.connect(self._export_clicked)
        row.addWidget(self.contest, 2)
        row.addWidget(self.counted)
        row.addWidget(self.progress, 1)
        row.addWidget(self.export_button)
        layout.addLayout(row)
        self.table = QTableWidget(0, 2)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents
        )
        self.chart = RecapChart()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.chart)
        split.setSizes([380, 240])
        layout.addWidget(split, 1)
        # Open objections inside the region: they show wherever its totals do.
        self.objection_label = QLabel()
        self.objection_label.setWordWrap(True)
        self.objection_label.setStyleSheet("color: #8a1c1c;")
        layout.addWidget(self.objection_label)
        self.pending: TaskHandle | None = None
        self.retranslate()

    def retranslate(self) -> None:
        self.export_button.setText(tr("Export CSV…"))
        self.table.setHorizontalHeaderLabels([tr("Line of the form"), tr("Total")])
        if self.region is None:
            self.title.setText(tr("Choose a region in the tree to see its totals."))
        else:
            self._show()

    def show_region(self, region: str, name: str) -> None:
        """Compute the region's totals in the background; the last request wins."""
        self.region, self.region_name = region, name
        self.title.setText(tr("Totals for %1 (computing…)").replace("%1", name))
        if self.pending is not None:
            self.pending.cancel()

        def work(ws: Workspace, handle: TaskHandle) -> Any:
            totals = recap_region(ws, region)
            times = {t.contest.id: counted_times(ws, region, t.contest.id) for t in totals}
            return totals, times, objections_within(ws, region)

        def prepare(handle: TaskHandle) -> None:
            handle.succeeded.connect(lambda totals: self._arrived(handle, totals))
            handle.failed.connect(lambda exc: self._failed(handle, exc))
            self.pending = handle

        self.tasks.run(tr("Adding up %1").replace("%1", name), work, prepare=prepare)

    def _arrived(self, handle: TaskHandle, loaded: Any) -> None:
        if handle is not self.pending:
            return  # a newer region was chosen meanwhile
        self.pending = None
        totals, self.times, self.objections = loaded
        self.totals = totals
        lang = i18n.current()
        self.contest.blockSignals(True)
        current = self.contest.currentData()
        self.contest.clear()
        for t in totals:
            self.contest.addItem(text(t.contest.name, lang), t.contest.id)
        found = self.contest.findData(current)
        self.contest.setCurrentIndex(max(0, found))
        self.contest.blockSignals(False)
        self._show()
        self.loaded.emit()

    def _failed(self, handle: TaskHandle, exc: BaseException) -> None:
        if handle is not self.pending:
            return
        self.pending = None
        message = exc.message(i18n.current()) if isinstance(exc, RecapError) else str(exc)
        self.title.setText(
            tr("Totals for %1 could not be computed: %2")
            .replace("%1", self.region_name)
            .replace("%2", message)
        )
        self.loaded.emit()

    def _show(self) -> None:
        lang = i18n.current()
        if self.region is not None and self.pending is None:
            self.title.setText(tr("Totals for %1").replace("%1", self.region_name))
        chosen = next((t for t in self.totals if t.contest.id == self.contest.currentData()), None)
        self.table.setRowCount(0)
        open_ones = [
            o
            for o in self.objections
            if o.open and (chosen is None or o.contest == chosen.contest.id)
        ]
        self.objection_label.setText(
            tr("Open objections in this region: %1").replace("%1", str(len(open_ones)))
            + "".join(f"\n• {o.place}: {o.subject}" for o in open_ones[:5])
            if open_ones
            else ""
        )
        if chosen is not None:
            self.chart.set_data(
                votes_per_choice(chosen, lang),
                self.times.get(chosen.contest.id, []),
                chosen.expected,
            )
        if chosen is None:
            self.counted.setText("")
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            return
        self.counted.setText(
            tr("%1 of %2 polling stations entered")
            .replace("%1", str(chosen.counted))
            .replace("%2", str(chosen.expected))
            + (
                " · "
                + tr(
                    "%n station(s) hold sheets that do not count (disputed, rejected, tampered…): "
                    "see the Supervisor's desk",
                    "",
                    chosen.not_counted,
                )
                if chosen.not_counted
                else ""
            )
        )
        self.progress.setRange(0, max(1, chosen.expected))
        self.progress.setValue(chosen.counted)
        bold = QFont(self.table.font())
        bold.setBold(True)
        for section in chosen.contest.form.sections:
            n = self.table.rowCount()
            self.table.insertRow(n)
            head = QTableWidgetItem(text(section.label, lang))
            head.setFont(bold)
            self.table.setItem(n, 0, head)
            for field in section.fields:
                n = self.table.rowCount()
                self.table.insertRow(n)
                self.table.setItem(n, 0, QTableWidgetItem("    " + text(field.label, lang)))
                total = f"{chosen.sums.get(field.id, 0):,}"
                value = QTableWidgetItem(total.replace(",", ".") if lang == "id" else total)
                value.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(n, 1, value)

    def _export_clicked(self) -> None:
        if not self.totals:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, tr("Export the totals"), f"recap-{self.region}.csv", tr("CSV files (*.csv)")
        )
        if path:
            self.export_csv(Path(path))

    def export_csv(self, path: Path) -> None:
        """One row per contest and form line; the counted and expected stations on each row."""
        lang = i18n.current()
        with path.open("w", newline="", encoding="utf-8") as out:
            write_csv(self.totals, out, lang)
