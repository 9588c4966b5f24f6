"""The recap view's chart, painted with QPainter: votes per choice as bars, and the stations
counted over time as a step line.

Qt's own painting rather than QtCharts: QtCharts is not in PySide6-Essentials (it would add
PySide6-Addons, about 200 MB, to the wheel's dependencies and the desktop bundle), and two
plain charts need a hundred lines of painting that the offscreen tests can grab like any
widget.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import (
    QColor,
    QFont,
    QPainter,
    QPaintEvent,
    QPen,
    QPointF,
    QRectF,
    QSizePolicy,
    Qt,
    QWidget,
)

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


class RecapChart(QWidget):
    """Bars: one per choice, its votes and share of the valid votes. Line: how many stations
    counted by each time (each station at its counted sheet's signing time), of expected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: list[tuple[str, int]] = []
        self.times: list[datetime] = []
        self.expected = 0
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_data(self, bars: list[tuple[str, int]], times: list[datetime], expected: int) -> None:
        self.bars, self.times, self.expected = bars, sorted(times), expected
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        w, h = self.width(), self.height()
        split = w * 0.58
        self._bars(painter, QRectF(8, 8, split - 16, h - 16))
        self._line(painter, QRectF(split + 8, 8, w - split - 16, h - 16))
        painter.end()

    def _bars(self, p: QPainter, area: QRectF) -> None:
        title = QFont(self.font())
        title.setBold(True)
        p.setFont(title)
        p.setPen(QColor("#000000"))
        p.drawText(
            area.adjusted(0, 0, 0, 0), int(Qt.AlignmentFlag.AlignTop), tr("Votes per choice")
        )
        if not self.bars:
            return
        top = area.top() + 24
        total = sum(v for _, v in self.bars) or 1
        most = max(v for _, v in self.bars) or 1
        row = min(34.0, (area.bottom() - top) / len(self.bars))
        label_w = area.width() * 0.42
        p.setFont(self.font())
        for i, (name, votes) in enumerate(self.bars):
            y = top + i * row
            p.setPen(QColor("#000000"))
            p.drawText(
                QRectF(area.left(), y, label_w - 6, row),
                int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight),
                name,
            )
            length = (area.width() - label_w - 90) * votes / most
            bar = QRectF(area.left() + label_w, y + row * 0.18, max(1.0, length), row * 0.64)
            p.fillRect(bar, QColor(PALETTE[i % len(PALETTE)]))
            p.drawText(
                QRectF(bar.right() + 6, y, 90, row),
                int(Qt.AlignmentFlag.AlignVCenter),
                f"{votes:,} ({100 * votes / total:.1f}%)",
            )

    def _line(self, p: QPainter, area: QRectF) -> None:
        title = QFont(self.font())
        title.setBold(True)
        p.setFont(title)
        p.setPen(QColor("#000000"))
        p.drawText(
            area,
            int(Qt.AlignmentFlag.AlignTop),
            tr("Stations counted: %1 of %2")
            .replace("%1", str(len(self.times)))
            .replace("%2", str(self.expected)),
        )
        plot = QRectF(area.left() + 30, area.top() + 26, area.width() - 40, area.height() - 50)
        p.setPen(QPen(QColor("#999999"), 1))
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        p.drawLine(plot.bottomLeft(), plot.topLeft())
        p.setFont(self.font())
        p.drawText(QRectF(area.left(), plot.top() - 8, 28, 16), 0, str(self.expected))
        p.drawText(QRectF(area.left(), plot.bottom() - 8, 28, 16), 0, "0")
        if not self.times or not self.expected:
            return
        start, end = self.times[0], self.times[-1]
        span = max(1.0, (end - start).total_seconds())
        points = [QPointF(plot.left(), plot.bottom())]
        for n, moment in enumerate(self.times, 1):
            x = plot.left() + plot.width() * (moment - start).total_seconds() / span
            y = plot.bottom() - plot.height() * n / self.expected
            points.append(QPointF(x, points[-1].y()))
            points.append(QPointF(x, y))
        p.setPen(QPen(QColor(PALETTE[0]), 2))
        for a, b in pairwise(points):
            p.drawLine(a, b)
        p.setPen(QColor("#333333"))
        p.drawText(
            QRectF(plot.left(), plot.bottom() + 4, plot.width(), 18),
            int(Qt.AlignmentFlag.AlignLeft),
            start.strftime("%d/%m %H:%M"),
        )
        p.drawText(
            QRectF(plot.left(), plot.bottom() + 4, plot.width(), 18),
            int(Qt.AlignmentFlag.AlignRight),
            end.strftime("%d/%m %H:%M"),
        )
