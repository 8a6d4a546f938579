"""What the patient's course is drawn from: the pain and the trigger points of their signed visits.

Functions take the caller's ORM session: the service owns the transaction. Each is one indexed query
(``treatment_session (patient_id, service_start)``), reading a few columns a visit, never whole sessions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from needlelog.db.models import SessionRow, SiteRow, TriggerPointRow
from needlelog.domain.course import PainVisit
from needlelog.domain.model import TriggerPoint
from needlelog.domain.vocab import SessionStatus

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
        )
        .where(SessionRow.patient_id.in_(wanted), SessionRow.status == SessionStatus.SIGNED)
        .order_by(SessionRow.patient_id, SessionRow.service_start, SessionRow.id)
    )
    for patient_id, session_id, start, before, after in db.execute(stmt):
        visit = PainVisit(session_id, start.astimezone().date(), before, after)
        found[patient_id].append(((start, session_id), visit))
    return found


def signed_trigger_points(db: Session, patient_id: int) -> list[TriggerPoint]:
    """Every trigger point placed at the patient's signed visits (for the heat map)."""
    stmt = (
        select(TriggerPointRow.view, TriggerPointRow.x, TriggerPointRow.y)
        .join(SiteRow, SiteRow.id == TriggerPointRow.site_id)
        .join(SessionRow, SessionRow.id == SiteRow.session_id)
        .where(SessionRow.patient_id == patient_id, SessionRow.status == SessionStatus.SIGNED)
    )
    return [TriggerPoint(view, x, y) for view, x, y in db.execute(stmt)]
