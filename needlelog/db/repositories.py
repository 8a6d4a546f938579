"""Queries and writes the services use, translating rows to the domain's value objects.

Functions take the caller's ORM session: the service owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import ColumnElement, Date, Select, bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session, selectinload

from needlelog.db.models import (
    AdverseEventRow,
    ClinicianRow,
    ClinicRow,
    ConsentRow,
    PatientRow,
    SessionRow,
    SiteRow,
    TriggerPointRow,
)
from needlelog.db.records import amendments_of
from needlelog.domain.access import IDLE_LOCK_DEFAULT
from needlelog.domain.errors import ConflictError, NotFoundError
from needlelog.domain.figure import lung_field_site
from needlelog.domain.model import (
    AdverseEvent,
    Clinic,
    Clinician,
    Consent,
    NeedlingSite,
    Patient,
    PatientSummary,
    Reactions,
    Screening,
    SessionSummary,
    TreatmentSession,
    TriggerPoint,
    VisitNote,
)
from needlelog.domain.search import (
    PatientQuery,
    chart_key,
    prefix_upper_bound,
    search_key,
)
from needlelog.domain.timers import RunningTimer, site_label
from needlelog.domain.vocab import Role, SessionStatus

# --- clinic and clinicians -------------------------------------------------------------


def clinic_from_row(row: ClinicRow) -> Clinic:
    return Clinic(
        name=row.name,
        address=row.address,
        phone=row.phone,
        default_dwell_minutes=row.default_dwell_minutes,
        consent_valid_months=row.consent_valid_months,
        id=row.id,
    )


def get_clinic(db: Session) -> Clinic | None:
    row = db.scalars(select(ClinicRow).order_by(ClinicRow.id).limit(1)).first()
    return None if row is None else clinic_from_row(row)


def save_clinic(db: Session, clinic: Clinic) -> Clinic:
    row = db.get(ClinicRow, clinic.id) if clinic.id is not None else None
    if row is None:
        row = ClinicRow()
        db.add(row)
    row.name, row.address, row.phone = clinic.name, clinic.address, clinic.phone
    row.default_dwell_minutes = clinic.default_dwell_minutes
    row.consent_valid_months = clinic.consent_valid_months
    db.flush()
    return clinic_from_row(row)


def clinician_from_row(row: ClinicianRow) -> Clinician:
    return Clinician(
        display_name=row.display_name,
        username=row.username,
        credentials=row.credentials,
        registration_number=row.registration_number,
        authorised_to_needle=row.authorised_to_needle,
        id=row.id,
        roles=row.roles,
        active=row.active,
    )


def add_clinician(db: Session, clinician: Clinician, password_hash: str = "") -> Clinician:
    row = ClinicianRow(
        username=clinician.username,
        display_name=clinician.display_name,
        credentials=clinician.credentials,
        registration_number=clinician.registration_number,
        authorised_to_needle=clinician.authorised_to_needle,
        active=clinician.active,
        roles=clinician.roles,
        password_hash=password_hash,
    )
    db.add(row)
    db.flush()
    return clinician_from_row(row)


def get_clinician(db: Session, clinician_id: int) -> Clinician:
    row = db.get(ClinicianRow, clinician_id)
    if row is None:
        raise NotFoundError(f"No clinician with id {clinician_id}.")
    return clinician_from_row(row)


def list_clinicians(db: Session) -> list[Clinician]:
    """The active accounts that hold the clinician role (managers and administrators are not clinicians)."""
    rows = db.scalars(select(ClinicianRow).where(ClinicianRow.active).order_by(ClinicianRow.display_name))
    return [clinician_from_row(r) for r in rows if Role.CLINICIAN in r.roles]


def select_accounts() -> Select[ClinicianRow]:
    """Every account, active or not, in name order."""
    return select(ClinicianRow).order_by(ClinicianRow.display_name, ClinicianRow.id)


def idle_lock_minutes(db: Session) -> int:
    minutes = db.execute(select(ClinicRow.idle_lock_minutes).limit(1)).scalar()
    return IDLE_LOCK_DEFAULT if minutes is None else int(minutes)


def set_idle_lock_minutes(db: Session, minutes: int) -> None:
    row = db.scalars(select(ClinicRow).limit(1)).first()
    if row is None:
        raise NotFoundError("This database has no clinic yet.")
    row.idle_lock_minutes = minutes


def clinician_by_username(db: Session, username: str) -> Clinician | None:
    row = db.scalars(select(ClinicianRow).where(ClinicianRow.username == username)).first()
    return None if row is None else clinician_from_row(row)


# --- patients ----------------------------------------------------------------------------


def patient_from_row(row: PatientRow) -> Patient:
    consent = None
    if row.consents:
        latest = row.consents[-1]
        consent = Consent(latest.given_on, latest.method, latest.obtained_by, latest.revoked_on)
    return Patient(
        chart_number=row.chart_number,
        family_name=row.family_name,
        given_name=row.given_name,
        date_of_birth=row.date_of_birth,
        phone=row.phone,
        screening=Screening(row.precautions, row.surgery_region),
        treatment_plan=row.treatment_plan,
        consent=consent,
        id=row.id,
        version=row.version,
    )


def _fill_patient(row: PatientRow, patient: Patient) -> None:
    row.chart_number = chart_key(patient.chart_number)
    row.family_name = patient.family_name.strip()
    row.given_name = patient.given_name.strip()
    row.family_key = search_key(patient.family_name)
    row.given_key = search_key(patient.given_name)
    row.date_of_birth = patient.date_of_birth
    row.phone = patient.phone.strip()
    row.precautions = patient.screening.positive
    row.surgery_region = patient.screening.surgery_region
    row.treatment_plan = patient.treatment_plan


def _record_consent(db: Session, row: PatientRow, consent: Consent | None, now: datetime) -> None:
    """Consent is a history: a changed consent appends a record, it never rewrites the old one."""
    if consent is None:
        return
    latest = row.consents[-1] if row.consents else None
    if latest is not None and (latest.given_on, latest.method, latest.obtained_by) == (
        consent.given_on,
        consent.method,
        consent.obtained_by,
    ):
        latest.revoked_on = consent.revoked_on
        return
    row.consents.append(
        ConsentRow(
            given_on=consent.given_on,
            method=consent.method,
            obtained_by=consent.obtained_by,
            revoked_on=consent.revoked_on,
            recorded_at=now,
        )
    )


def chart_number_taken(db: Session, chart_number: str, except_id: int | None = None) -> bool:
    query = select(PatientRow.id).where(PatientRow.chart_number == chart_key(chart_number))
    if except_id is not None:
        query = query.where(PatientRow.id != except_id)
    return db.scalars(query).first() is not None


def add_patient(db: Session, patient: Patient, now: datetime) -> Patient:
    row = PatientRow(version=1, created_at=now, updated_at=now)
    _fill_patient(row, patient)
    db.add(row)
    _record_consent(db, row, patient.consent, now)
    db.flush()
    return patient_from_row(row)


def update_patient(db: Session, patient: Patient, now: datetime) -> Patient:
    if patient.id is None:
        raise NotFoundError("This patient has not been saved yet.")
    row = _patient_row(db, patient.id)
    if row.version != patient.version:
        raise ConflictError(
            f"{row.given_name} {row.family_name} was changed by someone else since you opened the record; "
            "your changes were kept on screen so you can compare and save again."
        )
    _fill_patient(row, patient)
    _record_consent(db, row, patient.consent, now)
    row.version += 1
    row.updated_at = now
    db.flush()
    return patient_from_row(row)


def _patient_row(db: Session, patient_id: int) -> PatientRow:
    row = db.get(PatientRow, patient_id, options=[selectinload(PatientRow.consents)])
    if row is None:
        raise NotFoundError(f"No patient with id {patient_id}.")
    return row


def get_patient(db: Session, patient_id: int) -> Patient:
    return patient_from_row(_patient_row(db, patient_id))


_WORD_PLACES = ("family_key", "given_key", "chart_number")


def _word_clause(index: int) -> str:
    """Word ``index`` starts a family name, a given name or a chart number (three index ranges)."""
    return " OR ".join(
        f"({column} >= :w{index}_{k} AND {column} < :u{index}_{k})" for k, column in enumerate(_WORD_PLACES)
    )


def _word_params(index: int, word: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for k, value in enumerate((word, word, word.upper())):
        params[f"w{index}_{k}"] = value
        params[f"u{index}_{k}"] = prefix_upper_bound(value)
    return params


def search_patients(db: Session, query: PatientQuery, limit: int, offset: int = 0) -> list[PatientSummary]:
    """Patients matching every word, by family name then given name, one page.

    A plain OR of the three prefix ranges made SQLite gather and sort every match (6,000 rows
    for one letter on 50,000 patients). Instead each place the first word may match is its own
    index-ordered branch that stops after one page, and only the page's rows are read in full.
    Written as SQL text because building this statement through the ORM cost more than running it.
    """
    params: dict[str, object] = {"wanted": limit + offset, "limit": limit, "offset": offset}
    filters = []
    for index, word in enumerate(query.words):
        params.update(_word_params(index, word))
        if index:
            filters.append(f"({_word_clause(index)})")
    if query.date_of_birth is not None:
        filters.append("date_of_birth = :born")
        params["born"] = query.date_of_birth
    extra = "".join(f" AND {f}" for f in filters)
    where_extra = f"WHERE {' AND '.join(filters)}" if filters else ""
    order = "ORDER BY family_key, given_key, id"
    if query.words:
        branches = " UNION ".join(
            f"SELECT * FROM (SELECT id, family_key, given_key FROM patient"
            f" WHERE {column} >= :w0_{k} AND {column} < :u0_{k}{extra} {order} LIMIT :wanted) AS b{k}"
            for k, column in enumerate(_WORD_PLACES)
        )
    else:
        branches = f"SELECT id, family_key, given_key FROM patient {where_extra} {order} LIMIT :wanted"
    sql = (
        "SELECT p.id, p.chart_number, p.family_name, p.given_name, p.date_of_birth, p.precautions"
        f" FROM (SELECT id FROM ({branches}) AS matched {order} LIMIT :limit OFFSET :offset) AS page"
        " JOIN patient AS p ON p.id = page.id ORDER BY p.family_key, p.given_key, p.id"
    )
    stmt = text(sql).columns(
        PatientRow.id,
        PatientRow.chart_number,
        PatientRow.family_name,
        PatientRow.given_name,
        PatientRow.date_of_birth,
        PatientRow.precautions,
    )
    if "born" in params:
        stmt = stmt.bindparams(bindparam("born", type_=Date()))
    return [
        PatientSummary(
            id=r.id,
            chart_number=r.chart_number,
            family_name=r.family_name,
            given_name=r.given_name,
            date_of_birth=r.date_of_birth,
            flags=r.precautions,
        )
        for r in db.execute(stmt, params)
    ]


# --- sessions ----------------------------------------------------------------------------

# A session the chart shows: a discarded draft stays in the file (records are kept) but in no list, count or export.
IN_CHART = SessionRow.status != SessionStatus.DISCARDED


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


def _fill_columns(row: SessionRow, session: TreatmentSession) -> None:
    """The session's own columns (not its sites and events)."""
    row.patient_id = session.patient_id
    row.clinician_id = session.clinician_id
    row.service_start = session.service_start
    row.service_end = session.service_end
    row.condition = session.condition
    row.technique = session.technique
    row.electrical_stimulation = session.electrical_stimulation
    row.pain_before = session.pain_before
    row.pain_after = session.pain_after
    row.site_count = len(session.sites)
    row.needle_count = session.needles_inserted
    row.needles_removed = session.needles_removed
    row.sharps_disposed = session.sharps_disposed
    row.soreness = session.reactions.soreness
    row.reactions = session.reactions.others
    row.reaction_other = session.reactions.other_text
    row.aftercare = session.aftercare
    row.precautions_acknowledged = session.precautions_acknowledged
    row.notes = session.notes
    row.lung_field_caution = any(lung_field_site(s) for s in session.sites)


_FULL_SESSION = (
    selectinload(SessionRow.sites).selectinload(SiteRow.trigger_points),
    selectinload(SessionRow.adverse_events),
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
        raise ConflictError(
            "This session was saved from another window or PC since you opened it; "
            "your text is kept on screen so you can merge it and save again."
        )
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
    _fill_columns(row, session)
    row.updated_at = now
    db.flush()
    db.execute(delete(SiteRow).where(SiteRow.session_id == row.id))
    db.execute(delete(AdverseEventRow).where(AdverseEventRow.session_id == row.id))
    if session.sites:
        site_rows = [{"session_id": row.id, "position": i, **_site_values(i, s)} for i, s in enumerate(session.sites)]
        db.execute(insert(SiteRow), site_rows)  # one executemany (RETURNING would go a row at a time on SQLite)
        ids = db.scalars(select(SiteRow.id).where(SiteRow.session_id == row.id).order_by(SiteRow.position)).all()
        points = [
            {"site_id": site_id, **point}
            for site_id, site in zip(ids, session.sites, strict=True)
            for point in _point_values(site)
        ]
        if points:
            db.execute(insert(TriggerPointRow), points)
    events = _event_values(session)
    if events:
        db.execute(insert(AdverseEventRow), [{"session_id": row.id, **event} for event in events])
    db.expire(row, ["sites", "adverse_events"])
    return _as_stored(row, session)


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
    )


def mark_signed(
    db: Session, row: SessionRow, stored: TreatmentSession, signer_id: int, signed_at: datetime, digest: str
) -> TreatmentSession:
    row.status = SessionStatus.SIGNED
    row.signed_at = signed_at
    row.signed_by_id = signer_id
    row.fingerprint = digest
    row.updated_at = signed_at
    db.flush()
    return _as_stored(row, stored)


def mark_discarded(db: Session, row: SessionRow, by_id: int, at: datetime, reason: str) -> None:
    """The draft is kept, with who discarded it, when and why; every list of the chart leaves it out."""
    row.status = SessionStatus.DISCARDED
    row.discarded_at = at
    row.discarded_by_id = by_id
    row.discard_reason = reason
    row.updated_at = at
    db.flush()


def running_timers(db: Session) -> list[RunningTimer]:
    """Every dwell timer started and not stopped, on any draft of any patient, oldest first."""
    stmt = (
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
            SessionRow.status == SessionStatus.DRAFT,
        )
        .order_by(SiteRow.timer_started_at, SiteRow.session_id, SiteRow.position)
    )
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


# --- exports -------------------------------------------------------------------------------


def patient_id_by_chart_number(db: Session, chart_number: str) -> int | None:
    return db.scalar(select(PatientRow.id).where(PatientRow.chart_number == chart_key(chart_number)))


def _export_clauses(
    start: datetime, end: datetime, clinician_id: int | None, patient_id: int | None, signed_only: bool
) -> list[ColumnElement[bool]]:
    """Sessions whose service started in ``[start, end)``, narrowed as asked (indexed on every branch)."""
    clauses = [SessionRow.service_start >= start, SessionRow.service_start < end]
    if clinician_id is not None:
        clauses.append(SessionRow.clinician_id == clinician_id)
    if patient_id is not None:
        clauses.append(SessionRow.patient_id == patient_id)
    clauses.append(SessionRow.status == SessionStatus.SIGNED if signed_only else IN_CHART)
    return clauses


def export_session_ids(
    db: Session, start: datetime, end: datetime, clinician_id: int | None, patient_id: int | None, signed_only: bool
) -> list[int]:
    """The ids of the sessions to export, by service start then id (a few bytes each, read in one query)."""
    stmt = (
        select(SessionRow.id)
        .where(*_export_clauses(start, end, clinician_id, patient_id, signed_only))
        .order_by(SessionRow.service_start, SessionRow.id)
    )
    return list(db.scalars(stmt))


def count_export_sessions(
    db: Session, start: datetime, end: datetime, clinician_id: int | None, patient_id: int | None, signed_only: bool
) -> int:
    stmt = (
        select(func.count())
        .select_from(SessionRow)
        .where(*_export_clauses(start, end, clinician_id, patient_id, signed_only))
    )
    return db.scalar(stmt) or 0


class VisitNoteLoader:
    """Builds :class:`VisitNote` values for batches of session ids, in a fixed number of queries a batch.

    A batch costs one query for its sessions, one each for their sites, trigger points and adverse
    events (``selectinload``), one for the patients and one for the clinicians not met in an
    earlier batch; the clinic is read once. Patients and clinicians are kept between batches.
    """

    def __init__(self, db: Session) -> None:
        self._db = db
        clinic = get_clinic(db)
        self._clinic = clinic if clinic is not None else Clinic(name="")
        self._patients: dict[int, Patient] = {}
        self._clinicians: dict[int, Clinician] = {}

    def notes(self, session_ids: Sequence[int]) -> list[VisitNote]:
        if not session_ids:
            return []
        db = self._db
        rows = db.scalars(
            select(SessionRow)
            .where(SessionRow.id.in_(session_ids))
            .options(*_FULL_SESSION)
            .order_by(SessionRow.service_start, SessionRow.id)
        ).all()
        sessions = [session_from_row(row) for row in rows]
        wanted_patients = {s.patient_id for s in sessions} - self._patients.keys()
        if wanted_patients:
            for patient_row in db.scalars(
                select(PatientRow).where(PatientRow.id.in_(wanted_patients)).options(selectinload(PatientRow.consents))
            ):
                self._patients[patient_row.id] = patient_from_row(patient_row)
        people = {s.clinician_id for s in sessions} | {s.signed_by_id for s in sessions if s.signed_by_id is not None}
        wanted_clinicians = people - self._clinicians.keys()
        if wanted_clinicians:
            for clinician_row in db.scalars(select(ClinicianRow).where(ClinicianRow.id.in_(wanted_clinicians))):
                self._clinicians[clinician_row.id] = clinician_from_row(clinician_row)
        amended = amendments_of(db, [s.id for s in sessions if s.id is not None and s.is_signed])
        db.expunge_all()  # the rows are translated; do not keep a thousand of them in the identity map
        return [
            VisitNote(
                clinic=self._clinic,
                patient=self._patients[s.patient_id],
                clinician=self._clinicians[s.clinician_id],
                session=s,
                signer=self._clinicians[s.signed_by_id] if s.signed_by_id is not None else None,
                amendments=amended.get(s.id or 0, ()),
            )
            for s in sessions
        ]
