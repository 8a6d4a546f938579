"""Never lose a keystroke: the program is killed mid-charting and the next start reopens the draft."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

from needlelog.domain.model import Clinic, Clinician, Consent
from needlelog.domain.vocab import ConsentMethod
from needlelog.services.store import open_chart
from needlelog.services.workspace import OpenDrafts
from tests.conftest import make_patient

CHARTING = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from needlelog import paths
from needlelog.services.store import open_chart
from needlelog.services.workspace import OpenDrafts
from needlelog.ui.main_window import MainWindow

app = QApplication([])
services = open_chart(sys.argv[1])
drafts = OpenDrafts(paths.data_dir() / "open-drafts.json", services.location)
window = MainWindow(services, services.clinic.clinicians()[0], drafts)
window.show()
window.show_patient(services.patients.search("")[0].id)
editor = window.new_session()

def type_notes():
    editor.notes.setFocus()
    QTest.keyClicks(editor.notes, "R upper trap, 2 needles, strong twitch")
    print("typed", flush=True)

QTimer.singleShot(200, type_notes)
app.exec()
"""


def stored_notes(db: Path) -> list[str]:
    with closing(sqlite3.connect(db, timeout=5)) as raw:
        return [notes for (notes,) in raw.execute("SELECT notes FROM treatment_session")]


def wait_for(condition: Callable[[], bool], program: subprocess.Popen[str], timeout: float = 60) -> None:
    """Until ``condition`` holds (polled every 50 ms); fails if the program ends first or after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert program.poll() is None, f"the program ended early (exit {program.returncode})"
        assert time.monotonic() < deadline, f"not true after {timeout} s"
        time.sleep(0.05)


def test_a_killed_program_reopens_the_draft_with_what_was_typed(tmp_path: Path) -> None:
    db = tmp_path / "clinic.sqlite"
    chart = open_chart(db)
    chart.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    chart.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford"))
    chart.patients.create(
        make_patient("C1", consent=Consent(date.today() - timedelta(days=1), ConsentMethod.WRITTEN, "Dana"))
    )
    chart.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NEEDLELOG_HOME": str(tmp_path / "home")}
    program = subprocess.Popen(
        [sys.executable, "-c", CHARTING, str(db)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert program.stdout is not None
        assert program.stdout.readline().strip() == "typed"
        # Killed as soon as the autosave has written what was typed, however slow the machine is today.
        wait_for(
            lambda: (
                (tmp_path / "home" / "open-drafts.json").exists()
                and stored_notes(db) == ["R upper trap, 2 needles, strong twitch"]
            ),
            program,
        )
    finally:
        program.send_signal(signal.SIGKILL)
        program.wait(timeout=10)
        if program.stdout is not None:
            program.stdout.close()
    assert program.returncode == -signal.SIGKILL

    chart = open_chart(db)
    drafts = OpenDrafts(tmp_path / "home" / "open-drafts.json", chart.location)
    (session_id,) = drafts.ids()
    assert chart.sessions.get(session_id).notes == "R upper trap, 2 needles, strong twitch"
    chart.close()
