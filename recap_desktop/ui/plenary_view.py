"""The plenary screen: the chair of a level sees its children (stations or sub-regions) with
their state, the totals forming, what blocks closing, records witnesses' objections and rules
on them, signs the D.Hasil when it can close, and prints it (preview or PDF).

Every action calls the same service as `recap dhasil` and `recap objection`
(``services/plenary.py``); the printed form is ``services/printing.py`` painted by
``ui/printing.py``. Forms are inline, not modal, so the keyboard and the tests drive them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from recap_desktop.crypto.envelope import Record
from recap_desktop.domain.election import text
from recap_desktop.domain.status import DISPUTED
from recap_desktop.messages import local_time
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import plenary as plenary_service
from recap_desktop.services import printing as printing_service
from recap_desktop.services.plenary import Plenary
from recap_desktop.ui import i18n
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.keyholder import KeyHolder
from recap_desktop.ui.qt import (
    QAbstractItemView,
    QCheckBox,
    QColor,
    QComboBox,
    QFileDialog,
    QFont,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from recap_desktop.ui.tasks import SHOW_PROGRESS_AFTER_MS, TaskRunner

_COLORS = {"counted": "#dff0d8", DISPUTED: "#f8d7da", "pending": "#fff3cd"}


class PlenaryView(QWidget):
    """One region's plenary, for one contest at a time."""

    signed = Signal(object)  # the D.Hasil Record
    changed = Signal()  # an objection or ruling recorded

    def __init__(
        self,
        ws: Workspace,
        keys: KeyHolder,
        parent: QWidget | None = None,
        tasks: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.keys = keys
        # Signing and storing happen on the runner's thread (the store may wait behind a
        # sync's commit); without a runner (a bare view), on this one.
        self.tasks = tasks
        self.signing: object | None = None  # one signature at a time
        self.region: str | None = None
        self.state: Plenary | None = None
        layout = QVBoxLayout(self)
        self.title = QLabel()
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSize(font.pointSize() + 2)
        self.title.setFont(font)
        layout.addWidget(self.title)
        row = QHBoxLayout()
        self.contest = QComboBox()
        self.contest.currentIndexChanged.connect(self.refresh)
        self.basis = QComboBox()
        self.basis.currentIndexChanged.connect(self.refresh)
        self.status = QLabel()
        self.status.setWordWrap(True)
        row.addWidget(self.contest, 2)
        row.addWidget(self.basis, 1)
        row.addWidget(self.status, 3)
        layout.addLayout(row)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.children_table = _table(4)
        self.totals_table = _table(3)
        split.addWidget(self.children_table)
        split.addWidget(self.totals_table)
        split.setSizes([520, 420])
        layout.addWidget(split, 3)
        self.blockers = QLabel()
        self.blockers.setWordWrap(True)
        self.blockers.setStyleSheet("color: #8a1c1c;")
        layout.addWidget(self.blockers)

        self.objections_box = QGroupBox()
        ob = QVBoxLayout(self.objections_box)
        self.objections_table = _table(5)
        ob.addWidget(self.objections_table, 2)
        forms = QHBoxLayout()
        file_box = QWidget()
        ff = QFormLayout(file_box)
        self.place = QComboBox()
        self.kind = QComboBox()
        self.witness = QLineEdit()
        self.represents = QComboBox()
        self.represents.setEditable(True)
        self.paper = QLineEdit()
        self.subject = QLineEdit()
        self.file_button = QPushButton()
        self.file_button.clicked.connect(self.file_objection)
        self._file_labels = [QLabel() for _ in range(6)]
        for label, field in zip(
            self._file_labels,
            (self.place, self.kind, self.witness, self.represents, self.paper, self.subject),
            strict=True,
        ):
            ff.addRow(label, field)
        ff.addRow(self.file_button)
        rule_box = QWidget()
        rf = QFormLayout(rule_box)
        self.decision = QComboBox()
        self.ruling_reason = QLineEdit()
        self.rule_button = QPushButton()
        self.rule_button.clicked.connect(self.rule)
        self._rule_labels = [QLabel(), QLabel()]
        rf.addRow(self._rule_labels[0], self.decision)
        rf.addRow(self._rule_labels[1], self.ruling_reason)
        rf.addRow(self.rule_button)
        forms.addWidget(file_box, 3)
        forms.addWidget(rule_box, 2)
        ob.addLayout(forms)
        layout.addWidget(self.objections_box, 3)

        actions = QHBoxLayout()
        self.interim = QCheckBox()
        self.reason = QLineEdit()
        self.sign_button = QPushButton()
        self.sign_button.clicked.connect(self.sign)
        self.preview_button = QPushButton()
        self.preview_button.clicked.connect(self.preview)
        self.pdf_button = QPushButton()
        self.pdf_button.clicked.connect(self._pdf_clicked)
        self.interim.toggled.connect(self._enable_sign)
        actions.addWidget(self.interim)
        actions.addWidget(self.reason, 2)
        actions.addWidget(self.sign_button)
        actions.addWidget(self.preview_button)
        actions.addWidget(self.pdf_button)
        layout.addLayout(actions)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.retranslate()

    # -- texts ------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.children_table.setHorizontalHeaderLabels(
            [tr("Code"), tr("Name"), tr("State"), tr("Record counted")]
        )
        self.totals_table.setHorizontalHeaderLabels(
            [tr("Line of the form"), tr("Forming"), tr("Signed D.Hasil")]
        )
        self.objections_table.setHorizontalHeaderLabels(
            [tr("Kind"), tr("Place"), tr("Witness"), tr("What is contested"), tr("Ruling")]
        )
        self.objections_box.setTitle(tr("Witnesses' objections and incidents"))
        for label, name in zip(
            self._file_labels,
            (
                tr("Place"),
                tr("Kind"),
                tr("Witness's name"),
                tr("Party or candidate"),
                tr("Paper form (D.Kejadian Khusus No.)"),
                tr("What is contested"),
            ),
            strict=True,
        ):
            label.setText(name)
        self.file_button.setText(tr("Record and sign the objection"))
        self._rule_labels[0].setText(tr("Ruling"))
        self._rule_labels[1].setText(tr("Reason of the ruling"))
        self.rule_button.setText(tr("Sign the ruling on the chosen objection"))
        _fill(self.kind, [("objection", tr("Objection")), ("incident", tr("Incident"))])
        _fill(
            self.decision,
            [
                ("accepted", tr("Accepted: the count is corrected")),
                ("rejected", tr("Rejected: the count stands")),
                ("noted", tr("Noted")),
            ],
        )
        _fill(
            self.basis,
            [
                ("", tr("Default basis")),
                ("sheets", tr("From the sheets (C.Hasil)")),
                ("recaps", tr("From the D.Hasil below")),
            ],
        )
        self.interim.setText(tr("Interim (the plenary stays open)"))
        self.reason.setPlaceholderText(tr("Reason, when it replaces your earlier D.Hasil"))
        self.sign_button.setText(tr("Sign the D.Hasil"))
        self.preview_button.setText(tr("Print preview…"))
        self.pdf_button.setText(tr("Save as PDF…"))
        if self.region is None:
            self.title.setText(tr("Choose a sub-district, regency or province in the tree."))
        else:
            self.refresh()

    # -- loading ----------------------------------------------------------------------------

    def show_region(self, code: str, contests: list[tuple[str, str]]) -> None:
        """Open the plenary of ``code``; ``contests`` are (id, name) held there."""
        self.region = code
        self.contest.blockSignals(True)
        current = self.contest.currentData()
        self.contest.clear()
        for cid, name in contests:
            self.contest.addItem(name, cid)
        self.contest.setCurrentIndex(max(0, self.contest.findData(current)))
        self.contest.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        if self.region is None or self.contest.currentData() is None:
            return
        basis = self.basis.currentData() or None
        try:
            state = plenary_service.plenary(
                self.ws, self.region, str(self.contest.currentData()), basis
            )
        except RecapError as exc:
            self.state = None
            self.title.setText(exc.message(i18n.current()))
            return
        self.state = state
        self._show(state)

    def _show(self, state: Plenary) -> None:
        lang = i18n.current()
        self.title.setText(
            tr("Plenary of %1 (%2)")
            .replace("%1", state.region.name)
            .replace("%2", state.region.code)
        )
        current = state.current
        if current is None:
            said = tr("No D.Hasil signed yet.")
            if state.state.state == DISPUTED:
                said = tr("Two chairs signed different D.Hasil: disputed.")
            elif state.in_force:
                said = (
                    tr("%1 D.Hasil in force, signed by several chairs: they agree.").replace(
                        "%1", str(len(state.in_force))
                    )
                    + " "
                    + ", ".join(v.signer_name or v.signer[:16] for v in state.in_force)
                )
                if state.outdated:
                    said += " · " + tr("OUTDATED: the counts changed since; sign a new version.")
        else:
            kind = tr("FINAL") if current.final else tr("interim")
            said = (
                tr("D.Hasil %1 signed (%2) by %3 at %4")
                .replace("%1", current.hash[:16] + "…")
                .replace("%2", kind)
                .replace("%3", current.signer_name or current.signer[:16])
                .replace("%4", local_time(current.time))
            )
            if state.outdated:
                said += " · " + tr("OUTDATED: the counts changed since; sign a new version.")
        self.status.setText(
            tr("%1 of %2 counted.").replace("%1", str(state.counted))
            .replace("%2", str(len(state.children))) + " " + said
        )  # fmt: skip
        # children
        t = self.children_table
        t.setRowCount(0)
        for child in state.children:
            n = t.rowCount()
            t.insertRow(n)
            kind = (
                "counted" if child.counted else DISPUTED if child.state == DISPUTED else "pending"
            )
            state_text = i18n.state_label(child.state) if child.state else ""
            cells = [child.code, child.name, state_text, (child.record or "")[:16]]
            for col, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setBackground(QColor(_COLORS[kind]))
                t.setItem(n, col, item)
        # totals
        t = self.totals_table
        t.setRowCount(0)
        bold = QFont(t.font())
        bold.setBold(True)
        for section in state.contest.form.sections:
            n = t.rowCount()
            t.insertRow(n)
            head = QTableWidgetItem(text(section.label, lang))
            head.setFont(bold)
            t.setItem(n, 0, head)
            for f in section.fields:
                n = t.rowCount()
                t.insertRow(n)
                t.setItem(n, 0, QTableWidgetItem("    " + text(f.label, lang)))
                t.setItem(n, 1, _number(state.totals.get(f.id, 0)))
                if current is not None:
                    item = _number(current.totals.get(f.id, 0))
                    if current.totals.get(f.id, 0) != state.totals.get(f.id, 0):
                        item.setBackground(QColor("#f8d7da"))
                    t.setItem(n, 2, item)
        # blockers
        lines = plenary_service.blocker_lines(state, lang)
        self.blockers.setText(
            (tr("Cannot close yet:") + "\n• " + "\n• ".join(lines[:12])
             + (f"\n… (+{len(lines) - 12})" if len(lines) > 12 else ""))
            if lines
            else tr("Nothing blocks closing: the D.Hasil can be signed.")
        )  # fmt: skip
        self.blockers.setStyleSheet("color: #8a1c1c;" if lines else "color: #1c5e20;")
        # objections
        t = self.objections_table
        t.setRowCount(0)
        for o in state.objections:
            n = t.rowCount()
            t.insertRow(n)
            who = f"{o.witness['name']} ({o.witness['represents']})" if o.witness else "—"
            if o.signer_role == "witness":
                who += " ✓"
            said = "; ".join(f"{i18n.decision_label(r.decision)}: {r.reason}" for r in o.in_force)
            status = o.status.state
            ruling = (
                tr("OPEN")
                if status == "open"
                else tr("DISPUTED:") + " " + said
                if status == "disputed"
                else i18n.state_label(o.standing or "")
                if status == "set_aside"
                else said
            )
            kind = tr("Objection") if o.kind == "objection" else tr("Incident")
            for col, value in enumerate([kind, o.place, who, o.subject, ruling]):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, o.hash)
                if o.open:
                    item.setBackground(QColor("#fff3cd"))
                t.setItem(n, col, item)
        # where an objection may be filed: the region, or one of its children
        current_place = self.place.currentData()
        self.place.clear()
        self.place.addItem(f"{state.region.code} {state.region.name}", state.region.code)
        for child in state.children:
            self.place.addItem(f"{child.code} {child.name}", child.code)
        self.place.setCurrentIndex(max(0, self.place.findData(current_place)))
        typed = self.represents.currentText()
        self.represents.clear()
        for choice in state.contest.choices:
            self.represents.addItem(f"{choice.number:02d}. {choice.name}")
        self.represents.setEditText(typed)
        self._enable_sign()
        has = state.printable is not None
        self.preview_button.setEnabled(has)
        self.pdf_button.setEnabled(has)

    def _enable_sign(self) -> None:
        """Signing is offered when the plenary can close, or for an interim D.Hasil."""
        self.sign_button.setEnabled(
            self.state is not None and (self.state.can_close or self.interim.isChecked())
        )

    # -- actions ----------------------------------------------------------------------------

    def _say(self, ok: bool, message: str) -> None:
        self.message.setStyleSheet("color: #1c5e20;" if ok else "color: #8a1c1c;")
        self.message.setText(message)

    def _failed(self, exc: RecapError) -> None:
        details = "".join(f"\n• {d}" for d in exc.detail_lines(i18n.current()))
        self._say(False, exc.message(i18n.current()) + details)

    def file_objection(self) -> Any:
        if self.state is None:
            return None
        if self.signing is not None:
            return None  # one signature at a time: the first is still being stored
        key = self.keys.key(self)
        if key is None:
            self._say(False, tr("Nothing signed: the key stays locked."))
            return None
        place, contest = str(self.place.currentData()), self.state.contest.id
        subject, kind = self.subject.text(), str(self.kind.currentData())
        witness = self.witness.text() or None
        represents = self.represents.currentText() or None
        paper = self.paper.text() or None

        sent = {self.witness: witness or "", self.paper: paper or "", self.subject: subject}

        def filed(record: Record) -> None:
            for field, typed in sent.items():
                if field.text() == typed:  # not what was typed meanwhile
                    field.clear()
            self._say(True, tr("Objection recorded and signed: %1").replace("%1", record.hash[:16]))
            self.refresh()
            self.changed.emit()

        return self._sign(
            tr("Signing the objection"),
            lambda ws: plenary_service.file_objection(
                ws,
                key,
                place=place,
                contest=contest,
                subject=subject,
                kind=kind,
                witness_name=witness,
                represents=represents,
                paper=paper,
            ),
            filed,
        )

    def select_objection(self, objection: str) -> None:
        for row in range(self.objections_table.rowCount()):
            item = self.objections_table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == objection:
                self.objections_table.selectRow(row)
                return

    def rule(self) -> Any:
        rows = self.objections_table.selectionModel().selectedRows()
        if self.state is None or not rows:
            self._say(False, tr("Choose an objection in the list first."))
            return None
        item = self.objections_table.item(rows[0].row(), 0)
        objection = str(item.data(Qt.ItemDataRole.UserRole)) if item else ""
        if self.signing is not None:
            return None  # one signature at a time: the first is still being stored
        key = self.keys.key(self)
        if key is None:
            self._say(False, tr("Nothing signed: the key stays locked."))
            return None
        decision, reason = str(self.decision.currentData()), self.ruling_reason.text()

        def ruled(record: Record) -> None:
            if self.ruling_reason.text() == reason:
                self.ruling_reason.clear()
            self._say(True, tr("Ruling signed: %1").replace("%1", record.hash[:16]))
            self.refresh()
            self.changed.emit()

        return self._sign(
            tr("Signing the ruling"),
            lambda ws: plenary_service.resolve_objection(ws, key, objection, decision, reason),
            ruled,
        )

    def sign(self) -> Any:
        if self.state is None or self.region is None:
            return None
        if self.signing is not None:
            return None  # one signature at a time: the first is still being stored
        key = self.keys.key(self)
        if key is None:
            self._say(False, tr("Nothing signed: the key stays locked."))
            return None
        region, contest, basis = self.region, self.state.contest.id, self.state.basis
        final, reason = not self.interim.isChecked(), self.reason.text() or None

        def signed(record: Record) -> None:
            if self.reason.text() == (reason or ""):
                self.reason.clear()
            self._say(True, tr("D.Hasil signed: %1").replace("%1", record.hash))
            self.refresh()
            self.signed.emit(record)

        return self._sign(
            tr("Signing the D.Hasil"),
            lambda ws: plenary_service.sign_dhasil(
                ws, key, region, contest, basis=basis, final=final, reason=reason
            ),
            signed,
        )

    def _sign(
        self, title: str, work: Callable[[Workspace], Record], done: Callable[[Record], None]
    ) -> Any:
        """Sign and store with ``work``, then ``done`` on this thread; a refusal is shown.
        Returns the record (no runner) or the task's handle; None if nothing was signed."""
        if self.tasks is None:
            try:
                record = work(self.ws)
            except RecapError as exc:
                self._failed(exc)
                return None
            done(record)
            return record

        def ok(record: Record) -> None:
            self.signing = None
            done(record)

        def failed(exc: BaseException) -> None:
            self.signing = None
            if isinstance(exc, RecapError):
                self._failed(exc)
            else:
                self._say(False, str(exc))

        self.signing = self.tasks.run(
            title, lambda ws, _handle: work(ws), ok, failed, show_after_ms=SHOW_PROGRESS_AFTER_MS
        )
        return self.signing

    def printed_form(self) -> printing_service.PrintedForm | None:
        """The form of the D.Hasil shown (``Plenary.printable``), in the window's language."""
        if self.state is None:
            return None
        chosen = self.state.printable
        if chosen is None:
            return None
        return printing_service.dhasil_form(self.ws, chosen.hash, i18n.current())

    def save_pdf(self, path: Path) -> int:
        from recap_desktop.ui.printing import write_pdf

        form = self.printed_form()
        if form is None:
            return 0
        pages = write_pdf(form, path)
        self._say(True, tr("Printed to %1 (%2 pages).").replace("%1", str(path))
                  .replace("%2", str(pages)))  # fmt: skip
        return pages

    def _pdf_clicked(self) -> None:
        if self.state is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, tr("Save the D.Hasil as PDF"), f"dhasil-{self.region}.pdf", "*.pdf"
        )
        if path:
            self.save_pdf(Path(path))

    def preview(self) -> None:
        """Qt's print preview of the D.Hasil, printed on any printer from there."""
        from recap_desktop.ui.printing import page_layout, paint
        from recap_desktop.ui.qt import QPainter, QPrinter, QPrintPreviewDialog

        form = self.printed_form()
        if form is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(page_layout(form))
        dialog = QPrintPreviewDialog(printer, self)
        dialog.setWindowTitle(tr("Print preview"))

        def render(target: QPrinter) -> None:
            painter = QPainter(target)
            try:
                paint(form, painter, target.newPage)
            finally:
                painter.end()

        dialog.paintRequested.connect(render)
        self.preview_dialog = dialog
        dialog.open()


def _table(columns: int) -> QTableWidget:
    table = QTableWidget(0, columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(combo: QComboBox, items: list[tuple[str, str]]) -> None:
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for value, label in items:
        combo.addItem(label, value)
    combo.setCurrentIndex(max(0, combo.findData(chosen)))
    combo.blockSignals(False)


def _number(value: int) -> QTableWidgetItem:
    shown = f"{value:,}"
    item = QTableWidgetItem(shown.replace(",", ".") if i18n.current() == "id" else shown)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item
