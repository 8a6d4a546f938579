"""Discard draft…: the clinician's own unsigned draft, with a reason, kept in the file and hidden from the chart.

The reason is asked in a small dialog (:func:`ask_discard_reason`, a module function so tests can answer it).
The draft as it stands on screen is saved first, so the file keeps what was charted; then
:meth:`needlelog.services.charting.SessionService.discard` refuses or discards it. What it refuses (no reason,
a timer running, someone else's draft) is said on the save state line and nothing changes.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QPushButton, QWidget

from needlelog.domain.access import Action
from needlelog.domain.errors import NeedlelogError
from needlelog.domain.rules import DISCARD_REASON_MAX
from needlelog.services.store import Services
from needlelog.ui.editor.draft_keeper import DraftKeeper
from needlelog.ui.widgets.common import named

DISCARD_TIP = "Discard this draft, with a reason: it is kept in the file and the audit trail, hidden from the chart"


class DraftDiscarder(QObject):
    """The "Discard draft…" button and what it does."""

    discarded = Signal(object)  # TreatmentSession, as stored: discarded

    def __init__(self, services: Services, keeper: DraftKeeper, window: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.keeper = keeper
        self.window = window
        self.discard_button = QPushButton("Discard draft…")
        named(self.discard_button, "discardDraft", "Discard the draft", DISCARD_TIP)
        self.discard_button.setMinimumHeight(38)
        self.discard_button.clicked.connect(self.discard)
        self.allowed = services.access.may(Action.DISCARD_DRAFT)
        self.discard_button.setVisible(self.allowed)

    def set_read_only(self, read_only: bool) -> None:
        """A signed note is never discarded (it is amended), and whoever only reads discards nothing: no button."""
        self.discard_button.setVisible(self.allowed and not read_only)

    def discard(self) -> bool:
        """Ask the reason and discard; True when the draft was discarded (the editor then closes)."""
        session = self.keeper.session
        if session.is_signed or session.is_discarded or self.keeper.view_only:
            return False
        reason = ask_discard_reason(self.window)
        if reason is None:
            return False  # the clinician changed their mind
        self.keeper.store_now()  # the file keeps what was charted, as on screen (an unsaved copy is written)
        session = self.keeper.session
        if session.id is None:
            return False  # not stored: why is on the save state line
        try:
            stored = self.services.sessions.discard(session.id, reason)
        except NeedlelogError as exc:  # ValidationError (the reason), ConflictError (a timer), PermissionDenied
            self.keeper.tell(f"Not discarded: {exc}")
            return False
        self.keeper.settle(stored)
        self.discarded.emit(stored)
        return True


def ask_discard_reason(parent: QWidget) -> str | None:
    """The reason for discarding, one short line; None when cancelled."""
    dialog = QInputDialog(parent)
    dialog.setObjectName("discardReasonDialog")
    dialog.setAccessibleName("Reason for discarding the draft")
    dialog.setWindowTitle("Discard draft")
    dialog.setLabelText(
        "Why is this draft discarded? (for example: opened for the wrong patient)\n"
        "It stays in the file and the audit trail, and leaves the patient's chart."
    )
    dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
    dialog.setOkButtonText("Discard draft")
    line = dialog.findChild(QLineEdit)
    if line is not None:
        named(line, "discardReason", "Reason for discarding")
        line.setMaxLength(DISCARD_REASON_MAX)
    if not dialog.exec():
        return None
    return dialog.textValue()
