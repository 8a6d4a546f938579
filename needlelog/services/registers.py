"""The manager's registers: needle lots and recalls, adverse events with follow-up, the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from needlelog.db import records
from needlelog.domain.access import Action, AuditAction
from needlelog.domain.errors import NotFoundError, PermissionDenied, ValidationError
from needlelog.domain.lots import NeedleLot, lot_problems, usable_lots
from needlelog.domain.registers import AuditLine, RecallHit, RegisterEntry
from needlelog.domain.rules import local_date
from needlelog.domain.text import is_blank, text_problems
from needlelog.services.base import UseCases


def _day_range(first: date, last: date) -> tuple[datetime, datetime]:
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
            self._audit(db, AuditAction.PATIENT_VIEWED, detail=f"recall search: lot {lot.strip()}, {len(hits)} site(s)")
            return hits

    # --- adverse events ------------------------------------------------------------------
    def adverse_events(self, first: date, last: date) -> list[RegisterEntry]:
        self._require(Action.VIEW_REGISTER)
        since, until = _day_range(first, last)
        with self._transaction() as db, db.begin():
            entries = records.adverse_register(db, since, until)
            detail = f"adverse-event register {first} to {last}: {len(entries)} visit(s)"
            self._audit(db, AuditAction.PATIENT_VIEWED, detail=detail)  # it lists patients
            return entries

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
        self, first: date, last: date, user: str | None = None, chart_number: str | None = None
    ) -> list[AuditLine]:
        self._require(Action.VIEW_AUDIT)
        since, until = _day_range(first, last)
        problems = text_problems("user", "The user name", user or "", "account.username")
        problems += text_problems("chart_number", "The chart number", chart_number or "", "patient.chart_number")
        if problems:
            raise ValidationError(problems)
        with self._transaction() as db, db.begin():
            return records.audit_lines(db, since, until, user or None, chart_number or None)
