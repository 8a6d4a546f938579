"""The chart encrypted at rest, through the program itself (issue 13, item 1): the first start's chart is encrypted at
once; a copied file reads nothing without a password and opens with each account's password and the recovery key;
the real sign-in window opens an encrypted chart, counts wrong passwords given before it opens and locks after five;
an upgraded chart stays plain while an active account holds no copy of its key, and is encrypted after a backup at
the next key holder's sign-in once the administrator has set that account's password."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from needlelog import app
from needlelog.db import keyfile
from needlelog.db.cipher import raw_connect
from needlelog.domain.errors import PermissionDenied, StorageError
from needlelog.domain.model import Clinician
from needlelog.domain.vocab import Role
from needlelog.services import encryption
from needlelog.services.store import open_chart
from needlelog.ui.dialogs.login_dialog import FirstAdminDialog, LoginDialog
from needlelog.ui.dialogs.recovery_key import RecoveryKeyDialog
from needlelog.ui.dialogs.users import UsersDialog
from needlelog.ui.main_window import MainWindow
from tests.cipher_util import unreadable_without_key
from tests.conftest import TEST_HASHER, TEST_WRAPPING, make_patient

ADMIN = "front-desk-password"
DANA = "dana-own-password"
KIRAN = "kiran-own-password"
COSTS = {"hasher": TEST_HASHER, "wrapping": TEST_WRAPPING}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def visible(kind: type[QWidget]) -> QWidget:
    [widget] = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    return widget


def sign_in(qtbot: QtBot, username: str, password: str) -> LoginDialog:
    login = visible(LoginDialog)
    assert isinstance(login, LoginDialog)
    login.username.clear()
    qtbot.keyClicks(login.username, username)
    qtbot.keyClicks(login.password, password)
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    return login


def run_program(
    chart: Path, steps: Callable[[str], None], monkeypatch: pytest.MonkeyPatch, until: str = "main window"
) -> int:
    """The program on ``chart``, ``steps`` called at each window's first paint; ends at ``until`` (the main window
    is closed as a person would)."""
    failures: list[BaseException] = []

    def mark(_self: object, what: str) -> None:
        try:
            steps(what)
        except BaseException as exc:
            failures.append(exc)
            QApplication.exit(1)
            return
        if what == until:
            for window in QApplication.topLevelWidgets():
                if isinstance(window, MainWindow) and window.isVisible():
                    window.close()
            QApplication.exit(0)

    monkeypatch.setattr(app.StartupMarks, "mark", mark)
    code = app.run(str(chart))
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, LoginDialog | FirstAdminDialog | RecoveryKeyDialog) and widget.isVisible():
            widget.hide()
    if failures:
        raise failures[0]
    return code


@pytest.mark.timeout(60)
def test_a_first_start_chart_is_encrypted_and_a_copy_opens_only_with_a_password_or_the_recovery_key(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = tmp_path / "clinic.sqlite"
    recovery: list[str] = []

    def first_start(what: str) -> None:
        if what == "chart open":
            first = visible(FirstAdminDialog)
            assert isinstance(first, FirstAdminDialog)
            first.display.setText("Clinic Administrator")
            qtbot.keyClicks(first.password, ADMIN)
            qtbot.keyClicks(first.again, ADMIN)
            qtbot.mouseClick(first.buttons.buttons()[0], Qt.MouseButton.LeftButton)
            assert unreadable_without_key(chart)  # encrypted at once, before the recovery key is shown
            shown = visible(RecoveryKeyDialog)
            assert isinstance(shown, RecoveryKeyDialog)
            recovery.append(shown.key.text())
            shown.kept.setChecked(True)
            qtbot.mouseClick(shown.done_button, Qt.MouseButton.LeftButton)
            sign_in(qtbot, "admin", ADMIN)

    assert run_program(chart, first_start, monkeypatch) == 0
    # Two more accounts through the services on the encrypted chart, and a patient (as the system).
    services, chart_key = encryption.open_with_password(chart, "admin", ADMIN, **COSTS)  # type: ignore[arg-type]
    try:
        services.accounts.login("admin", ADMIN, chart_key)
        services.accounts.add_user(Clinician("Dana Whitford", "dwhitford", authorised_to_needle=True), DANA)
        services.accounts.add_user(Clinician("Kiran Patel", "kpatel", roles=frozenset({Role.MANAGER})), KIRAN)
        services.accounts.logout()
        services.patients.create(make_patient("C900", family_name="Vance", given_name="Eleanor"))
        with closing(raw_connect(chart, keyfile.file_key_for(chart, "admin", ADMIN))) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        services.close()

    copy = tmp_path / "stolen" / "clinic.sqlite"
    copy.parent.mkdir()
    for suffix in ("", "-wal", ".keys"):
        if Path(f"{chart}{suffix}").exists():
            shutil.copyfile(f"{chart}{suffix}", f"{copy}{suffix}")
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"), closing(sqlite3.connect(copy)) as raw:
        raw.execute("SELECT family_name FROM patient").fetchall()
    stolen = b"".join(
        Path(f"{copy}{suffix}").read_bytes() for suffix in ("", "-wal") if Path(f"{copy}{suffix}").exists()
    )
    assert b"Vance" not in stolen and b"Eleanor" not in stolen and b"SQLite format 3" not in stolen

    keys = {
        "admin": keyfile.file_key_for(copy, "admin", ADMIN),
        "dwhitford": keyfile.file_key_for(copy, "dwhitford", DANA),
        "kpatel": keyfile.file_key_for(copy, "kpatel", KIRAN),
        "recovery key": keyfile.file_key_from_recovery(copy, recovery[0]),
    }
    for who, key in keys.items():
        opened = open_chart(copy, create=False, key=key, **COSTS)  # type: ignore[arg-type]
        try:
            assert [p.given_name for p in opened.patients.search("Vance")] == ["Eleanor"], who
        finally:
            opened.close()
    with pytest.raises(PermissionDenied, match=r"^Wrong user name or password\.$"):
        keyfile.file_key_for(copy, "dwhitford", "not-dana-at-all")
    with pytest.raises(StorageError, match="does not open with this key"):
        open_chart(copy, create=False, key=bytes(32), **COSTS)  # type: ignore[arg-type]


@pytest.fixture
def encrypted_chart(db_path: Path) -> Path:
    """A chart whose administrator added a clinician, encrypted as the program does at a key holder's sign-in."""
    services = open_chart(db_path, **COSTS)  # type: ignore[arg-type]
    services.accounts.create_admin("admin", "Clinic Administrator", ADMIN)
    services.accounts.take_recovery_key()
    services.accounts.login("admin", ADMIN)
    services.accounts.add_user(Clinician("Dana Whitford", "dwhitford", authorised_to_needle=True), DANA)
    services, problem = encryption.encrypt_when_ready(services)
    assert problem is None
    services.close()
    assert unreadable_without_key(db_path)
    return db_path


@pytest.mark.timeout(60)
def test_the_sign_in_window_opens_an_encrypted_chart_and_five_wrong_passwords_lock_before_it_opens(
    qtbot: QtBot, encrypted_chart: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[str] = []

    def wrong_five_times(what: str) -> None:
        if what == "chart open":
            for n in range(1, 6):
                login = sign_in(qtbot, "dwhitford", f"wrong-password-{n}")
                assert login.isVisible() and login.services is None  # the chart did not open
                said.append(login.message.text())
            sign_in(qtbot, "dwhitford", DANA)  # the right password, while locked
            said.append(visible(LoginDialog).message.text())  # type: ignore[attr-defined]
            sign_in(qtbot, "admin", ADMIN)  # another account opens the chart
        if what == "main window":
            window = visible(MainWindow)
            assert isinstance(window, MainWindow)
            assert window.services.access.user is not None and window.services.access.user.username == "admin"

    assert run_program(encrypted_chart, wrong_five_times, monkeypatch) == 0
    assert said[:4] == ["Wrong user name or password."] * 4
    assert "now locked for 5 minutes" in said[4] and "locked after 5 failed logins" in said[5]
    with closing(raw_connect(encrypted_chart, keyfile.file_key_for(encrypted_chart, "admin", ADMIN))) as raw:
        trail = raw.execute("SELECT action, detail FROM audit_log WHERE user_name = 'dwhitford' ORDER BY id").fetchall()
        locked_until = raw.execute("SELECT locked_until FROM clinician WHERE username = 'dwhitford'").fetchone()[0]
    failed = [detail for action, detail in trail if action == "login_failed"]
    assert len(failed) == 6 and all("before the chart opened" in d or d.startswith("account locked") for d in failed)
    assert ("locked", next(d for a, d in trail if a == "locked")) in trail
    assert locked_until is not None  # the lock holds in the chart too (the sign-in window after a sign-out)
    assert keyfile.take_unaudited(encrypted_chart) == ([], 0)  # each written once


def _upgraded_chart(tmp_path: Path) -> Path:
    """A clinic's chart from schema 0013 (before the key), whose administrator (rsandhu) and clinician (dwhitford)
    had passwords then: upgraded on opening."""
    chart = tmp_path / "clinic.sqlite"
    shutil.copyfile(FIXTURES / "schema-0013.sqlite", chart)
    with closing(sqlite3.connect(chart)) as raw, raw:
        raw.execute(
            "UPDATE clinician SET roles = 'admin', password_hash = ? WHERE username = 'rsandhu'",
            (TEST_HASHER.hash(ADMIN),),
        )
        raw.execute("UPDATE clinician SET password_hash = ? WHERE username = 'dwhitford'", (TEST_HASHER.hash(DANA),))
    open_chart(chart, **COSTS).close()  # type: ignore[arg-type]
    return chart


@pytest.mark.timeout(90)
def test_an_upgraded_chart_stays_plain_until_every_active_account_holds_a_copy_then_is_encrypted_after_a_backup(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = _upgraded_chart(tmp_path)
    told: list[str] = []

    def administrator(what: str) -> None:
        if what == "chart open":
            sign_in(qtbot, "rsandhu", ADMIN)  # makes the chart key: dwhitford holds no copy of it
            shown = visible(RecoveryKeyDialog)
            shown.kept.setChecked(True)  # type: ignore[attr-defined]
            qtbot.mouseClick(shown.done_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
        if what == "main window":
            window = visible(MainWindow)
            assert isinstance(window, MainWindow)
            told.append(window.statusBar().currentMessage())
            users = UsersDialog(window.services, window)  # the Users window says it too
            told.append(users.count.text())
            users.close()

    assert run_program(chart, administrator, monkeypatch) == 0
    assert not unreadable_without_key(chart)  # still plain: dwhitford could not open an encrypted file
    assert "dwhitford holds no copy of its key" in told[0] and "Set their passwords in Users" in told[0]
    assert "dwhitford has no key" in told[1] and "the chart's file is not encrypted" in told[1]

    services = open_chart(chart, **COSTS)  # type: ignore[arg-type]
    services.accounts.login("rsandhu", ADMIN)
    [dana] = [c for c in services.accounts.users() if c.username == "dwhitford"]
    services.accounts.set_password(dana.id or 0, DANA)  # the administrator gives dwhitford a copy
    services.accounts.sign_out()
    services.close()
    assert not unreadable_without_key(chart)  # the account use case itself encrypts nothing

    backups = chart.with_name("clinic-backups")
    before = set(backups.glob("*")) if backups.exists() else set()
    assert (
        run_program(
            chart, lambda what: sign_in(qtbot, "dwhitford", DANA) if what == "chart open" else None, monkeypatch
        )
        == 0
    )
    assert unreadable_without_key(chart)
    taken = set(backups.glob("clinic*.sqlite")) - before
    assert taken  # the plain chart's backup, taken first, then encrypted in place with the chart's key
    assert all(unreadable_without_key(copy) for copy in backups.glob("clinic*.sqlite"))
    key = keyfile.file_key_for(chart, "dwhitford", DANA)
    with closing(raw_connect(chart, key)) as raw:
        [detail] = raw.execute("SELECT detail FROM audit_log WHERE action = 'chart_encrypted'").fetchone()
    assert "encrypted with SQLCipher" in detail and "backup" in detail
