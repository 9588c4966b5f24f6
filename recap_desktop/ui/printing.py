"""Paint a printed form (``services.printing.PrintedForm``) on A4 with Qt: to a PDF
(``QPdfWriter``) or to a printer and its preview (``QPrinter``, ``QPrintPreviewDialog``).

Qt's own painting, not a PDF library: the window already ships Qt, a print preview needs it
anyway, and the same ``paint`` draws the PDF, the preview and the paper. The QR code is
segno's module matrix drawn as squares, so it stays sharp at any resolution.

The layout flows: the header, the table (its rows split over pages when the form is long, its
columns when a region has many children), the lists under it and the signature boxes; every
page ends with the QR code of the signed record, its hash in text and the page number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import segno

from recap_desktop.messages import tr as say
from recap_desktop.services.printing import PrintedForm, Row
from recap_desktop.ui.qt import (
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QMarginsF,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QRectF,
    Qt,
)

RESOLUTION = 300  # dots per inch of the PDF's painting
MARGIN_MM = 12.0
QR_MM = 30.0
GROUPS_PER_PAGE = 6  # value columns besides the total on a landscape page


def ensure_app() -> None:
    """A QGuiApplication, for fonts, when printing from the command line (headless)."""
    import os

    if QGuiApplication.instance() is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _APP.append(QGuiApplication([]))


_APP: list[QGuiApplication] = []


def write_pdf(form: PrintedForm, path: Path) -> int:
    """Write the form as a PDF on A4; returns the number of pages."""
    ensure_app()
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION)
    writer.setTitle(f"{form.title} {form.record_hash[:16]}")
    writer.setCreator("Recap Desktop")
    writer.setPageLayout(_layout(form))
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write {path}")
    try:
        return paint(form, painter, writer.newPage)
    finally:
        painter.end()


def _layout(form: PrintedForm) -> QPageLayout:
    orientation = (
        QPageLayout.Orientation.Landscape if form.landscape else QPageLayout.Orientation.Portrait
    )
    return QPageLayout(
        QPageSize(QPageSize.PageSizeId.A4),
        orientation,
        QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
        QPageLayout.Unit.Millimeter,
    )


def page_layout(form: PrintedForm) -> QPageLayout:
    """The page layout a printer should be given for this form (A4, its orientation)."""
    return _layout(form)


@dataclass
class _Item:
    height: float
    draw: Callable[[QPainter, float], None]  # draws at y (top), the full width


def paint(form: PrintedForm, painter: QPainter, new_page: Callable[[], bool]) -> int:
    """Paint every page of the form with ``painter``; ``new_page`` starts the next one.
    Returns the number of pages."""
    device = painter.device()
    dpmm = device.logicalDpiX() / 25.4
    width = device.width()
    height = device.height()
    footer = QR_MM * dpmm + 2 * dpmm
    usable = height - footer
    fonts = _Fonts(device.logicalDpiY())
    items = _items(form, painter, fonts, width, dpmm)
    pages: list[list[tuple[float, _Item]]] = [[]]
    y = 0.0
    for item in items:
        if item.height < 0:  # a page break
            if pages[-1]:
                pages.append([])
                y = 0.0
            continue
        if y + item.height > usable and pages[-1]:
            pages.append([])
            y = 0.0
        pages[-1].append((y, item))
        y += item.height
    for number, page in enumerate(pages, 1):
        if number > 1:
            new_page()
        for top, item in page:
            item.draw(painter, top)
        _footer(form, painter, fonts, width, height, dpmm, number, len(pages))
    return len(pages)


class _Fonts:
    def __init__(self, dpi: float) -> None:
        self.dpi = dpi
        self.title = _font(13, bold=True)
        self.subtitle = _font(10, bold=True)
        self.body = _font(8)
        self.bold = _font(8, bold=True)
        self.small = _font(6.5)
        self.mono = _font(7, mono=True)


def _font(points: float, *, bold: bool = False, mono: bool = False) -> QFont:
    font = QFont("DejaVu Sans Mono" if mono else "DejaVu Sans")
    font.setPointSizeF(points)
    font.setBold(bold)
    if mono:
        font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def _line_height(painter: QPainter, font: QFont) -> float:
    return QFontMetricsF(font, painter.device()).height()


def _text_height(painter: QPainter, font: QFont, width: float, text: str) -> float:
    metrics = QFontMetricsF(font, painter.device())
    rect = metrics.boundingRect(QRectF(0, 0, width, 1e6), int(Qt.TextFlag.TextWordWrap), text)
    return rect.height()


def _items(
    form: PrintedForm, painter: QPainter, fonts: _Fonts, width: float, dpmm: float
) -> list[_Item]:
    out: list[_Item] = []
    pad = 1.2 * dpmm

    def text_item(font: QFont, text: str, *, gap: float = 0.0, color: str = "#000000") -> None:
        h = _text_height(painter, font, width, text) + gap

        def draw(p: QPainter, y: float) -> None:
            p.setFont(font)
            p.setPen(QColor(color))
            p.drawText(QRectF(0, y, width, h), int(Qt.TextFlag.TextWordWrap), text)

        out.append(_Item(h, draw))

    if form.demo:
        banner = say("print.demo", form.lang)
        h = _line_height(painter, fonts.bold) + pad

        def draw_banner(p: QPainter, y: float) -> None:
            p.fillRect(QRectF(0, y, width, h - pad / 2), QColor("#fff3b0"))
            p.setFont(fonts.bold)
            p.setPen(QColor("#7a5b00"))
            p.drawText(QRectF(0, y, width, h - pad / 2), int(Qt.AlignmentFlag.AlignCenter), banner)

        out.append(_Item(h, draw_banner))
    title_h = _line_height(painter, fonts.title) + pad

    def draw_title(p: QPainter, y: float) -> None:
        p.setFont(fonts.title)
        p.setPen(QColor("#000000"))
        p.drawText(QRectF(0, y, width, title_h), int(Qt.AlignmentFlag.AlignLeft), form.title)
        p.setFont(fonts.bold)
        p.setPen(QColor("#8a1c1c") if "FINAL" not in form.status else QColor("#1c5e20"))
        p.drawText(QRectF(0, y, width, title_h), int(Qt.AlignmentFlag.AlignRight), form.status)

    out.append(_Item(title_h, draw_title))
    text_item(fonts.subtitle, form.subtitle, gap=pad)
    # The place, two columns of "label: value".
    lh = _line_height(painter, fonts.body)
    pairs = list(form.header)
    half = (len(pairs) + 1) // 2
    rows_h = half * lh + pad

    label_w = (40 if form.landscape else 30) * dpmm

    def draw_header(p: QPainter, y: float) -> None:
        for i, (label, value) in enumerate(pairs):
            col, row = divmod(i, half)
            x = col * width / 2
            p.setFont(fonts.body)
            p.setPen(QColor("#333333"))
            p.drawText(QRectF(x, y + row * lh, label_w, lh), 0, label)
            p.setFont(fonts.bold)
            p.setPen(QColor("#000000"))
            p.drawText(QRectF(x + label_w, y + row * lh, width / 2 - label_w - dpmm, lh), 0, value)

    out.append(_Item(rows_h, draw_header))
    out.extend(_table(form, painter, fonts, width, dpmm))
    for block in form.blocks:
        text_item(fonts.bold, block.title, gap=pad / 2)
        for line in block.lines:
            text_item(fonts.body, line)
        out.append(_Item(pad, lambda p, y: None))
    out.extend(_signatures(form, painter, fonts, width, dpmm))
    return out


def _table(
    form: PrintedForm, painter: QPainter, fonts: _Fonts, width: float, dpmm: float
) -> list[_Item]:
    """The form's rows and value columns; columns beyond a page's width go to the next."""
    out: list[_Item] = []
    groups = list(form.columns[:-1])
    total = form.columns[-1]
    per_page = GROUPS_PER_PAGE if form.landscape else 3
    chunks = [groups[i : i + per_page] for i in range(0, len(groups), per_page)] or [[]]
    row_h = _line_height(painter, fonts.body) + 1.4 * dpmm
    number_w = 9 * dpmm
    for c, chunk in enumerate(chunks):
        first = c * per_page
        shown = [*chunk, total]
        value_w = min(30 * dpmm, (width * 0.55) / max(1, len(shown)))
        label_w = width - number_w - value_w * len(shown)
        heading_h = 2 * row_h

        def draw_heading(
            p: QPainter,
            y: float,
            shown: list[str] = shown,
            vw: float = value_w,
            lw: float = label_w,
            heading_h: float = heading_h,
        ) -> None:
            p.setPen(QPen(QColor("#000000"), 0.25 * dpmm))
            p.fillRect(QRectF(0, y, width, heading_h), QColor("#e8e8e8"))
            p.drawRect(QRectF(0, y, width, heading_h))
            p.setFont(fonts.bold)
            p.drawText(QRectF(0, y, number_w, heading_h), int(Qt.AlignmentFlag.AlignCenter), "No")
            p.drawText(
                QRectF(number_w, y, lw, heading_h),
                int(Qt.AlignmentFlag.AlignCenter),
                form.label_heading,
            )
            p.setFont(fonts.small)
            for i, name in enumerate(shown):
                x = number_w + lw + i * vw
                p.drawLine(int(x), int(y), int(x), int(y + heading_h))
                p.drawText(
                    QRectF(x + dpmm / 2, y, vw - dpmm, heading_h),
                    int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                    name,
                )
            p.drawLine(int(number_w), int(y), int(number_w), int(y + heading_h))

        out.append(_Item(heading_h, draw_heading))
        for row in form.rows:
            values = [*row.values[first : first + len(chunk)], row.values[-1]] if row.values else []

            def draw_row(
                p: QPainter,
                y: float,
                row: Row = row,
                values: list[str] = values,
                vw: float = value_w,
                lw: float = label_w,
                n: int = len(shown),
            ) -> None:
                p.setPen(QPen(QColor("#000000"), 0.2 * dpmm))
                if row.heading:
                    p.fillRect(QRectF(0, y, width, row_h), QColor("#f4f4f4"))
                    p.drawRect(QRectF(0, y, width, row_h))
                    p.setFont(fonts.bold)
                    p.drawText(
                        QRectF(dpmm, y, width - 2 * dpmm, row_h),
                        int(Qt.AlignmentFlag.AlignVCenter),
                        row.label,
                    )
                    return
                p.drawRect(QRectF(0, y, width, row_h))
                p.drawLine(int(number_w), int(y), int(number_w), int(y + row_h))
                p.setFont(fonts.body)
                p.drawText(
                    QRectF(0, y, number_w, row_h), int(Qt.AlignmentFlag.AlignCenter), row.number
                )
                p.drawText(
                    QRectF(number_w + dpmm, y, lw - 2 * dpmm, row_h),
                    int(Qt.AlignmentFlag.AlignVCenter),
                    row.label,
                )
                for i in range(n):
                    x = number_w + lw + i * vw
                    p.drawLine(int(x), int(y), int(x), int(y + row_h))
                    if i < len(values):
                        p.setFont(fonts.bold if i == n - 1 else fonts.body)
                        p.drawText(
                            QRectF(x, y, vw - dpmm, row_h),
                            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                            values[i],
                        )

            out.append(_Item(row_h, draw_row))
        out.append(_Item(1.5 * dpmm, lambda p, y: None))
    return out


def _signatures(
    form: PrintedForm, painter: QPainter, fonts: _Fonts, width: float, dpmm: float
) -> list[_Item]:
    boxes = list(form.signatures)
    per_row = 3 if form.landscape else 2
    box_w = width / per_row
    box_h = 24 * dpmm
    title_h = _line_height(painter, fonts.bold) + dpmm

    def draw_title(p: QPainter, y: float) -> None:
        p.setFont(fonts.bold)
        p.setPen(QColor("#000000"))
        p.drawText(QRectF(0, y, width, title_h), 0, say("print.signatures", form.lang))

    out = [_Item(title_h, draw_title)]
    for start in range(0, len(boxes), per_row):
        row = boxes[start : start + per_row]

        def draw(p: QPainter, y: float, row: list[tuple[str, str]] = row) -> None:
            for i, (role, who) in enumerate(row):
                rect = QRectF(i * box_w + dpmm, y, box_w - 2 * dpmm, box_h - 2 * dpmm)
                p.setPen(QPen(QColor("#555555"), 0.2 * dpmm))
                p.drawRect(rect)
                p.setFont(fonts.bold)
                p.setPen(QColor("#000000"))
                inner = rect.adjusted(dpmm, dpmm, -dpmm, -dpmm)
                p.drawText(inner, int(Qt.TextFlag.TextWordWrap), role)
                if who:
                    p.setFont(fonts.small)
                    p.setPen(QColor("#1c3d7a"))
                    text = who + "\n" + say("print.digital", form.lang)
                    p.drawText(
                        inner.adjusted(0, 4 * dpmm, 0, 0), int(Qt.TextFlag.TextWordWrap), text
                    )

        out.append(_Item(box_h, draw))
    return out


def _footer(
    form: PrintedForm,
    painter: QPainter,
    fonts: _Fonts,
    width: float,
    height: float,
    dpmm: float,
    page: int,
    pages: int,
) -> None:
    """The QR code of the signed record and its hash in text, on every page."""
    size = QR_MM * dpmm
    top = height - size
    draw_qr(painter, form.qr, QRectF(0, top, size, size))
    x = size + 3 * dpmm
    lines = [
        (fonts.bold, f"{say('print.hash', form.lang)}:"),
        (fonts.mono, form.record_hash),
        (fonts.bold, f"{say('print.signer', form.lang)}:"),
        (fonts.mono, form.signer),
        (fonts.small, form.check_line),
        (fonts.small, say("print.page", form.lang, page=page, pages=pages)),
    ]
    y = top + dpmm
    painter.setPen(QColor("#000000"))
    for font, line in lines:
        painter.setFont(font)
        h = _text_height(painter, font, width - x, line)
        painter.drawText(QRectF(x, y, width - x, h), int(Qt.TextFlag.TextWrapAnywhere), line)
        y += h


def draw_qr(painter: QPainter, content: str, rect: QRectF) -> None:
    """The QR code of ``content`` (error correction M, with its quiet zone) filling ``rect``."""
    code = segno.make_qr(content, error="m")
    matrix = [list(row) for row in code.matrix]
    quiet = 4
    n = len(matrix) + 2 * quiet
    cell = min(rect.width(), rect.height()) / n
    painter.save()
    painter.fillRect(rect, QColor("#ffffff"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#000000"))
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                painter.drawRect(
                    QRectF(
                        rect.x() + (c + quiet) * cell,
                        rect.y() + (r + quiet) * cell,
                        cell * 1.02,  # a hair of overlap: no white seams between modules
                        cell * 1.02,
                    )
                )
    painter.restore()
