"""The clinic manager's export: visit notes for a date range, a clinician or a patient, as PDFs and CSV.

The export runs on a worker thread (which itself hands the rendering to worker processes);
its progress, result and errors come back to this dialog by queued signals, so the window
stays responsive and Cancel takes effect within a fraction of a second.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.errors import NeedlelogError, ValidationError
from needlelog.services.exporting import ExportCriteria, ExportResult
from needlelog.services.store import Services
from needlelog.ui.widgets.common import day_of, named, qdate
from needlelog.ui.widgets.fields import ERROR_STYLE
from needlelog.ui.widgets.wheel_guard import guard_wheels

POLL_MS = 50


class ExportRun(QThread):
    """One export on a worker thread.

    It emits nothing from Python: the worker only stores its progress and outcome, the dialog
    reads the progress on a timer and the outcome on Qt's own ``finished`` signal (queued to the
    main thread). PySide6 6.12's ``SignalInstance.emit`` loses a reference to ``True`` on each
    call from Python, so a signal per note would crash the program after a few hundred notes.
    """

    def __init__(
        self,
        services: Services,
        criteria: ExportCriteria,
        folder: Path,
        *,
        per_visit: bool,
        combined: Path | None,
        csv: Path | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._criteria = criteria
        self._folder = folder
        self._per_visit = per_visit
        self._combined = combined
        self._csv = csv
        self._cancel = threading.Event()
        self.done = 0
        self.total = 0
        self.result: ExportResult | None = None
        self.error: BaseException | None = None

    def cancel(self) -> None:
        self._cancel.set()

    def _progress(self, done: int, total: int) -> None:
        self.total, self.done = total, done  # plain ints: read by the dialog's timer

    def run(self) -> None:
        try:
            self.result = self._services.exports.export(
                self._criteria,
                self._folder,
                per_visit=self._per_visit,
                combined=self._combined,
                csv=self._csv,
                progress=self._progress,
                cancelled=self._cancel.is_set,
            )
        except Exception as exc:  # every error goes back to the window, none is lost in a thread
            self.error = exc


class ExportDialog(QDialog):
    """Shown with ``open()`` (window-modal, never a nested event loop).

    Emits ``exported`` with the :class:`ExportResult` (also after a cancel), ``export_failed`` with
    the error's sentence.
    """

    exported = Signal(object)
    export_failed = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None, today: date | None = None) -> None:
        super().__init__(parent)
        guard_wheels()
        self.setMinimumWidth(560)
        self.services = services
        self.run: ExportRun | None = None
        self.result: ExportResult | None = None
        self.setObjectName("exportDialog")
        self.setAccessibleName("Export visit notes")
        self.setWindowTitle("Export visit notes")
        today = today or services.clock().astimezone().date()  # the clinic's day, by the program's one clock
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_which_visits(today))
        layout.addWidget(self._build_outputs())
        self._build_progress(layout)
        layout.addLayout(self._build_buttons())
        self._poll = QTimer(self)  # the progress bar follows the worker's count
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._show_progress)
        self._fields: dict[str, QWidget] = {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "clinician": self.clinician,
            "patient_chart": self.patient,
            "output": self.folder,
        }

    # --- building ------------------------------------------------------------------------------
    def _build_which_visits(self, today: date) -> QGroupBox:
        """Service dates (this month so far), clinician, patient, and whether drafts go too."""
        which = QGroupBox("Which visits")
        form = QFormLayout(which)
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for edit, name, words, day in (
            (self.date_from, "exportFrom", "From date", today.replace(day=1)),
            (self.date_to, "exportTo", "To date", today),
        ):
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setCalendarPopup(True)
            edit.setDate(qdate(day))
            named(edit, name, words)
        dates = QHBoxLayout()
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        form.addRow("Service dates", dates)
        self.clinician = QComboBox()
        named(self.clinician, "exportClinician", "Clinician")
        self.clinician.addItem("All clinicians", None)
        for person in self.services.clinic.clinicians():
            self.clinician.addItem(f"{person.display_name} ({person.username})", person.username)
        form.addRow("Clinician", self.clinician)
        self.patient = QLineEdit()
        named(self.patient, "exportPatient", "Patient chart number")
        self.patient.setPlaceholderText("Chart number (empty: every patient)")
        form.addRow("Patient", self.patient)
        self.signed_only = QCheckBox("Signed notes only")
        named(self.signed_only, "exportSignedOnly", "Signed notes only")
        self.signed_only.setChecked(True)
        self.signed_only.setToolTip("Untick to include unsigned drafts (they print with a DRAFT watermark)")
        form.addRow("", self.signed_only)
        return which

    def _build_outputs(self) -> QGroupBox:
        """The folder, one PDF per visit or one combined PDF, and the optional CSV."""
        output = QGroupBox("Write")
        out_form = QFormLayout(output)
        self.folder = QLineEdit()
        named(self.folder, "exportFolder", "Output folder")
        self.folder.setPlaceholderText("Folder for the PDFs")
        self.choose = QPushButton("Choose…")
        named(self.choose, "exportChooseFolder", "Choose output folder")
        self.choose.clicked.connect(self._choose_clicked)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.choose)
        out_form.addRow("Folder", folder_row)
        self.per_visit = QRadioButton("One PDF per visit")
        named(self.per_visit, "exportPerVisit", "One PDF per visit")
        self.combined = QRadioButton("One combined PDF (a bookmark per visit)")
        named(self.combined, "exportCombined", "One combined PDF")
        self.per_visit.setChecked(True)
        self._mode = QButtonGroup(self)
        self._mode.addButton(self.per_visit)
        self._mode.addButton(self.combined)
        out_form.addRow("PDF", self.per_visit)
        out_form.addRow("", self.combined)
        self.csv = QCheckBox("Also write a CSV file (for spreadsheets)")
        named(self.csv, "exportCsv", "Also write a CSV file")
        out_form.addRow("", self.csv)
        return output

    def _build_progress(self, layout: QVBoxLayout) -> None:
        """The progress bar, the status line and the problem line."""
        self.progress = QProgressBar()
        named(self.progress, "exportProgress", "Export progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel("")
        named(self.status, "exportStatus", "Export status")
        self.status.setWordWrap(True)
        self.error = QLabel("")
        named(self.error, "exportError", "Export problem")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.error)

    def _build_buttons(self) -> QHBoxLayout:
        """Export (the default button), Cancel (while an export runs) and Close."""
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.start = QPushButton("Export")
        named(self.start, "exportStart", "Export")
        self.start.setDefault(True)
        self.start.clicked.connect(self.start_export)
        self.cancel = QPushButton("Cancel")
        named(self.cancel, "exportCancel", "Cancel export")
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(self.cancel_export)
        self.close_button = QPushButton("Close")
        named(self.close_button, "exportClose", "Close")
        self.close_button.clicked.connect(self.reject)
        for button in (self.start, self.cancel, self.close_button):
            button.setMinimumHeight(34)
            button.setAutoDefault(False)
            buttons.addWidget(button)
        return buttons

    # --- choices ---------------------------------------------------------------------------
    def _choose_clicked(self) -> None:
        self.choose_folder()  # looked up at each click, so that a test can replace it

    def choose_folder(self) -> QFileDialog:
        """Pick the output folder in a window-modal file dialog (opened, never exec'd)."""
        chooser = QFileDialog(self, "Folder for the exported notes", self.folder.text().strip())
        named(chooser, "exportFolderChooser", "Choose output folder")
        chooser.setFileMode(QFileDialog.FileMode.Directory)
        chooser.setOption(QFileDialog.Option.ShowDirsOnly, True)
        chooser.fileSelected.connect(self.folder.setText)
        chooser.open()
        return chooser

    def criteria(self) -> ExportCriteria:
        """What is on screen, as criteria; raises :class:`ValidationError` naming the field."""
        return ExportCriteria(
            day_of(self.date_from.date()),
            day_of(self.date_to.date()),
            clinician=self.clinician.currentData(),
            patient_chart=self.patient.text(),
            include_drafts=not self.signed_only.isChecked(),
        )

    def _outputs(self, criteria: ExportCriteria) -> tuple[Path, bool, Path | None, Path | None]:
        text = self.folder.text().strip()
        if not text:
            raise ValidationError.single("output", "Choose a folder for the exported notes.")
        try:
            folder = Path(text).expanduser()
        except RuntimeError:  # "~someone" who has no home here
            folder = Path(text)
        stem = f"visit-notes_{criteria.date_from.isoformat()}_{criteria.date_to.isoformat()}"
        per_visit = self.per_visit.isChecked()
        combined = None if per_visit else folder / f"{stem}.pdf"
        csv = folder / f"{stem}.csv" if self.csv.isChecked() else None
        return folder, per_visit, combined, csv

    # --- the export --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.run is not None and self.run.isRunning()

    def start_export(self) -> ExportRun | None:
        if self.running:
            return self.run
        self.error.clear()
        self.result = None
        try:
            criteria = self.criteria()
            folder, per_visit, combined, csv = self._outputs(criteria)
            if not per_visit and not folder.is_dir():
                raise ValidationError.single("output", f"The folder {folder} does not exist.")
            matched = self.services.exports.count(criteria)
        except NeedlelogError as exc:
            self._show_error(exc)
            return None
        if not matched:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.status.setText(f"No visit notes match ({criteria.describe()}); nothing to export.")
            return None
        self.progress.setRange(0, matched)
        self.progress.setValue(0)
        self.status.setText(f"Exporting {matched} visit note{'s' if matched != 1 else ''}…")
        run = ExportRun(self.services, criteria, folder, per_visit=per_visit, combined=combined, csv=csv, parent=self)
        run.finished.connect(self._run_finished)
        self.run = run
        self._busy(True)
        run.start()
        self._poll.start()
        return run

    def cancel_export(self) -> None:
        if self.run is not None and self.running:
            self.run.cancel()
            self.cancel.setEnabled(False)
            self.status.setText("Cancelling: the files written so far are complete…")

    def _busy(self, busy: bool) -> None:
        self.start.setEnabled(not busy)
        self.cancel.setEnabled(busy)
        for widget in self._fields.values():
            widget.setEnabled(not busy)
        for widget in (self.signed_only, self.choose, self.per_visit, self.combined, self.csv):
            widget.setEnabled(not busy)
        if busy:
            self.cancel.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_progress(self) -> None:
        run = self.run
        if run is None or run.total <= 0:
            return
        if self.progress.maximum() != run.total:
            self.progress.setRange(0, run.total)
        if self.progress.value() != run.done:
            self.progress.setValue(run.done)

    def _run_finished(self) -> None:
        run = self.run
        if run is None or self.sender() is not run:
            return  # a late signal of an export the dialog already let go
        self._poll.stop()
        self._show_progress()
        run.wait()
        self.run = None
        run.deleteLater()
        self._busy(False)
        if run.result is not None:
            self._succeeded(run.result)
        else:
            self._failed(run.error or RuntimeError("the export stopped without a word"))

    def _succeeded(self, result: ExportResult) -> None:
        self.result = result
        if result.cancelled:
            self.status.setText(
                f"Cancelled. {result.written} complete PDF{'s' if result.written != 1 else ''} "
                "were written before the cancel; nothing else was."
            )
        else:
            self.progress.setValue(self.progress.maximum())
            where = [f"{result.written} PDFs in {result.files[0].parent}"] if result.files else []
            where += [str(p) for p in (result.combined, result.csv) if p is not None]
            self.status.setText(f"Exported {result.matched} visit notes: {'; '.join(where)}.")
        self.exported.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._show_error(exc)
        self.status.setText("The export stopped; the files already written are complete.")
        self.export_failed.emit(str(exc))

    def _show_error(self, exc: BaseException) -> None:
        if isinstance(exc, NeedlelogError):
            self.error.setText(" ".join(str(exc).split()))
        else:
            self.error.setText(f"The export failed unexpectedly: {exc}")
        if isinstance(exc, ValidationError):
            widget = self._fields.get(exc.fields[0])
            if widget is not None:
                widget.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- closing ------------------------------------------------------------------------------
    def _stop_run(self) -> None:
        """Closing the dialog cancels a running export and waits for it (it stops within a second)."""
        if self.run is not None:
            run = self.run
            run.cancel()
            run.wait()
            self._poll.stop()
            self.run = None  # its last queued signal, if any, is ignored
            run.deleteLater()

    def reject(self) -> None:
        self._stop_run()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._stop_run()
        super().closeEvent(event)
