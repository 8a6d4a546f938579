"""The program as ``python -m needlelog --db CHART`` runs it, typing into its windows on the offscreen platform,
where no X server takes xdotool's keys (bench/bench_startup.py starts it; not a program of its own).

The moment the sign-in window is marked painted, the user name, a Tab, the password and Return are planned, a key
every $BENCH_TYPE_DELAY_MS milliseconds (0: all at once), as key events (QtTest's) into the real dialog, each
sent by a timer at its time. A person's keys go on arriving while the program works; a timer here fires once
the event loop is free, as a key a keyboard sent meanwhile is read then. The mark ``typed`` is the time Return
was planned for (when the person pressed it), written once it has been sent, and ``key lag`` the longest any
key waited past its time for the event loop (the chart loads meanwhile). Once the main window is marked
painted, Ctrl+F and $BENCH_TYPE_SEARCH go to the patient search at the same pace, as a person finds a patient
(the marks ``search key`` and ``first search``: the first character's due time, and its result shown). QtTest
is imported after the sign-in mark: its cost is not the program's.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from needlelog import app
from needlelog.cli import main

_mark = app.StartupMarks.mark


def _type_sign_in(marks: app.StartupMarks, painted: float) -> None:
    """Plan every key of the sign-in from ``painted`` on, one every $BENCH_TYPE_DELAY_MS."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from needlelog.ui.dialogs.login_dialog import LoginDialog

    [login] = [w for w in QApplication.topLevelWidgets() if isinstance(w, LoginDialog) and w.isVisible()]
    delay = float(os.environ.get("BENCH_TYPE_DELAY_MS", "0")) / 1000
    keys = [(login.username, c) for c in os.environ["BENCH_TYPE_USER"]]
    keys.append((login.username, Qt.Key.Key_Tab))
    keys += [(login.password, c) for c in os.environ["BENCH_TYPE_PASSWORD"]]
    keys.append((login.password, Qt.Key.Key_Return))
    enter_at = painted + delay * (len(keys) - 1)

    lags: list[float] = []

    def press(widget: object, key: object, due: float, last: bool) -> None:
        lags.append(time.monotonic() - due)  # how long the key waited for the program's event loop
        if isinstance(key, str):
            QTest.keyClicks(widget, key)
        elif key != Qt.Key.Key_Tab:  # the Tab moves the focus; the keys go to each field directly
            QTest.keyClick(widget, key)
        if last:
            _mark_at(marks, "typed", enter_at)
            _mark_at(marks, "key lag", max(lags))

    for number, (widget, key) in enumerate(keys):
        due = painted + delay * number
        wait = max(0, round((due - time.monotonic()) * 1000))
        last = number == len(keys) - 1
        _at(wait, lambda w=widget, k=key, d=due, done=last: press(w, k, d, done))


_TIMERS: list[object] = []  # the planned keys' timers, kept until the program ends


def _at(wait_ms: int, send: Callable[[], object]) -> None:
    """``send`` in ``wait_ms``, on time: a precise timer (Qt's default, coarse, may fire 5% of the wait early or
    late: 110 ms for the Return of a sign-in typed over 2.2 s)."""
    from PySide6.QtCore import Qt, QTimer

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setSingleShot(True)
    timer.timeout.connect(send)
    timer.start(wait_ms)
    _TIMERS.append(timer)


def _mark_at(marks: app.StartupMarks, what: str, when: float) -> None:
    if marks.file is not None:
        with open(marks.file, "a", encoding="utf-8") as out:
            out.write(f"{what} {when:.6f}\n")


def _find_patient(marks: app.StartupMarks, painted: float) -> None:
    """Ctrl+F a key's time after ``painted``, the chart number's first character one more key later; the mark
    ``search key`` is the time it was due, ``first search`` once its result is shown (the event queue drained:
    the search runs as the text changes, and the list repaints). The rest of the number follows at once."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QLineEdit

    delay = float(os.environ.get("BENCH_TYPE_DELAY_MS", "0")) / 1000
    [window] = [w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow" and w.isVisible()]
    search = window.findChild(QLineEdit, "patientSearch")
    number = os.environ["BENCH_TYPE_SEARCH"]

    def first_key() -> None:
        QTest.keyClicks(search, number[0])
        QApplication.processEvents()
        _mark_at(marks, "search key", painted + 2 * delay)
        _mark(marks, "first search")
        QTest.keyClicks(search, number[1:])

    def wait_until(due: float) -> int:
        return max(0, round((due - time.monotonic()) * 1000))

    _at(
        wait_until(painted + delay),
        lambda: QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier),
    )
    _at(wait_until(painted + 2 * delay), first_key)


def _marked(marks: app.StartupMarks, what: str) -> None:
    _mark(marks, what)
    if what == "sign-in window":
        _type_sign_in(marks, time.monotonic())  # planned now, sent by timers: the chart opens meanwhile
    elif what == "main window":
        _find_patient(marks, time.monotonic())


app.StartupMarks.mark = _marked  # type: ignore[method-assign]

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
