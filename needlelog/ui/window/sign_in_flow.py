"""From the sign-in window to the main window and back (SPEC §4): one person signs out, the next signs in,
and the program never stops in between, so running dwell timers go on counting and sounding.

The composition root (``app.py``) makes one :class:`SignInFlow` and quits when it says so; tests drive the
same flow with the real dialogs and windows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from needlelog.domain.errors import NeedlelogError
from needlelog.ui.dialogs.login_dialog import FirstAdminDialog, LoginDialog

if TYPE_CHECKING:  # loaded once someone signs in: the sign-in window shows before the chart and the main window
    from needlelog.services.encryption import Unlocked
    from needlelog.services.store import Services
    from needlelog.services.workspace import OpenDrafts
    from needlelog.ui.main_window import MainWindow


def show_window(window: MainWindow) -> None:
    window.show()
    window.reopen_drafts()


class SignInFlow(QObject):
    """Sign in, a main window as that person, sign out, sign in again, until someone quits."""

    window_opened = Signal(object)  # the MainWindow of the person who signed in
    quit_requested = Signal()  # the main window closed, or the sign-in was cancelled: the program ends

    def __init__(
        self,
        services: Services | None,
        open_drafts: Callable[[], OpenDrafts | None] = lambda: None,
        hint: str = "",
        show: Callable[[MainWindow], None] = show_window,
    ) -> None:
        super().__init__()
        self.services = services
        self.open_drafts = open_drafts
        self.hint = hint
        self.show = show
        self.window: MainWindow | None = None
        self.dialog: QDialog | None = None
        self._retired: list[QWidget] = []
        # The composition root's (app.py): an encrypted chart opened with the password typed; and the chart's
        # file encrypted once its key holder is signed in (the services of the chart as it is then).
        self.opener: Callable[[str, str], Unlocked] | None = None
        self.encrypt: Callable[[Services], Services] = lambda services: services
        self.not_encrypted: Callable[[Services], str] = lambda services: ""  # why not, told to an administrator
        self.encryption_problem: str | None = None  # the file's encryption failed (it stays plain), in words

    def start(self) -> None:
        """The first start creates the administrator; every other start signs someone in. Without the chart
        yet (the program's start, issue 14), the sign-in window shows now and :meth:`attach` follows."""
        if self.services is not None and self.services.accounts.needs_admin():
            self._first_admin(self.services)
        else:
            self.sign_in()

    def attach(self, services: Services) -> None:
        """The chart, opened behind the sign-in window: its name and timers there, or, on the very first
        start, the administrator's dialog in its place."""
        self.services = services
        if services.accounts.needs_admin():
            if self.dialog is not None:
                self.dialog.hide()  # no account to sign in with yet
            self._retire(self.dialog)
            self._first_admin(services)
        elif isinstance(self.dialog, LoginDialog):
            clinic = services.clinic.clinic_or_none()
            self.dialog.attach(services, clinic.name if clinic else "")

    def open_with_password(self, opener: Callable[[str, str], Unlocked]) -> None:
        """The chart is encrypted: the sign-in window opens it with the password typed (:meth:`attach` follows)."""
        self.opener = opener
        if isinstance(self.dialog, LoginDialog):
            self.dialog.open_with_password(opener)

    def _first_admin(self, services: Services) -> None:
        first = FirstAdminDialog(services)
        first.accepted.connect(self._recovery_key_then_sign_in)
        first.rejected.connect(self.quit_requested)
        self.dialog = first
        first.show()

    def _recovery_key_then_sign_in(self) -> None:
        """The first administrator made the chart key: the chart's file is encrypted at once (it is nearly empty),
        its recovery key is shown once, then the sign-in."""
        if self.services is not None:
            self.services = self.encrypt(self.services)
        shown = self._show_recovery_key(None)
        if shown is None:
            self.sign_in()
            return
        self._retire(self.dialog)
        shown.accepted.connect(self.sign_in)
        shown.rejected.connect(self.sign_in)
        self.dialog = shown

    def _show_recovery_key(self, parent: QWidget | None) -> QDialog | None:
        """The recovery key made with the chart key, shown once (issue 13); None when none was made here."""
        recovery = self.services.accounts.take_recovery_key() if self.services is not None else None
        if recovery is None or self.services is None:
            return None
        from needlelog.ui.dialogs.recovery_key import RecoveryKeyDialog

        try:  # after an upgrade, every other account is still without a copy of the key: say what that means
            waiting = self.services.accounts.without_key()
        except NeedlelogError:
            waiting = []
        made = self.services.clock().astimezone()
        dialog = RecoveryKeyDialog(recovery, self.services.location, made, parent, waiting)
        dialog.show()
        dialog.activateWindow()
        return dialog

    def sign_in(self) -> LoginDialog:
        self._retire(self.dialog)  # the first start's dialog, answered
        clinic = self.services.clinic.clinic_or_none() if self.services is not None else None
        dialog = LoginDialog(self.services, clinic.name if clinic else "", self.hint)
        if self.services is None and self.opener is not None:
            dialog.open_with_password(self.opener)
        dialog.accepted.connect(self._signed_in)
        dialog.rejected.connect(self._cancelled)
        self.dialog = dialog
        dialog.show()
        dialog.activateWindow()
        return dialog

    def _signed_in(self) -> None:
        from needlelog.domain.vocab import Role
        from needlelog.ui.editor.server_away import save_kept_drafts
        from needlelog.ui.main_window import MainWindow

        assert self.services is not None  # a sign-in is accepted only once the chart is open
        self.services = self.encrypt(self.services)  # a key holder signed in: the file, once every account can
        user = self.services.access.user
        # A clinician charts as themself; a manager or an administrator sees the chart without charting.
        clinician = user if user is not None and Role.CLINICIAN in user.roles else None
        kept = save_kept_drafts(self.services)  # before the editors reopen: they read what it stores
        window = MainWindow(self.services, clinician, self.open_drafts())
        problem, self.encryption_problem = self.encryption_problem, None
        said = " ".join(words for words in (kept, problem, self.not_encrypted(self.services)) if words)
        if said:
            window.statusBar().showMessage(said)
        window.signed_out.connect(self._signed_out)
        window.closed.connect(self.quit_requested)
        self.window = window
        self._retire(self.dialog)  # its timers are this window's dock's now
        self.dialog = None
        self.show(window)
        self._show_recovery_key(window)  # made at this sign-in: the first administrator's after an upgrade
        self.window_opened.emit(window)

    def _signed_out(self) -> None:
        window, self.window = self.window, None
        self.sign_in()
        self._retire(window)  # after it has closed: its dock stops, its idle watch is already off

    def _retire(self, widget: QWidget | None) -> None:
        """Delete a window once control is back in the event loop, holding it until then: it is asking to go
        from inside its own signal (a button of the dialog, an action of the window), and Python dropping the
        last reference would delete it there."""
        self._retired = [w for w in self._retired if shiboken6.isValid(w)]
        if widget is not None:
            self._retired.append(widget)
            widget.deleteLater()

    def _cancelled(self) -> None:
        """Cancel on the sign-in window ends the program, asking first when timers run (no alarm after)."""
        from needlelog.ui.window import quit_question  # its message box is not loaded before the window

        dialog = self.dialog
        timers = dialog.timers.timers if isinstance(dialog, LoginDialog) and dialog.timers is not None else []
        if dialog is not None and not quit_question.quit_anyway(dialog, timers, names_hidden=True):
            dialog.show()
            return
        self.quit_requested.emit()
