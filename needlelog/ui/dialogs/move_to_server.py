"""Move this chart to the clinic's server (Admin menu; issue 16, item 2): `needlelog migrate-to` in the window.

The administrator gives the server's URL (the owner's, as IT made it: docs/clinic-server.md); the copy runs in
a plain thread (the file is only read) while a 100 ms timer on the main thread shows its progress and, at the
end, the result or the refusal in words (no signal is emitted from the thread, as for exports and backups).
The file stays as it was: the move is confirmed, and this PC is pointed at the server, by IT.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QLineEdit, QProgressBar, QVBoxLayout, QWidget

from needlelog.domain.errors import NeedlelogError
from needlelog.services.migrate_to import Moved, migrate_to
from needlelog.services.store import Services
from needlelog.ui.widgets.common import named
from needlelog.ui.widgets.forms import button, close_row, message_label, row_of

TITLE = "Move this chart to the clinic's server"


class MoveToServerDialog(QDialog):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle(TITLE)
        self.url = QLineEdit()
        self.url.setPlaceholderText("postgresql+psycopg://needlelog_owner@server/needlelog?sslmode=verify-full")
        named(self.url, "serverUrl", "The server's database URL (the tables' owner)")
        self.progress = QProgressBar()
        named(self.progress, "moveProgress", "Progress of the move")
        self.message = message_label("moveMessage", "What the move did")
        self.move_button = button("&Move", "moveButton", "Move the chart", "Copy every row to the server, verified")
        self.move_button.clicked.connect(self.start_move)
        layout = QVBoxLayout(self)
        layout.addWidget(
            _words(
                f"Every row of {services.location} is copied to an empty database on the server and verified there "
                "(counts, every fingerprint, the audit chain). The file is only read and stays as it was."
            )
        )
        layout.addLayout(row_of("Server URL:", self.url, self.move_button))
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        row, self.close_button = close_row(self, "move")
        layout.addLayout(row)
        self.resize(720, 220)
        self._state: dict[str, object] = {}
        self._thread: threading.Thread | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._show_progress)

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start_move(self) -> None:
        target = self.url.text().strip()
        if not target:
            self.message.setText("Give the server's database URL, as IT made it (postgresql+psycopg://…).")
            return
        self._state = {"table": "", "done": 0, "total": 0}
        self.move_button.setEnabled(False)
        self.close_button.setEnabled(False)
        self.message.setText("Copying…")
        source = self.services.location
        self._thread = threading.Thread(target=self._move, args=(source, target), daemon=True)
        self._thread.start()
        self._poll.start()

    def _move(self, source: str, target: str) -> None:
        def progress(table: str, done: int, total: int) -> None:
            self._state.update(table=table, done=done, total=total)

        try:
            self._state["result"] = migrate_to(source, target, progress=progress, clock=self.services.clock)
        except NeedlelogError as exc:
            self._state["error"] = " ".join(str(exc).split())
        except Exception as exc:  # never a traceback in the window: the words, and the kind of fault
            self._state["error"] = f"The move failed ({type(exc).__name__}: {' '.join(str(exc).split())[:300]})."

    def _show_progress(self) -> None:
        total, done = int(str(self._state.get("total", 0))), int(str(self._state.get("done", 0)))
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.progress.setFormat(f"{self._state.get('table', '')} %v / %m rows")
        if self.running():
            return
        self._poll.stop()
        self.move_button.setEnabled(True)
        self.close_button.setEnabled(True)
        result = self._state.get("result")
        if isinstance(result, Moved):
            self.message.setText(
                f"Moved {result.rows.get('treatment_session', 0):,} sessions ({sum(result.rows.values()):,} rows) "
                f"in {result.seconds:.1f} s; verified: every table's count, {result.signed_notes:,} fingerprints, "
                "the audit chain. Next: `needlelog db grants` on the server, then every PC opens the server's URL."
            )
        else:
            self.message.setText(f"Not moved: {self._state.get('error', 'the move stopped')}")

    def reject(self) -> None:
        if not self.running():  # the copy is one transaction on the server: it is let finish
            super().reject()


def _words(text: str) -> QWidget:
    label = message_label("moveExplained", "What a move does")
    label.setText(text)
    return label
