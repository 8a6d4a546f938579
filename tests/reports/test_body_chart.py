"""The body chart on the visit note, the lung-field caution line and timed dwells, read back from real PDFs.

The geometric test rasterises the page with poppler's ``pdftoppm`` and finds the marker by its colour.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from needlelog.domain.figure import body_figure, lung_field_site
from needlelog.domain.model import NeedlingSite, TriggerPoint, VisitNote
from needlelog.domain.vocab import Aftercare, BodyRegion, FigureView, SessionStatus, Side, TwitchResponse
from needlelog.reports import body_chart, visit_note
from needlelog.reports.body_chart import BodyChart
from needlelog.reports.visit_note import render_visit_note
from tests.reports.test_visit_note import START, signed_note, squashed, text_of

DPI = 100
PAGE_HEIGHT = visit_note.PAGE[1]
MARKER_RGB = tuple(round(channel * 255) for channel in body_chart.MARKER.rgb())
# The right upper trapezius, seen from the back (the patient's right is on the viewer's right).
TRAPEZIUS = TriggerPoint(FigureView.BACK, 0.6, 0.168)


@pytest.fixture
def charts(monkeypatch: pytest.MonkeyPatch) -> list[BodyChart]:
    """Every body chart the notes draw, after drawing (with where its markers and views landed)."""
    drawn: list[BodyChart] = []

    class Recording(BodyChart):
        def draw(self) -> None:
            super().draw()
            drawn.append(self)

    monkeypatch.setattr(visit_note, "BodyChart", Recording)
    return drawn


def with_sites(note: VisitNote, *sites: NeedlingSite, **changes: Any) -> VisitNote:
    """The note with these sites, its lung-field flag recorded as every save records it."""
    changes.setdefault("lung_field_caution", any(lung_field_site(site) for site in sites))
    return replace(note, session=replace(note.session, sites=sites, **changes))


CHEST = NeedlingSite(
    BodyRegion.CHEST,
    Side.RIGHT,
    "pectoralis major",
    1,
    "0.25 x 30 mm",
    "L2304-02",
    10,
    TwitchResponse.WEAK,
    (TriggerPoint(FigureView.FRONT, 0.36, 0.24),),
)


# --- what the chart prints ----------------------------------------------------------------


def test_the_note_draws_front_and_back_with_a_marker_per_trigger_point(tmp_path: Path, charts: list[BodyChart]) -> None:
    note = signed_note()
    first, second, third = note.session.sites
    two_points = (TriggerPoint(FigureView.BACK, 0.3, 0.2), TriggerPoint(FigureView.BACK, 0.7, 0.2))
    note = with_sites(note, first, replace(second, trigger_points=two_points), third)
    text = text_of(render_visit_note(note), tmp_path)
    assert "Body chart" in text and "Front" in text and "Back" in text
    assert text.index("Body chart") < text.index("Needling sites")  # beside the facts, above the sites
    (chart,) = charts
    # the number is the site's "#" in the sites table; a site with two points shows its number twice
    back = FigureView.BACK
    assert [(m.number, m.view) for m in chart.drawn] == [(1, back), (2, back), (2, back)]
    assert set(chart.drawn_boxes) == {FigureView.FRONT, FigureView.BACK}
    front_box, back_box = chart.drawn_boxes[FigureView.FRONT], chart.drawn_boxes[back]
    assert front_box[0] + front_box[2] < back_box[0]  # front on the left, back on the right
    for view, (_, _, width, height) in chart.drawn_boxes.items():
        assert width / height == pytest.approx(body_figure().views[view].aspect)
        assert height == pytest.approx(visit_note.CHART_BESIDE_HEIGHT - body_chart.LABEL_ROW - body_chart.RADIUS)
    # beside the facts, in the right-hand part of the page
    assert back_box[0] + back_box[2] == pytest.approx(visit_note.PAGE[0] - visit_note.MARGIN, abs=12)
    assert front_box[0] > visit_note.PAGE[0] / 2


def test_a_note_without_sites_has_no_body_chart(tmp_path: Path, charts: list[BodyChart]) -> None:
    text = text_of(render_visit_note(with_sites(signed_note())), tmp_path)
    assert "No sites recorded." in text
    assert "Body chart" not in text and "Front" not in text and not charts


def test_the_chart_moves_whole_to_the_next_page(tmp_path: Path, charts: list[BodyChart]) -> None:
    note = signed_note()
    assert note.patient.consent is not None
    long_consent = replace(note.patient.consent, obtained_by="Dana " * 700)
    render_visit_note(replace(note, patient=replace(note.patient, consent=long_consent)))
    (chart,) = charts
    _, bottom, _, height = chart.drawn_boxes[FigureView.BACK]
    assert chart.drawn[0].page == 2  # the facts fill most of page 1; the chart is not cut in two
    assert bottom > visit_note.FOOTER_SPACE and bottom + height < PAGE_HEIGHT - visit_note.MARGIN


# --- the lung-field caution ----------------------------------------------------------------


def off_the_lung(note: VisitNote) -> VisitNote:
    """The note's sites in muscles nowhere near the lung (its upper trapezius and infraspinatus lie over it)."""
    neck, shoulder, back = note.session.sites
    return with_sites(note, replace(neck, muscle="levator scapulae"), replace(shoulder, muscle="teres minor"), back)


def test_the_lung_field_caution_is_printed_only_when_a_site_lies_over_the_lung(tmp_path: Path) -> None:
    note = off_the_lung(signed_note())
    assert "Lung-field caution" not in text_of(render_visit_note(note), tmp_path)

    chest = with_sites(note, *note.session.sites, CHEST)
    flat = squashed(text_of(render_visit_note(chest), tmp_path))
    assert squashed("Lung-field caution: site 4 over the lung field (pneumothorax risk)") in flat
    assert squashed("shortness of breath or chest pain: NOT given.") in flat
    text = text_of(render_visit_note(chest), tmp_path)
    assert text.index("Needling sites") < text.index("Lung-field caution") < text.index("pectoralis major")

    given = with_sites(
        note, *note.session.sites, CHEST, aftercare=note.session.aftercare | {Aftercare.SEEK_CARE_BREATHING}
    )
    flat = squashed(text_of(render_visit_note(given), tmp_path))
    assert squashed("chest pain: given.") in flat and "NOTgiven" not in flat

    # a neck site whose marker sits at the base of the neck, over the lung, counts too
    neck = replace(note.session.sites[0], trigger_points=(TRAPEZIUS,))
    flat = squashed(text_of(render_visit_note(with_sites(note, neck, CHEST)), tmp_path))
    assert squashed("sites 1, 2 over the lung field") in flat


def test_a_signed_note_prints_the_caution_as_recorded_when_it_was_signed(tmp_path: Path) -> None:
    """A note signed before a muscle joined the lung-field list prints no caution it never had."""
    note = signed_note()  # upper trapezius and infraspinatus: over the lung by today's list
    assert lung_field_site(note.session.sites[0])
    as_signed = replace(note, session=replace(note.session, lung_field_caution=False))
    assert "Lung-field caution" not in text_of(render_visit_note(as_signed), tmp_path)
    draft = replace(as_signed, session=replace(as_signed.session, status=SessionStatus.DRAFT, fingerprint=None))
    assert "Lung-field caution" in text_of(render_visit_note(draft), tmp_path)  # a draft follows today's rule


def test_a_recorded_caution_prints_even_when_no_site_is_over_the_lung_now(tmp_path: Path) -> None:
    note = off_the_lung(signed_note())
    recorded = replace(note, session=replace(note.session, lung_field_caution=True))
    flat = squashed(text_of(render_visit_note(recorded), tmp_path))
    assert squashed("Lung-field caution: recorded (pneumothorax risk)") in flat


# --- timed dwell ------------------------------------------------------------------------------


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


def test_a_timed_dwell_prints_the_minutes_and_the_times(tmp_path: Path) -> None:
    note = signed_note()
    started, stopped = START + timedelta(minutes=2), START + timedelta(minutes=13)
    timed = replace(note.session.sites[0], dwell_minutes=11, timer_started=started, timer_stopped=stopped)
    text = text_of(render_visit_note(with_sites(note, timed)), tmp_path, layout=True)
    flat = squashed(text)
    row = next(line for line in text.splitlines() if line.strip().startswith("1 ") and "Neck" in line)
    assert "11 min" in row
    assert squashed(f"timed {_clock(started)}–{_clock(stopped)}") in flat
    assert "timer running" not in text


def test_a_running_timer_on_a_draft_prints_since_when(tmp_path: Path) -> None:
    note = signed_note()
    started = START + timedelta(minutes=2)
    running = replace(note.session.sites[0], dwell_minutes=None, timer_started=started)
    draft = replace(note, session=replace(note.session, sites=(running,), status=SessionStatus.DRAFT))
    flat = squashed(text_of(render_visit_note(draft), tmp_path))
    assert squashed(f"timer running since {_clock(started)}") in flat
    assert "timed" not in flat


# --- where a marker lands ---------------------------------------------------------------------


def rasterise(pdf: bytes, page: int, tmp_path: Path) -> tuple[int, int, bytes]:
    """One page as RGB pixels at ``DPI`` (pdftoppm's PPM output, read without an imaging library)."""
    path = tmp_path / "raster.pdf"
    path.write_bytes(pdf)
    command = ["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), "-singlefile", str(path)]
    data = subprocess.run(command, capture_output=True, check=True).stdout
    fields: list[bytes] = []
    at = 0
    while len(fields) < 4:  # "P6", width, height, maxval, separated by white space ("#" starts a comment)
        while data[at : at + 1].isspace():
            at += 1
        if data[at : at + 1] == b"#":
            at = data.index(b"\n", at) + 1
            continue
        start = at
        while not data[at : at + 1].isspace():
            at += 1
        fields.append(data[start:at])
    assert fields[0] == b"P6" and fields[3] == b"255"
    width, height = int(fields[1]), int(fields[2])
    pixels = data[at + 1 :]
    assert len(pixels) == width * height * 3
    return width, height, pixels


def pixel(raster: tuple[int, int, bytes], x: int, y: int) -> tuple[int, int, int]:
    width, _, pixels = raster
    at = (y * width + x) * 3
    return pixels[at], pixels[at + 1], pixels[at + 2]


def is_marker(rgb: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 30 for a, b in zip(rgb, MARKER_RGB, strict=True))


def to_pixels(x: float, y: float) -> tuple[float, float]:
    """A page position in points (y up) as a position in the raster (pixels, y down)."""
    return x * DPI / 72, (PAGE_HEIGHT - y) * DPI / 72


def test_a_marker_is_drawn_exactly_at_its_normalised_point(tmp_path: Path, charts: list[BodyChart]) -> None:
    note = signed_note()
    site = replace(note.session.sites[0], trigger_points=(TRAPEZIUS,))
    pdf = render_visit_note(with_sites(note, site))
    (chart,) = charts
    (marker,) = chart.drawn
    assert (marker.number, marker.view) == (1, FigureView.BACK)

    # 1. The reported centre is the normalised point within the back view's box, y from the top.
    left, bottom, width, height = chart.drawn_boxes[FigureView.BACK]
    assert marker.x == pytest.approx(left + 0.6 * width)
    assert marker.y == pytest.approx(bottom + height - 0.168 * height)

    raster = rasterise(pdf, marker.page, tmp_path)
    cx, cy = to_pixels(marker.x, marker.y)

    # 2. The page shows the marker there: its disc's pixels are centred on that spot.
    reach = round(body_chart.RADIUS * 3 * DPI / 72)
    found = [
        (x, y)
        for y in range(round(cy) - reach, round(cy) + reach)
        for x in range(round(cx) - reach, round(cx) + reach)
        if is_marker(pixel(raster, x, y))
    ]
    assert len(found) > 40
    xs, ys = [x for x, _ in found], [y for _, y in found]
    assert (min(xs) + max(xs) + 1) / 2 == pytest.approx(cx, abs=1.0)
    assert (min(ys) + max(ys) + 1) / 2 == pytest.approx(cy, abs=1.0)
    radius = (max(xs) + 1 - min(xs)) / 2
    assert radius == pytest.approx(body_chart.RADIUS * DPI / 72, abs=1.5)

    # 3. The figure drawn on the page agrees: its outline spans, in pixels, what the SVG's shapes span.
    view = body_figure().views[FigureView.BACK]
    points = [p for shape in view.outline() for p in shape.points]
    box_left, box_top = to_pixels(left, bottom + height)
    box_width, box_height = width * DPI / 72, height * DPI / 72
    inked = [
        (x, y)
        for y in range(int(box_top) - 2, int(box_top + box_height) + 2)
        for x in range(int(box_left) - 2, int(box_left + box_width) + 2)
        if min(pixel(raster, x, y)) < 235
    ]
    seen_left, seen_right = min(x for x, _ in inked), max(x for x, _ in inked) + 1
    seen_top, seen_bottom = min(y for _, y in inked), max(y for _, y in inked) + 1
    assert seen_left == pytest.approx(box_left + min(x for x, _ in points) * box_width, abs=1.5)
    assert seen_right == pytest.approx(box_left + max(x for x, _ in points) * box_width, abs=1.5)
    assert seen_top == pytest.approx(box_top + min(y for _, y in points) * box_height, abs=1.5)
    assert seen_bottom == pytest.approx(box_top + max(y for _, y in points) * box_height, abs=1.5)

    # 4. Without the marker, the same spot is the figure, not the marker's colour.
    charts.clear()
    bare = render_visit_note(with_sites(note, replace(site, trigger_points=())))
    (empty,) = charts
    assert empty.drawn == [] and empty.drawn_boxes == chart.drawn_boxes
    plain = rasterise(bare, marker.page, tmp_path)
    around = [(round(cx) + dx, round(cy) + dy) for dx in (-3, 0, 3) for dy in (-3, 0, 3)]
    assert not any(is_marker(pixel(plain, x, y)) for x, y in around)
