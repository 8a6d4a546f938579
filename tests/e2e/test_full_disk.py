"""A full disk during a save, an export and a seed (issue 12, items 5 and 6): every file written
before is left whole, and the person is told so in one line (exit 2 on the command line).

Two ways to fill a disk without filling the real one: a small tmpfs mounted in the test's folder
(needs root: skipped, saying so, otherwise), and a file-size limit (``RLIMIT_FSIZE``) set in the
command's own process, which any user may set and which the system enforces the same way a full
disk is (a write refused half-way).
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest

from needlelog.domain.errors import StorageError
from needlelog.services.seeding import seed_chart
from needlelog.services.store import engine_at_head, open_chart
from tests.conftest import NOW, TEST_HASHER, TEST_WRAPPING, copy_chart, make_patient
from tests.e2e import faults

ROOT = Path(__file__).resolve().parents[2]
WIDE = ("--from", "2000-01-01", "--to", "2100-01-01")


def needlelog(*args: str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    """The real command; with ``limit``, no file it writes may grow past ``limit`` bytes."""

    def limited() -> None:  # runs in the child, before needlelog starts
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("NEEDLELOG_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "needlelog", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
        preexec_fn=limited,  # only a resource limit, set before exec
    )


def one_line_exit_2(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("needlelog: "), result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    return lines[0]


def contents(db: Path) -> tuple[int, int, int, list[str]]:
    """What a chart holds: patients, sessions, audit rows, and every signed note's fingerprint."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        count: Callable[[str], int] = lambda table: raw.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: E731
        prints = [row[0] for row in raw.execute("SELECT fingerprint FROM treatment_session ORDER BY id")]
        return count("patient"), count("treatment_session"), count("audit_log"), prints


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 signed visits, made once (copied per test)."""
    path = tmp_path_factory.mktemp("full-disk") / "clinic.sqlite"
    engine = engine_at_head(path)
    try:
        seed_chart(engine, 20, 200, seed=7, now=NOW, workers=1)
    finally:
        engine.dispose()
    return path


# --- seed ------------------------------------------------------------------------------------------


def test_a_seed_that_fills_the_disk_changes_nothing_and_says_so(clinic: Path, tmp_path: Path) -> None:
    with faults.small_disk(tmp_path / "disk", "1m") as disk:
        db = disk / "chart.sqlite"
        copy_chart(clinic, db)
        before = contents(db)
        line = one_line_exit_2(needlelog("seed", "--db", str(db), "--patients", "500", "--sessions", "5000"))
        assert "full" in line and "Nothing was changed" in line, line
        assert contents(db) == before
        assert needlelog("check", "--db", str(db)).returncode == 0


def test_a_seed_past_the_file_size_limit_changes_nothing_and_says_so(clinic: Path, tmp_path: Path) -> None:
    """The same fault without root: the system refuses to let the chart grow past its size now."""
    db = tmp_path / "chart.sqlite"
    copy_chart(clinic, db)
    before = contents(db)
    result = needlelog("seed", "--db", str(db), "--patients", "500", "--sessions", "5000", limit=db.stat().st_size)
    line = one_line_exit_2(result)
    assert "could not be written" in line and "Nothing was changed" in line, line
    assert contents(db) == before


# --- export ----------------------------------------------------------------------------------------


def test_an_export_that_fills_the_disk_leaves_complete_files_only(clinic: Path, tmp_path: Path) -> None:
    db = tmp_path / "chart.sqlite"
    copy_chart(clinic, db)
    with faults.small_disk(tmp_path / "disk", "1m") as disk:
        earlier = disk / "earlier-export.pdf"  # a file written before: it must stay as it was
        earlier.write_bytes(b"%PDF-1.4 an earlier export\n")
        out = disk / "notes"
        line = one_line_exit_2(
            needlelog("export", "--db", str(db), *WIDE, "--out", str(out), "--combined", str(disk / "all.pdf"))
        )
        assert "The disk is full" in line and "complete" in line, line
        assert earlier.read_bytes() == b"%PDF-1.4 an earlier export\n"
        written = sorted(out.iterdir())
        assert written, "the disk holds some notes before it is full"
        for path in written:  # no scratch folder, no half file: every PDF opens whole
            assert path.suffix == ".pdf" and not path.name.startswith("."), path
            assert len(pypdf.PdfReader(path).pages) >= 1
        assert not (disk / "all.pdf").exists()
        assert [p.name for p in disk.iterdir() if p.name.startswith(".")] == []


def test_a_combined_pdf_past_the_file_size_limit_is_refused_and_the_notes_stay(clinic: Path, tmp_path: Path) -> None:
    """Without root: each visit's PDF fits under the limit, the combined one of 200 does not."""
    db = tmp_path / "chart.sqlite"
    copy_chart(clinic, db)
    out = tmp_path / "notes"
    combined = tmp_path / "all.pdf"
    limit = db.stat().st_size + 200_000  # room for the chart to grow by its audit rows; a note is ~50 kB, all ~1 MB
    line = one_line_exit_2(
        needlelog("export", "--db", str(db), *WIDE, "--out", str(out), "--combined", str(combined), limit=limit)
    )
    assert "all.pdf" in line and "complete" in line, line
    assert not combined.exists()
    for path in out.iterdir():
        assert not path.name.startswith("."), path
        assert len(pypdf.PdfReader(path).pages) >= 1


# --- a save (a service write) ------------------------------------------------------------------------


def test_a_save_on_a_full_disk_is_refused_in_words_and_loses_nothing(template_db: Path, tmp_path: Path) -> None:
    with faults.small_disk(tmp_path / "disk", "1m") as disk:
        db = disk / "chart.sqlite"
        copy_chart(template_db, db)
        chart = open_chart(db, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
        try:
            kept = [chart.patients.create(make_patient(f"C{n}")) for n in range(3)]
            faults.fill(disk)
            with pytest.raises(StorageError) as refused:
                for n in range(100, 400):  # until a page no longer fits: the write-ahead log grows by pages
                    chart.patients.create(make_patient(f"C{n}", family_name="Whitford" * 20))
            message = str(refused.value)
            assert "full" in message and "Nothing was changed" in message, message
            assert "\n" not in message
        finally:
            chart.close()
        (disk / "filler").unlink()
        chart = open_chart(db, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
        try:
            for patient in kept:
                assert chart.patients.get(patient.id).chart_number == patient.chart_number
        finally:
            chart.close()
        with sqlite3.connect(db) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_the_faults_are_cleared_after_the_test(tmp_path: Path) -> None:
    """The mounts a test makes are gone when it ends (a left mount would fill /proc/mounts and the disk)."""
    with faults.small_disk(tmp_path / "disk", "64k") as disk:
        assert os.path.ismount(disk)
    assert not os.path.ismount(tmp_path / "disk")
    shutil.rmtree(tmp_path / "disk")
