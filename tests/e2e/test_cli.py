"""The command line as a user runs it: real processes, real files, one-line errors with exit 2."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from needlelog import __version__

ROOT = Path(__file__).resolve().parents[2]


def needlelog(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "needlelog", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("needlelog: ")
    return lines[0]


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
        assert raw.execute("SELECT MIN(dwell_minutes), MAX(dwell_minutes) FROM needling_site").fetchone() >= (5, 5)
        low, high = raw.execute("SELECT MIN(dwell_minutes), MAX(dwell_minutes) FROM needling_site").fetchone()
        assert low >= 5 and high <= 15
        low, high = raw.execute("SELECT MIN(needles), MAX(needles) FROM needling_site").fetchone()
        assert low >= 1 and high <= 20
        assert raw.execute("SELECT MAX(needle_count) FROM treatment_session").fetchone()[0] <= 60


def test_db_also_comes_from_the_environment(tmp_path: Path) -> None:
    db = tmp_path / "env.sqlite"
    assert needlelog("seed", "--patients", "2", "--sessions", "3", env={"NEEDLELOG_DB": str(db)}).returncode == 0
    assert needlelog("check", env={"NEEDLELOG_DB": str(db)}).returncode == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("seed", "--db", "{tmp}/missing/x.sqlite", "--patients", "1", "--sessions", "1"), "folder"),
        (("seed", "--db", "{tmp}/x.sqlite", "--patients", "-5", "--sessions", "1"), "-5 is negative"),
        (("seed", "--db", "{tmp}/x.sqlite", "--patients", "ten", "--sessions", "1"), "'ten' is not a whole number"),
        (("seed", "--db", "{tmp}/x.sqlite", "--patients", "0", "--sessions", "4"), "needs at least one patient"),
        (("check", "--db", "{tmp}/absent.sqlite"), "There is no database at"),
        (("check", "--db", "{tmp}/letter.txt"), "is not a needlelog database"),
        (("check",), "required: --db"),
        (("frobnicate",), "invalid choice"),
        (("db", "upgrade", "--db", "{tmp}/newer.sqlite"), "newer than this needlelog knows"),
        (("check", "--db", "postgresql://nobody@127.0.0.1:1/none"), "Cannot reach the database server"),
        (("seed", "--db", "{tmp}/x.sqlite", "--patients", "1", "--sessions", "1", "--clinicians", "0"), "at least 1"),
        (("--exit-after", "nan"), "not a number of seconds"),
        (("check", "--db", "{tmp}/newer.sqlite", "--nonsense"), "unrecognized arguments"),
    ],
)
def test_user_errors_are_one_line_with_exit_2(tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    (tmp_path / "letter.txt").write_text("Dear clinic, " * 500)
    newer = tmp_path / "newer.sqlite"
    assert needlelog("seed", "--db", str(newer), "--patients", "1", "--sessions", "1").returncode == 0
    with sqlite3.connect(newer) as raw:
        raw.execute("UPDATE alembic_version SET version_num = 'ffff'")
    line = one_line_error(needlelog(*(a.replace("{tmp}", str(tmp_path)) for a in args)))
    assert words in line


def test_check_exits_1_and_names_a_broken_reference(tmp_path: Path) -> None:
    db = tmp_path / "broken.sqlite"
    assert needlelog("seed", "--db", str(db), "--patients", "3", "--sessions", "10").returncode == 0
    with sqlite3.connect(db) as raw:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("DROP TRIGGER signed_needling_site_no_update")  # corruption does not ask permission
        raw.execute("UPDATE needling_site SET session_id = 424242 WHERE id = (SELECT MIN(id) FROM needling_site)")
    result = needlelog("check", "--db", str(db))
    assert result.returncode == 1
    assert "needling_site row" in result.stderr and "treatment_session" in result.stderr


def test_check_exits_1_on_an_old_schema_and_db_upgrade_brings_it_to_head(tmp_path: Path) -> None:
    db = tmp_path / "empty.sqlite"
    sqlite3.connect(db).close()
    result = needlelog("check", "--db", str(db))
    assert result.returncode == 1 and "no needlelog schema" in result.stderr
    upgraded = needlelog("db", "upgrade", "--db", str(db))
    assert upgraded.returncode == 0 and "upgraded from empty to" in upgraded.stdout
    assert needlelog("db", "upgrade", "--db", str(db)).stdout.startswith("schema already at")
    assert needlelog("check", "--db", str(db)).returncode == 0


def test_demo_creates_the_clinic_once_and_opens_the_window(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    first = needlelog("demo", "--db", str(db), "--no-window")
    assert first.returncode == 0 and "demo clinic created" in first.stdout
    shown = needlelog("demo", "--db", str(db), "--exit-after", "0.5", env={"QT_QPA_PLATFORM": "offscreen"})
    assert shown.returncode == 0, shown.stderr
    assert "demo clinic created" not in shown.stdout
    assert "Traceback" not in shown.stderr


def test_demo_defaults_to_the_user_data_folder(tmp_path: Path) -> None:
    home = tmp_path / "data"
    result = needlelog("demo", "--no-window", env={"NEEDLELOG_HOME": str(home)})
    assert result.returncode == 0
    assert (home / "demo.sqlite").exists()


def test_check_does_not_load_qt() -> None:
    code = "import sys; from needlelog.cli import main; main(['--version'])"
    probe = "import sys, runpy; sys.argv=['needlelog','--version']\ntry:\n    " + code + "\nexcept SystemExit: pass\n"
    probe += "print('PySide6' in sys.modules, 'reportlab' in sys.modules, 'alembic' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "False False False"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1].splitlines()[1:]  # the fence's first line names the language
    commands = [line.split("#")[0].strip() for line in first_block if line.split("#")[0].strip()]
    assert commands == ["bash scripts/dev demo", "bash scripts/dev test"]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert commands[1] in ci_lines
