"""The adverse-event register as tables: visits with an adverse event on the note or reported later, their
review (severity, open / closed) and follow-up notes; the late reports the visit note prints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from needlelog.db import seals
from needlelog.db.models import (
    AdverseEventRow,
    AdverseReviewRow,
    ClinicianRow,
    FollowUpRow,
    LateReportRow,
    PatientRow,
    SessionRow,
)
from needlelog.domain.registers import CaseStatus, FollowUp, LateReport, RegisterEntry, Severity
from needlelog.domain.search import chart_key
from needlelog.domain.vocab import AdverseEventKind, SessionStatus


def late_reports_of(db: Session, session_ids: Sequence[int]) -> dict[int, tuple[LateReport, ...]]:
    """Each visit's events reported later, oldest first."""
    if not session_ids:
        return {}
    found: dict[int, list[LateReport]] = {}
    for row, author in db.execute(
        select(LateReportRow, ClinicianRow.display_name)
        .join(ClinicianRow, ClinicianRow.id == LateReportRow.reported_by_id)
        .where(LateReportRow.session_id.in_(session_ids))
        .order_by(LateReportRow.id)
    ):
        found.setdefault(row.session_id, []).append(
            LateReport(row.kind, row.description, row.noticed_on, row.reported_at, author)
        )
    return {key: tuple(value) for key, value in found.items()}


def add_late_report(
    db: Session,
    session_id: int,
    kind: AdverseEventKind,
    description: str,
    noticed_on: date | None,
    at: datetime,
    by_id: int,
) -> None:
    row = LateReportRow(
        session_id=session_id,
        kind=kind,
        description=description,
        noticed_on=noticed_on,
        reported_at=at,
        reported_by_id=by_id,
    )
    db.add(row)
    db.flush()
    seals.seal_row(db, seals.LATE_REPORT, row.id)  # a record of the visit like a follow-up: sealed as written


def review_of(db: Session, session_id: int) -> AdverseReviewRow | None:
    return db.get(AdverseReviewRow, session_id)


def set_review(
    db: Session, session_id: int, severity: Severity | None, status: CaseStatus, at: datetime, by_id: int
) -> None:
    """The case's severity and status; closing records who and when, reopening clears them."""
    row = db.get(AdverseReviewRow, session_id)
    if row is None:
        row = AdverseReviewRow(session_id=session_id, status=CaseStatus.OPEN, changed_at=at)
        db.add(row)
    closing = status is CaseStatus.CLOSED
    if closing and row.status is not CaseStatus.CLOSED:
        row.closed_at, row.closed_by_id = at, by_id
    elif not closing:
        row.closed_at, row.closed_by_id = None, None
    row.severity, row.status, row.changed_at = severity, status, at
    db.flush()


def has_adverse_event(db: Session, session_id: int) -> bool:
    """Whether the visit has an adverse event on its note or reported later (so it is a case of the register)."""
    on_note = select(AdverseEventRow.id).where(AdverseEventRow.session_id == session_id).limit(1)
    later = select(LateReportRow.id).where(LateReportRow.session_id == session_id).limit(1)
    return db.execute(on_note).first() is not None or db.execute(later).first() is not None


def adverse_register(db: Session, since: datetime, until: datetime) -> list[RegisterEntry]:
    """The visits in ``since``..``until`` with an adverse event on the note or reported later, newest first."""
    closer = aliased(ClinicianRow)
    stmt = (
        select(
            SessionRow,
            PatientRow.chart_number,
            PatientRow.given_name,
            PatientRow.family_name,
            ClinicianRow.display_name,
            AdverseReviewRow,
            closer.display_name,
        )
        .join(PatientRow, PatientRow.id == SessionRow.patient_id)
        .join(ClinicianRow, ClinicianRow.id == SessionRow.clinician_id)
        .outerjoin(AdverseReviewRow, AdverseReviewRow.session_id == SessionRow.id)
        .outerjoin(closer, closer.id == AdverseReviewRow.closed_by_id)
        .where(
            SessionRow.service_start >= since,
            SessionRow.service_start < until,
            or_(
                SessionRow.id.in_(select(AdverseEventRow.session_id)),
                SessionRow.id.in_(select(LateReportRow.session_id)),
            ),
            SessionRow.status != SessionStatus.DISCARDED,
        )
        .order_by(SessionRow.service_start.desc(), SessionRow.id.desc())
    )
    found = list(db.execute(stmt))
    ids = [row.id for row, *_ in found]
    events: dict[int, list[AdverseEventRow]] = {}
    for event in db.scalars(
        select(AdverseEventRow)
        .where(AdverseEventRow.session_id.in_(ids))
        .order_by(AdverseEventRow.session_id, AdverseEventRow.position)
    ):
        events.setdefault(event.session_id, []).append(event)
    notes = _follow_ups(db, ids)
    late = late_reports_of(db, ids)
    return [
        RegisterEntry(
            session_id=row.id,
            service_start=row.service_start,
            chart_number=chart,
            patient_name=f"{given} {family}".strip(),
            clinician=clinician,
            kinds=tuple(e.kind for e in events.get(row.id, [])),
            description=" / ".join(dict.fromkeys(e.description for e in events.get(row.id, []) if e.description)),
            signed=row.status is SessionStatus.SIGNED,
            follow_ups=notes.get(row.id, ()),
            late_reports=late.get(row.id, ()),
            severity=None if review is None else review.severity,
            status=CaseStatus.OPEN if review is None else review.status,
            closed_by=closed_by or "",
            closed_at=None if review is None else review.closed_at,
        )
        for row, chart, given, family, clinician, review, closed_by in found
    ]


def _follow_ups(db: Session, ids: Sequence[int]) -> dict[int, tuple[FollowUp, ...]]:
    notes: dict[int, list[FollowUp]] = {}
    for follow, author in db.execute(
        select(FollowUpRow, ClinicianRow.display_name)
        .join(ClinicianRow, ClinicianRow.id == FollowUpRow.author_id)
        .where(FollowUpRow.session_id.in_(ids))
        .order_by(FollowUpRow.id)
    ):
        notes.setdefault(follow.session_id, []).append(FollowUp(author, follow.written_at, follow.text))
    return {key: tuple(value) for key, value in notes.items()}


def visits_on(db: Session, chart_number: str, since: datetime, until: datetime) -> list[int]:
    """The ids of a patient's visits (drafts and signed, not discarded) whose service start is in the range."""
    stmt = (
        select(SessionRow.id)
        .join(PatientRow, PatientRow.id == SessionRow.patient_id)
        .where(
            PatientRow.chart_number == chart_key(chart_number),
            SessionRow.service_start >= since,
            SessionRow.service_start < until,
            SessionRow.status != SessionStatus.DISCARDED,
        )
        .order_by(SessionRow.service_start)
    )
    return list(db.scalars(stmt))
