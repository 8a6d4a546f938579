"""A :class:`~needlelog.domain.course.LineFigure` on paper: the pain course (and any plot over visits) as vectors.

The figure is described once in the domain; this paints it as the screen does (``ui/widgets/course_chart.py``):
the same ticks, the same points, the same colours. A point at normalised ``(x, y)`` is drawn at
``(left + x * width, bottom + y * height)`` of the plot area. After drawing, :attr:`LineChart.drawn` holds where
each point landed on the page, for checking a page. One flowable that never splits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether

from needlelog.domain.course import LINE_ALPHA, LineFigure, pain_figure
from needlelog.domain.model import VisitNote
from needlelog.reports.note_layout import _heading
from needlelog.reports.text import BOLD, MAIN, fonts

HEIGHT = 52 * mm
LEFT_SPACE = 22.0  # y tick labels and the axis name
BOTTOM_SPACE = 24.0  # x tick labels and the caption
TOP_SPACE = 16.0  # the title and the legend
RIGHT_SPACE = 6.0
RADIUS = 2.6
AXIS = colors.HexColor("#555555")
GRID = colors.HexColor("#dddddd")
INK = colors.HexColor("#1a1a1a")


@dataclass(frozen=True, slots=True)
class DrawnPoint:
    series: str
    visit: int
    value: float
    x: float  # page points, y up from the bottom
    y: float
    page: int


class LineChart(Flowable):  # type: ignore[misc]  # reportlab is untyped
    def __init__(self, figure: LineFigure, height: float = HEIGHT) -> None:
        super().__init__()
        fonts()
        self.figure = figure
        self.chart_height = height
        self.width = 0.0
        self.drawn: list[DrawnPoint] = []
        self.plot_box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # on the page, after drawing

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self.chart_height

    def split(self, available_width: float, available_height: float) -> list[Any]:
        return []  # whole or not at all

    def area(self) -> tuple[float, float, float, float]:
        """The plot area within the flowable: left, bottom, width, height."""
        return (
            LEFT_SPACE,
            BOTTOM_SPACE,
            self.width - LEFT_SPACE - RIGHT_SPACE,
            self.chart_height - BOTTOM_SPACE - TOP_SPACE,
        )

    def draw(self) -> None:
        canvas = self.canv
        figure = self.figure
        left, bottom, width, height = self.area()
        self.drawn = []
        self.plot_box = (*canvas.absolutePosition(left, bottom), width, height)
        self._axes(left, bottom, width, height)
        self._legend(left, bottom + height)
        if figure.is_empty:
            canvas.setFillColor(AXIS)
            canvas.setFont(MAIN, 8)
            canvas.drawCentredString(left + width / 2, bottom + height / 2, figure.empty_text)
            return
        page = canvas.getPageNumber()
        scale = figure.point_scale  # read once: it looks at every point of the figure
        for series in figure.series:
            colour = colors.HexColor(series.colour)
            where = [(left + p.x * width, bottom + p.y * height) for p in series.points]
            if len(where) > 1:
                canvas.saveState()
                canvas.setStrokeColor(colour)
                canvas.setStrokeAlpha(LINE_ALPHA)  # paler than the points: a point is found by its exact colour
                canvas.setLineWidth(0.8)
                canvas.setDash([2.2, 1.6] if series.dashed else [])
                path = canvas.beginPath()
                path.moveTo(*where[0])
                for x, y in where[1:]:
                    path.lineTo(x, y)
                canvas.drawPath(path, stroke=1, fill=0)
                canvas.restoreState()
            canvas.setFillColor(colour)
            canvas.setStrokeColor(colour)
            for point, (x, y) in zip(series.points, where, strict=True):
                radius = RADIUS * series.size * scale * (1.6 if point.emphasised else 1)
                canvas.circle(x, y, radius, stroke=0, fill=1)
                page_x, page_y = canvas.absolutePosition(x, y)
                self.drawn.append(DrawnPoint(series.name, point.visit, point.value, page_x, page_y, page))

    def _axes(self, left: float, bottom: float, width: float, height: float) -> None:
        canvas = self.canv
        figure = self.figure
        canvas.setLineWidth(0.4)
        canvas.setFont(MAIN, 7)
        for y, label in figure.y_ticks:
            at = bottom + y * height
            canvas.setStrokeColor(GRID)
            canvas.line(left, at, left + width, at)
            canvas.setFillColor(AXIS)
            canvas.drawRightString(left - 3, at - 2.4, label)
        canvas.setStrokeColor(AXIS)
        canvas.line(left, bottom, left, bottom + height)
        canvas.line(left, bottom, left + width, bottom)
        for x, label in figure.x_ticks:
            at = left + x * width
            canvas.line(at, bottom, at, bottom - 2)
            canvas.drawCentredString(at, bottom - 9, label)
        canvas.drawCentredString(left + width / 2, bottom - 19, figure.x_caption)
        canvas.saveState()
        canvas.translate(7, bottom + height / 2)
        canvas.rotate(90)
        canvas.drawCentredString(0, 0, figure.y_label)
        canvas.restoreState()

    def _legend(self, left: float, top: float) -> None:
        canvas = self.canv
        canvas.setFillColor(INK)
        canvas.setFont(BOLD, 8.5)
        canvas.drawString(left, top + 5, self.figure.title)
        x = left + canvas.stringWidth(self.figure.title, BOLD, 8.5) + 14
        canvas.setFont(MAIN, 7.5)
        entries = [(s.name, s.colour, RADIUS * s.size) for s in self.figure.series]
        if self.figure.emphasis and any(p.emphasised for s in self.figure.series for p in s.points):
            entries.append((self.figure.emphasis, "#1a1a1a", RADIUS * 1.6))
        for name, colour, radius in entries:
            canvas.setFillColor(colors.HexColor(colour))
            canvas.circle(x, top + 7.5, radius, stroke=0, fill=1)
            canvas.setFillColor(INK)
            canvas.drawString(x + 6, top + 5, name)
            x += canvas.stringWidth(name, MAIN, 7.5) + 18


def course_section(note: VisitNote) -> list[Flowable]:
    """The pain course up to this visit, under its heading; nothing before the patient's first signed visit."""
    if not note.course:
        return []
    return [KeepTogether([_heading("Course so far"), LineChart(pain_figure(note.course))])]
