"""Double entry: the sheet typed twice, blind, then only the differing fields looked at again.

Three pages in one dialog, keyboard only: the first typing; the second typing (the first is
hidden, and the second typist may be another operator of the station); then, if the two
differ, only the fields that differ, read a third time from the paper. The agreed sheet is
signed through the sheet form's own save (warnings, key, correction reason), recording
``double_entry`` (PROTOCOL §4). Enter moves to the next field; Enter on the last field of a
page finishes that page; Escape leaves without signing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from recap_desktop.domain.double_entry import DoubleEntry, reconcile
from recap_desktop.domain.election import text
from recap_desktop.domain.form import MAX_VALUE, Field
from recap_desktop.services import sheets as sheet_service
from recap_desktop.ui import i18n
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import (
    QComboBox,
    QDialog,
    QFont,
    QFrame,
    QGridLayout,
    QIntValidator,
    QLabel,
    QLineEdit,
    QScrollArea,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from recap_desktop.ui.sheet_form import SheetForm


class Typing(QWidget):
    """One typing of some of the form's fields, in the paper's order; Enter goes on."""

    def __init__(
        self,
        name: str,
        fields: list[Field],
        finish: Callable[[], None],
        sections: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName(name)
        self.finish = finish
        lang = i18n.current()
        grid = QGridLayout(self)
        self.edits: dict[str, QLineEdit] = {}
        for row, field in enumerate(fields):
            shown = text(field.label, lang)
            if sections is not None:  # a field alone on the page: say where it is on the paper
                shown = f"{sections[field.id]}\n    {shown}"
            label = QLabel(shown)
            edit = QLineEdit()
            edit.setObjectName(f"{name}_{field.id}")
            edit.setValidator(QIntValidator(0, min(MAX_VALUE, 2**31 - 1), edit))
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.setFixedWidth(110)
            label.setBuddy(edit)
            edit.returnPressed.connect(self._next)
            grid.addWidget(label, row, 0)
            grid.addWidget(edit, row, 1)
            self.edits[field.id] = edit
        grid.setRowStretch(len(fields), 1)
        grid.setColumnStretch(2, 1)

    def _next(self) -> None:
        edits = list(self.edits.values())
        current = next((i for i, e in enumerate(edits) if e.hasFocus()), len(edits) - 1)
        empty = [e for e in edits if not e.text().strip()]
        if current + 1 < len(edits):
            edits[current + 1].setFocus()
            edits[current + 1].selectAll()
        elif empty:
            empty[0].setFocus()  # every field of a typing is filled before it is compared
        else:
            self.finish()

    def values(self) -> dict[str, int]:
        return {fid: int(e.text()) for fid, e in self.edits.items() if e.text().strip().isdigit()}

    def first(self) -> QLineEdit:
        return next(iter(self.edits.values()))


class DoubleEntryDialog(QDialog):
    """The double entry of the sheet form's station and contest."""

    def __init__(self, form: SheetForm) -> None:
        super().__init__(form)
        assert form.station is not None and form.contest is not None
        self.setObjectName("double_entry")
        self.form = form
        self.station, self.contest = form.station, form.contest
        self.fields = list(self.contest.form.fields)
        self.first_values: dict[str, int] = {}
        self.second_values: dict[str, int] = {}
        self.differ: list[str] = []
        lang = i18n.current()
        self.setWindowTitle(
            tr("Double entry — %1").replace("%1", f"{self.station.name} · {self.station.code}")
        )
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        bold = QFont(self.heading.font())
        bold.setBold(True)
        bold.setPointSize(bold.pointSize() + 1)
        self.heading.setFont(bold)
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.typist = QComboBox()
        self.typist.setObjectName("second_typist")
        self.typist.addItem(tr("Me again (the same operator)"), None)
        for key_id, name in sheet_service.second_typists(
            form.ws, self.station.code, form._my_key_id()
        ):
            self.typist.addItem(name, key_id)
        self.typist_label = QLabel(tr("Second typing by:"))
        self.typist_label.setBuddy(self.typist)
        layout.addWidget(self.typist_label)
        layout.addWidget(self.typist)
        self.pages = QStackedWidget()
        self.first = Typing("first", self.fields, self._first_done)
        self.second = Typing("second", self.fields, self._second_done)
        for page in (self.first, self.second):
            self.pages.addWidget(self._scrolled(page))
        layout.addWidget(self.pages, 1)
        self.status = QLabel()
        self.status.setObjectName("double_entry_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.third: Typing | None = None
        self.resize(620, 640)
        self._show_page(0, lang)

    @staticmethod
    def _scrolled(page: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes between the fields and "typed by"
        area.setWidget(page)
        return area

    def _show_page(self, index: int, lang: str | None = None) -> None:
        typing = (self.first, self.second, self.third)[index]
        self.typist.setVisible(index == 1)
        self.typist_label.setVisible(index == 1)
        if index == 0:
            self.heading.setText(tr("First typing"))
            self.hint.setText(tr("Type the paper form. Enter goes to the next field."))
        elif index == 1:
            self.heading.setText(tr("Second typing"))
            self.hint.setText(
                tr("Type the paper form again. The first typing is hidden: do not look at it.")
            )
        else:
            self.heading.setText(tr("Look at the paper again"))
            self.hint.setText(
                tr(
                    "Fields where the two typings differ: %1. Type only these from the paper."
                ).replace("%1", str(len(self.differ)))
            )
        self.pages.setCurrentIndex(index)
        assert typing is not None
        typing.first().setFocus()

    def _first_done(self) -> None:
        self.first_values = self.first.values()
        self._show_page(1)

    def _second_done(self) -> None:
        self.second_values = self.second.values()
        self.differ = sheet_service.compare_typings(
            self.contest, self.first_values, self.second_values
        )
        if not self.differ:
            self._sign(self.first_values)
            return
        wanted = [f for f in self.fields if f.id in self.differ]
        lang = i18n.current()
        sections = {
            f.id: text(section.label, lang)
            for section in self.contest.form.sections
            for f in section.fields
        }
        self.third = Typing("third", wanted, self._third_done, sections)
        self.pages.addWidget(self._scrolled(self.third))
        self._show_page(2)

    def _third_done(self) -> None:
        assert self.third is not None
        agreed = reconcile(
            [f.id for f in self.fields], self.first_values, self.second_values, self.third.values()
        )
        self._sign(agreed)

    def _sign(self, values: dict[str, int]) -> None:
        second = self.typist.currentData()
        record = self.form.sign_double_entered(values, DoubleEntry(second))
        if record is not None:
            self.accept()
        else:
            self.status.setText(self.form.banner.text())
