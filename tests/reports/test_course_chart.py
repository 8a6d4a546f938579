"""The pain course: the figure described once (domain), and on the visit note read back from the real PDF.

The read-back trusts nothing the drawing code reports: the axis is found from the words poppler reads off the
page (``pdftotext -bbox``: the y-axis numbers 0-10 and the visit numbers under the axis), the points from the
page's pixels (``pdftoppm``) by their exact colour, and each point must sit where its visit's value belongs.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from needlelog.domain.course import AFTER_COLOUR, BEFORE_COLOUR, PainVisit, pain_figure, visit_x, x_ticks
from needlelog.reports.visit_note import render_visit_note
from tests.reports.test_body_chart import pixel, rasterise
from tests.reports.test_visit_note import signed_note, text_of

DPI = 100  # as test_body_chart's rasterise


def visits(*pains: tuple[int | None, int | None]) -> tuple[PainVisit, ...]:
    return tuple(PainVisit(i + 1, date(2026, 1, 5) + timedelta(days=7 * i), b, a) for i, (b, a) in enumerate(pains))


# --- the figure, described once -------------------------------------------------------------


def test_the_figure_places_each_visit_evenly_and_each_value_on_the_0_to_10_scale() -> None:
    figure = pain_figure(visits((8, 5), (6, None), (4, 2)))
    before, after = figure.series
    assert [(p.visit, p.value, p.x, p.y) for p in before.points] == [
        (1, 8, 1 / 6, 0.8),
        (2, 6, 0.5, 0.6),
        (3, 4, 5 / 6, 0.4),
    ]
    assert [(p.visit, p.value) for p in after.points] == [(1, 5), (3, 2)]  # no "after" at visit 2: no point
    assert figure.y_ticks == ((0.0, "0"), (0.2, "2"), (0.4, "4"), (0.6, "6"), (0.8, "8"), (1.0, "10"))
    assert figure.x_caption == "Signed visits 2026-01-05 to 2026-01-19"
    assert not figure.is_empty and pain_figure(visits((None, None))).is_empty
    assert figure.point_scale == 1.0 and pain_figure(visits(*[(5, 3)] * 48)).point_scale == 0.5


def test_a_long_course_labels_a_readable_number_of_visits_and_always_the_last() -> None:
    assert [label for _, label in x_ticks(3)] == ["1", "2", "3"]
    many = x_ticks(200)
    assert len(many) <= 9 and many[0] == (visit_x(0, 200), "1") and many[-1][1] == "200"
    assert [label for _, label in x_ticks(9)] == ["1", "3", "5", "7", "9"]


# --- the figure on the visit note, read back ------------------------------------------------


@dataclass(frozen=True)
class Word:
    text: str
    x: float  # centre, points from the left
    y: float  # centre, points from the top
    page: int


def words_of(pdf: bytes, tmp_path: Path) -> list[Word]:
    path = tmp_path / "words.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    found: list[Word] = []
    for page, body in enumerate(html.split("<page ")[1:], start=1):
        for x0, y0, x1, y1, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', body
        ):
            found.append(Word(text, (float(x0) + float(x1)) / 2, (float(y0) + float(y1)) / 2, page))
    return found


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def blobs(raster: tuple[int, int, bytes], colour: str, top: float, bottom: float) -> list[tuple[float, float]]:
    """Centres (points, from the top) of the discs of exactly ``colour`` between ``top`` and ``bottom``."""
    width, _, _ = raster
    want = rgb(colour)
    scale = DPI / 72
    hits = {
        (x, y)
        for y in range(round(top * scale), round(bottom * scale))
        for x in range(width)
        if all(abs(a - b) <= 20 for a, b in zip(pixel(raster, x, y), want, strict=True))
    }
    groups: list[list[tuple[int, int]]] = []
    while hits:
        stack = [hits.pop()]
        group = []
        while stack:
            x, y = stack.pop()
            group.append((x, y))
            for near in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                if near in hits:
                    hits.remove(near)
                    stack.append(near)
        if len(group) >= 6:  # a disc, not a stray anti-aliased pixel of a line
            groups.append(group)
    # A ring round an equal value of the other series is cut by that series' line: its pieces are one point.
    merged: list[list[tuple[int, int]]] = []
    for group in sorted(groups):
        if merged and abs(group[0][0] - merged[-1][0][0]) < 6 * scale:
            merged[-1].extend(group)
        else:
            merged.append(group)
    return [
        ((sum(x for x, _ in g) / len(g) + 0.5) / scale, (sum(y for _, y in g) / len(g) + 0.5) / scale) for g in merged
    ]


def test_the_note_draws_the_pain_course_where_the_axis_printed_on_it_says(tmp_path: Path) -> None:
    course = visits((8, 5), (7, 3), (5, 5), (3, 0))
    note = replace(signed_note(), course=course)
    pdf = render_visit_note(note)
    assert "Course so far" in text_of(pdf, tmp_path)

    words = words_of(pdf, tmp_path)
    heading = next(w for w in words if w.text == "Course")
    caption = next(w for w in words if w.text == "Signed" and w.page == heading.page and w.y > heading.y)
    assert " ".join(w.text for w in words if w.page == heading.page and abs(w.y - caption.y) < 1) == (
        "Signed visits 2026-01-05 to 2026-01-26"
    )
    numbers = [w for w in words if w.page == heading.page and heading.y < w.y < caption.y and w.text.isdigit()]
    row_y = max(w.y for w in numbers)  # the visit numbers: the row of numbers just above the caption
    visit_at = {int(w.text): w.x for w in numbers if abs(w.y - row_y) < 1}
    value_at = {int(w.text): w.y for w in numbers if abs(w.y - row_y) >= 1}
    assert sorted(visit_at) == [1, 2, 3, 4]
    assert sorted(value_at) == [0, 2, 4, 6, 8, 10]
    per_unit = (value_at[0] - value_at[10]) / 10

    def where(visit: int, value: int) -> tuple[float, float]:
        return visit_at[visit], value_at[0] - value * per_unit

    raster = rasterise(pdf, heading.page, tmp_path)
    top, bottom = value_at[10] - per_unit / 4, value_at[0] + per_unit / 2  # the plot, without the legend above
    for colour, values in ((BEFORE_COLOUR, [8, 7, 5, 3]), (AFTER_COLOUR, [5, 3, 5, 0])):
        found = blobs(raster, colour, top, bottom)
        expected = [where(visit, value) for visit, value in enumerate(values, start=1)]
        assert len(found) == len(expected)
        for (fx, fy), (ex, ey) in zip(found, expected, strict=True):
            assert fx == pytest.approx(ex, abs=1.5)
            assert fy == pytest.approx(ey, abs=1.5)


def test_a_note_before_any_signed_visit_has_no_course(tmp_path: Path) -> None:
    assert "Course so far" not in text_of(render_visit_note(signed_note()), tmp_path)
