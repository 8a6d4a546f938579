"""An adverse event noticed after a signed visit (a delayed pneumothorax), recorded by the clinician from the note:
it goes to the adverse-event register against this visit; the signed note itself is not touched (its PDF lists the
event as "reported later"). Shown with ``open()``, window-modal; a refusal is said beside its field.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QPlainTextEdit, QVBoxLayout, QWidget

from needlelog.domain.errors import NeedlelogError
from needlelog.domain.rules import local_date
from needlelog.domain.vocab import AdverseEventKind
from needlelog.services.store import Services
from needlelog.ui.widgets.common import day_of, named
from needlelog.ui.widgets.forms import FieldErrors, button, combo, date_edit, message_label, row_of


class LateEventDialog(QDialog):
    """Kind, the day it was noticed and what happened; Record writes it to the register against ``session_id``."""

    recorded = Signal(str)  # what happened, in words

    def __init__(self, services: Services, session_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.session_id = services, session_id
        named(self, "lateEventDialog", "Adverse event noticed later")
        self.setWindowTitle("Adverse event noticed after the visit")
        self.resize(560, 320)
        today = local_date(services.clock())
        self.general = message_label("lateEventError", "Problem", error=True)
        self.errors = FieldErrors("lateEvent", self.general)
        self.kind = combo("lateEventKind", "Adverse event", [(k.label, k) for k in AdverseEventKind])
        self.noticed = date_edit("lateEventNoticed", "Day it was noticed", today)
        self.description = QPlainTextEdit()
        named(self.description, "lateEventDescription", "What happened, when, what was done")
        self.description.setTabChangesFocus(True)
        self.description.setPlaceholderText(
            "e.g. Phoned next morning: short of breath; sent to the ER; X-ray: small pneumothorax."
        )
        self.record = button("Record", "lateEventRecord", "Record the event in the register")
        self.record.setDefault(True)
        self.record.clicked.connect(self.save)
        cancel = button("Cancel", "lateEventCancel", "Close without recording")
        cancel.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow("Event", self.kind)
        form.addRow("Noticed on", self.errors.beside("noticed_on", self.noticed, "the day"))
        form.addRow("What happened", self.errors.beside("description", self.description, "the description"))
        hint = message_label("lateEventHint", "What this does")
        hint.setText(
            "The signed note stays as signed: the event goes to the adverse-event register against this visit, "
            "and the note's PDF lists it as reported later."
        )
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addLayout(row_of(1, cancel, self.record))

    def save(self) -> None:
        self.errors.clear()
        kind = AdverseEventKind(self.kind.currentData())  # Qt hands a StrEnum back as its str
        try:
            self.services.registers.report_later(
                self.session_id, kind, self.description.toPlainText(), day_of(self.noticed.date())
            )
        except NeedlelogError as exc:
            self.errors.show(exc)
            return
        self.recorded.emit(f"{kind.label} recorded in the adverse-event register, reported later.")
        self.accept()
