"""The damaged-chart check's page reading, started in a thread at the program's start (issue 14): its answer is
taken only for the file it read, unchanged since; otherwise the health check reads the pages itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from needlelog.db import health, page_check
from needlelog.db.page_check import EarlyPageCheck, page_check_pragma
from needlelog.domain.errors import StorageError
from needlelog.domain.model import Clinician, Patient
from needlelog.services.store import Services
from tests.conftest import make_patient


def test_the_early_check_answers_for_the_file_it_read(db_path: Path) -> None:
    early = EarlyPageCheck(db_path)
    pragma = page_check_pragma(db_path.stat().st_size)
    assert early.rows(db_path, pragma) == ["ok"]
    assert early.rows(db_path, "integrity_check" if pragma == "quick_check" else "quick_check") is None
    assert health.examine_from(db_path, early=early)[0] == []


def test_a_file_changed_since_or_another_file_is_read_again(db_path: Path, tmp_path: Path) -> None:
    early = EarlyPageCheck(db_path)
    pragma = page_check_pragma(db_path.stat().st_size)
    assert early.rows(tmp_path / "other.sqlite", pragma) is None
    with sqlite3.connect(db_path) as raw:
        raw.execute("PRAGMA journal_mode = DELETE")
        raw.execute("UPDATE clinic SET name = 'Changed since'")
    assert early.rows(db_path, pragma) is None


def test_damage_found_early_is_the_damage_the_health_check_reports(db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute("PRAGMA journal_mode = DELETE")
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
        pages = raw.execute("PRAGMA page_count").fetchone()[0]
    with open(db_path, "r+b") as file:  # a page in the middle overwritten: what a failing disk leaves
        file.seek(page_size * (pages // 2))
        file.write(b"\xa5" * page_size)
    early = EarlyPageCheck(db_path)
    found = health.examine_from(db_path, early=early)[0]
    assert found and found == health.examine_from(db_path)[0]


def test_no_file_no_thread(tmp_path: Path) -> None:
    early = EarlyPageCheck(tmp_path / "new.sqlite")
    assert early.rows(tmp_path / "new.sqlite", "integrity_check") is None


# --- the page check after the main window (a chart above page_check.DEFER_ABOVE) ---------------------------
def damage_middle(path: Path) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA journal_mode = DELETE")
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
        pages = raw.execute("PRAGMA page_count").fetchone()[0]
    with open(path, "r+b") as file:
        file.seek(page_size * (pages // 2))
        file.write(b"\xa5" * page_size)


def test_a_large_charts_start_reads_the_header_and_leaves_the_pages_to_the_check_after_the_window(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    damage_middle(db_path)
    monkeypatch.setattr(page_check, "DEFER_ABOVE", 0)  # the test chart stands for a large one
    # Header, schema and audit trail only: a damaged page among those is said by SQLite when read, others later.
    assert all(
        "quick check" not in p and "integrity check" not in p for p in health.examine_from(db_path, pages=False)[0]
    )
    found: list[list[str]] = []
    check = page_check.PageCheck(db_path, found.append)
    check.join(timeout=15)
    assert found and found[0] == health.examine_from(db_path)[0]
    assert found[0][0].startswith("the file is damaged:")


def test_a_sound_chart_checked_after_the_window_calls_nobody(db_path: Path) -> None:
    check = page_check.PageCheck(db_path, lambda problems: pytest.fail(f"found {problems}"))
    check.join(timeout=15)
    assert check.problems == []


def test_a_file_cut_short_is_found_before_the_sign_in(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute("PRAGMA journal_mode = DELETE")
    size = db_path.stat().st_size
    with open(db_path, "r+b") as file:
        file.truncate(size - 4096)
    monkeypatch.setattr(page_check, "DEFER_ABOVE", 0)
    [problem] = health.examine_from(db_path, pages=False)[0]
    assert "cut short" in problem


def test_once_found_damaged_the_open_chart_takes_no_more_writes_and_a_draft_is_kept_elsewhere(
    services: Services, clinician: Clinician, patient: Patient
) -> None:
    services.refuse_writes("The chart's file was found damaged, so nothing more is saved to it.")
    with pytest.raises(StorageError, match="found damaged"):
        services.patients.create(make_patient("C200"))
    assert services.patients.get(patient.id or 0).chart_number == patient.chart_number  # reading goes on
