"""The manager's registers: needle lots and recalls, adverse events with follow-up, the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from needlelog.db import adverse_repo, records
from needlelog.db.clinic_repo import get_clinic
from needlelog.domain.access import Action, AuditAction
from needlelog.domain.errors import NotFoundError, PermissionDenied, ValidationError
from needlelog.domain.lots import NeedleLot, lot_problems, usable_lots
from needlelog.domain.problems import FieldProblem
from needlelog.domain.registers import AuditLine, CaseStatus, RecallHit, RegisterEntry, Severity
from needlelog.domain.rules import local_date
from needlelog.domain.text import is_blank, text_problems
from needlelog.domain.vocab import AdverseEventKind
from needlelog.services.base import UseCases
from needlelog.services.export_files import write_atomically


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """From the start of ``first`` to the end of ``last``, clinic time, as instants (each end with its own
    offset from UTC, so a range across a daylight-saving change is right)."""
    if first > last:
        raise ValidationError.single("date_from", "The first day comes after the last day.")
    since = datetime.combine(first, time.min).astimezone().astimezone(UTC)
    until = datetime.combine(last + timedelta(days=1), time.min).astimezone().astimezone(UTC)
    return since, until


class RegisterService(UseCases):
    # --- needle lots ---------------------------------------------------------------------
    def lots(self) -> list[NeedleLot]:
        """The clinic's needle-lot inventory (no patient data: any signed-in user may read it)."""
        with self._transaction() as db, db.begin():
            return records.lots(db)

    def usable_lots(self, on: date | None = None) -> list[NeedleLot]:
        """The lots that may be chosen on ``on`` (today): an expired lot cannot be."""
        day = on or local_date(self._clock())
        return usable_lots(self.lots(), day)

    def add_lot(self, lot: NeedleLot) -> NeedleLot:
        self._require(Action.MANAGE_LOTS)
        problems = lot_problems(lot)
        if problems:
            raise ValidationError(problems)
        with self._transaction() as db, db.begin():
            if records.lot_named(db, lot.lot) is not None:
                raise ValidationError.single("lot", f"Lot {lot.lot.strip()} is already in the inventory.")
            added = records.add_lot(
                db, NeedleLot(lot.brand.strip(), lot.size.strip(), lot.lot.strip(), lot.expiry), self._clock()
            )
            self._audit(db, AuditAction.LOT_CHANGED, detail=f"lot {added.lot} added, expires {added.expiry}")
            return added

    def recall(self, lot: str) -> list[RecallHit]:
        """Every visit, and so every patient, whose needles came from ``lot`` (audited: it lists patients)."""
        self._require(Action.RECALL)
        if is_blank(lot):
            raise ValidationError.single("lot", "Give the lot number to search for.")
        if problems := text_problems("lot", "The lot number", lot, "lot.lot"):
            raise ValidationError(problems)
        with self._transaction() as db, db.begin():
            hits = records.recall(db, lot)
            self._audit(db, AuditAction.RECALL_SEARCHED, detail=f"lot {lot.strip()}, {len(hits)} site(s)")
            return hits

    def export_recall(self, lot: str, path: Path) -> int:
        """The visits of a recalled lot as CSV, with each patient's phone to call them; audited first."""
        from needlelog.reports import register_files  # lazily: `needlelog check` never loads reportlab

        hits = self.recall(lot)
        data = register_files.recall_csv(lot.strip(), hits)
        with self._transaction() as db, db.begin():
            self._audit(db, AuditAction.REGISTER_EXPORTED, detail=f"recall of lot {lot.strip()} as CSV: {path.name}")
        write_atomically(path, data)
        return len(hits)

    # --- adverse events ------------------------------------------------------------------
    def adverse_events(self, first: date, last: date) -> list[RegisterEntry]:
        self._require(Action.VIEW_REGISTER)
        since, until = day_range(first, last)
        with self._transaction() as db, db.begin():
            entries = adverse_repo.adverse_register(db, since, until)
            detail = f"adverse-event register {first} to {last}: {len(entries)} visit(s)"
            self._audit(db, AuditAction.REGISTER_VIEWED, detail=detail)
            return entries

    def export_adverse_events(self, first: date, last: date, csv: Path | None, pdf: Path | None = None) -> int:
        """The register of ``first``..``last`` as CSV and / or PDF (patients by chart number); audited first."""
        if csv is None and pdf is None:
            raise ValidationError.single("out", "Choose where to save the register (a CSV file, a PDF or both).")
        from needlelog.reports import register_files  # lazily: `needlelog check` never loads reportlab

        entries = self.adverse_events(first, last)
        made = self._clock()
        with self._transaction() as db, db.begin():
            clinic = get_clinic(db)
        files = [(path, register_files.adverse_csv(entries, first, last, made)) for path in (csv,) if path is not None]
        if pdf is not None:
            files.append((pdf, register_files.adverse_pdf(entries, first, last, made, clinic)))
        with self._transaction() as db, db.begin():
            names = ", ".join(path.name for path, _ in files)
            self._audit(db, AuditAction.REGISTER_EXPORTED, detail=f"adverse-event register {first} to {last}: {names}")
        for path, data in files:
            write_atomically(path, data)
        return len(entries)

    def report_later(
        self, session_id: int, kind: AdverseEventKind, description: str, noticed_on: date | None = None
    ) -> None:
        """An adverse event that came to light after the visit (a delayed pneumothorax), recorded against it.
        The note, signed or not, is not touched: its fingerprint stays; its PDF lists the event as reported later."""
        if not (self.access.may(Action.VIEW_REGISTER) or self.access.may(Action.CHART)):
            self._require(Action.VIEW_REGISTER)  # says who may not, in words
        user = self._author("An event reported later")
        problems = text_problems("description", "The description", description, "follow_up.text", multiline=True)
        if is_blank(description):
            problems.append(FieldProblem("description", "Describe the event: what happened, when, what was done."))
        today = local_date(self._clock())
        if noticed_on is not None and noticed_on > today:
            problems.append(FieldProblem("noticed_on", "The day the event was noticed cannot be after today."))
        if problems:
            raise ValidationError(problems)
        with self._transaction() as db, db.begin():
            session = records.session_row(db, session_id)
            if session is None:
                raise NotFoundError(f"No session with id {session_id}.")
            if noticed_on is not None and noticed_on < local_date(session.service_start):
                raise ValidationError.single("noticed_on", "The day the event was noticed is before the visit.")
            now = self._clock()
            adverse_repo.add_late_report(db, session_id, kind, description.strip(), noticed_on, now, user)
            self._audit(
                db,
                AuditAction.ADVERSE_REPORTED,
                patient_id=session.patient_id,
                session_id=session_id,
                detail=f"reported later: {kind.label}" + (f", noticed {noticed_on}" if noticed_on else ""),
            )

    def visit_of(self, chart_number: str, visit_day: date) -> int:
        """The one visit of the patient ``chart_number`` on ``visit_day`` (clinic time), to report an event against."""
        if not (self.access.may(Action.VIEW_REGISTER) or self.access.may(Action.CHART)):
            self._require(Action.VIEW_REGISTER)
        if is_blank(chart_number):
            raise ValidationError.single("chart_number", "Give the patient's chart number.")
        if problems := text_problems("chart_number", "The chart number", chart_number, "patient.chart_number"):
            raise ValidationError(problems)
        since, until = day_range(visit_day, visit_day)
        with self._transaction() as db, db.begin():
            found = adverse_repo.visits_on(db, chart_number, since, until)
        chart = chart_number.strip().upper()
        if not found:
            raise ValidationError.single("visit_day", f"Chart {chart} has no visit on {visit_day.isoformat()}.")
        if len(found) > 1:
            raise ValidationError.single(
                "visit_day",
                f"Chart {chart} has {len(found)} visits on {visit_day.isoformat()}: choose the visit in the register "
                "list, or ask its clinician to record it.",
            )
        return found[0]

    def review(self, session_id: int, severity: Severity | None, status: CaseStatus) -> None:
        """Grade a case's severity and open or close it (closing records who and when); audited."""
        self._require(Action.VIEW_REGISTER)
        user = self._author("Closing a case")
        if status is CaseStatus.CLOSED and severity is None:
            raise ValidationError.single("severity", "Grade the severity (minor or major) before closing the case.")
        with self._transaction() as db, db.begin():
            session = records.session_row(db, session_id)
            if session is None or not adverse_repo.has_adverse_event(db, session_id):
                raise NotFoundError(f"Session {session_id} has no adverse event in the register.")
            adverse_repo.set_review(db, session_id, severity, status, self._clock(), user)
            graded = severity.label.lower() if severity is not None else "not graded"
            self._audit(
                db,
                AuditAction.ADVERSE_REVIEWED,
                patient_id=session.patient_id,
                session_id=session_id,
                detail=f"severity {graded}, {status.value}",
            )

    def _author(self, what: str) -> int:
        user = self.access.user
        if user is None or user.id is None:
            raise PermissionDenied(f"{what} needs a signed-in author.")
        return user.id

    def add_follow_up(self, session_id: int, text: str) -> None:
        """A follow-up note on a visit's adverse event, by the signed-in manager."""
        self._require(Action.VIEW_REGISTER)
        user = self.access.user
        if user is None or user.id is None:
            raise PermissionDenied("A follow-up note needs a signed-in author.")
        if is_blank(text):
            raise ValidationError.single("follow_up", "Write the follow-up note.")
        problems = text_problems("follow_up", "The follow-up note", text, "follow_up.text", multiline=True)
        if problems:
            raise ValidationError(problems)
        with self._transaction() as db, db.begin():
            session = records.session_row(db, session_id)
            if session is None:
                raise NotFoundError(f"No session with id {session_id}.")
            records.add_follow_up(db, session_id, user.id, self._clock(), text.strip())
            self._audit(
                db, AuditAction.FOLLOW_UP, patient_id=session.patient_id, session_id=session_id, detail="follow-up note"
            )

    # --- the audit trail -----------------------------------------------------------------
    def audit(
        self,
        first: date,
        last: date,
        user: str | None = None,
        chart_number: str | None = None,
        action: AuditAction | None = None,
    ) -> list[AuditLine]:
        """The audit trail, newest first (at most 2,000 rows); reading it is itself audited."""
        return self._audit_lines(first, last, user, chart_number, action, limit=2000, export=None)

    def export_audit(
        self,
        path: Path,
        first: date,
        last: date,
        user: str | None = None,
        chart_number: str | None = None,
        action: AuditAction | None = None,
    ) -> int:
        """Every audit row that matches, as CSV (oldest last, as on screen); audited first."""
        from needlelog.reports import register_files  # lazily: `needlelog check` never loads reportlab

        lines = self._audit_lines(first, last, user, chart_number, action, limit=None, export=path)
        write_atomically(path, register_files.audit_csv(lines))
        return len(lines)

    def _audit_lines(
        self,
        first: date,
        last: date,
        user: str | None,
        chart_number: str | None,
        action: AuditAction | None,
        *,
        limit: int | None,
        export: Path | None,
    ) -> list[AuditLine]:
        self._require(Action.VIEW_AUDIT)
        since, until = day_range(first, last)
        problems = text_problems("user", "The user name", user or "", "account.username")
        problems += text_problems("chart_number", "The chart number", chart_number or "", "patient.chart_number")
        if problems:
            raise ValidationError(problems)
        filters = [f"{first} to {last}"] + [
            f"{what} {value}" for what, value in (("user", user), ("chart", chart_number)) if value
        ]
        filters += [f"action {action.value}"] if action is not None else []
        with self._transaction() as db, db.begin():
            lines = records.audit_lines(db, since, until, user or None, chart_number or None, limit, action)
            if export is None:
                self._audit(db, AuditAction.AUDIT_VIEWED, detail=", ".join(filters))
            else:
                detail = f"audit trail ({', '.join(filters)}) as CSV: {export.name}"
                self._audit(db, AuditAction.REGISTER_EXPORTED, detail=detail)
            return lines
