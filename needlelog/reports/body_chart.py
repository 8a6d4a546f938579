"""The body chart on paper: the front and back figures as vector polygons, with numbered markers.

The same shapes the screen draws (``resources/figure/body.svg``, read by
:func:`needlelog.domain.figure.body_figure`), in the same colours, never an image. A trigger
point at normalised ``(x, y)`` of a view is drawn centred at ``(x * view width, y * view height)``
of that view's box, y from the top; each marker carries its site's number, the "#" of the sites
table. The chart is one flowable that never splits: reportlab moves it whole to the next page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.pathobject import PDFPathObject
from reportlab.platypus import Flowable

from needlelog.domain.figure import body_figure
from needlelog.domain.model import NeedlingSite
from needlelog.domain.vocab import FigureView
from needlelog.reports.text import BOLD, MAIN, fonts

FILL = colors.HexColor("#f3e3d3")  # as the SVG's .region, .body
STROKE = colors.HexColor("#8a6f5a")
LUNG = colors.HexColor("#c0392b")  # as the SVG's .lung-field: dashed, no fill
MARKER = colors.HexColor("#8e1b1b")
LABEL = colors.HexColor("#1a1a1a")
SIDE_MARK = colors.HexColor("#555555")

HEIGHT = 95 * mm  # the whole chart, labels included
GAP = 22 * mm  # between the two views
LABEL_ROW = 14.0  # points above the views for "Front" / "Back" and the R / L marks
RADIUS = 4.8  # of a marker, points
_UNITS = 1000.0  # the cached paths are drawn in a box 1000 units tall, scaled to the view on the page

# Left to right on the page, with the patient's side on the viewer's left and right of each view.
VIEWS: tuple[tuple[FigureView, str, str, str], ...] = (
    (FigureView.FRONT, "Front", "R", "L"),
    (FigureView.BACK, "Back", "L", "R"),
)


@dataclass(frozen=True, slots=True)
class DrawnMarker:
    """Where a marker was drawn, in the page's own coordinates (points, y up from the bottom)."""

    number: int
    view: FigureView
    x: float
    y: float
    page: int


def _path(shapes: Sequence[Sequence[tuple[float, float]]], aspect: float) -> PDFPathObject:
    """Every polygon as a closed subpath of one path: one fill and stroke per view, not one per shape."""
    path = PDFPathObject()
    for points in shapes:
        (x, y), *rest = points
        path.moveTo(x * aspect * _UNITS, (1 - y) * _UNITS)
        for x, y in rest:
            path.lineTo(x * aspect * _UNITS, (1 - y) * _UNITS)
        path.close()
    return path


@cache
def view_paths(view: FigureView) -> tuple[str, str]:
    """A view's outline and lung-field polygons as ready PDF path operators, built once per process."""
    shown = body_figure().views[view]
    outline = _path([shape.points for shape in shown.outline()], shown.aspect)
    lung = _path([shape.points for shape in shown.lung_field()], shown.aspect)
    return outline.getCode(), lung.getCode()


class BodyChart(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """Front and back views side by side, centred on the width it is given, with numbered markers.

    After drawing, :attr:`drawn` holds where each marker's centre landed on the page and
    :attr:`drawn_boxes` each view's box there (left, bottom, width, height), for checking a page.
    """

    def __init__(self, sites: Sequence[NeedlingSite], height: float = HEIGHT, gap: float = GAP) -> None:
        super().__init__()
        fonts()
        figure = body_figure()
        self.chart_height = height
        self.gap = gap
        self.view_height = height - LABEL_ROW - RADIUS
        self.view_widths = {view: self.view_height * figure.views[view].aspect for view, *_ in VIEWS}
        self.markers = [(number, point) for number, site in enumerate(sites, start=1) for point in site.trigger_points]
        self.width = 0.0
        self.drawn: list[DrawnMarker] = []
        self.drawn_boxes: dict[FigureView, tuple[float, float, float, float]] = {}

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self.chart_height

    def natural_width(self) -> float:
        """The width the two views and the gap between them take."""
        return sum(self.view_widths.values()) + self.gap * (len(VIEWS) - 1) + 2 * RADIUS

    def split(self, available_width: float, available_height: float) -> list[Any]:
        return []  # whole or not at all

    def view_box(self, view: FigureView) -> tuple[float, float, float, float]:
        """A view's box within the flowable: left, bottom, width, height (points, y up)."""
        total = sum(self.view_widths.values()) + self.gap * (len(VIEWS) - 1)
        left = (self.width - total) / 2
        for shown, *_ in VIEWS:
            if shown is view:
                break
            left += self.view_widths[shown] + self.gap
        return left, RADIUS, self.view_widths[view], self.view_height

    def marker_position(self, view: FigureView, x: float, y: float) -> tuple[float, float]:
        """The centre of a marker at normalised ``(x, y)`` (y from the top), within the flowable."""
        left, bottom, width, height = self.view_box(view)
        x, y = min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)  # a stray draft point stays on its view
        return left + x * width, bottom + (1 - y) * height

    def draw(self) -> None:
        canvas = self.canv
        scale = self.view_height / _UNITS
        self.drawn, self.drawn_boxes = [], {}
        for view, title, viewer_left, viewer_right in VIEWS:
            left, bottom, width, height = self.view_box(view)
            outline, lung = view_paths(view)
            canvas.saveState()
            canvas.translate(left, bottom)
            canvas.scale(scale, scale)
            canvas.setLineJoin(1)
            canvas.setFillColor(FILL)
            canvas.setStrokeColor(STROKE)
            canvas.setLineWidth(0.5 / scale)
            # The shapes do not overlap, so one nonzero fill and stroke of all of them draws each as its own.
            canvas.addLiteral(f"{outline} B")
            canvas.setStrokeColor(LUNG)
            canvas.setLineWidth(0.45 / scale)
            canvas.setDash([1.6 / scale, 1.1 / scale])
            canvas.addLiteral(f"{lung} S")
            canvas.restoreState()
            self.drawn_boxes[view] = (*canvas.absolutePosition(left, bottom), width, height)
            top = bottom + height
            canvas.setFillColor(LABEL)
            canvas.setFont(BOLD, 9)
            canvas.drawCentredString(left + width / 2, top + 4, title)
            canvas.setFillColor(SIDE_MARK)
            canvas.setFont(MAIN, 7.5)
            canvas.drawString(left, top + 4, viewer_left)
            canvas.drawRightString(left + width, top + 4, viewer_right)
        page = canvas.getPageNumber()
        canvas.setLineWidth(0.7)
        canvas.setStrokeColor(colors.white)
        for number, point in self.markers:
            x, y = self.marker_position(point.view, point.x, point.y)
            canvas.setFillColor(MARKER)
            canvas.circle(x, y, RADIUS, stroke=1, fill=1)
            text = str(number)
            size = 6.5 if len(text) == 1 else 5.6 if len(text) == 2 else 4.4
            canvas.setFillColor(colors.white)
            canvas.setFont(BOLD, size)
            canvas.drawCentredString(x, y - size * 0.36, text)
            page_x, page_y = canvas.absolutePosition(x, y)
            self.drawn.append(DrawnMarker(number, point.view, page_x, page_y, page))
