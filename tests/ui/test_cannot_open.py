"""The window's side of a chart that cannot be opened (issue 12, item 5): a box says the same sentence the
command line prints, and the program ends with exit 2, never a traceback. The box is answered by the test."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from needlelog import cli
from needlelog.ui.window import cannot_open


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
