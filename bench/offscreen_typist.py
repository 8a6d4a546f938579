"""The program as ``python -m needlelog --db CHART`` runs it, typing into its windows on the offscreen platform,
where no X server takes xdotool's keys (bench/bench_startup.py starts it; not a program of its own).

The moment the sign-in window is marked painted, QtTest's key events type $BENCH_TYPE_USER, Tab-free into the
user name field, $BENCH_TYPE_PASSWORD into the password field, and Return, into the real dialog; a mark
``typed`` follows. Once the main window is marked painted, Ctrl+F and $BENCH_TYPE_SEARCH go to the patient
search, as a person finds a patient. QtTest is imported after the sign-in mark: its cost is not the program's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from needlelog import app
from needlelog.cli import main

_mark = app.StartupMarks.mark


def _type_sign_in() -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from needlelog.ui.dialogs.login_dialog import LoginDialog

    [login] = [w for w in QApplication.topLevelWidgets() if isinstance(w, LoginDialog) and w.isVisible()]
    QTest.keyClicks(login.username, os.environ["BENCH_TYPE_USER"])
    QTest.keyClicks(login.password, os.environ["BENCH_TYPE_PASSWORD"])
    QTest.keyClick(login.password, Qt.Key.Key_Return)


def _find_patient() -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QLineEdit

    [window] = [w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow" and w.isVisible()]
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    search = window.findChild(QLineEdit, "patientSearch")
    QTest.keyClicks(search, os.environ["BENCH_TYPE_SEARCH"])


def _marked(marks: app.StartupMarks, what: str) -> None:
    _mark(marks, what)
    if what == "sign-in window":
        _type_sign_in()  # the chart opens after this mark: the Return waits for it, as typed keys do
        _mark(marks, "typed")
    elif what == "main window":
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, _find_patient)


app.StartupMarks.mark = _marked  # type: ignore[method-assign]

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
