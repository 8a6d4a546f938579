"""A copy of the last session is built without being stored; its first save writes it, audited with its source."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from needlelog.domain.errors import ValidationError
from needlelog.domain.model import Clinician, Consent, Patient, TreatmentSession
from needlelog.domain.vocab import ConsentMethod, Side
from needlelog.services.store import Services
from tests.conftest import FakeClock
from tests.services.test_sessions import charted


def counts(db_path: Path) -> tuple[int, int]:
    with closing(sqlite3.connect(db_path)) as raw:
        sessions = raw.execute("SELECT count(*) FROM treatment_session").fetchone()[0]
        audit = raw.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    return sessions, audit


@pytest.fixture
def signed(services: Services, patient: Patient, clinician: Clinician, clock: FakeClock) -> TreatmentSession:
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0, clock.now - timedelta(minutes=40))
    note = services.sessions.sign(charted(draft, clock), clinician.id or 0)
    clock.advance(days=7)
    return note


def test_the_copy_is_built_unsaved_and_its_first_save_writes_it_naming_its_source(
    services: Services, signed: TreatmentSession, clinician: Clinician, db_path: Path
) -> None:
    before = counts(db_path)
    copy = services.sessions.copy_of_last(signed.patient_id, clinician.id or 0)
    assert copy.id is None and copy.copied_from == signed.id
    assert [s.region for s in copy.sites] == [s.region for s in signed.sites]
    assert all(s.twitch is None and s.needles_out == 0 for s in copy.sites)
    assert counts(db_path) == before  # nothing written

    stored = services.sessions.save_draft(replace(copy, notes="Better since last week."))
    assert stored.id is not None and stored.id != signed.id
    again = services.sessions.get(stored.id)
    assert again.notes == "Better since last week." and len(again.sites) == 3
    assert counts(db_path) == (before[0] + 1, before[1] + 1)
    with closing(sqlite3.connect(db_path)) as raw:
        (detail,) = raw.execute(
            "SELECT detail FROM audit_log WHERE action = 'session_created' AND session_id = ?", (stored.id,)
        ).fetchone()
    assert detail == f"copied from session {signed.id}"
    # saved again: the ordinary path, at its version
    assert services.sessions.save_draft(replace(again, notes="and again")).version == again.version + 1


def test_the_copy_keeps_the_rules_of_copy_last(
    services: Services, signed: TreatmentSession, patient: Patient, clinician: Clinician, clock: FakeClock
) -> None:
    copy = services.sessions.copy_of_last(signed.patient_id, clinician.id or 0)
    # consent lapses before the first save: the copied sites still save (as if stored), an added one does not
    old = Consent(date(2020, 1, 1), ConsentMethod.WRITTEN, "Dana Whitford")
    services.patients.edit(replace(services.patients.get(patient.id or 0), consent=old))
    with pytest.raises(ValidationError, match="consent"):
        services.sessions.save_draft(replace(copy, sites=(*copy.sites, replace(copy.sites[0], side=Side.LEFT))))
    assert services.sessions.save_draft(copy).id is not None
    # without valid consent there is no copy at all
    with pytest.raises(ValidationError, match="Record consent before copying"):
        services.sessions.copy_of_last(signed.patient_id, clinician.id or 0)
