"""A signed note never changes in place: not through the program, not through plain SQL on the file (SPEC §3)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from needlelog.domain.model import Clinician, NeedlingSite, Patient, TriggerPoint
from needlelog.domain.vocab import BodyRegion, Condition, FigureView, Side, TwitchResponse
from needlelog.services.store import Services
from tests.conftest import FakeClock

SITE = NeedlingSite(
    BodyRegion.NECK,
    Side.RIGHT,
    "levator scapulae",  # not over the lung: this note is not about the lung-field rule
    2,
    "",
    "L1",
    10,
    TwitchResponse.WEAK,
    (TriggerPoint(FigureView.BACK, 0.56, 0.15),),
    needles_out=2,  # counted out as its timer stopped
)


@pytest.fixture
def signed_and_draft(services: Services, patient: Patient, clinician: Clinician, clock: FakeClock) -> tuple[int, int]:
    def charted(minutes_ago: int) -> int:
        draft = services.sessions.new_draft(
            patient.id or 0, clinician.id or 0, clock.now - timedelta(minutes=minutes_ago)
        )
        return replace(
            draft,
            condition=Condition.NECK_HEADACHE,
            service_end=clock.now - timedelta(minutes=minutes_ago - 30),
            sites=(SITE,),
            sharps_disposed=True,
        )

    signed = services.sessions.sign(charted(120), clinician.id or 0)
    draft = services.sessions.save_draft(charted(60))
    return signed.id or 0, draft.id or 0


REFUSED_ON_SIGNED = [
    "UPDATE treatment_session SET notes = 'rewritten' WHERE id = :signed",
    "UPDATE treatment_session SET status = 'draft' WHERE id = :signed",
    "DELETE FROM treatment_session WHERE id = :signed",
    "UPDATE needling_site SET needles = 3 WHERE session_id = :signed",
    "DELETE FROM needling_site WHERE session_id = :signed",
    "INSERT INTO needling_site (session_id, position, muscle, needle_size, needle_lot)"
    " VALUES (:signed, 9, 'x', '', '')",
    "UPDATE trigger_point SET x = 0.1 WHERE site_id IN (SELECT id FROM needling_site WHERE session_id = :signed)",
    "DELETE FROM trigger_point WHERE site_id IN (SELECT id FROM needling_site WHERE session_id = :signed)",
    "INSERT INTO adverse_event (session_id, position, kind, description) VALUES (:signed, 0, 'other_serious', 'x')",
]


@pytest.mark.parametrize("statement", REFUSED_ON_SIGNED)
def test_plain_sql_cannot_change_a_signed_note(
    statement: str, signed_and_draft: tuple[int, int], db_path: Path
) -> None:
    signed, _ = signed_and_draft
    raw = sqlite3.connect(db_path)
    before = raw.execute("SELECT notes, status, fingerprint FROM treatment_session WHERE id = ?", (signed,)).fetchone()
    with pytest.raises(sqlite3.IntegrityError, match="a signed note cannot be changed"):
        raw.execute(statement, {"signed": signed})
    raw.rollback()
    after = raw.execute("SELECT notes, status, fingerprint FROM treatment_session WHERE id = ?", (signed,)).fetchone()
    assert after == before
    raw.close()


def test_a_draft_stays_editable_by_plain_sql(signed_and_draft: tuple[int, int], db_path: Path) -> None:
    _, draft = signed_and_draft
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE treatment_session SET notes = 'fixed by hand' WHERE id = ?", (draft,))
        raw.execute("UPDATE needling_site SET needles = 3 WHERE session_id = ?", (draft,))
        assert raw.execute("SELECT notes FROM treatment_session WHERE id = ?", (draft,)).fetchone() == (
            "fixed by hand",
        )
