"""The administrator's settings (SPEC §5): the clinic's letterhead and logo, the default dwell, how long a consent
holds, the idle lock, the needle lots, and the chart's and the backups' folders.

The letterhead, the defaults and the idle lock are saved together (Save; one transaction, audited old → new by
the service); the backup folder is this PC's and changes at once, as in the restore window. Every spin box is
wheel-proof (:func:`guard_wheels`); every refusal is shown beside its field in words.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.access import IDLE_LOCK_MAX, IDLE_LOCK_MIN
from needlelog.domain.clinic_settings import LOGO_MAX_BYTES, describe_logo, logo_problem
from needlelog.domain.errors import NeedlelogError
from needlelog.domain.limits import CONSENT_VALID_MONTHS_MAX, CONSENT_VALID_MONTHS_MIN, DWELL_MAX, DWELL_MIN
from needlelog.domain.model import Clinic
from needlelog.domain.text import TEXT_LIMITS
from needlelog.services.store import Services
from needlelog.ui.widgets.common import named
from needlelog.ui.widgets.forms import FieldErrors, button, message_label
from needlelog.ui.widgets.wheel_guard import guard_wheels

UNREADABLE_LOGO = "The logo file is damaged or not a PNG or JPEG image that can be read: choose another file."
LOGO_PREVIEW = (180, 64)


def choose_logo_file(parent: QWidget | None) -> Path | None:
    """The file picker for the logo (a module function: tests answer it); None when the person cancelled."""
    chosen, _ = QFileDialog.getOpenFileName(
        parent, "The clinic's logo", str(Path.home()), "Images (*.png *.jpg *.jpeg)"
    )
    return Path(chosen) if chosen else None


def choose_backup_folder(parent: QWidget | None, start: Path) -> Path | None:
    """The folder picker for the backups (tests answer it); None when the person cancelled."""
    chosen = QFileDialog.getExistingDirectory(parent, "Folder for this chart's backups", str(start))
    return Path(chosen) if chosen else None


def _spin(object_name: str, accessible: str, low: int, high: int, suffix: str) -> QSpinBox:
    spin = QSpinBox()
    named(spin, object_name, accessible, f"{accessible}: {low} to {high}{suffix}")
    spin.setRange(low, high)
    spin.setSuffix(suffix)
    spin.setMinimumHeight(30)
    spin.setMaximumWidth(170)
    spin.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return spin


def _line(object_name: str, accessible: str, limit_key: str) -> QLineEdit:
    edit = QLineEdit()
    named(edit, object_name, accessible)
    edit.setMaxLength(TEXT_LIMITS[limit_key])
    edit.setMinimumHeight(30)
    return edit


class SettingsDialog(QDialog):
    """The clinic's settings; accepted once saved, so that the main window reads the new idle lock."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        guard_wheels()
        self.services = services
        named(self, "settingsDialog", "Settings")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(820)
        self.general = message_label("settingsError", "Problem", error=True)
        self.errors = FieldErrors("settings", self.general)
        self.clinic = Clinic(name="")
        self.logo: bytes | None = None
        grid = QGridLayout()
        grid.addWidget(self._letterhead_group(), 0, 0, 2, 1)
        grid.addWidget(self._defaults_group(), 0, 1)
        grid.addWidget(self._folders_group(), 1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        self.status = message_label("settingsStatus", "What changed")
        layout.addWidget(self.status)
        layout.addWidget(self.general)
        layout.addWidget(self._buttons())
        self._load()

    # --- the groups ------------------------------------------------------------------------------
    def _row(self, form: QFormLayout, text: str, field: str, widget: QWidget, words: str) -> None:
        """A labelled row whose underlined letter (Alt+letter) goes to ``widget``, its error label under it."""
        label = QLabel(text)
        label.setBuddy(widget)
        form.addRow(label, self.errors.beside(field, widget, words))

    def _letterhead_group(self) -> QGroupBox:
        group = QGroupBox("Letterhead (on every PDF)")
        named(group, "letterheadGroup", "Letterhead")
        form = QFormLayout(group)
        self.clinic_name = _line("clinicName", "Clinic name", "clinic.name")
        self.clinic_address = _line("clinicAddress", "Clinic address", "clinic.address")
        self.clinic_phone = _line("clinicPhone", "Clinic phone", "clinic.phone")
        self._row(form, "Clinic &name", "name", self.clinic_name, "the clinic name")
        self._row(form, "&Address", "address", self.clinic_address, "the address")
        self._row(form, "&Phone", "phone", self.clinic_phone, "the phone")
        self.logo_preview = QLabel()
        named(self.logo_preview, "logoPreview", "The letterhead's logo")
        self.logo_preview.setFixedSize(*LOGO_PREVIEW)
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setStyleSheet("QLabel { border: 1px solid #9aa5b1; background: white; }")
        self.logo_words = QLabel()
        named(self.logo_words, "logoDescription", "About the logo")
        self.logo_words.setWordWrap(True)
        self.choose_logo_button = button(
            "Choose &logo…", "chooseLogo", "Choose the logo", "A PNG or JPEG, at most 1 MB"
        )
        self.choose_logo_button.clicked.connect(self.choose_logo)
        self.remove_logo_button = button("&Remove logo", "removeLogo", "Remove the logo", "Print without a logo")
        self.remove_logo_button.clicked.connect(lambda: self.set_logo(None))
        buttons = QVBoxLayout()
        buttons.addWidget(self.logo_words)
        buttons.addWidget(self.choose_logo_button)
        buttons.addWidget(self.remove_logo_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.logo_preview, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(buttons, 1)
        holder = QWidget()
        holder.setLayout(row)
        form.addRow("Logo", self.errors.beside("logo", holder, "the logo"))
        return group

    def _defaults_group(self) -> QGroupBox:
        group = QGroupBox("Visits and the lock")
        named(group, "defaultsGroup", "Visits and the lock")
        form = QFormLayout(group)
        self.default_dwell = _spin("defaultDwell", "Default dwell", DWELL_MIN, DWELL_MAX, " minutes")
        self.consent_months = _spin(
            "consentValidMonths", "Consent validity", CONSENT_VALID_MONTHS_MIN, CONSENT_VALID_MONTHS_MAX, " months"
        )
        self.idle_minutes = _spin("idleLockMinutes", "Idle lock minutes", IDLE_LOCK_MIN, IDLE_LOCK_MAX, " minutes")
        self.idle_minutes.setToolTip(
            f"Lock the screen after this many minutes without a key or click ({IDLE_LOCK_MIN}–{IDLE_LOCK_MAX})"
        )
        self._row(form, "Default &dwell", "default_dwell_minutes", self.default_dwell, "default dwell")
        self._row(form, "&Consent holds for", "consent_valid_months", self.consent_months, "consent validity")
        self._row(form, "Loc&k the screen after", "idle_lock_minutes", self.idle_minutes, "idle lock")
        self.lots_button = button("Needle l&ots…", "openNeedleLots", "Needle lots", "The clinic's needle-lot inventory")
        self.lots_button.clicked.connect(self.open_needle_lots)
        form.addRow("Needle lots", self.lots_button)
        return group

    def _folders_group(self) -> QGroupBox:
        group = QGroupBox("Folders")
        named(group, "foldersGroup", "Folders")
        form = QFormLayout(group)
        self.data_folder = QLabel()
        named(self.data_folder, "dataFolder", "Data folder")
        self.data_folder.setTextFormat(Qt.TextFormat.PlainText)
        self.data_folder.setWordWrap(True)
        self.data_folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_folder.setToolTip("To keep the chart elsewhere, start needlelog with --db PATH or NEEDLELOG_DB.")
        form.addRow("Chart (data)", self.data_folder)
        self.backup_folder = QLabel()
        named(self.backup_folder, "backupFolderSetting", "Backup folder")
        self.backup_folder.setTextFormat(Qt.TextFormat.PlainText)
        self.backup_folder.setWordWrap(True)
        self.change_backup = button("Change &folder…", "changeBackupFolderSetting", "Change the backup folder")
        self.change_backup.setToolTip("Where this PC keeps the chart's backups; changes at once")
        self.change_backup.clicked.connect(self.change_backup_folder)
        self.default_backup = button("D&efault", "defaultBackupFolderSetting", "Back to the default backup folder")
        self.default_backup.setToolTip("Beside the chart; changes at once")
        self.default_backup.clicked.connect(lambda: self.set_backup_folder(None))
        self.backup_error = message_label("backupFolderError", "Problem with the backup folder", error=True)
        row = QHBoxLayout()
        row.addWidget(self.change_backup)
        row.addWidget(self.default_backup)
        row.addStretch(1)
        column = QVBoxLayout()
        column.addWidget(self.backup_folder)
        column.addLayout(row)
        column.addWidget(self.backup_error)
        form.addRow("Backups (this PC)", column)
        return group

    def _buttons(self) -> QDialogButtonBox:
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        named(self.buttons, "settingsButtons", "Save or cancel")
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        named(save, "saveSettings", "Save settings", "Save the settings (Enter)")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        named(cancel, "cancelSettings", "Cancel", "Close without saving (Esc)")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        return self.buttons

    # --- reading and saving ------------------------------------------------------------------
    def _load(self) -> None:
        try:
            self.clinic = self.services.clinic.clinic_or_none() or Clinic(name="")
            self.idle_minutes.setValue(self.services.accounts.idle_lock_minutes())
        except NeedlelogError as exc:
            self.general.setText(str(exc))
        self.clinic_name.setText(self.clinic.name)
        self.clinic_address.setText(self.clinic.address)
        self.clinic_phone.setText(self.clinic.phone)
        self.default_dwell.setValue(self.clinic.default_dwell_minutes)
        self.consent_months.setValue(self.clinic.consent_valid_months)
        self.set_logo(self.clinic.logo)
        self.data_folder.setText(self.services.location)
        self._show_backup_folder()

    def _show_backup_folder(self) -> None:
        try:
            folder = self.services.clinic.backup_folder()
        except NeedlelogError as exc:
            self.backup_folder.setText("—")
            self.backup_error.setText(str(exc))
            folder = None
            enabled = False
        else:
            enabled = folder is not None
            self.backup_folder.setText(str(folder) if folder else "On the database server: its backups are made there.")
        self.change_backup.setEnabled(enabled)
        self.default_backup.setEnabled(enabled)

    def settings(self) -> Clinic:
        """The clinic as the fields say (the spin boxes' typed, uncommitted numbers included)."""
        for spin in (self.default_dwell, self.consent_months, self.idle_minutes):
            spin.interpretText()
        return replace(
            self.clinic,
            name=self.clinic_name.text(),
            address=self.clinic_address.text(),
            phone=self.clinic_phone.text(),
            default_dwell_minutes=self.default_dwell.value(),
            consent_valid_months=self.consent_months.value(),
            logo=self.logo,
        )

    def save(self) -> None:
        self.errors.clear()
        try:
            self.services.clinic.save_settings(self.settings(), self.idle_minutes.value())
        except NeedlelogError as exc:
            self.errors.show(exc)
            return
        self.accept()

    # --- the logo, the lots, the backup folder ------------------------------------------------
    def choose_logo(self) -> bool:
        path = choose_logo_file(self)
        if path is None:
            return False
        try:
            with path.open("rb") as handle:
                data = handle.read(LOGO_MAX_BYTES + 1)
        except OSError as exc:
            self.errors.refuse("logo", f"Cannot read the logo file {path.name} ({exc.strerror}): choose another file.")
            return False
        why = logo_problem(data)
        if why is None and not QPixmap().loadFromData(data):
            why = UNREADABLE_LOGO
        if why:
            self.errors.refuse("logo", why)
            return False
        self.errors.clear()
        self.set_logo(data)
        self.status.setText(f"Logo {path.name} chosen: Save to print it on every PDF.")
        return True

    def set_logo(self, data: bytes | None) -> None:
        self.logo = data or None
        pixmap = QPixmap()
        if self.logo and pixmap.loadFromData(self.logo):
            width, height = LOGO_PREVIEW
            self.logo_preview.setPixmap(
                pixmap.scaled(
                    width - 4,
                    height - 4,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.logo_preview.clear()
            self.logo_preview.setText("No logo")
        self.logo_words.setText(f"Logo: {describe_logo(self.logo)}")
        self.remove_logo_button.setEnabled(self.logo is not None)

    def open_needle_lots(self) -> QDialog:
        from needlelog.ui.dialogs.needle_lots import NeedleLotsDialog

        dialog = NeedleLotsDialog(self.services, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def change_backup_folder(self) -> bool:
        try:
            start = self.services.clinic.backup_folder() or Path.home()
        except NeedlelogError as exc:
            self.backup_error.setText(str(exc))
            return False
        chosen = choose_backup_folder(self, start)
        return chosen is not None and self.set_backup_folder(chosen)

    def set_backup_folder(self, folder: Path | None) -> bool:
        """This PC's backups go to ``folder`` from now on (None: the default, beside the chart); audited."""
        self.backup_error.clear()
        try:
            chosen = self.services.clinic.choose_backup_folder(folder)
        except NeedlelogError as exc:
            self.backup_error.setText(" ".join(str(exc).split()))
            return False
        self._show_backup_folder()
        self.status.setText(f"The next backups go to {chosen}.")
        return True
