"""Sign-in and the first start, driven with the real dialogs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from needlelog.domain.access import Action
from needlelog.domain.model import Clinician
from needlelog.domain.vocab import Role
from needlelog.services.store import open_chart
from needlelog.ui.dialogs.login_dialog import FirstAdminDialog, LoginDialog
from tests.conftest import TEST_HASHER, TEST_WRAPPING, FakeClock

PASSWORD = "correct horse battery"


def test_the_first_start_creates_the_administrator_who_then_signs_in(qtbot: QtBot, tmp_path: Path) -> None:
    services = open_chart(tmp_path / "new-clinic.sqlite", clock=FakeClock(), hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        assert services.accounts.needs_admin()
        first = FirstAdminDialog(services)
        qtbot.addWidget(first)
        first.show()
        qtbot.keyClicks(first.display, "Clinic Administrator")
        qtbot.keyClicks(first.password, PASSWORD)
        qtbot.keyClicks(first.again, PASSWORD + "!")
        ok = first.buttons.button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        assert "differ" in first.message.text() and first.result() != QDialog.DialogCode.Accepted
        first.again.setText("short")
        first.password.setText("short")
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        assert "at least 10 characters" in first.message.text()
        first.password.setText(PASSWORD)
        first.again.setText(PASSWORD)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        assert first.result() == QDialog.DialogCode.Accepted
        assert not services.accounts.needs_admin()

        login = LoginDialog(services, "Bow River Physiotherapy")
        qtbot.addWidget(login)
        login.show()
        qtbot.keyClicks(login.username, "admin")
        qtbot.keyClicks(login.password, "wrong password")
        qtbot.mouseClick(login.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
        assert login.message.text() == "Wrong user name or password." and login.password.text() == ""
        qtbot.keyClicks(login.password, PASSWORD)
        qtbot.keyClick(login.password, Qt.Key.Key_Return)
        assert login.result() == QDialog.DialogCode.Accepted
        assert services.access.user is not None and services.access.user.roles == frozenset({Role.ADMIN})
    finally:
        services.close()


def test_a_manager_signs_in_and_cannot_chart(qtbot: QtBot, tmp_path: Path) -> None:
    from needlelog.ui.main_window import MainWindow

    services = open_chart(tmp_path / "clinic.sqlite", clock=FakeClock(), hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
        manager = Clinician("Kiran Patel", "kpatel", authorised_to_needle=False, roles=frozenset({Role.MANAGER}))
        services.accounts.add_user(manager, PASSWORD)
        services.accounts.login("kpatel", PASSWORD)
        window = MainWindow(services, None)
        qtbot.addWidget(window)
        assert window.search.isEnabled() and not window.new_patient_button.isEnabled()
        assert window.manager_actions[Action.VIEW_AUDIT].isEnabled()
        assert not window.manager_actions[Action.MANAGE_USERS].isEnabled()
        assert "Kiran Patel (Manager)" in window.statusBar().currentMessage()
        window.close()
    finally:
        services.close()


def test_a_manager_reads_a_session_read_only_and_cannot_open_the_patient_form(qtbot: QtBot, tmp_path: Path) -> None:
    from needlelog.ui.main_window import MainWindow
    from tests.conftest import make_patient

    clock = FakeClock()
    services = open_chart(tmp_path / "clinic.sqlite", clock=clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
        clinician = services.accounts.add_user(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"), PASSWORD)
        manager = Clinician("Kiran Patel", "kpatel", authorised_to_needle=False, roles=frozenset({Role.MANAGER}))
        services.accounts.add_user(manager, PASSWORD)
        patient = services.patients.create(make_patient())
        draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
        services.accounts.login("kpatel", PASSWORD)
        window = MainWindow(services, None)
        qtbot.addWidget(window)
        window.show_patient(patient.id)
        assert not window.edit_patient_button.isEnabled()
        assert window.edit_patient() is None and "for clinicians" in window.message.text()
        editor = window.open_session(draft.id or 0)
        assert editor is not None
        qtbot.addWidget(editor)
        assert editor.view_only and not editor.add_site_button.isEnabled() and not editor.sign_button.isEnabled()
        assert "reading as Kiran Patel" in editor.banner.text()
        editor.notes.setPlainText("typed by someone who may not chart")
        assert editor.save_now()  # nothing to save, nothing refused, nothing written
        assert services.sessions.get(draft.id or 0).notes == ""
        window.close()
    finally:
        services.close()
