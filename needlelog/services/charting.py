"""Use cases of the chart: patients and their dry-needling sessions.

Each public method is one use case and one transaction. Bad input raises
:class:`ValidationError` naming every wrong field, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from needlelog.db import records
from needlelog.db import repositories as repo
from needlelog.domain.access import Action, AuditAction, allowed
from needlelog.domain.errors import ConflictError, DuplicateRecord, NotFoundError, PermissionDenied, ValidationError
from needlelog.domain.lots import session_lot_problems
from needlelog.domain.model import (
    Amendment,
    Consent,
    Patient,
    PatientSummary,
    SessionSummary,
    SignedAs,
    TreatmentSession,
)
from needlelog.domain.rules import (
    MIN_NEEDLING_AGE,
    FieldProblem,
    added_needling_problems,
    adds_needling,
    age_on,
    amendment_problems,
    consent_problem,
    consent_valid_months,
    discard_problems,
    fingerprint,
    local_date,
    patient_problems,
    sign_problems,
    value_problems,
)
from needlelog.domain.search import parse_patient_query
from needlelog.domain.timers import RunningTimer, site_label, stop_site_timer
from needlelog.domain.vocab import SessionStatus
from needlelog.services.base import UseCases


@dataclass(frozen=True, slots=True)
class OpenedChart:
    """A patient's chart as the window opens it (:meth:`PatientService.open_chart`)."""

    patient: Patient
    sessions: list[SessionSummary]  # the newest first, one page
    session_count: int


class PatientService(UseCases):
    def create(self, patient: Patient) -> Patient:
        self._require(Action.EDIT_PATIENT)
        now = self._clock()
        self._validate(patient, now)
        try:
            with self._transaction() as db, db.begin():
                if repo.chart_number_taken(db, patient.chart_number):
                    raise self._chart_taken(patient)
                added = repo.add_patient(db, patient, now)
                self._audit(db, AuditAction.PATIENT_SAVED, patient_id=added.id, detail="registered")
                return added
        except DuplicateRecord:  # the database refused a second patient with the number, saved meanwhile
            raise self._chart_taken(patient) from None

    def edit(self, patient: Patient) -> Patient:
        self._require(Action.EDIT_PATIENT)
        now = self._clock()
        self._validate(patient, now)
        try:
            with self._transaction() as db, db.begin():
                if repo.chart_number_taken(db, patient.chart_number, except_id=patient.id):
                    raise self._chart_taken(patient)
                edited = repo.update_patient(db, patient, now)
                self._audit(db, AuditAction.PATIENT_SAVED, patient_id=edited.id, detail="edited")
                return edited
        except DuplicateRecord:  # the database refused a second patient with the number, saved meanwhile
            raise self._chart_taken(patient) from None

    def record_consent(self, patient_id: int, consent: Consent) -> Patient:
        """Consent to dry needling recorded now (the session editor's one step): appended to the patient's
        consent history and audited as any change of the patient's record is."""
        self._require(Action.EDIT_PATIENT)
        now = self._clock()
        with self._transaction() as db, db.begin():
            patient = replace(repo.get_patient(db, patient_id), consent=consent)
            self._validate(patient, now)
            recorded = repo.update_patient(db, patient, now)
            detail = f"consent recorded ({consent.method.value}, {consent.given_on.isoformat()})"
            self._audit(db, AuditAction.PATIENT_SAVED, patient_id=patient_id, detail=detail)
            return recorded

    def get(self, patient_id: int) -> Patient:
        with self._reading(Action.VIEW_PATIENT) as db:
            return repo.get_patient(db, patient_id)

    def view(self, patient_id: int) -> Patient:
        """A patient's chart opened on screen: the same as :meth:`get`, and audited as viewed."""
        patient = self.get(patient_id)
        self._viewed(patient_id)
        return patient

    def open_chart(self, patient_id: int, page: int, *, viewed: bool = True) -> OpenedChart:
        """What the window shows of a patient: their record, the first ``page`` of their sessions and how many
        there are, read in one transaction; audited as viewed unless ``viewed`` is false (the window's own
        re-read after a save is not a new viewing)."""
        with self._reading(Action.VIEW_PATIENT) as db:
            patient = repo.get_patient(db, patient_id)
            sessions = repo.list_patient_sessions(db, patient_id, page)
            total = len(sessions) if len(sessions) < page else repo.count_patient_sessions(db, patient_id)
        if viewed:
            self._viewed(patient_id)
        return OpenedChart(patient, sessions, total)

    def _viewed(self, patient_id: int) -> None:
        """The "patient viewed" audit row, after the reads: only this write takes the write lock, and the chart
        is shown only once it is written (an audit that fails raises, and nothing is shown)."""
        with self._transaction() as db, db.begin():
            self._audit(db, AuditAction.PATIENT_VIEWED, patient_id=patient_id)

    def search(self, text: str, limit: int = 50, offset: int = 0) -> list[PatientSummary]:
        """Patients whose names, chart number or birth date (YYYY-MM-DD) match what is typed."""
        with self._reading(Action.VIEW_PATIENT) as db:
            return repo.search_patients(db, parse_patient_query(text), limit, offset)

    @staticmethod
    def _validate(patient: Patient, now: datetime) -> None:
        problems = patient_problems(patient, local_date(now))
        if problems:
            raise ValidationError(problems)

    @staticmethod
    def _chart_taken(patient: Patient) -> ValidationError:
        return ValidationError.single(
            "chart_number",
            f"Chart number {patient.chart_number.strip()} belongs to another patient.",
        )


class SessionService(UseCases):
    def new_draft(self, patient_id: int, clinician_id: int, service_start: datetime | None = None) -> TreatmentSession:
        self._require(Action.CHART)
        self._require_own(clinician_id)
        now = self._clock()
        with self._transaction() as db, db.begin():
            patient = repo.get_patient(db, patient_id)
            repo.get_clinician(db, clinician_id)
            draft = TreatmentSession(
                patient_id=patient_id,
                clinician_id=clinician_id,
                service_start=service_start or now.replace(second=0, microsecond=0),
            )
            self._refuse_young(patient, draft)
            self._refuse_bad_values(draft, now)
            added = repo.add_session(db, draft, now)
            self._audit(db, AuditAction.SESSION_CREATED, patient_id=patient_id, session_id=added.id)
            return added

    def copy_last(self, patient_id: int, clinician_id: int) -> TreatmentSession:
        """A new draft, stored now, that starts from the patient's previous session's condition and sites."""
        self._require(Action.CHART)
        self._require_own(clinician_id)
        now = self._clock()
        with self._transaction() as db, db.begin():
            draft = self._copy_of_last(db, patient_id, clinician_id, now)
            return self._add_draft(db, draft, now)

    def copy_of_last(self, patient_id: int, clinician_id: int) -> TreatmentSession:
        """The same copy as :meth:`copy_last`, not stored (no id): :meth:`save_draft` writes it at its first save,
        so a copy the clinician never touches is never written. Refused as :meth:`copy_last` refuses."""
        self._require(Action.CHART)
        self._require_own(clinician_id)
        now = self._clock()
        with self._transaction() as db, db.begin():
            return self._copy_of_last(db, patient_id, clinician_id, now)

    def _copy_of_last(self, db: Session, patient_id: int, clinician_id: int, now: datetime) -> TreatmentSession:
        patient = repo.get_patient(db, patient_id)
        repo.get_clinician(db, clinician_id)
        last_id = repo.last_session_id(db, patient_id, with_sites=True)
        if last_id is None:
            raise NotFoundError(f"{patient.full_name} has no earlier session to copy.")
        last = repo.get_session(db, last_id)
        draft = TreatmentSession(
            patient_id=patient_id,
            clinician_id=clinician_id,
            service_start=now.replace(second=0, microsecond=0),
            condition=last.condition,
            technique=last.technique,
            electrical_stimulation=last.electrical_stimulation,
            # The sites and their markers carry over; what happens today (twitch, timer) does not.
            sites=tuple(
                replace(site, twitch=None, timer_started=None, timer_stopped=None, needles_out=0, dwell_reason="")
                for site in last.sites
            ),
            aftercare=last.aftercare,
            copied_from=last_id,
        )
        self._refuse_young(patient, draft)
        day, months = local_date(draft.service_start), consent_valid_months(repo.get_clinic(db))
        why = consent_problem(patient, day, months)
        if why is not None:  # no needling site before consent (SPEC §2): the copied sites would be some
            raise ValidationError.single("consent", f"{why} Record consent before copying the last session.")
        return draft

    def _add_draft(self, db: Session, draft: TreatmentSession, now: datetime) -> TreatmentSession:
        """Store a draft that has no id yet (a copy of the last session), audited as created from its source."""
        added = repo.add_session(db, draft, now)
        detail = None if draft.copied_from is None else f"copied from session {draft.copied_from}"
        self._audit(db, AuditAction.SESSION_CREATED, patient_id=added.patient_id, session_id=added.id, detail=detail)
        return added

    def get(self, session_id: int) -> TreatmentSession:
        with self._reading(Action.VIEW_PATIENT) as db:
            return repo.get_session(db, session_id)

    def open(self, session_id: int) -> TreatmentSession:
        """A visit note opened on screen: the same as :meth:`get`, and audited as viewed (once per opening; the
        editor's own re-reads, after a conflict, go through :meth:`get`)."""
        session = self.get(session_id)
        with self._transaction() as db, db.begin():  # only the audit row takes the write lock
            self._audit(db, AuditAction.NOTE_VIEWED, patient_id=session.patient_id, session_id=session_id)
        return session

    def save_draft(self, session: TreatmentSession) -> TreatmentSession:
        """Save what is on screen; the caller's version must still be the stored one (and its clinician the one
        signed in: the stored clinician is checked against the session's below)."""
        self.access.require(Action.CHART)  # the stored account is checked in the save's transaction
        self._require_own(session.clinician_id)
        now = self._clock()
        if session.is_signed:
            raise ConflictError("A signed session cannot be changed; add an amendment instead.")
        self._refuse_bad_values(session, now)
        if session.id is None:
            return self._save_first(session, now)
        with self._writing(Action.CHART) as db:  # the account re-read in the save's own transaction
            stored = repo.draft_state(db, session.id)
            if stored.status is SessionStatus.SIGNED:
                raise ConflictError("This session was signed in the meantime; add an amendment instead.")
            if stored.status is SessionStatus.DISCARDED:
                raise ConflictError("This draft was discarded; it is kept in the file and can no longer change.")
            if (stored.patient_id, stored.clinician_id) != (session.patient_id, session.clinician_id):
                raise ConflictError("A session stays with its patient and its clinician; start a new one instead.")
            if session.sites or session.electrical_stimulation:
                self._refuse_added_needling(db, session, stored.site_count, stored.electrical_stimulation)
            saved = repo.save_draft(db, session, stored, now)
            self._audit(db, AuditAction.SESSION_SAVED, patient_id=saved.patient_id, session_id=saved.id)
            return saved

    def _save_first(self, session: TreatmentSession, now: datetime) -> TreatmentSession:
        """The first save of a copy made by :meth:`copy_of_last`: it is written now, with its audit row.

        What it copied counts as already there, as if :meth:`copy_last` had stored it: only what the clinician
        added since is held to the needling rules (consent, the screening's limbs and device).
        """
        if session.copied_from is None:
            raise NotFoundError("This session has not been saved yet.")
        with self._writing(Action.CHART) as db:
            patient = repo.get_patient(db, session.patient_id)
            repo.get_clinician(db, session.clinician_id)
            _status, source_patient, _clinician = repo.session_owners(db, session.copied_from)
            if source_patient != session.patient_id:
                raise ConflictError("A session is copied from the same patient's sessions only.")
            self._refuse_young(patient, session)
            copied_sites, copied_stimulation = records.stored_needling(db, session.copied_from)
            self._refuse_added_needling(db, session, copied_sites, copied_stimulation)
            return self._add_draft(db, session, now)

    def running_timers(self) -> list[RunningTimer]:
        """The dwell timers running now, on every draft (the main window's dock, the quit question), for
        whoever is signed in: needles in a patient are everyone's to know of, so a manager at a clinician's PC
        sees them and is asked before quitting. Only who may see charts reads the patient's name.

        They keep running while the program is locked, so the alarm still sounds, but without a name.
        """
        user = self.access.user
        with self._reads() as db, db.begin():
            timers = repo.running_timers(db)
        if self.access.locked or (user is not None and not allowed(user.roles, Action.VIEW_PATIENT)):
            timers = [
                replace(t, patient_name="", chart_number="", site_label=f"Site {t.site_index + 1}") for t in timers
            ]
        return timers

    def stop_timer(self, session_id: int, site_index: int, started: datetime | None = None) -> TreatmentSession:
        """Stop one site's timer now: its needles are counted out and its dwell is the minutes it ran.

        A dwell outside 5-15 minutes is not typed in (the timer's two instants are the record, and signing
        asks for the reason); an accidental stop is undone by :meth:`resume_timer`.
        """
        self._require(Action.CHART)
        now = self._clock()
        with self._transaction() as db, db.begin():
            session = repo.get_session(db, session_id)
            if session.is_signed:
                raise ConflictError("This session is signed; its timers stopped with it.")
            if session.is_discarded:
                raise ConflictError("This draft was discarded; it has no timer to stop.")
            if started is not None:
                # the timer as the dock knew it: its site may have moved since
                moved = [i for i, s in enumerate(session.sites) if s.timer_started == started and s.timer_running]
                if not moved:
                    return session  # stopped (or removed) meanwhile: nothing to do
                site_index = moved[0]
            if not 0 <= site_index < len(session.sites):
                raise NotFoundError(f"Session {session_id} has no site {site_index + 1}.")
            site = session.sites[site_index]
            if not site.timer_running:
                return session
            sites = (*session.sites[:site_index], stop_site_timer(site, now), *session.sites[site_index + 1 :])
            saved = repo.save_session(db, replace(session, sites=sites), now)
            detail = f"site {site_index + 1} timer stopped, its needles counted out"
            self._audit(db, AuditAction.SESSION_SAVED, patient_id=saved.patient_id, session_id=saved.id, detail=detail)
            return saved

    def resume_timer(self, session: TreatmentSession, site_index: int) -> TreatmentSession:
        """Undo an accidental Stop: save ``session`` (the editor's screen, its site ``site_index`` resumed by
        :func:`needlelog.domain.timers.resume_site_timer`) and audit it as a timer resumed.

        The stored site must hold that timer, stopped; the resumed one runs on from the same start.
        """
        self._require(Action.CHART)
        self._require_own(session.clinician_id)
        now = self._clock()
        if session.is_signed:
            raise ConflictError("A signed session cannot be changed; add an amendment instead.")
        self._refuse_bad_values(session, now)
        if not 0 <= site_index < len(session.sites) or not session.sites[site_index].timer_running:
            raise NotFoundError(f"Site {site_index + 1} has no timer to resume.")
        with self._transaction() as db, db.begin():
            stored = repo.get_session(db, self._id(session))
            if stored.is_signed:
                raise ConflictError("This session was signed in the meantime; add an amendment instead.")
            if stored.is_discarded:
                raise ConflictError("This draft was discarded; it can no longer change.")
            if (stored.patient_id, stored.clinician_id) != (session.patient_id, session.clinician_id):
                raise ConflictError("A session stays with its patient and its clinician; start a new one instead.")
            started = session.sites[site_index].timer_started
            if not any(s.timer_started == started and s.timer_stopped is not None for s in stored.sites):
                raise ConflictError(f"Site {site_index + 1}: its timer is not stopped in the stored draft.")
            saved = repo.save_session(db, session, now)
            detail = f"site {site_index + 1} timer resumed from its start (an accidental stop undone)"
            self._audit(db, AuditAction.TIMER_RESUMED, patient_id=saved.patient_id, session_id=saved.id, detail=detail)
            return saved

    def sign_problems(self, session: TreatmentSession, signer_id: int) -> list[FieldProblem]:
        """Everything that stops ``session`` (as it is on screen) being signed by this clinician now."""
        with self._reading(Action.CHART) as db:
            return self._sign_problems(db, session, signer_id, self._clock())

    def sign(self, session: TreatmentSession, signer_id: int) -> TreatmentSession:
        """Save and sign in one step, or raise :class:`ValidationError` listing every unmet condition."""
        self._require(Action.SIGN)
        user = self.access.user
        if user is not None and user.id != signer_id:
            raise PermissionDenied(f"{user.display_name} can sign only as themself.")
        now = self._clock()
        with self._transaction() as db, db.begin():
            stored = repo.get_session(db, self._id(session))
            self._require_own(stored.clinician_id)
            if stored.patient_id != session.patient_id or stored.clinician_id != session.clinician_id:
                raise ConflictError("A session stays with its patient and its clinician; start a new one instead.")
            problems = self._sign_problems(db, session, signer_id, now)
            if problems:
                raise ValidationError(problems)
            if stored.is_signed:
                raise ConflictError("This session is already signed.")
            if stored.is_discarded:
                raise ConflictError("This draft was discarded; it cannot be signed.")
            patient = repo.get_patient(db, session.patient_id)
            signer = repo.get_clinician(db, signer_id)
            row = repo.lock_session_for_update(db, self._id(session), session.version)
            # The fingerprint is of the note as stored (the caution flag is the repository's to set).
            stored = repo.save_session_content(db, row, session, now)
            digest = fingerprint(stored, patient, signer, now)
            signed = repo.mark_signed(db, row, stored, now, digest, SignedAs.of(patient, signer), signer_id)
            self._audit(
                db, AuditAction.SESSION_SIGNED, patient_id=signed.patient_id, session_id=signed.id, detail=digest
            )
            return signed

    def amend(self, session_id: int, reason: str, text: str) -> Amendment:
        """Append a correction to a signed note; the note itself stays exactly as signed (SPEC §3).

        Only a signed-in clinician amends, and only their own notes (the note's clinician or signer).
        """
        self._require(Action.AMEND)
        user = self.access.user
        if user is None:
            raise PermissionDenied("An amendment needs a signed-in clinician as its author.")
        problems = amendment_problems(reason, text)
        if problems:
            raise ValidationError(problems)
        now = self._clock()
        with self._transaction() as db, db.begin():
            session = repo.get_session(db, session_id)
            if not session.is_signed:
                raise ConflictError("This note is a draft: change it directly; amendments are for signed notes.")
            if user.id not in (session.clinician_id, session.signed_by_id):
                raise PermissionDenied(f"{user.display_name} may amend only their own notes.")
            records.add_amendment(db, session_id, user.id or 0, now, reason.strip(), text.strip())
            self._audit(db, AuditAction.SESSION_AMENDED, patient_id=session.patient_id, session_id=session_id)
            return Amendment(user.display_name, now, reason.strip(), text.strip())

    def discard(self, session_id: int, reason: str) -> TreatmentSession:
        """Discard one's own unsigned draft, with a reason (SPEC §4): the draft is kept in the file with who
        discarded it, when and why, audited, and left out of every list, count and export of the chart.

        A signed note is never discarded (it is amended); nor is a draft whose needles are still in (a timer
        running). A manager or another clinician cannot discard someone's draft: only its clinician knows it
        was charted in error.
        """
        self._require(Action.DISCARD_DRAFT)
        user = self.access.user
        if user is None:
            raise PermissionDenied("Discarding a draft needs its clinician signed in.")
        problems = discard_problems(reason)
        if problems:
            raise ValidationError(problems)
        now = self._clock()
        with self._transaction() as db, db.begin():
            session = repo.get_session(db, session_id)
            if session.is_signed:
                raise ConflictError("A signed note cannot be discarded; add an amendment instead.")
            if session.is_discarded:
                raise ConflictError("This draft was discarded already.")
            if user.id != session.clinician_id:
                raise PermissionDenied(f"{user.display_name} may discard only their own drafts.")
            running = [
                site_label(i, site.region, site.side, site.muscle)
                for i, site in enumerate(session.sites)
                if site.timer_running
            ]
            if running:
                raise ConflictError(
                    f"{'; '.join(running)}: the timer is running, so needles are in. "
                    "Stop it (needles out) before discarding the draft."
                )
            row = repo.lock_session_for_update(db, session_id, session.version)
            repo.mark_discarded(db, row, user.id or 0, now, reason.strip())
            self._audit(
                db,
                AuditAction.SESSION_DISCARDED,
                patient_id=session.patient_id,
                session_id=session_id,
                detail=f"discarded: {reason.strip()}",
            )
            return repo.get_session(db, session_id)

    def amendments(self, session_id: int) -> tuple[Amendment, ...]:
        with self._reading(Action.VIEW_PATIENT) as db:
            return records.amendments_of(db, [session_id]).get(session_id, ())

    def history(self, patient_id: int, limit: int = 200, offset: int = 0) -> list[SessionSummary]:
        with self._reading(Action.VIEW_PATIENT) as db:
            return repo.list_patient_sessions(db, patient_id, limit, offset)

    def count_for_patient(self, patient_id: int) -> int:
        with self._reading(Action.VIEW_PATIENT) as db:
            return repo.count_patient_sessions(db, patient_id)

    def _sign_problems(
        self, db: Session, session: TreatmentSession, signer_id: int, now: datetime
    ) -> list[FieldProblem]:
        patient = repo.get_patient(db, session.patient_id)
        signer = repo.get_clinician(db, signer_id)
        problems = sign_problems(session, patient, signer, now, consent_valid_months(repo.get_clinic(db)))
        # A lot that had expired on the service day, or (where the clinic keeps an inventory) is not in it,
        # cannot have been used.
        named = {site.needle_lot for site in session.sites if site.needle_lot.strip()}
        inventory = [lot for lot in (records.lot_named(db, name) for name in named) if lot is not None]
        problems.extend(session_lot_problems(session, inventory, inventory_kept=records.keeps_lots(db)))
        return problems

    @staticmethod
    def _refuse_bad_values(session: TreatmentSession, now: datetime) -> None:
        problems = value_problems(session, now)
        if problems:
            raise ValidationError(problems)

    @staticmethod
    def _refuse_added_needling(
        db: Session, session: TreatmentSession, stored_sites: int, stored_stimulation: bool
    ) -> None:
        if not adds_needling(session, stored_sites, stored_stimulation):
            return  # an autosave of what is already there: one read, not the patient's record
        patient = repo.get_patient(db, session.patient_id)
        months = consent_valid_months(repo.get_clinic(db))
        problems = added_needling_problems(session, stored_sites, stored_stimulation, patient, months)
        if problems:
            raise ValidationError(problems)

    @staticmethod
    def _refuse_young(patient: Patient, session: TreatmentSession) -> None:
        if age_on(patient.date_of_birth, local_date(session.service_start)) < MIN_NEEDLING_AGE:
            raise ValidationError.single(
                "patient",
                f"{patient.full_name} is under {MIN_NEEDLING_AGE}: dry needling is not permitted.",
            )

    @staticmethod
    def _id(session: TreatmentSession) -> int:
        if session.id is None:
            raise NotFoundError("This session has not been saved yet.")
        return session.id
