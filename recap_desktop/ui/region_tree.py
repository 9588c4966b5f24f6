"""The region tree (regency > district > village > polling station) with each station's state.

The tree asks the store's projection tables (through ``services.regions``), one branch at a
time: a row's children are made when it is first expanded, so a national election with
hundreds of thousands of stations opens at once and holds only what is shown. The filters
apply to the station rows that are loaded; a state filter finds its stations in the whole
election on the quick worker thread, then opens at most REVEAL_LIMIT of them.
"""

from __future__ import annotations

from recap_desktop.domain.election import ElectionOutline
from recap_desktop.services import Workspace
from recap_desktop.services import regions as region_service
from recap_desktop.ui import i18n
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import (
    QBrush,
    QColor,
    QComboBox,
    QLabel,
    QLineEdit,
    QModelIndex,
    QStandardItem,
    QStandardItemModel,
    Qt,
    QTreeView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from recap_desktop.ui.tasks import TaskHandle, TaskRunner

CODE_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2  # region | station | placeholder
STATE_ROLE = Qt.ItemDataRole.UserRole + 3
LEVEL_ROLE = Qt.ItemDataRole.UserRole + 4
COLOURS = {
    "not_entered": "#757575",
    "signed": "#2e7d32",
    "corrected": "#1565c0",
    "approved": "#1b5e20",
    "rejected": "#c62828",
    "disputed": "#c62828",
    "uncounted": "#c62828",
    "partial": "#ef6c00",
}
REVEAL_LIMIT = 300  # stations a state filter opens in the tree at most
FILTERS = ("all", "attention", "not_entered", "entered", "disputed", "rejected")
MATCHES = {
    "all": None,
    "attention": {"disputed", "rejected", "partial", "uncounted"},
    "not_entered": {"not_entered", "partial"},
    "entered": {"signed", "corrected", "approved"},
    "disputed": {"disputed"},
    "rejected": {"rejected"},
}


class RegionPanel(QWidget):
    """The tree with its two filters; emits the chosen region or station code."""

    region_chosen = Signal(str)
    station_chosen = Signal(str)

    def __init__(
        self, ws: Workspace, tasks: TaskRunner | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.tasks = tasks  # None: the state filter searches on this thread
        self.election: ElectionOutline | None = None
        self.searching: TaskHandle | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.filter = QComboBox()
        self.filter.currentIndexChanged.connect(self.filter_changed)
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.apply_filter)
        self.search.returnPressed.connect(self.find_station)
        self.model = QStandardItemModel(self)
        self.view = QTreeView()
        self.view.setModel(self.model)
        self.view.setUniformRowHeights(True)
        self.view.expanded.connect(self._expanded)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        layout.addWidget(self.filter)
        layout.addWidget(self.search)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        self.ancestors: set[str] | None = None  # regions holding a match of the state filter
        self.station_items: dict[str, QStandardItem] = {}
        self.retranslate()

    def retranslate(self) -> None:
        labels = {
            "all": tr("All polling stations"),
            "attention": tr("Needs attention"),
            "not_entered": tr("Not entered yet"),
            "entered": tr("Entered"),
            "disputed": tr("Disputed"),
            "rejected": tr("Rejected"),
        }
        current = self.filter.currentIndex()
        self.filter.blockSignals(True)
        self.filter.clear()
        for key in FILTERS:
            self.filter.addItem(labels[key], key)
        self.filter.setCurrentIndex(max(0, current))
        self.filter.blockSignals(False)
        self.search.setPlaceholderText(tr("Find a polling station (code or name)"))
        self.model.setHorizontalHeaderLabels([tr("Region / polling station"), tr("State")])
        for item in self.station_items.values():
            self._paint(item)

    def show_loading(self) -> None:
        self.model.removeRows(0, self.model.rowCount())
        self.model.appendRow([QStandardItem(tr("Loading the election…")), QStandardItem()])

    def set_election(self, election: ElectionOutline) -> None:
        self.election = election
        self.station_items = {}
        self.model.removeRows(0, self.model.rowCount())
        self._fill(self.model.invisibleRootItem(), None)
        # Open the levels above the districts: there are few of them.
        index = self.model.index(0, 0)
        while index.isValid() and index.data(CODE_ROLE) is not None:
            if index.data(LEVEL_ROLE) in ("district", "village"):
                break
            self.view.expand(index)
            index = self.model.index(0, 0, index)
        self.view.resizeColumnToContents(0)

    def _region_item(self, code: str, name: str, level: str) -> list[QStandardItem]:
        item = QStandardItem(name)
        item.setToolTip(code)
        item.setData(code, CODE_ROLE)
        item.setData("region", KIND_ROLE)
        item.setData(level, LEVEL_ROLE)
        item.setEditable(False)
        placeholder = QStandardItem("…")
        placeholder.setData("placeholder", KIND_ROLE)
        item.appendRow([placeholder, QStandardItem()])
        summary = QStandardItem()
        summary.setEditable(False)
        return [item, summary]

    def _fill(self, parent: QStandardItem, code: str | None) -> None:
        """One branch: a region's child regions, or a village's stations (indexed queries)."""
        children = region_service.children(self.ws, code)
        if children:
            villages = code is not None and any(c.level == "village" for c in children)
            counts = region_service.progress(self.ws, code) if villages and code else {}
            for child in children:
                row = self._region_item(child.code, child.name, child.level)
                if child.level == "village" and code is not None:
                    done, total = counts.get(child.code, (0, 0))
                    row[1].setText(f"{done}/{total}")
                parent.appendRow(row)
            return
        if code is None:
            return
        for station in region_service.stations_of(self.ws, code):
            item = QStandardItem(station.name)
            item.setToolTip(station.code)
            item.setData(station.code, CODE_ROLE)
            item.setData("station", KIND_ROLE)
            item.setEditable(False)
            state_item = QStandardItem()
            state_item.setEditable(False)
            item.setData(station.state, STATE_ROLE)
            parent.appendRow([item, state_item])
            self.station_items[station.code] = item
            self._paint(item)
        self.apply_filter()

    def _paint(self, item: QStandardItem) -> None:
        state = str(item.data(STATE_ROLE))
        parent = item.parent()
        if parent is None:
            return
        state_item = parent.child(item.row(), 1)
        if state_item is None:
            return
        state_item.setText(i18n.state_label(state))
        state_item.setForeground(QBrush(QColor(COLOURS.get(state, "#000000"))))

    def _expanded(self, index: QModelIndex) -> None:
        item = self.model.itemFromIndex(index)
        if item is None or item.rowCount() != 1:
            return
        first = item.child(0, 0)
        if first is None or first.data(KIND_ROLE) != "placeholder":
            return
        item.removeRow(0)
        self._fill(item, str(item.data(CODE_ROLE)))
        self.view.resizeColumnToContents(0)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        index = current.siblingAtColumn(0)
        code = index.data(CODE_ROLE)
        if code is None:
            return
        if index.data(KIND_ROLE) == "station":
            self.station_chosen.emit(str(code))
        else:
            self.region_chosen.emit(str(code))

    def refresh_station(self, station_code: str) -> None:
        """Re-read one station's state after a save or review."""
        item = self.station_items.get(station_code)
        if item is None or self.election is None:
            return
        state = region_service.station_state_of(self.ws, station_code)
        if state is not None:
            item.setData(state, STATE_ROLE)
            self._paint(item)

    def refresh_all(self) -> None:
        """Re-read the states of the loaded stations, a village at a time."""
        villages = {
            str(item.parent().data(CODE_ROLE))
            for item in self.station_items.values()
            if item.parent() is not None
        }
        for village in villages:
            for station in region_service.stations_of(self.ws, village):
                item = self.station_items.get(station.code)
                if item is not None:
                    item.setData(station.state, STATE_ROLE)
                    self._paint(item)

    def filter_changed(self) -> None:
        """Find the stations in the chosen state in the whole election and open their branches.

        Every station is read (0.5 s on 500,000), so on the quick worker thread when there
        is one; then at most REVEAL_LIMIT stations are opened, so "Needs attention" shows
        every dispute and rejection at once.
        """
        wanted = MATCHES.get(str(self.filter.currentData()))
        self.ancestors = None
        self.note.hide()
        if self.searching is not None:
            self.searching.cancel()
            self.searching = None
        if wanted is None or self.election is None:
            self.apply_filter()
            return
        key = str(self.filter.currentData())

        def work(ws: Workspace, handle: TaskHandle | None) -> tuple[list[str], set[str]]:
            return region_service.stations_in_state(
                ws, wanted, lambda: handle is not None and handle.cancelled
            )

        def done(result: tuple[list[str], set[str]]) -> None:
            if str(self.filter.currentData()) == key:
                self._show_matches(*result)

        if self.tasks is None:
            done(work(self.ws, None))
            return
        label = tr("Looking for the polling stations in this state…")
        self.note.setText(label)
        self.note.show()
        self.searching = self.tasks.run(label, work, done)

    def _show_matches(self, matches: list[str], ancestors: set[str]) -> None:
        self.searching = None
        self.ancestors = ancestors
        for code in matches[:REVEAL_LIMIT]:
            self._reveal(code)
        self.apply_filter()
        note = tr("Polling stations in this state: %1.").replace("%1", str(len(matches)))
        if len(matches) > REVEAL_LIMIT:
            note += " " + tr("The first %1 are opened in the tree.").replace(
                "%1", str(REVEAL_LIMIT)
            )
        self.note.setText(note)
        self.note.show()

    def apply_filter(self) -> None:
        """Hide the loaded rows that do not match the state filter and the search text."""
        wanted = MATCHES.get(str(self.filter.currentData()))
        needle = self.search.text().strip().lower()
        for code, item in self.station_items.items():
            state = str(item.data(STATE_ROLE))
            visible = (wanted is None or state in wanted) and (
                not needle or needle in code.lower() or needle in item.text().lower()
            )
            parent = item.parent()
            if parent is not None:
                self.view.setRowHidden(item.row(), parent.index(), not visible)
        self._hide_regions(self.model.invisibleRootItem())

    def _hide_regions(self, parent: QStandardItem) -> None:
        for row in range(parent.rowCount()):
            child = parent.child(row, 0)
            if child is None or child.data(KIND_ROLE) != "region":
                continue
            code = str(child.data(CODE_ROLE))
            hidden = self.ancestors is not None and code not in self.ancestors
            self.view.setRowHidden(row, parent.index(), hidden)
            if not hidden:
                self._hide_regions(child)

    def find_station(self) -> bool:
        """Enter in the search box opens the station whose code or name matches, anywhere.

        Codes match by their end too, so "2001.004" finds 32.01.01.2001.004; the search looks
        at the whole election (an indexed read of the codes), names at the loaded rows.
        """
        needle = self.search.text().strip().lower()
        if self.election is None or not needle:
            return False
        matches = region_service.find_stations(self.ws, needle, limit=1) or [
            code for code, item in self.station_items.items() if needle in item.text().lower()
        ]
        if not matches:
            return False
        self.select_station(sorted(matches)[0])
        return True

    def _reveal(self, station_code: str) -> QStandardItem | None:
        """Open the branches down to a station; its row, once loaded."""
        if self.election is None:
            return None
        parent_index = QModelIndex()
        for region in region_service.chain(self.ws, station_code):
            found = None
            for row in range(self.model.rowCount(parent_index)):
                index = self.model.index(row, 0, parent_index)
                if index.data(CODE_ROLE) == region:
                    found = index
                    break
            if found is None:
                return None
            if not self.view.isExpanded(found):
                self.view.expand(found)
            parent_index = found
        return self.station_items.get(station_code)

    def select_station(self, station_code: str) -> None:
        """Open the branches down to a station and select it (search, tests)."""
        item = self._reveal(station_code)
        if item is not None:
            self.view.setCurrentIndex(item.index())
