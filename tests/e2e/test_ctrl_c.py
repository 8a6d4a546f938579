"""Ctrl-C at every moment of a long command (issue 12, item 5): as a terminal sends it, to the whole
process group, once the chart is open, while the workers start, while they render, half-way; and
during a large seed. Every time: exit 130, the one line "needlelog: interrupted", no traceback from
the program or any worker, every process of the group gone, only complete files left, the chart as
it was. Each moment is a state the test sees (a file, a process), never a guessed delay."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pypdf
import pytest

from needlelog.services.seeding import seed_chart
from needlelog.services.store import engine_at_head
from tests.conftest import NOW
from tests.e2e.test_stopping import complete_pdfs, group_ends, in_group

ROOT = Path(__file__).resolve().parents[2]
NOTES = 240
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ctrl-c") / "clinic.sqlite"
    engine = engine_at_head(path)
    try:
        seed_chart(engine, 30, NOTES, seed=3, now=NOW, workers=1)
    finally:
        engine.dispose()
    return path


def opened(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open (it is past its imports and at work on the chart)."""
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


def pool_starting(pid: int) -> bool:
    """multiprocessing's resource tracker is up: the worker pool is starting its workers."""
    return any("resource_tracker" in line for line in in_group(pid))


def workers_running(pid: int) -> bool:
    return any("spawn_main" in line for line in in_group(pid))


def pdfs(folder: Path) -> int:
    return len([p for p in folder.iterdir() if p.suffix == ".pdf"]) if folder.exists() else 0


Moment = Callable[[int, Path, Path], bool]  # (pid, chart, out) -> has the moment come
MOMENTS: dict[str, Moment] = {
    "the chart is open": lambda pid, db, out: opened(pid, db),
    "the output folder is made (the workers start)": lambda pid, db, out: out.exists(),
    "the pool is starting its workers": lambda pid, db, out: pool_starting(pid),
    "a worker is running": lambda pid, db, out: workers_running(pid),
    "the first notes are written": lambda pid, db, out: pdfs(out) >= 1,
    "forty notes are written": lambda pid, db, out: pdfs(out) >= NOTES // 6,
}


def interrupt_when(command: list[str], moment: Callable[[int], bool]) -> tuple[int, str]:
    """Runs ``command`` in its own process group, sends SIGINT to the group when ``moment(pid)`` comes,
    and returns the exit code and stderr once the process has ended (a hang fails at 60 s).

    On a machine loaded enough that this process is not scheduled for seconds, the command may end
    before the moment is seen: then it must have ended well (exit 0, nothing on stderr), and the
    caller counts that run as not interrupted."""
    process = subprocess.Popen(
        command,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        while not moment(process.pid):
            if process.poll() is not None:
                stdout, stderr = process.communicate()
                assert (process.returncode, stderr) == (0, ""), (stdout, stderr)
                return 0, stderr
            time.sleep(0.005)
        os.killpg(process.pid, signal.SIGINT)
        _stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert group_ends(process.pid) == []  # no worker left behind
    return process.returncode, stderr


@pytest.mark.timeout(300)
@pytest.mark.parametrize("when", list(MOMENTS))
def test_ctrl_c_during_an_export_ends_it_cleanly(when: str, clinic: Path, tmp_path: Path) -> None:
    interrupted = 0
    for run in range(3):
        db = tmp_path / f"chart-{run}.sqlite"
        shutil.copyfile(clinic, db)
        out, combined = tmp_path / f"out-{run}", tmp_path / f"all-{run}.pdf"
        command = [sys.executable, "-m", "needlelog", "export", "--db", str(db), "--from", "2000-01-01"]
        command += ["--to", "2100-01-01", "--out", str(out), "--combined", str(combined)]
        code, stderr = interrupt_when(command, lambda pid: MOMENTS[when](pid, db, out))  # noqa: B023
        complete_pdfs(out)  # whole PDFs only, and no hidden scratch folder
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
        if code == 0:  # it ended before the moment was seen (see interrupt_when)
            continue
        interrupted += 1
        assert (code, stderr.splitlines()) == (130, ["needlelog: interrupted"]), (when, run, stderr)
        if combined.exists():  # finished and published before the Ctrl-C: then it is whole
            assert len(pypdf.PdfReader(combined).pages) >= 1
    assert interrupted >= 1, f"the export always ended before {when!r} was seen"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("moment", [pool_starting, workers_running])
def test_ctrl_c_during_a_large_seed_leaves_the_chart_as_it_was(
    moment: Callable[[int], bool], clinic: Path, tmp_path: Path
) -> None:
    for run in range(3):
        db = tmp_path / f"chart-{run}.sqlite"
        shutil.copyfile(clinic, db)
        before = counts(db)
        command = [sys.executable, "-m", "needlelog", "seed", "--db", str(db), "--patients", "2000"]
        command += ["--sessions", "40000", "--seed", str(run)]
        code, stderr = interrupt_when(command, moment)
        assert (code, stderr.splitlines()) == (130, ["needlelog: interrupted"]), (run, stderr)
        assert counts(db) == before  # the seed's one transaction rolled back (40,000 visits: never done first)


def counts(db: Path) -> tuple[int, int, int]:
    with closing(sqlite3.connect(db)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return tuple(  # type: ignore[return-value]
            raw.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("patient", "treatment_session", "needling_site")
        )
