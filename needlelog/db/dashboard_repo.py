"""The manager's dashboard, counted by the database: per clinician and month, drafts by age, the twitch mix.

Every figure is an aggregate in SQL (``COUNT``/``SUM`` grouped by clinician and month), so a 100,000-visit range
costs three grouped scans of indexed rows, never a Python loop over them. Months are the clinic's (this PC's time
zone): each month's first instant is computed here and the rows are put in their month by a ``CASE`` on
``service_start``, which reads the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import cast

from sqlalchemy import ColumnElement, String, case, exists, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session

from needlelog.db.models import AdverseEventRow, ClinicianRow, LateReportRow, PatientRow, SessionRow, SiteRow
from needlelog.domain.dashboard import ClinicianMonth, TwitchCount, UnsignedDraft
from needlelog.domain.dates import local_date
from needlelog.domain.vocab import Reaction, SessionStatus


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min).astimezone().astimezone(UTC)


def month_starts(first: date, last: date) -> list[tuple[str, datetime]]:
    """Each month of ``first``..``last`` ("2026-03") with the instant it starts in the range (clinic time)."""
    months: list[tuple[str, datetime]] = []
    day = first
    while day <= last:
        months.append((f"{day.year:04d}-{day.month:02d}", _start_of(day)))
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return months


def _month_of(starts: Sequence[tuple[str, datetime]]) -> ColumnElement[str]:
    """The month label of a session's service start: the last month that started at or before it. A balanced
    tree of ``CASE``s, so a row costs about log2(months) comparisons, not one per month of a ten-year range."""
    if len(starts) == 1:
        return literal(starts[0][0], String)
    middle = len(starts) // 2
    below, above = _month_of(starts[:middle]), _month_of(starts[middle:])
    return case((SessionRow.service_start < starts[middle][1], below), else_=above)


def _has_reaction(reaction: Reaction) -> ColumnElement[bool]:
    """Whether the stored code set (sorted, space-separated codes) holds ``reaction``."""
    padded = literal(" ", String) + type_coerce(SessionRow.reactions, String) + literal(" ", String)
    return padded.like(f"% {reaction.value} %")


def _counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def clinician_months(
    db: Session, first: date, last: date, since: datetime, until: datetime, clinician_id: int | None
) -> list[ClinicianMonth]:
    """The signed visits of each clinician and month in ``since``..``until``, with what they recorded."""
    signed = _signed_in(since, until, clinician_id)
    span = db.execute(select(func.min(SessionRow.service_start), func.max(SessionRow.service_start)).where(*signed))
    earliest, latest = cast("tuple[datetime | None, datetime | None]", tuple(span.one()))
    if earliest is None or latest is None:
        return []
    # Only the months that hold visits: "all time" is a century of months, nearly all of them empty.
    first, last = max(first, local_date(earliest)), min(last, local_date(latest))
    month = _month_of(month_starts(first, last)).label("month")
    adverse = or_(
        exists().where(AdverseEventRow.session_id == SessionRow.id),
        exists().where(LateReportRow.session_id == SessionRow.id),
    )
    stmt = (
        select(
            ClinicianRow.display_name,
            month,
            func.count(SessionRow.id),
            func.coalesce(func.sum(SessionRow.needle_count), 0),
            _counted(type_coerce(SessionRow.reactions, String) != ""),
            _counted(_has_reaction(Reaction.BRUISING)),
            _counted(_has_reaction(Reaction.BLEEDING)),
            _counted(adverse),
        )
        .join(ClinicianRow, ClinicianRow.id == SessionRow.clinician_id)
        .where(*_signed_in(since, until, clinician_id))
        .group_by(ClinicianRow.id, ClinicianRow.display_name, month)
        .order_by(ClinicianRow.display_name, ClinicianRow.id, month)
    )
    return [ClinicianMonth(name, label, *(int(n or 0) for n in counts)) for name, label, *counts in db.execute(stmt)]


def _signed_in(since: datetime, until: datetime, clinician_id: int | None) -> list[ColumnElement[bool]]:
    where = [
        SessionRow.status == SessionStatus.SIGNED,
        SessionRow.service_start >= since,
        SessionRow.service_start < until,
    ]
    if clinician_id is not None:
        where.append(SessionRow.clinician_id == clinician_id)
    return where


def twitch_mix(db: Session, since: datetime, until: datetime, clinician_id: int | None) -> list[TwitchCount]:
    """The needled sites of the signed visits in the range, by clinician and twitch response."""
    stmt = (
        select(ClinicianRow.display_name, SiteRow.twitch, func.count(SiteRow.id))
        .select_from(SiteRow)
        .join(SessionRow, SessionRow.id == SiteRow.session_id)
        .join(ClinicianRow, ClinicianRow.id == SessionRow.clinician_id)
        .where(*_signed_in(since, until, clinician_id))
        .group_by(ClinicianRow.id, ClinicianRow.display_name, SiteRow.twitch)
        .order_by(ClinicianRow.display_name, SiteRow.twitch)
    )
    return [TwitchCount(name, twitch, int(count)) for name, twitch, count in db.execute(stmt)]


def unsigned_drafts(db: Session, today: date, clinician_id: int | None, limit: int = 5000) -> list[UnsignedDraft]:
    """Every draft not yet signed (nor discarded), oldest first, with its age in clinic days (1 = today)."""
    stmt = (
        select(
            SessionRow.id,
            SessionRow.service_start,
            PatientRow.chart_number,
            PatientRow.given_name,
            PatientRow.family_name,
            ClinicianRow.display_name,
            ClinicianRow.id,
        )
        .join(PatientRow, PatientRow.id == SessionRow.patient_id)
        .join(ClinicianRow, ClinicianRow.id == SessionRow.clinician_id)
        .where(SessionRow.status == SessionStatus.DRAFT)
        .order_by(SessionRow.service_start, SessionRow.id)
        .limit(limit)
    )
    if clinician_id is not None:
        stmt = stmt.where(SessionRow.clinician_id == clinician_id)
    return [
        UnsignedDraft(
            sid, start, chart, f"{given} {family}".strip(), name, cid, max(1, (today - local_date(start)).days + 1)
        )
        for sid, start, chart, given, family, name, cid in db.execute(stmt)
    ]
