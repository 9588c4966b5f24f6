"""The supervisor's view: every record with its verification state, approve or reject, problems.

Verification of the whole store runs on the long worker thread with progress and cancel
(25 seconds for 100,000 records on a laptop); the table is a model, so 100,000 rows cost
nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from recap_desktop.crypto.envelope import Record
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.messages import local_time, problem_name
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services.review import (
    CHECKS,
    NOTICES,
    OpenProblem,
    RecordCheck,
    ReviewReport,
)
from recap_desktop.ui import i18n
from recap_desktop.ui.dialogs import ask_text
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import (
    QAbstractItemView,
    QAbstractTableModel,
    QBrush,
    QCheckBox,
    QColor,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QModelIndex,
    QPersistentModelIndex,
    QPushButton,
    QSortFilterProxyModel,
    QSplitter,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
    plain_tip,
)
from recap_desktop.ui.tasks import SHOW_PROGRESS_AFTER_MS, TaskHandle, TaskRunner

AskText = Callable[[QWidget | None, str, bool], str | None]
HASH_ROLE = Qt.ItemDataRole.UserRole + 1
DISPUTE_ROLE = Qt.ItemDataRole.UserRole + 3  # (station, contest) of a dispute's problem line
Index = QModelIndex | QPersistentModelIndex


def ask_review_reason(parent: QWidget | None, title: str, required: bool) -> str | None:
    while True:
        reason = ask_text(
            parent,
            title,
            tr("Reason (required for a rejection):") if required else tr("Note (optional):"),
            multiline=True,
        )
        if reason is None:
            return None
        if reason.strip() or not required:
            return reason.strip()


class RecordModel(QAbstractTableModel):
    COLUMNS = ("time", "station", "contest", "type", "officer", *CHECKS)

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RecordCheck] = []

    def set_rows(self, rows: list[RecordCheck]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        names = {
            "time": tr("Time"),
            "station": tr("Polling station"),
            "contest": tr("Contest"),
            "type": tr("Record"),
            "officer": tr("Officer"),
            "signature": tr("Signature"),
            "chain": tr("Chain"),
            "certificate": tr("Certificate"),
            "authority": tr("Role and region"),
            "form": tr("Form rules"),
        }
        return names[self.COLUMNS[section]]

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        column = self.COLUMNS[index.column()]
        if role == HASH_ROLE:
            return r.hash
        if role == Qt.ItemDataRole.ForegroundRole and column in CHECKS:
            kinds = r.checks.get(column, ())
            if not kinds:
                return QBrush(QColor("#2e7d32"))
            return QBrush(QColor("#8a5300" if set(kinds) <= NOTICES else "#c62828"))
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if column in CHECKS:
            kinds = r.checks.get(column, ())
            return ", ".join(problem_name(k, i18n.current()) for k in kinds) if kinds else "✓"
        if column == "type":
            if r.type == "sheet":
                return tr("correction") if r.supersedes else tr("sheet")
            if r.type == "review":
                return tr("approval") if r.decision == "approve" else tr("rejection")
            return tr("damaged row")
        if column == "officer":
            return r.officer or r.signer[:12]
        if column == "time" and r.time:
            return local_time(r.time)  # the laptop's zone, named
        value = getattr(r, column)
        return value or "—"

    def check(self, row: int) -> RecordCheck:
        return self.rows[row]


class ProblemFilter(QSortFilterProxyModel):
    def __init__(self) -> None:
        super().__init__()
        self.only_problems = False
        self.needle = ""
        # Stations with an open problem (a dispute, a rejection): their sheets verify, yet
        # they are what a supervisor ticking "only problems" came to see.
        self.problem_places: set[tuple[str | None, str | None]] = set()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, RecordModel)
        r = model.check(source_row)
        if self.only_problems and r.ok and (r.station, r.contest) not in self.problem_places:
            return False
        return not self.needle or self.needle in (r.station or "")


class SupervisorView(QWidget):
    reviewed = Signal(str)  # station code
    verified = Signal(object)  # ReviewReport
    compare = Signal(str, str)  # a dispute's station and contest: open its versions side by side

    def __init__(
        self,
        ws: Workspace,
        tasks: TaskRunner,
        get_key: Callable[[QWidget | None], SigningKey | None],
        role: str,
        ask: AskText = ask_review_reason,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws, self.tasks, self.get_key, self.role, self.ask = ws, tasks, get_key, role, ask
        self.reviewing: TaskHandle | None = None  # the review being signed, off the GUI thread
        self.report: ReviewReport | None = None
        self.bad = 0  # records of the report with a problem (counted on the worker thread)
        self.running: TaskHandle | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.verify_button = QPushButton()
        self.verify_button.clicked.connect(self.start_verification)
        self.only_problems = QCheckBox()
        self.only_problems.toggled.connect(self._filter)
        self.search = QLineEdit()
        self.search.textChanged.connect(self._filter)
        self.summary = QLabel()
        top.addWidget(self.verify_button)
        top.addWidget(self.only_problems)
        top.addWidget(self.search, 1)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = RecordModel()
        self.proxy = ProblemFilter()
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # Fitting a column asks Python for each sampled row's text (1,000 rows by default:
        # 0.3 s on the GUI thread); 50 rows are enough to fit codes, times and names.
        header.setResizeContentsPrecision(50)
        self.table.selectionModel().currentRowChanged.connect(self._update_buttons)
        split.addWidget(self.table)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        buttons = QHBoxLayout()
        self.approve_button = QPushButton()
        self.approve_button.clicked.connect(lambda: self.review_selected("approve"))
        self.reject_button = QPushButton()
        self.reject_button.clicked.connect(lambda: self.review_selected("reject"))
        self.problems_title = QLabel()
        buttons.addWidget(self.problems_title, 1)
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.reject_button)
        lower_layout.addLayout(buttons)
        self.problems = QListWidget()
        self.problems.itemActivated.connect(self._problem_activated)
        lower_layout.addWidget(self.problems)
        split.addWidget(lower)
        split.setSizes([400, 200])
        layout.addWidget(split, 1)
        self.retranslate()
        self._update_buttons()

    def retranslate(self) -> None:
        self.verify_button.setText(tr("Verify every record"))
        self.only_problems.setText(tr("Only records with problems"))
        self.search.setPlaceholderText(tr("Polling station code"))
        self.approve_button.setText(tr("Approve sheet…"))
        self.reject_button.setText(tr("Reject sheet…"))
        self.problems_title.setText(tr("Open problems"))
        self.model.headerDataChanged.emit(
            Qt.Orientation.Horizontal, 0, len(RecordModel.COLUMNS) - 1
        )
        if self.report is None:
            self.summary.setText(tr("Not verified yet in this session."))
        else:
            self._show_report(self.report)

    def _filter(self) -> None:
        """The table shows the model itself unless a filter is set: the proxy asks Python
        about every row, which on a national store is seconds on the GUI thread."""
        self.proxy.only_problems = self.only_problems.isChecked()
        self.proxy.needle = self.search.text().strip()
        self.proxy.invalidate()
        wanted = self.proxy if self.proxy.only_problems or self.proxy.needle else self.model
        if self.table.model() is not wanted:
            self.table.setModel(wanted)
            self.table.selectionModel().currentRowChanged.connect(self._update_buttons)
            self._update_buttons()

    def start_verification(self) -> TaskHandle:
        """Verify the whole store on the long worker thread; the status bar shows progress."""
        if self.running is not None:
            return self.running
        self.summary.setText(tr("Verifying every record…"))

        def work(ws: Workspace, handle: TaskHandle) -> tuple[ReviewReport, int]:
            # In a child process: parsing every record holds the GIL and hundreds of MB.
            # (Imported here, on the worker thread: multiprocessing is not needed to show.)
            from recap_desktop.services.review_process import review_store_apart

            report = review_store_apart(ws.data_dir, handle.progress, lambda: handle.cancelled)
            return report, sum(1 for r in report.records if not r.ok)

        def prepare(handle: TaskHandle) -> None:
            handle.ended.connect(lambda: self._ended(handle))
            self.running = handle

        handle = self.tasks.run(
            tr("Verifying every record"),
            work,
            self._verified,
            self._failed,
            slow=True,
            prepare=prepare,
        )
        self.verify_button.setEnabled(False)
        return handle

    def _ended(self, handle: TaskHandle | None = None) -> None:
        """The run is over; a late ``ended`` of an older run leaves a newer one alone."""
        if handle is None or self.running is handle:
            self.running = None
            self.verify_button.setEnabled(True)

    def _failed(self, exc: BaseException) -> None:
        self._ended()
        message = exc.message(i18n.current()) if isinstance(exc, RecapError) else str(exc)
        self.summary.setText(tr("Verification failed: %1").replace("%1", message))

    def _verified(self, result: tuple[ReviewReport, int]) -> None:
        self._ended()  # the result is in: another verification may start at once
        report, self.bad = result
        if report.cancelled:
            self.summary.setText(tr("Verification cancelled."))
            return
        self.report = report
        self.model.set_rows(report.records)
        self._size_columns()
        self._show_report(report)
        self.verified.emit(report)

    def _size_columns(self) -> None:
        """Fit the identifying columns; the check columns stay narrow (full text as tooltip)."""
        for column, name in enumerate(RecordModel.COLUMNS):
            if name in CHECKS:
                hint = self.table.horizontalHeader().sectionSizeHint(column)
                self.table.setColumnWidth(column, max(90, hint))
            else:
                self.table.resizeColumnToContents(column)

    def _show_report(self, report: ReviewReport) -> None:
        bad = self.bad
        self.summary.setText(
            tr("%n record(s) verified", "", report.verified)
            + "; "
            + tr("%n with problems", "", bad)
            + "; "
            + tr("%n open problem(s).", "", len(report.problems))
        )
        self.problems.clear()
        self.proxy.problem_places = {(p.station, p.contest) for p in report.problems if p.station}
        self.proxy.invalidate()
        for p in report.problems:
            item = QListWidgetItem(self._problem_text(p))
            item.setToolTip(plain_tip(p.detail))  # the verifier's detail, in English
            item.setData(HASH_ROLE, p.station)
            if p.kind == "dispute" and p.station and p.contest:
                item.setData(DISPUTE_ROLE, (p.station, p.contest))
            urgent = ("tampered", "unverifiable", "dispute", "uncounted", "revoked", "forked")
            colour = "#c62828" if p.kind in urgent else "#8a5300"
            item.setForeground(QBrush(QColor(colour)))
            self.problems.addItem(item)
        self._show_open_objections()

    def _show_open_objections(self) -> None:
        """Witnesses' objections no chair has ruled on yet: they block their D.Hasil."""
        from recap_desktop.services.plenary import open_objections

        try:
            found = open_objections(self.ws)
        except RecapError:
            return
        for o in found:
            who = f" ({o.witness['name']}, {o.witness['represents']})" if o.witness else ""
            item = QListWidgetItem(
                tr("Open objection at %1%2: %3")
                .replace("%1", o.place)
                .replace("%2", who)
                .replace("%3", o.subject)
            )
            item.setData(HASH_ROLE, o.place)
            item.setForeground(QBrush(QColor("#6a1b9a")))
            self.problems.addItem(item)

    def _problem_text(self, p: OpenProblem) -> str:
        kinds = {
            "tampered": tr("Tampered or missing record"),
            "unverifiable": tr("Record does not verify"),
            "dispute": tr("Dispute: officers signed different sheets"),
            "rejected": tr("Sheet rejected, waiting for a correction"),
            "warning": tr("Warning acknowledged by the officer"),
            "uncounted": tr("Not counted: needs attention"),
            "revoked": tr("Signer revoked: record does not count"),
            "forked": tr("Signer forked its chain: record does not count"),
        }
        where = " · ".join(x for x in (p.station, p.contest) if x)
        record = f" [{p.record[:12]}]" if p.record else ""
        text = f"{kinds.get(p.kind, p.kind)}: {where}{record}"
        kind = p.detail.split(":", 1)[0]
        if p.kind in ("tampered", "unverifiable"):
            text += " — " + problem_name(kind, i18n.current())
        elif p.kind == "warning":
            text += " — " + p.detail
        elif p.kind == "uncounted":
            text += " — " + ", ".join(
                problem_name(why.strip(), i18n.current()) for why in p.detail.split(",")
            )
        return text

    def _problem_activated(self, item: QListWidgetItem) -> None:
        station = item.data(HASH_ROLE)
        if station:
            self.search.setText(str(station))
        dispute = item.data(DISPUTE_ROLE)
        if dispute:  # the versions side by side, on the supervisor's desk
            self.compare.emit(*dispute)

    def selected(self) -> RecordCheck | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        if self.table.model() is self.proxy:
            index = self.proxy.mapToSource(index)
        return self.model.check(index.row())

    def select_record(self, hash_: str) -> bool:
        shown = self.table.model()
        for row in range(shown.rowCount()):
            index = shown.index(row, 0)
            if index.data(HASH_ROLE) == hash_:
                self.table.setCurrentIndex(index)
                return True
        return False

    def _update_buttons(self) -> None:
        r = self.selected()
        allowed = self.role == "supervisor" and r is not None and r.type == "sheet"
        self.approve_button.setEnabled(allowed)
        self.reject_button.setEnabled(allowed)

    def review_selected(self, decision: str) -> bool:
        """Approve or reject the selected sheet with the supervisor's signature."""
        r = self.selected()
        if r is None or r.type != "sheet" or r.station is None:
            return False
        title = tr("Approve sheet") if decision == "approve" else tr("Reject sheet")
        reason = self.ask(self, title, decision == "reject")
        if reason is None:
            return False
        key = self.get_key(self)
        if key is None:
            return False
        if self.reviewing is not None:
            return False  # one signature at a time

        def work(ws: Workspace, handle: TaskHandle) -> tuple[Record, dict[str, Any]]:
            """Signed and stored on the task runner's thread: the store may wait behind a
            sync commit, and the window keeps painting."""
            record = sheet_service.review_sheet(ws, key, r.hash, decision, reason or None)
            status = sheet_service.sheet_state(ws, r.station or "", r.contest or "")
            return record, status

        def failed(exc: BaseException) -> None:
            self.reviewing = None
            message = exc.message(i18n.current()) if isinstance(exc, RecapError) else str(exc)
            self.summary.setText(message)

        self.reviewing = self.tasks.run(
            title,
            work,
            lambda done: self._reviewed(r, decision, reason, title, *done),
            failed,
            show_after_ms=SHOW_PROGRESS_AFTER_MS,
        )
        return True

    def _reviewed(
        self,
        r: RecordCheck,
        decision: str,
        reason: str | None,
        title: str,
        record: Record,
        status: dict[str, Any],
    ) -> None:
        self.reviewing = None
        self.model.beginInsertRows(QModelIndex(), len(self.model.rows), len(self.model.rows))
        self.model.rows.append(
            RecordCheck(
                hash=record.hash,
                type="review",
                station=r.station,
                contest=r.contest,
                signer=record.signer,
                officer=None,
                seq=record.seq,
                time=record.payload.get("time"),
                decision=decision,
                reason=reason or None,
                supersedes=None,
                warnings=(),
                checks={k: () for k in CHECKS},
            )
        )
        self.model.endInsertRows()
        self.reviewed.emit(r.station)
