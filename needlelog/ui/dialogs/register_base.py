"""What every register window shares (the adverse-event register, the audit trail, needle lots and recall, the
clinic dashboard): its services and today's date, the error labels beside the fields, a from-to date pair checked
in order, the Close row, and saving a file the person names (a window-modal chooser, never a nested event loop),
with the result or the refusal said in words. Each register adds only what it lists.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QFileDialog,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.errors import NeedlelogError
from needlelog.domain.rules import local_date
from needlelog.services.store import Services
from needlelog.ui.widgets.common import day_of, named
from needlelog.ui.widgets.forms import FieldErrors, button, close_row, date_edit, message_label


class RegisterDialog(QDialog):
    """A register window: ``prefix`` begins the object names of its parts (``auditFrom``, ``auditClose``...)."""

    def __init__(
        self,
        services: Services,
        parent: QWidget | None,
        *,
        prefix: str,
        object_name: str,
        title: str,
        size: tuple[int, int],
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.prefix = prefix
        named(self, object_name, title)
        self.setWindowTitle(title)
        self.resize(*size)
        self.today = local_date(services.clock())
        self.general = message_label(f"{prefix}Error", "Problem", error=True)
        self.errors = FieldErrors(prefix, self.general)
        self.saved = message_label(f"{prefix}Saved", "What was saved")

    # --- building --------------------------------------------------------------------------------
    def date_pair(self, first: date, last: date) -> tuple[QDateEdit, QDateEdit]:
        self.date_from = date_edit(f"{self.prefix}From", "From date", first)
        self.date_to = date_edit(f"{self.prefix}To", "To date", last)
        return self.date_from, self.date_to

    def save_button(self, text: str, name: str, accessible: str, slot: Callable[[], object]) -> QPushButton:
        push = button(text, f"{self.prefix}{name}", accessible, accessible)
        push.clicked.connect(slot)
        return push

    def finish(self, layout: QVBoxLayout) -> None:
        """The general problem line, what was saved, and Close, at the foot of the window."""
        for line in (self.general, self.saved):  # a line of words, never the space the lists want
            line.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
            layout.addWidget(line)
        closing, self.close_button = close_row(self, self.prefix)
        layout.addLayout(closing)

    # --- reading the fields ----------------------------------------------------------------------
    def dates(self, field: str = "date_from") -> tuple[date, date] | None:
        """The two dates on screen, or None (said beside ``field``) when the first is after the last."""
        first, last = day_of(self.date_from.date()), day_of(self.date_to.date())
        if first > last:
            self.errors.refuse(field, "The from date is after the to date.")
            return None
        return first, last

    # --- saving a file ---------------------------------------------------------------------------
    def choose_file(self, caption: str, suggested: str, pattern: str, then: Callable[[Path], None]) -> QFileDialog:
        """Ask where to save (window-modal, opened, never exec'd); ``then`` gets the path chosen."""
        chooser = QFileDialog(self, caption, str(Path.home() / suggested), pattern)
        named(chooser, f"{self.prefix}FileChooser", caption)
        chooser.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        chooser.fileSelected.connect(lambda text: then(Path(text)))
        chooser.open()
        return chooser

    def save_with(self, write: Callable[[], str]) -> None:
        """Run ``write`` (a service's export; returns what it did, in words) and say the result or the refusal."""
        self.errors.clear()
        self.saved.clear()
        try:
            said = write()
        except NeedlelogError as exc:
            self.errors.show(exc)
            return
        self.saved.setText(said)


def label(text: str, object_name: str) -> QLabel:
    shown = QLabel(text)
    named(shown, object_name, text)
    return shown
