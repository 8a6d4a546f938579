"""The lock controller: the idle lock (SPEC §4), Ctrl+L, the lock screen and the privacy key (Ctrl+Shift+P).

It owns the window's two pages, the chart and, in front of it while the program is locked, the
lock screen. Locking hides every other window of the program (editors, forms, question boxes) and
shows them again after the password; the window's own menus and the timers' names follow its signals.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDockWidget, QMenu, QStackedWidget, QToolTip, QWidget

from needlelog.domain.errors import NeedlelogError
from needlelog.services.store import Services
from needlelog.ui.widgets.lock_screen import IdleWatch, LockScreen

IDLE_CHECK_MS = 5000


def _hidden_by_lock(window: QWidget) -> bool:
    """Windows the lock hides: everything but menus, tooltips and the dock of timers (it only loses names)."""
    if isinstance(window, QMenu | QDockWidget):
        return False
    return window.windowType() not in (Qt.WindowType.ToolTip, Qt.WindowType.Popup)


class LockController(QObject):
    """Whether names are on screen: locked (nothing shown until the password) or private (initials only)."""

    about_to_lock = Signal()  # drafts are saved before anything is hidden
    lock_changed = Signal(bool)  # True: locked, every patient detail hidden
    privacy_changed = Signal(bool)  # True: names hidden, initials and chart numbers stay

    def __init__(self, services: Services, window: QWidget, content: QWidget) -> None:
        super().__init__(window)  # no reference back to the window: it is this object's parent
        self.services = services
        self.locked = False
        self.private = False
        self._hidden_while_locked: list[QWidget] = []
        # The chart and, in front of it while the program is locked, the lock screen.
        self.pages = QStackedWidget()
        self.pages.setObjectName("mainPages")
        self.pages.addWidget(content)
        self.content = content
        self.lock_screen = LockScreen()
        self.lock_screen.unlock_requested.connect(self.unlock)
        self.pages.addWidget(self.lock_screen)

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

    def read_idle_minutes(self) -> None:
        """The clinic's idle-lock minutes, read again (after the settings were saved)."""
        self.idle_minutes = self.services.accounts.idle_lock_minutes()

    def check_idle(self) -> None:
        # The window is held while its timer's answer runs: one whose last reference is a cycle
        # (a closed test's) could otherwise be collected halfway through a lock.
        window = self.parent()
        if self.locked or self.services.access.user is None or window is None:
            return
        if self.idle.idle_seconds() >= self.idle_minutes * 60:
            self.lock()

    def stop(self) -> None:
        """The window signs out: its idle watch no longer sees the program's keys and clicks."""
        self._idle_check.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.idle)

    def say(self, text: str) -> None:
        """A word on the lock screen (why something waits for the password)."""
        self.lock_screen.message.setText(text)

    def lock(self, manual: bool = False) -> None:
        """Hide every patient detail until the password is given again; drafts are saved first.

        ``manual``: the person locked it (Ctrl+L), and the screen and the audit trail say so.
        The screen is hidden before anything that could fail (the audit row): a chart that cannot
        be written must not keep a name on screen.
        """
        user = self.services.access.user
        window = self.parent()  # every window but this one is hidden
        if self.locked or user is None:
            return
        self.about_to_lock.emit()
        self.locked = True
        self.pages.setCurrentWidget(self.lock_screen)
        self.lock_changed.emit(True)
        QToolTip.hideText()
        self._hidden_while_locked = [
            w
            for w in QApplication.topLevelWidgets()
            if w is not window and w.isVisible() and w.isWindow() and _hidden_by_lock(w)
        ]
        for widget in self._hidden_while_locked:
            widget.hide()
        try:
            self.services.accounts.lock(manual)  # audited, and the services refuse everything until unlocked
        except NeedlelogError:
            self.services.access.locked = True  # refused all the same, even if the audit row could not be written
        self.lock_screen.show_for(user.display_name, self.idle_minutes, self.services.clock() if manual else None)

    def unlock(self, password: str) -> bool:
        if not self.locked:
            return True
        try:
            unlocked = self.services.accounts.unlock(password)
        except NeedlelogError as exc:
            self.say(str(exc))
            return False
        if not unlocked:
            self.say("Wrong password." if password else "Give your password.")
            return False
        self.locked = False
        self.idle.last = self.services.clock()
        self.pages.setCurrentWidget(self.content)
        for widget in self._hidden_while_locked:
            if shiboken6.isValid(widget):  # a question box hidden by the lock has closed, and is gone
                widget.show()
        self._hidden_while_locked = []
        self.lock_changed.emit(False)
        return True

    def set_private(self, private: bool) -> None:
        """The privacy key: names hidden on screen at once (initials and chart numbers stay)."""
        self.private = private
        self.privacy_changed.emit(private)
