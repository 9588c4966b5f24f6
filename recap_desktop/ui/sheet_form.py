"""The C.Hasil sheet, typed with the keyboard alone, checked as it is typed, signed on Ctrl+S.

Fields stand in the paper's order, so the officer's eyes move down the paper and the screen
together; Tab and Enter both go to the next field. A rule's message stands next to the field
that comes last in paper order among the fields it involves: that is where the officer is when
the mismatch becomes visible, and it is the line of the paper a sum is written on.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

from recap_desktop.crypto.envelope import Record
from recap_desktop.domain.double_entry import DoubleEntry
from recap_desktop.domain.election import Contest, Station, text
from recap_desktop.domain.form import MAX_VALUE, Violation
from recap_desktop.messages import problem_name
from recap_desktop.messages import tr as service_text
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import photos as photo_service
from recap_desktop.services import regions as region_service
from recap_desktop.services import requirements as requirement_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.ui import i18n
from recap_desktop.ui.dialogs import ask_text
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.keyholder import KeyHolder
from recap_desktop.ui.photos import PhotoPanel
from recap_desktop.ui.qt import (
    QApplication,
    QCheckBox,
    QEvent,
    QFont,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QIntValidator,
    QKeySequence,
    QLabel,
    QLineEdit,
    QObject,
    QPushButton,
    QScrollArea,
    QShortcut,
    QSplitter,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from recap_desktop.ui.tasks import SHOW_PROGRESS_AFTER_MS, TaskHandle, TaskRunner
from recap_desktop.ui.warnings_dialog import AskWarnings, ask_warnings_reason

AskReason = Callable[[QWidget | None], str | None]

# Per-widget style sheets, set directly: re-polishing through QWidget.style() crashes
# PySide6 6.12 (a refcount bug on the temporary style-sheet style).
EDIT_CSS = {
    "error": "border: 2px solid #c62828; background: #fdecea;",
    "warning": "border: 2px solid #ef8f00; background: #fff4e0;",
    "": "",
}
NOTE_CSS = {"error": "color: #b71c1c;", "warning": "color: #8a5300;"}
SUMMARY_CSS = {
    "error": "color: #b71c1c; background: #fdecea; padding: 4px;",
    "warning": "color: #8a5300; background: #fff4e0; padding: 4px;",
}
BANNER_CSS = {
    "error": "color: white; background: #c62828; padding: 4px;",
    "ok": "color: white; background: #2e7d32; padding: 4px;",
    "info": "background: #e3f2fd; padding: 4px;",
}


def ask_reason(parent: QWidget | None) -> str | None:
    """The reason for a correction; a correction without one is refused by the service too."""
    while True:
        reason = ask_text(
            parent,
            tr("Reason for the correction"),
            tr("Why does this sheet replace the one signed before? (required)"),
            multiline=True,
        )
        if reason is None:
            return None
        if reason.strip():
            return reason.strip()


class SheetForm(QWidget):
    """One station's sheet for one contest: new entry, read-only view, or correction."""

    saved = Signal(object)  # the signed Record

    def __init__(
        self,
        ws: Workspace,
        keys: KeyHolder,
        ask: AskReason = ask_reason,
        parent: QWidget | None = None,
        tasks: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.keys = keys
        # Signing and storing run on the task runner's thread: the store may wait behind a
        # sync commit, and the window must keep painting meanwhile.
        self.tasks = tasks or TaskRunner(ws.data_dir)
        self.signing: TaskHandle | None = None
        self.refused = False  # the last Ctrl+S was refused: its banner goes once all is fixed
        self._filling = False  # load() fills the fields: one check at the end, not per field
        self._built_for: tuple[str, str] | None = None  # the contest and language built
        self.ask_reason = ask
        self.ask_warnings: AskWarnings = ask_warnings_reason
        self.station: Station | None = None
        self.contest: Contest | None = None
        self.role = "operator"
        self.mode = "empty"  # empty | new | view | correct | readonly
        self.own_head: str | None = None
        self.edits: dict[str, QLineEdit] = {}
        self.notes: dict[str, QLabel] = {}
        self.sums: dict[str, QLabel] = {}
        self.acks: dict[str, QCheckBox] = {}
        self.violations: list[Violation] = []

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel()
        font = QFont(self.title.font())
        font.setPointSize(font.pointSize() + 2)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        outer.addWidget(self.title)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.hide()
        outer.addWidget(self.banner)
        # Every broken rule at once, in paper order, as the officer types: the same lines
        # stand beside their fields, this list is for the one who looks at the top.
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.hide()
        outer.addWidget(self.summary)
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        # The photos of the paper beside the numbers (ui/photos.py).
        self.photos = PhotoPanel()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.scroller)
        split.addWidget(self.photos)
        # The numbers first: the photos take what the form leaves (the officer widens them).
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([720, 240])
        outer.addWidget(split, 1)
        attach = QShortcut(QKeySequence("Ctrl+Shift+P"), self, self.photos.choose_files)
        attach.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        # The summary above and the warnings' ticks below come and go as the officer types,
        # shrinking the visible part after the field was scrolled to: follow it again then.
        self.scroller.viewport().installEventFilter(self)
        self.ack_box = QWidget()
        self.ack_layout = QVBoxLayout(self.ack_box)
        self.ack_layout.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.ack_box)
        buttons = QHBoxLayout()
        self.correct_button = QPushButton()
        self.correct_button.clicked.connect(self.start_correction)
        self.save_button = QPushButton()
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        buttons.addStretch(1)
        buttons.addWidget(self.correct_button)
        buttons.addWidget(self.save_button)
        outer.addLayout(buttons)
        self.retranslate()
        self._update_buttons()

    # -- building -------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.photos.retranslate()
        self.correct_button.setText(tr("Correct this sheet…"))
        self.save_button.setText(tr("Save and sign (Ctrl+S)"))
        if self.station is None:
            self.title.setText(tr("Choose a polling station in the tree."))

    def clear(self) -> None:
        self.station = self.contest = None
        self.mode = "empty"
        self.scroller.takeWidget()
        self._built_for = None
        self.edits, self.notes, self.sums = {}, {}, {}
        self._rebuild_acks([])
        self.photos.clear()
        self.banner.hide()
        self.retranslate()
        self._update_buttons()

    def load(self, station_code: str, contest_id: str, role: str) -> None:
        """Show the station's sheet: this officer's current version read-only, else empty."""
        station, contest = region_service.locate(self.ws, station_code, contest_id)
        self.station, self.contest = station, contest
        self.role = role
        history = sheet_service.sheet_history(self.ws, station_code, contest_id)
        me = self._my_key_id()
        versions = {v["hash"]: v for v in history["versions"]}
        mine = [h for h in history["heads"] if versions[h]["signer"] == me]
        self.own_head = mine[0] if mine else None
        shown: dict[str, int] | None = None
        shown_hash: str | None = None
        if self.own_head is not None:
            shown = versions[self.own_head]["values"]
            shown_hash = self.own_head
            self.mode = "view"
        elif role != "operator":
            current = history["current"] or (history["heads"][0] if history["heads"] else None)
            shown = versions[current]["values"] if current else None
            shown_hash = current
            self.mode = "readonly"
        else:
            self.mode = "new"
        self.photos.show_photos(
            photo_service.sheet_photos(self.ws, shown_hash) if shown_hash else [],
            lambda photo: photo_service.read(self.ws, photo),
            editable=self.mode == "new",
        )
        lang = i18n.current()
        self.title.setText(
            f"{station.name} · {station.code} — {text(contest.name, lang)}\n"
            + tr("Registered voters: %1 · State: %2")
            .replace("%1", str(station.registered))
            .replace("%2", i18n.state_label(history["state"]))
            + "".join(" · " + problem_name(why, lang) for why in history.get("attention", []))
            + (" · " + self.photos.summary() if self.photos.summary() else "")
        )
        if self._built_for != (contest.id, lang) or self.scroller.widget() is None:
            self._build(contest, lang)
            self._built_for = (contest.id, lang)
        # The same contest's form is kept, only its numbers change (building 17 rows of
        # widgets took ~100 ms of the GUI thread after each save). One check after all the
        # fields are filled, not one per field: each check restyles every message.
        self._filling = True
        try:
            for fid, edit in self.edits.items():
                edit.setText("" if shown is None else str(shown.get(fid, "")))
        finally:
            self._filling = False
        self._set_readonly(self.mode in ("view", "readonly"))
        self.banner.hide()
        if self.mode == "new" and history["heads"]:
            self._say("info", tr("Another officer has signed this sheet; yours will be compared."))
        self.refresh()
        self._update_buttons()
        if self.mode == "new":
            self.first_edit().setFocus()

    def _my_key_id(self) -> str | None:
        from recap_desktop.services import identity as identity_service

        try:
            return identity_service.show_identity(self.ws).key_id
        except RecapError:
            return None

    def _build(self, contest: Contest, lang: str) -> None:
        body = QWidget()
        grid = QGridLayout(body)
        grid.setColumnStretch(3, 1)
        self.edits, self.notes, self.sums = {}, {}, {}
        row = 0
        bold = QFont(body.font())
        bold.setBold(True)
        validator_max = min(MAX_VALUE, 2**31 - 1)
        for section in contest.form.sections:
            head = QLabel(text(section.label, lang))
            head.setFont(bold)
            grid.addWidget(head, row, 0, 1, 4)
            row += 1
            for number, field in enumerate(section.fields, 1):
                label = QLabel(f"{number}. {text(field.label, lang)}")
                edit = QLineEdit()
                edit.setObjectName(f"field_{field.id}")
                edit.setValidator(QIntValidator(0, validator_max, edit))
                edit.setAlignment(Qt.AlignmentFlag.AlignRight)
                edit.setMaxLength(10)
                edit.setFixedWidth(110)
                label.setBuddy(edit)
                edit.textChanged.connect(self.refresh)
                edit.returnPressed.connect(self._next_field)
                edit.installEventFilter(self)
                sum_label = QLabel()
                sum_label.setStyleSheet("color: #1b5e20;")
                note = QLabel()
                note.setWordWrap(True)
                note.setObjectName(f"note_{field.id}")
                grid.addWidget(label, row, 0)
                grid.addWidget(edit, row, 1)
                grid.addWidget(sum_label, row, 2)
                grid.addWidget(note, row, 3)
                self.edits[field.id], self.notes[field.id] = edit, note
                self.sums[field.id] = sum_label
                row += 1
        grid.setRowStretch(row, 1)
        self.scroller.setWidget(body)
        self._chain_tab_order()

    def _chain_tab_order(self) -> None:
        chain: list[QWidget] = [*self.edits.values(), *self.acks.values(), self.save_button]
        for a, b in pairwise(chain):
            QWidget.setTabOrder(a, b)

    def first_edit(self) -> QLineEdit:
        return next(iter(self.edits.values()))

    def _next_field(self) -> None:
        """Enter moves on like Tab: the officer's hand stays on the number pad."""
        self.focusNextChild()
        focus = QApplication.focusWidget()
        if isinstance(focus, QLineEdit) and focus in self.edits.values():
            self.show_field(focus)

    def show_field(self, edit: QWidget) -> None:
        """Scroll so that ``edit`` and the message beside it are on screen."""
        for fid, widget in self.edits.items():
            if widget is edit and self.notes[fid].text():
                self.scroller.ensureWidgetVisible(self.notes[fid], 8, 24)
        self.scroller.ensureWidgetVisible(edit, 8, 24)

    def focus_field(self, edit: QWidget) -> None:
        """Put the focus on a field and bring it into view (a refused save's broken field)."""
        edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.show_field(edit)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A field that gets the focus (Tab, Enter, a click, a refusal) scrolls into view."""
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QLineEdit):
            self.show_field(watched)
        elif event.type() == QEvent.Type.Resize and watched is self.scroller.viewport():
            focus = QApplication.focusWidget()
            if focus is not None and focus in self.edits.values():
                QTimer.singleShot(0, self, lambda: self.show_field(focus))
        return False

    def _set_readonly(self, readonly: bool) -> None:
        for edit in self.edits.values():
            edit.setReadOnly(readonly)
            edit.setFocusPolicy(
                Qt.FocusPolicy.ClickFocus if readonly else Qt.FocusPolicy.StrongFocus
            )

    def _update_buttons(self) -> None:
        self.save_button.setVisible(self.mode in ("new", "correct"))
        self.correct_button.setVisible(self.mode == "view")

    # -- live checks ----------------------------------------------------------------------

    def values(self) -> dict[str, int]:
        """The fields typed so far (an empty field is not in the result)."""
        out = {}
        for fid, edit in self.edits.items():
            raw = edit.text().strip()
            if raw.isdigit():
                out[fid] = int(raw)
        return out

    def refresh(self) -> None:
        """Recompute sums and rule messages from what is typed; called on every key press."""
        if self.contest is None or self.station is None or self._filling:
            return
        form = self.contest.form
        typed = self.values()
        order = {fid: i for i, fid in enumerate(form.field_ids)}
        for fid in self.sums:
            self.sums[fid].setText("")
        for rule in form.rules:
            right = [t.field for t in rule.right if t.field is not None]
            left = [t.field for t in rule.left if t.field is not None]
            if (
                rule.op == "eq"
                and len(right) == 1
                and len(left) > 1
                and len(right) == len(rule.right)
            ):
                if all(f in typed for f in left):
                    total = sum(t.value(typed, {}) for t in rule.left)
                    self.sums[right[0]].setText(f"Σ {total}")
        violations = [
            v
            for v in form.evaluate(typed, {"registered": self.station.registered})
            if all(f in typed for f in v.fields)
        ]
        self.violations = violations
        self._show_notes(violations, {}, order)
        self._show_summary(violations, order)
        self._rebuild_acks([v for v in violations if v.severity == "warning"])
        if self.refused:
            # The refusal's banner stays while a reason for it remains, and goes with it.
            check = sheet_service.check_sheet(self.station, self.contest, typed)
            if not check.blocking:
                self.refused = False
                self.banner.hide()

    def _show_summary(self, violations: list[Violation], order: dict[str, int]) -> None:
        """Every broken rule, errors first, each once; hidden when there is none."""
        lang = i18n.current()
        shown = sorted(
            violations,
            key=lambda v: (
                v.severity != "error",
                max((order.get(f, -1) for f in v.fields), default=-1),
            ),
        )
        if not shown:
            self.summary.hide()
            self.summary.clear()
            return
        errors = sum(1 for v in shown if v.severity == "error")
        warnings = len(shown) - errors
        head = []
        if errors:
            head.append(tr("%n rule(s) broken", "", errors))
        if warnings:
            head.append(tr("%n warning(s) to check against the paper", "", warnings))
        lines = [("✖ " if v.severity == "error" else "⚠ ") + v.text(lang) for v in shown]
        self.summary.setText(" · ".join(head) + "\n" + "\n".join(lines))
        self.summary.setStyleSheet(SUMMARY_CSS["error" if errors else "warning"])
        self.summary.show()

    def _show_notes(
        self, violations: list[Violation], value_notes: dict[str, str], order: dict[str, int]
    ) -> None:
        lang = i18n.current()
        notes: dict[str, list[tuple[str, str]]] = {}
        marks: dict[str, str] = {}
        for fid, message in value_notes.items():
            notes.setdefault(fid, []).append(("error", message))
            marks[fid] = "error"
        for v in violations:
            if not v.fields:
                continue
            anchor = max(v.fields, key=lambda f: order.get(f, -1))
            notes.setdefault(anchor, []).append((v.severity, v.text(lang)))
            for f in v.fields:
                if marks.get(f) != "error":
                    marks[f] = v.severity
        for fid, note in self.notes.items():
            entries = notes.get(fid, [])
            note.setText("\n".join(("✖ " if s == "error" else "⚠ ") + m for s, m in entries))
            css = NOTE_CSS["error" if any(s == "error" for s, _ in entries) else "warning"]
            if note.styleSheet() != css:  # restyling is costly: only on a change
                note.setStyleSheet(css)
            edit = self.edits[fid]
            mark = marks.get(fid, "")
            if edit.property("problem") != mark:
                edit.setProperty("problem", mark)
                edit.setStyleSheet(EDIT_CSS[mark])

    def _rebuild_acks(self, warnings: list[Violation]) -> None:
        wanted = {v.rule: v for v in warnings} if self.mode in ("new", "correct") else {}
        for rule in list(self.acks):
            if rule not in wanted:
                box = self.acks.pop(rule)
                self.ack_layout.removeWidget(box)
                box.deleteLater()
        lang = i18n.current()
        for rule, v in wanted.items():
            if rule in self.acks:
                self.acks[rule].setText(
                    tr("I checked the paper form: %1").replace("%1", v.text(lang))
                )
                continue
            box = QCheckBox(tr("I checked the paper form: %1").replace("%1", v.text(lang)))
            box.setObjectName(f"ack_{rule}")
            self.ack_layout.addWidget(box)
            box.show()  # now, not on the next event loop pass: save() may focus it at once
            self.acks[rule] = box
        self._chain_tab_order()

    def message_for(self, field_id: str) -> str:
        return self.notes[field_id].text()

    # -- saving ---------------------------------------------------------------------------

    def _say(self, kind: str, message: str) -> None:
        if kind != "error":
            self.refused = False
        self.banner.setStyleSheet(BANNER_CSS[kind])
        self.banner.setText(message)
        self.banner.show()

    def start_correction(self) -> None:
        """Make this officer's current sheet editable; saving it will ask for the reason."""
        if self.mode != "view":
            return
        self.mode = "correct"
        self.photos.begin_correction()
        self._set_readonly(False)
        self._update_buttons()
        self._say("info", tr("Correcting: change the fields, then save; a reason will be asked."))
        self.refresh()
        self.first_edit().setFocus()

    def start_double_entry(self) -> None:
        """Type this sheet twice, blind, in its own dialog (ui/double_entry.py)."""
        if self.station is None or self.contest is None or self.mode not in ("new", "correct"):
            self._say("info", tr("Double entry is for a new sheet or a correction: open one."))
            return
        from recap_desktop.ui.double_entry import DoubleEntryDialog

        self.double_dialog = DoubleEntryDialog(self)
        self.double_dialog.open()

    def sign_double_entered(
        self, values: dict[str, int], double_entry: DoubleEntry
    ) -> TaskHandle | None:
        """Sign the agreed values of a double entry, as Ctrl+S signs a typed sheet (on the
        task runner's thread: the handle, or None if nothing is signed)."""
        for fid, edit in self.edits.items():
            edit.setText(str(values[fid]))
        return self.save(double_entry=double_entry)

    def save(self, *_: object, double_entry: DoubleEntry | None = None) -> TaskHandle | None:
        """Check, ask for the key (and the reason of a correction), then sign and store on the
        task runner's thread; ``saved`` is emitted when the record is stored. The handle of
        the signing job, or None when nothing is signed (refused, cancelled)."""
        if self.station is None or self.contest is None or self.mode not in ("new", "correct"):
            return None
        if self.signing is not None:
            return None  # a second Ctrl+S while the first signs: one record, not two
        lang = i18n.current()
        form = self.contest.form
        order = {fid: i for i, fid in enumerate(form.field_ids)}
        typed = self.values()
        check = sheet_service.check_sheet(self.station, self.contest, typed)
        if check.value_problems:
            labels = {f.id: text(f.label, lang) for f in form.fields}
            value_notes = {
                p.field: service_text(f"values.{p.kind}", lang, field=labels.get(p.field, p.field))
                for p in check.value_problems
            }
            self._show_notes(check.violations, value_notes, order)
            self._refuse(
                tr(
                    "Not saved: %n field(s) still empty or wrong, marked below.",
                    "",
                    len(value_notes),
                )
            )
            self.focus_field(self.edits[check.value_problems[0].field])
            return None
        if check.errors:
            self._show_notes(check.violations, {}, order)
            self._show_summary(check.violations, order)
            self._refuse(
                tr(
                    "Not saved: %n rule(s) broken, listed below and beside their fields.",
                    "",
                    len(check.errors),
                )
            )
            first = min(
                check.errors, key=lambda v: max((order.get(f, -1) for f in v.fields), default=-1)
            )
            anchor = max(first.fields, key=lambda f: order.get(f, -1))
            self.focus_field(self.edits[anchor])
            return None
        # A double entry's sheet is signed from its own dialog, over the form: the warnings
        # dialog below lists every warning for it, ticked or not.
        unchecked = [r for r, box in self.acks.items() if not box.isChecked()]
        if double_entry is not None:
            unchecked = []
        if unchecked:
            self._say("error", tr("Not saved: tick each warning after checking the paper form."))
            self.acks[unchecked[0]].setFocus()
            return None
        if double_entry is None:  # said before the reason and the key are asked for
            required = requirement_service.double_entry_required(self.ws, self.station.code)
            if required is not None:
                self._say(
                    "error", service_text("sheet.double_entry_required", lang, region=required)
                )
                return None
        fired = sheet_service.sheet_warnings(self.ws, self.station, self.contest, typed)
        warnings_reason = None
        if fired:
            warnings_reason = self.ask_warnings(self, fired)
            if warnings_reason is None:
                self._say("error", tr("Not saved: signing despite warnings needs a reason."))
                return None
        reason = None
        if self.mode == "correct":
            reason = self.ask_reason(self)
            if reason is None:
                return None
        key = self.keys.key(self)
        if key is None:
            self._say("error", tr("Not saved: the key stays locked."))
            return None
        station, contest = self.station.code, self.contest.id
        supersedes = self.own_head if self.mode == "correct" else None
        acknowledged = [
            *(r for r, box in self.acks.items() if box.isChecked()),
            *(w.name for w in fired),  # the warnings dialog listed each
        ]

        def work(ws: Workspace, handle: TaskHandle) -> Record:
            return sheet_service.enter_sheet(
                ws,
                key,
                station,
                contest,
                typed,
                supersedes=supersedes,
                reason=reason,
                acknowledged=acknowledged,
                warnings_reason=warnings_reason,
                double_entry=double_entry,
                photos=self.photos.pending_images(),
                keep_photos=self.photos.kept_photos() if self.mode == "correct" else (),
            )

        self.save_button.setEnabled(False)
        self._say("info", tr("Signing and storing the sheet…"))
        self.signing = self.tasks.run(
            tr("Signing and storing the sheet"),
            work,
            self._stored,
            self._not_stored,
            show_after_ms=SHOW_PROGRESS_AFTER_MS,
        )
        return self.signing

    def _refuse(self, message: str) -> None:
        self.refused = True
        self._say("error", message)

    def _stored(self, record: Record) -> None:
        self.signing = None
        self.save_button.setEnabled(True)
        if self.station is not None:
            self.load(self.station.code, str(record.payload["contest"]), self.role)
        self._say(
            "ok",
            tr("Saved and signed. Record %1").replace("%1", record.hash[:16] + "…"),
        )
        self.saved.emit(record)

    def _not_stored(self, exc: BaseException) -> None:
        self.signing = None
        self.save_button.setEnabled(True)
        lang = i18n.current()
        if isinstance(exc, RecapError):
            self._say("error", "\n".join([exc.message(lang), *exc.detail_lines(lang)]))
        else:
            self._say("error", tr("Not saved: %1").replace("%1", str(exc)))

    def shown_values(self) -> dict[str, Any]:
        return {fid: e.text() for fid, e in self.edits.items()}
