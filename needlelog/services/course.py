"""The patient's course at a glance: the pain of their signed visits, where they were needled, and their plan.

One read of a few columns per visit (``db/course_repo.py``): a 200-visit patient's course is three indexed
queries, whatever the visits hold. Starting an episode of care is a change of the patient's record, audited
as one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from needlelog.db import course_repo, episodes_repo, repositories
from needlelog.domain.access import Action, AuditAction
from needlelog.domain.course import PainVisit
from needlelog.domain.episodes import Episode, PlanProgress, episode_problems
from needlelog.domain.errors import ValidationError
from needlelog.domain.heat_map import HeatCell, density_of
from needlelog.domain.outcomes import OutcomeVisit
from needlelog.domain.vocab import Condition, TreatmentPlan
from needlelog.services.base import UseCases


@dataclass(frozen=True, slots=True)
class PatientCourse:
    """What the chart draws of the patient's past: signed visits only."""

    pain: tuple[PainVisit, ...] = ()
    heat: tuple[HeatCell, ...] = ()  # where their markers were placed, counted per cell
    plans: tuple[PlanProgress, ...] = ()  # every episode, latest started first
    outcomes: tuple[OutcomeVisit, ...] = ()  # outcome scores of the signed visits, oldest first

    @property
    def open_plans(self) -> tuple[PlanProgress, ...]:
        return tuple(p for p in self.plans if p.episode.is_open)


class CourseService(UseCases):
    def course(self, patient_id: int) -> PatientCourse:
        with self._reading(Action.VIEW_PATIENT) as db:  # a read: no write lock
            pain = course_repo.signed_pain(db, [patient_id])[patient_id]
            heat = density_of(course_repo.marker_cells(db, patient_id))
            scores = course_repo.signed_outcomes(db, [patient_id])[patient_id]
            episodes = episodes_repo.patient_episodes(db, patient_id)
            counts = episodes_repo.signed_visit_counts(db, [e.id for e in episodes if e.id is not None])
        plans = tuple(PlanProgress(e, counts.get(e.id or 0, 0)) for e in episodes)
        return PatientCourse(tuple(visit for _, visit in pain), heat, plans, tuple(v for _, v in scores))

    def start_episode(
        self, patient_id: int, plan: TreatmentPlan | None, condition: Condition | None, started_on: date | None
    ) -> Episode:
        """A new episode of care; it takes over from the open episode of the same condition (closed on its start)."""
        self._require(Action.EDIT_PATIENT)
        now = self._clock()
        problems = episode_problems(plan, condition, started_on, now.astimezone().date())
        if problems:
            raise ValidationError(problems)
        assert plan is not None and started_on is not None
        with self._transaction() as db, db.begin():
            repositories.get_patient(db, patient_id)  # a patient no longer there is named, not a storage error
            added = episodes_repo.add_episode(db, Episode(patient_id, plan, started_on, condition), now)
            detail = f"episode started ({plan.value}, {condition.value if condition else '-'}, {started_on})"
            self._audit(db, AuditAction.PATIENT_SAVED, patient_id=patient_id, detail=detail)
            return added
