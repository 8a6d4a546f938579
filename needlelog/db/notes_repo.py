"""Exports: which sessions a date range (and clinician, patient, signed-only) selects, and the
:class:`VisitNoteLoader` that turns batches of them into visit notes.

Functions take the caller's ORM session: the service owns the transaction.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from needlelog.db.adverse_repo import late_reports_of
from needlelog.db.clinic_repo import clinician_from_row, get_clinic
from needlelog.db.course_repo import CourseKey, signed_outcomes, signed_pain
from needlelog.db.models import ClinicianRow, PatientRow, SessionRow
from needlelog.db.patients_repo import patient_from_row
from needlelog.db.records import amendments_of
from needlelog.db.sessions_repo import _FULL_SESSION, IN_CHART, session_from_row
from needlelog.domain.as_signed import patient_as_signed
from needlelog.domain.course import PainVisit
from needlelog.domain.model import Amendment, Clinic, Clinician, Consent, Patient, TreatmentSession, VisitNote
from needlelog.domain.outcomes import OutcomeVisit
from needlelog.domain.vocab import SessionStatus


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
    earlier batch, one each for the signed visits' pain and outcome scores of the patients not met before;
    the clinic is read once. Patients, clinicians and courses are kept between batches.
    """

    def __init__(self, db: Session) -> None:
        self._db = db
        clinic = get_clinic(db)
        self._clinic = clinic if clinic is not None else Clinic(name="")
        self._patients: dict[int, Patient] = {}
        self._clinicians: dict[int, Clinician] = {}
        self._consents: dict[int, tuple[Consent, ...]] = {}  # each patient's consents, every one given
        self._courses: dict[int, tuple[list[CourseKey], list[PainVisit]]] = {}  # each patient's signed visits
        self._outcomes: dict[int, tuple[list[CourseKey], list[OutcomeVisit]]] = {}  # and their outcome scores

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
                self._consents[patient_row.id] = tuple(
                    Consent(c.given_on, c.method, c.obtained_by, c.revoked_on) for c in patient_row.consents
                )
        people = {s.clinician_id for s in sessions} | {s.signed_by_id for s in sessions if s.signed_by_id is not None}
        wanted_clinicians = people - self._clinicians.keys()
        if wanted_clinicians:
            for clinician_row in db.scalars(select(ClinicianRow).where(ClinicianRow.id.in_(wanted_clinicians))):
                self._clinicians[clinician_row.id] = clinician_from_row(clinician_row)
        wanted_courses = {s.patient_id for s in sessions} - self._courses.keys()
        for patient_id, course in signed_pain(db, wanted_courses).items():
            self._courses[patient_id] = ([key for key, _ in course], [visit for _, visit in course])
        for patient_id, scores in signed_outcomes(db, wanted_courses).items():
            self._outcomes[patient_id] = ([key for key, _ in scores], [visit for _, visit in scores])
        amended = amendments_of(db, [s.id for s in sessions if s.id is not None and s.is_signed])
        later = late_reports_of(db, [s.id for s in sessions if s.id is not None])
        db.expunge_all()  # the rows are translated; do not keep a thousand of them in the identity map
        return [
            replace(self._note(s, amended.get(s.id or 0, ())), later_reports=later.get(s.id or 0, ())) for s in sessions
        ]

    def _note(self, s: TreatmentSession, amendments: tuple[Amendment, ...]) -> VisitNote:
        """A signed note shows the patient and the signer as they were at the signature (schema 0009)."""
        patient = patient_as_signed(self._patients[s.patient_id], s, self._consents.get(s.patient_id, ()))
        signer = self._clinicians[s.signed_by_id] if s.signed_by_id is not None else None
        if s.signed_as is not None and signer is not None:
            signer = s.signed_as.signer(signer)
        clinician = self._clinicians[s.clinician_id]
        if signer is not None and s.signed_as is not None and s.clinician_id == s.signed_by_id:
            clinician = signer  # one person: the name printed as the clinician is the one signed
        return VisitNote(
            self._clinic, patient, clinician, s, signer, amendments, self._course(s), outcome_course=self._scores(s)
        )

    def _scores(self, s: TreatmentSession) -> tuple[OutcomeVisit, ...]:
        """The patient's outcome scores up to and including this visit (the first of each is its baseline)."""
        keys, scores = self._outcomes.get(s.patient_id, ([], []))
        return tuple(scores[: bisect_right(keys, (s.service_start, s.id or 0))])

    def _course(self, s: TreatmentSession) -> tuple[PainVisit, ...]:
        """The patient's signed visits up to and including this one (a draft: those before it)."""
        keys, visits = self._courses.get(s.patient_id, ([], []))
        return tuple(visits[: bisect_right(keys, (s.service_start, s.id or 0))])
