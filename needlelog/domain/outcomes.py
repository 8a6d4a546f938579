"""Outcome measures recorded on the visit: the Patient-Specific Functional Scale, and total scores of licensed
instruments (SPEC §5, issue 15 item 2).

The PSFS (Stratford et al. 1995) is in the public domain: the patient names up to five activities they find hard
and rates each 0 (unable) to 10 (as before the problem); the score is the mean of the rated activities, and higher
is better. The Neck Disability Index, the Oswestry Disability Index, the QuickDASH and the Lower Extremity
Functional Scale are licensed texts the program does not print: the clinic scores them on the licensed form and
records the total here, on the instrument's own range. A change is "MCID reached" when it is at least the minimal
clinically important difference in the better direction, reckoned from the first score of the same instrument in
the course shown (the baseline). Each MCID and its source is in ``docs/CLINICAL.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from needlelog.domain.course import LineFigure, PlotPoint, Series, visit_x, x_ticks
from needlelog.domain.problems import FieldProblem
from needlelog.domain.text import TEXT_LIMITS, storable, text_problems

PSFS_ACTIVITIES_MAX = 5
ACTIVITY_NAME_MAX = TEXT_LIMITS["outcome.psfs_activity"]
SCORE_COLOUR = "#5b3f8c"


class Instrument(StrEnum):
    """The stored code of an outcome measure (never renamed once released)."""

    PSFS = "psfs"
    NDI = "ndi"
    ODI = "odi"
    QUICKDASH = "quickdash"
    LEFS = "lefs"


@dataclass(frozen=True, slots=True)
class Scale:
    """An instrument's range, its direction and its minimal clinically important difference (in its own units)."""

    name: str
    short: str
    low: float
    high: float
    decimals: int  # of a recorded total (the PSFS's activities are whole numbers; its mean is shown to 1 place)
    higher_is_better: bool
    mcid: float
    unit: str = "points"


SCALES: dict[Instrument, Scale] = {
    Instrument.PSFS: Scale("Patient-Specific Functional Scale", "PSFS", 0, 10, 0, True, 1.3),
    Instrument.NDI: Scale("Neck Disability Index", "NDI", 0, 50, 0, False, 7),
    Instrument.ODI: Scale("Oswestry Disability Index", "ODI", 0, 100, 0, False, 12, "% points"),
    Instrument.QUICKDASH: Scale("QuickDASH", "QuickDASH", 0, 100, 1, False, 10.8),
    Instrument.LEFS: Scale("Lower Extremity Functional Scale", "LEFS", 0, 80, 0, True, 9),
}
LICENSED = (Instrument.NDI, Instrument.ODI, Instrument.QUICKDASH, Instrument.LEFS)


@dataclass(frozen=True, slots=True)
class PsfsActivity:
    """One activity the patient named, and how well they can do it now (0-10; None: not yet rated)."""

    activity: str
    score: int | None = None


@dataclass(frozen=True, slots=True)
class OutcomeMeasure:
    """One instrument's result at one visit: the PSFS's activities, or a licensed instrument's total."""

    instrument: Instrument
    total: float | None = None
    activities: tuple[PsfsActivity, ...] = ()

    @property
    def score(self) -> float | None:
        """The PSFS's mean of its rated activities, or the recorded total; None when there is nothing to score."""
        if self.instrument is Instrument.PSFS:
            return psfs_score(self.activities)
        return self.total

    @property
    def is_empty(self) -> bool:
        return self.total is None and not any(a.activity.strip() or a.score is not None for a in self.activities)


def psfs_score(activities: Sequence[PsfsActivity]) -> float | None:
    """The mean of the rated activities (Stratford 1995: the average of the activity scores)."""
    scores = [a.score for a in activities if a.score is not None]
    return sum(scores) / len(scores) if scores else None


def improvement(instrument: Instrument, baseline: float, now: float) -> float:
    """The change from the baseline in the better direction (positive: better), in the instrument's units."""
    change = now - baseline
    return change if SCALES[instrument].higher_is_better else -change


def mcid_reached(instrument: Instrument, baseline: float, now: float) -> bool:
    # A hair of tolerance: a PSFS mean of 1.3 above the baseline is 1.2999… in binary.
    return improvement(instrument, baseline, now) >= SCALES[instrument].mcid - 1e-9


def outcome_problems(outcomes: Sequence[OutcomeMeasure]) -> list[FieldProblem]:
    """Values that are wrong, naming the field: an instrument twice, more than five activities, an activity's
    score outside 0-10 or its name too long, a total out of its range or with more decimals than the form gives.
    A draft holding any of these is not saved as typed (``savable_outcomes``)."""
    problems: list[FieldProblem] = []
    seen: set[Instrument] = set()
    for i, outcome in enumerate(outcomes):
        scale = SCALES[outcome.instrument]
        if outcome.instrument in seen:
            problems.append(FieldProblem.at(("outcomes", i), f"{scale.short}: recorded twice; keep one."))
        seen.add(outcome.instrument)
        if outcome.instrument is Instrument.PSFS:
            problems += _psfs_problems(i, outcome.activities)
        elif outcome.total is not None:
            problems += _total_problems(i, scale, outcome.total)
    return problems


def outcome_sign_problems(outcomes: Sequence[OutcomeMeasure]) -> list[FieldProblem]:
    """What a note cannot be signed with: a PSFS activity named but not scored, or scored but not named."""
    problems: list[FieldProblem] = []
    for i, outcome in enumerate(outcomes):
        for j, item in enumerate(outcome.activities):
            where = ("outcomes", i, "activities", j)
            if item.score is not None and not item.activity.strip():
                problems.append(FieldProblem.at((*where, "activity"), f"PSFS activity {j + 1}: name the activity."))
            if item.activity.strip() and item.score is None:
                problems.append(
                    FieldProblem.at((*where, "score"), f"PSFS activity {j + 1}: give a score from 0 to 10.")
                )
    return problems


def _psfs_problems(i: int, activities: Sequence[PsfsActivity]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if len(activities) > PSFS_ACTIVITIES_MAX:
        problems.append(FieldProblem.at(("outcomes", i), "PSFS: at most five activities; remove one."))
    for j, item in enumerate(activities):
        where = ("outcomes", i, "activities", j)
        if item.score is not None and not 0 <= item.score <= 10:
            problems.append(FieldProblem.at((*where, "score"), f"PSFS activity {j + 1}: give a score from 0 to 10."))
        problems += text_problems(
            (*where, "activity"), f"PSFS activity {j + 1}", item.activity, "outcome.psfs_activity"
        )
    return problems


def _total_problems(i: int, scale: Scale, total: float) -> list[FieldProblem]:
    where = ("outcomes", i, "total")
    low, high = f"{scale.low:g}", f"{scale.high:g}"
    if not scale.low <= total <= scale.high:
        return [FieldProblem.at(where, f"{scale.short}: give a total from {low} to {high}.")]
    if round(total, scale.decimals) != total:
        places = "a whole number" if scale.decimals == 0 else f"at most {scale.decimals} decimal place"
        return [FieldProblem.at(where, f"{scale.short}: give the total as {places}.")]
    return []


def savable_outcomes(
    outcomes: tuple[OutcomeMeasure, ...], problems: Sequence[FieldProblem]
) -> tuple[OutcomeMeasure, ...]:
    """The outcomes with every value a problem names left out (autosave keeps the rest of the draft)."""
    kept = list(outcomes)
    dropped: set[int] = set()
    for problem in problems:
        match problem.path:
            case ("outcomes", int(i), "total") if i < len(kept):
                kept[i] = replace(kept[i], total=None)
            case ("outcomes", int(i), "activities", int(j), "score") if i < len(kept) and j < len(kept[i].activities):
                items = list(kept[i].activities)
                items[j] = replace(items[j], score=None)
                kept[i] = replace(kept[i], activities=tuple(items))
            case ("outcomes", int(i), "activities", int(j), "activity") if i < len(kept) and j < len(
                kept[i].activities
            ):
                items = list(kept[i].activities)
                items[j] = replace(items[j], activity=storable(items[j].activity, multiline=False)[:ACTIVITY_NAME_MAX])
                kept[i] = replace(kept[i], activities=tuple(items))
            case ("outcomes", int(i)) if i < len(kept):
                if any(o.instrument is kept[i].instrument for o in kept[:i]):
                    dropped.add(i)
                kept[i] = replace(kept[i], activities=kept[i].activities[:PSFS_ACTIVITIES_MAX])
    return tuple(o for i, o in enumerate(kept) if i not in dropped and not o.is_empty)


def shown(instrument: Instrument, value: float) -> str:
    """A score as printed: the PSFS's mean to one decimal place, a total as the form gives it."""
    places = 1 if instrument is Instrument.PSFS else SCALES[instrument].decimals
    return f"{value:.{places}f}"


@dataclass(frozen=True, slots=True)
class OutcomeVisit:
    """One signed visit's score of one instrument: the course the chart plots and the note reckons change from."""

    session_id: int
    day: date
    instrument: Instrument
    score: float


def outcome_figure(instrument: Instrument, course: Sequence[OutcomeVisit]) -> LineFigure:
    """An instrument's scores over the visits that recorded it (oldest first), each point emphasised where it has
    improved on the first by at least the MCID."""
    scale = SCALES[instrument]
    visits = [v for v in course if v.instrument is instrument]
    count = len(visits)
    span = scale.high - scale.low
    baseline = visits[0].score if visits else 0.0
    points = tuple(
        PlotPoint(
            i + 1,
            v.score,
            visit_x(i, count),
            (v.score - scale.low) / span,
            emphasised=i > 0 and mcid_reached(instrument, baseline, v.score),
        )
        for i, v in enumerate(visits)
    )
    step = span / 5
    direction = "higher is better" if scale.higher_is_better else "lower is better"
    caption = "Visits that recorded it"
    if visits:
        caption = f"Visits {visits[0].day.isoformat()} to {visits[-1].day.isoformat()} · MCID {scale.mcid:g}"
    return LineFigure(
        title=f"{scale.short} ({direction})",
        y_label=f"{scale.short} {scale.low:g}–{scale.high:g}",
        y_ticks=tuple(((k * step) / span, f"{scale.low + k * step:g}") for k in range(6)),
        x_ticks=x_ticks(count),
        x_caption=caption,
        series=(Series(scale.short, SCORE_COLOUR, points),),
        empty_text=f"No signed visit recorded the {scale.short} yet.",
        emphasis="MCID reached",
    )
