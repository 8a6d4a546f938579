"""PostgreSQL mode: the same migrations and the same use cases on a real server.

Runs when NEEDLELOG_TEST_PG_URL names a server (the README's test command starts one);
on CI a missing server is a failure, not a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from needlelog.db.models import Base
from needlelog.domain.errors import ConflictError, ValidationError
from needlelog.domain.model import Clinician, NeedlingSite
from needlelog.domain.vocab import BodyRegion, Condition, SessionStatus, Side, TwitchResponse
from needlelog.services.seeding import seed_chart
from needlelog.services.store import Services, engine_at_head, open_chart
from tests.conftest import FakeClock, make_patient

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")
if not PG_URL and os.environ.get("CI") == "true":
    raise RuntimeError("CI must test PostgreSQL mode: NEEDLELOG_TEST_PG_URL is not set")

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="NEEDLELOG_TEST_PG_URL is not set")]


@pytest.fixture
def chart(pg_url: str, clock: FakeClock) -> Iterator[Services]:
    services = open_chart(pg_url, clock=clock)
    yield services
    services.close()


def test_migrations_match_the_models_on_postgresql(pg_url: str) -> None:
    engine = engine_at_head(pg_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_charting_and_signing_work_the_same_on_postgresql(chart: Services, clock: FakeClock, pg_url: str) -> None:
    clinician = chart.clinic.add_clinician(Clinician("Ravi Sandhu", "rsandhu", "PT", "PT-05982"))
    patient = chart.patients.create(make_patient())
    assert [p.given_name for p in chart.patients.search("nguy")] == ["Zoë"]
    draft = chart.sessions.new_draft(patient.id or 0, clinician.id or 0, clock.now - timedelta(minutes=40))
    site = NeedlingSite(
        BodyRegion.NECK, Side.RIGHT, "levator scapulae", 2, "", "", 10, TwitchResponse.WEAK, needles_out=2
    )
    with pytest.raises(ValidationError, match="dwell time must be 5 to 15"):
        chart.sessions.save_draft(replace(draft, sites=(replace(site, dwell_minutes=16),)))
    saved = chart.sessions.save_draft(replace(draft, sites=(site,), notes="Zoë, 李, Алёна"))
    other_pc = open_chart(pg_url, clock=clock)
    with pytest.raises(ConflictError):
        other_pc.sessions.save_draft(replace(draft, notes="stale"))
    other_pc.close()
    signed = chart.sessions.sign(
        replace(
            saved,
            condition=Condition.NECK_HEADACHE,
            service_end=clock.now - timedelta(minutes=5),
            sharps_disposed=True,
        ),
        clinician.id or 0,
    )
    again = chart.sessions.get(signed.id or 0)
    assert again.status is SessionStatus.SIGNED and again.notes == "Zoë, 李, Алёна"
    assert again.service_start == draft.service_start


def test_seeding_writes_through_the_server_driver(pg_url: str) -> None:
    engine = engine_at_head(pg_url)
    result = seed_chart(engine, 20, 150, seed=3, workers=1)
    assert result.sessions == 150
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM treatment_session")).scalar() == 150
        low, high = conn.execute(text("SELECT MIN(dwell_minutes), MAX(dwell_minutes) FROM needling_site")).one()
        assert low >= 5 and high <= 15
    engine.dispose()
    services = open_chart(pg_url)
    summary = services.patients.search("")[0]
    assert services.sessions.history(summary.id)  # the rows read back through the ORM
    # ids continue after the seeded ones: the sequences were moved on
    added = services.patients.create(make_patient("NEW1"))
    assert (added.id or 0) > 20
    services.close()


def test_postgresql_refuses_changing_a_signed_note_by_plain_sql(chart: Services, clock: FakeClock, pg_url: str) -> None:
    clinician = chart.clinic.add_clinician(Clinician("Ravi Sandhu", "rsandhu", "PT", "PT-05982"))
    patient = chart.patients.create(make_patient())
    draft = chart.sessions.new_draft(patient.id or 0, clinician.id or 0, clock.now - timedelta(minutes=40))
    site = NeedlingSite(
        BodyRegion.NECK, Side.RIGHT, "levator scapulae", 2, "", "", 10, TwitchResponse.WEAK, needles_out=2
    )
    signed = chart.sessions.sign(
        replace(
            draft,
            sites=(site,),
            condition=Condition.NECK_HEADACHE,
            service_end=clock.now - timedelta(minutes=5),
            sharps_disposed=True,
        ),
        clinician.id or 0,
    )
    engine = create_engine(pg_url)
    for statement in (
        "UPDATE treatment_session SET notes = 'rewritten' WHERE id = :id",
        "DELETE FROM needling_site WHERE session_id = :id",
    ):
        with pytest.raises(Exception, match="a signed note cannot be changed"), engine.begin() as conn:
            conn.execute(text(statement), {"id": signed.id})
    engine.dispose()
    assert chart.sessions.get(signed.id or 0).notes == signed.notes
