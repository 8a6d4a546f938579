"""Outcome measures: PSFS scoring, MCID marking in the better direction of each instrument, and the field-naming
checks, against worked examples.

The PSFS examples follow the instrument's scoring (Stratford et al. 1995: the score is the average of the
activity scores, 0-10, higher is better); the MCIDs are those of docs/CLINICAL.md (PSFS 1.3, Abbott & Schmitt
2014; NDI 7 of 50, ODI 12, QuickDASH 10.8, LEFS 9).
"""

from __future__ import annotations

from datetime import date

import pytest

from needlelog.domain.outcomes import (
    SCALES,
    Instrument,
    OutcomeMeasure,
    OutcomeVisit,
    PsfsActivity,
    improvement,
    mcid_reached,
    outcome_figure,
    outcome_problems,
    outcome_sign_problems,
    psfs_score,
    savable_outcomes,
    shown,
)


def psfs(*scores: int | None) -> OutcomeMeasure:
    names = ("Reaching overhead", "Sleeping on the left side", "Carrying groceries", "Driving", "Gardening")
    return OutcomeMeasure(
        Instrument.PSFS, activities=tuple(PsfsActivity(n, s) for n, s in zip(names[: len(scores)], scores, strict=True))
    )


def test_the_psfs_score_is_the_mean_of_the_rated_activities() -> None:
    assert psfs(3, 5, 4).score == 4.0
    assert psfs(2, 7).score == 4.5
    assert psfs(6).score == 6.0
    assert psfs(3, 4, 4, 5, 6).score == pytest.approx(4.4)
    assert shown(Instrument.PSFS, psfs(3, 4, 4).score or 0) == "3.7"
    assert psfs_score(()) is None and psfs().score is None
    assert OutcomeMeasure(Instrument.NDI, total=24).score == 24


@pytest.mark.parametrize(
    ("instrument", "baseline", "now", "reached"),
    [
        (Instrument.PSFS, 4.0, 6.0, True),  # 3,5,4 -> 6,7,5: two points better
        (Instrument.PSFS, 4.0, 5.2, False),  # 1.2: short of 1.3
        (Instrument.PSFS, psfs(3, 4, 4).score, psfs(5, 5, 5).score, True),  # 3.67 -> 5.0: 1.33
        (Instrument.PSFS, 2.0, 3.3, True),  # exactly 1.3 (1.2999… in binary) counts
        (Instrument.PSFS, 6.0, 4.0, False),  # worse is never "reached"
        (Instrument.NDI, 24, 17, True),  # lower is better: 7 of 50 down
        (Instrument.NDI, 24, 18, False),
        (Instrument.NDI, 24, 31, False),  # 7 up is worse
        (Instrument.ODI, 46, 34, True),
        (Instrument.ODI, 46, 35, False),
        (Instrument.QUICKDASH, 45.5, 34.7, True),
        (Instrument.QUICKDASH, 45.5, 34.8, False),
        (Instrument.LEFS, 40, 49, True),  # higher is better
        (Instrument.LEFS, 40, 48, False),
        (Instrument.LEFS, 49, 40, False),
    ],
)
def test_mcid_is_reached_only_by_enough_change_in_the_better_direction(
    instrument: Instrument, baseline: float, now: float, reached: bool
) -> None:
    assert mcid_reached(instrument, baseline, now) is reached
    assert (improvement(instrument, baseline, now) > 0) is (
        (now > baseline) if SCALES[instrument].higher_is_better else (now < baseline)
    )


def test_the_plot_marks_each_visit_that_reached_the_mcid_from_the_first() -> None:
    visits = [OutcomeVisit(i, date(2026, 1, 5 + 7 * i), Instrument.PSFS, s) for i, s in enumerate((4.0, 5.0, 5.4, 6.2))]
    visits.insert(2, OutcomeVisit(9, date(2026, 1, 20), Instrument.NDI, 20))  # another instrument: not on this plot
    figure = outcome_figure(Instrument.PSFS, visits)
    (series,) = figure.series
    assert [(p.value, p.emphasised) for p in series.points] == [(4.0, False), (5.0, False), (5.4, True), (6.2, True)]
    assert [p.y for p in series.points] == [0.4, 0.5, 0.54, 0.62]
    assert figure.emphasis == "MCID reached" and figure.x_caption.endswith("MCID 1.3")
    two = [
        OutcomeVisit(1, date(2026, 1, 5), Instrument.NDI, 30),
        OutcomeVisit(2, date(2026, 1, 19), Instrument.NDI, 22),
    ]
    ndi = outcome_figure(Instrument.NDI, two)
    assert [p.emphasised for p in ndi.series[0].points] == [False, True]
    assert ndi.y_ticks[-1] == (1.0, "50") and ndi.title == "NDI (lower is better)"


def test_each_problem_names_its_field() -> None:
    fields = [
        (p.field, p.message)
        for p in outcome_problems(
            (
                OutcomeMeasure(Instrument.PSFS, activities=(PsfsActivity("Running", None), PsfsActivity("", 4))),
                OutcomeMeasure(Instrument.NDI, total=51),
                OutcomeMeasure(Instrument.QUICKDASH, total=12.25),
                OutcomeMeasure(Instrument.NDI, total=10),
            )
        )
    ]
    assert fields == [
        ("outcomes[1].total", "NDI: give a total from 0 to 50."),
        ("outcomes[2].total", "QuickDASH: give the total as at most 1 decimal place."),
        ("outcomes[3]", "NDI: recorded twice; keep one."),
    ]
    unfinished = (OutcomeMeasure(Instrument.PSFS, activities=(PsfsActivity("Running", None), PsfsActivity("", 4))),)
    assert [(p.field, p.message) for p in outcome_sign_problems(unfinished)] == [
        ("outcomes[0].activities[0].score", "PSFS activity 1: give a score from 0 to 10."),
        ("outcomes[0].activities[1].activity", "PSFS activity 2: name the activity."),
    ]
    six = OutcomeMeasure(Instrument.PSFS, activities=tuple(PsfsActivity(f"a{i}", 5) for i in range(6)))
    assert [p.field for p in outcome_problems((six,))] == ["outcomes[0]"]
    assert outcome_problems((psfs(0, 10, 5), OutcomeMeasure(Instrument.LEFS, total=80))) == []


def test_autosave_keeps_every_outcome_value_the_rules_accept() -> None:
    typed = (
        OutcomeMeasure(Instrument.PSFS, activities=(PsfsActivity("Running", 11), PsfsActivity("Stairs", 4))),
        OutcomeMeasure(Instrument.NDI, total=60),
        OutcomeMeasure(Instrument.LEFS, total=52),
        OutcomeMeasure(Instrument.LEFS, total=50),
    )
    kept = savable_outcomes(typed, outcome_problems(typed))
    assert kept == (
        OutcomeMeasure(Instrument.PSFS, activities=(PsfsActivity("Running", None), PsfsActivity("Stairs", 4))),
        OutcomeMeasure(Instrument.LEFS, total=52),
    )
    assert outcome_problems(kept) == []
