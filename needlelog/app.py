"""Composition root: settings -> engine -> services -> MainWindow. The only place things are wired."""

from __future__ import annotations

import sys


def run(target: str, *, exit_after: float | None = None) -> int:
    """Open the program on the chart at ``target``; returns the exit code."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from needlelog import paths
    from needlelog.services.store import open_chart
    from needlelog.services.workspace import OpenDrafts
    from needlelog.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("needlelog")
    services = open_chart(target)
    try:
        # Until accounts arrive, the clinic's first clinician authorised to needle is charting.
        clinician = next((c for c in services.clinic.clinicians() if c.authorised_to_needle), None)
        drafts = OpenDrafts(paths.data_dir() / "open-drafts.json", services.location)
        window = MainWindow(services, clinician, drafts)
        screen = app.primaryScreen()
        if screen is not None:
            # Clinic PCs run it full screen; without a window manager, maximising alone does nothing.
            window.setGeometry(screen.availableGeometry())
        window.showMaximized()
        window.reopen_drafts()
        if exit_after is not None:
            # For smoke tests of an installed or packaged program: show the window, then leave.
            QTimer.singleShot(int(exit_after * 1000), app.quit)
        return app.exec()
    finally:
        services.close()
