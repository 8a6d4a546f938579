"""The printed note: the visit note as a PDF, saved where the clinician chooses or opened in the viewer; and the
patient's aftercare sheet, opened in the viewer in one action (a button, Ctrl+Shift+A) to print or save.

The draft is saved first, so the note and the sheet print what is on screen (a draft prints DRAFT).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import QPushButton, QWidget

from needlelog.domain.errors import NeedlelogError
from needlelog.paths import data_dir
from needlelog.services.store import Services
from needlelog.ui.widgets.common import named


class PrintedNote(QObject):
    """The "Save PDF…", "Open PDF" and "Aftercare sheet" buttons."""

    save_wanted = Signal()  # save the draft before it is printed
    says = Signal(str)  # where the PDF went, or why it did not, for the save state line

    def __init__(
        self,
        services: Services,
        session_id: int,
        ask_path: Callable[[str], str],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.session_id = session_id
        self.ask_path = ask_path  # where to save, given a suggested path ("" when the clinician cancels)
        # Notes opened for viewing go to the data folder (owner-only), never to a shared temporary folder.
        self.print_folder = data_dir() / "print"
        self.pdf_button = QPushButton("Save PDF… (Ctrl+P)")
        named(self.pdf_button, "savePdf", "Save the visit note as a PDF", "Save the visit note as a PDF (Ctrl+P)")
        self.pdf_button.setMinimumHeight(38)
        self.pdf_button.clicked.connect(self.save_pdf)
        self.open_pdf_button = QPushButton("Open PDF")  # Ctrl+Shift+P is kept for the privacy key (SPEC §4)
        named(self.open_pdf_button, "openPdf", "Open the visit note as a PDF", "Open the note in the PDF viewer")
        self.open_pdf_button.setMinimumHeight(38)
        self.open_pdf_button.clicked.connect(self.open_pdf)
        self.aftercare_button = QPushButton("Aftercare sheet (Ctrl+Shift+A)")
        named(
            self.aftercare_button,
            "aftercareSheet",
            "Print the patient's aftercare sheet",
            "The patient's aftercare sheet, opened in the PDF viewer to print or save (Ctrl+Shift+A)",
        )
        self.aftercare_button.setMinimumHeight(38)
        self.aftercare_button.clicked.connect(self.open_aftercare)

    def bind_keys(self, window: QWidget) -> None:
        QShortcut(QKeySequence("Ctrl+P"), window, activated=self.save_pdf)
        QShortcut(QKeySequence("Ctrl+Shift+A"), window, activated=self.open_aftercare)

    def save_pdf(self) -> Path | None:
        """Save the draft, then write its visit note where the user chooses (a draft prints DRAFT)."""
        self.save_wanted.emit()
        if not self.session_id:
            return None  # an unsaved copy that could not be written: why is on the save state line
        suggested = self.services.exports.note_filename(self.session_id)
        target = self.ask_path(str(Path.home() / suggested))
        if not target:
            return None
        return self._write_pdf(Path(target))

    def open_pdf(self) -> Path | None:
        """Write the note to the data folder's print area and show it in the system's PDF viewer."""
        self.save_wanted.emit()
        if not self.session_id:
            return None
        folder = self.print_folder
        folder.mkdir(parents=True, exist_ok=True)
        written = self._write_pdf(folder / self.services.exports.note_filename(self.session_id))
        if written is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(written)))
        return written

    def open_aftercare(self) -> Path | None:
        """Write the visit's aftercare sheet to the print area and show it in the viewer (audited by the service)."""
        self.save_wanted.emit()
        if not self.session_id:
            return None
        try:
            folder = self.print_folder
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / self.services.exports.aftercare_filename(self.session_id)
            written = self.services.exports.export_aftercare(self.session_id, target)
        except NeedlelogError as exc:
            self.says.emit(f"Aftercare sheet not written: {exc}")
            return None
        except OSError as exc:
            self.says.emit(f"Aftercare sheet not written: cannot use {self.print_folder} ({exc.strerror}).")
            return None
        self.says.emit(f"Aftercare sheet written: {written}")
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(written)))
        return written

    def _write_pdf(self, target: Path) -> Path | None:
        try:
            written = self.services.exports.export_note(self.session_id, target)
        except NeedlelogError as exc:
            self.says.emit(f"PDF not written: {exc}")
            return None
        self.says.emit(f"PDF written: {written}")
        return written
