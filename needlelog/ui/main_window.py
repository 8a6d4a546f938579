"""The main window: find a patient as you type, see their chart and session history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import shiboken6
from PySide6.QtCore import QItemSelection, QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.access import Action
from needlelog.domain.errors import NeedlelogError
from needlelog.domain.model import Clinician, Patient, TreatmentSession
from needlelog.domain.rules import age_on, consent_valid_on
from needlelog.domain.timers import RunningTimer
from needlelog.domain.vocab import Precaution
from needlelog.services.store import Services
from needlelog.services.workspace import OpenDrafts
from needlelog.ui.dialogs.export_dialog import ExportDialog
from needlelog.ui.dialogs.patient_dialog import PatientDialog
from needlelog.ui.models.paged import PAGE
from needlelog.ui.models.patients import PatientTableModel, initials
from needlelog.ui.models.sessions import SessionHistoryModel
from needlelog.ui.session_editor import SessionEditor
from needlelog.ui.widgets.common import fixed_columns, named, table_view
from needlelog.ui.widgets.lock_screen import IdleWatch, LockScreen
from needlelog.ui.widgets.timer_dock import TimerDock

OPEN_FIRST_AFTER_MS = 150
IDLE_CHECK_MS = 5000


def _hidden_by_lock(window: QWidget) -> bool:
    """Windows the lock hides: everything but menus, tooltips and the dock of timers (it only loses names)."""
    if isinstance(window, QMenu | QDockWidget):
        return False
    return window.windowType() not in (Qt.WindowType.ToolTip, Qt.WindowType.Popup)


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

    def show_course(self, patient: Patient, sessions: int) -> None:
        """Where the patient is in the plan: "session 3 of 2-3" (SPEC §2)."""
        plan = patient.treatment_plan
        if plan is None:
            return
        expected = "2–3" if plan.value == "acute" else "4–6"
        self.details.setText(f"{self.details.text()} · session {sessions} of {expected}")

    def show_patient(self, patient: Patient | None, today: date, consent_months: int) -> None:
        self.patient = patient
        if patient is None:
            self.name.setText("No patient selected")
            for label in (self.details, self.precautions, self.consent):
                label.clear()
            return
        self.name.setText(self._name(patient))
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
            self.consent.setText("✖ No valid consent to dry needling: a session can be drafted but not signed")
            _style(self.consent, "color: #a11a1a; font-weight: bold;")


class MainWindow(QMainWindow):
    def __init__(
        self,
        services: Services,
        clinician: Clinician | None = None,
        open_drafts: OpenDrafts | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.clinician = clinician
        self.open_drafts = open_drafts
        self.editors: dict[int, SessionEditor] = {}
        self.setObjectName("mainWindow")
        clinic = services.clinic.clinic_or_none()
        self._consent_months = clinic.consent_valid_months if clinic else 12
        self.setWindowTitle(f"needlelog — {clinic.name}" if clinic else "needlelog")
        self._current: Patient | None = None

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
        self.new_patient_button.clicked.connect(self.new_patient)
        self.patient_dialog: PatientDialog | None = None
        self.export_dialog: ExportDialog | None = None
        self.dialogs: list[QDialog] = []
        self._form_hidden_by_privacy: PatientDialog | None = None

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.patient_view, 1)
        count_row = QHBoxLayout()
        count_row.addWidget(self.result_count, 1)
        count_row.addWidget(self.new_patient_button)
        left_layout.addLayout(count_row)

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
        self.edit_patient_button.clicked.connect(self.edit_patient)
        for button in (self.new_session_button, self.copy_last_button):
            button.setMinimumHeight(34)
            button.setEnabled(False)
        self.new_session_button.clicked.connect(self.new_session)
        self.copy_last_button.clicked.connect(self.copy_last_session)
        self.history_view.activated.connect(self._history_activated)
        self.history_view.doubleClicked.connect(self._history_activated)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #a11a1a;")
        named(self.message, "mainMessage", "Message")

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.banner)
        actions = QHBoxLayout()
        actions.addWidget(self.history_title, 1)
        actions.addWidget(self.edit_patient_button)
        actions.addWidget(self.new_session_button)
        actions.addWidget(self.copy_last_button)
        right_layout.addLayout(actions)
        right_layout.addWidget(self.message)
        right_layout.addWidget(self.history_view, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("mainSplitter")
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        left.setMinimumWidth(430)  # room for a full name beside chart number, birth date and alerts
        splitter.setChildrenCollapsible(False)
        content = QWidget()
        layout = QHBoxLayout(content)
        layout.addWidget(splitter)
        # The chart and, in front of it while the program is locked, the lock screen.
        self.pages = QStackedWidget()
        self.pages.setObjectName("mainPages")
        self.pages.addWidget(content)
        self.lock_screen = LockScreen()
        self.lock_screen.unlock_requested.connect(self.unlock)
        self.pages.addWidget(self.lock_screen)
        self.content = content
        self.setCentralWidget(self.pages)
        self.private = False
        self.locked = False
        self._hidden_while_locked: list[QWidget] = []
        self.timers = TimerDock(services, self)
        self.timers.stop_requested.connect(self.stop_timer)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.timers)

        self._build_menu()
        self.statusBar().setObjectName("statusBar")
        who = f"Charting as {clinician.display_name} · " if clinician else ""
        self.statusBar().showMessage(f"{who}Database: {services.location}")

        # The top match's chart opens once typing pauses, so a keystroke costs only the search.
        self._open_first = QTimer(self)
        self._open_first.setSingleShot(True)
        self._open_first.setInterval(OPEN_FIRST_AFTER_MS)
        self._open_first.timeout.connect(self._open_pending)
        self._pending_patient: int | None = None
        self._selecting_from_search = False
        self.search.textChanged.connect(self.run_search)
        self.patient_view.selectionModel().selectionChanged.connect(self._patient_selected)
        self.run_search("")
        self.search.setFocus()  # the first thing anyone does is look a patient up
        self.setTabOrder(self.search, self.patient_view)
        self.setTabOrder(self.patient_view, self.history_view)
        self.resize(1280, 760)
        self.timers.reload()

        # The idle lock: the last key or click anywhere, checked every few seconds against the clock.
        self.idle = IdleWatch(services.clock)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.idle)
        self.idle_minutes = services.accounts.idle_lock_minutes()
        self._idle_check = QTimer(self)
        self._idle_check.setInterval(IDLE_CHECK_MS)
        self._idle_check.timeout.connect(self.check_idle)
        self._idle_check.start()
        self._apply_permissions()

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
        new_session = QAction("&New session", self)
        new_session.setObjectName("actionNewSession")
        new_session.setShortcut(QKeySequence("Ctrl+N"))
        new_session.triggered.connect(self.new_session)
        copy_last = QAction("&Copy last session", self)
        copy_last.setObjectName("actionCopyLastSession")
        copy_last.setShortcut(QKeySequence("Ctrl+D"))
        new_patient = QAction("New &patient…", self)
        new_patient.setObjectName("actionNewPatient")
        new_patient.setShortcut(QKeySequence("Ctrl+Shift+N"))
        new_patient.triggered.connect(self.new_patient)
        edit_patient = QAction("&Edit patient…", self)
        edit_patient.setObjectName("actionEditPatient")
        edit_patient.setShortcut(QKeySequence("F2"))
        edit_patient.triggered.connect(self.edit_patient)
        copy_last.triggered.connect(self.copy_last_session)
        chart = self.menuBar().addMenu("&Chart")
        chart.addAction(find)
        chart.addAction(new_session)
        chart.addAction(copy_last)
        chart.addSeparator()
        chart.addAction(new_patient)
        chart.addAction(edit_patient)
        chart.addSeparator()
        chart.addAction(quit_action)
        export_notes = QAction("&Export visit notes…", self)
        export_notes.setObjectName("actionExportNotes")
        export_notes.setShortcut(QKeySequence("Ctrl+E"))
        export_notes.setToolTip("Export visit notes as PDF and CSV (Ctrl+E)")
        export_notes.triggered.connect(self.export_notes)
        manager = self.menuBar().addMenu("&Manager")
        manager.addAction(export_notes)
        self.manager_actions: dict[Action, QAction] = {Action.EXPORT: export_notes}
        for action, title, name, slot in (
            (Action.VIEW_REGISTER, "&Adverse-event register…", "actionAdverseRegister", self.adverse_register),
            (Action.RECALL, "Needle lots and &recall…", "actionNeedleLots", self.needle_lots),
            (Action.VIEW_AUDIT, "Audit &trail…", "actionAuditTrail", self.audit_trail),
        ):
            item = QAction(title, self)
            item.setObjectName(name)
            item.triggered.connect(slot)
            manager.addAction(item)
            self.manager_actions[action] = item
        admin = self.menuBar().addMenu("&Admin")
        for action, title, name, slot in (
            (Action.MANAGE_USERS, "&Users…", "actionUsers", self.manage_users),
            (Action.CHANGE_SETTINGS, "&Settings…", "actionSettings", self.settings),
        ):
            item = QAction(title, self)
            item.setObjectName(name)
            item.triggered.connect(slot)
            admin.addAction(item)
            self.manager_actions[action] = item
        privacy = QAction("Hide &names", self)
        privacy.setObjectName("actionPrivacy")
        privacy.setCheckable(True)
        privacy.setShortcut(QKeySequence("Ctrl+Shift+P"))
        privacy.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        privacy.setToolTip("Hide patients' names on screen at once (Ctrl+Shift+P)")
        privacy.toggled.connect(self.set_private)
        self.privacy_action = privacy
        lock_now = QAction("&Lock now", self)
        lock_now.setObjectName("actionLock")
        lock_now.setShortcut(QKeySequence("Ctrl+L"))
        lock_now.triggered.connect(self.lock)
        show_timers = self.timers.toggleViewAction()
        show_timers.setObjectName("actionShowTimers")
        view = self.menuBar().addMenu("&View")
        view.addAction(show_timers)
        view.addAction(privacy)
        view.addAction(lock_now)

    # --- who may do what -----------------------------------------------------------------
    def _apply_permissions(self) -> None:
        """Offer only what the signed-in account may do (the services refuse the rest anyway)."""
        access = self.services.access
        can_view = access.may(Action.VIEW_PATIENT)
        for widget in (self.search, self.patient_view, self.history_view):
            widget.setEnabled(can_view)
        self.new_patient_button.setEnabled(access.may(Action.EDIT_PATIENT))
        for action, item in self.manager_actions.items():
            item.setEnabled(access.may(action))
            item.setVisible(access.may(action))
        user = access.user
        if user is not None:
            roles = ", ".join(sorted(role.label for role in user.roles))
            where = self.statusBar().currentMessage().split("Database: ")[-1]
            self.statusBar().showMessage(f"Signed in as {user.display_name} ({roles}) · Database: {where}")
            if not can_view:
                self.message.setText(
                    f"Signed in as {user.display_name} ({roles}): users and settings are in the Admin menu."
                )

    # --- the idle lock and the privacy key ----------------------------------------------
    def check_idle(self) -> None:
        if self.locked or self.services.access.user is None:
            return
        if self.idle.idle_seconds() >= self.idle_minutes * 60:
            self.lock()

    def lock(self) -> None:
        """Hide every patient detail until the password is given again; drafts are saved first.

        The screen is hidden before anything that could fail (the audit row): a chart that cannot
        be written must not keep a name on screen.
        """
        user = self.services.access.user
        if self.locked or user is None:
            return
        for editor in self.editors.values():
            editor.save_now()
        self.locked = True
        self.pages.setCurrentWidget(self.lock_screen)
        self.menuBar().setEnabled(False)
        QToolTip.hideText()
        self._hidden_while_locked = [
            w
            for w in QApplication.topLevelWidgets()
            if w is not self and w.isVisible() and w.isWindow() and _hidden_by_lock(w)
        ]
        for widget in self._hidden_while_locked:
            widget.hide()
        try:
            self.services.accounts.lock()  # audited, and the services refuse everything until unlocked
        except NeedlelogError:
            self.services.access.locked = True  # refused all the same, even if the audit row could not be written
        self.timers.set_private(True)
        self.lock_screen.show_for(user.display_name, self.idle_minutes)

    def unlock(self, password: str) -> bool:
        if not self.locked:
            return True
        try:
            unlocked = self.services.accounts.unlock(password)
        except NeedlelogError as exc:
            self.lock_screen.message.setText(str(exc))
            return False
        if not unlocked:
            self.lock_screen.message.setText("Wrong password." if password else "Give your password.")
            return False
        self.locked = False
        self.idle.last = self.services.clock()
        self.pages.setCurrentWidget(self.content)
        self.menuBar().setEnabled(True)
        self.timers.set_private(self.private)
        for widget in self._hidden_while_locked:
            if shiboken6.isValid(widget):  # a question box hidden by the lock has closed, and is gone
                widget.show()
        self._hidden_while_locked = []
        self.timers.reload()
        return True

    def set_private(self, private: bool) -> None:
        """The privacy key: names hidden on screen at once (initials and chart numbers stay)."""
        self.private = private
        if self.privacy_action.isChecked() != private:
            self.privacy_action.setChecked(private)
        self.patients.set_private(private)
        self.banner.set_private(private)
        # What was typed to find the patient, and any message naming them, go too; the patient form hides.
        self.search.setEchoMode(QLineEdit.EchoMode.Password if private else QLineEdit.EchoMode.Normal)
        if private:
            self.message.clear()
        form = self.patient_dialog
        if private and form is not None and shiboken6.isValid(form) and form.isVisible():
            form.hide()  # it shows a name in every field; it comes back with the names
            self._form_hidden_by_privacy = form
        elif not private and self._form_hidden_by_privacy is not None:
            if shiboken6.isValid(self._form_hidden_by_privacy) and not self.locked:
                self._form_hidden_by_privacy.show()
            self._form_hidden_by_privacy = None
        for editor in self.editors.values():
            editor.set_private(private)
        for dialog in self.dialogs:
            if hasattr(dialog, "set_private"):
                dialog.set_private(private)  # the registers list patients
        self.timers.set_private(private or self.locked)

    # --- the manager's and the administrator's windows ----------------------------------
    # (imported when first opened: a clinician's start-up never loads them)
    def adverse_register(self) -> QDialog:
        from needlelog.ui.dialogs.registers import AdverseRegisterDialog

        return self._open_dialog(AdverseRegisterDialog(self.services, self))

    def needle_lots(self) -> QDialog:
        from needlelog.ui.dialogs.registers import NeedleLotsDialog

        return self._open_dialog(NeedleLotsDialog(self.services, self))

    def audit_trail(self) -> QDialog:
        from needlelog.ui.dialogs.registers import AuditDialog

        return self._open_dialog(AuditDialog(self.services, self))

    def manage_users(self) -> QDialog:
        from needlelog.ui.dialogs.users import UsersDialog

        return self._open_dialog(UsersDialog(self.services, self))

    def settings(self) -> QDialog:
        from needlelog.ui.dialogs.users import SettingsDialog

        dialog = SettingsDialog(self.services, self)
        dialog.accepted.connect(lambda: setattr(self, "idle_minutes", self.services.accounts.idle_lock_minutes()))
        return self._open_dialog(dialog)

    def _open_dialog(self, dialog: QDialog) -> QDialog:
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _result: self.dialogs.remove(dialog) if dialog in self.dialogs else None)
        dialog.open()  # window-modal, never a nested event loop
        return dialog

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # --- search ------------------------------------------------------------------------
    def run_search(self, text: str) -> None:
        if not self.services.access.may(Action.VIEW_PATIENT):
            return
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
            self._selecting_from_search = True
            try:
                self.patient_view.selectRow(0)
            finally:
                self._selecting_from_search = False
        else:
            self._open_first.stop()
            self.show_patient(None)

    def _patient_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        summary = self.patients.row_at(rows[0].row()) if rows else None
        if summary is not None and self._selecting_from_search:
            self._pending_patient = summary.id
            self._open_first.start()
            return
        self._open_first.stop()
        self.show_patient(summary.id if summary else None)

    def _open_pending(self) -> None:
        if self._pending_patient is not None:
            self.show_patient(self._pending_patient)
            self._pending_patient = None

    # --- chart -------------------------------------------------------------------------
    def show_patient(self, patient_id: int | None) -> None:
        self.message.clear()
        enabled = patient_id is not None and self.clinician is not None
        self.new_session_button.setEnabled(enabled)
        self.edit_patient_button.setEnabled(patient_id is not None and self.services.access.may(Action.EDIT_PATIENT))
        self.copy_last_button.setEnabled(enabled)
        if patient_id is None:
            self._current = None
            self.banner.show_patient(None, datetime.now().date(), self._consent_months)
            self.history.clear()
            self.history_title.setText("Sessions")
            return
        try:
            patient = self.services.patients.view(patient_id)  # audited: this patient's chart was viewed
        except NeedlelogError as exc:
            self.message.setText(str(exc))
            return
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
        self.banner.show_course(patient, total)

    @property
    def current_patient(self) -> Patient | None:
        return self._current

    # --- patients ------------------------------------------------------------------------
    def new_patient(self) -> PatientDialog | None:
        if not self.services.access.may(Action.EDIT_PATIENT):
            self.message.setText("Registering patients is for clinicians.")
            return None
        return self._patient_dialog(None)

    def edit_patient(self) -> PatientDialog | None:
        if not self.services.access.may(Action.EDIT_PATIENT):
            self.message.setText("Editing patients is for clinicians.")
            return None
        return self._patient_dialog(self._current) if self._current is not None else None

    def _patient_dialog(self, patient: Patient | None) -> PatientDialog:
        dialog = PatientDialog(self.services, patient, self)
        dialog.saved.connect(self._patient_saved)
        self.patient_dialog = dialog
        dialog.open()  # window-modal, and never a nested event loop
        return dialog

    def _patient_saved(self, patient: Patient) -> None:
        self.search.setText(patient.chart_number)  # lists the patient, selected
        self._open_first.stop()
        self.show_patient(patient.id)
        # Back to the chart, ready for the next step: "New session" (Enter) or Ctrl+N.
        self.activateWindow()
        self.new_session_button.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- manager -------------------------------------------------------------------------
    def export_notes(self) -> ExportDialog:
        """Open the export dialog (or bring forward the one already open, which may be exporting)."""
        dialog = self.export_dialog
        if dialog is None or not dialog.isVisible():
            if dialog is not None:
                dialog.deleteLater()
            dialog = ExportDialog(self.services, self)
            self.export_dialog = dialog
            dialog.open()  # window-modal, never a nested event loop
        dialog.activateWindow()
        return dialog

    # --- sessions ------------------------------------------------------------------------
    def new_session(self) -> SessionEditor | None:
        return self._start(self.services.sessions.new_draft)

    def copy_last_session(self) -> SessionEditor | None:
        return self._start(self.services.sessions.copy_last)

    def _start(self, make: Callable[[int, int], TreatmentSession]) -> SessionEditor | None:
        if self._current is None or self.clinician is None:
            return None
        try:
            draft = make(self._current.id or 0, self.clinician.id or 0)
        except NeedlelogError as exc:
            self.message.setText(str(exc))
            return None
        self.show_patient(self._current.id)
        return self.open_session(draft.id or 0)

    def _history_activated(self, index: QModelIndex) -> None:
        row = self.history.row_at(index.row())
        if row is not None:
            self.open_session(row.id)

    def open_session(self, session_id: int) -> SessionEditor | None:
        """Open (or bring forward) the editor of one session."""
        if session_id in self.editors:
            editor = self.editors[session_id]
            editor.show()
            editor.raise_()
            editor.activateWindow()
            return editor
        # A clinician charts; a manager reads (and prints) the same editor, read-only.
        who = self.clinician or self.services.access.user
        if who is None:
            self.message.setText("No clinician is set up in this clinic, so sessions cannot be charted.")
            return None
        try:
            session = self.services.sessions.get(session_id)
            patient = self.services.patients.view(session.patient_id)  # audited: the chart was viewed
        except NeedlelogError as exc:
            self.message.setText(str(exc))
            return None
        editor = SessionEditor(self.services, session, patient, who)
        editor.set_private(self.private)
        self.editors[session_id] = editor
        editor.saved.connect(self._session_changed)
        editor.signed.connect(self._session_changed)
        editor.closed.connect(self._editor_closed)
        if self.open_drafts is not None and not session.is_signed:
            self.open_drafts.opened(session_id)
        editor.show()
        editor.activateWindow()
        editor.condition.setFocus(Qt.FocusReason.ActiveWindowFocusReason)
        return editor

    def reopen_drafts(self) -> list[SessionEditor]:
        """Reopen the drafts that were open when the program last stopped (a crash, a power cut)."""
        reopened = []
        for session_id in self.open_drafts.ids() if self.open_drafts else []:
            try:
                session = self.services.sessions.get(session_id)
            except NeedlelogError:
                session = None
            if session is None or session.is_signed:
                if self.open_drafts:
                    self.open_drafts.closed(session_id)
                continue
            editor = self.open_session(session_id)
            if editor is not None:
                reopened.append(editor)
        return reopened

    def _session_changed(self, session: TreatmentSession) -> None:
        self.timers.reload()
        if self._current is not None and session.patient_id == self._current.id:
            self.show_patient(self._current.id)

    def stop_timer(self, timer: RunningTimer) -> None:
        """Stop from the dock: through the open editor when there is one (it holds the newest text).

        The timer is found by its start, not by its site's place, which may have changed since.
        """
        if self.locked:
            self.lock_screen.message.setText("Give your password to stop a timer: the needles' times are kept.")
            return
        editor = self.editors.get(timer.session_id)
        if editor is not None:
            index = next((i for i, row in enumerate(editor.rows) if row.timer_started == timer.started), None)
            if index is not None:
                editor.stop_timer(index)
            self.timers.reload()
            return
        try:
            session = self.services.sessions.stop_timer(timer.session_id, timer.site_index, timer.started)
        except NeedlelogError as exc:
            self.message.setText(str(exc))
            self.timers.reload()
            return
        self._session_changed(session)

    def _editor_closed(self, session_id: int) -> None:
        self.editors.pop(session_id, None)
        if self.open_drafts is not None:
            self.open_drafts.closed(session_id)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closing the program saves every open draft; drafts stay listed so that they reopen.
        for editor in list(self.editors.values()):
            if not editor.try_to_close():
                editor.raise_()  # its reason is on screen; the program stays open rather than lose text
                event.ignore()
                return
        for editor in list(self.editors.values()):
            editor.blockSignals(True)
            editor.close()
        if self.export_dialog is not None:
            self.export_dialog.reject()  # cancels a running export: only complete files stay
        super().closeEvent(event)
