"""The demo clinic: a clinic, three clinicians, forty patients with a few years of visits."""

from __future__ import annotations

import os

from sqlalchemy.orm import Session

from needlelog.db.repositories import get_clinic
from needlelog.services.seeding import seed_chart
from needlelog.services.store import engine_at_head

DEMO_PATIENTS = 40
DEMO_SESSIONS = 320
DEMO_SEED = 2026
# A clinic in full swing: most courses within the last 18 months, so most consents are current.
DEMO_HISTORY_DAYS = 540


def ensure_demo_clinic(target: str | os.PathLike[str]) -> bool:
    """Create the demo clinic at ``target`` unless a clinic is already there; True when created."""
    engine = engine_at_head(target)
    try:
        with Session(engine) as db, db.begin():
            if get_clinic(db) is not None:
                return False
        seed_chart(engine, DEMO_PATIENTS, DEMO_SESSIONS, seed=DEMO_SEED, clinicians=3, history_days=DEMO_HISTORY_DAYS)
        return True
    finally:
        engine.dispose()
