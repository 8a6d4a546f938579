"""Composition root: settings -> engine -> services -> MainWindow. The only place things are wired."""

from __future__ import annotations

import sys


def run(target: str, *, exit_after: float | None = None, hint: str = "") -> int:
    """Open the program on the chart at ``target``: sign in (the first start creates the administrator),
    then the main window; returns the exit code. ``hint`` is shown under the sign-in (the demo's accounts)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from needlelog import paths
    from needlelog.domain.vocab import Role
    from needlelog.services.store import open_chart
    from needlelog.services.workspace import OpenDrafts
    from needlelog.ui.dialogs.login_dialog import FirstAdminDialog, LoginDialog
    from needlelog.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("needlelog")
    services = open_chart(target)
    shown: list[object] = []  # the windows of this run, kept alive

    def main_window() -> None:
        user = services.access.user
        # A clinician charts as themself; a manager or an administrator sees the chart without charting.
        clinician = user if user is not None and Role.CLINICIAN in user.roles else None
        drafts = OpenDrafts(paths.data_dir() / "open-drafts.json", services.location)
        window = MainWindow(services, clinician, drafts)
        shown.append(window)
        screen = app.primaryScreen()  # type: ignore[attr-defined]
        if screen is not None:
            # Clinic PCs run it full screen; without a window manager, maximising alone does nothing.
            window.setGeometry(screen.availableGeometry())
        window.showMaximized()
        window.reopen_drafts()

    def sign_in() -> None:
        clinic = services.clinic.clinic_or_none()
        dialog = LoginDialog(services, clinic.name if clinic else "", hint)
        dialog.accepted.connect(main_window)
        dialog.rejected.connect(app.quit)
        shown.append(dialog)
        dialog.show()

    try:
        if services.accounts.needs_admin():
            first = FirstAdminDialog(services)
            first.accepted.connect(sign_in)
            first.rejected.connect(app.quit)
            shown.append(first)
            first.show()
        else:
            sign_in()
        if exit_after is not None:
            # For smoke tests of an installed or packaged program: show the window, then leave.
            QTimer.singleShot(int(exit_after * 1000), app.quit)
        return app.exec()
    finally:
        services.close()
