"""A new version on a clinic's server (issue 16, items 4 and 6): the schema is upgraded once, by the owner,
under a lock; a PC whose login may not change the schema says who must, in one line, password unshown."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from alembic import command

from needlelog.db import migrate
from needlelog.db.engine import open_engine
from needlelog.domain.errors import StorageError
from needlelog.services.store import open_chart, upgrade_database
from tests.pg_server import PC_PASSWORD, ServerChart, fresh_database

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="NEEDLELOG_TEST_PG_URL is not set")]
OLDER = migrate.KNOWN_REVISIONS[-2]


@pytest.fixture
def older_chart() -> Iterator[ServerChart]:
    """A chart on the server left by the version before this one."""
    assert PG_URL
    with fresh_database(PG_URL) as chart:
        engine = open_engine(chart.url)
        config = migrate.alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, OLDER)
        engine.dispose()
        yield chart


def test_the_pcs_login_is_told_who_upgrades(older_chart: ServerChart) -> None:
    pc_url = older_chart.pc_login()
    with pytest.raises(StorageError, match="the server's IT upgrades it once, with the URL of the tables' owner"):
        open_chart(pc_url)
    done = subprocess.run(
        [sys.executable, "-m", "needlelog", "db", "upgrade", "--db", pc_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert f"at schema {OLDER} and this program needs {migrate.HEAD}" in done.stderr
    assert PC_PASSWORD not in done.stderr
    assert upgrade_database(older_chart.url) == (OLDER, migrate.HEAD)  # the owner may
    open_chart(pc_url).close()  # and then every PC starts


def test_several_starting_at_once_upgrade_once(older_chart: ServerChart) -> None:
    results: list[object] = []

    def start() -> None:
        try:
            results.append(upgrade_database(older_chart.url)[0])
        except Exception as exc:  # any failure is the finding
            results.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 4 and not [r for r in results if isinstance(r, Exception)], results
    engine = open_engine(older_chart.url)
    try:
        assert migrate.schema_revision(engine) == migrate.HEAD
    finally:
        engine.dispose()
