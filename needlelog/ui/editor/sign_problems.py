"""The problems list and the Sign button: what still stops the note being signed.

As the clinician types, the Sign button's tooltip says whether the note is ready and, if not, why.
When signing is refused, the reasons are listed above the buttons; choosing one takes the focus to
its field (the editor finds the widget the problem names).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPushButton, QWidget

from needlelog.domain.model import Clinician, Patient, TreatmentSession
from needlelog.domain.rules import FieldProblem, consent_valid_months, sign_problems
from needlelog.services.store import Services
from needlelog.ui.widgets.common import named

READY_TIP = "Everything is complete: sign the note (Ctrl+Enter)"


class ProblemsList(QObject):
    """The list of what stops signing, and the Sign button whose tooltip says it as the note changes."""

    sign_requested = Signal()
    go_to = Signal(str)  # the field a problem names ("sites[2].dwell_minutes"), to take the focus there

    def __init__(
        self,
        services: Services,
        patient: Patient,
        clinician: Clinician,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.patient = patient
        self.clinician = clinician
        self.clock: Callable[[], datetime] = services.clock
        self.consent_months = consent_valid_months(services.clinic.clinic_or_none())
        self.problems = QListWidget()
        named(self.problems, "signProblems", "What stops signing")
        self.problems.setMaximumHeight(96)
        self.problems.hide()
        self.problems.itemActivated.connect(self._go_to_problem)
        self.problems.itemClicked.connect(self._go_to_problem)
        self.sign_button = QPushButton("Sign note (Ctrl+Enter)")
        named(self.sign_button, "signButton", "Sign the note", "Sign the note (Ctrl+Enter)")
        self.sign_button.setMinimumHeight(38)
        self.sign_button.clicked.connect(lambda _checked=False: self.sign_requested.emit())

    def bind_keys(self, window: QWidget) -> None:
        QShortcut(QKeySequence("Ctrl+Return"), window, activated=self.sign_requested.emit)
        QShortcut(QKeySequence("Ctrl+Enter"), window, activated=self.sign_requested.emit)

    def show_readiness(self, content: TreatmentSession, lot_problems: Sequence[FieldProblem] = ()) -> None:
        """The live tooltip: ready to sign, or each thing still missing; and, once a refused Sign has shown the
        list, the list itself, so a fixed problem leaves it as it is fixed (it never goes stale)."""
        if content.is_signed:
            return
        blockers = sign_problems(content, self.patient, self.clinician, self.clock(), self.consent_months)
        blockers += [p for p in lot_problems if p not in blockers]  # the inventory's, as signing checks them
        self.sign_button.setToolTip(
            "Not ready to sign:\n" + "\n".join(p.message for p in blockers) if blockers else READY_TIP
        )
        if not self.problems.isHidden():
            self._fill(blockers)
            self.problems.setVisible(bool(blockers))

    def _fill(self, problems: list[FieldProblem]) -> None:
        if [self.problems.item(i).text() for i in range(self.problems.count())] == [f"• {p.message}" for p in problems]:
            return  # unchanged: the row the user is on stays current
        self.problems.clear()
        for problem in problems:
            item = QListWidgetItem(f"• {problem.message}")
            item.setData(Qt.ItemDataRole.UserRole, problem.field)
            self.problems.addItem(item)

    def show_problems(self, problems: list[FieldProblem]) -> None:
        self._fill(problems)
        self.problems.show()
        self.sign_button.setToolTip("Not signed yet:\n" + "\n".join(p.message for p in problems))

    def signed(self) -> None:
        self.problems.hide()

    def _go_to_problem(self, item: QListWidgetItem) -> None:
        self.go_to.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    def set_read_only(self, read_only: bool) -> None:
        self.sign_button.setEnabled(not read_only)
        self.sign_button.setToolTip(
            "This note is signed; correct it with an amendment." if read_only else "Sign the note (Ctrl+Enter)"
        )
