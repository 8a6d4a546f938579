"""Least privilege on the server (issue 16, item 4): the PCs' login cannot take the record's walls away.

Before `needlelog db grants` the chart's owner is the only login that uses it: it can TRUNCATE the audit
trail, and `check` says so. After it, the PCs' login charts, signs and amends as before, but the server
itself refuses it a TRUNCATE, an UPDATE or DELETE of the audit trail or an amendment, an ALTER TABLE and a
DISABLE TRIGGER; `check` (run with either URL) finds nothing, and names a grant that was widened by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from needlelog.domain.model import Clinician
from needlelog.services.store import check_database, engine_at_head, open_chart
from tests.conftest import TEST_HASHER, TEST_WRAPPING, make_patient
from tests.e2e.pg_load import PASSWORD, _signable
from tests.pg_server import ServerChart, fresh_database

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")
if not PG_URL and os.environ.get("CI") == "true":
    raise RuntimeError("CI must test PostgreSQL mode: NEEDLELOG_TEST_PG_URL is not set")

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="NEEDLELOG_TEST_PG_URL is not set")]

ATTACKS = [
    "TRUNCATE audit_log",
    "TRUNCATE amendment",
    "TRUNCATE treatment_session CASCADE",
    "UPDATE audit_log SET detail = 'nothing happened'",
    "DELETE FROM audit_log",
    "DELETE FROM amendment",
    "UPDATE amendment SET text = 'rewritten'",
    "ALTER TABLE treatment_session DISABLE TRIGGER ALL",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    "UPDATE alembic_version SET version_num = '0001'",
    "CREATE TRIGGER sneaky BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION needlelog_append_only()",
]


@pytest.fixture
def server_chart() -> Iterator[ServerChart]:
    assert PG_URL
    with fresh_database(PG_URL) as chart:
        engine_at_head(chart.url).dispose()
        yield chart


def _chart_a_signed_note_with_an_amendment(url: str) -> int:
    setup = open_chart(url, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        setup.accounts.add_user(Clinician("Ravi Sandhu", "rsandhu", "PT", "PT-05982"), PASSWORD)
    finally:
        setup.close()
    pc = open_chart(url, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        me = pc.accounts.login("rsandhu", PASSWORD)
        patient = pc.patients.create(make_patient())
        draft = pc.sessions.new_draft(patient.id or 0, me.id or 0, pc.clock() - timedelta(hours=1))
        saved = pc.sessions.save_draft(_signable(draft, "Zoë, 李, Алёна"))
        signed = pc.sessions.sign(replace(saved), me.id or 0)
        pc.sessions.amend(signed.id or 0, "late detail", "Less pain at the neck.")
        return signed.id or 0
    finally:
        pc.close()


def test_the_owner_as_the_only_login_is_named_by_check(server_chart: ServerChart) -> None:
    _chart_a_signed_note_with_an_amendment(server_chart.url)
    engine = create_engine(server_chart.url)
    with engine.begin() as conn:  # what the issue found: the program's own login can empty the trail
        conn.execute(text("TRUNCATE audit_log"))
    engine.dispose()
    problems = check_database(server_chart.url)
    assert len(problems) == 1 and "owned by the login that uses them" in problems[0]
    assert "needlelog db grants" in problems[0]


def test_the_pcs_login_charts_but_cannot_rewrite_the_record(server_chart: ServerChart) -> None:
    pc_url = server_chart.pc_login()
    session_id = _chart_a_signed_note_with_an_amendment(pc_url)  # the program works with least privilege
    engine = create_engine(pc_url)
    try:
        for attack in [*ATTACKS, f"UPDATE treatment_session SET notes = 'forged' WHERE id = {session_id}"]:
            with pytest.raises(ProgrammingError) as refused, engine.begin() as conn:
                conn.execute(text(attack))
            said = str(refused.value.orig)
            assert "permission denied" in said or "must be owner" in said or "signed" in said, (attack, said)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() > 0
    finally:
        engine.dispose()
    assert check_database(pc_url) == []
    assert check_database(server_chart.url) == []


def test_check_names_a_grant_widened_by_hand(server_chart: ServerChart) -> None:
    pc_url = server_chart.pc_login()
    login = pc_url.split("//", 1)[1].split(":", 1)[0]
    engine = create_engine(server_chart.url)
    with engine.begin() as conn:
        conn.execute(text(f"GRANT UPDATE, TRUNCATE ON audit_log TO {login}"))
        conn.execute(text(f"GRANT TRUNCATE ON patient TO {login}"))
        conn.execute(text("CREATE TABLE needle_box (id integer PRIMARY KEY)"))  # as a later upgrade would
    engine.dispose()
    problems = check_database(pc_url)
    assert f"privileges: the login {login} may UPDATE audit_log, which is append-only" in problems
    assert f"privileges: the login {login} may TRUNCATE audit_log, which is append-only" in problems
    assert f"privileges: the login {login} may TRUNCATE patient" in problems
    assert f"privileges: the login {login} may not read needle_box: run `needlelog db grants` again" in problems
    checked = subprocess.run(
        [sys.executable, "-m", "needlelog", "check", "--db", pc_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 1 and "may UPDATE audit_log" in checked.stderr


def test_grants_refuse_in_one_line(server_chart: ServerChart) -> None:
    def grants(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "needlelog", "db", "grants", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={k: v for k, v in os.environ.items() if k != "NEEDLELOG_LOGIN_PASSWORD"},
            stdin=subprocess.DEVNULL,
        )

    owner = server_chart.url.split("//", 1)[1].split(":", 1)[0]
    for args, words in [
        (("--db", server_chart.url, "--login", owner), "owns the chart's tables"),
        (("--db", server_chart.url, "--login", "Robert'); DROP"), "is not a role name"),
        (("--db", server_chart.url, "--login", "pc_never_made_x"), "give the password"),
        (("--db", "chart.sqlite", "--login", "pc"), "is for a PostgreSQL server"),
    ]:
        done = grants(*args)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert done.stderr.startswith("needlelog: ") and words in done.stderr, done.stderr
