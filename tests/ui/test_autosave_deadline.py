"""Autosave has a deadline (SPEC §7: within 2 s of the first unsaved change, however long the typing goes on), saves
when the focus moves on, and never takes the focus, moves the cursor or drops what is typed while it saves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinic, Clinician, Consent, Patient, TreatmentSession
from needlelog.domain.vocab import ConsentMethod
from needlelog.services.store import Services, open_chart
from needlelog.ui.editor import draft_keeper
from needlelog.ui.editor.draft_keeper import AUTOSAVE_MS, PAUSE_MS, autosave_delay_ms
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_editor import SessionEditor
from tests.conftest import TEST_HASHER, TEST_WRAPPING, make_patient


class Monotonic:
    """The keeper's ``time.monotonic``, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def chart(tmp_path: Path) -> Iterator[tuple[Services, Clinician, Patient]]:
    services = open_chart(tmp_path / "room1.sqlite", hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    patient = services.patients.create(
        make_patient("C777", consent=Consent(date.today() - timedelta(days=1), ConsentMethod.WRITTEN, "D"))
    )
    yield services, clinician, patient
    services.close()


def open_editor(qtbot: QtBot, chart: tuple[Services, Clinician, Patient]) -> SessionEditor:
    services, clinician, patient = chart
    window = MainWindow(services, clinician)
    qtbot.addWidget(window)
    window.show()
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    qtbot.waitExposed(editor)
    editor.notes.setFocus()
    qtbot.waitUntil(editor.notes.hasFocus)
    return editor


def stored_notes(editor: SessionEditor) -> str:
    return editor.services.sessions.get(editor.session.id or 0).notes


def test_the_delay_is_a_pause_but_never_past_the_deadline_of_the_first_unsaved_change() -> None:
    assert AUTOSAVE_MS <= 1500 and PAUSE_MS < AUTOSAVE_MS
    assert autosave_delay_ms(10.0, 10.0) == PAUSE_MS  # the first key: a pause saves it
    assert autosave_delay_ms(10.0, 11.3) == 200  # typing on: the deadline comes first
    assert autosave_delay_ms(10.0, 11.5) == 0
    assert autosave_delay_ms(10.0, 14.0) == 0  # overdue (a busy machine): at once


def test_typing_without_a_pause_is_saved_by_the_deadline_of_its_first_key(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient], monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_editor(qtbot, chart)
    clock = Monotonic()
    monkeypatch.setattr(draft_keeper.time, "monotonic", clock)
    # A key every 200 ms, as the keeper sees time: the old debounce would have waited for a pause forever.
    delays = []
    for letter in "needled R":
        qtbot.keyClicks(editor.notes, letter)
        delays.append(editor.keeper._autosave.interval())
        clock.now += 0.2
    # each key is due no later than 1.5 s after the first: 0.4 s at first, then what is left of the deadline
    assert delays == [400, 400, 400, 400, 400, 400, 300, 100, 0]
    qtbot.waitUntil(lambda: stored_notes(editor) == "needled R", timeout=10000)
    assert not editor.keeper.dirty
    # the next key starts a new deadline
    qtbot.keyClicks(editor.notes, "x")
    assert editor.keeper._autosave.interval() == PAUSE_MS


def test_moving_the_focus_to_another_field_saves_at_once(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient]
) -> None:
    editor = open_editor(qtbot, chart)
    qtbot.keyClicks(editor.notes, "upper trap")
    editor.keeper._autosave.stop()  # not the timer: the focus change must save by itself
    editor.pain_before.setFocus()
    qtbot.waitUntil(lambda: stored_notes(editor) == "upper trap", timeout=10000)
    assert editor.pain_before.hasFocus()  # the save left the focus where the clinician put it

    # the focus leaving the editor's fields altogether (another window, another program) saves too
    editor.notes.setFocus()
    qtbot.keyClicks(editor.notes, ", levator")
    editor.keeper._autosave.stop()
    editor.notes.clearFocus()
    qtbot.waitUntil(lambda: stored_notes(editor) == "upper trap, levator", timeout=10000)


def test_what_is_typed_while_a_save_runs_stays_on_screen_and_is_saved_next(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient], monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_editor(qtbot, chart)
    sessions = editor.services.sessions
    real_save = sessions.save_draft
    typed_during: list[str] = []

    def save_while_typing(content: TreatmentSession) -> TreatmentSession:
        if not typed_during:  # the first save: keys arrive while it writes
            typed_during.append(content.notes)
            qtbot.keyClicks(editor.notes, " twitch")
        return real_save(content)

    monkeypatch.setattr(sessions, "save_draft", save_while_typing)
    qtbot.keyClicks(editor.notes, "2 needles")
    cursor = editor.notes.textCursor().position()
    assert cursor == len("2 needles")
    qtbot.waitUntil(lambda: bool(typed_during), timeout=10000)
    # the keys typed during the save are on screen, the cursor after them, the focus still in the notes
    assert typed_during == ["2 needles"]
    assert editor.notes.toPlainText() == "2 needles twitch"
    assert editor.notes.textCursor().position() == len("2 needles twitch")
    assert editor.notes.hasFocus()
    # not yet stored, so still unsaved, and saved by the next autosave
    qtbot.waitUntil(lambda: stored_notes(editor) == "2 needles twitch", timeout=10000)
    assert not editor.keeper.dirty
    assert editor.notes.hasFocus() and editor.notes.textCursor().position() == len("2 needles twitch")


def test_a_save_keeps_the_cursor_in_the_middle_of_the_text_and_the_focus_on_the_save_button(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient]
) -> None:
    editor = open_editor(qtbot, chart)
    qtbot.keyClicks(editor.notes, "left QL")
    cursor = editor.notes.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.Left, n=2)
    editor.notes.setTextCursor(cursor)
    qtbot.keyClicks(editor.notes, "the ")
    qtbot.waitUntil(lambda: stored_notes(editor) == "left the QL", timeout=10000)
    assert editor.notes.textCursor().position() == len("left the ")
    assert editor.notes.hasFocus()

    # Tab to the Save button with a change unsaved: the focus change saves, and the button, which would now be
    # disabled, keeps the focus rather than passing it on
    qtbot.keyClicks(editor.notes, "and ")
    assert editor.save_button.isEnabled()
    editor.save_button.setFocus()
    qtbot.waitUntil(lambda: stored_notes(editor) == "left the and QL", timeout=10000)
    assert editor.save_button.hasFocus()
