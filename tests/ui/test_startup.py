"""The program's start (issue 14): the sign-in window is on screen before the chart and its storage library are
loaded; the chart opens behind it; a sign-in typed at once waits for the chart, and nothing heavy is imported
before the window shows. Behaviour only: no time is measured here (bench/bench_startup.py measures it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from needlelog import app, cli
from needlelog.db.cipher import raw_connect
from needlelog.db.keyfile import file_key_for
from needlelog.domain.model import Clinician
from needlelog.services.store import open_chart
from needlelog.ui.dialogs.login_dialog import FirstAdminDialog, LoginDialog
from needlelog.ui.main_window import MainWindow
from tests.cipher_util import unreadable_without_key
from tests.conftest import TEST_HASHER, FakeClock

PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parents[2]


def run_probe(code: str, *args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -c code args`` in a fresh process, offscreen, from the checkout (with ``home`` as its home)."""
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if home is not None:
        environment["NEEDLELOG_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
        cwd=ROOT,
        timeout=50,
    )


# Modules the sign-in window does not need: each was on the way to it before issue 14.
NOT_AT_SIGN_IN = (
    "sqlalchemy",  # the chart opens behind the window
    "sqlalchemy.dialects.postgresql",
    "alembic",
    "argon2",
    "needlelog.services.store",
    "needlelog.db.models",
    "needlelog.ui.main_window",
    "needlelog.ui.session_editor",
    "needlelog.ui.dialogs.export_dialog",
    "reportlab",
    "xml.etree",
    "needlelog.domain.figure",
    "needlelog.domain.rules",
    "needlelog.domain.model",  # comes with the timers dock, once the chart is open
    # The application's wheel guard, an event filter in Python that sees every event: the sign-in window has no
    # field a wheel could change, and it is installed once that window is painted.
    "needlelog.ui.widgets.wheel_guard",
    "needlelog.ui.widgets.fields",
    "needlelog.ui.widgets.common",  # the tables' helpers, with Qt's ``Qt`` namespace
    "needlelog.domain.vocab",  # the roles are read once someone has signed in
    "needlelog.ui.window.quit_question",  # message boxes: each loads when it has something to say
    "needlelog.ui.window.cannot_open",
    "needlelog.preload",  # the storage library's thread starts once the window is painted
)

SIGN_IN_PROBE = """
import json, os, sys
from needlelog import app, cli

def mark(self, what):
    if what == "sign-in window":
        # Qt's ``Qt`` namespace makes its hundred-odd enums when first touched (about 14 ms of CPU).
        qt_namespace = "Qt" in vars(sys.modules["PySide6.QtCore"])
        print(json.dumps({"modules": sorted(sys.modules), "qt_namespace": qt_namespace}), flush=True)
    if what == "chart open":
        from PySide6.QtWidgets import QApplication
        from needlelog.ui.widgets.wheel_guard import WheelGuard

        print(json.dumps({"wheel_guard": QApplication.instance().findChild(WheelGuard) is not None}), flush=True)
        os._exit(0)

app.StartupMarks.mark = mark
from needlelog.cli import main  # the program's own start: python -m needlelog --db CHART
main(["--db", sys.argv[1]])
"""


@pytest.fixture
def chart_with_a_clinician(db_path: Path) -> Path:
    services = open_chart(db_path, clock=FakeClock(), hasher=TEST_HASHER)
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    services.accounts.login("admin", PASSWORD)
    services.accounts.add_user(Clinician("Dana Whitford", "dwhitford"), PASSWORD)
    services.close()
    return db_path


@pytest.mark.timeout(60)
def test_nothing_the_sign_in_window_does_not_need_is_loaded_before_it_shows(
    chart_with_a_clinician: Path, tmp_path: Path
) -> None:
    result = run_probe(SIGN_IN_PROBE, str(chart_with_a_clinician), home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    at_sign_in, at_chart_open = (json.loads(line) for line in result.stdout.splitlines())
    loaded = set(at_sign_in["modules"])
    assert "needlelog.ui.dialogs.login_dialog" in loaded  # the probe saw the sign-in window
    assert sorted(name for name in NOT_AT_SIGN_IN if name in loaded) == []
    assert at_sign_in["qt_namespace"] is False
    assert at_chart_open == {"wheel_guard": True}  # installed once the sign-in window is painted


def ending_on_a_failure(check: Callable[[str], None], failures: list[BaseException]) -> Callable[..., None]:
    """A mark that runs ``check``; an assertion failing inside the event loop ends the program, to be raised."""

    def mark(_marks: app.StartupMarks, what: str) -> None:
        try:
            check(what)
        except BaseException as exc:
            failures.append(exc)
            QApplication.exit(1)

    return mark


def test_a_sign_in_typed_before_the_chart_is_open_waits_for_it_then_opens_the_main_window(
    qtbot: QtBot, chart_with_a_clinician: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    failures: list[BaseException] = []

    def check(what: str) -> None:
        seen.append(what)
        if what == "sign-in window":
            [login] = [w for w in QApplication.topLevelWidgets() if isinstance(w, LoginDialog) and w.services is None]
            assert login.isVisible() and login.timers is None  # the chart is not open yet
            qtbot.keyClicks(login.username, "dwhitford")
            qtbot.keyClicks(login.password, PASSWORD)
            qtbot.keyClick(login.password, Qt.Key.Key_Return)  # pressed at once: it waits for the chart
            assert login.isVisible()
        if what == "main window":
            [window] = [
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, MainWindow) and w.isVisible() and w.services.location == str(chart_with_a_clinician)
            ]
            assert window.clinician is not None and window.clinician.username == "dwhitford"
            window.close()  # the program ends as it does when the window is closed...
            # ...and, should a window left by another test refuse Qt's quit, the event loop ends all the same
            QApplication.exit(0)

    monkeypatch.setattr(app.StartupMarks, "mark", ending_on_a_failure(check, failures))
    code = app.run(str(chart_with_a_clinician))
    if failures:
        raise failures[0]
    assert code == 0
    assert seen == ["sign-in window", "chart open", "main window"]
    # Both accounts hold a copy of the key and one signed in: the chart's file is encrypted now (issue 13).
    key = file_key_for(chart_with_a_clinician, "dwhitford", PASSWORD)
    with closing(raw_connect(chart_with_a_clinician, key)) as raw:
        actions = [row[0] for row in raw.execute("SELECT action FROM audit_log WHERE user_name = 'dwhitford'")]
    assert "login" in actions and unreadable_without_key(chart_with_a_clinician)


def test_on_the_first_start_the_administrators_dialog_takes_the_sign_in_windows_place(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: dict[str, list[str]] = {}
    failures: list[BaseException] = []

    def check(what: str) -> None:
        shown[what] = sorted(type(w).__name__ for w in QApplication.topLevelWidgets() if w.isVisible())
        if what == "chart open":
            QApplication.exit(0)

    monkeypatch.setattr(app.StartupMarks, "mark", ending_on_a_failure(check, failures))
    code = app.run(str(tmp_path / "new-clinic.sqlite"))
    for dialog in QApplication.topLevelWidgets():
        if isinstance(dialog, FirstAdminDialog) and dialog.isVisible():
            dialog.reject()
    if failures:
        raise failures[0]
    assert code == 0
    assert "LoginDialog" in shown["sign-in window"]
    assert FirstAdminDialog.__name__ in shown["chart open"] and "LoginDialog" not in shown["chart open"]


def test_a_read_only_chart_is_refused_behind_the_sign_in_window_in_one_line_with_exit_2(
    qtbot: QtBot, chart_with_a_clinician: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--db", f"sqlite:///{chart_with_a_clinician}?mode=ro"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("needlelog: --db asks for a read-only chart (?mode=ro)") and "drop ?mode=ro" in line
