"""Automatic backups while the program runs (SPEC §7; issue 12, item 1): after changes, once the chart has
had no save for a minute, and at least once a day, without ever holding up the person typing.

The chart's file is watched, not the window's saves: every use case (a draft, a patient, a setting, a
sign-in) writes the file, so its size and time of change say "something was written" wherever it came
from, for the cost of two ``stat`` calls every few seconds. The copy itself (``services.backups``: SQLite's
online backup, the copy re-opened and checked, the old ones thinned) runs in a plain thread, because
SQLite lets go of Python's lock while it copies and checks pages, so the window keeps answering; the
result is collected by a timer on the main thread (no Qt signal is emitted from the thread: PySide6
6.12.0 aborts after a few dozen, see ``tests/ui/test_qt_binding.py``). A failure is said in the status
bar in words; it never stops the program, and it is tried again a few minutes later.
"""

from __future__ import annotations

import contextlib
import errno
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel

from needlelog.domain.errors import NeedlelogError
from needlelog.domain.vocab import Role
from needlelog.services import backups
from needlelog.services.store import Services
from needlelog.ui.widgets.common import local_time, named
from needlelog.ui.widgets.fields import ERROR_STYLE

if TYPE_CHECKING:
    from needlelog.ui.main_window import MainWindow

IDLE_BEFORE_BACKUP = timedelta(seconds=60)  # a minute without a save: the clinician has stopped typing
AT_LEAST_EVERY = timedelta(hours=24)  # SPEC §7: "after changes and at least daily"
RETRY_AFTER = timedelta(minutes=5)  # after a failure (a full disk, a folder gone): not every poll
POLL_MS = 5_000  # how often the chart's file is looked at (two stat calls)
COLLECT_MS = 100  # how often a running copy is asked whether it has finished

Signature = tuple[tuple[int, int], ...]


def chart_file(services: Services) -> Path | None:
    """The SQLite file behind the open chart; None on a database server (its backups are the server's)."""
    location = services.location
    return None if "://" in location else Path(location)


def may_restore(services: Services) -> bool:
    """Restoring replaces everyone's chart: the administrator's alone (as users and settings are)."""
    user = services.access.user
    return user is not None and Role.ADMIN in user.roles


def failure_words(exc: BaseException) -> str:
    """Why a backup failed, as one plain sentence (never a traceback)."""
    if isinstance(exc, NeedlelogError):
        return " ".join(str(exc).split())
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return "The disk holding the backup folder is full: free some space or choose another folder."
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return (
                f"The backup folder cannot be written ({exc.strerror}): choose another in Admin → Restore from a "
                "backup."
            )
        where = f" ({exc.filename})" if exc.filename else ""
        return f"The backup could not be written{where}: {exc.strerror or exc}."
    return f"The backup could not be made ({type(exc).__name__}: {exc})."


class BackupJob:
    """One backup in a thread of its own; the main thread reads ``done``, ``result`` and ``error``."""

    def __init__(self, work: Callable[[], backups.BackupInfo | None]) -> None:
        self._work = work
        self.done = threading.Event()
        self.result: backups.BackupInfo | None = None
        self.error: str | None = None
        self.thread = threading.Thread(target=self._run, name="needlelog-backup", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = self._work()
        except BaseException as exc:  # every failure becomes words in the status bar
            self.error = failure_words(exc)
        finally:
            self.done.set()


class AutoBackup(QObject):
    """Watches the chart's file and backs it up when it has changed and gone quiet, and once a day.

    Made (not started) by the main window; the composition root starts it, so a window a test makes
    backs nothing up behind the test's back. ``check()`` is the whole decision, on the program's clock.
    """

    def __init__(self, services: Services, window: MainWindow) -> None:
        super().__init__(window)
        self.services = services
        self.chart = chart_file(services)
        self.label = QLabel("")
        named(self.label, "backupStatus", "Automatic backup")
        window.statusBar().addPermanentWidget(self.label)
        self.folder: Path | None = None
        try:
            self.folder = backups.backup_folder(self.chart) if self.chart else None
        except Exception as exc:  # the data folder unusable: said, and the window opens all the same
            self.label.setText(f"No automatic backups: {failure_words(exc)}")
            self.label.setStyleSheet(ERROR_STYLE)
        self.job: BackupJob | None = None
        self.last_info: backups.BackupInfo | None = None
        self.last_attempt: datetime | None = None
        self.last_done: datetime | None = None  # none yet: the first check backs up (skipped if unchanged)
        self.not_before: datetime | None = None
        self.failure: str | None = None
        self._seen: Signature | None = None  # the file as the last poll saw it
        self._saved: Signature | None = None  # the file as the last backup started from
        self._changed_at: datetime | None = None
        self._job_started_from: Signature | None = None
        self.poll = QTimer(self)
        self.poll.setInterval(POLL_MS)
        self.poll.timeout.connect(self.check)
        self.collect = QTimer(self)
        self.collect.setInterval(COLLECT_MS)
        self.collect.timeout.connect(self.collect_result)
        window.signed_out.connect(self.signing_out)
        window.closed.connect(self.closing)

    # --- running ---------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self.chart is not None and self.folder is not None

    def start(self) -> None:
        """Watch the file from now on; the first look (a poll from now) backs up a chart changed since
        the newest copy, so every start of the program is at least a daily backup."""
        if self.enabled:
            self._seen = self._saved = self.signature()
            self.poll.start()

    def signing_out(self) -> None:
        """What was charted in the last minute is copied too; the sign-in window does not wait for it."""
        self._last_copy()
        self.stop(wait_seconds=0)

    def closing(self) -> None:
        """The program ends: what was charted in the last minute is copied first (the process waits, so no
        copy is cut off halfway)."""
        self._last_copy()
        self.stop()

    def _last_copy(self) -> None:
        if self.poll.isActive() and self.job is None and self.enabled and self.signature() != self._saved:
            self.back_up("after changes, at the end of the session")

    def stop(self, wait_seconds: float = 30.0) -> None:
        """No more backups; a copy under way is let finish (an interrupted one leaves no file), waiting up to
        ``wait_seconds`` for it here (the thread goes on by itself after that)."""
        self.poll.stop()
        job = self.job
        if job is not None:
            job.done.wait(wait_seconds)
            self.collect_result()
        self.collect.stop()

    @property
    def running(self) -> bool:
        return self.job is not None

    def signature(self) -> Signature:
        """The chart and its write-ahead log: size and time of the last change (zeros when absent)."""
        assert self.chart is not None
        marks = []
        for path in (self.chart, self.chart.with_name(self.chart.name + "-wal")):
            try:
                status = path.stat()
            except OSError:
                marks.append((0, 0))
            else:
                marks.append((status.st_size, status.st_mtime_ns))
        return tuple(marks)

    # --- the decision ----------------------------------------------------------------------
    def check(self) -> bool:
        """Look at the file once; start a backup when it is due. True when one was started."""
        if not self.enabled or self.job is not None:
            return False
        now = self.services.clock()
        seen = self.signature()
        if seen != self._seen:
            self._seen, self._changed_at = seen, now
        if self.not_before is not None and now < self.not_before:
            return False
        changed = seen != self._saved
        quiet = self._changed_at is None or now - self._changed_at >= IDLE_BEFORE_BACKUP
        if self.last_done is None or now - self.last_done >= AT_LEAST_EVERY:
            return self.back_up("daily" if not changed else "after changes")
        if changed and quiet:
            return self.back_up("after changes")
        return False

    def back_up(self, reason: str) -> bool:
        """Start one backup now (unless one is under way); the result comes back through ``collect_result``."""
        if not self.enabled or self.job is not None:
            return False
        chart, clock, key = self.chart, self.services.clock, self.services.file_key
        assert chart is not None
        with contextlib.suppress(Exception):  # the folder chosen since (Admin → Restore), else the one known
            self.folder = backups.backup_folder(chart)
        folder = self.folder
        assert folder is not None
        self._job_started_from = self.signature()
        self.last_attempt = clock()
        self.job = BackupJob(lambda: backups.take_backup(chart, folder, clock=clock, reason=reason, key=key))
        self.collect.start()
        return True

    def collect_result(self) -> None:
        """On the main thread: what the finished backup says goes to the status bar."""
        job = self.job
        if job is None or not job.done.is_set():
            return
        self.job = None
        self.collect.stop()
        if job.error is not None:
            self.failure = job.error
            self.not_before = self.services.clock() + RETRY_AFTER
            self._show_failure(job.error)
            return
        self.failure, self.not_before, self.last_done = None, None, self.last_attempt
        # What the copy started from is in it; anything written since (the copy's own audit row among it)
        # is a change the next quiet minute looks at (the services skip a copy of an unchanged chart).
        self._saved = self._job_started_from
        if job.result is not None:
            self.last_info = job.result
        self._show_state(copied=job.result is not None)

    # --- what the status bar says ------------------------------------------------------------
    def _show_state(self, *, copied: bool) -> None:
        info = self.last_info
        if copied and info is not None:
            self.label.setText(f"Backed up at {local_time(info.taken_at, '%H:%M')}")
            self.label.setToolTip(f"The newest automatic backup: {info.path}")
        else:
            since = f" (copy of {local_time(info.taken_at, '%H:%M')})" if info is not None else ""
            checked = local_time(self.last_attempt, "%H:%M")
            self.label.setText(f"Backup checked at {checked}: no change since the last copy{since}")
            self.label.setToolTip(f"Backup folder: {self.folder}")
        self.label.setStyleSheet("")

    def _show_failure(self, words: str) -> None:
        retry = local_time(self.not_before, "%H:%M")
        self.label.setText(f"Automatic backup failed: {words} The chart itself is unharmed; next try at {retry}.")
        self.label.setToolTip(f"Backup folder: {self.folder}")
        self.label.setStyleSheet(ERROR_STYLE)
