"""Signing in, and on the very first start creating the administrator (SPEC §4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.errors import NeedlelogError, ValidationError
from needlelog.ui.widgets.naming import named
from needlelog.ui.widgets.styles import ERROR_STYLE

if TYPE_CHECKING:  # the sign-in window is on screen before the chart, and its storage library, is loaded
    from needlelog.services.encryption import Unlocked
    from needlelog.services.store import Services
    from needlelog.ui.widgets.timer_dock import TimerDock


class LoginDialog(QDialog):
    """User name and password; accepted once the services have signed the account in.

    Dwell timers still running (someone signed out, or the program restarted with needles in) count and
    sound here too, without names, until the next person signs in and their dock takes them over.
    """

    def __init__(
        self, services: Services | None, clinic_name: str, hint: str = "", parent: QWidget | None = None
    ) -> None:
        """``services`` None: the window shows at once and the chart is opened behind it, while the person
        types (issue 14); :meth:`attach` gives it the chart. A sign-in asked for before that waits for it."""
        super().__init__(parent)
        self.services = services
        self.timers: TimerDock | None = None
        self._waiting = False  # Sign in pressed before the chart was open
        # An encrypted chart opens only with a password: called with the name and password typed, it opens the
        # chart (attaching it here) and returns the chart key they unwrapped, with the password's check running
        # beside (composition root: ChartOpening).
        self.opener: Callable[[str, str], Unlocked] | None = None
        self.setObjectName("loginDialog")
        self.setAccessibleName("Sign in")
        layout = QVBoxLayout(self)
        self.title = QLabel()
        layout.addWidget(self.title)
        self._show_clinic(clinic_name)
        form = QFormLayout()
        self.username = QLineEdit()
        named(self.username, "loginUser", "User name")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        named(self.password, "loginPassword", "Password")
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        layout.addLayout(form)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        named(self.message, "loginMessage", "Sign-in message")
        self.message.hide()
        layout.addWidget(self.message)
        if hint:
            note = QLabel(hint)
            note.setWordWrap(True)
            named(note, "loginHint", "Demo accounts")
            layout.addWidget(note)
        buttons = QDialogButtonBox()  # given as an argument, the buttons' overload test loads Qt's Qt namespace
        buttons.setStandardButtons(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        buttons.accepted.connect(self.sign_in)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout.addWidget(buttons)
        if services is not None:
            self.attach(services, clinic_name)
        self.username.setFocus()  # Qt's OtherFocusReason; its Qt namespace is not loaded before the window
        self.setMinimumWidth(420)

    def _show_clinic(self, clinic_name: str) -> None:
        self.setWindowTitle(f"needlelog — sign in — {clinic_name}" if clinic_name else "needlelog — sign in")
        self.title.setText(f"<b>{clinic_name or 'needlelog'}</b><br>Sign in with your own account.")

    def attach(self, services: Services, clinic_name: str) -> None:
        """The chart is open: its clinic's name, its running timers, and a sign-in that was waiting for it."""
        self.services = services
        self._show_clinic(clinic_name)
        if self.opener is None:  # an encrypted chart is opened at Enter, by the sign-in going on: no dock to show
            self._show_timers(services)
        if self._waiting:
            self._waiting = False
            self.sign_in()

    def _show_timers(self, services: Services) -> None:
        self.timers = self._timers(services)
        layout = self.layout()
        assert layout is not None
        layout.addWidget(self.timers)

    def _timers(self, services: Services) -> TimerDock:
        from needlelog.ui.widgets.timer_dock import TimerDock  # with the chart: the domain's model comes with it

        # Stopping is charting: the person signs in first, and their dock has the timer.
        timers = TimerDock(services, self, can_stop=False)
        timers.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)  # part of this window
        timers.set_private(True)  # no patient's name before anyone signs in; reads the timers
        timers.setToolTip("Sign in to stop a timer: it goes on counting and sounding until then.")
        timers.setVisible(bool(timers.timers))
        return timers

    def open_with_password(self, opener: Callable[[str, str], Unlocked]) -> None:
        """The chart is encrypted: it is opened at Enter, with the name and password typed (and a sign-in that
        was waiting for the chart goes on now)."""
        self.opener = opener
        if self._waiting:
            self._waiting = False
            self.sign_in()

    def sign_in(self) -> None:
        unlocked = None
        if self.services is None and self.opener is not None:
            try:  # the encrypted chart opens with this password (counted and audited when wrong)
                unlocked = self.opener(self.username.text(), self.password.text())
            except NeedlelogError as exc:
                self._refused(str(exc))
                return
        if self.services is None:  # pressed before the chart was open: signs in as soon as it is
            self._waiting = True
            return
        try:
            if unlocked is None:
                self.services.accounts.login(self.username.text(), self.password.text())
            else:  # the password unwrapped the chart key, and is being checked against its hash meanwhile
                self.services.accounts.login(
                    self.username.text(), self.password.text(), unlocked.chart_key, unlocked.check
                )
        except NeedlelogError as exc:
            self._refused(str(exc))
            return
        self.accept()

    def _refused(self, why: str) -> None:
        if self.services is not None and self.timers is None:  # the encrypted chart opened, the sign-in refused
            self._show_timers(self.services)
        self.message.setText(why)
        self.message.show()
        self.password.clear()
        self.password.setFocus()


class FirstAdminDialog(QDialog):
    """The first start: the administrator's account, who then adds everyone else."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setObjectName("firstAdminDialog")
        self.setWindowTitle("needlelog — first start: the administrator")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "This chart has no administrator yet. Create the administrator's account: they add the "
            "clinicians and managers and set the clinic's settings. Keep the password safe."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.username = QLineEdit("admin")
        named(self.username, "adminUser", "Administrator user name")
        self.display = QLineEdit()
        named(self.display, "adminName", "Administrator name")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        named(self.password, "adminPassword", "Password")
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        named(self.again, "adminPasswordAgain", "Password again")
        form.addRow("User name", self.username)
        form.addRow("Name", self.display)
        form.addRow("Password", self.password)
        form.addRow("Password again", self.again)
        layout.addLayout(form)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        named(self.message, "adminMessage", "Problems")
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create administrator")
        buttons.accepted.connect(self.create)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def create(self) -> None:
        if self.password.text() != self.again.text():
            self.message.setText("Password again: the two passwords differ.")
            return
        try:
            self.services.accounts.create_admin(self.username.text(), self.display.text(), self.password.text())
        except ValidationError as exc:
            self.message.setText("\n".join(p.message for p in exc.problems))
            return
        except NeedlelogError as exc:
            self.message.setText(str(exc))
            return
        self.accept()
