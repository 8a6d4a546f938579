"""Several PCs at once on one PostgreSQL server: nothing lost, nothing overwritten, the audit chain whole.

Eight processes chart, save shared drafts from stale copies, sign, amend and print for a minute
(``tests/e2e/pg_load.py``; ``scripts/pg-load`` runs the same by hand, with other counts); then
``needlelog check`` finds the server's chart sound, and every process's own log agrees with the rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from needlelog.services.store import engine_at_head
from tests.e2e.pg_load import run_load
from tests.pg_server import ServerChart, fresh_database

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")
if not PG_URL and os.environ.get("CI") == "true":
    raise RuntimeError("CI must test PostgreSQL mode: NEEDLELOG_TEST_PG_URL is not set")

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="NEEDLELOG_TEST_PG_URL is not set")]


@pytest.fixture
def server_chart() -> Iterator[ServerChart]:
    assert PG_URL
    with fresh_database(PG_URL) as chart:
        engine_at_head(chart.url).dispose()
        yield chart


@pytest.mark.timeout(300)
def test_eight_pcs_for_a_minute_leave_one_whole_chain_and_every_row_they_logged(
    server_chart: ServerChart, tmp_path: Path
) -> None:
    pc_url = server_chart.pc_login()  # the PCs chart with least privilege, as a clinic's should
    result = run_load(server_chart.url, pc_url, processes=8, seconds=60, folder=tmp_path)
    assert result.problems == []
    assert result.logged["signed"] >= 4 and result.logged["amended"] >= 1 and result.logged["exported"] >= 1
    assert result.logged["conflict"] >= 1  # stale copies were refused, never written over the newer draft
    assert result.logged["sign_refused"] >= 1  # two PCs signing one draft: exactly one signature
    checked = subprocess.run(
        [sys.executable, "-m", "needlelog", "check", "--db", pc_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
