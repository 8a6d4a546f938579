"""Databases and logins on the test PostgreSQL server, each test's own, removed afterwards.

Roles are the server's, not a database's: a login a test makes is dropped after its database, so no two
tests (xdist workers) ever share one and the server keeps none.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
PC_PASSWORD = "room 3 treatment pc"


@dataclass
class ServerChart:
    """A database of its own on the server, at ``url`` (the owner's, the role that made it)."""

    url: str
    roles: list[str] = field(default_factory=list)

    def pc_login(self) -> str:
        """The URL of a new login with least privilege on this chart (`needlelog db grants`, as IT runs it)."""
        login, group = f"pc_{uuid.uuid4().hex[:10]}", f"app_{uuid.uuid4().hex[:10]}"
        self.roles += [login, group]
        done = subprocess.run(
            [sys.executable, "-m", "needlelog", "db", "grants", "--db", self.url, "--login", login, "--group", group],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=ROOT,
            env={**os.environ, "NEEDLELOG_LOGIN_PASSWORD": PC_PASSWORD},
        )
        assert done.returncode == 0, done.stderr
        url = make_url(self.url).set(username=login, password=PC_PASSWORD)
        return url.render_as_string(hide_password=False)


@contextmanager
def fresh_database(server_url: str, prefix: str = "needlelog_t") -> Iterator[ServerChart]:
    """A new, empty UTF-8 database on the server of ``server_url``, dropped afterwards whoever is still
    connected, and then the logins made for it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'"))
    chart = ServerChart(make_url(server_url).set(database=name).render_as_string(hide_password=False))
    try:
        yield chart
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in chart.roles:
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()
