"""The seals on the clinic's server (issue 13, item 2): sealed as on a file, found by `check --user` when the
tables' owner rewrites a record behind the program, and kept whole by a move from a file (`migrate-to`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from needlelog.services.migrate_to import migrate_to
from needlelog.services.store import open_chart, seal_check
from tests.conftest import TEST_HASHER, TEST_WRAPPING
from tests.db.test_pg_migrate_to import _a_day_of_charting
from tests.e2e.pg_load import PASSWORD
from tests.pg_server import ServerChart, fresh_database

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="NEEDLELOG_TEST_PG_URL is not set")]


@pytest.fixture
def server_chart() -> Iterator[ServerChart]:
    assert PG_URL
    with fresh_database(PG_URL) as chart:
        yield chart


def test_a_record_rewritten_by_the_tables_owner_is_named(server_chart: ServerChart) -> None:
    chart = open_chart(server_chart.url, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        _a_day_of_charting(chart)
    finally:
        chart.close()
    assert seal_check(server_chart.url, "rsandhu9", PASSWORD) == []
    engine = create_engine(server_chart.url)
    with engine.begin() as conn:  # the owner may disable its own triggers: only the seal can tell
        conn.execute(text("ALTER TABLE amendment DISABLE TRIGGER amendment_append_only"))
        conn.execute(text("UPDATE amendment SET text = 'FORGED'"))
        conn.execute(text("ALTER TABLE amendment ENABLE TRIGGER amendment_append_only"))
        last = conn.execute(text("SELECT head_id FROM chain_seal")).scalar_one()  # the last row written with the key
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": last})
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    engine.dispose()
    problems = seal_check(server_chart.url, "rsandhu9", PASSWORD)
    assert any("amendment 1 does not match its seal" in p for p in problems), problems
    assert any(f"audit row {last}, the sealed head of the trail, is missing" in p for p in problems), problems


def test_a_chart_moved_from_a_file_keeps_its_seals(server_chart: ServerChart, tmp_path: Path) -> None:
    path = tmp_path / "chart.sqlite"
    chart = open_chart(path, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        _a_day_of_charting(chart)
    finally:
        chart.close()
    assert seal_check(path, "rsandhu9", PASSWORD) == []
    migrate_to(path, server_chart.url)
    assert seal_check(server_chart.url, "rsandhu9", PASSWORD) == []
    server = open_chart(server_chart.url, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        server.accounts.login("rsandhu9", PASSWORD)  # the key opens there, and what it writes is sealed
        server.accounts.sign_out()
    finally:
        server.close()
    assert seal_check(server_chart.url, "rsandhu9", PASSWORD) == []
