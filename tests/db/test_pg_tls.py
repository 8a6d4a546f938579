"""TLS to the server is asked for in the URL (issue 16, item 4): libpq's ``sslmode`` and its companions
(``sslrootcert``, ``sslcert``, ``sslkey``) pass through needlelog to the driver untouched, and a server that
cannot give what the URL demands is refused in one line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from needlelog.db.engine import open_engine
from needlelog.services.store import engine_at_head
from tests.pg_server import fresh_database

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="NEEDLELOG_TEST_PG_URL is not set")]


@pytest.fixture
def chart_url() -> Iterator[str]:
    assert PG_URL
    with fresh_database(PG_URL) as chart:
        engine_at_head(chart.url).dispose()
        yield chart.url


def _ssl_in_use(url: str) -> bool:
    engine = open_engine(url, create=False)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).scalar())
    finally:
        engine.dispose()


def test_sslmode_reaches_the_driver(chart_url: str) -> None:
    assert _ssl_in_use(f"{chart_url}?sslmode=disable") is False
    if _ssl_in_use(f"{chart_url}?sslmode=prefer"):  # a server with TLS on: required, it is used
        assert _ssl_in_use(f"{chart_url}?sslmode=require") is True
        return
    # A server without TLS (the test cluster's default): a URL that requires it is refused, in one line.
    done = subprocess.run(
        [sys.executable, "-m", "needlelog", "check", "--db", f"{chart_url}?sslmode=require"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("needlelog: Cannot reach the database server at ") and "SSL" in done.stderr
    assert "needlelog:needlelog@" not in done.stderr  # the password is never shown
