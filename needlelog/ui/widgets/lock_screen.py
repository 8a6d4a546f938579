"""The idle lock (SPEC §4): after the clinic's idle minutes every patient detail is hidden until the
signed-in person gives their password again.

:class:`IdleWatch` notes the time of the last key or mouse action anywhere in the program (an event
filter on the application), against the program's clock, so that tests move time instead of waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from needlelog.ui.widgets.common import html, named
from needlelog.ui.widgets.fields import ERROR_STYLE

ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleWatch(QObject):
    """When the person last pressed a key, clicked or scrolled."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.clock = clock
        self.last = clock()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY:
            self.last = self.clock()
        return False

    def idle_seconds(self) -> float:
        return (self.clock() - self.last).total_seconds()


class LockScreen(QWidget):
    """What the main window shows while locked: who is signed in, and the password field."""

    unlock_requested = Signal(str)
    sign_out_requested = Signal()  # someone else is at the PC: back to the sign-in window

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.setAccessibleName("Locked")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = QLabel("<h2>needlelog is locked</h2>")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        self.who = QLabel("")
        self.who.setAlignment(Qt.AlignmentFlag.AlignCenter)
        named(self.who, "lockedUser", "Signed in")
        layout.addWidget(self.who)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("password")
        self.password.setMaximumWidth(320)
        named(self.password, "unlockPassword", "Password to unlock")
        self.password.returnPressed.connect(self._unlock)
        layout.addWidget(self.password, 0, Qt.AlignmentFlag.AlignCenter)
        self.button = QPushButton("Unlock")
        named(self.button, "unlockButton", "Unlock")
        self.button.clicked.connect(self._unlock)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignCenter)
        self.sign_out = QPushButton("Not you? Sign out")
        named(
            self.sign_out,
            "lockSignOut",
            "Sign out",
            "Back to the sign-in window for the next person; the drafts were saved as it locked (Ctrl+Shift+Q)",
        )
        self.sign_out.setFlat(True)
        self.sign_out.clicked.connect(self.sign_out_requested)
        layout.addWidget(self.sign_out, 0, Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel("")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setStyleSheet(ERROR_STYLE)
        named(self.message, "unlockMessage", "Unlock message")
        layout.addWidget(self.message)
        layout.addStretch(2)

    def show_for(self, display_name: str, minutes: int, locked_at: datetime | None = None) -> None:
        """Who is signed in and why it locked: after ``minutes`` idle, or by hand at ``locked_at`` (Ctrl+L)."""
        name = html(display_name)
        why = (
            f"Locked by {name} at {locked_at.astimezone():%H:%M}"
            if locked_at
            else f"Locked after {minutes} minutes without use"
        )
        self.who.setText(f"{why}. {name}: give your password to go on.")
        self.message.clear()
        self.password.clear()
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def _unlock(self) -> None:
        password = self.password.text()
        self.password.clear()
        self.unlock_requested.emit(password)
