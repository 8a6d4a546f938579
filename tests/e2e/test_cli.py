"""The command line: one-line errors with exit 2, `check`, `db upgrade`, `demo`.

What the command line decides is tested in-process (``cli.main`` with its stdout and stderr captured)
against files made once per test session; a few tests run the real command in its own process, as a
clinic's IT would, for what only a process shows: the exit code, the entry point, the modules loaded.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from needlelog import __version__, cli
from needlelog.services.seeding import seed_chart
from needlelog.services.store import engine_at_head
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]


def needlelog(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real command, in its own process."""
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "needlelog", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        check=False,
    )


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


Runner = Callable[..., Ran]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Runner:
    """``cli.main`` in this process, as the command would call it, with what it printed."""

    def run(*args: str) -> Ran:
        capsys.readouterr()
        code = cli.main(list(args))
        printed = capsys.readouterr()
        return Ran(code, printed.out, printed.err)

    return run


def one_line_error(result: subprocess.CompletedProcess[str] | Ran) -> str:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("needlelog: ")
    return lines[0]


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Made once: a sound chart, a chart from a newer needlelog, and a letter that is not a database.

    Tests only read them (a test that changes one works on its own copy)."""
    folder = tmp_path_factory.mktemp("cli-files")
    engine = engine_at_head(folder / "sound.sqlite")
    try:
        seed_chart(engine, 3, 10, seed=1, now=NOW, workers=1)
    finally:
        engine.dispose()
    engine_at_head(folder / "newer.sqlite").dispose()
    with sqlite3.connect(folder / "newer.sqlite") as raw:
        raw.execute("UPDATE alembic_version SET version_num = 'ffff'")
    (folder / "letter.txt").write_text("Dear clinic, " * 500)
    return folder


def test_version() -> None:
    result = needlelog("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"needlelog {__version__}"


def test_seed_then_check_and_every_stored_value_is_in_range(tmp_path: Path) -> None:
    db = tmp_path / "clinic.sqlite"
    seeded = needlelog("seed", "--db", str(db), "--patients", "200", "--sessions", "2000", "--seed", "1")
    assert seeded.returncode == 0, seeded.stderr
    assert "seeded 200 patients, 2000 sessions" in seeded.stdout
    checked = needlelog("check", "--db", str(db))
    assert checked.returncode == 0, checked.stderr
    assert "ok" in checked.stdout
    with sqlite3.connect(db) as raw:
        low, high = raw.execute("SELECT MIN(dwell_minutes), MAX(dwell_minutes) FROM needling_site").fetchone()
        assert low >= 5 and high <= 15
        low, high = raw.execute("SELECT MIN(needles), MAX(needles) FROM needling_site").fetchone()
        assert low >= 1 and high <= 20
        assert raw.execute("SELECT MAX(needle_count) FROM treatment_session").fetchone()[0] <= 60


def test_db_also_comes_from_the_environment(run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEEDLELOG_DB", str(tmp_path / "env.sqlite"))
    assert run("seed", "--patients", "2", "--sessions", "3").returncode == 0
    assert run("check").returncode == 0


USER_ERRORS = [
    (("seed", "--db", "{tmp}/missing/x.sqlite", "--patients", "1", "--sessions", "1"), "folder"),
    (("seed", "--db", "{tmp}/x.sqlite", "--patients", "-5", "--sessions", "1"), "-5 is negative"),
    (("seed", "--db", "{tmp}/x.sqlite", "--patients", "ten", "--sessions", "1"), "'ten' is not a whole number"),
    (("seed", "--db", "{tmp}/x.sqlite", "--patients", "0", "--sessions", "4"), "needs at least one patient"),
    (("check", "--db", "{tmp}/absent.sqlite"), "There is no database at"),
    (("check", "--db", "{files}/letter.txt"), "is not a needlelog database"),
    (("check",), "required: --db"),
    (("frobnicate",), "invalid choice"),
    (("db", "upgrade", "--db", "{files}/newer.sqlite"), "newer than this needlelog knows"),
    (("check", "--db", "postgresql://nobody@127.0.0.1:1/none"), "Cannot reach the database server"),
    (("seed", "--db", "{tmp}/x.sqlite", "--patients", "1", "--sessions", "1", "--clinicians", "0"), "at least 1"),
    (("--exit-after", "nan"), "not a number of seconds"),
    (("check", "--db", "{files}/newer.sqlite", "--nonsense"), "unrecognized arguments"),
]


def _fill(args: tuple[str, ...], tmp: Path, files: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)).replace("{files}", str(files)) for a in args]


@pytest.mark.parametrize(("args", "words"), USER_ERRORS)
def test_user_errors_are_one_line_with_exit_2(
    run: Runner, files: Path, tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    assert words in one_line_error(run(*_fill(args, tmp_path, files)))
    assert not (tmp_path / "x.sqlite").exists() and not (tmp_path / "absent.sqlite").exists()


@pytest.mark.parametrize(("args", "words"), [USER_ERRORS[7], USER_ERRORS[8]])
def test_the_real_command_prints_one_line_and_exits_2(
    files: Path, tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    """An argument error and a refused database, as IT sees them: the exit code of the process itself."""
    assert words in one_line_error(needlelog(*_fill(args, tmp_path, files)))


def test_check_exits_1_and_names_a_broken_reference(run: Runner, files: Path, tmp_path: Path) -> None:
    db = tmp_path / "broken.sqlite"
    shutil.copyfile(files / "sound.sqlite", db)
    with sqlite3.connect(db) as raw:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("DROP TRIGGER signed_needling_site_no_update")  # corruption does not ask permission
        raw.execute("UPDATE needling_site SET session_id = 424242 WHERE id = (SELECT MIN(id) FROM needling_site)")
    result = run("check", "--db", str(db))
    assert result.returncode == 1
    assert "needling_site row" in result.stderr and "treatment_session" in result.stderr


def test_check_exits_1_on_an_old_schema_and_db_upgrade_brings_it_to_head(run: Runner, tmp_path: Path) -> None:
    db = tmp_path / "empty.sqlite"
    sqlite3.connect(db).close()
    result = run("check", "--db", str(db))
    assert result.returncode == 1 and "no needlelog schema" in result.stderr
    upgraded = run("db", "upgrade", "--db", str(db))
    assert upgraded.returncode == 0 and "upgraded from empty to" in upgraded.stdout
    assert run("db", "upgrade", "--db", str(db)).stdout.startswith("schema already at")
    assert run("check", "--db", str(db)).returncode == 0


def test_demo_creates_the_clinic_once_and_opens_the_window(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    first = needlelog("demo", "--db", str(db), "--no-window")
    assert first.returncode == 0 and "demo clinic created" in first.stdout
    shown = needlelog("demo", "--db", str(db), "--exit-after", "0.5", env={"QT_QPA_PLATFORM": "offscreen"})
    assert shown.returncode == 0, shown.stderr
    assert "demo clinic created" not in shown.stdout
    assert "Traceback" not in shown.stderr


def test_demo_defaults_to_the_user_data_folder(run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "data"
    monkeypatch.setenv("NEEDLELOG_HOME", str(home))
    assert run("demo", "--no-window").returncode == 0
    assert (home / "demo.sqlite").exists()


CHECK_WITHOUT_QT = """
import sys
from needlelog.cli import main
code = main(["check", "--db", sys.argv[1]])
print(code, *(name in sys.modules for name in ("PySide6", "PySide6.QtCore", "needlelog.ui", "reportlab")))
"""


def test_check_does_not_load_qt(files: Path) -> None:
    """`needlelog check` on a real chart, in a fresh interpreter: it checks the file and never loads Qt or reportlab."""
    result = subprocess.run(
        [sys.executable, "-c", CHECK_WITHOUT_QT, str(files / "sound.sqlite")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert f"{files / 'sound.sqlite'}: ok" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "0 False False False False"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1].splitlines()[1:]  # the fence's first line names the language
    commands = [line.split("#")[0].strip() for line in first_block if line.split("#")[0].strip()]
    assert commands == ["bash scripts/dev demo", "bash scripts/dev test"]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert commands[1] in ci_lines
