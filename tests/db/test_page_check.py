"""The damaged-chart check's page reading, started in a thread at the program's start (issue 14): its answer is
taken only for the file it read, unchanged since; otherwise the health check reads the pages itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from needlelog.db import health
from needlelog.db.page_check import EarlyPageCheck, page_check_pragma


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
