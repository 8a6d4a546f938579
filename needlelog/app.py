"""Composition root: settings -> engine -> services -> MainWindow. The only place things are wired."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from needlelog.services.base import Clock

# The program ended at start-up without opening a damaged chart (the person said no, or nothing to restore).
EXIT_DAMAGED = 1


def run(target: str, *, exit_after: float | None = None, hint: str = "") -> int:
    """Open the program on the chart at ``target``: sign in (the first start creates the administrator),
    then the main window; returns the exit code. ``hint`` is shown under the sign-in (the demo's accounts)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from needlelog import paths
    from needlelog.services.store import open_chart
    from needlelog.services.workspace import OpenDrafts
    from needlelog.ui.main_window import MainWindow
    from needlelog.ui.widgets.wheel_guard import guard_wheels
    from needlelog.ui.window.sign_in_flow import SignInFlow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("needlelog")
    # Signing out closes the main window before the sign-in shows: the flow says when the program ends.
    app.setQuitOnLastWindowClosed(False)  # type: ignore[attr-defined]
    guard_wheels()  # a mouse wheel never changes a value the person did not click into
    ended = recover_damaged_chart(target)
    if ended is not None:
        return ended
    services = open_chart(target)

    def show_window(window: MainWindow) -> None:
        screen = app.primaryScreen()  # type: ignore[attr-defined]
        if screen is not None:
            # Clinic PCs run it full screen; without a window manager, maximising alone does nothing.
            window.setGeometry(screen.availableGeometry())
        window.showMaximized()
        window.reopen_drafts()
        window.auto_backup.start()  # after changes, once quiet, and daily (ui/window/backup_timer.py)

    flow = SignInFlow(
        services,
        open_drafts=lambda: OpenDrafts(paths.data_dir() / "open-drafts.json", services.location),
        hint=hint,
        show=show_window,
    )
    flow.quit_requested.connect(app.quit)
    try:
        flow.start()
        if exit_after is not None:
            # For smoke tests of an installed or packaged program: show the window, then leave.
            QTimer.singleShot(int(exit_after * 1000), app.quit)
        return app.exec()
    finally:
        services.close()


def chart_file(target: str) -> Path | None:
    """The SQLite file ``target`` names, when it exists; None for a server, a new file or a refused path
    (opening the chart says why)."""
    from needlelog.db.engine import resolve_target, sqlite_path
    from needlelog.domain.errors import NeedlelogError

    try:
        path = sqlite_path(resolve_target(target))
    except NeedlelogError:
        return None
    return path if path is not None and path.is_file() else None


def recover_damaged_chart(target: str, clock: Clock | None = None) -> int | None:
    """Before anyone signs in (issue 12, item 3): a damaged chart is set aside, never opened for writing, and
    the newest backup that checks out offered in words. None when the program goes on (the chart is sound,
    or the backup is back in its place); an exit code when it ends, having said where the damaged file is."""
    from needlelog.services import backups, restoring
    from needlelog.services.base import utc_now
    from needlelog.ui.window import damaged_chart
    from needlelog.ui.window.backup_timer import failure_words

    clock = clock or utc_now
    chart = chart_file(target)
    if chart is None:
        return None
    problems = restoring.inspect_chart(chart)
    if not problems:
        return None
    aside = restoring.set_aside_damaged(chart, clock=clock)  # never opened for writing, never deleted
    folder = backups.backup_folder(chart)
    good = backups.newest_good_backup(folder, chart)
    if good is None:
        damaged_chart.tell_closing(damaged_chart.no_backup_text(chart, aside, problems, folder))
        return EXIT_DAMAGED
    offer = damaged_chart.offer_text(chart, aside, problems, good.taken_at, good.signed_notes, clock())
    if not damaged_chart.offer_backup(offer):
        damaged_chart.tell_closing(damaged_chart.declined_text(aside))
        return EXIT_DAMAGED
    try:
        restoring.restore(chart, good.path, clock=clock)
    except Exception as exc:  # said in words; the damaged file stays where it was put
        damaged_chart.tell_closing(damaged_chart.restore_failed_text(aside, failure_words(exc)))
        return EXIT_DAMAGED
    return None
