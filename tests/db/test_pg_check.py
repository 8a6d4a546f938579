"""`needlelog check` on a server finds a session's version behind its audit trail (issue 16, item 1): two saves
that claimed one version, or a draft's row set back by hand, and an audited session removed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, text

from needlelog.domain.model import Clinician, Consent
from needlelog.domain.vocab import ConsentMethod
from needlelog.services.store import check_database, open_chart
from tests.conftest import TEST_HASHER, TEST_WRAPPING, make_patient
from tests.pg_server import ServerChart, fresh_database

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="NEEDLELOG_TEST_PG_URL is not set")]


@pytest.fixture
def server_chart() -> Iterator[ServerChart]:
    assert PG_URL
    with fresh_database(PG_URL) as chart:
        yield chart


def test_a_version_set_back_and_a_session_removed_are_named(server_chart: ServerChart) -> None:
    chart = open_chart(server_chart.url, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        me = chart.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
        consent = Consent(date.today() - timedelta(days=1), ConsentMethod.WRITTEN, "D")  # an hour ago at 00:30
        patient = chart.patients.create(make_patient(consent=consent))
        draft = chart.sessions.new_draft(patient.id or 0, me.id or 0, chart.clock() - timedelta(hours=1))
        saved = chart.sessions.save_draft(replace(draft, notes="first"))
        chart.sessions.save_draft(replace(saved, notes="second"))
        gone = chart.sessions.new_draft(patient.id or 0, me.id or 0, chart.clock() - timedelta(minutes=50))
        chart.sessions.save_draft(replace(gone, notes="kept a moment"))
    finally:
        chart.close()
    server_chart.pc_login()  # the grants in order, so only the versions are left to find
    assert check_database(server_chart.url) == []
    engine = create_engine(server_chart.url)
    with engine.begin() as conn:  # as the owner, behind the program: a draft set back, another removed
        conn.execute(text("UPDATE treatment_session SET version = 2, notes = 'first' WHERE id = :id"), {"id": draft.id})
        conn.execute(text("DELETE FROM treatment_session WHERE id = :id"), {"id": gone.id})
    engine.dispose()
    assert check_database(server_chart.url) == [
        f"versions: session {draft.id} is at version 2, but the audit trail records 2 change(s) to it "
        "(a save lost, or the row set back)",
        f"versions: the audit trail records 1 change(s) to session {gone.id}, which the chart does not hold",
    ]
