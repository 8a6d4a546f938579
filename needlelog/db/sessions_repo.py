"""Treatment sessions: reading and writing them, claiming a row at a version and saving it, signing,
discarding, the chart's session lists and the running dwell timers.

Functions take the caller's ORM session: the service owns the transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, delete, func, insert, select, type_coerce, update
from sqlalchemy.orm import Session, selectinload

from needlelog.db import seals
from needlelog.db.episodes_repo import episode_id_for
from needlelog.db.models import (
    AdverseEventRow,
    ClinicianRow,
    OutcomeRow,
    PatientRow,
    SessionRow,
    SiteRow,
    TriggerPointRow,
)
from needlelog.db.outcomes_text import activities_text, outcome_from_row
from needlelog.domain.errors import ConflictError, NotFoundError
from needlelog.domain.figure import lung_field_site
from needlelog.domain.model import (
    AdverseEvent,
    Consent,
    NeedlingSite,
    Reactions,
    SessionSummary,
    SignedAs,
    TreatmentSession,
    TriggerPoint,
)
from needlelog.domain.timers import RunningTimer, site_label
from needlelog.domain.vocab import Condition, ConsentMethod, SessionStatus

# SignedAs's text fields, stored as they are; credentials came later and may be missing from an older record.
SIGNED_AS_TEXT = ("chart_number", "family_name", "given_name", "username", "display_name", "registration_number")
# A session the chart shows: a discarded draft stays in the file (records are kept) but in no list, count or export.
IN_CHART = SessionRow.status != SessionStatus.DISCARDED
SAVED_ELSEWHERE = (
    "This session was saved from another window or PC since you opened it; "
    "your text is kept on screen so you can merge it and save again."
)


def signed_as_text(signed: SignedAs) -> str:
    """The stored form of :class:`SignedAs` (JSON, dates ISO; the upgrade's mark only when set)."""
    values: dict[str, object] = {name: getattr(signed, name) for name in SIGNED_AS_TEXT}
    values["credentials"] = signed.credentials
    values["date_of_birth"] = signed.date_of_birth.isoformat()
    if signed.consent is not None:
        c = signed.consent
        revoked = c.revoked_on.isoformat() if c.revoked_on else None
        values["consent"] = [c.given_on.isoformat(), c.method.value, c.obtained_by, revoked]
    if signed.filled_at_upgrade:
        values["filled_at_upgrade"] = 1
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def signed_as_from_text(text: str) -> SignedAs | None:
    """The stored :class:`SignedAs`, or None when there is none or it cannot be read (`check` names such a note:
    a signed note must say whom it was signed for and by)."""
    if not text:
        return None
    try:
        values = json.loads(text)
        consent = values.get("consent")
        return SignedAs(
            **{name: str(values[name]) for name in SIGNED_AS_TEXT},
            date_of_birth=date.fromisoformat(values["date_of_birth"]),
            credentials=str(values.get("credentials", "")),  # kept from 2026-11-29 on
            consent=None if consent is None else _consent(consent),
            filled_at_upgrade=bool(values.get("filled_at_upgrade", False)),
        )
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None


def _consent(stored: list[str | None]) -> Consent:
    given, method, obtained_by, revoked = stored
    return Consent(
        date.fromisoformat(str(given)),
        ConsentMethod(str(method)),
        str(obtained_by),
        date.fromisoformat(revoked) if revoked else None,
    )


def session_from_row(row: SessionRow) -> TreatmentSession:
    return TreatmentSession(
        patient_id=row.patient_id,
        clinician_id=row.clinician_id,
        service_start=row.service_start,
        service_end=row.service_end,
        condition=row.condition,
        technique=row.technique,
        electrical_stimulation=row.electrical_stimulation,
        sites=tuple(
            NeedlingSite(
                region=s.region,
                side=s.side,
                muscle=s.muscle,
                needles=s.needles,
                needle_size=s.needle_size,
                needle_lot=s.needle_lot,
                dwell_minutes=s.dwell_minutes,
                twitch=s.twitch,
                trigger_points=tuple(TriggerPoint(p.view, p.x, p.y) for p in s.trigger_points),
                timer_started=s.timer_started_at,
                timer_stopped=s.timer_stopped_at,
                needles_out=s.needles_out,
                dwell_reason=s.dwell_reason,
            )
            for s in row.sites
        ),
        pain_before=row.pain_before,
        pain_after=row.pain_after,
        sharps_disposed=row.sharps_disposed,
        reactions=Reactions(row.soreness, row.reactions, row.reaction_other),
        adverse_events=tuple(AdverseEvent(e.kind, e.description) for e in row.adverse_events),
        outcomes=tuple(outcome_from_row(o.instrument, o.total, o.activities) for o in row.outcomes),
        aftercare=row.aftercare,
        precautions_acknowledged=row.precautions_acknowledged,
        notes=row.notes,
        lung_field_caution=row.lung_field_caution,
        status=row.status,
        id=row.id,
        version=row.version,
        created_at=row.created_at,
        signed_at=row.signed_at,
        signed_by_id=row.signed_by_id,
        fingerprint=row.fingerprint,
        signed_as=signed_as_from_text(row.signed_as),
    )


def _fill_session(row: SessionRow, session: TreatmentSession) -> None:
    _fill_columns(row, session)
    row.sites = [
        SiteRow(
            position=i,
            trigger_points=[TriggerPointRow(**point) for point in _point_values(s)],
            **_site_values(i, s),
        )
        for i, s in enumerate(session.sites)
    ]
    row.adverse_events = [AdverseEventRow(**values) for values in _event_values(session)]
    row.outcomes = [OutcomeRow(**values) for values in _outcome_values(session)]


def _site_values(position: int, s: NeedlingSite) -> dict[str, object]:
    return {
        "region": s.region,
        "side": s.side,
        "muscle": s.muscle,
        "needles": s.needles,
        "needle_size": s.needle_size,
        "needle_lot": s.needle_lot,
        "dwell_minutes": s.dwell_minutes,
        "twitch": s.twitch,
        "timer_started_at": s.timer_started,
        "timer_stopped_at": s.timer_stopped,
        "needles_out": s.needles_out,
        "dwell_reason": s.dwell_reason,
    }


def _point_values(s: NeedlingSite) -> list[dict[str, object]]:
    return [{"position": j, "view": p.view, "x": p.x, "y": p.y} for j, p in enumerate(s.trigger_points)]


def _event_values(session: TreatmentSession) -> list[dict[str, object]]:
    return [{"position": i, "kind": e.kind, "description": e.description} for i, e in enumerate(session.adverse_events)]


def _outcome_values(session: TreatmentSession) -> list[dict[str, object]]:
    return [
        {"position": i, "instrument": o.instrument, "total": o.total, "activities": activities_text(o.activities)}
        for i, o in enumerate(session.outcomes)
    ]


def _column_values(session: TreatmentSession) -> dict[str, object]:
    """The session's own columns (not its sites, events and outcomes), as stored."""
    return {
        "patient_id": session.patient_id,
        "clinician_id": session.clinician_id,
        "service_start": session.service_start,
        "service_end": session.service_end,
        "condition": session.condition,
        "technique": session.technique,
        "electrical_stimulation": session.electrical_stimulation,
        "pain_before": session.pain_before,
        "pain_after": session.pain_after,
        "site_count": len(session.sites),
        "needle_count": session.needles_inserted,
        "needles_removed": session.needles_removed,
        "sharps_disposed": session.sharps_disposed,
        "soreness": session.reactions.soreness,
        "reactions": session.reactions.others,
        "reaction_other": session.reactions.other_text,
        "aftercare": session.aftercare,
        "precautions_acknowledged": session.precautions_acknowledged,
        "notes": session.notes,
        "lung_field_caution": any(lung_field_site(s) for s in session.sites),
    }


def _fill_columns(row: SessionRow, session: TreatmentSession) -> None:
    """The session's own columns (not its sites and events)."""
    for name, value in _column_values(session).items():
        setattr(row, name, value)


_FULL_SESSION = (
    selectinload(SessionRow.sites).selectinload(SiteRow.trigger_points),
    selectinload(SessionRow.adverse_events),
    selectinload(SessionRow.outcomes),
)


def _session_row(db: Session, session_id: int) -> SessionRow:
    row = db.get(SessionRow, session_id, options=_FULL_SESSION)
    if row is None:
        raise NotFoundError(f"No session with id {session_id}.")
    return row


def session_owners(db: Session, session_id: int) -> tuple[SessionStatus, int, int]:
    """A session's status, patient and clinician alone: one indexed read, not its sites."""
    found = db.execute(
        select(SessionRow.status, SessionRow.patient_id, SessionRow.clinician_id).where(SessionRow.id == session_id)
    ).first()
    if found is None:
        raise NotFoundError(f"No session with id {session_id}.")
    return found[0], found[1], found[2]


@dataclass(frozen=True, slots=True)
class DraftState:
    """What a save checks of the stored session before writing, read in one statement."""

    status: SessionStatus
    patient_id: int
    clinician_id: int
    created_at: datetime
    site_count: int  # the sites stored (counted, not the summary column)
    electrical_stimulation: bool
    condition: Condition | None


def draft_state(db: Session, session_id: int) -> DraftState:
    """A session's status, owners, condition and stored needling, one indexed read (not its sites)."""
    sites = select(func.count(SiteRow.id)).where(SiteRow.session_id == SessionRow.id).scalar_subquery()
    found = db.execute(
        select(
            SessionRow.status,
            SessionRow.patient_id,
            SessionRow.clinician_id,
            SessionRow.created_at,
            sites,
            SessionRow.electrical_stimulation,
            SessionRow.condition,
        ).where(SessionRow.id == session_id)
    ).first()
    if found is None:
        raise NotFoundError(f"No session with id {session_id}.")
    return DraftState(found[0], found[1], found[2], found[3], int(found[4]), bool(found[5]), found[6])


def save_draft(db: Session, session: TreatmentSession, stored: DraftState, now: datetime) -> TreatmentSession:
    """Write a stored draft as ``session`` holds it, if it is still a draft at the caller's version, in one
    conditional UPDATE (no read of the row first), then replace its sites, points, events and outcomes. Returns
    it as stored; :class:`ConflictError` when someone saved it meanwhile."""
    session_id = session.id
    if session_id is None:
        raise NotFoundError("This session has not been saved yet.")
    values = _column_values(session)
    if stored.condition != session.condition:  # the plan it counts in follows its condition (a new episode relinks)
        values["episode_id"] = episode_id_for(db, session.patient_id, session.condition)
    claimed = db.execute(
        update(SessionRow)
        .where(
            SessionRow.id == session_id,
            SessionRow.version == session.version,
            SessionRow.status == SessionStatus.DRAFT,
        )
        .values(**values, version=session.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(SAVED_ELSEWHERE)
    _replace_children(db, session_id, session)
    return replace(
        session,
        version=session.version + 1,
        status=SessionStatus.DRAFT,
        lung_field_caution=bool(values["lung_field_caution"]),
        created_at=stored.created_at,
        signed_at=None,
        signed_by_id=None,
        fingerprint="",
        signed_as=None,
    )


def get_session(db: Session, session_id: int) -> TreatmentSession:
    return session_from_row(_session_row(db, session_id))


def add_session(db: Session, session: TreatmentSession, now: datetime) -> TreatmentSession:
    row = SessionRow(
        status=SessionStatus.DRAFT,
        version=1,
        created_at=now,
        updated_at=now,
        fingerprint="",
    )
    _fill_session(row, session)
    row.episode_id = episode_id_for(db, session.patient_id, session.condition)
    db.add(row)
    db.flush()
    return session_from_row(row)


def lock_session_for_update(db: Session, session_id: int, expected_version: int) -> SessionRow:
    """Claim the row at the version the caller read, or raise :class:`ConflictError`.

    The version is bumped by a conditional UPDATE first, so two writers can never both pass.
    """
    claimed = db.execute(
        update(SessionRow)
        .where(SessionRow.id == session_id, SessionRow.version == expected_version)
        .values(version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        exists = db.scalar(select(func.count()).select_from(SessionRow).where(SessionRow.id == session_id))
        if not exists:
            raise NotFoundError(f"No session with id {session_id}.")
        raise ConflictError(SAVED_ELSEWHERE)
    row = db.get(SessionRow, session_id)  # its sites and events are replaced with set statements
    assert row is not None
    db.refresh(row, attribute_names=["version"])
    return row


def save_session(db: Session, session: TreatmentSession, now: datetime) -> TreatmentSession:
    if session.id is None:
        raise NotFoundError("This session has not been saved yet.")
    row = lock_session_for_update(db, session.id, session.version)
    return save_session_content(db, row, session, now)


def save_session_content(db: Session, row: SessionRow, session: TreatmentSession, now: datetime) -> TreatmentSession:
    """Write the session's columns, and replace its sites, trigger points and adverse events.

    The children are replaced with a few set statements (a delete, whose trigger points go by the
    foreign key's ON DELETE CASCADE, and one multi-row insert per table) rather than the unit of
    work's row-at-a-time deletes and inserts: an autosave of ten sites is a handful of statements.
    Returns the session as stored.
    """
    if row.condition != session.condition:  # the plan it counts in follows its condition (a new episode relinks)
        row.episode_id = episode_id_for(db, session.patient_id, session.condition)
    _fill_columns(row, session)
    row.updated_at = now
    db.flush()
    _replace_children(db, row.id, session)
    db.expire(row, ["sites", "adverse_events", "outcomes"])
    return _as_stored(row, session)


def _replace_children(db: Session, session_id: int, session: TreatmentSession) -> None:
    """Replace a stored session's sites, their trigger points, its adverse events and outcomes by ``session``'s:
    a delete each (the points go by the foreign key's ON DELETE CASCADE) and one multi-row insert per table."""
    db.execute(delete(SiteRow).where(SiteRow.session_id == session_id))
    db.execute(delete(AdverseEventRow).where(AdverseEventRow.session_id == session_id))
    db.execute(delete(OutcomeRow).where(OutcomeRow.session_id == session_id))
    if session.sites:
        site_rows = [
            {"session_id": session_id, "position": i, **_site_values(i, s)} for i, s in enumerate(session.sites)
        ]
        db.execute(insert(SiteRow), site_rows)  # one executemany (RETURNING would go a row at a time on SQLite)
        ids = db.scalars(select(SiteRow.id).where(SiteRow.session_id == session_id).order_by(SiteRow.position)).all()
        points = [
            {"site_id": site_id, **point}
            for site_id, site in zip(ids, session.sites, strict=True)
            for point in _point_values(site)
        ]
        if points:
            db.execute(insert(TriggerPointRow), points)
    events = _event_values(session)
    if events:
        db.execute(insert(AdverseEventRow), [{"session_id": session_id, **event} for event in events])
    outcomes = _outcome_values(session)
    if outcomes:
        db.execute(insert(OutcomeRow), [{"session_id": session_id, **outcome} for outcome in outcomes])


def _as_stored(row: SessionRow, session: TreatmentSession) -> TreatmentSession:
    """What was just written: the caller's content with the row's own fields (id, version, flags, signature)."""
    return replace(
        session,
        id=row.id,
        version=row.version,
        status=row.status,
        lung_field_caution=row.lung_field_caution,
        created_at=row.created_at,
        signed_at=row.signed_at,
        signed_by_id=row.signed_by_id,
        fingerprint=row.fingerprint,
        signed_as=signed_as_from_text(row.signed_as),
    )


def mark_signed(
    db: Session,
    row: SessionRow,
    stored: TreatmentSession,
    signed_at: datetime,
    digest: str,
    signed_as: SignedAs,
    signer_id: int,
) -> TreatmentSession:
    row.status = SessionStatus.SIGNED
    row.signed_at = signed_at
    row.signed_by_id = signer_id
    row.fingerprint = digest
    row.signed_as = signed_as_text(signed_as)
    row.updated_at = signed_at
    db.flush()
    seals.seal_row(db, seals.NOTE, row.id)  # in the signature's transaction, by the signer's key
    return _as_stored(row, stored)


def mark_discarded(db: Session, row: SessionRow, by_id: int, at: datetime, reason: str) -> None:
    """The draft is kept, with who discarded it, when and why; every list of the chart leaves it out."""
    row.status = SessionStatus.DISCARDED
    row.discarded_at = at
    row.discarded_by_id = by_id
    row.discard_reason = reason
    row.updated_at = at
    db.flush()


def running_timers_query() -> Select[*tuple[Any, ...]]:
    """The running timers' rows, read through the partial index that holds only them (migration 0004).

    The draft test is written ``status || ''`` so that SQLite does not start from the status index instead
    and walk every draft's sites: 10,000 drafts at 500,000 sessions, 30-200 ms at each sign-in and in the
    main window's dock, against under 1 ms (issue 14)."""
    return (
        select(
            SiteRow.session_id,
            SiteRow.position,
            SiteRow.region,
            SiteRow.side,
            SiteRow.muscle,
            SiteRow.dwell_minutes,
            SiteRow.timer_started_at,
            PatientRow.given_name,
            PatientRow.family_name,
            PatientRow.chart_number,
        )
        .join(SessionRow, SessionRow.id == SiteRow.session_id)
        .join(PatientRow, PatientRow.id == SessionRow.patient_id)
        .where(
            SiteRow.timer_started_at.is_not(None),
            SiteRow.timer_stopped_at.is_(None),
            type_coerce(SessionRow.status, String).concat("") == SessionStatus.DRAFT.value,
        )
        .order_by(SiteRow.timer_started_at, SiteRow.session_id, SiteRow.position)
    )


def running_timers(db: Session) -> list[RunningTimer]:
    """Every dwell timer started and not stopped, on any draft of any patient, oldest first."""
    stmt = running_timers_query()
    return [
        RunningTimer(
            session_id=r.session_id,
            site_index=r.position,
            patient_name=f"{r.given_name} {r.family_name}".strip(),
            chart_number=r.chart_number,
            site_label=site_label(r.position, r.region, r.side, r.muscle),
            started=r.timer_started_at,
            planned_minutes=r.dwell_minutes,
        )
        for r in db.execute(stmt)
    ]


def list_patient_sessions(db: Session, patient_id: int, limit: int, offset: int = 0) -> list[SessionSummary]:
    stmt = (
        select(
            SessionRow.id,
            SessionRow.service_start,
            ClinicianRow.display_name,
            SessionRow.condition,
            SessionRow.site_count,
            SessionRow.needle_count,
            SessionRow.pain_before,
            SessionRow.pain_after,
            SessionRow.status,
        )
        .join(ClinicianRow, ClinicianRow.id == SessionRow.clinician_id)
        .where(SessionRow.patient_id == patient_id, IN_CHART)
        .order_by(SessionRow.service_start.desc(), SessionRow.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [SessionSummary(*r) for r in db.execute(stmt)]


def count_patient_sessions(db: Session, patient_id: int) -> int:
    stmt = select(func.count()).select_from(SessionRow).where(SessionRow.patient_id == patient_id, IN_CHART)
    return db.scalar(stmt) or 0


def last_session_id(db: Session, patient_id: int, *, with_sites: bool = False) -> int | None:
    """The patient's newest session; with ``with_sites``, the newest that has any (a blank draft just
    opened is not a session to copy)."""
    stmt = select(SessionRow.id).where(SessionRow.patient_id == patient_id, IN_CHART)
    if with_sites:
        stmt = stmt.where(SessionRow.site_count > 0)
    return db.scalar(stmt.order_by(SessionRow.service_start.desc(), SessionRow.id.desc()).limit(1))
