"""The supervisor's desk: every open problem of a region on one board, and a dispute decided
with both versions side by side.

The board is a tree of groups (disputes, tampering, revoked signers, rejections, objections,
not counted, missing stations), each titled with its count in the language's plural form. Enter
on a dispute opens the comparison: one column per version with its officer's name, officer id,
key id and signing time in local time with its zone, the fields that differ highlighted. The
supervisor picks the version that matches the paper and gives the reason; one signed step
approves it and rejects the others (``services.board.resolve_dispute``). Keyboard alone: arrows
and Enter on the board, then the version, Tab, the reason, Enter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.election import text
from recap_desktop.messages import problem_name
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import board as board_service
from recap_desktop.ui import i18n
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import (
    QAbstractItemView,
    QBrush,
    QColor,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFont,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
    alive,
    plain_tip,
)
from recap_desktop.ui.tasks import TaskHandle, TaskRunner

PLACE_ROLE = Qt.ItemDataRole.UserRole + 2
GROUP_ROLE = Qt.ItemDataRole.UserRole + 3  # a group row: its kind


DIFFERS = QColor("#ffe082")  # amber: a field whose values are not the same in every version


def local_time(utc: str) -> str:
    """A record's UTC time as this computer's local time with its zone (WIB, WITA, WIT…)."""
    try:
        moment = datetime.fromisoformat(utc.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return utc  # not a time: shown as the record says it
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


def group_title(kind: str, n: int) -> str:
    titles = {
        "dispute": lambda: tr("%n dispute(s): officers signed different numbers", "", n),
        "tampered": lambda: tr("%n station(s) with a tampered or missing record", "", n),
        "revoked": lambda: tr("%n station(s) with a revoked or forked signer", "", n),
        "rejected": lambda: tr("%n rejected sheet(s) waiting for a correction", "", n),
        "corrected": lambda: tr(
            "%n sheet(s) corrected after a supervisor's decision, not reviewed since", "", n
        ),
        "objection": lambda: tr("%n open objection(s)", "", n),
        "uncounted": lambda: tr("%n station(s) not counted for another reason", "", n),
        "missing": lambda: tr("%n station(s) not entered yet", "", n),
    }
    return titles[kind]()


class SupervisorDesk(QWidget):
    """The board of one region; a dispute opens ``DisputeDialog``."""

    resolved = Signal(str)  # station code
    loaded = Signal()  # a reload's board is in the tree (or its failure is said)

    def __init__(
        self,
        ws: Workspace,
        tasks: TaskRunner,
        get_key: Callable[[QWidget | None], SigningKey | None],
        role: str,
        region: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws, self.tasks, self.get_key, self.role = ws, tasks, get_key, role
        self.region = region
        self.board: board_service.Board | None = None
        self.pending: TaskHandle | None = None  # the reload whose board is awaited
        self.dialog: DisputeDialog | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.reload_button = QPushButton()
        self.reload_button.clicked.connect(self.reload)
        top.addWidget(self.title, 1)
        top.addWidget(self.reload_button)
        layout.addLayout(top)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemExpanded.connect(self._expanded)
        layout.addWidget(self.tree, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.retranslate()

    def retranslate(self) -> None:
        self.reload_button.setText(tr("Reload the board"))
        self.tree.setHeaderLabels([tr("Polling station or place"), tr("Contest"), tr("Why")])
        self._fill()

    def show_region(self, code: str) -> None:
        self.region = code
        self.reload()

    def reload(self) -> None:
        """Read the board again on the quick worker thread; the last request wins.

        Its queries cover every station of the region (~0.1 s on 20,000 records): on the
        GUI thread they stalled the window's first paint and every sync's reload."""
        if self.pending is not None:
            self.pending.cancel()
            self.pending = None
        region = self.region
        if region is None:
            self.board = None
            self._fill()
            self.loaded.emit()
            return

        def work(ws: Workspace, handle: TaskHandle) -> board_service.Board | None:
            if handle.cancelled:  # a newer reload is queued behind: skip the ~0.1 s read
                return None
            return board_service.board(ws, region)

        def prepare(handle: TaskHandle) -> None:
            handle.succeeded.connect(lambda board: self._arrived(handle, board))
            handle.failed.connect(lambda exc: self._arrived(handle, None, exc))
            self.pending = handle

        self.tasks.run(tr("Reading the board"), work, prepare=prepare)

    def _arrived(
        self,
        handle: TaskHandle,
        board: board_service.Board | None,
        exc: BaseException | None = None,
    ) -> None:
        if handle is not self.pending or not alive(self.tree):
            return  # a newer reload was asked for meanwhile, or the desk is gone
        self.pending = None
        self.board = board
        if exc is not None:
            why = exc.message(i18n.current()) if isinstance(exc, RecapError) else str(exc)
            self.message.setText(why)
        self._fill()
        self.loaded.emit()

    def _fill(self) -> None:
        # A reload (the officer's, or after a background sync) keeps the supervisor's place:
        # the problem they stood on, if it is still there, and the groups they opened or
        # shut. Standing on no problem (a group), they see the most urgent group first, as
        # on opening: a dispute that just came in is where the cursor is.
        current = self.tree.currentItem()
        was_on = current.data(0, PLACE_ROLE) if current is not None else None
        opened = {
            g.data(0, GROUP_ROLE): g.isExpanded()
            for g in (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
            if g is not None
        }
        self.tree.clear()
        if self.board is None:
            self.title.setText(tr("Choose a region in the tree to see its open problems."))
            return
        b = self.board
        self.title.setText(
            tr("Open problems in %1: %n", "", b.total).replace("%1", b.region)
            if b.total
            else tr("No open problem in %1.").replace("%1", b.region)
        )
        bold = QFont(self.tree.font())
        bold.setBold(True)
        first: QTreeWidgetItem | None = None
        stay: QTreeWidgetItem | None = None
        for kind in board_service.GROUPS:
            items = b.groups[kind]
            if not items:
                continue
            group = QTreeWidgetItem([group_title(kind, len(items))])
            group.setData(0, GROUP_ROLE, kind)
            group.setFont(0, bold)
            urgent = kind in ("dispute", "tampered", "revoked")
            group.setForeground(0, QBrush(QColor("#c62828" if urgent else "#8a5300")))
            self.tree.addTopLevelItem(group)
            group.setFirstColumnSpanned(True)
            # Disputes and tampering open; the long list of stations still to come stays shut,
            # and a shut group's rows are made when it opens (thousands of rows: a stall).
            shut = not opened.get(kind, kind != "missing")
            if shut and not (was_on and was_on[0] == kind):
                group.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
            else:
                stay = self._add_rows(group, items, was_on) or stay
            group.setExpanded(not shut)
            first = first or group
        if stay is not None:
            self.tree.setCurrentItem(stay)
        elif first is not None:
            self.tree.setCurrentItem(first)

    def _add_rows(
        self, group: QTreeWidgetItem, items: list[board_service.BoardItem], was_on: object
    ) -> QTreeWidgetItem | None:
        """Put a group's problems under it; returns the row of ``was_on``, if there is one."""
        lang = i18n.current()
        stay = None
        rows = []
        for item in items:
            why = item.subject or ", ".join(problem_name(k, lang) for k in item.reasons)
            if item.officers:
                why = tr("signed differently by %1").replace("%1", " ≠ ".join(item.officers))
            row = QTreeWidgetItem([item.station, item.contest, why])
            place = (item.kind, item.station, item.contest)
            row.setData(0, PLACE_ROLE, place)
            row.setToolTip(2, plain_tip(why))
            rows.append(row)
            if place == was_on:
                stay = row
        group.addChildren(rows)
        return stay

    def _expanded(self, group: QTreeWidgetItem) -> None:
        """A shut group opened: its rows are made now."""
        kind = group.data(0, GROUP_ROLE)
        if kind and group.childCount() == 0 and self.board is not None:
            self._add_rows(group, self.board.groups[kind], None)

    def _activated(self, item: QTreeWidgetItem) -> None:
        place = item.data(0, PLACE_ROLE)
        if not place:
            item.setExpanded(not item.isExpanded())
            return
        kind, station, contest = place
        if kind == "dispute":
            self.open_dispute(station, contest)

    def open_dispute(self, station: str, contest: str) -> DisputeDialog | None:
        try:
            d = board_service.dispute(self.ws, station, contest)
        except RecapError as exc:
            self.message.setText(exc.message(i18n.current()))
            return None
        dialog = DisputeDialog(d, self.role == "supervisor", self)
        dialog.decided.connect(lambda chosen, reason: self._resolve(dialog, chosen, reason))
        self.dialog = dialog
        dialog.open()  # window-modal, and the event loop keeps running
        return dialog

    def _resolve(self, dialog: DisputeDialog, chosen: str, reason: str) -> None:
        """Sign on the quick worker thread (it has its own connection): the write may wait
        behind a sync's commit, and the window keeps painting meanwhile."""
        key = self.get_key(self)
        if key is None:
            return
        d = dialog.dispute

        def work(ws: Workspace, handle: TaskHandle) -> None:
            board_service.resolve_dispute(ws, key, d.station, d.contest, chosen, reason)

        def failed(exc: BaseException) -> None:
            dialog.sign_button.setEnabled(True)
            text = exc.message(i18n.current()) if isinstance(exc, RecapError) else str(exc)
            dialog.say(text)

        dialog.sign_button.setEnabled(False)
        dialog.say("")
        self.tasks.run(
            tr("Signing the decision"), work, lambda _: self._resolved(dialog, chosen), failed
        )

    def _resolved(self, dialog: DisputeDialog, chosen: str) -> None:
        d = dialog.dispute
        dialog.accept()
        version = next(v for v in d.versions if v.hash == chosen)
        self.message.setText(
            tr("Signed: version of %1 approved, the other rejected. %2 is counted.")
            .replace("%1", version.officer or version.signer[:12])
            .replace("%2", d.station)
        )
        self.reload()
        self.resolved.emit(d.station)
        self.tree.setFocus()


class DisputeDialog(QDialog):
    """The versions of one disputed sheet side by side; choose one, give the reason, sign."""

    decided = Signal(str, str)  # chosen version's hash, reason

    def __init__(
        self, dispute: board_service.Dispute, may_decide: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.dispute = dispute
        lang = i18n.current()
        self.setWindowTitle(
            tr("Dispute at %1 · %2").replace("%1", dispute.station).replace("%2", dispute.contest)
        )
        layout = QVBoxLayout(self)
        intro = QLabel(
            tr(
                "%n field(s) differ (highlighted). Compare with the paper C.Hasil, then approve "
                "the version that matches it; the others are rejected with your reason.",
                "",
                len(dispute.differing),
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        versions = dispute.versions
        self.table = QTableWidget(len(dispute.fields), len(versions))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setHorizontalHeaderLabels([self.heading(i, v) for i, v in enumerate(versions)])
        self.table.setVerticalHeaderLabels([text(label, lang) for _, label in dispute.fields])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        bold = QFont(self.table.font())
        bold.setBold(True)
        for row, (fid, _) in enumerate(dispute.fields):
            differs = fid in dispute.differing
            for column, v in enumerate(versions):
                value = v.values.get(fid)
                cell = QTableWidgetItem("—" if value is None else str(value))
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if differs:
                    cell.setBackground(QBrush(DIFFERS))
                    cell.setFont(bold)
                    cell.setToolTip(tr("The versions differ here"))
                self.table.setItem(row, column, cell)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # read, not a stop for the Tab key
        layout.addWidget(self.table, 1)
        form = QFormLayout()
        self.choice = QComboBox()
        for i, v in enumerate(versions):
            self.choice.addItem(
                tr("Version %1: %2 (%3)")
                .replace("%1", str(i + 1))
                .replace("%2", v.officer or tr("unknown officer"))
                .replace("%3", v.officer_id or v.signer[:12]),
                v.hash,
            )
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(tr("e.g. the paper shows 120 votes for 01, not 102"))
        chosen_label = QLabel(tr("&Approve the version of:"))
        chosen_label.setBuddy(self.choice)
        reason_label = QLabel(tr("&Reason for rejecting the other(s):"))
        reason_label.setBuddy(self.reason)
        form.addRow(chosen_label, self.choice)
        form.addRow(reason_label, self.reason)
        layout.addLayout(form)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #c62828;")
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox()
        self.sign_button = self.buttons.addButton(
            tr("Approve and reject (signs)"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_button.setDefault(True)
        self.sign_button.setEnabled(may_decide)
        cancel = self.buttons.addButton(tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setAutoDefault(False)
        self.buttons.accepted.connect(self._decide)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        if not may_decide:
            self.say(tr("Only a supervisor decides a dispute."))
        self.resize(760, 640)
        self.choice.setFocus()

    def heading(self, index: int, v: board_service.Version) -> str:
        """Who signed the version and when, as a column heading of three lines."""
        officer = v.officer or tr("unknown officer")
        head = tr("Version %1: %2").replace("%1", str(index + 1)).replace("%2", officer)
        ident = tr("officer id %1").replace("%1", v.officer_id or "—")
        key = tr("key %1").replace("%1", v.signer[:16])
        when = local_time(v.time)
        if v.standing is not None:
            when += " · " + tr("does not count")
        return f"{head}\n{ident}\n{key}\n{when}"

    def say(self, message: str) -> None:
        self.status.setText(message)

    def _decide(self) -> None:
        reason = self.reason.text().strip()
        if not reason:
            self.say(tr("Give the reason for rejecting the other version(s)."))
            self.reason.setFocus()
            return
        self.decided.emit(str(self.choice.currentData()), reason)
