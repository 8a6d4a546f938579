"""The body chart as a heat map: where the patient's signed visits placed their trigger points, as density.

The figure is the body chart's own (the same vector art, laid out by :class:`BodyChart`); over it, each
non-empty cell of :func:`needlelog.domain.heat_map.marker_density` is a soft spot whose strength is its share
of the busiest cell, clipped to the body. Nothing is placed, moved or selected here: clicks, keys and drags do
nothing, and the widget never takes the focus.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QMouseEvent, QPainter, QPainterPath, QRadialGradient
from PySide6.QtWidgets import QWidget

from needlelog.domain.heat_map import COLUMNS, HeatCell
from needlelog.ui.widgets.body_chart import BodyChart

HEAT = QColor("#b3001b")


class MarkerHeatMap(BodyChart):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.cells: tuple[HeatCell, ...] = ()
        self.setObjectName("markerHeatMap")
        self.setAccessibleName("Where past trigger points were placed")
        self.setToolTip("Trigger points of the patient's signed visits: darker where placed more often")
        self.setAccessibleDescription(self.toolTip())
        self.set_read_only(True)
        self.setMouseTracking(False)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumSize(180, 200)

    def set_cells(self, cells: tuple[HeatCell, ...], visits: int) -> None:
        self.cells = cells
        points = sum(cell.count for cell in cells)
        words = f"{points} trigger points from {visits} signed visits" if points else "No signed visit placed a marker."
        self.setAccessibleDescription(words)
        self.setToolTip(words + ": darker where placed more often")
        self.update()

    # Nothing to place, drag, select or delete: a stray click or key changes nothing.
    def mousePressEvent(self, event: QMouseEvent) -> None:
        event.ignore()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        event.ignore()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        event.ignore()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        event.ignore()

    def _paint_markers(self, painter: QPainter) -> None:
        if not self.cells:
            return
        body = QPainterPath()
        for _view, _name, path in self._paths:
            body.addPath(path)
        painter.save()
        painter.setClipPath(body)
        painter.setPen(Qt.PenStyle.NoPen)
        for cell in self.cells:
            box = self.view_box(cell.view)
            left, top, width, height = cell.box()
            centre = QPointF(
                box.left() + (left + width / 2) * box.width(), box.top() + (top + height / 2) * box.height()
            )
            radius = 1.6 * box.width() / COLUMNS
            glow = QRadialGradient(centre, radius)
            strong = QColor(HEAT)
            strong.setAlphaF(0.3 + 0.65 * cell.share)
            faint = QColor(HEAT)
            faint.setAlphaF(0.0)
            glow.setColorAt(0.0, strong)
            glow.setColorAt(1.0, faint)
            painter.setBrush(QBrush(glow))
            painter.drawEllipse(centre, radius, radius)
        painter.restore()
