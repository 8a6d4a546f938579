"""The body figure: read from the shipped SVG, every region where its name says, taps and anchors agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from needlelog.domain.figure import anchor_point, anchor_points, body_figure, lung_field_site, parse_figure
from needlelog.domain.model import NeedlingSite, TriggerPoint
from needlelog.domain.timers import TimerLevel, clock_text, dwell_minutes, timed_dwell, timer_level
from needlelog.domain.vocab import LUNG_FIELD_REGIONS, BodyRegion, FigureView, Side

PAIRED = (Side.LEFT, Side.RIGHT)


def test_every_region_has_a_left_and_a_right_shape_on_its_usual_view() -> None:
    figure = body_figure()
    for region in BodyRegion:
        for side in PAIRED:
            view = anchor_point(region, side).view
            assert figure.shape(view, region, side) is not None, (region, side, view)


def test_the_chest_is_on_the_front_and_the_upper_and_lower_back_on_the_back() -> None:
    figure = body_figure()
    front = {s.region for s in figure.views[FigureView.FRONT].regions()}
    back = {s.region for s in figure.views[FigureView.BACK].regions()}
    assert BodyRegion.CHEST in front and BodyRegion.CHEST not in back
    assert {BodyRegion.UPPER_BACK, BodyRegion.LOWER_BACK} <= back
    assert not {BodyRegion.UPPER_BACK, BodyRegion.LOWER_BACK} & front


@pytest.mark.parametrize("region", list(BodyRegion))
@pytest.mark.parametrize("side", list(Side))
def test_a_marker_placed_from_the_lists_lands_in_its_own_region_and_side(region: BodyRegion, side: Side) -> None:
    figure = body_figure()
    points = anchor_points(region, side)
    assert len(points) == (2 if side is Side.BILATERAL else 1)
    for point in points:
        hit = figure.region_at(point.view, point.x, point.y)
        assert hit is not None and hit[0] is region, (point, hit)
        if side in PAIRED:
            assert hit[1] is side
        assert 0 <= point.x <= 1 and 0 <= point.y <= 1


def test_sides_are_the_patients_front_mirrored_from_back() -> None:
    figure = body_figure()
    # the patient's right is on the viewer's left from the front, on the viewer's right from behind
    assert figure.region_at(FigureView.FRONT, 0.15, 0.45) == (BodyRegion.FOREARM_HAND, Side.RIGHT)
    assert figure.region_at(FigureView.BACK, 0.15, 0.45) == (BodyRegion.FOREARM_HAND, Side.LEFT)
    assert anchor_point(BodyRegion.NECK, Side.RIGHT).x > 0.5 > anchor_point(BodyRegion.NECK, Side.LEFT).x
    assert anchor_point(BodyRegion.CHEST, Side.RIGHT).x < 0.5 < anchor_point(BodyRegion.CHEST, Side.LEFT).x
    assert anchor_point(BodyRegion.LOWER_BACK, Side.MIDLINE).x == 0.5


def test_the_right_upper_trapezius_from_behind_is_the_right_neck_and_over_the_lung() -> None:
    figure = body_figure()
    point = TriggerPoint(FigureView.BACK, 0.6, 0.168)
    assert figure.region_at(point.view, point.x, point.y) == (BodyRegion.NECK, Side.RIGHT)
    assert figure.in_lung_field(point)
    high_neck = anchor_point(BodyRegion.NECK, Side.RIGHT)
    assert not figure.in_lung_field(high_neck)


def test_off_the_figure_and_the_belly_name_no_region() -> None:
    figure = body_figure()
    assert figure.region_at(FigureView.FRONT, 0.02, 0.02) is None
    assert figure.region_at(FigureView.FRONT, 0.6, 0.42) is None  # the belly: drawn, not a region


def test_shapes_of_regions_do_not_overlap() -> None:
    figure = body_figure()
    for view in figure.views.values():
        for i in range(1, 100):
            for j in range(1, 100):
                x, y = i / 100 + 0.003, j / 100 + 0.003
                inside = [s.name for s in view.regions() if s.contains(x, y)]
                assert len(inside) <= 1, (view.view, x, y, inside)


@pytest.mark.parametrize("region", list(BodyRegion))
def test_lung_field_sites_are_the_chest_the_upper_back_and_the_base_of_the_neck(region: BodyRegion) -> None:
    site = NeedlingSite(region, Side.RIGHT, trigger_points=(anchor_point(region, Side.RIGHT),))
    assert lung_field_site(site) is (region in LUNG_FIELD_REGIONS)
    assert lung_field_site(NeedlingSite(region, Side.RIGHT)) is (region in LUNG_FIELD_REGIONS)
    base = TriggerPoint(FigureView.FRONT, 0.44, 0.17)
    base_of_neck = NeedlingSite(BodyRegion.NECK, Side.RIGHT, trigger_points=(base,))
    assert lung_field_site(base_of_neck)


def test_a_figure_without_a_back_view_is_refused() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><g id="front"><rect class="frame" x="0" y="0" '
        'width="10" height="10"/></g></svg>'
    )
    with pytest.raises(ValueError, match="front and a back"):
        parse_figure(svg)


def test_timer_levels_warn_at_the_planned_dwell_and_alarm_at_15() -> None:
    start = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    at = lambda **d: start + timedelta(**d)  # noqa: E731
    assert timer_level(start, 10, at(minutes=9, seconds=59)) is TimerLevel.RUNNING
    assert timer_level(start, 10, at(minutes=10)) is TimerLevel.WARNING
    assert timer_level(start, 10, at(minutes=14, seconds=59)) is TimerLevel.WARNING
    assert timer_level(start, 10, at(minutes=15)) is TimerLevel.ALARM
    assert timer_level(start, None, at(minutes=14)) is TimerLevel.RUNNING
    assert dwell_minutes(start, at(minutes=11, seconds=29)) == 11
    assert dwell_minutes(start, at(minutes=11, seconds=30)) == 12
    assert timed_dwell(start, at(minutes=11)) == 11
    assert timed_dwell(start, at(minutes=4, seconds=50)) is None  # not "5": the needles were in less than 5:00
    assert timed_dwell(start, at(minutes=15)) == 15
    assert timed_dwell(start, at(minutes=15, seconds=20)) is None  # not "15"
    assert clock_text(timedelta(minutes=4, seconds=5)) == "4:05"
    assert clock_text(-timedelta(seconds=40)) == "-0:40"
