"""Backups of the server's chart (issue 16, item 5): `needlelog backup --db postgresql://…` runs pg_dump,
checks the copy with pg_restore --list, audits it and thins as for a file; `needlelog restore` puts a copy
into an empty database only, checked; a missing pg_dump is said in one line."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from needlelog.db import chart_copy
from needlelog.db.engine import open_engine
from needlelog.services.seeding import seed_chart
from needlelog.services.store import check_database, engine_at_head
from tests.pg_server import ServerChart, fresh_database

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="NEEDLELOG_TEST_PG_URL is not set")]


@pytest.fixture
def server_chart() -> Iterator[ServerChart]:
    assert PG_URL
    with fresh_database(PG_URL) as chart:
        engine = engine_at_head(chart.url)
        seed_chart(engine, 10, 80, seed=4, workers=1)
        engine.dispose()
        yield chart


def needlelog(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "needlelog", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.timeout(120)
def test_a_server_copy_is_checked_audited_and_restores_into_an_empty_database(
    server_chart: ServerChart, tmp_path: Path
) -> None:
    assert PG_URL
    folder = tmp_path / "copies"
    made = needlelog("backup", "--db", server_chart.url, "--to", str(folder))
    assert made.returncode == 0, made.stderr
    [copy] = list(folder.iterdir())
    assert copy.suffix == ".dump" and stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert "checked with pg_restore" in made.stdout and "needlelog:needlelog" not in made.stdout + made.stderr
    with fresh_database(PG_URL) as empty:
        restored = needlelog("restore", "--db", empty.url, str(copy))
        assert restored.returncode == 0, restored.stderr
        source, target = open_engine(server_chart.url), open_engine(empty.url)
        try:
            assert chart_copy.fingerprints(target) == chart_copy.fingerprints(source)
            counts = chart_copy.row_counts(target)
            # The source's newest row audits the copy (written after the dump); the restored chart's, its restore.
            assert counts["audit_log"] == chart_copy.row_counts(source)["audit_log"]
        finally:
            source.dispose()
            target.dispose()
        assert [p for p in check_database(empty.url) if not p.startswith("privileges:")] == []
    again = needlelog("restore", "--db", server_chart.url, str(copy))
    assert again.returncode == 2 and "is not empty" in again.stderr and again.stderr.count("\n") == 1


def test_pg_dump_missing_is_said_in_one_line(server_chart: ServerChart, tmp_path: Path) -> None:
    done = needlelog("backup", "--db", server_chart.url, "--to", str(tmp_path), env={"PATH": str(tmp_path)})
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("needlelog: pg_dump was not found on PATH: install PostgreSQL's client tools")
