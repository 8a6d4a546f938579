"""Where past markers were placed, as density: the trigger points of a patient's signed visits counted in cells.

A 200-visit patient has a few thousand points; counting them into a fixed grid per view is one pass, and what
is drawn is at most the grid's cells, however many visits there were. The screen paints each cell with an
opacity by its share of the busiest cell, clipped to the figure, so the same spot needled again and again
shows darker, and one stray marker faint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from needlelog.domain.model import TriggerPoint
from needlelog.domain.vocab import FigureView

COLUMNS, ROWS = 24, 60  # per view: cells about as wide as tall on the figure (a view is about 0.4 wide / tall)


@dataclass(frozen=True, slots=True)
class HeatCell:
    view: FigureView
    column: int
    row: int
    count: int
    share: float  # of the busiest cell of either view, 0-1

    def box(self) -> tuple[float, float, float, float]:
        """The cell as normalised left, top, width, height of its view."""
        return self.column / COLUMNS, self.row / ROWS, 1 / COLUMNS, 1 / ROWS


def cell_of(x: float, y: float) -> tuple[int, int]:
    """The (column, row) a normalised point falls in; a point at 1.0 falls in the last cell. The chart's query
    counts in SQL by the same rule (``db/course_repo.marker_cells``), and a test holds the two together."""
    return min(int(x * COLUMNS), COLUMNS - 1), min(int(y * ROWS), ROWS - 1)


def marker_density(points: Iterable[TriggerPoint]) -> tuple[HeatCell, ...]:
    """The non-empty cells, busiest first."""
    return density_of(Counter((p.view, *cell_of(p.x, p.y)) for p in points if 0 <= p.x <= 1 and 0 <= p.y <= 1).items())


def density_of(counted: Iterable[tuple[tuple[FigureView, int, int], int]]) -> tuple[HeatCell, ...]:
    """Cells from their counts ((view, column, row), count), busiest first."""
    counts = dict(counted)
    if not counts:
        return ()
    busiest = max(counts.values())
    return tuple(
        HeatCell(view, column, row, count, count / busiest)
        for (view, column, row), count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )
