"""The patient browser: the search box, the list of patients found, and "New patient".

A keystroke costs only the search: the top match's chart opens once typing pauses
(:data:`OPEN_FIRST_AFTER_MS`), a click opens the clicked patient at once.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from needlelog.domain.access import Action
from needlelog.services.store import Services
from needlelog.ui.models.paged import PAGE
from needlelog.ui.models.patients import PatientTableModel
from needlelog.ui.widgets.common import fixed_columns, named, table_view

OPEN_FIRST_AFTER_MS = 150


class PatientBrowser(QWidget):
    """Find a patient as you type; says which patient was chosen, never shows their chart itself."""

    patient_chosen = Signal(object)  # int | None: the patient's id, or none found
    new_patient_requested = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.search = QLineEdit()
        named(self.search, "patientSearch", "Search patients")
        self.search.setPlaceholderText("Search: name, chart number or birth date (YYYY-MM-DD)")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Find a patient as you type (Ctrl+F)")
        self.search.setMinimumHeight(34)
        self.patients = PatientTableModel(self)
        self.patient_view = table_view("patientList", "Patients")
        self.patient_view.setModel(self.patients)
        fixed_columns(self.patient_view, stretch=0, samples={1: "C000000", 2: "0000-00-00", 3: "Alerts"})
        self.result_count = QLabel("")
        named(self.result_count, "searchResultCount", "Search results")
        self.new_patient_button = QPushButton("New patient (Ctrl+Shift+N)")
        named(self.new_patient_button, "newPatient", "New patient")
        self.new_patient_button.setToolTip("Register a new patient (Ctrl+Shift+N)")
        self.new_patient_button.setMinimumHeight(34)
        self.new_patient_button.clicked.connect(self.new_patient_requested)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.patient_view, 1)
        count_row = QHBoxLayout()
        count_row.addWidget(self.result_count, 1)
        count_row.addWidget(self.new_patient_button)
        layout.addLayout(count_row)
        self.setMinimumWidth(430)  # room for a full name beside chart number, birth date and alerts

        # The top match's chart opens once typing pauses, so a keystroke costs only the search.
        self._open_first = QTimer(self)
        self._open_first.setSingleShot(True)
        self._open_first.setInterval(OPEN_FIRST_AFTER_MS)
        self._open_first.timeout.connect(self._open_pending)
        self._pending_patient: int | None = None
        self._selecting_from_search = False
        self.search.textChanged.connect(self.run_search)
        self.patient_view.selectionModel().selectionChanged.connect(self._patient_selected)

    def apply_permissions(self) -> None:
        """Searching is for those who may view patients; registering one for those who may edit them."""
        access = self.services.access
        can_view = access.may(Action.VIEW_PATIENT)
        self.search.setEnabled(can_view)
        self.patient_view.setEnabled(can_view)
        self.new_patient_button.setEnabled(access.may(Action.EDIT_PATIENT))

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def look_up(self, text: str) -> None:
        """List what ``text`` finds, selected, without waiting for the typing pause to choose it."""
        self.search.setText(text)
        self._open_first.stop()

    def set_private(self, private: bool) -> None:
        """The privacy key: initials in the list, and what was typed to find the patient hidden."""
        self.patients.set_private(private)
        self.search.setEchoMode(QLineEdit.EchoMode.Password if private else QLineEdit.EchoMode.Normal)

    def run_search(self, text: str) -> None:
        if not self.services.access.may(Action.VIEW_PATIENT):
            return
        patients = self.services.patients
        first = patients.search(text, limit=PAGE)
        shown = len(first)
        # The selection moves to the top match without choosing that patient until typing pauses.
        self._selecting_from_search = True
        try:
            self.patients.set_rows(first, lambda offset, limit: patients.search(text, limit=limit, offset=offset))
            if shown:
                self.patient_view.selectRow(0)
                self.patient_view.scrollToTop()
        finally:
            self._selecting_from_search = False
        more = "+" if shown == PAGE else ""
        self.result_count.setText(f"{shown}{more} patient{'s' if shown != 1 else ''}" if text else "")
        if shown:
            self._pending_patient = first[0].id
            self._open_first.start()
        else:
            self._open_first.stop()
            self.patient_chosen.emit(None)

    def _patient_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        if self._selecting_from_search:
            return  # the search chooses its top match once typing pauses
        rows = selected.indexes()
        summary = self.patients.row_at(rows[0].row()) if rows else None
        self._open_first.stop()
        self.patient_chosen.emit(summary.id if summary else None)

    def _open_pending(self) -> None:
        if self._pending_patient is not None:
            self.patient_chosen.emit(self._pending_patient)
            self._pending_patient = None
