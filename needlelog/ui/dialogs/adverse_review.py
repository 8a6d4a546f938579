"""The adverse-event register's two forms: a case's review (severity, open / closed) and an event reported
later, recorded against its visit (found by chart number and visit date) without touching the signed note.
Each asks the services and says a refusal beside its field; ``changed(session_id)`` tells the register to reload.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLineEdit, QPlainTextEdit, QVBoxLayout

from needlelog.domain.errors import NeedlelogError
from needlelog.domain.registers import CaseStatus, RegisterEntry, Severity
from needlelog.domain.vocab import AdverseEventKind
from needlelog.services.store import Services
from needlelog.ui.widgets.common import day_of, html, local_time, named, qdate
from needlelog.ui.widgets.forms import FieldErrors, button, combo, date_edit, message_label, row_of


class ReviewBox(QGroupBox):
    """The chosen case's severity (Boyce et al. 2020: minor / major) and status; closing records who and when."""

    changed = Signal(int)

    def __init__(self, services: Services, errors: FieldErrors) -> None:
        super().__init__("Review of the chosen case")
        self.services, self.errors = services, errors
        self.entry: RegisterEntry | None = None
        self.severity = combo("caseSeverity", "Severity", [("Not graded", None), *((s.label, s) for s in Severity)])
        self.severity.setToolTip(
            "Minor: short-term, no change in function, resolves without treatment. Major: medium to long-term, "
            "moderate to severe, normally needs further treatment (Boyce et al. 2020)."
        )
        self.status = combo("caseStatus", "Status", [(s.label, s) for s in CaseStatus])
        self.save = button("Save review", "saveReview", "Save the case's severity and status")
        self.save.clicked.connect(self.save_review)
        self.closed = message_label("caseClosed", "Who closed the case and when")
        form = QFormLayout(self)
        form.addRow("Severity", errors.beside("severity", self.severity, "the severity"))
        form.addRow("Status", self.status)
        form.addRow(self.closed)
        form.addRow(row_of(1, self.save))
        self.show_entry(None)

    def show_entry(self, entry: RegisterEntry | None) -> None:
        self.entry = entry
        for widget in (self.severity, self.status, self.save):
            widget.setEnabled(entry is not None)
        if entry is None:
            self.closed.clear()
            return
        self.severity.setCurrentIndex(max(0, self.severity.findData(entry.severity)))
        self.status.setCurrentIndex(max(0, self.status.findData(entry.status)))
        self.closed.setText(
            f"Closed by {entry.closed_by}, {local_time(entry.closed_at)}." if entry.closed_at else "Open."
        )

    def save_review(self) -> None:
        if self.entry is None:
            return
        self.errors.clear()
        try:
            severity = self.severity.currentData()  # Qt hands a StrEnum back as its str
            self.services.registers.review(
                self.entry.session_id,
                None if severity is None else Severity(severity),
                CaseStatus(self.status.currentData()),
            )
        except NeedlelogError as exc:
            self.errors.show(exc)
            return
        self.changed.emit(self.entry.session_id)


class LateReportBox(QGroupBox):
    """An adverse event that came to light after the visit, recorded against it (chart number and visit date)."""

    changed = Signal(int)

    def __init__(self, services: Services, errors: FieldErrors, today: date) -> None:
        super().__init__("Record an event reported later")
        self.services, self.errors, self.today = services, errors, today
        self.chart = QLineEdit()
        named(self.chart, "lateChart", "Patient chart number")
        self.chart.setMaxLength(40)
        self.visit_day = date_edit("lateVisitDay", "Visit date", today)
        self.kind = combo("lateKind", "Adverse event", [(k.label, k) for k in AdverseEventKind])
        self.noticed = date_edit("lateNoticed", "Day the event was noticed", today)
        self.description = QPlainTextEdit()
        named(self.description, "lateDescription", "What happened, when, what was done")
        self.description.setPlaceholderText(
            "e.g. Short of breath the next morning; chest X-ray at the ER: small pneumothorax."
        )
        self.description.setTabChangesFocus(True)
        self.description.setMaximumHeight(70)
        self.record = button("Record", "recordLate", "Record the event against the visit")
        self.record.clicked.connect(self.record_event)
        self.status = message_label("lateStatus", "What was recorded")
        box = QVBoxLayout(self)
        box.addLayout(
            row_of(
                "Chart",
                self.errors.beside("chart_number", self.chart, "the chart number"),
                "Visit",
                self.errors.beside("visit_day", self.visit_day, "the visit date"),
            )
        )
        box.addLayout(row_of("Event", self.kind, "Noticed", self.errors.beside("noticed_on", self.noticed, "the day")))
        box.addLayout(self.errors.beside("description", self.description, "the description"))
        box.addLayout(row_of(self.status, 1, self.record))

    def prefill(self, entry: RegisterEntry | None) -> None:
        """The chosen visit's chart and date, so an event on a visit of the list is one click away."""
        if entry is not None:
            self.chart.setText(entry.chart_number)
            self.visit_day.setDate(qdate(entry.service_start.astimezone().date()))

    def record_event(self) -> None:
        self.errors.clear()
        self.status.clear()
        visit_day = day_of(self.visit_day.date())
        try:
            session_id = self.services.registers.visit_of(self.chart.text(), visit_day)
            self.services.registers.report_later(
                session_id,
                AdverseEventKind(self.kind.currentData()),
                self.description.toPlainText(),
                day_of(self.noticed.date()),
            )
        except NeedlelogError as exc:
            self.errors.show(exc)
            return
        self.description.clear()
        self.status.setText(
            f"Recorded against the visit of {visit_day.isoformat()} (chart {self.chart.text().strip().upper()})."
        )
        self.changed.emit(session_id)


def _paragraph(text: str) -> str:
    return html(text).replace("\n", "<br>")


def late_reports_html(entry: RegisterEntry) -> str:
    """The chosen visit's events reported later, for the register's detail pane."""
    if not entry.late_reports:
        return ""
    parts = [f"<p><b>Reported later ({len(entry.late_reports)})</b></p>"]
    for report in entry.late_reports:
        noticed = f", noticed {report.noticed_on.isoformat()}" if report.noticed_on else ""
        parts.append(
            f"<p><b>{html(report.kind.label)}</b> · {html(local_time(report.reported_at))} by "
            f"{html(report.reported_by)}{noticed}<br>{_paragraph(report.description)}</p>"
        )
    return "".join(parts)
