"""A :class:`~needlelog.domain.course.LineFigure` on screen: the pain course the visit note prints, painted by Qt.

The description is the domain's (the PDF paints the same one in ``reports/course_chart.py``): the same ticks,
the same points at the same normalised places, the same colours. A point at ``(x, y)`` is painted at
``(left + x * width, bottom - y * height)`` of the plot area. Read only: nothing here reacts to a click, key or
wheel, so a stray one changes nothing.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QLineF, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from needlelog.domain.course import LINE_ALPHA, LineFigure

LEFT, BOTTOM, TOP, RIGHT = 34.0, 34.0, 24.0, 10.0
RADIUS = 3.6
AXIS = QColor("#555555")
GRID = QColor("#dddddd")
INK = QColor("#1a1a1a")


def _paler(colour: QColor) -> QColor:
    """The line's colour at LINE_ALPHA over the white plot, made opaque: the PDF's translucent line as it looks on
    paper, without the cost of blending every pixel of every segment."""

    def mixed(channel: int) -> int:
        return round(channel * LINE_ALPHA + 255 * (1 - LINE_ALPHA))

    return QColor(mixed(colour.red()), mixed(colour.green()), mixed(colour.blue()))


class CourseChart(QWidget):
    def __init__(self, object_name: str, accessible: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.figure: LineFigure | None = None
        self.setObjectName(object_name)
        self.setAccessibleName(accessible)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumSize(260, 170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(420, 210)

    def set_figure(self, figure: LineFigure | None) -> None:
        self.figure = figure
        words = "" if figure is None else figure.empty_text if figure.is_empty else self._described(figure)
        self.setAccessibleDescription(words)
        self.setToolTip(words)
        self.update()

    @staticmethod
    def _described(figure: LineFigure) -> str:
        """The plot in words, for a screen reader and a hover: each series' values in visit order."""
        return "; ".join(f"{s.name}: " + ", ".join(f"{p.value:g}" for p in s.points) for s in figure.series if s.points)

    def plot_area(self) -> QRectF:
        return QRectF(LEFT, TOP, max(1.0, self.width() - LEFT - RIGHT), max(1.0, self.height() - TOP - BOTTOM))

    def point_at(self, x: float, y: float, area: QRectF | None = None) -> QPointF:
        """Where a normalised point of the figure is painted (in ``area``, the plot area when not given)."""
        area = self.plot_area() if area is None else area
        return QPointF(area.left() + x * area.width(), area.bottom() - y * area.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillRect(self.rect(), QColor("#ffffff"))
            if self.figure is not None:
                self._paint(painter, self.figure)
        finally:
            painter.end()

    def _paint(self, painter: QPainter, figure: LineFigure) -> None:
        area = self.plot_area()
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        self._axes(painter, figure, area)
        self._legend(painter, figure, area)
        if figure.is_empty:
            painter.setPen(AXIS)
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, figure.empty_text)
            return
        scale = figure.point_scale  # read once: it looks at every point of the figure
        for series in figure.series:
            colour = QColor(series.colour)
            where = [self.point_at(p.x, p.y, area) for p in series.points]
            if len(where) > 1:
                pen = QPen(_paler(colour), 1.4)
                if series.dashed:
                    pen.setStyle(Qt.PenStyle.DashLine)
                painter.setPen(pen)
                # Segments, not one polyline: Qt strokes a polyline as one path, and a course that zigzags
                # across itself for 200 visits cost some 20 ms a paint that way (2 ms as segments).
                painter.drawLines([QLineF(a, b) for a, b in itertools.pairwise(where)])
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            for point, at in zip(series.points, where, strict=True):
                radius = RADIUS * series.size * scale * (1.6 if point.emphasised else 1)
                painter.drawEllipse(at, radius, radius)

    def _axes(self, painter: QPainter, figure: LineFigure, area: QRectF) -> None:
        metrics = painter.fontMetrics()
        for y, label in figure.y_ticks:
            at = area.bottom() - y * area.height()
            painter.setPen(QPen(GRID, 1))
            painter.drawLine(QPointF(area.left(), at), QPointF(area.right(), at))
            painter.setPen(AXIS)
            box = QRectF(0, at - metrics.height() / 2, area.left() - 4, metrics.height())
            painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        painter.setPen(QPen(AXIS, 1))
        painter.drawLine(area.bottomLeft(), area.topLeft())
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        for x, label in figure.x_ticks:
            at = area.left() + x * area.width()
            painter.drawLine(QPointF(at, area.bottom()), QPointF(at, area.bottom() + 3))
            box = QRectF(at - 20, area.bottom() + 3, 40, metrics.height())
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        caption = QRectF(area.left(), area.bottom() + 3 + metrics.height(), area.width(), metrics.height())
        painter.drawText(caption, Qt.AlignmentFlag.AlignCenter, figure.x_caption)
        painter.save()
        painter.translate(10, area.center().y())
        painter.rotate(-90)
        painter.drawText(
            QRectF(-area.height() / 2, -8, area.height(), 16), Qt.AlignmentFlag.AlignCenter, figure.y_label
        )
        painter.restore()

    def _legend(self, painter: QPainter, figure: LineFigure, area: QRectF) -> None:
        metrics = painter.fontMetrics()
        bold = QFont(painter.font())
        bold.setBold(True)
        painter.save()
        painter.setFont(bold)
        painter.setPen(INK)
        painter.drawText(QPointF(area.left(), TOP - 8), figure.title)
        x = area.left() + painter.fontMetrics().horizontalAdvance(figure.title) + 16
        painter.restore()
        entries = [(s.name, QColor(s.colour), RADIUS * s.size) for s in figure.series]
        if figure.emphasis and any(p.emphasised for s in figure.series for p in s.points):
            entries.append((figure.emphasis, INK, RADIUS * 1.6))
        for name, colour, radius in entries:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(QPointF(x, TOP - 12), radius, radius)
            painter.setPen(INK)
            painter.drawText(QPointF(x + radius + 4, TOP - 8), name)
            x += radius + 4 + metrics.horizontalAdvance(name) + 16
