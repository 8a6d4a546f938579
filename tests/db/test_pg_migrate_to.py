"""Moving a clinic's SQLite chart onto the server (issue 16, item 2): `needlelog migrate-to`.

Every row goes across (signed notes with their fingerprints, amendments, the audit chain, accounts with
their passwords, lots, the adverse-event register and its follow-ups, a discarded draft), the server's
copy reads back as the file does through the program's own use cases, the file is left byte for byte as
it was, and a target that is not empty, a file at an older schema or with a broken chain is refused in
one line.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from needlelog.db import chart_copy
from needlelog.db.engine import open_engine
from needlelog.domain.lots import NeedleLot
from needlelog.domain.model import Clinician
from needlelog.services.migrate_to import migrate_to as migrate_to_in_process
from needlelog.services.migrate_to import verify_copy
from needlelog.services.seeding import seed_chart
from needlelog.services.store import Services, check_database, engine_at_head, open_chart
from tests.conftest import TEST_HASHER, TEST_WRAPPING, make_patient
from tests.e2e.pg_load import PASSWORD, _signable
from tests.pg_server import ServerChart, fresh_database

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")
if not PG_URL and os.environ.get("CI") == "true":
    raise RuntimeError("CI must test PostgreSQL mode: NEEDLELOG_TEST_PG_URL is not set")

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="NEEDLELOG_TEST_PG_URL is not set")]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def server_chart() -> Iterator[ServerChart]:
    assert PG_URL
    with fresh_database(PG_URL) as chart:
        yield chart


@pytest.fixture(scope="module")
def clinic_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clinic's file: a seeded decade in small, and a day of the program's own use cases on top."""
    path = tmp_path_factory.mktemp("clinic") / "chart.sqlite"
    engine = engine_at_head(path)
    seed_chart(engine, 25, 200, seed=5, workers=1)
    engine.dispose()
    chart = open_chart(path, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        _a_day_of_charting(chart)
    finally:
        chart.close()
    return path


def _a_day_of_charting(chart: Services) -> None:
    chart.accounts.add_user(Clinician("Ravi Sandhu", "rsandhu9", "PT", "PT-05982"), PASSWORD)
    chart.registers.add_lot(NeedleLot("Seirin", "0.25 x 30 mm", "LOT-77<&>", date(2030, 1, 31)))
    me = chart.accounts.login("rsandhu9", PASSWORD)
    patient = chart.patients.create(make_patient("M900", family_name="Øyvind <b>&amp;"))
    draft = chart.sessions.new_draft(patient.id or 0, me.id or 0, chart.clock() - timedelta(hours=2))
    signed = chart.sessions.sign(chart.sessions.save_draft(_signable(draft, "Zoë, 李, Алёна")), me.id or 0)
    chart.sessions.amend(signed.id or 0, "late detail", "Less pain at the neck <img src=x>.")
    other = chart.sessions.new_draft(patient.id or 0, me.id or 0, chart.clock() - timedelta(hours=1))
    chart.sessions.discard(other.id or 0, "opened by mistake")
    chart.sessions.new_draft(patient.id or 0, me.id or 0, chart.clock() - timedelta(minutes=30))  # left a draft
    chart.accounts.sign_out()
    events = chart.registers.adverse_events(date(2000, 1, 1), date(2100, 1, 1))
    if events:
        chart.registers.add_follow_up(events[0].session_id, "Called the patient: recovered.")


def _digest(path: Path) -> tuple[str, int]:
    """The file's bytes, and what its write-ahead log holds (SQLite may leave an empty one beside a reader)."""
    wal = Path(f"{path}-wal")
    return hashlib.sha256(path.read_bytes()).hexdigest(), wal.stat().st_size if wal.exists() else 0


def migrate_to(source: Path | str, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "needlelog", "migrate-to", "--db", str(source), "--to", target],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.timeout(120)
def test_every_row_goes_across_verified_and_the_file_stays_as_it_was(
    clinic_file: Path, server_chart: ServerChart
) -> None:
    before = _digest(clinic_file)
    done = migrate_to(clinic_file, server_chart.url)
    assert done.returncode == 0, done.stderr
    assert "copied treatment_session: 203 rows" in done.stdout  # the progress, a line a table off a terminal
    assert "verified: every table's count" in done.stdout.splitlines()[-1]
    assert _digest(clinic_file) == before
    reader, writer = open_engine(clinic_file), open_engine(server_chart.url)
    try:
        with reader.connect() as conn:
            in_the_file = chart_copy.held(conn)
        audited = in_the_file.rows["audit_log"]
        assert verify_copy(in_the_file, writer) == [  # all but the row that audits the move itself
            f"audit_log: {audited} rows in the file, {audited + 1} on the server",
            "audit trail: the server's newest row is not the file's newest row",
        ]
        counts = chart_copy.row_counts(writer)
        assert counts["amendment"] == 1 and counts["needle_lot"] == 1 and counts["treatment_session"] == 203
    finally:
        reader.dispose()
        writer.dispose()
    _the_same_through_the_program(clinic_file, server_chart.url)
    server_chart.pc_login()
    assert check_database(server_chart.url) == []


def _the_same_through_the_program(path: Path, url: str) -> None:
    file, server = (
        open_chart(path, hasher=TEST_HASHER, upgrade=False),
        open_chart(url, hasher=TEST_HASHER, wrapping=TEST_WRAPPING),
    )
    try:
        assert server.accounts.users() == file.accounts.users()
        assert server.registers.lots() == file.registers.lots()
        for patient in file.patients.search("", limit=1000):
            assert server.patients.get(patient.id) == file.patients.get(patient.id)
            history = file.sessions.history(patient.id)
            assert server.sessions.history(patient.id) == history
            for visit in history:
                assert server.sessions.get(visit.id) == file.sessions.get(visit.id)
                assert server.sessions.amendments(visit.id) == file.sessions.amendments(visit.id)
        lines = server.registers.audit(date(2000, 1, 1), date(2100, 1, 1))
        assert lines[1:] == file.registers.audit(date(2000, 1, 1), date(2100, 1, 1))
        assert lines[0].entry.detail.startswith("moved from the file chart.sqlite: 203 sessions")
        me = server.accounts.login("rsandhu9", PASSWORD)  # the password hash went across
        draft = server.sessions.new_draft(file.patients.search("M900")[0].id, me.id or 0)  # the sequences moved on
        assert server.sessions.save_draft(replace(draft, notes="on the server")).version == 2
    finally:
        file.close()
        server.close()


def test_a_target_that_is_not_empty_is_refused(clinic_file: Path, server_chart: ServerChart, tmp_path: Path) -> None:
    assert migrate_to(clinic_file, server_chart.url).returncode == 0
    again = migrate_to(clinic_file, server_chart.url)
    assert again.returncode == 2 and again.stderr.count("\n") == 1
    assert again.stderr.startswith("needlelog: The server's database is not empty (")
    assert "copies only into an empty database" in again.stderr


def test_an_older_file_a_broken_chain_and_a_file_target_are_refused(server_chart: ServerChart, tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    shutil.copy(FIXTURES / "schema-0005.sqlite", old)
    before = _digest(old)
    done = migrate_to(old, server_chart.url)
    assert done.returncode == 2 and "run `needlelog db upgrade --db" in done.stderr and _digest(old) == before
    broken = tmp_path / "broken.sqlite"
    chart = open_chart(broken, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    chart.patients.create(make_patient())
    chart.close()
    with sqlite3.connect(broken) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET detail = 'nothing' WHERE id = 1")
    done = migrate_to(broken, server_chart.url)
    assert done.returncode == 2 and "is not moved: its audit trail: row 1" in done.stderr, done.stderr
    done = migrate_to(broken, str(tmp_path / "other.sqlite"))
    assert done.returncode == 2 and "--to must name the PostgreSQL server's database" in done.stderr
    assert check_database(server_chart.url) == ["schema: the database is empty (no needlelog schema)"]


def test_a_file_written_during_the_move_is_moved_as_it_was_when_the_copy_began(
    clinic_file: Path, server_chart: ServerChart, tmp_path: Path
) -> None:
    """The window's Admin menu moves the chart it has open: the copy and its check read one snapshot of the file,
    so a row written meanwhile (a lock's audit row, another window's save) is neither half-copied nor a mismatch."""
    live = tmp_path / "live.sqlite"
    shutil.copy(clinic_file, live)
    chart = open_chart(live, hasher=TEST_HASHER, upgrade=False)
    written: list[str] = []

    def meanwhile(table: str, done: int, _total: int) -> None:
        if table == "treatment_session" and done and not written:
            chart.patients.create(make_patient("W1"))  # an audited write into the file, mid-copy
            written.append(table)

    try:
        moved = migrate_to_in_process(live, server_chart.url, progress=meanwhile)
    finally:
        chart.close()
    engine = open_engine(live)
    try:
        assert written and moved.rows["patient"] == chart_copy.row_counts(engine)["patient"] - 1
    finally:
        engine.dispose()
