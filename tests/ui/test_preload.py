"""What the main window needs is loaded while the person types (issue 14): the storage library and the services
in a thread of their own (plain Python only), the main window's modules on the window's thread one per turn of
the event loop. Behaviour only: no time is measured here (bench/bench_startup.py measures it)."""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from needlelog import app, preload
from needlelog.ui.widgets.thread_relay import ThreadRelay
from tests.ui.test_startup import run_probe


def test_every_module_the_lists_name_exists() -> None:
    """A name that is gone would be skipped quietly, its module then loaded after Enter: the lists are kept true."""
    names = [*preload.MODULES, *app.MAIN_WINDOW_MODULES]
    assert [name for name in names if importlib.util.find_spec(name) is None] == []


def test_the_charts_dialect_is_loaded_with_the_storage_library() -> None:
    assert preload.modules_for("/clinic/chart.sqlite")[-1] == "sqlalchemy.dialects.sqlite"
    assert preload.modules_for("sqlite:////clinic/chart.sqlite")[-1] == "sqlalchemy.dialects.sqlite"
    assert preload.modules_for("postgresql+psycopg://u@server/chart")[-2:] == (
        "sqlalchemy.dialects.postgresql",
        "psycopg",
    )
    assert preload.modules_for("oracle://server/chart") == preload.MODULES  # refused when opened, said there


def test_the_preload_loads_no_qt() -> None:
    """Qt's objects are made on the window's thread only: the thread's modules are plain Python."""
    probe = (
        "import json, sys\n"
        "from needlelog import preload\n"
        "done = preload.Preload(lambda: None, preload.modules_for('chart.sqlite'), preload.warm_for('chart.sqlite'))\n"
        "done.finished.wait(60)\n"
        "print(json.dumps({'failed': done.failed, 'qt': sorted(m for m in sys.modules if m.startswith(('PySide6', "
        "'shiboken6', 'needlelog.ui')))}))\n"
    )
    result = run_probe(probe)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"failed": [], "qt": []}


def test_a_module_that_fails_is_left_for_the_window_and_the_opening_still_follows() -> None:
    called: list[str] = []
    done = preload.Preload(
        lambda: called.append(threading.current_thread().name),
        modules=("needlelog.no_such_module", "json"),
        warm=(),
    )
    assert done.finished.wait(20)
    done.thread.join(20)
    assert done.failed == ["needlelog.no_such_module"]
    assert called == ["needlelog-preload"]  # said from the thread: the relay brings it to the window's thread


def test_the_relay_calls_on_the_windows_thread(qtbot: QtBot) -> None:
    seen: list[threading.Thread] = []
    relay = ThreadRelay(lambda: seen.append(threading.current_thread()))
    worker = threading.Thread(target=relay.call)
    worker.start()
    worker.join(10)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [threading.main_thread()]
    assert QCoreApplication.instance() is not None


CANCEL_AT_ONCE = """
import sys, threading
from needlelog import app

def mark(self, what):
    if what == "sign-in window":
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        from needlelog.ui.dialogs.login_dialog import LoginDialog

        [dialog] = [w for w in QApplication.topLevelWidgets() if isinstance(w, LoginDialog)]
        QTimer.singleShot(0, dialog.reject)  # Cancel while the storage library is still loading

app.StartupMarks.mark = mark
from needlelog.cli import main
code = main(["--db", sys.argv[1]])
print(" ".join(t.name for t in threading.enumerate()), flush=True)
raise SystemExit(code)
"""


def test_cancel_while_the_storage_library_loads_ends_the_program(tmp_path: Path) -> None:
    """The preload's thread is a daemon: the program ends at once, never waiting for it or hanging on it."""
    result = run_probe(CANCEL_AT_ONCE, str(tmp_path / "chart.sqlite"), home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
