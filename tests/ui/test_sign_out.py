"""Change user without quitting, one question before quitting with needles in, a manual lock that says so
(SPEC §4, issue 11 item 8): the real sign-in window, main window and editor on a real chart file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinic, Clinician, Consent, Patient
from needlelog.domain.timers import TimerLevel
from needlelog.domain.vocab import ConsentMethod
from needlelog.services.store import Services, open_chart
from needlelog.ui.dialogs.login_dialog import LoginDialog
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_editor import SessionEditor
from needlelog.ui.window import quit_question
from needlelog.ui.window.sign_in_flow import SignInFlow
from tests.conftest import NOW, TEST_HASHER, TEST_WRAPPING, FakeClock, make_patient
from tests.ui.test_session_editor import chart_site, type_number

REAL_QUESTION = quit_question.quit_anyway  # before tests/ui/conftest.py answers it for every other test
PASSWORD = "sign-out-test-password"
Chart = tuple[Services, FakeClock, Patient, Path]


@pytest.fixture
def chart(tmp_path: Path) -> Iterator[Chart]:
    path = tmp_path / "front-desk.sqlite"
    clock = FakeClock(NOW)
    services = open_chart(path, clock=clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    for name, username in (("Dana Whitford", "dwhitford"), ("Mina Okoye", "mokoye")):
        clinician = services.clinic.add_clinician(Clinician(name, username, "PT", f"PT-{username}"))
        services.accounts.set_password(clinician.id or 0, PASSWORD)
    consent = Consent(date(2026, 1, 5), ConsentMethod.WRITTEN, "Dana Whitford")
    patient = services.patients.create(make_patient("C42", family_name="Okafor", given_name="Ada", consent=consent))
    yield services, clock, patient, path
    services.close()


class Flow:
    """The sign-in flow as the program runs it, its windows closed at the end of the test."""

    def __init__(self, qtbot: QtBot, services: Services) -> None:
        self.qtbot = qtbot
        self.windows: list[QWidget] = []
        self.quits = 0
        self.flow = SignInFlow(services, show=self._show)
        self.flow.quit_requested.connect(self._quit)
        self.flow.start()

    def _show(self, window: MainWindow) -> None:
        self.windows.append(window)
        window.show()
        self.qtbot.waitExposed(window)

    def _quit(self) -> None:
        self.quits += 1

    def sign_in(self, username: str) -> MainWindow:
        dialog = self.flow.dialog
        assert isinstance(dialog, LoginDialog) and dialog.isVisible()
        self.qtbot.keyClicks(dialog.username, username)
        self.qtbot.keyClicks(dialog.password, PASSWORD)
        self.qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
        window = self.flow.window
        assert window is not None and window.isVisible()
        return window

    def close(self) -> None:
        for widget in [*self.windows, self.flow.dialog]:
            if widget is not None and shiboken6.isValid(widget) and widget.isVisible():
                widget.close()


@pytest.fixture
def flow(qtbot: QtBot, chart: Chart) -> Iterator[Flow]:
    running = Flow(qtbot, chart[0])
    yield running
    running.close()


def start_a_timer(qtbot: QtBot, window: MainWindow, patient: Patient) -> SessionEditor:
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    qtbot.waitExposed(editor)
    row = chart_site(qtbot, editor, "Neck", "Left", 2, "Strong")
    type_number(qtbot, row.dwell, 10)
    qtbot.mouseClick(row.timer, Qt.MouseButton.LeftButton)
    assert row.timer_started is not None
    return editor


def menu_action(window: MainWindow, name: str) -> QAction:
    action = window.findChild(QAction, name)
    assert action is not None, name
    return action


def answer_quit_question(monkeypatch: pytest.MonkeyPatch, *answers: QMessageBox.StandardButton) -> list[str]:
    """The real quit question, its box answered in turn with ``answers``, then Yes (the windows close when the
    test ends); returns what it asked."""
    monkeypatch.setattr(quit_question, "quit_anyway", REAL_QUESTION)
    asked: list[str] = []

    def question(_parent: QWidget, _title: str, text: str, *_args: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return answers[len(asked) - 1] if len(asked) <= len(answers) else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def audit_rows(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as raw:
        return list(raw.execute("SELECT user_name, action, detail FROM audit_log ORDER BY id"))


def test_sign_out_keeps_the_timer_counting_in_the_sign_in_window_and_the_next_person_s_dock(
    qtbot: QtBot, chart: Chart, flow: Flow
) -> None:
    services, clock, patient, path = chart
    window = flow.sign_in("dwhitford")
    editor = start_a_timer(qtbot, window, patient)
    qtbot.keyClicks(editor.notes, "Tolerated well")
    assert [t.patient_name for t in window.timers.timers] == ["Ada Okafor"]
    started = window.timers.timers[0].started
    sign_out = menu_action(window, "actionSignOut")
    assert sign_out.shortcut().toString() == "Ctrl+Shift+Q"

    sign_out.trigger()

    assert not window.isVisible() and not editor.isVisible() and window.editors == {}
    assert services.access.user is None
    login = flow.flow.dialog
    assert isinstance(login, LoginDialog) and login.isVisible()
    # The timer goes on in the sign-in window, with no name for whoever stands there.
    assert login.timers.isVisible() and [t.started for t in login.timers.timers] == [started]
    assert not login.timers.rows[0].stop.isVisible()  # stopping is charting: sign in first
    shown = " ".join(label.text() for row in login.timers.rows for label in (row.who, row.site))
    assert "Okafor" not in shown and "Patient hidden" in shown
    clock.now = NOW + timedelta(minutes=16)
    login.timers.tick()
    assert login.timers.levels() == [TimerLevel.ALARM] and login.timers.alarming  # it still sounds
    # The draft was saved before the editor closed.
    assert services.sessions.get(editor.session.id or 0).notes == "Tolerated well"
    assert flow.quits == 0

    nextone = flow.sign_in("mokoye")
    assert nextone is not window and nextone.clinician is not None and nextone.clinician.username == "mokoye"
    assert [(t.patient_name, t.started) for t in nextone.timers.timers] == [("Ada Okafor", started)]
    assert nextone.timers.levels() == [TimerLevel.ALARM]
    assert not login.isVisible()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(window) and not shiboken6.isValid(login)  # gone, nothing of theirs left ticking
    actions = [(user, action, detail) for user, action, detail in audit_rows(path) if action in ("login", "logout")]
    assert actions == [("dwhitford", "login", ""), ("dwhitford", "logout", ""), ("mokoye", "login", "")]


def test_quitting_with_a_timer_running_asks_once_no_keeps_the_window_yes_quits(
    qtbot: QtBot, chart: Chart, flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    _services, _clock, patient, _path = chart
    asked = answer_quit_question(monkeypatch, QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    window = flow.sign_in("dwhitford")
    start_a_timer(qtbot, window, patient)
    window.set_private(True)
    quit_action = menu_action(window, "actionQuit")

    quit_action.trigger()  # No: the window, the editor and the timer stay
    assert len(asked) == 1 and window.isVisible() and window.editors and flow.quits == 0
    assert asked[0].startswith("1 dwell timer is still running")
    assert "patient hidden" in asked[0] and "Okafor" not in asked[0]  # the privacy key hides the name here too
    assert "No alarm can sound while needlelog is closed. Quit anyway?" in asked[0]

    window.set_private(False)
    quit_action.trigger()  # Yes: asked once more for this quit, then the program ends
    assert len(asked) == 2 and "Ada Okafor (C42)" in asked[1]
    assert not window.isVisible() and flow.quits == 1


def test_quitting_with_no_timer_running_asks_nothing(qtbot: QtBot, flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quit_question, "quit_anyway", REAL_QUESTION)
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: pytest.fail("asked with no timer running"))
    window = flow.sign_in("dwhitford")
    menu_action(window, "actionQuit").trigger()
    assert not window.isVisible() and flow.quits == 1


def test_a_manual_lock_says_who_locked_it_and_when_and_is_audited_as_manual(
    qtbot: QtBot, chart: Chart, flow: Flow
) -> None:
    services, clock, _patient, path = chart
    window = flow.sign_in("dwhitford")
    menu_action(window, "actionLock").trigger()  # Ctrl+L
    assert window.locked and window.pages.currentWidget() is window.lock_screen
    at = NOW.astimezone().strftime("%H:%M")
    assert window.lock_screen.who.text().startswith(f"Locked by Dana Whitford at {at}.")
    assert "without use" not in window.lock_screen.who.text()
    assert audit_rows(path)[-1] == ("dwhitford", "locked", "manual")

    assert window.unlock(PASSWORD)
    clock.now = NOW + timedelta(minutes=window.idle_minutes, seconds=1)
    window.check_idle()  # the idle lock keeps its own words and its own audit detail
    assert window.locked
    assert window.lock_screen.who.text().startswith(f"Locked after {window.idle_minutes} minutes without use.")
    assert audit_rows(path)[-1] == ("dwhitford", "locked", "idle")
    assert services.access.locked


def test_cancel_on_the_sign_in_window_with_a_timer_running_asks_before_the_program_ends(
    qtbot: QtBot, chart: Chart, flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    _services, _clock, patient, _path = chart
    asked = answer_quit_question(monkeypatch, QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    window = flow.sign_in("dwhitford")
    start_a_timer(qtbot, window, patient)
    assert window.sign_out() and asked == []  # signing out asks nothing: the timer goes on
    login = flow.flow.dialog
    assert isinstance(login, LoginDialog)
    login.reject()  # Cancel: No keeps the sign-in window and its timer
    assert len(asked) == 1 and "patient hidden" in asked[0] and "Ada" not in asked[0]
    assert login.isVisible() and flow.quits == 0
    login.reject()  # Yes: the program ends
    assert len(asked) == 2 and flow.quits == 1


def test_a_manager_signed_in_after_a_clinician_sees_her_running_timer_and_is_asked_before_quitting(
    qtbot: QtBot, chart: Chart, flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Needles in a patient are everyone's to know of: a manager at the PC sees the timer (without Stop, which is
    charting) and is asked before quitting, since no alarm can sound once the program is closed."""
    from needlelog.domain.vocab import Role

    services, _clock, patient, _path = chart
    manager = services.clinic.add_clinician(
        Clinician(
            "Kiran Patel", "kpatel", "Clinic manager", authorised_to_needle=False, roles=frozenset({Role.MANAGER})
        )
    )
    services.accounts.set_password(manager.id or 0, PASSWORD)
    window = flow.sign_in("dwhitford")
    start_a_timer(qtbot, window, patient)
    started = window.timers.timers[0].started
    menu_action(window, "actionSignOut").trigger()

    managing = flow.sign_in("kpatel")
    assert [t.started for t in managing.timers.timers] == [started]
    assert not managing.timers.rows[0].stop.isVisible()  # a manager does not chart: no Stop
    asked = answer_quit_question(monkeypatch, QMessageBox.StandardButton.No)
    menu_action(managing, "actionQuit").trigger()
    assert len(asked) == 1 and asked[0].startswith("1 dwell timer is still running")
    assert managing.isVisible() and flow.quits == 0


def test_the_next_person_signs_the_locked_one_out_from_the_lock_screen_and_the_timer_goes_on(
    qtbot: QtBot, chart: Chart, flow: Flow
) -> None:
    """A shared PC left locked: "Not you? Sign out" asks no password (it shows nothing), keeps the draft stored
    as it locked, the timer counting, and says in the audit trail how it happened."""
    services, _clock, patient, path = chart
    window = flow.sign_in("dwhitford")
    editor = start_a_timer(qtbot, window, patient)
    qtbot.keyClicks(editor.notes, "Tolerated well")
    started = window.timers.timers[0].started
    menu_action(window, "actionLock").trigger()
    assert window.locked and window.lock_screen.sign_out.isVisible()

    qtbot.mouseClick(window.lock_screen.sign_out, Qt.MouseButton.LeftButton)

    assert not window.isVisible() and services.access.user is None and not services.access.locked
    login = flow.flow.dialog
    assert isinstance(login, LoginDialog) and login.isVisible()
    assert [t.started for t in login.timers.timers] == [started]
    assert services.sessions.get(editor.session.id or 0).notes == "Tolerated well"
    assert audit_rows(path)[-1] == ("dwhitford", "logout", "from the lock screen")
    nextone = flow.sign_in("mokoye")
    assert [t.started for t in nextone.timers.timers] == [started] and nextone.editors == {}


def test_sign_out_from_the_lock_screen_is_refused_while_a_draft_holds_changes_not_stored(
    qtbot: QtBot, chart: Chart, flow: Flow
) -> None:
    """Another PC saved the same draft first, so the save as it locked met a conflict: signing out now would lose
    the locked person's text, so it is refused in words and the window stays locked."""
    services, clock, patient, path = chart
    window = flow.sign_in("dwhitford")
    editor = start_a_timer(qtbot, window, patient)
    elsewhere = open_chart(path, clock=clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        elsewhere.accounts.login("dwhitford", PASSWORD)
        stored = elsewhere.sessions.get(editor.session.id or 0)
        elsewhere.sessions.save_draft(replace(stored, notes="Saved on the other PC"))
    finally:
        elsewhere.close()
    qtbot.keyClicks(editor.notes, "Typed here, not yet stored")
    menu_action(window, "actionLock").trigger()
    assert editor.keeper.conflict and editor.keeper.dirty

    qtbot.mouseClick(window.lock_screen.sign_out, Qt.MouseButton.LeftButton)

    assert window.isVisible() and window.locked and services.access.user is not None
    assert "unlock to keep them" in window.lock_screen.message.text()
    assert editor.notes.toPlainText() == "Typed here, not yet stored"
    assert audit_rows(path)[-1][1] == "locked"
