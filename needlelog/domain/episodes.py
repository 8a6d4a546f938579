"""The treatment plan as episodes of care (SPEC §2): one condition, acute or chronic, from a start date.

An acute episode expects 2-3 visits, a chronic one 4-6. The count that matters is of the episode's
*signed* visits: an empty draft, a discarded one, or a visit for another condition is not a visit of
the plan. When the count reaches the top of the expected range the plan is reached, and the chart asks
the clinician to reassess before the next visit (continue, discharge, or start a new episode).

A visit belongs to the episode chosen for it while it is a draft (:func:`episode_for`), and keeps it
once signed: the link is frozen with the rest of the signed row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from needlelog.domain.problems import FieldProblem
from needlelog.domain.vocab import Condition, TreatmentPlan

EXPECTED_VISITS: dict[TreatmentPlan, tuple[int, int]] = {
    TreatmentPlan.ACUTE: (2, 3),
    TreatmentPlan.CHRONIC: (4, 6),
}


PLAN_WORDS: dict[TreatmentPlan, str] = {TreatmentPlan.ACUTE: "acute", TreatmentPlan.CHRONIC: "chronic"}


@dataclass(frozen=True, slots=True)
class Episode:
    """One episode of care of one patient."""

    patient_id: int
    plan: TreatmentPlan
    started_on: date
    condition: Condition | None = None  # None: any condition (an episode made at the upgrade from an old plan)
    closed_on: date | None = None
    id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    @property
    def kind(self) -> str:
        """ "acute" or "chronic": the plan in one word (its label also says how many visits to expect)."""
        return PLAN_WORDS[self.plan]

    @property
    def expected(self) -> tuple[int, int]:
        return EXPECTED_VISITS[self.plan]

    @property
    def expected_words(self) -> str:
        low, high = self.expected
        return f"{low}–{high}"

    @property
    def label(self) -> str:
        condition = self.condition.label if self.condition is not None else "any condition"
        return f"{self.kind.capitalize()} episode: {condition}, started {self.started_on.isoformat()}"


@dataclass(frozen=True, slots=True)
class PlanProgress:
    """Where the patient is in an episode: its signed visits against what the plan expects."""

    episode: Episode
    signed_visits: int

    @property
    def reached(self) -> bool:
        """The plan's visits are done (the top of the range, or past it): time to reassess."""
        return self.signed_visits >= self.episode.expected[1]

    @property
    def words(self) -> str:
        """ "visit 2 of 2–3", and the prompt when the plan is reached."""
        text = f"visit {self.signed_visits} of {self.episode.expected_words}"
        if self.reached:
            text += " · plan reached — reassess"
        return text


def episode_for(condition: Condition | None, episodes: Iterable[Episode]) -> Episode | None:
    """The open episode a visit for ``condition`` belongs to: the latest started for that condition, else the latest
    that names no condition; a visit with no condition yet goes to the latest open episode. None: no episode fits,
    and the visit counts in no plan."""
    open_ones = sorted((e for e in episodes if e.is_open), key=lambda e: (e.started_on, e.id or 0), reverse=True)
    if condition is None:
        return open_ones[0] if open_ones else None
    for wanted in (condition, None):
        for episode in open_ones:
            if episode.condition is wanted:
                return episode
    return None


def episode_problems(
    plan: TreatmentPlan | None, condition: Condition | None, started_on: date | None, today: date
) -> list[FieldProblem]:
    """What is wrong with a new episode, one sentence per field; empty when it may be started."""
    problems: list[FieldProblem] = []
    if plan is None:
        problems.append(FieldProblem("plan", "Plan: choose acute (2–3 visits) or chronic (4–6 visits)."))
    if condition is None:
        problems.append(FieldProblem("condition", "Condition: choose the condition this episode treats."))
    if started_on is None:
        problems.append(FieldProblem("started_on", "Started: give the date the episode started."))
    elif started_on > today:
        problems.append(FieldProblem("started_on", "Started: the date cannot be in the future; give today or earlier."))
    return problems
