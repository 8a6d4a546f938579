"""The chart's recovery key, shown once (issue 13): when the chart key is made (the first administrator, or the
first administrator's sign-in after an upgrade), to be printed or saved and kept away from the PC."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from needlelog.ui.widgets.common import named

EXPLAINED = (
    "This is the chart's recovery key. It is shown this once and kept nowhere on this PC. Print it or save it, "
    "and keep it locked away from the PC (its letters are A to Z and the digits 2 to 7: no zero, no one). "
    "The day every administrator's password is lost, `needlelog recover --db CHART --user NAME` sets a new "
    "password with it."
)


def recovery_text(recovery_key: str, location: str, at: datetime) -> str:
    """What is printed or saved: the key, the chart it opens and when it was made."""
    return (
        "needlelog — the chart's recovery key\n\n"
        f"Recovery key: {recovery_key}\n"
        f"Chart: {location}\n"
        f"Made: {at:%Y-%m-%d %H:%M}\n\n"
        "Keep this away from the PC. With it, `needlelog recover --db CHART --user NAME` sets a new password\n"
        "for an account when every administrator's password is lost.\n"
    )


def without_key_words(names: Sequence[str], givers: Sequence[str] = (), *, holds_key: bool = True) -> str:
    """What an administrator is told of the accounts that hold no copy of the chart key (after an upgrade: every
    account but theirs), in the Users window and beside the recovery key; empty when there are none. ``givers``:
    the administrators who hold a copy (only they give one, by setting a password); ``holds_key``: whether the
    one reading does."""
    if not names:
        return ""
    who = ", ".join(names)
    said = f"{who} {'has' if len(names) == 1 else 'have'} no key to the chart yet and can keep charting meanwhile: "
    holders = f"{', '.join(givers)} hold{'s' if len(givers) == 1 else ''} it" if givers else ""
    if holds_key:
        return (
            said
            + "each gets its key at the next password an administrator sets for it in Users"
            + (f" ({holders})." if holders else ".")
        )
    return said + (
        "you hold no copy yourself, so a password you set gives none; an administrator who holds it"
        + (f" ({holders})" if holders else "")
        + " gives each its key by setting its password in Users."
    )


def password_set_words(username: str, holds_key: bool, givers: Sequence[str]) -> str:
    """What the Users window says once a password is set: by an administrator without a copy, none was given."""
    if holds_key:
        return f"New password set for {username}: they sign in with it from now on."
    by = ", ".join(givers) if givers else "an administrator who holds it"
    return (
        f"New password set for {username}: they sign in with it from now on, still without a copy of the chart key "
        f"(you hold none to give): {by} can give one by setting their password."
    )


class RecoveryKeyDialog(QDialog):
    """The recovery key in large letters, Print…, Save to a file…, and Done once the person says it is kept."""

    def __init__(
        self,
        recovery_key: str,
        location: str,
        made: datetime,
        parent: QWidget | None = None,
        without_key: Sequence[str] = (),
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryKeyDialog")
        self.setAccessibleName("The chart's recovery key")
        self.setWindowTitle("needlelog — the chart's recovery key")
        self.text = recovery_text(recovery_key, location, made)  # the program's one clock, not the wall
        layout = QVBoxLayout(self)
        intro = QLabel(EXPLAINED)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.without_key = QLabel(without_key_words(without_key))
        self.without_key.setWordWrap(True)
        named(self.without_key, "recoveryWithoutKey", "Accounts without a key yet")
        self.without_key.setVisible(bool(without_key))
        layout.addWidget(self.without_key)
        self.key = QLineEdit(recovery_key)
        self.key.setReadOnly(True)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(font.pointSize() + 4)
        font.setWeight(QFont.Weight.Bold)
        self.key.setFont(font)
        named(self.key, "recoveryKey", "Recovery key")
        layout.addWidget(self.key)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        named(self.message, "recoveryMessage", "Recovery key message")
        self.message.hide()  # shown with its first words
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        self.print_button = QPushButton("Print…")
        named(self.print_button, "recoveryPrint", "Print the recovery key")
        self.save_button = QPushButton("Save to a file…")
        named(self.save_button, "recoverySave", "Save the recovery key to a file")
        self.print_button.clicked.connect(self.print_key)
        self.save_button.clicked.connect(self.save_key)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.kept = QCheckBox("I have printed or saved the recovery key")
        named(self.kept, "recoveryKept", "Recovery key kept")
        layout.addWidget(self.kept)
        self.done_button = QPushButton("Done")
        named(self.done_button, "recoveryDone", "Done")
        self.done_button.setEnabled(False)
        self.kept.toggled.connect(self.done_button.setEnabled)
        self.done_button.clicked.connect(self.accept)
        layout.addWidget(self.done_button)
        self.setMinimumWidth(560)

    def _say(self, words: str) -> None:
        self.message.setText(words)
        self.message.show()

    def print_key(self) -> None:
        printer = QPrinter()
        if QPrintDialog(printer, self).exec() != QDialog.DialogCode.Accepted:
            return
        document = QTextDocument()
        document.setPlainText(self.text)
        document.print_(printer)
        self._say("Sent to the printer.")
        self.kept.setChecked(True)

    def save_key(self) -> None:
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Save the recovery key", str(Path.home() / "needlelog-recovery-key.txt"), "Text (*.txt)"
        )
        if not chosen:
            return
        try:
            descriptor = os.open(chosen, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # owner-only
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(self.text)
        except OSError as exc:
            self._say(f"The recovery key could not be saved in {chosen} ({exc.strerror}); choose another.")
            return
        self._say(f"Saved in {chosen}. Move it off this PC (a USB key kept locked away).")
        self.kept.setChecked(True)

    def reject(self) -> None:
        """Escape or the window's close button: the key is never seen again, so it asks to be kept first."""
        if self.kept.isChecked():
            super().reject()
            return
        self._say("Print or save the recovery key first: it is not shown again.")
