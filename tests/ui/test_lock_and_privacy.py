"""The idle lock and the privacy key, with an injected clock: no name on screen, the same screen back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QApplication, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from needlelog.domain.errors import PermissionDenied
from needlelog.domain.model import Clinic, Clinician, Patient, TriggerPoint
from needlelog.domain.vocab import FigureView
from needlelog.services.store import Services, open_chart
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_editor import SessionEditor
from tests.conftest import NOW, TEST_HASHER, TEST_WRAPPING, FakeClock, make_patient
from tests.ui.test_body_chart import tap

PASSWORD = "correct horse battery"


@pytest.fixture
def signed_in(tmp_path: Path) -> Iterator[tuple[Services, FakeClock, Clinician, Patient]]:
    clock = FakeClock(NOW)
    services = open_chart(tmp_path / "front-desk.sqlite", clock=clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    clinician = services.accounts.add_user(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"), PASSWORD)
    patient = services.patients.create(make_patient("C-4471", family_name="Abernathy", given_name="Philippa"))
    services.accounts.login("dwhitford", PASSWORD)
    yield services, clock, clinician, patient
    services.close()


def visible_text() -> str:
    """Every piece of text a person could read on screen now: labels, fields, buttons, titles, table cells."""
    parts: list[str] = []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        parts.append(top.windowTitle())
        for widget in [top, *top.findChildren(QWidget)]:
            if not widget.isVisible():
                continue
            if isinstance(widget, QLabel | QAbstractButton | QLineEdit):
                parts.append(widget.text())
            elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
                model = widget.model()
                for row in range(model.rowCount(QModelIndex())):
                    for column in range(model.columnCount(QModelIndex())):
                        parts.append(str(model.data(model.index(row, column))))
            parts.append(widget.toolTip() if widget.underMouse() else "")
    return "\n".join(parts)


def window_with_chart_open(
    qtbot: QtBot, services: Services, clinician: Clinician, patient: Patient
) -> tuple[MainWindow, SessionEditor]:
    window = MainWindow(services, clinician)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.search.setText(patient.chart_number)
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    qtbot.waitExposed(editor)
    tap(qtbot, editor, TriggerPoint(FigureView.BACK, 0.6, 0.168))
    qtbot.mouseClick(editor.rows[0].timer, Qt.MouseButton.LeftButton)  # a timer runs through the lock
    editor.notes.setPlainText("Philippa tolerated it well.")
    return window, editor


def test_idle_past_the_lock_time_hides_every_name_and_the_password_brings_the_same_screen_back(
    qtbot: QtBot, signed_in: tuple[Services, FakeClock, Clinician, Patient]
) -> None:
    services, clock, clinician, patient = signed_in
    window, editor = window_with_chart_open(qtbot, services, clinician, patient)
    assert "Abernathy" in visible_text() and "Philippa" in visible_text()

    clock.advance(minutes=9, seconds=59)
    window.check_idle()
    assert not window.locked
    clock.advance(seconds=1)
    window.check_idle()  # ten minutes without a key or a click
    assert window.locked and not editor.isVisible()
    text = visible_text()
    for word in ("Abernathy", "Philippa", patient.chart_number, "1984-05-17"):
        assert word not in text, word
    assert "needlelog is locked" in text and "Dana Whitford" in text
    assert window.timers.rows and window.timers.rows[0].who.text() == "Patient hidden"  # the timer still runs
    with pytest.raises(PermissionDenied, match="locked"):
        services.sessions.get(editor.session.id or 0)  # the services refuse too, not only the screen
    reader = open_chart(services.location)  # another program on the same file: the draft was saved first
    try:
        assert reader.sessions.get(editor.session.id or 0).notes == "Philippa tolerated it well."
    finally:
        reader.close()

    window.lock_screen.password.setText("not my password")
    qtbot.mouseClick(window.lock_screen.button, Qt.MouseButton.LeftButton)
    assert window.locked and window.lock_screen.message.text() == "Wrong password."
    qtbot.keyClicks(window.lock_screen.password, PASSWORD)
    qtbot.keyClick(window.lock_screen.password, Qt.Key.Key_Return)
    assert not window.locked
    assert editor.isVisible() and editor.rows[0].region.currentText() == "Neck"
    assert window.banner.name.text() == "Philippa Abernathy"
    assert "Abernathy" in visible_text()
    clock.advance(minutes=5)
    window.check_idle()
    assert not window.locked  # the clock starts again from the unlock
    reader = open_chart(services.location)
    try:
        lines = reader.registers.audit(NOW.date(), NOW.date() + timedelta(1))
    finally:
        reader.close()
    assert {"locked", "unlocked", "login_failed"} <= {line.entry.action.value for line in lines}
    window.close()


def test_ctrl_shift_p_hides_names_at_once(
    qtbot: QtBot, signed_in: tuple[Services, FakeClock, Clinician, Patient]
) -> None:
    services, _clock, clinician, patient = signed_in
    window, editor = window_with_chart_open(qtbot, services, clinician, patient)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=10000)
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.private
    text = visible_text()
    assert "Abernathy" not in text and "Philippa" not in text
    assert "P. A." in text and patient.chart_number in text  # enough to tell patients apart at the desk
    assert "P. A." in editor.windowTitle()
    assert window.search.echoMode() != window.search.EchoMode.Normal  # what was typed to find her is hidden too
    window.set_private(False)
    form = window.edit_patient()
    assert form is not None and form.isVisible()
    window.set_private(True)
    assert not form.isVisible() and "Abernathy" not in visible_text()
    window.set_private(False)
    assert form.isVisible()
    form.reject()
    assert "Philippa Abernathy" in editor.windowTitle()
    window.close()


def test_an_amendment_is_added_under_a_signed_note_in_the_editor(
    qtbot: QtBot, signed_in: tuple[Services, FakeClock, Clinician, Patient]
) -> None:
    from tests.services.test_sessions import charted

    services, clock, clinician, patient = signed_in
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    clock.advance(minutes=40)
    signed = services.sessions.sign(charted(draft, clock), clinician.id or 0)
    window = MainWindow(services, clinician)
    qtbot.addWidget(window)
    editor = window.open_session(signed.id or 0)
    assert editor is not None
    qtbot.addWidget(editor)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow, timeout=10000)  # Ctrl+M needs the window active
    assert editor.amendments_box.isVisible() and editor.notes.isReadOnly()
    qtbot.mouseClick(editor.amend_button, Qt.MouseButton.LeftButton)
    assert "reason" in editor.amend_message.text().lower()
    qtbot.keyClicks(editor.amend_reason, "Side typed wrong")
    editor.amend_text.setPlainText("Site 2 was the left side.")
    qtbot.keyClick(editor, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert "Side typed wrong" in editor.amendment_list.text()
    assert "Dana Whitford" in editor.amendment_list.text()
    (amendment,) = services.sessions.amendments(signed.id or 0)
    assert amendment.text == "Site 2 was the left side."
    assert services.sessions.get(signed.id or 0).fingerprint == signed.fingerprint
    window.close()
