"""The patient's course as a figure: pain before and after at every signed visit, described once.

A :class:`LineFigure` says what is drawn — the axis, its ticks and labels, each series' points at
normalised positions (x 0-1 left to right, y 0-1 from the bottom of the plot area) — and nothing
about how. The screen (``ui/widgets/course_chart.py``) and the PDF (``reports/course_chart.py``)
paint the same description, as the body chart does with ``domain/figure.py``: one figure, two
painters, so the chart on the note is the chart on the screen.

Visits are spaced evenly by their order, not by their date: ten visits in a fortnight and one a
month later stay readable, and the date of the first and the last is written under the axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

PAIN_MAX = 10
POINTS_FULL_SIZE = 12  # visits drawn with whole-size points; more get smaller ones
MAX_X_LABELS = 8  # visit numbers under the axis; past that, every k-th visit is labelled
BEFORE_COLOUR = "#a8322a"  # the markers' colours are exact: a PDF test finds the points by them
AFTER_COLOUR = "#1f6f8b"
LINE_ALPHA = 0.55  # the lines joining the points are paler than the points


@dataclass(frozen=True, slots=True)
class PainVisit:
    """One signed visit's pain on the 0-10 numeric rating scale, before and after needling."""

    session_id: int
    day: date
    before: int | None
    after: int | None


@dataclass(frozen=True, slots=True)
class PlotPoint:
    """A value drawn at ``(x, y)`` of the plot area; ``visit`` is its 1-based place on the x axis."""

    visit: int
    value: float
    x: float
    y: float
    emphasised: bool = False  # drawn larger, with the figure's ``emphasis`` word in the legend


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    colour: str
    points: tuple[PlotPoint, ...]
    dashed: bool = False
    size: float = 1.0  # of its points; a larger series drawn first shows as a ring round an equal later value


@dataclass(frozen=True, slots=True)
class LineFigure:
    """A line plot over visits, whatever paints it."""

    title: str
    y_label: str
    y_ticks: tuple[tuple[float, str], ...]  # (y 0-1 from the bottom, label)
    x_ticks: tuple[tuple[float, str], ...]  # (x 0-1 from the left, label)
    x_caption: str
    series: tuple[Series, ...]
    empty_text: str = ""  # shown instead of a plot when no series has a point
    emphasis: str = ""  # the legend's word for an emphasised point (e.g. "MCID reached")

    @property
    def is_empty(self) -> bool:
        return not any(s.points for s in self.series)

    @property
    def point_scale(self) -> float:
        """How large the points are drawn: whole up to a dozen visits, then smaller (to 0.4) so thirty visits'
        points do not run into each other; both painters multiply their radius by it."""
        count = max((p.visit for s in self.series for p in s.points), default=0)
        return 1.0 if count <= POINTS_FULL_SIZE else max(0.4, (POINTS_FULL_SIZE / count) ** 0.5)


def visit_x(index: int, count: int) -> float:
    """Where the ``index``-th (0-based) of ``count`` visits sits: the middle of its equal share of the axis."""
    return (index + 0.5) / count


def x_ticks(count: int) -> tuple[tuple[float, str], ...]:
    """Visit numbers under the axis: every visit, or every k-th (and the last) when there are many."""
    if count == 0:
        return ()
    step = max(1, -(-count // MAX_X_LABELS))
    shown = list(range(0, count, step))
    if shown[-1] != count - 1:
        if count - 1 - shown[-1] < step / 2:
            shown.pop()  # the last label would crowd the one before it
        shown.append(count - 1)
    return tuple((visit_x(i, count), str(i + 1)) for i in shown)


def _span(days: list[date]) -> str:
    if not days:
        return "Signed visits"
    if len(days) == 1:
        return f"Signed visit of {days[0].isoformat()}"
    if days[0] == days[-1]:
        return f"Signed visits of {days[0].isoformat()}"
    return f"Signed visits {days[0].isoformat()} to {days[-1].isoformat()}"


def pain_figure(visits: list[PainVisit] | tuple[PainVisit, ...]) -> LineFigure:
    """Pain before and after for each visit given (in the order given: oldest first)."""
    count = len(visits)

    def series(name: str, colour: str, values: list[int | None], dashed: bool, size: float) -> Series:
        points = tuple(
            PlotPoint(i + 1, value, visit_x(i, count), value / PAIN_MAX)
            for i, value in enumerate(values)
            if value is not None
        )
        return Series(name, colour, points, dashed, size)

    return LineFigure(
        title="Pain course",
        y_label="Pain 0–10",
        y_ticks=tuple((v / PAIN_MAX, str(v)) for v in range(0, PAIN_MAX + 1, 2)),
        x_ticks=x_ticks(count),
        x_caption=_span([v.day for v in visits]),
        series=(
            series("Before", BEFORE_COLOUR, [v.before for v in visits], False, 1.7),
            series("After", AFTER_COLOUR, [v.after for v in visits], True, 1.0),
        ),
        empty_text="No signed visit with a pain score yet.",
    )
