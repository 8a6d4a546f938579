"""Restore from a backup (Admin menu; SPEC §7, issue 12 item 2): every copy in the backup folder with its date,
size, signed notes and check, and the chosen one restored after a question that says in words what is lost.

Shown with ``open()`` (window-modal, never a nested event loop). The questions are module functions
(:func:`ask_to_restore`, :func:`tell`) so tests answer them. The restore itself (:func:`restore_into`) saves
and closes every open session first, lets go of the chart's file, has the services swap the copy in (the
present file kept aside, never deleted), and signs out: the next sign-in reads the restored chart, whose
accounts are the backup's.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.errors import NeedlelogError
from needlelog.services import backups, restoring
from needlelog.services.backup_files import parse_backup_name
from needlelog.services.store import Services
from needlelog.ui.models.paged import PagedTableModel
from needlelog.ui.widgets.common import fixed_columns, named
from needlelog.ui.widgets.forms import button, close_row, counted, make_table, message_label, row_of
from needlelog.ui.window.backup_timer import chart_file, failure_words, may_restore

if TYPE_CHECKING:
    from needlelog.ui.main_window import MainWindow

TITLE = "Restore from a backup"
CHECKS_OUT = "ok"
CHECKING = "Checking…"  # a copy listed by its name, its check still running


# --- words -------------------------------------------------------------------------------------
def when_in_words(moment: datetime, now: datetime) -> str:
    """A backup's moment as a person says it: "today at 14:02", "yesterday (Monday) at 09:15",
    "Tuesday 14:02" within the week, else "Tuesday 3 March 2026, 14:02" (the PC's time zone)."""
    local, today = moment.astimezone(), now.astimezone().date()
    clock_time = local.strftime("%H:%M")
    days = (today - local.date()).days
    if days == 0:
        return f"today at {clock_time}"
    if days == 1:
        return f"yesterday ({local.strftime('%A')}) at {clock_time}"
    if 1 < days < 7:
        return f"{local.strftime('%A')} {clock_time}"
    return f"{local.strftime('%A')} {local.day} {local.strftime('%B %Y')}, {clock_time}"


def size_in_words(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(size, 1) / 1024:,.0f} KB"
    if size < 1024**3:
        return f"{size / 1024**2:,.1f} MB"
    return f"{size / 1024**3:,.2f} GB"


def check_in_words(check: str) -> str:
    return "Checks out" if check == CHECKS_OUT else check


def question_text(info: backups.BackupInfo, now: datetime, chart: Path) -> str:
    """What the person is asked before a restore: where they go back to, and where today's work stays."""
    when = when_in_words(info.taken_at, now)
    return (
        f"You will go back to {when}: the chart will hold what it held then "
        f"({counted(info.signed_notes, 'signed note')}).\n\n"
        f"What was charted since is kept, not deleted: the present chart is set aside in {chart.parent} as "
        f"{chart.stem}.before-restore-<date and time>{chart.suffix}.\n\n"
        "Every open session is saved and closed first, and everyone signs in again afterwards.\n\n"
        "Restore this backup?"
    )


def ask_to_restore(parent: QWidget | None, text: str) -> bool:
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(parent, TITLE, text, buttons.Yes | buttons.No, buttons.No)
    return answer == buttons.Yes


def tell(parent: QWidget | None, text: str, *, problem: bool = False) -> None:
    if problem:
        QMessageBox.warning(parent, TITLE, text)
    else:
        QMessageBox.information(parent, TITLE, text)


def choose_folder(parent: QWidget | None, start: Path) -> Path | None:
    """The folder picker (a module function: tests answer it); None when the person cancelled."""
    chosen = QFileDialog.getExistingDirectory(parent, "Folder for this chart's backups", str(start))
    return Path(chosen) if chosen else None


# --- the list ----------------------------------------------------------------------------------
class BackupModel(PagedTableModel[backups.BackupInfo]):
    headers = ("Taken", "Size", "Signed notes", "Check")

    def display(self, row: backups.BackupInfo, column: int) -> str:
        if column == 0:
            return row.taken_at.astimezone().strftime("%a %Y-%m-%d %H:%M")
        if column == 1:
            return size_in_words(row.size_bytes)
        if column == 2:
            return "…" if row.check == CHECKING else f"{row.signed_notes:,}"
        return check_in_words(row.check)

    def replace_row(self, number: int, row: backups.BackupInfo) -> None:
        """A copy's row once its check is done (the selection stays where it was)."""
        self._rows[number] = row
        self._cells[number] = self._display_row(row)
        self.dataChanged.emit(self.index(number, 0), self.index(number, len(self.headers) - 1))


def copies_in(folder: Path, chart: Path) -> list[backups.BackupInfo]:
    """``chart``'s copies in ``folder``, newest first, known from their names and sizes alone (nothing opened
    yet: checking thirty copies of a large chart takes a while, and the list shows at once)."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    found = []
    for path in entries:
        parsed = parse_backup_name(path)
        if parsed is None or parsed[0] != chart.stem:
            continue
        try:
            size = path.stat().st_size
        except OSError:
            continue
        found.append(backups.BackupInfo(path, parsed[1], size, 0, CHECKING))
    return sorted(found, key=lambda info: (info.taken_at, info.path.name), reverse=True)


class BackupChecker:
    """Each copy re-opened and checked in a thread of its own, newest first; the dialog reads ``results``."""

    def __init__(self, copies: list[backups.BackupInfo], key: bytes | None = None) -> None:
        self._copies = copies
        self._key = key  # the encrypted chart's file key: its copies are encrypted with it
        self.results: list[backups.BackupInfo] = []
        self.stopped = threading.Event()
        self.done = threading.Event()
        threading.Thread(target=self._run, name="needlelog-backup-check", daemon=True).start()

    def _run(self) -> None:
        try:
            for info in self._copies:
                if self.stopped.is_set():
                    break
                try:
                    self.results.append(backups.describe_backup(info.path, info.taken_at, self._key))
                except Exception as exc:  # one unreadable copy says so; the others are still checked
                    self.results.append(backups.BackupInfo(info.path, info.taken_at, 0, 0, failure_words(exc)))
        finally:
            self.done.set()


class RestoreDialog(QDialog):
    """The backups of this chart, newest first; Restore asks, then says ``restore_chosen``."""

    restore_chosen = Signal(object)  # the BackupInfo to restore, after the person said yes

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.chart = chart_file(services)
        self.folder = backups.backup_folder(self.chart) if self.chart is not None else None
        named(self, "restoreDialog", TITLE)
        self.setWindowTitle(TITLE)
        self.resize(900, 480)
        layout = QVBoxLayout(self)
        self._build_folder_row(layout)
        self.intro = message_label("restoreIntro", "About restoring")
        layout.addWidget(self.intro)
        self._build_table(layout)
        self.message = message_label("restoreMessage", "Problem", error=True)
        layout.addWidget(self.message)
        closing, self.close_button = close_row(self, "restore")
        layout.addLayout(closing)
        self.rows: list[backups.BackupInfo] = []
        self.checker: BackupChecker | None = None
        self._collect = QTimer(self)
        self._collect.setInterval(100)
        self._collect.timeout.connect(self._show_checked)
        self.finished.connect(self._stop_checking)
        self.reload()

    def _build_folder_row(self, layout: QVBoxLayout) -> None:
        """Where this PC puts the chart's backups (SPEC §5: a setting), and the buttons that change it."""
        self.folder_label = QLabel("")
        named(self.folder_label, "backupFolder", "Backup folder")
        self.folder_label.setTextFormat(Qt.TextFormat.PlainText)
        self.folder_label.setWordWrap(True)
        self.change_folder = button(
            "Change &folder…", "changeBackupFolder", "Change the backup folder", "Where this PC keeps the backups"
        )
        self.change_folder.clicked.connect(self.change_backup_folder)
        self.default_folder = button(
            "&Default folder", "defaultBackupFolder", "Back to the default backup folder", "Beside the chart"
        )
        self.default_folder.clicked.connect(lambda: self.set_backup_folder(None))
        row = QHBoxLayout()
        row.addWidget(self.folder_label, 1)
        row.addWidget(self.change_folder)
        row.addWidget(self.default_folder)
        layout.addLayout(row)

    def change_backup_folder(self) -> bool:
        if self.chart is None or self.folder is None:
            return False
        chosen = choose_folder(self, self.folder)
        return chosen is not None and self.set_backup_folder(chosen)

    def set_backup_folder(self, folder: Path | None) -> bool:
        """Keep the chart's backups in ``folder`` from now on (None: the default, beside the chart)."""
        if self.chart is None or not may_restore(self.services):
            return False
        before = self.folder
        try:
            self.folder = self.services.clinic.choose_backup_folder(folder)  # audited, as every setting
        except NeedlelogError as exc:
            self.message.setText(" ".join(str(exc).split()))
            return False
        self.reload()
        if before is not None and before != self.folder:
            self.message.setText(f"The next backups go to {self.folder}; the copies already in {before} stay there.")
        return True

    def _build_table(self, layout: QVBoxLayout) -> None:
        self.model = BackupModel(self)
        self.table = make_table("backupTable", "Backups")
        self.table.setModel(self.model)
        fixed_columns(self.table, 3, {0: "Wed 2026-03-10 14:02", 1: "1,023.0 MB", 2: "Signed notes"})
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(self.restore_selected)
        layout.addWidget(self.table, 1)
        self.restore_button = button(
            "&Restore the chosen backup…", "restoreChosen", "Restore the chosen backup", "Asks first"
        )
        self.restore_button.clicked.connect(self.restore_selected)
        self.restore_button.setEnabled(False)
        layout.addLayout(row_of(self.restore_button, 1))

    def reload(self) -> None:
        self._stop_checking()
        for widget in (self.change_folder, self.default_folder):
            widget.setEnabled(may_restore(self.services) and self.chart is not None)
        if not may_restore(self.services):
            self.intro.setText("Restoring a backup is for the administrator: ask them to sign in.")
            self.table.setEnabled(False)
            return
        if self.chart is None or self.folder is None:
            self.intro.setText(
                "This chart is on a database server: restore it with the server's own backups, not from here."
            )
            self.table.setEnabled(False)
            return
        default = backups.default_backup_folder(self.chart)
        self.folder_label.setText(
            f"This PC keeps the backups of {self.chart.name} in {self.folder}"
            + (" (the default, beside the chart)." if self.folder == default else " (chosen here).")
        )
        self.default_folder.setEnabled(self.folder != default)
        self.rows = copies_in(self.folder, self.chart)
        self.model.set_rows(self.rows)
        if self.rows:
            self.table.selectRow(0)
            self.checker = BackupChecker(list(self.rows), self.services.file_key)
            self._collect.start()
        self._say_what_is_listed()

    @property
    def checked(self) -> bool:
        """Every copy listed has been checked."""
        return all(info.check != CHECKING for info in self.rows)

    def _show_checked(self) -> None:
        """On the main thread: the rows whose checks came back since the last look."""
        checker = self.checker
        if checker is None:
            return
        for number, info in enumerate(list(checker.results)):
            if self.rows[number].check == CHECKING:
                self.rows[number] = info
                self.model.replace_row(number, info)
        if checker.done.is_set() and len(checker.results) == len(self.rows):
            self._collect.stop()
        self._say_what_is_listed()

    def _running_timers(self) -> int:
        try:
            return len(self.services.sessions.running_timers())
        except NeedlelogError:
            return 0  # the chart cannot be read: the restore itself will say so

    def _stop_checking(self) -> None:
        self._collect.stop()
        if self.checker is not None:
            self.checker.stopped.set()  # after the copy in hand; nothing is written by a check

    def _say_what_is_listed(self) -> None:
        assert self.chart is not None
        if not self.rows:
            self.intro.setText(f"There is no backup of {self.chart.name} there yet.")
            return
        done = sum(1 for info in self.rows if info.check != CHECKING)
        good = sum(1 for info in self.rows if info.check == CHECKS_OUT)
        if done < len(self.rows):
            state = f"checking each one: {done:,} of {len(self.rows):,} done"
        else:
            verb = "checks" if good == 1 else "check"
            state = "each checks out" if good == len(self.rows) else f"{good:,} of them {verb} out"
        self.intro.setText(
            f"{counted(len(self.rows), 'backup')} of {self.chart.name} there, newest first "
            f"({state}). Restoring one takes the chart back to that moment; the present chart "
            "is kept aside, never deleted."
        )

    def chosen(self) -> backups.BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _selection_changed(self) -> None:
        info = self.chosen()
        self.restore_button.setEnabled(info is not None)
        self.message.clear()

    def restore_selected(self) -> bool:
        """Ask, in words, then say ``restore_chosen``; True when the person said yes."""
        info = self.chosen()
        if info is None or self.chart is None or not may_restore(self.services):
            return False
        if info.check == CHECKING:
            self.message.setText("This backup is still being checked: choose it again in a moment.")
            return False
        if info.check != CHECKS_OUT:
            self.message.setText(f"This backup does not check out ({info.check}): choose another.")
            return False
        running = self._running_timers()
        if running:
            self.message.setText(
                f"{counted(running, 'dwell timer')} {'is' if running == 1 else 'are'} running: the restored chart "
                "would not know those needles or sound their alarm. Restore once the timers are stopped."
            )
            return False
        if not ask_to_restore(self, question_text(info, self.services.clock(), self.chart)):
            return False
        self.accept()
        self.restore_chosen.emit(info)
        return True


# --- the restore -------------------------------------------------------------------------------
def restore_into(window: MainWindow, info: backups.BackupInfo) -> bool:
    """Swap ``info`` in for the open chart: sessions saved and closed, the file let go, restored, signed out.

    False (the chart as it was, the reason said) when a session cannot be saved or the restore fails."""
    services, chart = window.services, chart_file(window.services)
    if chart is None or not may_restore(services):
        return False
    if not window.open_editors.close_all(forget=True):
        tell(
            window, "An open session could not be saved (the reason is on screen); nothing was restored.", problem=True
        )
        return False
    watching = window.auto_backup.poll.isActive()
    window.auto_backup.stop()
    # Every pooled connection closed: SQLite must not checkpoint into, or remove, the swapped file's side files.
    services.close()
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        result = restoring.restore(chart, info.path, clock=services.clock, key=services.file_key)
    except Exception as exc:  # the services roll back; the window says why and goes on
        QApplication.restoreOverrideCursor()
        tell(window, f"The backup was not restored: {failure_words(exc)} The chart is as it was.", problem=True)
        if watching:
            window.auto_backup.start()
        return False
    QApplication.restoreOverrideCursor()
    when = when_in_words(info.taken_at, services.clock())
    kept = f"What was charted since is kept in {result.aside}." if result.aside else ""
    tell(window, f"The chart is back to {when}. {kept}\n\nSign in again: the accounts and passwords are the backup's.")
    window.sign_out()
    return True
