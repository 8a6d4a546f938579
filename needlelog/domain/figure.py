"""Where each body region sits on the chart's figures, in normalised (0-1) coordinates.

x runs left to right as the figure is seen, y from the top of the head to the soles. On the
front view the patient's right is on the viewer's left; on the back view it is on the right.
These anchors place a default marker when a site is chosen from a list instead of a tap.
"""

from __future__ import annotations

from needlelog.domain.model import TriggerPoint
from needlelog.domain.vocab import BodyRegion, FigureView, Side

# region -> (view it is usually needled from, distance from the midline, height)
ANCHORS: dict[BodyRegion, tuple[FigureView, float, float]] = {
    BodyRegion.HEAD_JAW: (FigureView.FRONT, 0.06, 0.08),
    BodyRegion.NECK: (FigureView.BACK, 0.05, 0.15),
    BodyRegion.SHOULDER: (FigureView.BACK, 0.17, 0.21),
    BodyRegion.UPPER_BACK: (FigureView.BACK, 0.07, 0.28),
    BodyRegion.CHEST: (FigureView.FRONT, 0.09, 0.27),
    BodyRegion.LOWER_BACK: (FigureView.BACK, 0.05, 0.45),
    BodyRegion.UPPER_ARM: (FigureView.BACK, 0.21, 0.33),
    BodyRegion.ELBOW: (FigureView.BACK, 0.24, 0.41),
    BodyRegion.FOREARM_HAND: (FigureView.FRONT, 0.27, 0.50),
    BodyRegion.HIP_GLUTEAL: (FigureView.BACK, 0.09, 0.52),
    BodyRegion.THIGH: (FigureView.FRONT, 0.09, 0.63),
    BodyRegion.KNEE: (FigureView.FRONT, 0.09, 0.73),
    BodyRegion.CALF: (FigureView.BACK, 0.09, 0.83),
    BodyRegion.ANKLE_FOOT: (FigureView.FRONT, 0.09, 0.95),
}


def anchor_point(region: BodyRegion, side: Side) -> TriggerPoint:
    view, offset, height = ANCHORS[region]
    if side is Side.MIDLINE:
        return TriggerPoint(view, 0.5, height)
    patient_right = side is Side.RIGHT
    towards_viewer_left = patient_right if view is FigureView.FRONT else not patient_right
    x = 0.5 - offset if towards_viewer_left else 0.5 + offset
    return TriggerPoint(view, round(x, 4), height)
