"""Help → About needlelog: the version, the chart in use and its schema, the licence and the third-party notices.

Shown with ``open()`` (window-modal, never a nested event loop). The licence and the notices are read from the
files beside the program (:func:`needlelog.paths.licence_file`, :func:`needlelog.paths.notices_file`): the
packaged program carries both; a checkout has the licence, and the notices once ``packaging/notices.py`` wrote them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from needlelog import __version__
from needlelog.domain.errors import NeedlelogError
from needlelog.paths import licence_file, notices_file
from needlelog.services.store import Services
from needlelog.ui.widgets.common import named
from needlelog.ui.widgets.forms import button, close_row

LICENCE_LINE = "MIT License · Copyright (c) 2026 the needlelog authors"
NO_NOTICES = (
    "The third-party notices (THIRD-PARTY-NOTICES.txt) are written into the packaged program when it is built; "
    "this copy was not built that way. In a checkout, `python packaging/notices.py THIRD-PARTY-NOTICES.txt` "
    "writes them beside the LICENSE."
)


def read_text(path: Path, missing: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return missing


class AboutDialog(QDialog):
    """What this program is, which chart it has open, and under which licences it and its parts are used."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "aboutDialog", "About needlelog")
        self.setWindowTitle("About needlelog")
        self.resize(760, 560)
        layout = QVBoxLayout(self)
        title = QLabel(f"<h2>needlelog {__version__}</h2>Dry needling / IMS charts and signed visit notes.")
        layout.addWidget(named(title, "aboutTitle", "needlelog and its version"))
        facts = QFormLayout()
        layout.addLayout(facts)
        self.version_label = self._fact(facts, "Version:", "aboutVersion", __version__)
        self.database_label = self._fact(facts, "Database:", "aboutDatabase", services.location)
        self.schema_label = self._fact(facts, "Schema:", "aboutSchema", self._schema_text(services))
        self.licence_label = self._fact(facts, "Licence:", "aboutLicence", LICENCE_LINE)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        named(self.text, "aboutText", "Licence text")
        layout.addWidget(self.text, 1)
        closing, self.close_button = close_row(self, "about")
        self.licence_button = button("&Licence", "aboutShowLicence", "Show needlelog's licence")
        self.notices_button = button("Third-party &notices", "aboutShowNotices", "Show the third-party notices")
        self.licence_button.clicked.connect(self.show_licence)
        self.notices_button.clicked.connect(self.show_notices)
        closing.insertWidget(0, self.notices_button)
        closing.insertWidget(0, self.licence_button)
        layout.addLayout(closing)
        self.show_licence()

    def _fact(self, form: QFormLayout, label: str, name: str, value: str) -> QLabel:
        shown = QLabel(value)
        shown.setWordWrap(True)
        shown.setTextFormat(Qt.TextFormat.PlainText)  # a path or a URL is shown as written
        shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(label, named(shown, name, label.rstrip(":")))
        return shown

    @staticmethod
    def _schema_text(services: Services) -> str:
        try:
            chart, program = services.schema()
        except NeedlelogError as exc:
            return str(exc)
        if chart == program:
            return f"{chart} (this program's)"
        return f"{chart} (this program's is {program})"

    def show_licence(self) -> None:
        self.text.setAccessibleName("Licence text")
        self.text.setPlainText(read_text(licence_file(), f"The licence file ({licence_file().name}) is missing."))

    def show_notices(self) -> None:
        self.text.setAccessibleName("Third-party notices")
        self.text.setPlainText(read_text(notices_file(), NO_NOTICES))
