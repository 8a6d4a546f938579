"""Composition root: settings -> engine -> services -> MainWindow. The only place things are wired."""

from __future__ import annotations

import sys


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
    services = open_chart(target)

    def show_window(window: MainWindow) -> None:
        screen = app.primaryScreen()  # type: ignore[attr-defined]
        if screen is not None:
            # Clinic PCs run it full screen; without a window manager, maximising alone does nothing.
            window.setGeometry(screen.availableGeometry())
        window.showMaximized()
        window.reopen_drafts()

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
