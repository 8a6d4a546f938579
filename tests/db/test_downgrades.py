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


@pytest.mark.parametrize("down_to", ["0005", "0004", "0003"])
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
