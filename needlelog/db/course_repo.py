"""What the patient's course is drawn from: the pain and the trigger points (counted per heat-map cell) of their
signed visits.

Functions take the caller's ORM session: the service owns the transaction. Each is one indexed query
(``treatment_session (patient_id, service_start)``), reading a few columns a visit, never whole sessions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, case, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from needlelog.db.models import OutcomeRow, SessionRow, SiteRow, TriggerPointRow
from needlelog.db.outcomes_text import outcome_from_row
from needlelog.domain.course import PainVisit
from needlelog.domain.heat_map import COLUMNS, ROWS
from needlelog.domain.outcomes import OutcomeVisit
from needlelog.domain.vocab import FigureView, SessionStatus

# A visit's place in the patient's course: (service start, session id), as the history orders them.
CourseKey = tuple[datetime, int]


def signed_pain(db: Session, patient_ids: Iterable[int]) -> dict[int, list[tuple[CourseKey, PainVisit]]]:
    """Each patient's signed visits, oldest first, with the key that orders them."""
    wanted = sorted(set(patient_ids))
    found: dict[int, list[tuple[CourseKey, PainVisit]]] = {patient_id: [] for patient_id in wanted}
    if not wanted:
        return found
    stmt = (
        select(
            SessionRow.patient_id,
            SessionRow.id,
            SessionRow.service_start,
            SessionRow.pain_before,
            SessionRow.pain_after,
            SessionRow.status,
        )
        # The status is kept in Python, not asked in SQL: SQLite, without statistics, then read the status index
        # (every signed visit of the chart: 1.1 s a batch of 200 patients on 500,000 sessions) instead of the
        # patients' own visits by the patient index (issue 14).
        .where(SessionRow.patient_id.in_(wanted))
        .order_by(SessionRow.patient_id, SessionRow.service_start, SessionRow.id)
    )
    for patient_id, session_id, start, before, after, status in db.connection().execute(stmt):  # plain rows
        if status != SessionStatus.SIGNED:
            continue
        visit = PainVisit(session_id, start.astimezone().date(), before, after)
        found[patient_id].append(((start, session_id), visit))
    return found


def _cell(value: InstrumentedAttribute[float], cells: int, sqlite: bool) -> ColumnElement[int]:
    """:func:`needlelog.domain.heat_map.cell_of` in SQL: the cell a 0-1 value falls in, 1.0 in the last. SQLite's
    CAST truncates (the values are not negative: the floor); PostgreSQL's rounds, so it is given the floor."""
    scaled = value * cells
    whole = cast(scaled, Integer) if sqlite else cast(func.floor(scaled), Integer)
    return case((value >= 1, cells - 1), else_=whole)


def marker_cells(db: Session, patient_id: int) -> tuple[tuple[tuple[FigureView, int, int], int], ...]:
    """The trigger points of the patient's signed visits counted per heat-map cell, in the database: a 200-visit
    patient's points come back as the few dozen cells they fall in, not one row each."""
    sqlite = db.get_bind().dialect.name == "sqlite"
    column, row = _cell(TriggerPointRow.x, COLUMNS, sqlite), _cell(TriggerPointRow.y, ROWS, sqlite)
    stmt = (
        select(TriggerPointRow.view, column, row, func.count())
        .join(SiteRow, SiteRow.id == TriggerPointRow.site_id)
        .join(SessionRow, SessionRow.id == SiteRow.session_id)
        .where(SessionRow.patient_id == patient_id, SessionRow.status == SessionStatus.SIGNED)
        .group_by(TriggerPointRow.view, column, row)
    )
    return tuple(((view, int(c), int(r)), count) for view, c, r, count in db.connection().execute(stmt))


def signed_outcomes(db: Session, patient_ids: Iterable[int]) -> dict[int, list[tuple[CourseKey, OutcomeVisit]]]:
    """Each patient's outcome scores at their signed visits, oldest first (a PSFS without a rated activity is left
    out: it has no score)."""
    wanted = sorted(set(patient_ids))
    found: dict[int, list[tuple[CourseKey, OutcomeVisit]]] = {patient_id: [] for patient_id in wanted}
    if not wanted:
        return found
    stmt = (
        select(
            SessionRow.patient_id,
            SessionRow.id,
            SessionRow.service_start,
            OutcomeRow.instrument,
            OutcomeRow.total,
            OutcomeRow.activities,
            SessionRow.status,
        )
        .join(OutcomeRow, OutcomeRow.session_id == SessionRow.id)
        .where(SessionRow.patient_id.in_(wanted))  # the status in Python: see signed_pain
        .order_by(SessionRow.patient_id, SessionRow.service_start, SessionRow.id, OutcomeRow.position)
    )
    for patient_id, session_id, start, instrument, total, activities, status in db.execute(stmt):
        if status != SessionStatus.SIGNED:
            continue
        score = outcome_from_row(instrument, total, activities).score
        if score is not None:
            visit = OutcomeVisit(session_id, start.astimezone().date(), instrument, score)
            found[patient_id].append(((start, session_id), visit))
    return found
