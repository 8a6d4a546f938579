"""Seeding: realistic, deterministic, within the clinic's ranges, readable through the normal services."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from needlelog.db.keyfile import file_key_for
from needlelog.domain.figure import lung_field_site
from needlelog.domain.rules import NeedleLedger, fingerprint, sign_problems, value_problems
from needlelog.domain.vocab import Aftercare, SessionStatus
from needlelog.services import seeding
from needlelog.services.demo import DEMO_PASSWORD, DEMO_PATIENTS, ensure_demo_clinic
from needlelog.services.encryption import open_with_password
from needlelog.services.seeding import seed_chart
from needlelog.services.store import engine_at_head, open_chart
from tests.cipher_util import unreadable_without_key
from tests.conftest import TEST_HASHER, TEST_WRAPPING, FakeClock

NOW = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)


def seeded(path: Path, patients: int = 30, sessions: int = 300, seed: int = 7, workers: int = 1) -> None:
    engine = engine_at_head(path)
    seed_chart(engine, patients, sessions, seed=seed, now=NOW, workers=workers)
    engine.dispose()


def dump(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as raw:
        return raw.execute(
            "SELECT s.id, s.patient_id, s.service_start, s.condition, s.fingerprint, n.region, n.side, n.needles,"
            " n.dwell_minutes, n.twitch FROM treatment_session s JOIN needling_site n ON n.session_id = s.id"
            " ORDER BY n.id"
        ).fetchall()


def test_seeded_sessions_read_back_through_the_services_and_follow_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "seed.sqlite"
    seeded(path)
    chart = open_chart(path, clock=FakeClock(NOW))
    clinicians = {c.id: c for c in chart.clinic.clinicians()}
    assert len(clinicians) == 3
    signed = drafts = 0
    for summary in chart.patients.search("", limit=100):
        patient = chart.patients.get(summary.id)
        for row in chart.sessions.history(summary.id, limit=500):
            session = chart.sessions.get(row.id)
            assert value_problems(session, NOW) == []
            assert session.service_start < NOW and session.service_start.tzinfo is not None
            assert 1 <= len(session.sites) <= 4
            over_lung = any(lung_field_site(s) for s in session.sites)
            assert session.lung_field_caution is over_lung
            if over_lung:
                assert Aftercare.SEEK_CARE_BREATHING in session.aftercare
            if session.status is SessionStatus.SIGNED:
                signed += 1
                signer = clinicians[session.signed_by_id]
                assert session.signed_at is not None
                assert session.fingerprint == fingerprint(session, patient, signer, session.signed_at)
                # a signed seed is a note the rules would have let through on its service day
                as_draft = replace(session, status=SessionStatus.DRAFT)
                assert sign_problems(as_draft, patient, signer, session.service_end or NOW, 12) == []
                assert NeedleLedger.of(session).reconciled
            else:
                drafts += 1
    chart.close()
    assert signed + drafts == 300 and signed > drafts > 0


def test_seeding_is_deterministic_in_process_and_in_workers(tmp_path: Path) -> None:
    seeded(tmp_path / "a.sqlite", workers=1)
    seeded(tmp_path / "b.sqlite", workers=1)
    assert dump(tmp_path / "a.sqlite") == dump(tmp_path / "b.sqlite")
    seeded(tmp_path / "c.sqlite", seed=8)
    assert dump(tmp_path / "a.sqlite") != dump(tmp_path / "c.sqlite")


def test_worker_processes_write_the_same_chart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seeding, "IN_PROCESS_BELOW", 0)  # use the pool even for a small chart
    seeded(tmp_path / "pool.sqlite", workers=2)
    seeded(tmp_path / "inline.sqlite", workers=1)
    assert dump(tmp_path / "pool.sqlite") == dump(tmp_path / "inline.sqlite")


def test_seeding_twice_appends_with_fresh_ids(tmp_path: Path) -> None:
    path = tmp_path / "twice.sqlite"
    seeded(path, patients=5, sessions=20)
    seeded(path, patients=5, sessions=20, seed=9)
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT COUNT(*) FROM patient").fetchone() == (10,)
        assert raw.execute("SELECT COUNT(*) FROM treatment_session").fetchone() == (40,)
        assert raw.execute("SELECT COUNT(*) FROM clinic").fetchone() == (1,)
        assert raw.execute("SELECT COUNT(DISTINCT username) FROM clinician").fetchone() == (6,)


def test_the_demo_clinic_is_made_once(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    assert ensure_demo_clinic(path, hasher=TEST_HASHER, wrapping=TEST_WRAPPING) is True
    assert ensure_demo_clinic(path, hasher=TEST_HASHER, wrapping=TEST_WRAPPING) is False
    assert unreadable_without_key(path)  # encrypted like a clinic's chart, every demo account holding a copy
    for user in ("admin", "kpatel", "dwhitford"):
        assert len(file_key_for(path, user, DEMO_PASSWORD)) == 32
    chart, _ = open_with_password(path, "admin", DEMO_PASSWORD)  # read below as the system
    assert chart.clinic.clinic().name == "Bow River Physiotherapy"
    assert len(chart.clinic.clinicians()) == 3
    everyone = chart.patients.search("", limit=100)
    assert len(everyone) == DEMO_PATIENTS
    # the demo shows the names a clinic really has
    names = {p.given_name for p in everyone} | {p.family_name for p in everyone}
    assert len({p.family_name for p in everyone}) >= 30
    assert names & {"Zoë", "Nguyễn", "Øyvind", "Алёна", "李"}
    chart.close()
