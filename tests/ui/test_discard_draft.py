"""Discard draft… in the real editor, on a real chart file: the draft is kept in the file and the audit trail with
its reason, leaves the patient's history, and the editor closes; a running timer, an empty reason and a signed note
are refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinic, Clinician, Patient
from needlelog.services.store import Services, open_chart
from needlelog.ui.editor import draft_discarder
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_editor import SessionEditor
from tests.conftest import NOW, TEST_HASHER, TEST_WRAPPING, FakeClock, make_patient
from tests.services.test_sessions import charted
from tests.ui.test_body_chart import tap
from tests.ui.test_dwell_timers import SITES, start_in_room
from tests.ui.test_session_editor import main_window, type_number

PASSWORD = "correct horse battery"
REASON = "Opened for the wrong patient"


@pytest.fixture
def signed_in(tmp_path: Path) -> Iterator[tuple[Services, Path, FakeClock, Clinician, Patient]]:
    """A chart file with one clinician's account, signed in, and one patient."""
    path = tmp_path / "room.sqlite"
    clock = FakeClock(NOW)
    services = open_chart(path, clock=clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    dana = services.accounts.add_user(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"), PASSWORD)
    patient = services.patients.create(make_patient("C1", family_name="Okafor", given_name="Ada"))
    services.accounts.login(dana.username, PASSWORD)
    yield services, path, clock, dana, patient
    services.close()


@pytest.fixture
def reasons(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The reasons the clinician will type, one a click; the dialog itself is not shown."""
    answers: list[str | None] = []
    monkeypatch.setattr(draft_discarder, "ask_discard_reason", lambda _parent: answers.pop(0))
    return answers


def discard_button(editor: SessionEditor) -> QPushButton:
    button = editor.findChild(QPushButton, "discardDraft")
    assert isinstance(button, QPushButton) and button.accessibleName()
    return button


def new_draft_with_a_site(qtbot: QtBot, window: MainWindow, patient: Patient) -> SessionEditor:
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    qtbot.waitExposed(editor)
    tap(qtbot, editor, SITES[1])
    type_number(qtbot, editor.rows[0].needles, 2)
    return editor


def stored(path: Path, session_id: int) -> tuple[str, int]:
    with sqlite3.connect(path) as raw:
        status, reason = raw.execute(
            "SELECT status, discard_reason FROM treatment_session WHERE id = ?", (session_id,)
        ).fetchone()
        (sites,) = raw.execute("SELECT COUNT(*) FROM needling_site WHERE session_id = ?", (session_id,)).fetchone()
    return f"{status}: {reason}" if reason else status, sites


def test_a_discarded_draft_closes_stays_in_the_file_and_leaves_the_history(
    qtbot: QtBot, signed_in: tuple[Services, Path, FakeClock, Clinician, Patient], reasons: list[str | None]
) -> None:
    services, path, _clock, dana, patient = signed_in
    window = main_window(qtbot, services, dana)
    editor = new_draft_with_a_site(qtbot, window, patient)
    session_id = editor.session.id or 0
    assert window.patient_panel.history.rowCount() == 1

    reasons.append(None)  # Cancel: nothing happens
    qtbot.mouseClick(discard_button(editor), Qt.MouseButton.LeftButton)
    assert editor.isVisible() and stored(path, session_id)[0] == "draft"

    reasons.append(REASON)
    with qtbot.waitSignal(editor.discarded):
        qtbot.mouseClick(discard_button(editor), Qt.MouseButton.LeftButton)
    assert not editor.isVisible() and session_id not in window.editors
    # kept in the file with its site (typed before the discard, saved first), its reason beside it
    assert stored(path, session_id) == (f"discarded: {REASON}", 1)
    with sqlite3.connect(path) as raw:
        (detail,) = raw.execute(
            "SELECT detail FROM audit_log WHERE action = 'session_discarded' AND session_id = ?", (session_id,)
        ).fetchone()
    assert REASON in detail
    assert window.patient_panel.history.rowCount() == 0
    assert window.patient_panel.history_title.text() == "Sessions (0)"


def test_a_running_timer_or_an_empty_reason_refuses_and_the_editor_stays(
    qtbot: QtBot, signed_in: tuple[Services, Path, FakeClock, Clinician, Patient], reasons: list[str | None]
) -> None:
    services, path, _clock, dana, patient = signed_in
    window = main_window(qtbot, services, dana)
    editor = start_in_room(qtbot, window, patient, SITES[1], 10)
    session_id = editor.session.id or 0

    reasons.append(REASON)
    qtbot.mouseClick(discard_button(editor), Qt.MouseButton.LeftButton)
    assert editor.isVisible()
    assert "Not discarded: Site 1" in editor.save_state.text() and "timer is running" in editor.save_state.text()

    editor.stop_timer(0)
    reasons.append("   ")
    qtbot.mouseClick(discard_button(editor), Qt.MouseButton.LeftButton)
    assert editor.isVisible() and "Give the reason" in editor.save_state.text()
    assert stored(path, session_id)[0] == "draft"
    assert window.patient_panel.history.rowCount() == 1


def test_a_signed_note_offers_no_discard(
    qtbot: QtBot, signed_in: tuple[Services, Path, FakeClock, Clinician, Patient]
) -> None:
    services, _path, clock, dana, patient = signed_in
    draft = services.sessions.new_draft(patient.id or 0, dana.id or 0)
    clock.advance(minutes=40)
    signed = services.sessions.sign(charted(draft, clock), dana.id or 0)
    window = main_window(qtbot, services, dana)
    editor = window.open_session(signed.id or 0)
    assert editor is not None
    qtbot.addWidget(editor)
    assert not discard_button(editor).isVisible()
    assert editor.discard() is False
