"""The amendments panel: under a signed note, its amendments (author, time, reason, text) and a new one.

The signed note itself never changes; a correction is appended here.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.access import Action
from needlelog.domain.errors import NeedlelogError, ValidationError
from needlelog.domain.model import TreatmentSession
from needlelog.services.store import Services
from needlelog.ui.widgets.common import html, local_time, named
from needlelog.ui.widgets.fields import problem_label, set_inputs_enabled

NO_AMENDMENT = "No amendment. The note above stays exactly as signed; a correction is appended here."


class AmendmentsPanel(QGroupBox):
    """The "Amendments" box, shown under a signed note only."""

    added = Signal(str)  # what happened, for the save state line

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__("Amendments", parent)
        self.services = services
        self.session: TreatmentSession | None = None
        self.setObjectName("amendmentsBox")
        layout = QVBoxLayout(self)
        self.amendment_list = QLabel("")
        self.amendment_list.setWordWrap(True)
        self.amendment_list.setTextFormat(Qt.TextFormat.RichText)
        named(self.amendment_list, "amendmentList", "Amendments")
        layout.addWidget(self.amendment_list)
        form = QFormLayout()
        self.amend_reason = QLineEdit()
        self.amend_reason.setPlaceholderText("why the note is corrected")
        named(self.amend_reason, "amendReason", "Reason for the amendment")
        self.amend_text = QPlainTextEdit()
        self.amend_text.setTabChangesFocus(True)
        self.amend_text.setMaximumHeight(90)
        named(self.amend_text, "amendText", "Amendment")
        form.addRow("Reason", self.amend_reason)
        form.addRow("Amendment", self.amend_text)
        layout.addLayout(form)
        self.amend_button = QPushButton("Add amendment (Ctrl+M)")
        named(self.amend_button, "addAmendment", "Add the amendment", "Append the amendment to the signed note")
        self.amend_button.clicked.connect(self.amend)
        self.amend_message = problem_label("amendMessage", "Amendment problems")
        self.amend_message.setWordWrap(True)
        layout.addWidget(self.amend_message)
        self.late_button = QPushButton("Adverse event noticed later…")
        named(
            self.late_button,
            "reportLater",
            "Record an adverse event noticed after the visit",
            "To the adverse-event register against this visit; the signed note stays as signed",
        )
        self.late_button.clicked.connect(self.report_later)
        buttons = QHBoxLayout()
        buttons.addWidget(self.amend_button)
        buttons.addWidget(self.late_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.hide()

    def bind_keys(self, window: QWidget) -> None:
        QShortcut(QKeySequence("Ctrl+M"), window, activated=self.amend_button.click)

    def show_session(self, session: TreatmentSession) -> None:
        """Shown under a signed note, with its amendments; hidden under a draft."""
        self.session = session
        signed = session.is_signed
        self.setVisible(signed)
        if not signed:
            return
        try:
            amendments = self.services.sessions.amendments(session.id or 0)
        except NeedlelogError as exc:
            self.amendment_list.setText(html(str(exc)))
            return
        self.amendment_list.setText(
            "<br>".join(
                f"<b>{local_time(a.written_at)} · {html(a.author)}</b> — reason: {html(a.reason)}<br>"
                + html(a.text).replace("\n", "<br>")
                for a in amendments
            )
            or NO_AMENDMENT
        )

    def amend(self) -> bool:
        """Append the amendment typed below a signed note; the note itself never changes."""
        if self.session is None or not self.session.is_signed:
            return False
        try:
            self.services.sessions.amend(self.session.id or 0, self.amend_reason.text(), self.amend_text.toPlainText())
        except ValidationError as exc:
            self.amend_message.setText(" ".join(p.message for p in exc.problems))
            return False
        except NeedlelogError as exc:
            self.amend_message.setText(str(exc))
            return False
        self.amend_message.clear()
        self.amend_reason.clear()
        self.amend_text.clear()
        self.show_session(self.session)
        self.added.emit("Amendment added under the signed note.")
        return True

    def report_later(self) -> QDialog | None:
        """An adverse event that came to light after this signed visit, recorded in the register (window-modal)."""
        if self.session is None or not self.session.is_signed:
            return None
        from needlelog.ui.dialogs.late_event import LateEventDialog

        dialog = LateEventDialog(self.services, self.session.id or 0, self.window())
        dialog.recorded.connect(self.added.emit)
        dialog.open()
        return dialog

    def set_read_only(self, read_only: bool) -> None:
        """A signed note takes amendments, and only amendments (from whoever may amend)."""
        set_inputs_enabled(self, not read_only)
        may_amend = read_only and self.services.access.may(Action.AMEND)
        for widget in (self.amend_reason, self.amend_text, self.amend_button):
            widget.setEnabled(may_amend)
        access = self.services.access
        self.late_button.setEnabled(read_only and (access.may(Action.CHART) or access.may(Action.VIEW_REGISTER)))
