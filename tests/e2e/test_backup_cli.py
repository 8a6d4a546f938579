"""`needlelog backup`, `restore` and `check` on damaged charts, as the real command in its own process.

Every answer is one line; a user error exits 2, a damaged chart found by `check` exits 1 and names the
newest backup that checks out; never a traceback or "unexpected error" (issue 12, items 2, 3 and 5).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from needlelog.services.seeding import seed_chart
from needlelog.services.store import engine_at_head
from tests.conftest import NOW
from tests.services.test_backups import damage, signed_notes_verify


def needlelog(*args: str, home: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """The real command, its home at ``home``; the chart, a password and a recovery key only where ``variables``
    give them (never the test runner's own), and no terminal to prompt on."""
    environment = {**os.environ, "NEEDLELOG_HOME": str(home), **variables}
    for name in ("NEEDLELOG_DB", "NEEDLELOG_PASSWORD", "NEEDLELOG_RECOVERY_KEY"):
        if name not in variables:
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "needlelog", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def said(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a command printed (stdout when it worked, stderr otherwise)."""
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr, result.stderr
    text = result.stdout if result.returncode == 0 else result.stderr
    assert len(text.strip().splitlines()) == 1, text
    return text.strip()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small seeded chart, made once; tests copy it."""
    path = tmp_path_factory.mktemp("backup-cli") / "seeded.sqlite"
    engine = engine_at_head(path)
    try:
        seed_chart(engine, 8, 60, seed=5, now=NOW, workers=1)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def chart(seeded: Path, tmp_path: Path) -> Path:
    path = tmp_path / "clinic" / "needlelog.sqlite"
    path.parent.mkdir()
    with closing(sqlite3.connect(seeded)) as original, closing(sqlite3.connect(path)) as copy:
        original.backup(copy)
    return path


def test_backup_prints_one_line_and_skips_an_unchanged_chart(chart: Path, tmp_path: Path) -> None:
    first = needlelog("backup", "--db", str(chart), home=tmp_path)
    assert first.returncode == 0
    line = said(first)
    assert line.startswith(f"backed up {chart} to {chart.parent / 'needlelog-backups'}") and "checked ok" in line
    again = needlelog("backup", "--db", str(chart), home=tmp_path)
    assert again.returncode == 0 and "has not changed since its newest backup" in said(again)
    other = needlelog("backup", "--db", str(chart), "--to", str(tmp_path / "usb"), home=tmp_path)
    assert other.returncode == 0 and str(tmp_path / "usb") in said(other)


def test_restore_prints_one_line_and_keeps_the_chart_aside(chart: Path, tmp_path: Path) -> None:
    assert needlelog("backup", "--db", str(chart), home=tmp_path).returncode == 0
    copy = next((chart.parent / "needlelog-backups").iterdir())
    restored = needlelog("restore", "--db", str(chart), copy.name, home=tmp_path)  # its name in the folder will do
    assert restored.returncode == 0
    line = said(restored)
    assert line.startswith(f"restored {chart} from {copy}") and "the chart before is kept as" in line
    assert needlelog("check", "--db", str(chart), home=tmp_path).returncode == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("backup", "--db", "{chart}", "--to", "{chart}"), "is a file; choose a folder"),
        (("backup", "--db", "{tmp}/absent.sqlite"), "There is no chart at"),
        (("backup", "--db", "postgresql://nobody@127.0.0.1:1/none"), "pg_dump"),  # a server: its own tool, said
        (("backup", "--db", "{chart}", "--to", "~nosuchuser-needlelog/x"), "no such user's home folder"),
        (("restore", "--db", "{chart}", "{tmp}/absent.sqlite"), "There is no backup at"),
        (("restore", "--db", "{chart}", "{letter}"), "is not a SQLite database"),
        (("restore", "--db", "{chart}", "{chart}"), "is the chart itself"),
        (("restore", "--db", "{chart}"), "required: BACKUP"),
        (("backup",), "required: --db"),
        (("backup", "--db", "{empty}"), "holds no needlelog chart yet; there is nothing to back up"),
    ],
)
def test_user_errors_exit_2_with_one_line(chart: Path, tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    letter = tmp_path / "letter.sqlite"
    letter.write_text("Dear clinic, " * 300)
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    filled = [a.format(chart=chart, tmp=tmp_path, letter=letter, empty=empty) for a in args]
    before = chart.read_bytes()
    result = needlelog(*filled, home=tmp_path)
    assert result.returncode == 2, result.stderr
    line = said(result)
    assert line.startswith("needlelog: ") and words in line
    assert chart.read_bytes() == before


def _truncated(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(size // 2)


def _zeroed(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 3)
        handle.write(b"\0" * 8192)


def _first_page(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\xa5" * 3000)


def _scattered(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for at in range(5000, len(data), 7919):
        data[at] = 0xFF
    path.write_bytes(bytes(data))


def _last_page(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size - 4096)
        handle.write(os.urandom(4096))


DAMAGE = {"garbage": damage, "truncated": _truncated, "zeroed": _zeroed, "first page": _first_page}
DAMAGE |= {"scattered bytes": _scattered, "last page": _last_page}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_check_names_the_damage_and_the_newest_good_backup(chart: Path, tmp_path: Path, kind: str) -> None:
    assert needlelog("backup", "--db", str(chart), home=tmp_path).returncode == 0
    copy = next((chart.parent / "needlelog-backups").iterdir())
    DAMAGE[kind](chart)
    before = chart.read_bytes()
    result = needlelog("check", "--db", str(chart), home=tmp_path)
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith("needlelog check: ") for line in lines)
    assert f"the newest good backup is {copy}" in lines[-1] and "needlelog restore --db" in lines[-1]
    assert chart.read_bytes() == before  # checked without writing a byte


def test_check_on_a_damaged_chart_without_backups_says_so(chart: Path, tmp_path: Path) -> None:
    damage(chart)
    result = needlelog("check", "--db", str(chart), home=tmp_path)
    assert result.returncode == 1
    assert "no backup of needlelog.sqlite that checks out" in result.stderr.strip().splitlines()[-1]


def test_drill_on_the_command_line_seed_backup_damage_check_restore(chart: Path, tmp_path: Path) -> None:
    """The drill as a clinic's IT runs it: every signed note comes back with its fingerprint."""
    signed = signed_notes_verify(chart)
    assert needlelog("backup", "--db", str(chart), home=tmp_path).returncode == 0
    damage(chart)
    checked = needlelog("check", "--db", str(chart), home=tmp_path)
    assert checked.returncode == 1
    advice = checked.stderr.strip().splitlines()[-1]
    command = advice.split("to go back to it: ")[1].split()
    assert command[:3] == ["needlelog", "restore", "--db"]
    restored = needlelog(*command[1:], home=tmp_path)
    assert restored.returncode == 0, restored.stderr
    aside = Path(said(restored).split("the chart before is kept as ")[1])
    assert aside.exists() and needlelog("check", "--db", str(aside), home=tmp_path).returncode == 1
    assert needlelog("check", "--db", str(chart), home=tmp_path).returncode == 0
    assert signed_notes_verify(chart) == signed
    with closing(sqlite3.connect(chart)) as raw:
        assert raw.execute("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone() == ("restore",)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 300 KB file system (tmpfs; needs root, else skipped)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a size-limited folder needs root to mount tmpfs")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mount)], check=False).returncode:
        pytest.skip("tmpfs cannot be mounted here")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_backup_folder_exits_2_in_one_line_and_keeps_the_first_copy(
    chart: Path, tmp_path: Path, small_disk: Path
) -> None:
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * 150 * 1024)  # the copy (about 200 KB) no longer fits
    result = needlelog("backup", "--db", str(chart), "--to", str(small_disk), home=tmp_path)
    assert result.returncode == 2
    line = said(result)
    assert f"The folder {small_disk} is full" in line and "untouched" in line
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]
    assert needlelog("check", "--db", str(chart), home=tmp_path).returncode == 0


def test_restore_refuses_a_chart_another_program_has_open(chart: Path, tmp_path: Path) -> None:
    assert needlelog("backup", "--db", str(chart), home=tmp_path).returncode == 0
    copy = next((chart.parent / "needlelog-backups").iterdir())
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(chart)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        result = needlelog("restore", "--db", str(chart), str(copy), home=tmp_path)
        assert result.returncode == 2
        assert "is open in another needlelog window or program; close it there, then restore" in said(result)
    finally:
        holder.communicate("\n", timeout=30)


HOLD_OPEN = """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA journal_mode = WAL")
c.execute("SELECT COUNT(*) FROM patient").fetchone()
print("open", flush=True)
sys.stdin.readline()
"""
