"""The window's side of a chart that cannot be opened (issue 12, item 5): a box says the same sentence the
command line prints, and the program ends with exit 2, never a traceback. The box is answered by the test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from needlelog import cli
from needlelog.ui.window import cannot_open, damaged_chart


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(cannot_open, "tell", said.append)
    return said


@pytest.mark.parametrize(
    ("db", "words"),
    [
        ("~nosuchuser-of-needlelog/chart.sqlite", "no such user"),
        ("postgresql://h:abc/x", "not a database URL"),
        ("mysql://u@localhost/x", "not in mysql"),
        ("{tmp}/" + "n" * 300 + ".sqlite", "too long"),
        ("{tmp}/no-such-folder/chart.sqlite", "does not exist"),
    ],
)
def test_the_window_says_why_it_cannot_open_and_ends_with_exit_2(
    qtbot: QtBot, told: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], db: str, words: str
) -> None:
    code = cli.main(["--db", db.replace("{tmp}", str(tmp_path))])
    assert code == 2
    assert len(told) == 1 and words in told[0], told
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("needlelog: ") and words in lines[0], lines


def test_a_data_folder_that_is_a_file_is_said_in_the_window(
    qtbot: QtBot, told: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --db: the chart would be in NEEDLELOG_HOME, which is a file."""
    home = tmp_path / "home-file"
    home.write_text("not a folder")
    monkeypatch.setenv("NEEDLELOG_HOME", str(home))
    assert cli.main([]) == 2
    assert len(told) == 1 and "is a file, not a folder" in told[0], told
    assert capsys.readouterr().err.count("\n") == 1
    assert home.read_text() == "not a folder"


@pytest.mark.timeout(60)  # the start waits out the 10-second busy timeout
def test_a_chart_locked_by_another_program_is_not_set_aside_as_damaged(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program holds the chart: start-up says so and ends; the file stays where it is, whole."""
    said: list[str] = []
    monkeypatch.setattr(damaged_chart, "tell_closing", said.append)
    monkeypatch.setattr(damaged_chart, "offer_backup", lambda text: pytest.fail(f"offered: {text}"))
    script = (
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({str(db_path)!r}, isolation_level=None)\n"
        "c.execute('PRAGMA locking_mode = EXCLUSIVE'); c.execute('BEGIN EXCLUSIVE')\n"
        "c.execute('UPDATE clinic SET name = name')\n"
        "print('locked', flush=True); sys.stdin.read()\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        code = cli.main(["--db", str(db_path)])
    finally:
        holder.communicate(timeout=30)
    assert code != 0
    assert len(said) == 1 and "locked by another program" in said[0], said
    assert db_path.is_file() and not [p for p in db_path.parent.iterdir() if "damaged" in p.name]
