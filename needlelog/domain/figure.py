"""The body chart's figures, read from ``resources/figure/body.svg``, and what lies under a point.

The SVG is the one source of the figure: the screen draws these shapes, the PDF draws the same
shapes, and a tap is turned into a region and a side by testing these shapes. Each view (front,
back) has a ``rect`` of class ``frame`` giving its box, and one ``polygon`` per region and side,
named ``view.region.side`` with the *patient's* side (on the front view the patient's right is on
the viewer's left). Positions are normalised to 0-1 of the view's box, x left to right as seen,
y from the top of the head to the soles, so that screen and paper agree whatever their size.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from needlelog.domain.lung_field import muscle_over_lung
from needlelog.domain.model import NeedlingSite, TriggerPoint
from needlelog.domain.vocab import LUNG_FIELD_REGIONS, BodyRegion, FigureView, Side

FIGURE_FILE = Path(__file__).resolve().parents[2] / "resources" / "figure" / "body.svg"
_SVG = "{http://www.w3.org/2000/svg}"

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Shape:
    """One polygon of a view. ``kind`` is ``region``, ``body`` (drawn, names no region) or ``lung-field``."""

    kind: str
    name: str
    points: tuple[Point, ...]
    region: BodyRegion | None = None
    side: Side | None = None

    def contains(self, x: float, y: float) -> bool:
        """Even-odd ray casting; a point on an edge counts for one of the two shapes sharing it."""
        inside = False
        points = self.points
        x1, y1 = points[-1]
        for x2, y2 in points:
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
            x1, y1 = x2, y2
        return inside

    def centroid(self) -> Point:
        area = cx = cy = 0.0
        points = self.points
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
            cross = x1 * y2 - x2 * y1
            area += cross
            cx += (x1 + x2) * cross
            cy += (y1 + y2) * cross
        return cx / (3 * area), cy / (3 * area)


@dataclass(frozen=True, slots=True)
class View:
    view: FigureView
    aspect: float  # width / height of the view's box
    shapes: tuple[Shape, ...]

    def regions(self) -> tuple[Shape, ...]:
        return tuple(s for s in self.shapes if s.kind == "region")

    def outline(self) -> tuple[Shape, ...]:
        """Everything drawn as the body: the regions and the shapes that name none."""
        return tuple(s for s in self.shapes if s.kind in ("region", "body"))

    def lung_field(self) -> tuple[Shape, ...]:
        return tuple(s for s in self.shapes if s.kind == "lung-field")


@dataclass(frozen=True, slots=True)
class Figure:
    views: dict[FigureView, View]

    def region_at(self, view: FigureView, x: float, y: float) -> tuple[BodyRegion, Side] | None:
        """The region and the patient's side under a point, or None off the figure (or on the belly)."""
        for shape in self.views[view].regions():
            if shape.contains(x, y):
                assert shape.region is not None and shape.side is not None
                return shape.region, shape.side
        return None

    def in_lung_field(self, point: TriggerPoint) -> bool:
        return any(s.contains(point.x, point.y) for s in self.views[point.view].lung_field())

    def shape(self, view: FigureView, region: BodyRegion, side: Side) -> Shape | None:
        for shape in self.views[view].regions():
            if shape.region is region and shape.side is side:
                return shape
        return None


def parse_figure(svg: str) -> Figure:
    """Read the figure from its SVG text; a malformed figure is a programming error and raises."""
    import xml.etree.ElementTree as ET  # here: the XML parser loads when a chart is first drawn, not at start-up

    root = ET.fromstring(svg)
    views: dict[FigureView, View] = {}
    for group in root.iter(f"{_SVG}g"):
        view = FigureView(group.get("id", ""))
        frame = next(r for r in group.iter(f"{_SVG}rect") if r.get("class") == "frame")
        left, top = float(frame.get("x", "0")), float(frame.get("y", "0"))
        width, height = float(frame.get("width", "1")), float(frame.get("height", "1"))
        shapes = []
        for polygon in group.iter(f"{_SVG}polygon"):
            name = polygon.get("id", "")
            kind = polygon.get("class", "")
            pairs = (pair.split(",") for pair in polygon.get("points", "").split())
            points = tuple(
                (round((float(px) - left) / width, 5), round((float(py) - top) / height, 5)) for px, py in pairs
            )
            region = side = None
            if kind == "region":
                _, region_code, side_code = name.split(".")
                region, side = BodyRegion(region_code), Side(side_code)
            shapes.append(Shape(kind, name, points, region, side))
        views[view] = View(view, width / height, tuple(shapes))
    if set(views) != set(FigureView):
        raise ValueError("The body figure needs a front and a back view.")
    return Figure(views)


@cache
def body_figure() -> Figure:
    """The figure the program ships (read once)."""
    return parse_figure(FIGURE_FILE.read_text(encoding="utf-8"))


# The view a region is usually needled from, for a marker placed from the keyboard.
PREFERRED_VIEW: dict[BodyRegion, FigureView] = {
    BodyRegion.HEAD_JAW: FigureView.FRONT,
    BodyRegion.NECK: FigureView.BACK,
    BodyRegion.SHOULDER: FigureView.BACK,
    BodyRegion.UPPER_BACK: FigureView.BACK,
    BodyRegion.CHEST: FigureView.FRONT,
    BodyRegion.LOWER_BACK: FigureView.BACK,
    BodyRegion.UPPER_ARM: FigureView.BACK,
    BodyRegion.ELBOW: FigureView.BACK,
    BodyRegion.FOREARM_HAND: FigureView.FRONT,
    BodyRegion.HIP_GLUTEAL: FigureView.BACK,
    BodyRegion.THIGH: FigureView.FRONT,
    BodyRegion.KNEE: FigureView.FRONT,
    BodyRegion.CALF: FigureView.BACK,
    BodyRegion.ANKLE_FOOT: FigureView.FRONT,
}


# Regions whose shape's middle is not where a site placed from a list belongs: (x from midline, y).
MID_HEIGHT: dict[BodyRegion, tuple[float, float]] = {BodyRegion.NECK: (0.045, 0.14)}


def anchor_points(region: BodyRegion, side: Side, figure: Figure | None = None) -> tuple[TriggerPoint, ...]:
    """Where markers go when a site is placed from a list: the middle of the region's shape.

    Bilateral puts one marker on each side. Midline puts it on the midline for the regions that
    meet there (head, neck, trunk, hips); a limb has no midline, so it goes to the right-hand limb.
    """
    figure = figure or body_figure()
    view = PREFERRED_VIEW[region]

    def middle(of_side: Side) -> TriggerPoint:
        shape = figure.shape(view, region, of_side)
        assert shape is not None, f"the figure has no {region.value} {of_side.value} on the {view.value} view"
        x, y = shape.centroid()
        if region in MID_HEIGHT:
            # the neck's middle is its base, over the lung: a neck site placed from the list sits higher
            towards_right = (of_side is Side.RIGHT) == (view is FigureView.BACK)
            offset, y = MID_HEIGHT[region]
            x = 0.5 + offset if towards_right else 0.5 - offset
        return TriggerPoint(view, round(x, 4), round(y, 4))

    if side is Side.BILATERAL:
        return middle(Side.RIGHT), middle(Side.LEFT)
    if side is Side.MIDLINE:
        right = middle(Side.RIGHT)
        shape = figure.shape(view, region, Side.RIGHT)
        on_midline = shape is not None and any(abs(x - 0.5) < 1e-4 for x, _ in shape.points)
        return (TriggerPoint(view, 0.5, right.y),) if on_midline else (right,)
    return (middle(side),)


def anchor_point(region: BodyRegion, side: Side, figure: Figure | None = None) -> TriggerPoint:
    """The first of :func:`anchor_points`."""
    return anchor_points(region, side, figure)[0]


def lung_field_site(site: NeedlingSite, figure: Figure | None = None) -> bool:
    """A site where a needle can reach the lung: the one rule for the editor's caution, the breathing aftercare
    it ticks, the sign rule that asks for that aftercare, the stored flag and the note's line.

    Its region is the chest or the upper back, or its muscle lies over the thorax or the lung apex
    (:mod:`needlelog.domain.lung_field`), or a marker lies in the figure's lung field (the base of the neck).
    """
    if site.region in LUNG_FIELD_REGIONS or muscle_over_lung(site.muscle):
        return True
    figure = figure or body_figure()
    return any(figure.in_lung_field(point) for point in site.trigger_points)
