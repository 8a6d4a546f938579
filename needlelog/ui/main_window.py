"""The main window: find a patient as you type, see their chart and session history.

The window composes four panels (docs/ARCHITECTURE.md, "The main window's panels") and owns the menus:

- :class:`~needlelog.ui.window.patient_browser.PatientBrowser`: the search box and the patients found;
- :class:`~needlelog.ui.window.patient_banner.PatientPanel`: the chosen patient's banner and session history;
- :class:`~needlelog.ui.window.open_editors.OpenEditors`: the session editors open, and the drafts to reopen;
- :class:`~needlelog.ui.window.lock_controller.LockController`: the idle lock, Ctrl+L and the privacy key.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDialog, QHBoxLayout, QMainWindow, QSplitter, QStackedWidget, QWidget

from needlelog.domain.access import Action
from needlelog.domain.errors import NeedlelogError
from needlelog.domain.model import Clinician, Patient, TreatmentSession
from needlelog.domain.timers import RunningTimer
from needlelog.services.store import Services
from needlelog.services.workspace import OpenDrafts
from needlelog.ui.widgets.lock_screen import IdleWatch, LockScreen
from needlelog.ui.widgets.timer_dock import TimerDock
from needlelog.ui.widgets.wheel_guard import guard_wheels
from needlelog.ui.window import quit_question
from needlelog.ui.window.backup_timer import AutoBackup, may_restore
from needlelog.ui.window.lock_controller import IDLE_CHECK_MS, LockController
from needlelog.ui.window.open_editors import OpenEditors
from needlelog.ui.window.patient_banner import PatientBanner, PatientPanel
from needlelog.ui.window.patient_browser import OPEN_FIRST_AFTER_MS, PatientBrowser

if TYPE_CHECKING:  # each loaded when it first opens: the window shows sooner (issue 14)
    from needlelog.ui.dialogs.export_dialog import ExportDialog
    from needlelog.ui.dialogs.patient_dialog import PatientDialog
    from needlelog.ui.session_editor import SessionEditor

__all__ = ["IDLE_CHECK_MS", "OPEN_FIRST_AFTER_MS", "MainWindow", "PatientBanner"]


class MainWindow(QMainWindow):
    signed_out = Signal()  # the person signed out: the sign-in window comes next, the program runs on
    closed = Signal()  # the window closed to quit the program

    def __init__(
        self,
        services: Services,
        clinician: Clinician | None = None,
        open_drafts: OpenDrafts | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        guard_wheels()
        self.services = services
        self.clinician = clinician
        self._signing_out = False
        self.open_drafts = open_drafts
        self.setObjectName("mainWindow")
        clinic = services.clinic.clinic_or_none()
        self.setWindowTitle(f"needlelog — {clinic.name}" if clinic else "needlelog")
        self.patient_dialog: PatientDialog | None = None
        self.export_dialog: ExportDialog | None = None
        self.dialogs: list[QDialog] = []
        self._form_hidden_by_privacy: PatientDialog | None = None

        self.browser = PatientBrowser(services)
        self.patient_panel = PatientPanel(services, clinician)
        self.open_editors = OpenEditors(services, clinician, open_drafts, self)
        self.lock_controller = LockController(services, self, self._chart_page())
        self.setCentralWidget(self.lock_controller.pages)
        self.timers = TimerDock(services, self, can_stop=services.access.may(Action.CHART))
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.timers)
        self._name_the_parts()
        self._connect_panels()

        self._build_menu()
        self.statusBar().setObjectName("statusBar")
        who = f"Charting as {clinician.display_name} · " if clinician else ""
        self.statusBar().showMessage(f"{who}Database: {services.location}")
        self.auto_backup = AutoBackup(services, self)  # started by the composition root

        self.browser.run_search("")
        self.search.setFocus()  # the first thing anyone does is look a patient up
        self.setTabOrder(self.search, self.patient_view)
        self.setTabOrder(self.patient_view, self.history_view)
        self.resize(1280, 760)
        self.timers.reload()
        self._apply_permissions()

    def _chart_page(self) -> QWidget:
        """The patient browser beside the patient panel: the page the lock screen covers."""
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("mainSplitter")
        splitter.addWidget(self.browser)
        splitter.addWidget(self.patient_panel)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        content = QWidget()
        layout = QHBoxLayout(content)
        layout.addWidget(splitter)
        return content

    def _name_the_parts(self) -> None:
        """The panels' widgets by the names tests, scripts and the menus know them by."""
        self.search = self.browser.search
        self.patients = self.browser.patients
        self.patient_view = self.browser.patient_view
        self.result_count = self.browser.result_count
        self.new_patient_button = self.browser.new_patient_button
        self.banner = self.patient_panel.banner
        self.history = self.patient_panel.history
        self.history_view = self.patient_panel.history_view
        self.history_title = self.patient_panel.history_title
        self.message = self.patient_panel.message
        self.new_session_button = self.patient_panel.new_session_button
        self.copy_last_button = self.patient_panel.copy_last_button
        self.edit_patient_button = self.patient_panel.edit_patient_button
        self.pages: QStackedWidget = self.lock_controller.pages
        self.content = self.lock_controller.content
        self.lock_screen: LockScreen = self.lock_controller.lock_screen
        self.lock_screen.sign_out_requested.connect(self.sign_out)
        self.idle: IdleWatch = self.lock_controller.idle

    def _connect_panels(self) -> None:
        browser, panel, editors, lock = self.browser, self.patient_panel, self.open_editors, self.lock_controller
        # Through the window's own slot: the browser's typing pause ends in a timer, and a window whose
        # last reference is a cycle (a closed test's) must not be collected while its panel answers.
        browser.patient_chosen.connect(self.show_patient)
        browser.new_patient_requested.connect(self.new_patient)
        panel.new_session_requested.connect(self.new_session)
        panel.copy_last_requested.connect(self.copy_last_session)
        panel.edit_patient_requested.connect(self.edit_patient)
        panel.session_activated.connect(self.open_session)
        editors.session_changed.connect(self._session_changed)
        editors.timers_changed.connect(self.timers.reload)
        editors.problem.connect(panel.show_message)
        lock.about_to_lock.connect(editors.save_all)
        lock.lock_changed.connect(self._lock_changed)
        for hides_names in (browser.set_private, panel.set_private, editors.set_private, self._privacy_changed):
            lock.privacy_changed.connect(hides_names)
        self.timers.stop_requested.connect(self.stop_timer)

    # --- the menus -----------------------------------------------------------------------
    def _action(self, title: str, name: str, shortcut: QKeySequence | str | None = None) -> QAction:
        action = QAction(title, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(shortcut if isinstance(shortcut, QKeySequence) else QKeySequence(shortcut))
        return action

    def _build_menu(self) -> None:
        self._build_chart_menu()
        self._build_manager_menus()
        self._build_view_menu()
        about = self._action("&About needlelog", "actionAbout")
        about.triggered.connect(self.about)
        self.menuBar().addMenu("&Help").addAction(about)

    def _build_chart_menu(self) -> None:
        find = self._action("&Find patient", "actionFindPatient", QKeySequence(QKeySequence.StandardKey.Find))
        find.setToolTip("Find a patient (Ctrl+F)")
        find.triggered.connect(self.focus_search)
        quit_action = self._action("&Quit", "actionQuit", QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.triggered.connect(self.close)
        sign_out = self._action("Sign &out (change user)", "actionSignOut", "Ctrl+Shift+Q")
        sign_out.setToolTip("Back to the sign-in window; running timers keep counting (Ctrl+Shift+Q)")
        sign_out.triggered.connect(self.sign_out)
        new_session = self._action("&New session", "actionNewSession", "Ctrl+N")
        new_session.triggered.connect(self.new_session)
        copy_last = self._action("&Copy last session", "actionCopyLastSession", "Ctrl+D")
        copy_last.triggered.connect(self.copy_last_session)
        new_patient = self._action("New &patient…", "actionNewPatient", "Ctrl+Shift+N")
        new_patient.triggered.connect(self.new_patient)
        edit_patient = self._action("&Edit patient…", "actionEditPatient", "F2")
        edit_patient.triggered.connect(self.edit_patient)
        chart = self.menuBar().addMenu("&Chart")
        chart.addAction(find)
        chart.addAction(new_session)
        chart.addAction(copy_last)
        chart.addSeparator()
        chart.addAction(new_patient)
        chart.addAction(edit_patient)
        chart.addSeparator()
        chart.addAction(sign_out)
        chart.addAction(quit_action)

    def _build_manager_menus(self) -> None:
        export_notes = self._action("&Export visit notes…", "actionExportNotes", "Ctrl+E")
        export_notes.setToolTip("Export visit notes as PDF and CSV (Ctrl+E)")
        export_notes.triggered.connect(self.export_notes)
        manager = self.menuBar().addMenu("&Manager")
        manager.addAction(export_notes)
        self.manager_actions: dict[Action, QAction] = {Action.EXPORT: export_notes}
        for action, title, name, slot in (
            (Action.VIEW_REGISTER, "&Adverse-event register…", "actionAdverseRegister", self.adverse_register),
            (Action.RECALL, "Needle lots and &recall…", "actionNeedleLots", self.needle_lots),
            (Action.VIEW_AUDIT, "Audit &trail…", "actionAuditTrail", self.audit_trail),
            (Action.CLINIC_REPORT, "Clinic &dashboard…", "actionDashboard", self.dashboard),
        ):
            item = self._action(title, name)
            item.triggered.connect(slot)
            manager.addAction(item)
            self.manager_actions[action] = item
        admin = self.menuBar().addMenu("&Admin")
        for action, title, name, slot in (
            (Action.MANAGE_USERS, "&Users…", "actionUsers", self.manage_users),
            (Action.CHANGE_SETTINGS, "&Settings…", "actionSettings", self.settings),
        ):
            item = self._action(title, name)
            item.triggered.connect(slot)
            admin.addAction(item)
            self.manager_actions[action] = item
        self.restore_action = self._action("&Restore from a backup…", "actionRestore")
        self.restore_action.triggered.connect(self.restore_backup)
        self.restore_action.setVisible(may_restore(self.services))
        admin.addAction(self.restore_action)
        self.move_action = self._action("&Move this chart to the clinic's server…", "actionMoveToServer")
        self.move_action.triggered.connect(self.move_to_server)
        self.move_action.setVisible(may_restore(self.services) and "://" not in self.services.location)
        admin.addAction(self.move_action)

    def _build_view_menu(self) -> None:
        privacy = self._action("Hide &names", "actionPrivacy", "Ctrl+Shift+P")
        privacy.setCheckable(True)
        privacy.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        privacy.setToolTip("Hide patients' names on screen at once (Ctrl+Shift+P)")
        privacy.toggled.connect(self.set_private)
        self.privacy_action = privacy
        lock_now = self._action("&Lock now", "actionLock", "Ctrl+L")
        lock_now.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)  # from a session editor too
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
        self.browser.apply_permissions()
        self.patient_panel.apply_permissions()
        for action, item in self.manager_actions.items():
            item.setEnabled(access.may(action))
            item.setVisible(access.may(action))
        user = access.user
        if user is not None:
            roles = ", ".join(sorted(role.label for role in user.roles))
            where = self.statusBar().currentMessage().split("Database: ")[-1]
            self.statusBar().showMessage(f"Signed in as {user.display_name} ({roles}) · Database: {where}")
            if not access.may(Action.VIEW_PATIENT):
                self.patient_panel.show_message(
                    f"Signed in as {user.display_name} ({roles}): users and settings are in the Admin menu."
                )

    # --- the idle lock and the privacy key (the lock controller decides; the window follows) ----
    @property
    def locked(self) -> bool:
        return self.lock_controller.locked

    @property
    def private(self) -> bool:
        return self.lock_controller.private

    @property
    def idle_minutes(self) -> int:
        return self.lock_controller.idle_minutes

    @idle_minutes.setter
    def idle_minutes(self, minutes: int) -> None:
        self.lock_controller.idle_minutes = minutes

    def check_idle(self) -> None:
        self.lock_controller.check_idle()

    def lock(self) -> None:
        """Lock now (Ctrl+L): the lock screen and the audit trail say it was the person's choice."""
        self.lock_controller.lock(manual=True)

    def unlock(self, password: str) -> bool:
        return self.lock_controller.unlock(password)

    def set_private(self, private: bool) -> None:
        """The privacy key: names hidden on screen at once (initials and chart numbers stay)."""
        self.lock_controller.set_private(private)

    def _lock_changed(self, locked: bool) -> None:
        self.menuBar().setEnabled(not locked)
        self.timers.set_private(locked or self.private)
        if not locked:
            self.timers.reload()

    def _privacy_changed(self, private: bool) -> None:
        if self.privacy_action.isChecked() != private:
            self.privacy_action.setChecked(private)
        form = self.patient_dialog
        if private and form is not None and shiboken6.isValid(form) and form.isVisible():
            form.hide()  # it shows a name in every field; it comes back with the names
            self._form_hidden_by_privacy = form
        elif not private and self._form_hidden_by_privacy is not None:
            if shiboken6.isValid(self._form_hidden_by_privacy) and not self.locked:
                self._form_hidden_by_privacy.show()
            self._form_hidden_by_privacy = None
        for dialog in self.dialogs:
            if hasattr(dialog, "set_private"):
                dialog.set_private(private)  # the registers list patients
        self.timers.set_private(private or self.locked)

    # --- the manager's and the administrator's windows ----------------------------------
    # (imported when first opened: a clinician's start-up never loads them)
    def adverse_register(self) -> QDialog:
        from needlelog.ui.dialogs.adverse_events import AdverseRegisterDialog

        return self._open_dialog(AdverseRegisterDialog(self.services, self))

    def needle_lots(self) -> QDialog:
        from needlelog.ui.dialogs.needle_lots import NeedleLotsDialog

        return self._open_dialog(NeedleLotsDialog(self.services, self))

    def audit_trail(self) -> QDialog:
        from needlelog.ui.dialogs.audit_trail import AuditDialog

        return self._open_dialog(AuditDialog(self.services, self))

    def dashboard(self) -> QDialog:
        from needlelog.ui.dialogs.dashboard import DashboardDialog

        dialog = DashboardDialog(self.services, self)
        dialog.open_note.connect(self.open_session)
        return self._open_dialog(dialog)

    def about(self) -> QDialog:
        from needlelog.ui.dialogs.about import AboutDialog

        return self._open_dialog(AboutDialog(self.services, self))

    def manage_users(self) -> QDialog:
        from needlelog.ui.dialogs.users import UsersDialog

        return self._open_dialog(UsersDialog(self.services, self))

    def settings(self) -> QDialog:
        from needlelog.ui.dialogs.settings import SettingsDialog

        dialog = SettingsDialog(self.services, self)
        dialog.accepted.connect(self.lock_controller.read_idle_minutes)
        return self._open_dialog(dialog)

    def restore_backup(self) -> QDialog | None:
        from needlelog.ui.dialogs.restore_dialog import RestoreDialog, restore_into

        if not may_restore(self.services):
            return None
        dialog = RestoreDialog(self.services, self)
        dialog.restore_chosen.connect(lambda info: restore_into(self, info))
        return self._open_dialog(dialog)

    def move_to_server(self) -> QDialog | None:
        from needlelog.ui.dialogs.move_to_server import MoveToServerDialog

        if not may_restore(self.services):  # the administrator's, as a restore is
            return None
        return self._open_dialog(MoveToServerDialog(self.services, self))

    def _open_dialog(self, dialog: QDialog) -> QDialog:
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _result: self.dialogs.remove(dialog) if dialog in self.dialogs else None)
        dialog.open()  # window-modal, never a nested event loop
        return dialog

    def export_notes(self) -> ExportDialog:
        """Open the export dialog (or bring forward the one already open, which may be exporting)."""
        from needlelog.ui.dialogs.export_dialog import ExportDialog

        dialog = self.export_dialog
        if dialog is None or not dialog.isVisible():
            if dialog is not None:
                dialog.deleteLater()
            dialog = ExportDialog(self.services, self)
            self.export_dialog = dialog
            dialog.open()  # window-modal, never a nested event loop
        dialog.activateWindow()
        return dialog

    # --- the patient browser and the patient panel ---------------------------------------
    def focus_search(self) -> None:
        self.browser.focus_search()

    def run_search(self, text: str) -> None:
        self.browser.run_search(text)

    def show_patient(self, patient_id: int | None) -> None:
        self.patient_panel.show_patient(patient_id)

    @property
    def current_patient(self) -> Patient | None:
        return self.patient_panel.current

    def new_patient(self) -> PatientDialog | None:
        if not self.services.access.may(Action.EDIT_PATIENT):
            self.patient_panel.show_message("Registering patients is for clinicians.")
            return None
        return self._patient_dialog(None)

    def edit_patient(self) -> PatientDialog | None:
        if not self.services.access.may(Action.EDIT_PATIENT):
            self.patient_panel.show_message("Editing patients is for clinicians.")
            return None
        current = self.current_patient
        return self._patient_dialog(current) if current is not None else None

    def _patient_dialog(self, patient: Patient | None) -> PatientDialog:
        from needlelog.ui.dialogs.patient_dialog import PatientDialog

        dialog = PatientDialog(self.services, patient, self)
        dialog.saved.connect(self._patient_saved)
        self.patient_dialog = dialog
        dialog.open()  # window-modal, and never a nested event loop
        return dialog

    def _patient_saved(self, patient: Patient) -> None:
        self.browser.look_up(patient.chart_number)  # lists the patient, selected
        self.patient_panel.show_patient(patient.id)
        # Back to the chart, ready for the next step: "New session" (Enter) or Ctrl+N.
        self.activateWindow()
        self.patient_panel.focus_new_session()

    # --- the open editors ----------------------------------------------------------------
    @property
    def editors(self) -> dict[int, SessionEditor]:
        return self.open_editors.editors

    def new_session(self) -> SessionEditor | None:
        draft = self.patient_panel.start_draft(self.services.sessions.new_draft)
        return self.open_session(draft.id or 0) if draft is not None else None

    def copy_last_session(self) -> SessionEditor | None:
        """The last session copied into an editor, not stored until the clinician changes something in it."""
        draft = self.patient_panel.start_draft(self.services.sessions.copy_of_last)
        return self.open_editors.open_unsaved(draft) if draft is not None else None

    def open_session(self, session_id: int) -> SessionEditor | None:
        """Open (or bring forward) the editor of one session."""
        return self.open_editors.open_session(session_id)

    def reopen_drafts(self) -> list[SessionEditor]:
        """Reopen the drafts that were open when the program last stopped (a crash, a power cut)."""
        return self.open_editors.reopen_drafts()

    def stop_timer(self, timer: RunningTimer) -> None:
        """Stop from the dock: through the open editor when there is one; never while locked."""
        if self.locked:
            self.lock_controller.say("Give your password to stop a timer: the needles' times are kept.")
            return
        self.open_editors.stop_timer(timer)

    def _session_changed(self, session: TreatmentSession) -> None:
        self.timers.reload()
        self.patient_panel.session_changed(session)

    # --- signing out and quitting ----------------------------------------------------------
    def sign_out(self) -> bool:
        """Back to the sign-in window without quitting (SPEC §4): every draft saved and its editor closed,
        audited; running timers are stored instants and go on in the sign-in window, then the next dock.

        From the lock screen too (the next person at a shared PC): the drafts were saved as it locked, and no
        password is asked, since signing out shows nothing. Refused (nothing changed) when a draft holds changes
        that could not be stored: their author must unlock to keep them (the reason is on screen).
        """
        if self.locked and self.open_editors.unsaved_changes():
            self.lock_controller.say(
                f"{self.services.access.user.display_name if self.services.access.user else 'The signed-in person'}"
                " has a draft with changes not yet stored; unlock to keep them before signing out."
            )
            return False
        if not self.open_editors.close_all(forget=True):
            return False
        for dialog in [self.patient_dialog, self.export_dialog, *self.dialogs]:
            if dialog is not None and shiboken6.isValid(dialog):
                dialog.reject()  # an export is cancelled: only complete files stay
        with contextlib.suppress(NeedlelogError):
            self.services.accounts.sign_out(from_lock=self.locked)  # audited; forgotten even if it cannot be
        self._signing_out = True
        self.lock_controller.stop()
        self.timers.hide()  # no name stays on screen for the next person
        self.signed_out.emit()  # the sign-in window shows before this one closes
        self.close()
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._signing_out:
            super().closeEvent(event)
            return
        # No alarm sounds while the program is closed: one question when needles are in.
        if not quit_question.quit_anyway(self, self.timers.timers, names_hidden=self.private or self.locked):
            event.ignore()
            return
        # Closing the program saves every open draft; drafts stay listed so that they reopen.
        if not self.open_editors.close_all():
            event.ignore()
            return
        if self.export_dialog is not None:
            self.export_dialog.reject()  # cancels a running export: only complete files stay
        super().closeEvent(event)
        self.closed.emit()
