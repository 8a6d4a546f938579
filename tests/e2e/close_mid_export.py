"""Run by tests/e2e/test_stopping.py as a program of its own: open the main window on a chart,
start an export of every visit, and once notes are being rendered, close the window (after
pressing Cancel when asked to). Prints the monotonic time of the close; the test times the exit.

    python close_mid_export.py CHART OUT_FOLDER (close|cancel-then-close)
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QDate, QTimer
from PySide6.QtWidgets import QApplication

from needlelog.services.store import open_chart
from needlelog.ui.main_window import MainWindow

NOW = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)


def main() -> int:
    chart, out, how = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    app = QApplication([])
    services = open_chart(chart, clock=lambda: NOW)
    window = MainWindow(services)
    window.show()
    dialog = window.export_notes()
    dialog.date_from.setDate(QDate(2025, 1, 1))
    dialog.date_to.setDate(QDate(2026, 3, 10))
    dialog.folder.setText(str(out))
    dialog.start.click()
    assert dialog.run is not None, dialog.error.text()

    def mid_render() -> None:
        if dialog.progress.value() < 2:
            QTimer.singleShot(10, mid_render)
            return
        if how == "cancel-then-close":
            dialog.cancel.click()
        print(f"closing {time.monotonic():.6f} at {dialog.progress.value()} of {dialog.progress.maximum()}", flush=True)
        window.close()
        app.quit()

    QTimer.singleShot(10, mid_render)
    app.exec()
    services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
