"""The audit trail: who did what and when, by dates, user name and patient chart number, newest first.

Shown with ``open()`` (window-modal, never a nested event loop); asks the services for its rows
and shows every refusal (a field's problem, a missing right) in words beside the field.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from needlelog.domain.access import AuditAction
from needlelog.domain.errors import NeedlelogError
from needlelog.domain.registers import AuditLine
from needlelog.services.store import Services
from needlelog.ui.dialogs.register_base import RegisterDialog
from needlelog.ui.models.registers import AuditModel
from needlelog.ui.widgets.common import fixed_columns, named
from needlelog.ui.widgets.forms import (
    button,
    combo,
    counted,
    make_table,
    message_label,
    row_of,
)

# The audit service returns at most this many rows (newest first); the count line says when it did.
AUDIT_ROWS_SHOWN = 2000
AUDIT_DAYS = 30


class AuditDialog(RegisterDialog):
    """Who did what and when: by dates, user name, patient chart number and action, newest first; saved as CSV."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(
            services, parent, prefix="audit", object_name="auditDialog", title="Audit trail", size=(1180, 640)
        )
        layout = QVBoxLayout(self)
        self._build_filters(layout, self.today)
        self._build_table(layout)
        self.finish(layout)
        self.lines: list[AuditLine] = []
        self.reload()

    # --- building ------------------------------------------------------------------------------
    def _build_filters(self, layout: QVBoxLayout, today: date) -> None:
        """Dates (the last 30 days), user name, chart number and action, the Show and Save buttons."""
        self.date_pair(today - timedelta(days=AUDIT_DAYS), today)
        actions = [(action.value.replace("_", " "), action) for action in AuditAction]
        self.action = combo("auditAction", "Action", [("Any action", None), *sorted(actions, key=lambda a: a[0])])
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
        self.save_csv = self.save_button("Save CSV…", "SaveCsv", "Save the matching audit rows as CSV", self.ask_csv)
        filters = row_of(
            "From",
            self.errors.beside("date_from", self.date_from, "the dates"),
            "to",
            self.date_to,
            "  User",
            self.errors.beside("user", self.user, "the user name"),
            "  Chart",
            self.errors.beside("chart_number", self.chart, "the chart number"),
            "  Action",
            self.action,
            self.show_button,
            1,
            self.save_csv,
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
        dates = self.dates()
        if dates is None:
            return
        first, last = dates
        user, chart, action = self.user.text().strip(), self.chart.text().strip(), self._action()
        try:
            self.lines = self.services.registers.audit(first, last, user or None, chart or None, action)
        except NeedlelogError as exc:
            self.errors.show(exc)
            self.lines = []
        self.model.set_rows(self.lines)
        which = [f"from {first.isoformat()} to {last.isoformat()}"]
        which += [f"user {user}"] if user else []
        which += [f"chart {chart.upper()}"] if chart else []
        which += [f"action {action.value.replace('_', ' ')}"] if action is not None else []
        text = f"{counted(len(self.lines), 'entry', 'entries')} ({', '.join(which)}), newest first."
        if len(self.lines) >= AUDIT_ROWS_SHOWN:
            text += f" Only the newest {AUDIT_ROWS_SHOWN:,} are shown: narrow the dates or filters to see older ones."
        self.count.setText(text)

    def _action(self) -> AuditAction | None:
        code = self.action.currentData()  # Qt hands a StrEnum back as its str
        return None if code is None else AuditAction(code)

    def ask_csv(self) -> None:
        dates = self.dates() or (self.today, self.today)
        suggested = f"audit-trail_{dates[0].isoformat()}_{dates[1].isoformat()}.csv"
        self.choose_file("Save the audit trail", suggested, "CSV (*.csv)", self.write_csv)

    def write_csv(self, path: Path) -> None:
        dates = self.dates()
        if dates is None:
            return
        user, chart, action = self.user.text().strip(), self.chart.text().strip(), self._action()

        def write() -> str:
            count = self.services.registers.export_audit(path, *dates, user or None, chart or None, action)
            return f"{counted(count, 'entry', 'entries')} saved to {path}."

        self.save_with(write)
