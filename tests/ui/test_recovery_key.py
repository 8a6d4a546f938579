"""The recovery key is shown once where the chart key is made (issue 13): after the first administrator is
created, before the sign-in; and over the window at the first administrator's sign-in after an upgrade."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QWidget
from pytestqt.qtbot import QtBot

from needlelog.services.store import open_chart
from needlelog.ui.dialogs.login_dialog import FirstAdminDialog, LoginDialog
from needlelog.ui.dialogs.recovery_key import RecoveryKeyDialog
from needlelog.ui.main_window import MainWindow
from needlelog.ui.window.sign_in_flow import SignInFlow
from tests.conftest import TEST_HASHER, TEST_WRAPPING, FakeClock
from tests.services.test_chart_key import PASSWORD as UPGRADED_PASSWORD
from tests.services.test_chart_key import _upgraded_chart_with_accounts

PASSWORD = "correct horse battery"


def shown_into(windows: list[MainWindow]) -> Callable[[MainWindow], None]:
    def show(window: MainWindow) -> None:
        windows.append(window)
        window.show()

    return show


def _close(*widgets: QWidget | None) -> None:
    for widget in widgets:
        if widget is not None and shiboken6.isValid(widget) and widget.isVisible():
            if isinstance(widget, RecoveryKeyDialog):
                widget.done(0)
            else:
                widget.close()


def test_the_first_start_shows_the_recovery_key_once_then_signs_in(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = open_chart(tmp_path / "new-clinic.sqlite", clock=FakeClock(), hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    windows: list[MainWindow] = []
    flow = SignInFlow(services, show=shown_into(windows))
    try:
        flow.start()
        first = flow.dialog
        assert isinstance(first, FirstAdminDialog)
        qtbot.keyClicks(first.display, "Clinic Administrator")
        qtbot.keyClicks(first.password, PASSWORD)
        qtbot.keyClicks(first.again, PASSWORD)
        qtbot.mouseClick(first.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
        shown = flow.dialog
        assert isinstance(shown, RecoveryKeyDialog) and shown.isVisible()
        recovery = shown.key.text()
        assert len(recovery.replace("-", "")) == 32 and shown.key.isReadOnly()
        assert not shown.done_button.isEnabled()
        qtbot.keyClick(shown, Qt.Key.Key_Escape)  # a stray Escape does not lose the key
        assert shown.isVisible() and "not shown again" in shown.message.text()
        saved = tmp_path / "kept" / "recovery.txt"
        saved.parent.mkdir()
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(saved), "Text (*.txt)"))
        qtbot.mouseClick(shown.save_button, Qt.MouseButton.LeftButton)
        assert recovery in saved.read_text(encoding="utf-8") and stat.S_IMODE(saved.stat().st_mode) == 0o600
        assert shown.kept.isChecked() and shown.done_button.isEnabled()
        qtbot.mouseClick(shown.done_button, Qt.MouseButton.LeftButton)
        login = flow.dialog
        assert isinstance(login, LoginDialog) and login.isVisible()
        qtbot.keyClicks(login.username, "admin")
        qtbot.keyClicks(login.password, PASSWORD)
        qtbot.keyClick(login.password, Qt.Key.Key_Return)
        assert windows and not windows[0].findChildren(RecoveryKeyDialog)  # shown once
        services.accounts.sign_out()
        services.accounts.recover(recovery, "admin", "a-brand-new-password")  # the key shown is the chart's
    finally:
        _close(flow.dialog, *windows)
        services.close()


def test_the_first_administrators_sign_in_after_an_upgrade_shows_it_over_the_window(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path = _upgraded_chart_with_accounts(tmp_path)
    services = open_chart(path, clock=FakeClock(), hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    windows: list[MainWindow] = []
    flow = SignInFlow(services, show=shown_into(windows))
    try:
        with sqlite3.connect(path) as raw:
            name = raw.execute("SELECT username FROM clinician ORDER BY id LIMIT 1").fetchone()[0]
        flow.start()
        login = flow.dialog
        assert isinstance(login, LoginDialog)
        qtbot.keyClicks(login.username, name)
        qtbot.keyClicks(login.password, UPGRADED_PASSWORD)
        qtbot.keyClick(login.password, Qt.Key.Key_Return)
        assert windows, login.message.text()
        shown = windows[0].findChildren(RecoveryKeyDialog)
        assert len(shown) == 1 and shown[0].isVisible() and shown[0].key.text()
        with sqlite3.connect(path) as raw:
            clinician = raw.execute("SELECT username FROM clinician ORDER BY id LIMIT 1 OFFSET 1").fetchone()[0]
        told = shown[0].without_key.text()  # the other accounts: what their missing key means, in words
        assert shown[0].without_key.isVisible() and clinician in told and "can keep charting meanwhile" in told
        assert "at the next password an administrator sets" in told
    finally:
        _close(*(d for w in windows for d in w.findChildren(RecoveryKeyDialog)), flow.dialog, *windows)
        services.close()


def test_the_users_window_names_the_accounts_left_without_a_key(qtbot: QtBot, tmp_path: Path) -> None:
    from needlelog.ui.dialogs.users import UsersDialog

    path = _upgraded_chart_with_accounts(tmp_path)
    with sqlite3.connect(path) as raw:
        admin, clinician = (r[0] for r in raw.execute("SELECT username FROM clinician ORDER BY id LIMIT 2"))
        clinician_id = raw.execute("SELECT id FROM clinician WHERE username = ?", (clinician,)).fetchone()[0]
    services = open_chart(path, clock=FakeClock(), hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        services.accounts.login(admin, UPGRADED_PASSWORD)  # makes the key: the clinician's password predates it
        dialog = UsersDialog(services)
        qtbot.addWidget(dialog)
        assert f"{clinician} has no key to the chart yet and can keep charting meanwhile" in dialog.count.text()
        services.accounts.set_password(clinician_id, "a-new-password-for-them")
        dialog.reload()
        assert "no key" not in dialog.count.text()
        dialog.close()
    finally:
        services.close()


def test_after_the_upgrade_a_clinician_without_the_key_signs_in_at_the_window_and_charts(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """8:00 the administrator signs in (the key is made); 8:05 a clinician signs in at the real sign-in window,
    told nothing alarming, charts and signs; the administrator's next sign-in seals the note."""
    from tests.services.test_keyless_sealing import PASSWORD as KEYLESS_PASSWORD
    from tests.services.test_keyless_sealing import chart_and_sign, sealed, upgraded_chart

    path = upgraded_chart(tmp_path)
    clock = FakeClock()
    services = open_chart(path, clock=clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    windows: list[MainWindow] = []
    flow = SignInFlow(services, show=shown_into(windows))
    try:
        services.accounts.login("dwhitford", KEYLESS_PASSWORD)
        services.accounts.take_recovery_key()
        services.accounts.sign_out()
        flow.start()
        login = flow.dialog
        assert isinstance(login, LoginDialog)
        qtbot.keyClicks(login.username, "rsandhu")
        qtbot.keyClicks(login.password, KEYLESS_PASSWORD)
        qtbot.keyClick(login.password, Qt.Key.Key_Return)
        assert windows, login.message.text()
        assert not windows[0].findChildren(RecoveryKeyDialog) and services.access.chart_key is None
        note, _amendment = chart_and_sign(services, clock)
        _close(*windows)
        services.accounts.sign_out()
        assert note not in sealed(path, "note")
        services.accounts.login("dwhitford", KEYLESS_PASSWORD)
        assert note in sealed(path, "note")
    finally:
        _close(flow.dialog, *windows)
        services.close()
