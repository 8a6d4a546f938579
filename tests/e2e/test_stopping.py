"""Stopping mid-work, as people do: the window closed during an export, Cancel then close, Ctrl-C
in a terminal. Each run is a whole process; it must end by itself and leave no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest

from needlelog.services.seeding import seed_chart
from needlelog.services.store import engine_at_head

NOW = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)
SCRIPT = Path(__file__).with_name("close_mid_export.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def thousand_notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """More than 1,000 signed visits in the export's range (SPEC §9's figure)."""
    path = tmp_path_factory.mktemp("stopping") / "clinic.sqlite"
    engine = engine_at_head(path)
    seed_chart(engine, 60, 1100, seed=22, now=NOW, history_days=300)
    engine.dispose()
    return path


def in_group(pgid: int) -> list[str]:
    """Processes (zombies aside) still in process group ``pgid``: a worker left behind would be one."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                alive.append(f"{entry.name}: {command}")
    return alive


def group_ends(pgid: int) -> list[str]:
    """Waits (up to 10 s) for process group ``pgid`` to empty, and returns what is still in it.

    multiprocessing's resource tracker, started beside every "spawn" child, ends by itself when
    the program's end closes its pipe: a moment after the program, never before. A worker left
    behind never ends, so it is still here after the wait."""
    deadline = time.monotonic() + 10
    while (left := in_group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return left


def complete_pdfs(folder: Path) -> list[Path]:
    files = sorted(folder.iterdir()) if folder.exists() else []
    assert all(p.suffix == ".pdf" and not p.name.startswith(".") for p in files), files  # no hidden scratch
    for path in files:
        assert len(pypdf.PdfReader(path).pages) >= 1
    return files


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.timeout(600)
def test_closing_the_window_mid_export_ends_the_program_every_time(thousand_notes: Path, tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    exits: list[float] = []
    for run in range(20):
        how = "cancel-then-close" if run % 2 else "close"
        out = tmp_path / f"out-{run}"
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), str(thousand_notes), str(out), how],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: its workers can be found afterwards
        )
        try:
            stdout, stderr = process.communicate(timeout=60)  # a hang fails here, with what it printed
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        ended = time.monotonic()
        assert process.returncode == 0, (how, stdout, stderr)
        # No traceback and no warning, from the program or its workers (the offscreen platform's own note aside).
        assert [line for line in stderr.splitlines() if "propagateSizeHints" not in line] == [], stderr
        closed_at = float(stdout.split()[1])
        exits.append(ended - closed_at)
        assert group_ends(process.pid) == []
        complete_pdfs(out)
    print(f"exit after close: min {min(exits):.2f} s, median {sorted(exits)[10]:.2f} s, max {max(exits):.2f} s")


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.timeout(120)
def test_ctrl_c_ends_a_command_line_export_cleanly(thousand_notes: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "needlelog",
            "export",
            "--db",
            str(thousand_notes),
            "--from",
            "2025-01-01",
            "--to",
            "2026-03-10",
            "--out",
            str(out),
            "--combined",
            str(tmp_path / "all.pdf"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        while len(complete_names(out)) < 3 and process.poll() is None:  # the workers are rendering
            time.sleep(0.02)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
        _stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130
    assert stderr.strip().splitlines() == ["needlelog: interrupted"]  # one line: no worker's traceback
    assert group_ends(process.pid) == []
    complete_pdfs(out)
    assert not (tmp_path / "all.pdf").exists()


def complete_names(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.suffix == ".pdf"] if folder.exists() else []
