"""The dashboard's counts and the adverse-event register on PostgreSQL (issue 15): the same grouped SQL gives the
same figures as plain SQL on the server, and a late report and a review work through the server driver."""

from __future__ import annotations

import os
from datetime import date

import pytest
from sqlalchemy import text

from needlelog.domain.registers import CaseStatus, Severity
from needlelog.domain.vocab import AdverseEventKind
from needlelog.services.seeding import seed_chart
from needlelog.services.store import engine_at_head, open_chart
from tests.conftest import NOW, TEST_HASHER

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")
if not PG_URL and os.environ.get("CI") == "true":
    raise RuntimeError("CI must test PostgreSQL mode: NEEDLELOG_TEST_PG_URL is not set")

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="NEEDLELOG_TEST_PG_URL is not set")]

PLAIN = """
SELECT c.display_name, COUNT(*), SUM(s.needle_count),
       SUM(CASE WHEN s.reactions <> '' THEN 1 ELSE 0 END),
       SUM(CASE WHEN ' ' || s.reactions || ' ' LIKE '% bruising %' THEN 1 ELSE 0 END),
       SUM(CASE WHEN EXISTS (SELECT 1 FROM adverse_late_report r WHERE r.session_id = s.id) THEN 1 ELSE 0 END)
FROM treatment_session s JOIN clinician c ON c.id = s.clinician_id
WHERE s.status = 'signed' GROUP BY c.id, c.display_name
"""


def test_the_dashboard_counts_and_the_register_on_postgresql(pg_url: str) -> None:
    engine = engine_at_head(pg_url)
    seed_chart(engine, 20, 400, seed=5, now=NOW, workers=1)
    services = open_chart(pg_url, hasher=TEST_HASHER)
    services.accounts.create_admin("admin", "Clinic Administrator", "correct horse battery")
    services.accounts.login("admin", "correct horse battery")
    with engine.connect() as conn:  # closed here: a connection left checked out outlives dispose() (ResourceWarning)
        signed = conn.execute(text("SELECT id FROM treatment_session WHERE status = 'signed' LIMIT 1")).scalar()
    manager_id = services.access.user.id if services.access.user else 0
    with engine.begin() as conn:  # a late report, as the register writes it (the administrator may not)
        conn.execute(
            text(
                "INSERT INTO adverse_late_report (session_id, kind, description, reported_at, reported_by_id) "
                "VALUES (:s, 'pneumothorax', 'Breathless next day', now(), :by)"
            ),
            {"s": signed, "by": manager_id},
        )
    found = services.reports.dashboard(date(2000, 1, 1), date(2100, 12, 31))
    with engine.connect() as conn:
        expected = {name: tuple(int(n) for n in rest) for name, *rest in conn.execute(text(PLAIN))}
    shown = {m.clinician: (m.visits, m.needles, m.mild, m.bruising, m.adverse) for m in found.by_clinician()}
    assert shown == expected and sum(v[4] for v in shown.values()) == 1
    assert sum(m.visits for m in found.months) == sum(v[0] for v in expected.values())
    services.close()
    engine.dispose()


def test_a_late_report_and_a_review_through_the_server(pg_url: str) -> None:
    from needlelog.domain.model import Clinician
    from needlelog.domain.vocab import Role

    engine = engine_at_head(pg_url)
    seed_chart(engine, 5, 40, seed=2, now=NOW, workers=1)
    engine.dispose()
    services = open_chart(pg_url, hasher=TEST_HASHER)
    services.accounts.create_admin("admin", "Clinic Administrator", "correct horse battery")
    manager = Clinician("Kiran Patel", "kpatel", authorised_to_needle=False, roles=frozenset({Role.MANAGER}))
    services.accounts.add_user(manager, "correct horse battery")
    services.accounts.login("kpatel", "correct horse battery")
    visit = next(
        s
        for p in services.patients.search("")
        for s in services.sessions.history(p.id or 0)
        if s.status.value == "signed"
    )
    services.registers.report_later(visit.id, AdverseEventKind.INFECTION, "Red and warm at site 1 on day 3.")
    services.registers.review(visit.id, Severity.MINOR, CaseStatus.CLOSED)
    [entry] = [
        e for e in services.registers.adverse_events(date(2000, 1, 1), date(2100, 12, 31)) if e.session_id == visit.id
    ]
    assert (entry.severity, entry.status, entry.closed_by) == (Severity.MINOR, CaseStatus.CLOSED, "Kiran Patel")
    assert [r.kind for r in entry.late_reports] == [AdverseEventKind.INFECTION]
    services.close()
