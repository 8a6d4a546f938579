"""Opening a patient's chart or a note is audited once per opening; the saves that follow (an autosave every two
seconds of typing) re-read what is on screen without writing a "viewed" row each time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinician, Patient
from needlelog.services.store import Services
from tests.ui.test_session_editor import chart, main_window  # noqa: F401 (chart is a fixture)


def viewed(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as raw:
        return dict(
            raw.execute(
                "SELECT action, COUNT(*) FROM audit_log WHERE action IN ('patient_viewed', 'note_viewed') "
                "GROUP BY action"
            )
        )


def test_ten_saves_of_a_draft_write_no_viewed_rows(
    qtbot: QtBot,
    chart: tuple[Services, Clinician, Patient, Path],  # noqa: F811
) -> None:
    services, clinician, patient, path = chart
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id or 0)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    opened = viewed(path)
    assert opened.get("patient_viewed") == 1
    for word in range(10):
        qtbot.keyClicks(editor.notes, f" word{word}")
        assert editor.keeper.save_now()
    assert services.sessions.get(editor.session.id or 0).notes.endswith("word9")
    assert viewed(path) == opened
    session_id = editor.session.id or 0
    assert editor.try_to_close()
    editor.close()
    again = window.open_session(session_id)
    assert again is not None
    qtbot.addWidget(again)
    assert viewed(path).get("note_viewed", 0) == opened.get("note_viewed", 0) + 1
    window.close()
