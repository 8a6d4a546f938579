"""Each schema step down and back up again keeps the triggers and the data (SQLite; PostgreSQL when given)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine

from needlelog.db import migrate
from needlelog.db.engine import open_engine

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _run(engine: object, action: str, revision: str) -> None:
    config = migrate.alembic_config()
    with engine.begin() as conn:  # type: ignore[attr-defined]
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


@pytest.mark.parametrize("down_to", ["0012", "0011", "0010", "0009", "0006", "0005", "0004", "0003"])
def test_sqlite_steps_down_and_up_again_with_its_triggers(tmp_path: Path, down_to: str) -> None:
    path = tmp_path / "chart.sqlite"
    shutil.copy(FIXTURES / f"schema-{migrate.HEAD}.sqlite", path)
    engine = open_engine(path, create=False)
    try:
        _run(engine, "downgrade", down_to)
        assert migrate.schema_revision(engine) == down_to
        _run(engine, "upgrade", "head")
        assert migrate.schema_revision(engine) == migrate.HEAD
    finally:
        engine.dispose()
    raw = sqlite3.connect(path)
    signed = raw.execute("SELECT id FROM treatment_session WHERE status = 'signed' LIMIT 1").fetchone()[0]
    with pytest.raises(sqlite3.DatabaseError, match="signed note cannot be changed"):
        raw.execute(f"UPDATE needling_site SET needles = 9 WHERE session_id = {signed}")
    raw.close()


def test_below_0007_a_discarded_draft_is_a_draft_again_and_nothing_is_lost(tmp_path: Path) -> None:
    """0006 knows no discarded status: the row stays, as a draft (the audit trail keeps its discard)."""
    path = tmp_path / "chart.sqlite"
    shutil.copy(FIXTURES / "schema-0007.sqlite", path)
    with sqlite3.connect(path) as raw:
        (discarded,) = raw.execute("SELECT id FROM treatment_session WHERE status = 'discarded'").fetchone()
        count = raw.execute("SELECT COUNT(*) FROM treatment_session").fetchone()
    engine = open_engine(path, create=False)
    try:
        _run(engine, "downgrade", "0006")
    finally:
        engine.dispose()
    with sqlite3.connect(path) as raw:
        assert raw.execute(f"SELECT status FROM treatment_session WHERE id = {discarded}").fetchone() == ("draft",)
        assert raw.execute("SELECT COUNT(*) FROM treatment_session").fetchone() == count
        columns = {row[1] for row in raw.execute("PRAGMA table_info(treatment_session)")}
        assert not columns & {"discarded_at", "discarded_by_id", "discard_reason"}


@pytest.mark.skipif(not os.environ.get("NEEDLELOG_TEST_PG_URL"), reason="NEEDLELOG_TEST_PG_URL is not set")
def test_postgresql_steps_down_to_0003_and_up_again(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        _run(engine, "upgrade", "head")
        _run(engine, "downgrade", "0003")
        _run(engine, "upgrade", "head")
        assert migrate.schema_revision(engine) == migrate.HEAD
    finally:
        engine.dispose()
