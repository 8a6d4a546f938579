"""The patient banner: who is on the table (name, age, precautions, consent), what may be done
next (new session, copy the last one, edit the patient) and their session history.

"Today", for the age and the consent, is the program's clock (``services.clock``), never the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from needlelog.domain.access import Action
from needlelog.domain.episodes import PlanProgress
from needlelog.domain.errors import NeedlelogError
from needlelog.domain.model import Clinician, Patient, TreatmentSession
from needlelog.domain.rules import age_on, consent_valid_on
from needlelog.domain.vocab import Precaution
from needlelog.services.store import Services
from needlelog.ui.models.paged import PAGE
from needlelog.ui.models.patients import initials
from needlelog.ui.models.sessions import SessionHistoryModel
from needlelog.ui.widgets.common import fixed_columns, named, table_view
from needlelog.ui.window.course_panel import CoursePanel


def _style(label: QLabel, style: str) -> None:
    if label.styleSheet() != style:  # setting a style sheet re-polishes the widget: not on every patient
        label.setStyleSheet(style)


class PatientBanner(QFrame):
    """Who is on the table: name, age, chart number, precautions, consent."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patientBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.name = QLabel("No patient selected")
        named(self.name, "bannerName", "Patient name")
        font = self.name.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.name.setFont(font)
        self.details = QLabel("")
        named(self.details, "bannerDetails", "Age and chart number")
        self.precautions = QLabel("")
        named(self.precautions, "bannerPrecautions", "Precautions")
        self.precautions.setWordWrap(True)
        self.consent = QLabel("")
        named(self.consent, "bannerConsent", "Consent status")
        layout = QVBoxLayout(self)
        layout.addWidget(self.name)
        layout.addWidget(self.details)
        layout.addWidget(self.precautions)
        layout.addWidget(self.consent)
        self.patient: Patient | None = None

    private = False

    def set_private(self, private: bool) -> None:
        self.private = private
        if self.patient is not None:
            self.name.setText(self._name(self.patient))

    def _name(self, patient: Patient) -> str:
        return initials(patient.given_name, patient.family_name) if self.private else patient.full_name

    def show_course(self, plans: tuple[PlanProgress, ...]) -> None:
        """Where the patient is in their latest open episode: "visit 2 of 2–3", counting its signed visits only
        (SPEC §2), with the prompt to reassess once the plan is reached; the course panel lists every episode."""
        if plans:
            latest = plans[0]
            self.details.setText(f"{self.details.text()} · {latest.episode.kind}: {latest.words}")

    def show_patient(self, patient: Patient | None, today: date, consent_months: int) -> None:
        self.patient = patient
        if patient is None:
            self.name.setText("No patient selected")
            for label in (self.details, self.precautions, self.consent):
                label.clear()
            return
        self.name.setText(self._name(patient))
        self.details.setText(
            f"Age {age_on(patient.date_of_birth, today)} · born {patient.date_of_birth.isoformat()} · "
            f"chart {patient.chart_number}"
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
            _style(self.precautions, "color: #8a4b00; font-weight: bold;")
        else:
            self.precautions.setText("No precautions recorded")
            _style(self.precautions, "")
        consent = patient.consent
        if consent_valid_on(patient, today, consent_months) and consent is not None:
            self.consent.setText(
                f"✔ Consent to dry needling: {consent.method.label.lower()}, {consent.given_on.isoformat()}, "
                f"obtained by {consent.obtained_by}"
            )
            _style(self.consent, "color: #1d6b2f;")
        else:
            self.consent.setText("✖ No valid consent to dry needling: record it in the session before the first needle")
            _style(self.consent, "color: #a11a1a; font-weight: bold;")


class PatientPanel(QWidget):
    """The chosen patient's banner, the buttons for what comes next, a message line and the session history.

    It asks for sessions and patient forms by signal; the window opens them.
    """

    new_session_requested = Signal()
    copy_last_requested = Signal()
    edit_patient_requested = Signal()
    session_activated = Signal(int)  # a history row's session id

    def __init__(self, services: Services, clinician: Clinician | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.clinician = clinician
        clinic = services.clinic.clinic_or_none()
        self._consent_months = clinic.consent_valid_months if clinic else 12
        self.current: Patient | None = None
        self.banner = PatientBanner()
        self.history = SessionHistoryModel(self)
        self.history_view = table_view("sessionHistory", "Session history")
        self.history_view.setModel(self.history)
        fixed_columns(
            self.history_view,
            stretch=2,
            samples={
                0: "0000-00-00 00:00",
                1: "Marie-Ève Gauthier",
                3: "Sites",
                4: "Needles",
                5: "10 → 10",
                6: "Signed",
            },
        )
        self.history_title = QLabel("Sessions")
        named(self.history_title, "historyTitle", "Session history heading")
        self._build_buttons()
        self.history_view.activated.connect(self._history_activated)
        self.history_view.doubleClicked.connect(self._history_activated)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #a11a1a;")
        named(self.message, "mainMessage", "Message")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        actions = QHBoxLayout()
        actions.addWidget(self.history_title, 1)
        actions.addWidget(self.edit_patient_button)
        actions.addWidget(self.new_session_button)
        actions.addWidget(self.copy_last_button)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        self.course_panel = CoursePanel(services, self.today)
        self.course_panel.episode_started.connect(lambda _episode: self._shown_again())
        split = QSplitter(Qt.Orientation.Vertical)
        split.setObjectName("chartSplit")
        split.setChildrenCollapsible(False)
        split.addWidget(self.history_view)
        split.addWidget(self.course_panel)
        split.setSizes([300, 260])
        layout.addWidget(split, 1)

    def _build_buttons(self) -> None:
        self.new_session_button = QPushButton("New session (Ctrl+N)")
        named(self.new_session_button, "newSession", "New session")
        self.new_session_button.setToolTip("Start charting a new session for this patient (Ctrl+N)")
        self.copy_last_button = QPushButton("Copy last session (Ctrl+D)")
        named(self.copy_last_button, "copyLastSession", "Copy last session")
        self.copy_last_button.setToolTip("Start from the previous session's sites (Ctrl+D)")
        self.edit_patient_button = QPushButton("Edit patient (F2)")
        named(self.edit_patient_button, "editPatient", "Edit patient")
        self.edit_patient_button.setToolTip("Edit identity, screening, plan and consent (F2)")
        self.edit_patient_button.setMinimumHeight(34)
        self.edit_patient_button.setEnabled(False)
        self.edit_patient_button.clicked.connect(self.edit_patient_requested)
        for button in (self.new_session_button, self.copy_last_button):
            button.setMinimumHeight(34)
            button.setEnabled(False)
        self.new_session_button.clicked.connect(self.new_session_requested)
        self.copy_last_button.clicked.connect(self.copy_last_requested)

    def today(self) -> date:
        """The clinic's date on the program's clock: ages and consent are reckoned on it."""
        return self.services.clock().astimezone().date()

    def show_message(self, text: str) -> None:
        self.message.setText(text)

    def apply_permissions(self) -> None:
        self.history_view.setEnabled(self.services.access.may(Action.VIEW_PATIENT))

    def set_private(self, private: bool) -> None:
        """The privacy key: initials in the banner, and any message naming the patient goes."""
        self.banner.set_private(private)
        if private:
            self.message.clear()

    def focus_new_session(self) -> None:
        self.new_session_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_patient(self, patient_id: int | None, *, again: bool = False) -> None:
        """The patient's chart opened (audited as viewed), or, ``again``, the one already shown brought up to date
        after a save: a re-read of what is on screen, not a new viewing (an autosave every two seconds would
        otherwise write a "patient viewed" row each time)."""
        self.message.clear()
        enabled = patient_id is not None and self.clinician is not None
        self.new_session_button.setEnabled(enabled)
        self.edit_patient_button.setEnabled(patient_id is not None and self.services.access.may(Action.EDIT_PATIENT))
        self.copy_last_button.setEnabled(enabled)
        if patient_id is None:
            self.current = None
            self.banner.show_patient(None, self.today(), self._consent_months)
            self.course_panel.show_patient(None)
            self.history.clear()
            self.history_title.setText("Sessions")
            return
        try:  # one read of the record, the first page and the count; audited when opened, not when re-read
            chart = self.services.patients.open_chart(patient_id, PAGE, viewed=not again)
        except NeedlelogError as exc:
            self.message.setText(str(exc))
            return
        patient = chart.patient
        self.current = patient
        self.banner.show_patient(patient, self.today(), self._consent_months)
        sessions = self.services.sessions
        self.history.set_rows(
            chart.sessions,
            lambda offset, limit: sessions.history(patient_id, limit=limit, offset=offset),
        )
        self.history_title.setText(f"Sessions ({chart.session_count})")
        self.banner.show_course(self.course_panel.show_patient(patient_id).open_plans)

    def _shown_again(self) -> None:
        if self.current is not None:
            self.show_patient(self.current.id, again=True)

    def start_draft(self, make: Callable[[int, int], TreatmentSession]) -> TreatmentSession | None:
        """A new draft for the patient shown, by ``make`` (new, or a copy not yet stored), or None with the reason
        shown."""
        if self.current is None or self.clinician is None:
            return None
        try:
            draft = make(self.current.id or 0, self.clinician.id or 0)
        except NeedlelogError as exc:
            self.message.setText(str(exc))
            return None
        if draft.id is not None:  # stored: the history shows it (an unsaved copy is not there yet)
            self.show_patient(self.current.id, again=True)
        return draft

    def session_changed(self, session: TreatmentSession) -> None:
        """A session was saved or signed somewhere: the history shows it if it is this patient's."""
        if self.current is not None and session.patient_id == self.current.id:
            self.show_patient(self.current.id, again=True)

    def _history_activated(self, index: QModelIndex) -> None:
        row = self.history.row_at(index.row())
        if row is not None:
            self.session_activated.emit(row.id)
