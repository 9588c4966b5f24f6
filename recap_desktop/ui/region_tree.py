"""The region tree (regency > district > village > polling station) with each station's state.

Children are made when a branch is first expanded, so a national election with hundreds of
thousands of stations opens at once: a village's stations cost one indexed query when its
row opens. The filters apply to the station rows that are loaded.
"""

from __future__ import annotations

from recap_desktop.domain.election import Election
from recap_desktop.domain.status import NOT_ENTERED, station_state
from recap_desktop.services import Workspace
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

CODE_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2  # region | station | placeholder
STATE_ROLE = Qt.ItemDataRole.UserRole + 3
COLOURS = {
    "not_entered": "#757575",
    "signed": "#2e7d32",
    "corrected": "#1565c0",
    "approved": "#1b5e20",
    "rejected": "#c62828",
    "disputed": "#c62828",
    "partial": "#ef6c00",
}
REVEAL_LIMIT = 300  # stations a state filter opens in the tree at most
FILTERS = ("all", "attention", "not_entered", "entered", "disputed", "rejected")
MATCHES = {
    "all": None,
    "attention": {"disputed", "rejected", "partial"},
    "not_entered": {"not_entered", "partial"},
    "entered": {"signed", "corrected", "approved"},
    "disputed": {"disputed"},
    "rejected": {"rejected"},
}


class RegionPanel(QWidget):
    """The tree with its two filters; emits the chosen region or station code."""

    region_chosen = Signal(str)
    station_chosen = Signal(str)

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.election: Election | None = None
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

    def set_election(self, election: Election) -> None:
        self.election = election
        self.station_items = {}
        self.model.removeRows(0, self.model.rowCount())
        self._fill(self.model.invisibleRootItem(), None)
        # Open the levels above the districts: there are few of them.
        index = self.model.index(0, 0)
        while index.isValid() and index.data(CODE_ROLE) is not None:
            code = index.data(CODE_ROLE)
            if election.regions[code].level in ("district", "village"):
                break
            self.view.expand(index)
            index = self.model.index(0, 0, index)
        self.view.resizeColumnToContents(0)

    def _region_item(self, code: str) -> list[QStandardItem]:
        assert self.election is not None
        region = self.election.regions[code]
        item = QStandardItem(region.name)
        item.setToolTip(code)
        item.setData(code, CODE_ROLE)
        item.setData("region", KIND_ROLE)
        item.setEditable(False)
        placeholder = QStandardItem("…")
        placeholder.setData("placeholder", KIND_ROLE)
        item.appendRow([placeholder, QStandardItem()])
        summary = QStandardItem()
        summary.setEditable(False)
        return [item, summary]

    def _fill(self, parent: QStandardItem, code: str | None) -> None:
        assert self.election is not None
        children = self.election.children(code)
        if children:
            states = self.ws.store.states_within(code) if code is not None else {}
            for child in children:
                row = self._region_item(child)
                if self.election.regions[child].level == "village" and code is not None:
                    stations = self.election.stations_of(child)
                    done = sum(
                        1
                        for s in stations
                        if all((s, c) in states for c in self.election.stations[s].contests)
                    )
                    row[1].setText(f"{done}/{len(stations)}")
                parent.appendRow(row)
            return
        if code is None:
            return
        states = self.ws.store.states_within(code)
        for station_code in self.election.stations_of(code):
            station = self.election.stations[station_code]
            item = QStandardItem(station.name)
            item.setToolTip(station_code)
            item.setData(station_code, CODE_ROLE)
            item.setData("station", KIND_ROLE)
            item.setEditable(False)
            state_item = QStandardItem()
            state_item.setEditable(False)
            item.setData(station_state(self._contest_states(station_code, states)), STATE_ROLE)
            parent.appendRow([item, state_item])
            self.station_items[station_code] = item
            self._paint(item)
        self.apply_filter()

    def _contest_states(self, station_code: str, states: dict[tuple[str, str], str]) -> list[str]:
        assert self.election is not None
        contests = self.election.stations[station_code].contests
        return [states.get((station_code, c), NOT_ENTERED) for c in contests]

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
        village = self.election.stations[station_code].region
        states = self.ws.store.states_within(village)
        item.setData(station_state(self._contest_states(station_code, states)), STATE_ROLE)
        self._paint(item)

    def refresh_all(self) -> None:
        for code in list(self.station_items):
            self.refresh_station(code)

    def filter_changed(self) -> None:
        """Find the stations in the chosen state in the whole election and open their branches.

        One query for every entered sheet (80 ms on 100,000), then at most REVEAL_LIMIT
        stations are opened, so "Needs attention" shows every dispute and rejection at once.
        """
        wanted = MATCHES.get(str(self.filter.currentData()))
        self.ancestors = None
        self.note.hide()
        if wanted is None or self.election is None:
            self.apply_filter()
            return
        entered = self.ws.store.states_within(None)
        matches = sorted(
            code
            for code, station in self.election.stations.items()
            if station_state([entered.get((code, c), NOT_ENTERED) for c in station.contests])
            in wanted
        )
        ancestors: set[str] = set()
        for code in matches:
            region: str | None = self.election.stations[code].region
            while region is not None and region not in ancestors:
                ancestors.add(region)
                region = self.election.regions[region].parent
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
        at the whole election, not only the branches already open.
        """
        needle = self.search.text().strip().lower()
        if self.election is None or not needle:
            return False
        matches = [
            code
            for code, station in self.election.stations.items()
            if code.endswith(needle) or code == needle
        ] or [
            code
            for code, station in self.election.stations.items()
            if needle in station.name.lower() and code in self.station_items
        ]
        if not matches:
            return False
        self.select_station(sorted(matches)[0])
        return True

    def _reveal(self, station_code: str) -> QStandardItem | None:
        """Open the branches down to a station; its row, once loaded."""
        if self.election is None:
            return None
        chain: list[str] = []
        code: str | None = self.election.stations[station_code].region
        while code is not None:
            chain.append(code)
            code = self.election.regions[code].parent
        parent_index = QModelIndex()
        for region in reversed(chain):
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
