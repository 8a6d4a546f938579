"""Bad command lines and a hostile machine, as a clinic's IT meets them (issue 12, item 5).

Each case runs the real command in its own process and requires what SPEC §8 promises: exit code 2,
exactly one line on stderr starting ``needlelog:``, no traceback and no "unexpected error"; and, where
the case is about a chart, that the chart (or the place it would have gone) is left as it was.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from needlelog.domain.limits import SEED_CLINICIANS_MAX, SEED_PATIENTS_MAX, SEED_SESSIONS_MAX
from needlelog.services.seeding import seed_chart
from needlelog.services.store import engine_at_head
from tests.conftest import NOW
from tests.e2e import faults

ROOT = Path(__file__).resolve().parents[2]
WIDE = ("--from", "2000-01-01", "--to", "2100-01-01")


def needlelog(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    environment.pop("NEEDLELOG_DEBUG", None)
    environment.pop("NEEDLELOG_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "needlelog", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        check=False,
    )


def one_line_exit_2(result: subprocess.CompletedProcess[str]) -> str:
    """The promise of SPEC §8 for a user error; returns the line."""
    assert "Traceback" not in result.stderr, result.stderr
    assert "unexpected error" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("needlelog: "), lines
    assert result.returncode == 2, (result.returncode, result.stderr)
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sound_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small chart at head with signed notes, made once; each case works on its own copy."""
    path = tmp_path_factory.mktemp("bad-input") / "sound.sqlite"
    engine = engine_at_head(path)
    try:
        seed_chart(engine, 3, 8, seed=12, now=NOW, workers=1)
    finally:
        engine.dispose()
    with sqlite3.connect(path) as raw:  # one file, no -wal beside it: a copy is the whole chart
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@dataclass
class Case:
    """A bad command line: ``args`` with ``{db}`` and ``{tmp}`` filled in, the words its line must hold,
    and a ``fault`` (a context manager made in the test's folder) that sets the machine up."""

    args: tuple[str, ...]
    words: str
    env: dict[str, str] = field(default_factory=dict)
    fault: Callable[[Path, Path], AbstractContextManager[None]] | None = None
    unchanged: bool = True  # the chart's bytes are the same afterwards


@contextmanager
def _chart_read_only(tmp: Path, db: Path) -> Iterator[None]:
    with faults.read_only(db):
        yield


@contextmanager
def _folder_read_only(tmp: Path, db: Path) -> Iterator[None]:
    with faults.read_only(tmp):
        yield


@contextmanager
def _chart_immutable(tmp: Path, db: Path) -> Iterator[None]:
    with faults.immutable(db):
        yield


@contextmanager
def _home_read_only_mount(tmp: Path, db: Path) -> Iterator[None]:
    with faults.read_only_disk(tmp / "home"):
        yield


@contextmanager
def _no_version_row(tmp: Path, db: Path) -> Iterator[None]:
    raw = sqlite3.connect(db)
    with raw:
        raw.execute("DELETE FROM alembic_version")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    yield


@contextmanager
def _empty_file(tmp: Path, db: Path) -> Iterator[None]:
    (tmp / "empty.sqlite").touch()
    yield
    assert (tmp / "empty.sqlite").stat().st_size == 0  # not a byte written into it


@contextmanager
def _write_lock_held(tmp: Path, db: Path) -> Iterator[None]:
    with _holding(db, "BEGIN IMMEDIATE"):
        yield


@contextmanager
def _exclusive_lock_held(tmp: Path, db: Path) -> Iterator[None]:
    with _holding(db, "PRAGMA locking_mode = EXCLUSIVE", "BEGIN EXCLUSIVE"):
        yield


@contextmanager
def _holding(db: Path, *statements: str) -> Iterator[None]:
    """Another program holding a lock on the chart until the test is done (it waits on its stdin)."""
    script = (
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        + "".join(f"c.execute({s!r})\n" for s in statements)
        + "c.execute('UPDATE clinic SET name = name')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.communicate(timeout=30)


LONG_NAME = "n" * 300 + ".sqlite"
LONG_PATH = "/".join(["d" * 200] * 25) + "/x.sqlite"
SEED = ("seed", "--db", "{db}", "--patients", "1", "--sessions", "1")

CASES: dict[str, Case] = {
    "seed 10^20 patients": Case(
        ("seed", "--db", "{tmp}/new.sqlite", "--patients", "1" + "0" * 20, "--sessions", "1"),
        f"at most {SEED_PATIENTS_MAX:,}",
    ),
    "seed 10^12 sessions": Case(
        ("seed", "--db", "{tmp}/new.sqlite", "--patients", "5", "--sessions", "1" + "0" * 12),
        f"at most {SEED_SESSIONS_MAX:,}",
    ),
    "seed 10^9 clinicians": Case(
        ("seed", "--db", "{tmp}/new.sqlite", "--patients", "5", "--sessions", "5", "--clinicians", "1" + "0" * 9),
        f"at most {SEED_CLINICIANS_MAX:,}",
    ),
    "seed a 5,000-digit count": Case(
        ("seed", "--db", "{tmp}/new.sqlite", "--patients", "9" * 5000, "--sessions", "1"), "not a whole number"
    ),
    "chart locked by a writer": Case(SEED, "locked by another program", fault=_write_lock_held),
    "chart locked exclusively": Case(
        ("export", "--db", "{db}", *WIDE, "--out", "{tmp}/out"), "locked", fault=_exclusive_lock_held
    ),
    "check of a chart locked exclusively": Case(
        ("check", "--db", "{db}"), "locked by another program", fault=_exclusive_lock_held
    ),  # in use, not damaged: never named nor set aside as damaged
    "read-only chart file": Case(SEED, "read-only", fault=_chart_read_only),
    "read-only folder, new chart": Case(
        ("seed", "--db", "{tmp}/new.sqlite", "--patients", "1", "--sessions", "1"),
        "new.sqlite",
        fault=_folder_read_only,
    ),
    "read-only folder, existing chart": Case(SEED, "", fault=_folder_read_only),
    "immutable chart (chattr +i)": Case(SEED, "read-only", fault=_chart_immutable),
    "~nosuchuser": Case(("check", "--db", "~nosuchuser-of-needlelog/x.sqlite"), "no such user"),
    "~nosuchuser for --out": Case(
        ("export", "--db", "{db}", *WIDE, "--out", "~nosuchuser-of-needlelog/out"), "no such user"
    ),
    "300-character file name": Case(
        ("seed", "--db", "{tmp}/" + LONG_NAME, "--patients", "1", "--sessions", "1"), "too long"
    ),
    "5,000-character path": Case(("check", "--db", "{tmp}/" + LONG_PATH), "too long"),
    "postgresql://h:abc/x": Case(("check", "--db", "postgresql://h:abc/x"), "not a database URL"),
    "mysql://u@localhost/x": Case(("check", "--db", "mysql://u@localhost/x"), "not in mysql"),
    "postgresql://[::1/x": Case(("check", "--db", "postgresql://[::1/x"), "not a database URL"),
    "NEEDLELOG_HOME is a file": Case(
        ("demo", "--no-window"), "is a file, not a folder", env={"NEEDLELOG_HOME": "{db}"}
    ),
    "NEEDLELOG_HOME on a read-only mount": Case(
        ("demo", "--no-window"), "", env={"NEEDLELOG_HOME": "{tmp}/home"}, fault=_home_read_only_mount
    ),
    "alembic_version with no row": Case(SEED, "schema version is missing", fault=_no_version_row),
    "export of a 0-byte file": Case(
        ("export", "--db", "{tmp}/empty.sqlite", *WIDE, "--out", "{tmp}/out"),
        "holds no needlelog chart",
        fault=_empty_file,
    ),
    "export of a letter": Case(
        ("export", "--db", "{tmp}/letter.sqlite", *WIDE, "--out", "{tmp}/out"), "not a needlelog database"
    ),
    "seed into ?mode=ro": Case(
        ("seed", "--db", "sqlite:///{db}?mode=ro", "--patients", "1", "--sessions", "1"), "read-only chart (?mode=ro)"
    ),
    "export from ?mode=ro": Case(("export", "--db", "sqlite:///{db}?mode=ro", *WIDE, "--out", "{tmp}/out"), "?mode=ro"),
    "db upgrade of ?mode=ro": Case(("db", "upgrade", "--db", "sqlite:///{db}?mode=ro"), "?mode=ro"),
    "an unknown SQLite URL option": Case(("check", "--db", "sqlite:///{db}?cache=shared"), "only ?mode=ro"),
}


@pytest.mark.timeout(90)  # the two lock cases wait out the 10-second busy timeout first
@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_command_line_is_one_line_and_exit_2(name: str, sound_chart: Path, tmp_path: Path) -> None:
    case = CASES[name]
    work = tmp_path / "work"
    work.mkdir()
    db = work / "chart.sqlite"
    shutil.copyfile(sound_chart, db)
    (work / "letter.sqlite").write_text("Dear clinic, " * 500)

    def fill(text: str) -> str:
        return text.replace("{db}", str(db)).replace("{tmp}", str(work))

    with ExitStack() as stack:
        if case.fault is not None:
            stack.enter_context(case.fault(work, db))
        before = digest(db)
        result = needlelog(*map(fill, case.args), env={k: fill(v) for k, v in case.env.items()})
        line = one_line_exit_2(result)
        assert fill(case.words) in line, line
        if case.unchanged:
            assert digest(db) == before
    assert not (work / "new.sqlite").exists()
    assert not (work / "out").exists()
    assert not [p.name for p in work.iterdir() if "damaged" in p.name]


def test_a_read_only_open_reads_and_never_writes(sound_chart: Path, tmp_path: Path) -> None:
    """``?mode=ro`` is honoured: `check` reads the chart through it, and not a byte of the chart changes."""
    db = tmp_path / "chart.sqlite"
    shutil.copyfile(sound_chart, db)
    before = digest(db)
    result = needlelog("check", "--db", f"sqlite:///{db}?mode=ro")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert digest(db) == before


def test_the_bounds_are_stated_once_in_the_domain() -> None:
    from needlelog.domain import limits

    assert (limits.SEED_PATIENTS_MAX, limits.SEED_SESSIONS_MAX, limits.SEED_CLINICIANS_MAX) == (
        1_000_000,
        10_000_000,
        1_000,
    )


@pytest.mark.parametrize(("before", "after"), [(0o400, 0o400), (0o644, 0o600), (0o600, 0o600)])
def test_opening_a_chart_never_makes_it_writable(sound_chart: Path, tmp_path: Path, before: int, after: int) -> None:
    """Owner-only takes from the group and others and gives nothing: a chart made read-only stays so
    (it was once chmod-ed to 0600 by the next open, and written to)."""
    db = tmp_path / "chart.sqlite"
    shutil.copyfile(sound_chart, db)
    db.chmod(before)
    assert needlelog("db", "upgrade", "--db", str(db)).stdout.startswith("schema already at")
    assert stat.S_IMODE(db.stat().st_mode) == after
