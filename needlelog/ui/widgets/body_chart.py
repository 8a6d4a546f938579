"""The body chart: front and back figures where a tap places a numbered trigger-point marker.

The figure is the same vector art the PDF draws (``resources/figure/body.svg`` through
:mod:`needlelog.domain.figure`), painted as paths at whatever size the window gives, so it is
crisp at any scale and on high-DPI screens. The widget only reports what the user did (a tap at
a point, a marker dragged, selected or deleted); the session editor decides what that means.

Keyboard: with the chart focused, N (or Space) selects the next marker, the arrow keys move it
(Shift for larger steps) and Delete removes it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from needlelog.domain.figure import Figure, body_figure
from needlelog.domain.model import TriggerPoint
from needlelog.domain.vocab import FigureView

BODY_FILL = QColor("#f3e3d3")
BODY_STROKE = QColor("#8a6f5a")
HOVER_FILL = QColor("#f6c48f")
SELECTED_SITE_FILL = QColor("#fbe3c4")
LUNG_STROKE = QColor("#c0392b")
MARKER_FILL = QColor("#a8322a")
MARKER_SELECTED = QColor("#f1c40f")
LABEL_HEIGHT = 22
GAP = 18
DRAG_START = 4  # pixels a press must move before it becomes a drag
STEP, BIG_STEP = 0.005, 0.02  # arrow-key moves, as a share of the figure


class BodyChart(QWidget):
    placed = Signal(object, float, float, bool)  # FigureView, x, y (0-1), Shift held: a tap on the figure
    moved = Signal(int, int, object)  # site index, point index, TriggerPoint: a marker dragged
    deleted = Signal(int, int)  # site index, point index
    selected = Signal(int, int)  # site index, point index
    missed = Signal()  # a tap beside both figures: no site is in hand any more

    def __init__(self, figure: Figure | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.figure = figure or body_figure()
        self.markers: list[tuple[TriggerPoint, ...]] = []  # per site, in site order
        self.selection: tuple[int, int] | None = None
        self.selected_site: int | None = None
        self.read_only = False
        self._boxes: dict[FigureView, QRectF] = {}
        self._paths: list[tuple[FigureView, str, QPainterPath]] = []
        self._lung: list[QPainterPath] = []
        self._hover: tuple[FigureView, str] | None = None
        self._press: QPointF | None = None
        self._dragging: TriggerPoint | None = None
        self.setObjectName("bodyChart")
        self.setAccessibleName("Body chart")
        self.setAccessibleDescription(
            "Front and back figures. Tap to place a trigger point; drag a marker to move it. "
            "Keys: N selects the next marker, arrows move it, Delete removes it."
        )
        self.setToolTip("Tap to place a trigger point · drag a marker to move it · N, arrows, Delete")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(240, 280)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    # --- what is shown -------------------------------------------------------------------
    def set_markers(self, markers: list[tuple[TriggerPoint, ...]]) -> None:
        self.markers = list(markers)
        if self.selection is not None:
            site, point = self.selection
            if site >= len(self.markers) or point >= len(self.markers[site]):
                self.selection = None
        self.update()

    def select(self, site: int | None, point: int | None = None) -> None:
        """Show a site as selected (from the table); its first marker, or ``point``, is the one keys act on."""
        self.selected_site = site
        if site is not None and site < len(self.markers) and self.markers[site]:
            self.selection = (site, point if point is not None and point < len(self.markers[site]) else 0)
        else:
            self.selection = None
        self.update()

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self.setCursor(Qt.CursorShape.ArrowCursor if read_only else Qt.CursorShape.CrossCursor)

    # --- geometry ------------------------------------------------------------------------
    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        """As tall as the figures are at this width: no empty band under them."""
        aspects = sum(view.aspect for view in self.figure.views.values())
        return int((width - GAP - 8) / aspects) + LABEL_HEIGHT + 8

    def sizeHint(self) -> QSize:
        return QSize(260, self.heightForWidth(260))

    def view_box(self, view: FigureView) -> QRectF:
        if not self._boxes:
            self._lay_out()
        return self._boxes[view]

    def to_widget(self, point: TriggerPoint) -> QPointF:
        box = self.view_box(point.view)
        return QPointF(box.left() + point.x * box.width(), box.top() + point.y * box.height())

    def from_widget(self, position: QPointF) -> TriggerPoint | None:
        """The normalised point under a widget position, or None outside both views' boxes."""
        for view in FigureView:
            box = self.view_box(view)
            if box.contains(position):
                x = (position.x() - box.left()) / box.width()
                y = (position.y() - box.top()) / box.height()
                return TriggerPoint(view, round(x, 4), round(y, 4))
        return None

    def marker_radius(self) -> float:
        return max(8.0, self.view_box(FigureView.FRONT).height() * 0.02)

    def _lay_out(self) -> None:
        front = self.figure.views[FigureView.FRONT]
        back = self.figure.views[FigureView.BACK]
        height = max(self.height() - LABEL_HEIGHT - 8, 10)
        width = max(self.width() - GAP - 8, 10)
        scale = min(height, width / (front.aspect + back.aspect))
        total = scale * (front.aspect + back.aspect) + GAP
        left = (self.width() - total) / 2
        self._boxes = {
            FigureView.FRONT: QRectF(left, LABEL_HEIGHT, scale * front.aspect, scale),
            FigureView.BACK: QRectF(left + scale * front.aspect + GAP, LABEL_HEIGHT, scale * back.aspect, scale),
        }
        self._paths, self._lung = [], []
        for view, box in self._boxes.items():
            for shape in self.figure.views[view].outline():
                self._paths.append((view, shape.name, _path(shape.points, box)))
            for shape in self.figure.views[view].lung_field():
                self._lung.append(_path(shape.points, box))

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._boxes = {}
        super().resizeEvent(event)

    # --- painting ------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:
        if not self._boxes:
            self._lay_out()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        selected_shapes = self._selected_site_shapes()
        stroke = QPen(BODY_STROKE, 1.0)
        for view, name, path in self._paths:
            fill = BODY_FILL
            if (view, name) in selected_shapes:
                fill = SELECTED_SITE_FILL
            if self._hover == (view, name) and not self.read_only:
                fill = HOVER_FILL
            painter.setPen(stroke)
            painter.setBrush(QBrush(fill))
            painter.drawPath(path)
        lung = QPen(LUNG_STROKE, 1.0, Qt.PenStyle.DashLine)
        painter.setPen(lung)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for path in self._lung:
            painter.drawPath(path)
        self._paint_labels(painter)
        self._paint_markers(painter)
        if self.hasFocus():
            painter.setPen(QPen(self.palette().highlight().color(), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.rect().adjusted(1, 1, -1, -1))
        painter.end()

    def _paint_labels(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(self.palette().text().color())
        for view, title in ((FigureView.FRONT, "Front"), (FigureView.BACK, "Back")):
            box = self._boxes[view]
            painter.drawText(QRectF(box.left(), 0, box.width(), LABEL_HEIGHT), Qt.AlignmentFlag.AlignCenter, title)
            # the patient's sides: on the front view their right is on the viewer's left
            left_mark, right_mark = ("R", "L") if view is FigureView.FRONT else ("L", "R")
            y = box.top() + box.height() * 0.30
            painter.drawText(QRectF(box.left() - 2, y, 16, 18), Qt.AlignmentFlag.AlignLeft, left_mark)
            painter.drawText(QRectF(box.right() - 14, y, 16, 18), Qt.AlignmentFlag.AlignRight, right_mark)

    def _paint_markers(self, painter: QPainter) -> None:
        radius = self.marker_radius()
        font = QFont(self.font())
        font.setBold(True)
        font.setPixelSize(max(9, int(radius * 1.2)))
        painter.setFont(font)
        for site, points in enumerate(self.markers):
            for index, point in enumerate(points):
                dragged = self._dragging is not None and self.selection == (site, index)
                centre = self.to_widget(self._dragging if dragged and self._dragging else point)
                chosen = self.selection == (site, index)
                painter.setPen(QPen(MARKER_SELECTED if chosen else QColor("white"), 3 if chosen else 1.5))
                painter.setBrush(QBrush(MARKER_FILL))
                painter.drawEllipse(centre, radius, radius)
                painter.setPen(QColor("white"))
                painter.drawText(
                    QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius),
                    Qt.AlignmentFlag.AlignCenter,
                    str(site + 1),
                )

    def _selected_site_shapes(self) -> set[tuple[FigureView, str]]:
        site = self.selected_site
        if site is None or site >= len(self.markers):
            return set()
        shapes = set()
        for point in self.markers[site]:
            for shape in self.figure.views[point.view].regions():
                if shape.contains(point.x, point.y):
                    shapes.add((point.view, shape.name))
        return shapes

    # --- mouse ---------------------------------------------------------------------------
    def marker_at(self, position: QPointF) -> tuple[int, int] | None:
        radius = self.marker_radius() + 2
        best: tuple[float, tuple[int, int]] | None = None
        for site, points in enumerate(self.markers):
            for index, point in enumerate(points):
                delta = self.to_widget(point) - position
                distance = (delta.x() ** 2 + delta.y() ** 2) ** 0.5
                if distance <= radius and (best is None or distance < best[0]):
                    best = (distance, (site, index))
        return best[1] if best else None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        position = event.position()
        hit = self.marker_at(position)
        if hit is not None:
            self.selection = hit
            self.selected_site = hit[0]
            self._press = position
            self.selected.emit(*hit)
            self.update()
            return
        if self.read_only:
            return
        point = self.from_widget(position)
        if point is None:
            self.missed.emit()
            return
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.placed.emit(point.view, point.x, point.y, shift)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        position = event.position()
        if self._press is not None and self.selection is not None and not self.read_only:
            moved = position - self._press
            if self._dragging is not None or abs(moved.x()) + abs(moved.y()) >= DRAG_START:
                site, index = self.selection
                view = self.markers[site][index].view
                box = self.view_box(view)
                x = min(max((position.x() - box.left()) / box.width(), 0.0), 1.0)
                y = min(max((position.y() - box.top()) / box.height(), 0.0), 1.0)
                self._dragging = TriggerPoint(view, round(x, 4), round(y, 4))
                self.update()
            return
        self._update_hover(position)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        dragged, self._dragging, self._press = self._dragging, None, None
        if dragged is not None and self.selection is not None:
            self.moved.emit(*self.selection, dragged)

    def leaveEvent(self, _event: object) -> None:
        if self._hover is not None:
            self._hover = None
            self.update()

    def _update_hover(self, position: QPointF) -> None:
        point = self.from_widget(position)
        hover = None
        if point is not None:
            for shape in self.figure.views[point.view].regions():
                if shape.contains(point.x, point.y):
                    hover = (point.view, shape.name)
                    assert shape.region is not None and shape.side is not None
                    QToolTip.showText(
                        self.mapToGlobal(position.toPoint()),
                        f"{shape.region.label}, {shape.side.label.lower()}",
                        self,
                    )
                    break
        if hover != self._hover:
            self._hover = hover
            self.update()

    # --- keyboard ------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        every = [(s, i) for s, points in enumerate(self.markers) for i in range(len(points))]
        if key in (Qt.Key.Key_N, Qt.Key.Key_Space) and every:
            following = every.index(self.selection) + 1 if self.selection in every else 0
            self.selection = every[following % len(every)]
            self.selected_site = self.selection[0]
            self.selected.emit(*self.selection)
            self.update()
            return
        if self.selection is None or self.read_only:
            super().keyPressEvent(event)
            return
        site, index = self.selection
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.selection = None
            self.deleted.emit(site, index)
            return
        steps = {
            Qt.Key.Key_Left: (-1, 0),
            Qt.Key.Key_Right: (1, 0),
            Qt.Key.Key_Up: (0, -1),
            Qt.Key.Key_Down: (0, 1),
        }
        if key in steps:
            step = BIG_STEP if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else STEP
            point = self.markers[site][index]
            dx, dy = steps[Qt.Key(key)]
            x = min(max(point.x + dx * step, 0.0), 1.0)
            y = min(max(point.y + dy * step, 0.0), 1.0)
            self.moved.emit(site, index, TriggerPoint(point.view, round(x, 4), round(y, 4)))
            return
        super().keyPressEvent(event)


def _path(points: tuple[tuple[float, float], ...], box: QRectF) -> QPainterPath:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(box.left() + x * box.width(), box.top() + y * box.height()) for x, y in points]))
    path.closeSubpath()
    return path
