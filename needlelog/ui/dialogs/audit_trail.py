"""The audit trail: who did what and when, by dates, user name and patient chart number, newest first.

Shown with ``open()`` (window-modal, never a nested event loop); asks the services for its rows
and shows every refusal (a field's problem, a missing right) in words beside the field.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLineEdit, QVBoxLayout, QWidget

from needlelog.domain.errors import NeedlelogError
from needlelog.domain.registers import AuditLine
from needlelog.domain.rules import local_date
from needlelog.services.store import Services
from needlelog.ui.models.registers import AuditModel
from needlelog.ui.widgets.common import day_of, fixed_columns, named
from needlelog.ui.widgets.forms import (
    FieldErrors,
    button,
    close_row,
    counted,
    date_edit,
    make_table,
    message_label,
    row_of,
)

# The audit service returns at most this many rows (newest first); the count line says when it did.
AUDIT_ROWS_SHOWN = 2000
AUDIT_DAYS = 30


class AuditDialog(QDialog):
    """Who did what and when: by dates, user name and patient chart number, newest first."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        named(self, "auditDialog", "Audit trail")
        self.setWindowTitle("Audit trail")
        self.resize(1180, 640)
        today = local_date(services.clock())
        layout = QVBoxLayout(self)
        self.general = message_label("auditError", "Problem", error=True)
        self.errors = FieldErrors("audit", self.general)
        self._build_filters(layout, today)
        self._build_table(layout)
        layout.addWidget(self.general)
        closing, self.close_button = close_row(self, "audit")
        layout.addLayout(closing)
        self.lines: list[AuditLine] = []
        self.reload()

    # --- building ------------------------------------------------------------------------------
    def _build_filters(self, layout: QVBoxLayout, today: date) -> None:
        """Dates (the last 30 days), user name and chart number, and the Show button."""
        self.date_from = date_edit("auditFrom", "From date", today - timedelta(days=AUDIT_DAYS))
        self.date_to = date_edit("auditTo", "To date", today)
        self.user = QLineEdit()
        named(self.user, "auditUser", "User name", "Only this user's actions (their user name, e.g. kpatel)")
        self.user.setPlaceholderText("Any user")
        self.chart = QLineEdit()
        named(self.chart, "auditChart", "Patient chart number", "Only actions about this patient")
        self.chart.setPlaceholderText("Any patient")
        for edit in (self.user, self.chart):
            edit.setClearButtonEnabled(True)
            edit.setMaximumWidth(200)  # Enter in either runs the search: "Show" is the default button
        self.show_button = button("Show", "auditShow", "Show the audit trail", "List the actions that match")
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.reload)
        filters = row_of(
            "From",
            self.errors.beside("date_from", self.date_from, "the dates"),
            "to",
            self.date_to,
            "  User",
            self.errors.beside("user", self.user, "the user name"),
            "  Chart",
            self.errors.beside("chart_number", self.chart, "the chart number"),
            self.show_button,
            1,
        )
        filters.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addLayout(filters)

    def _build_table(self, layout: QVBoxLayout) -> None:
        """The count line and the actions that match, newest first."""
        self.count = message_label("auditCount", "Number of audit entries")
        layout.addWidget(self.count)
        self.model = AuditModel(self)
        self.view = make_table("auditTable", "Audit trail")
        self.view.setModel(self.model)
        fixed_columns(
            self.view,
            stretch=6,
            samples={
                0: "0000-00-00 00:00:00",
                1: "kpatel (command line)",
                2: "clinician manager",
                3: "session amended",
                4: "C000000",
                5: "Session",
            },
        )
        layout.addWidget(self.view, 1)

    # --- rows ----------------------------------------------------------------------------------
    def reload(self) -> None:
        self.errors.clear()
        first, last = day_of(self.date_from.date()), day_of(self.date_to.date())
        if first > last:
            self.errors.refuse("date_from", "The from date is after the to date.")
            return
        user, chart = self.user.text().strip(), self.chart.text().strip()
        try:
            self.lines = self.services.registers.audit(first, last, user or None, chart or None)
        except NeedlelogError as exc:
            self.errors.show(exc)
            self.lines = []
        self.model.set_rows(self.lines)
        which = [f"from {first.isoformat()} to {last.isoformat()}"]
        which += [f"user {user}"] if user else []
        which += [f"chart {chart.upper()}"] if chart else []
        text = f"{counted(len(self.lines), 'entry', 'entries')} ({', '.join(which)}), newest first."
        if len(self.lines) >= AUDIT_ROWS_SHOWN:
            text += f" Only the newest {AUDIT_ROWS_SHOWN:,} are shown: narrow the dates or filters to see older ones."
        self.count.setText(text)
