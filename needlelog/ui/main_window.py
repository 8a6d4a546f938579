"""The main window: find a patient as you type, see their chart and session history."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.model import Patient
from needlelog.domain.rules import age_on, consent_valid_on
from needlelog.domain.vocab import Precaution
from needlelog.services.store import Services
from needlelog.ui.models.paged import PAGE
from needlelog.ui.models.patients import PatientTableModel
from needlelog.ui.models.sessions import SessionHistoryModel


def _name(widget: QWidget, object_name: str, accessible: str) -> None:
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible)


def _table(object_name: str, accessible: str) -> QTableView:
    view = QTableView()
    _name(view, object_name, accessible)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(30)  # large click targets for a gloved hand
    view.horizontalHeader().setHighlightSections(False)
    _name(view.horizontalHeader(), f"{object_name}Header", f"{accessible} columns")
    _name(view.verticalHeader(), f"{object_name}RowHeader", f"{accessible} rows")
    return view


class PatientBanner(QFrame):
    """Who is on the table: name, age, chart number, precautions, consent."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patientBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.name = QLabel("No patient selected")
        _name(self.name, "bannerName", "Patient name")
        font = self.name.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.name.setFont(font)
        self.details = QLabel("")
        _name(self.details, "bannerDetails", "Age and chart number")
        self.precautions = QLabel("")
        _name(self.precautions, "bannerPrecautions", "Precautions")
        self.precautions.setWordWrap(True)
        self.consent = QLabel("")
        _name(self.consent, "bannerConsent", "Consent status")
        layout = QVBoxLayout(self)
        layout.addWidget(self.name)
        layout.addWidget(self.details)
        layout.addWidget(self.precautions)
        layout.addWidget(self.consent)

    def show_patient(self, patient: Patient | None, today: date, consent_months: int) -> None:
        if patient is None:
            self.name.setText("No patient selected")
            for label in (self.details, self.precautions, self.consent):
                label.clear()
            return
        self.name.setText(patient.full_name)
        plan = f" · {patient.treatment_plan.label}" if patient.treatment_plan else ""
        self.details.setText(
            f"Age {age_on(patient.date_of_birth, today)} · born {patient.date_of_birth.isoformat()} · "
            f"chart {patient.chart_number}{plan}"
        )
        flags = sorted(patient.screening.positive, key=lambda p: p.label)
        if flags:
            words = []
            for flag in flags:
                word = flag.label
                if flag is Precaution.RECENT_SURGERY and patient.screening.surgery_region:
                    word += f" ({patient.screening.surgery_region.label.lower()})"
                words.append(word)
            self.precautions.setText("⚠ Precautions: " + "; ".join(words))
            self.precautions.setStyleSheet("color: #8a4b00; font-weight: bold;")
        else:
            self.precautions.setText("No precautions recorded")
            self.precautions.setStyleSheet("")
        consent = patient.consent
        if consent_valid_on(patient, today, consent_months) and consent is not None:
            self.consent.setText(
                f"✔ Consent to dry needling: {consent.method.label.lower()}, {consent.given_on.isoformat()}, "
                f"obtained by {consent.obtained_by}"
            )
            self.consent.setStyleSheet("color: #1d6b2f;")
        else:
            self.consent.setText("✖ No valid consent to dry needling: a session can be drafted but not signed")
            self.consent.setStyleSheet("color: #a11a1a; font-weight: bold;")


class MainWindow(QMainWindow):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setObjectName("mainWindow")
        clinic = services.clinic.clinic_or_none()
        self._consent_months = clinic.consent_valid_months if clinic else 12
        self.setWindowTitle(f"needlelog — {clinic.name}" if clinic else "needlelog")
        self._current: Patient | None = None

        self.search = QLineEdit()
        _name(self.search, "patientSearch", "Search patients")
        self.search.setPlaceholderText("Search: name, chart number or birth date (YYYY-MM-DD)")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Find a patient as you type (Ctrl+F)")
        self.search.setMinimumHeight(34)
        self.patients = PatientTableModel(self)
        self.patient_view = _table("patientList", "Patients")
        self.patient_view.setModel(self.patients)
        header = self.patient_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.result_count = QLabel("")
        _name(self.result_count, "searchResultCount", "Search results")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.patient_view, 1)
        left_layout.addWidget(self.result_count)

        self.banner = PatientBanner()
        self.history = SessionHistoryModel(self)
        self.history_view = _table("sessionHistory", "Session history")
        self.history_view.setModel(self.history)
        history_header = self.history_view.horizontalHeader()
        for column in range(self.history.columnCount()):
            history_header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        history_header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.history_title = QLabel("Sessions")
        _name(self.history_title, "historyTitle", "Session history heading")

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.banner)
        right_layout.addWidget(self.history_title)
        right_layout.addWidget(self.history_view, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("mainSplitter")
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.addWidget(splitter)
        self.setCentralWidget(central)

        self._build_menu()
        self.statusBar().setObjectName("statusBar")
        self.statusBar().showMessage(f"Database: {services.location}")

        self.search.textChanged.connect(self.run_search)
        self.patient_view.selectionModel().selectionChanged.connect(self._patient_selected)
        self.run_search("")
        self.setTabOrder(self.search, self.patient_view)
        self.setTabOrder(self.patient_view, self.history_view)
        self.resize(1280, 760)

    def _build_menu(self) -> None:
        find = QAction("&Find patient", self)
        find.setObjectName("actionFindPatient")
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.setToolTip("Find a patient (Ctrl+F)")
        find.triggered.connect(self.focus_search)
        quit_action = QAction("&Quit", self)
        quit_action.setObjectName("actionQuit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        chart = self.menuBar().addMenu("&Chart")
        chart.addAction(find)
        chart.addSeparator()
        chart.addAction(quit_action)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # --- search ------------------------------------------------------------------------
    def run_search(self, text: str) -> None:
        patients = self.services.patients
        first = patients.search(text, limit=PAGE)
        self.patients.set_rows(
            first,
            lambda offset, limit: patients.search(text, limit=limit, offset=offset),
        )
        shown = len(first)
        more = "+" if shown == PAGE else ""
        self.result_count.setText(f"{shown}{more} patient{'s' if shown != 1 else ''}" if text else "")
        if shown:
            self.patient_view.selectRow(0)
        else:
            self.show_patient(None)

    def _patient_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        summary = self.patients.row_at(rows[0].row()) if rows else None
        self.show_patient(summary.id if summary else None)

    # --- chart -------------------------------------------------------------------------
    def show_patient(self, patient_id: int | None) -> None:
        from datetime import datetime

        if patient_id is None:
            self._current = None
            self.banner.show_patient(None, datetime.now().date(), self._consent_months)
            self.history.clear()
            self.history_title.setText("Sessions")
            return
        patient = self.services.patients.get(patient_id)
        self._current = patient
        self.banner.show_patient(patient, datetime.now().date(), self._consent_months)
        sessions = self.services.sessions
        first = sessions.history(patient_id, limit=PAGE)
        self.history.set_rows(
            first,
            lambda offset, limit: sessions.history(patient_id, limit=limit, offset=offset),
        )
        total = sessions.count_for_patient(patient_id)
        self.history_title.setText(f"Sessions ({total})")

    @property
    def current_patient(self) -> Patient | None:
        return self._current
