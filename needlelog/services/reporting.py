"""The clinic's dashboard and its report (issue 15, item 3): counted in SQL, written as PDF and CSV, audited."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from needlelog.db import dashboard_repo
from needlelog.db.clinic_repo import clinician_by_username, get_clinic
from needlelog.domain.access import Action, AuditAction
from needlelog.domain.dashboard import Dashboard
from needlelog.domain.errors import ValidationError
from needlelog.domain.rules import local_date
from needlelog.domain.text import text_problems
from needlelog.services.base import UseCases
from needlelog.services.export_files import write_atomically
from needlelog.services.registers import day_range


@dataclass(frozen=True, slots=True)
class ReportFiles:
    dashboard: Dashboard
    pdf: Path | None
    csv: Path | None


class ReportService(UseCases):
    def dashboard(self, first: date, last: date, clinician: str | None = None) -> Dashboard:
        """The dashboard of ``first``..``last`` (service dates, clinic time), one clinician's (user name) or all."""
        self._require(Action.CLINIC_REPORT)
        found = self._count(first, last, clinician)
        with self._transaction() as db, db.begin():
            self._audit(db, AuditAction.REPORT_VIEWED, detail=f"clinic dashboard: {_describe(found)}")
        return found

    def write_report(
        self, first: date, last: date, pdf: Path | None, csv: Path | None = None, clinician: str | None = None
    ) -> ReportFiles:
        """The dashboard as a PDF report and / or a CSV file, each written whole or not at all; audited first."""
        self._require(Action.CLINIC_REPORT)
        if pdf is None and csv is None:
            raise ValidationError.single("out", "Choose where to save the report (a PDF, a CSV file or both).")
        from needlelog.reports.dashboard_csv import dashboard_csv  # lazily: `check` never loads reportlab
        from needlelog.reports.dashboard_pdf import dashboard_pdf

        found = self._count(first, last, clinician)
        pdf_bytes = dashboard_pdf(found) if pdf is not None else None
        csv_bytes = dashboard_csv(found) if csv is not None else None
        with self._transaction() as db, db.begin():  # the mark first: no file leaves without it
            names = ", ".join(path.name for path in (pdf, csv) if path is not None)
            self._audit(db, AuditAction.REPORT_WRITTEN, detail=f"clinic report {_describe(found)}: {names}")
        if pdf is not None and pdf_bytes is not None:
            write_atomically(pdf, pdf_bytes)
        if csv is not None and csv_bytes is not None:
            write_atomically(csv, csv_bytes)
        return ReportFiles(found, pdf, csv)

    def _count(self, first: date, last: date, clinician: str | None) -> Dashboard:
        since, until = day_range(first, last)
        name = (clinician or "").strip() or None
        if name is not None and (problems := text_problems("clinician", "The user name", name, "account.username")):
            raise ValidationError(problems)
        today = local_date(self._clock())
        with self._transaction() as db, db.begin():
            clinician_id = None
            if name is not None:
                who = clinician_by_username(db, name)
                if who is None:
                    raise ValidationError.single("clinician", f"No clinician has the user name {name!r}.")
                clinician_id = who.id
            clinic = get_clinic(db)
            found = Dashboard(
                first,
                last,
                name,
                tuple(dashboard_repo.clinician_months(db, first, last, since, until, clinician_id)),
                tuple(dashboard_repo.unsigned_drafts(db, today, clinician_id)),
                tuple(dashboard_repo.twitch_mix(db, since, until, clinician_id)),
                made_at=self._clock(),
                clinic_name=clinic.name if clinic is not None else "",
                clinic=clinic,
            )
        if not self.access.may(Action.VIEW_PATIENT):  # an administrator: chart numbers, not names
            found = replace(found, drafts=tuple(replace(d, patient_name="") for d in found.drafts))
        return found


def _describe(found: Dashboard) -> str:
    who = f", clinician {found.clinician}" if found.clinician else ""
    return f"{found.first} to {found.last}{who}"
