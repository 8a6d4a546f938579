"""Outcome measures in the session editor, typed as a person would: the PSFS score shown as it is typed, a total
kept within its range, the rest saved by the autosave, a stray wheel changing nothing, an unfinished activity named
in the sign tooltip and taken to; and the chart's plot of an instrument with the MCID marked."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinician, Patient
from needlelog.domain.outcomes import Instrument, OutcomeMeasure, PsfsActivity
from needlelog.domain.vocab import Condition, TreatmentPlan
from needlelog.services.store import Services
from tests.conftest import FakeClock
from tests.services.test_course import visit
from tests.ui.test_course_panel import panel
from tests.ui.test_session_editor import chart, main_window, type_number  # noqa: F401 (chart: the fixture)
from tests.ui.test_wheel import wheel


def test_the_psfs_is_scored_as_typed_and_the_outcomes_are_saved(
    qtbot: QtBot,
    chart: tuple[Services, Clinician, Patient, Path],  # noqa: F811
) -> None:
    services, clinician, patient, _ = chart
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    outcomes = editor.outcomes
    outcomes.activities[0].setFocus()
    qtbot.keyClicks(outcomes.activities[0], "Reaching overhead")
    type_number(qtbot, outcomes.activity_scores[0], 3)
    outcomes.activities[1].setFocus()
    qtbot.keyClicks(outcomes.activities[1], "Carrying groceries")
    type_number(qtbot, outcomes.activity_scores[1], 6)
    assert outcomes.psfs_score.text() == "PSFS score: 4.5"
    type_number(qtbot, outcomes.totals[Instrument.NDI], 24)
    type_number(qtbot, outcomes.totals[Instrument.LEFS], 95)  # the box keeps to 0-80 whatever is typed
    assert outcomes.totals[Instrument.LEFS].value() <= 80
    psfs = OutcomeMeasure(
        Instrument.PSFS, activities=(PsfsActivity("Reaching overhead", 3), PsfsActivity("Carrying groceries", 6))
    )
    assert editor.content().outcomes[:2] == (psfs, OutcomeMeasure(Instrument.NDI, total=24))
    qtbot.waitUntil(
        lambda: services.sessions.get(editor.session.id or 0).outcomes[:2] == (psfs, editor.content().outcomes[1]),
        timeout=20000,
    )

    editor.notes.setFocus()  # a wheel over a score the person is not in changes nothing
    for field in (outcomes.activity_scores[0], outcomes.totals[Instrument.NDI]):
        before = field.value()
        wheel(field, 3)
        wheel(field, -3)
        assert field.value() == before

    outcomes.activities[2].setFocus()
    qtbot.keyClicks(outcomes.activities[2], "Driving")  # named, not yet scored: a draft may wait, signing may not
    assert "PSFS activity 3: give a score from 0 to 10." in editor.sign_button.toolTip()
    assert editor.widget_for("outcomes[0].activities[2].score") is outcomes.activity_scores[2]
    assert editor.widget_for("outcomes[1].total") is outcomes.totals[Instrument.NDI]


def test_the_chart_plots_an_instrument_and_marks_where_the_mcid_was_reached(
    qtbot: QtBot, services: Services, clinician: Clinician, patient: Patient, clock: FakeClock
) -> None:
    services.course.start_episode(patient.id or 0, TreatmentPlan.ACUTE, Condition.NECK_HEADACHE, date(2026, 3, 1))
    for scores in ((3, 5, 4), (5, 5, 4), (6, 7, 5)):
        activities = tuple(PsfsActivity(a, s) for a, s in zip(("Reach", "Sleep", "Carry"), scores, strict=True))
        visit(services, patient, clinician, clock, outcomes=(OutcomeMeasure(Instrument.PSFS, activities=activities),))
    shown = panel(qtbot, services, clinician, patient)
    course = shown.course_panel
    assert course.plot_choice.isVisible()
    assert [course.plot_choice.itemText(i) for i in range(course.plot_choice.count())] == ["Pain", "PSFS"]
    assert course.chart.figure is not None and course.chart.figure.title == "Pain course"
    course.plot_choice.setCurrentIndex(1)
    figure = course.chart.figure
    assert figure is not None and figure.title == "PSFS (higher is better)"
    assert [(round(p.value, 2), p.emphasised) for p in figure.series[0].points] == [
        (4.0, False),
        (4.67, False),
        (6.0, True),
    ]
    shown.show_patient(patient.id, again=True)  # the choice stays on a refresh
    assert course.plot_choice.currentText() == "PSFS"
