"""The patient's course on the chart, driven as a person would: the plan's count and its prompt in the banner,
the pain plot and the heat map of signed visits, and a new episode started from the chart by its small dialog."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinician, Patient
from needlelog.domain.vocab import Condition, TreatmentPlan
from needlelog.services.store import Services
from needlelog.ui.dialogs.episode_dialog import EpisodeDialog
from needlelog.ui.window.patient_banner import PatientPanel
from tests.conftest import FakeClock
from tests.services.test_course import visit
from tests.ui.test_wheel import assert_the_wheel_changes_nothing


def panel(qtbot: QtBot, services: Services, clinician: Clinician, patient: Patient) -> PatientPanel:
    shown = PatientPanel(services, clinician)
    qtbot.addWidget(shown)
    shown.resize(1000, 700)
    shown.show()
    shown.show_patient(patient.id)
    return shown


def test_the_chart_shows_the_plan_the_pain_course_and_where_markers_went(
    qtbot: QtBot, services: Services, clinician: Clinician, patient: Patient, clock: FakeClock
) -> None:
    services.course.start_episode(patient.id or 0, TreatmentPlan.ACUTE, Condition.NECK_HEADACHE, date(2026, 3, 1))
    visit(services, patient, clinician, clock, pain_before=8, pain_after=4)
    visit(services, patient, clinician, clock, sign=False, pain_before=9, pain_after=9)  # a draft: not shown
    visit(services, patient, clinician, clock, condition=Condition.LOW_BACK_SCIATICA, pain_before=6, pain_after=5)
    services.sessions.new_draft(patient.id or 0, clinician.id or 0)  # an empty draft counts for nothing
    shown = panel(qtbot, services, clinician, patient)
    assert shown.banner.details.text().endswith("acute: visit 1 of 2–3")
    course = shown.course_panel
    assert course.plans.text() == "Acute · Neck pain and headaches · since 2026-03-01: visit 1 of 2–3"
    figure = course.chart.figure
    assert figure is not None
    assert [[p.value for p in s.points] for s in figure.series] == [[8, 6], [4, 5]]
    assert course.chart.accessibleDescription() == "Before: 8, 6; After: 4, 5"
    assert sum(cell.count for cell in course.heat_map.cells) == 6  # two signed visits, three markers each
    assert course.heat_map.accessibleDescription() == "6 trigger points from 2 signed visits"

    visit(services, patient, clinician, clock)
    visit(services, patient, clinician, clock)
    shown.show_patient(patient.id, again=True)
    assert shown.banner.details.text().endswith("acute: visit 3 of 2–3 · plan reached — reassess")
    assert "bold" in course.plans.styleSheet()

    # a stray click or key on the figures changes nothing
    cells = course.heat_map.cells
    qtbot.mouseClick(course.heat_map, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(course.chart, Qt.MouseButton.LeftButton)
    qtbot.keyClick(course.heat_map, Qt.Key.Key_Delete)
    assert course.heat_map.cells == cells and course.chart.figure is not None


def test_a_new_episode_is_started_from_the_chart_with_each_problem_under_its_field(
    qtbot: QtBot, services: Services, clinician: Clinician, patient: Patient, clock: FakeClock
) -> None:
    shown = panel(qtbot, services, clinician, patient)
    course = shown.course_panel
    assert course.plans.text() == "No open episode of care: start one with New episode…"
    qtbot.mouseClick(course.new_episode_button, Qt.MouseButton.LeftButton)
    dialog = course.dialog
    assert isinstance(dialog, EpisodeDialog)
    qtbot.waitExposed(dialog)
    assert_the_wheel_changes_nothing(dialog, at_least=3)

    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)  # nothing chosen yet
    plan_error = dialog.findChild(QLabel, "episodeError_plan")
    condition_error = dialog.findChild(QLabel, "episodeError_condition")
    assert plan_error is not None and plan_error.isVisible() and plan_error.text().startswith("Plan:")
    assert condition_error is not None and condition_error.isVisible()
    assert dialog.isVisible() and services.course.course(patient.id or 0).plans == ()

    dialog.condition.setFocus()
    qtbot.keyClicks(dialog.condition, "Calf")
    dialog.plan.setFocus()
    qtbot.keyClicks(dialog.plan, "Chronic")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    QApplication.processEvents()
    assert not dialog.isVisible()
    assert (
        course.plans.text() == f"Chronic · Calf strain and plantar fasciitis · since {clock.now.date()}: visit 0 of 4–6"
    )
    assert shown.banner.details.text().endswith("chronic: visit 0 of 4–6")
