"""The patient's course: episodes of care counted by their signed visits only, the pain and markers of signed
visits, and the course a visit note carries, on a real chart file."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from needlelog.domain.errors import ValidationError
from needlelog.domain.heat_map import marker_density
from needlelog.domain.model import Clinician, Patient, TreatmentSession, TriggerPoint
from needlelog.domain.vocab import Condition, FigureView, SessionStatus, TreatmentPlan
from needlelog.services.exporting import ExportCriteria
from needlelog.services.store import Services, open_chart
from tests.conftest import TEST_HASHER, FakeClock
from tests.services.test_sessions import charted, neck_site

NECK, BACK = Condition.NECK_HEADACHE, Condition.LOW_BACK_SCIATICA
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def visit(
    services: Services,
    patient: Patient,
    clinician: Clinician,
    clock: FakeClock,
    *,
    sign: bool = True,
    **changes: object,
) -> TreatmentSession:
    """A visit an hour after the last, charted (neck unless told) and signed unless told."""
    clock.advance(hours=1)
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0, clock.now - timedelta(minutes=40))
    content = charted(draft, clock, **changes)
    if not sign:
        return services.sessions.save_draft(content)
    return services.sessions.sign(content, clinician.id or 0)


def progress(services: Services, patient: Patient) -> list[str]:
    return [p.words for p in services.course.course(patient.id or 0).open_plans]


def test_the_plan_counts_only_the_signed_visits_of_its_own_episode(
    services: Services, patient: Patient, clinician: Clinician, clock: FakeClock
) -> None:
    services.course.start_episode(patient.id or 0, TreatmentPlan.ACUTE, NECK, date(2026, 3, 1))
    assert progress(services, patient) == ["visit 0 of 2–3"]
    visit(services, patient, clinician, clock)
    services.sessions.new_draft(patient.id or 0, clinician.id or 0)  # an empty draft: not a visit
    visit(services, patient, clinician, clock, sign=False)  # a charted draft, unsigned: not yet
    visit(services, patient, clinician, clock, condition=BACK)  # another condition: not this plan's
    discarded = visit(services, patient, clinician, clock, sign=False)
    services.access.user = clinician  # discarding needs the draft's clinician signed in
    services.sessions.discard(discarded.id or 0, "Opened for the wrong patient")
    services.access.user = None
    visit(services, patient, clinician, clock)
    assert progress(services, patient) == ["visit 2 of 2–3"]

    visit(services, patient, clinician, clock)
    assert progress(services, patient) == ["visit 3 of 2–3 · plan reached — reassess"]
    plan = services.course.course(patient.id or 0).open_plans[0]
    assert plan.reached and plan.episode.condition is NECK


def test_a_new_episode_takes_over_from_the_open_one_and_counts_from_nothing(
    services: Services, patient: Patient, clinician: Clinician, clock: FakeClock
) -> None:
    first = services.course.start_episode(patient.id or 0, TreatmentPlan.ACUTE, NECK, date(2026, 3, 1))
    back = services.course.start_episode(patient.id or 0, TreatmentPlan.CHRONIC, BACK, date(2026, 3, 2))
    for _ in range(3):
        visit(services, patient, clinician, clock)
    draft = visit(services, patient, clinician, clock, sign=False)  # open while the plan changes
    visit(services, patient, clinician, clock, condition=BACK)
    assert progress(services, patient) == ["visit 1 of 4–6", "visit 3 of 2–3 · plan reached — reassess"]

    again = services.course.start_episode(patient.id or 0, TreatmentPlan.CHRONIC, NECK, date(2026, 3, 10))
    course = services.course.course(patient.id or 0)
    assert [p.episode.id for p in course.open_plans] == [again.id, back.id]
    closed = next(p for p in course.plans if p.episode.id == first.id)
    assert closed.episode.closed_on == date(2026, 3, 10) and closed.signed_visits == 3  # the past keeps its count
    assert progress(services, patient) == ["visit 0 of 4–6", "visit 1 of 4–6"]
    services.sessions.sign(services.sessions.get(draft.id or 0), clinician.id or 0)  # the open draft moved over
    assert progress(services, patient) == ["visit 1 of 4–6", "visit 1 of 4–6"]


def test_an_episode_is_refused_with_the_field_named(services: Services, patient: Patient) -> None:
    with pytest.raises(ValidationError) as refused:
        services.course.start_episode(patient.id or 0, None, None, date(2026, 3, 11))
    assert refused.value.fields == ("plan", "condition", "started_on")
    assert "future" in str(refused.value)
    assert services.course.course(patient.id or 0).plans == ()


def test_the_course_holds_signed_visits_only_oldest_first(
    services: Services, patient: Patient, clinician: Clinician, clock: FakeClock
) -> None:
    visit(services, patient, clinician, clock, pain_before=8, pain_after=5)
    visit(services, patient, clinician, clock, sign=False, pain_before=9, pain_after=9)
    visit(services, patient, clinician, clock, pain_before=6, pain_after=None)
    course = services.course.course(patient.id or 0)
    assert [(v.before, v.after) for v in course.pain] == [(8, 5), (6, None)]
    assert sum(cell.count for cell in course.heat) == 2 * 3  # each signed visit's three sites have a marker each


EDGES = (0.0, 1 / 24, 0.5, 23 / 24, 0.99999, 1.0, 1 / 60, 59 / 60, 0.3333)


def test_the_heat_map_counted_by_the_database_is_the_domain_s_count(
    services: Services, patient: Patient, clinician: Clinician, clock: FakeClock
) -> None:
    """The cells are counted in SQL for speed; on every cell edge they must agree with the domain's rule."""
    points = tuple(TriggerPoint(view, x, y) for view in FigureView for x, y in zip(EDGES, reversed(EDGES), strict=True))
    sites = tuple(replace(neck_site(), trigger_points=points[i : i + 3]) for i in range(0, len(points), 3))
    visit(services, patient, clinician, clock, sites=sites)
    visit(services, patient, clinician, clock, sites=sites[:2])
    visit(services, patient, clinician, clock, sign=False, sites=sites)  # a draft: not counted
    assert services.course.course(patient.id or 0).heat == marker_density(points + points[:6])


def test_a_visit_note_carries_the_course_up_to_that_visit(
    services: Services, patient: Patient, clinician: Clinician, clock: FakeClock
) -> None:
    visits = [visit(services, patient, clinician, clock, pain_before=8 - i, pain_after=4 - i) for i in range(3)]
    draft = visit(services, patient, clinician, clock, sign=False)
    notes = {
        n.session.id: n
        for n in services.exports.notes(ExportCriteria(date(2026, 1, 1), date(2026, 12, 31), include_drafts=True))
    }
    assert [[(v.before, v.after) for v in notes[s.id].course] for s in visits] == [
        [(8, 4)],
        [(8, 4), (7, 3)],
        [(8, 4), (7, 3), (6, 2)],
    ]
    assert len(notes[draft.id].course) == 3  # a draft: the signed visits before it


def test_an_old_chart_s_plan_becomes_its_first_episode_counting_its_signed_visits(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    shutil.copyfile(FIXTURES / "schema-0009.sqlite", path)
    chart = open_chart(path, hasher=TEST_HASHER)
    try:
        for found in chart.patients.search("", limit=100):
            patient = chart.patients.get(found.id)
            (plan,) = chart.course.course(found.id).plans
            assert plan.episode.plan is patient.treatment_plan and plan.episode.is_open
            history = chart.sessions.history(found.id)
            signed = [h for h in history if h.status is SessionStatus.SIGNED and h.condition is plan.episode.condition]
            assert plan.signed_visits == len(signed) > 0
            assert plan.episode.started_on == min(h.service_start for h in signed).date()
    finally:
        chart.close()


def test_nothing_of_a_signed_note_changes_when_its_plan_changes(
    services: Services, patient: Patient, clinician: Clinician, clock: FakeClock
) -> None:
    signed = visit(services, patient, clinician, clock)
    services.course.start_episode(patient.id or 0, TreatmentPlan.ACUTE, NECK, date(2026, 3, 10))
    assert replace(services.sessions.get(signed.id or 0), version=signed.version) == signed
