"""Fixtures of the database tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh database on the server for each test, dropped afterwards."""
    assert PG_URL
    name = f"needlelog_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        # UTF-8 as a clinic's server is, whatever locale the cluster was made under (initdb under a
        # non-UTF-8 locale makes LATIN1 or SQL_ASCII templates; Debian 12's, made with none, are C.UTF-8).
        conn.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'"))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
