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
    QCheckBox,
    QFont,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QIntValidator,
    QKeySequence,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QShortcut,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
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
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.keys = keys
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
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        # The photos of the paper beside the numbers (ui/photos.py).
        self.photos = PhotoPanel()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.scroller)
        split.addWidget(self.photos)
        split.setSizes([560, 360])
        outer.addWidget(split, 1)
        attach = QShortcut(QKeySequence("Ctrl+Shift+P"), self, self.photos.choose_files)
        attach.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
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
        self._build(contest, lang)
        if shown is not None:
            for fid, edit in self.edits.items():
                edit.setText(str(shown.get(fid, "")))
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
        if self.contest is None or self.station is None:
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
        self._rebuild_acks([v for v in violations if v.severity == "warning"])

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
            note.setStyleSheet(
                NOTE_CSS["error" if any(s == "error" for s, _ in entries) else "warning"]
            )
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
    ) -> Record | None:
        """Sign the agreed values of a double entry, as Ctrl+S signs a typed sheet."""
        for fid, edit in self.edits.items():
            edit.setText(str(values[fid]))
        return self.save(double_entry=double_entry)

    def save(self, *_: object, double_entry: DoubleEntry | None = None) -> Record | None:
        """Check, ask for the key (and the reason of a correction), sign and store."""
        if self.station is None or self.contest is None or self.mode not in ("new", "correct"):
            return None
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
            self._show_notes([], value_notes, order)
            self._say("error", tr("Not saved: every field must be filled in."))
            self.edits[check.value_problems[0].field].setFocus()
            return None
        if check.errors:
            self._show_notes(check.violations, {}, order)
            first = check.errors[0]
            self._say("error", tr("Not saved: %1").replace("%1", first.text(lang)))
            anchor = max(first.fields, key=lambda f: order.get(f, -1))
            self.edits[anchor].setFocus()
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
        try:
            record = sheet_service.enter_sheet(
                self.ws,
                key,
                self.station.code,
                self.contest.id,
                typed,
                supersedes=self.own_head if self.mode == "correct" else None,
                reason=reason,
                acknowledged=[
                    *(r for r, box in self.acks.items() if box.isChecked()),
                    *(w.name for w in fired),  # the warnings dialog listed each
                ],
                warnings_reason=warnings_reason,
                double_entry=double_entry,
                photos=self.photos.pending_images(),
                keep_photos=self.photos.kept_photos() if self.mode == "correct" else (),
            )
        except RecapError as exc:
            self._say("error", "\n".join([exc.message(lang), *exc.details]))
            return None
        self.load(self.station.code, self.contest.id, self.role)
        self._say(
            "ok",
            tr("Saved and signed. Record %1").replace("%1", record.hash[:16] + "…"),
        )
        self.saved.emit(record)
        return record

    def shown_values(self) -> dict[str, Any]:
        return {fid: e.text() for fid, e in self.edits.items()}
