"""Values that are wrong, not merely missing: out of range, outside the chart, in the future, too long.

A draft with any of these is not saved; a missing value only stops the signature (:mod:`needlelog.domain.signing`).
"""

from __future__ import annotations

from datetime import datetime

from needlelog.domain.limits import (
    CLOCK_GRACE,
    DWELL_MAX,
    DWELL_MIN,
    NEEDLES_PER_SESSION_MAX,
    NEEDLES_PER_SITE_MAX,
    NEEDLES_PER_SITE_MIN,
    PAIN_MAX,
    PAIN_MIN,
)
from needlelog.domain.model import NeedlingSite, TreatmentSession
from needlelog.domain.outcomes import outcome_problems
from needlelog.domain.problems import FieldProblem, site_number
from needlelog.domain.text import text_problems


def _in_range(value: int | None, low: int, high: int) -> bool:
    return value is None or low <= value <= high


def value_problems(session: TreatmentSession, now: datetime) -> list[FieldProblem]:
    """Values that are wrong, not merely missing: a draft with any of these is not saved."""
    problems: list[FieldProblem] = []
    for i, site in enumerate(session.sites):
        problems.extend(_site_value_problems(i, site))
    problems.extend(_session_value_problems(session, now))
    problems.extend(outcome_problems(session.outcomes))
    return problems


def _site_value_problems(i: int, site: NeedlingSite) -> list[FieldProblem]:
    """The wrong values of one site: its counts, dwell, trigger points, timer and texts."""
    problems: list[FieldProblem] = []
    if not _in_range(site.needles, NEEDLES_PER_SITE_MIN, NEEDLES_PER_SITE_MAX):
        problems.append(
            FieldProblem.at(
                ("sites", i, "needles"),
                f"{site_number(i)}: needle count must be "
                f"{NEEDLES_PER_SITE_MIN} to {NEEDLES_PER_SITE_MAX} (got {site.needles}).",
            )
        )
    if not _in_range(site.dwell_minutes, DWELL_MIN, DWELL_MAX):
        problems.append(
            FieldProblem.at(
                ("sites", i, "dwell_minutes"),
                f"{site_number(i)}: dwell time must be {DWELL_MIN} to {DWELL_MAX} minutes (got {site.dwell_minutes}).",
            )
        )
    for j, point in enumerate(site.trigger_points):
        if not (0.0 <= point.x <= 1.0 and 0.0 <= point.y <= 1.0):
            problems.append(
                FieldProblem.at(
                    ("sites", i, "trigger_points", j),
                    f"{site_number(i)}: trigger point {j + 1} lies outside the body chart.",
                )
            )
    if site.timer_started and site.timer_stopped and site.timer_stopped < site.timer_started:
        problems.append(
            FieldProblem.at(
                ("sites", i, "timer"),
                f"{site_number(i)}: the dwell timer stops before it starts.",
            )
        )
    if site.needles_out < 0:
        problems.append(
            FieldProblem.at(("sites", i, "needles_out"), f"{site_number(i)}: needles out cannot be negative.")
        )
    problems += text_problems(
        ("sites", i, "dwell_reason"),
        f"{site_number(i)}: the reason for the dwell",
        site.dwell_reason,
        "site.dwell_reason",
        multiline=True,
    )
    for name in ("muscle", "needle_size", "needle_lot"):
        label = f"{site_number(i)}: {name.replace('_', ' ')}"
        problems += text_problems(("sites", i, name), label, getattr(site, name), f"site.{name}")
    return problems


def _session_value_problems(session: TreatmentSession, now: datetime) -> list[FieldProblem]:
    """The wrong values of the session as a whole: its needle total, pain scores, service times and texts."""
    problems: list[FieldProblem] = []
    total = session.needles_inserted
    if total > NEEDLES_PER_SESSION_MAX:
        problems.append(
            FieldProblem(
                "sites",
                f"A session takes at most {NEEDLES_PER_SESSION_MAX} needles "
                f"(the sites add up to {total}); check for a typo.",
            )
        )
    for name, label in (("pain_before", "Pain before"), ("pain_after", "Pain after")):
        value = getattr(session, name)
        if not _in_range(value, PAIN_MIN, PAIN_MAX):
            problems.append(FieldProblem(name, f"{label} must be {PAIN_MIN} to {PAIN_MAX} (got {value})."))
    if session.service_start > now + CLOCK_GRACE:
        problems.append(FieldProblem("service_start", "Service start cannot be in the future."))
    if session.service_end is not None:
        if session.service_end <= session.service_start:
            problems.append(FieldProblem("service_end", "Service end must be after service start."))
        elif session.service_end > now + CLOCK_GRACE:
            problems.append(FieldProblem("service_end", "Service end cannot be in the future."))
    problems += text_problems(("notes",), "Notes", session.notes, "session.notes", multiline=True, plural=True)
    problems += text_problems(
        ("reactions", "other_text"),
        "Other reaction",
        session.reactions.other_text,
        "reactions.other_text",
        multiline=True,
    )
    for i, event in enumerate(session.adverse_events):
        label = f"Adverse event {i + 1} ({event.kind.label}): the description"
        path = ("adverse_events", i, "description")
        problems += text_problems(path, label, event.description, "adverse_event.description", multiline=True)
    return problems
