"""Dwell timers kept with the draft's sites, across patients; the lung-field caution recorded and asked for."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from needlelog.domain.errors import ConflictError, ValidationError
from needlelog.domain.figure import anchor_point
from needlelog.domain.model import Clinician, Patient
from needlelog.domain.rules import fingerprint
from needlelog.domain.vocab import Aftercare, BodyRegion, Side
from needlelog.services.store import Services
from tests.conftest import FakeClock, make_patient, rebuild
from tests.services.test_sessions import charted, neck_site


def test_running_timers_span_patients_and_stopping_fills_the_dwell(
    services: Services, clinician: Clinician, patient: Patient, clock: FakeClock, db_path: Path
) -> None:
    other = services.patients.create(make_patient("C200", family_name="Okafor", given_name="Ada"))
    first = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    second = services.sessions.new_draft(other.id or 0, clinician.id or 0)
    services.sessions.save_draft(replace(first, sites=(neck_site(timer_started=clock.now), neck_site(side=Side.LEFT))))
    clock.advance(minutes=2)
    services.sessions.save_draft(replace(second, sites=(neck_site(dwell_minutes=8, timer_started=clock.now),)))
    running = services.sessions.running_timers()
    assert [(t.patient_name, t.site_index, t.planned_minutes) for t in running] == [
        ("Zoë Nguyễn", 0, 10),
        ("Ada Okafor", 0, 8),
    ]
    assert running[0].site_label == "Site 1 · neck, right · upper trapezius"

    clock.advance(minutes=9)  # the first has run 11 minutes
    stopped = services.sessions.stop_timer(first.id or 0, 0)
    assert stopped.sites[0].dwell_minutes == 11
    assert stopped.sites[0].timer_stopped == clock.now
    assert [t.patient_name for t in services.sessions.running_timers()] == ["Ada Okafor"]

    # a restart reads the same timers back from the file
    services.close()
    again = rebuild(db_path, clock)
    try:
        assert [t.patient_name for t in again.sessions.running_timers()] == ["Ada Okafor"]
        assert again.sessions.get(first.id or 0).sites[0].dwell_minutes == 11
    finally:
        again.close()


def test_a_timer_stopped_outside_5_to_15_keeps_its_times_and_leaves_the_dwell_to_the_clinician(
    services: Services, clinician: Clinician, patient: Patient, clock: FakeClock
) -> None:
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    started = clock.now
    services.sessions.save_draft(replace(draft, sites=(neck_site(timer_started=started),)))
    clock.advance(minutes=3)
    stopped = services.sessions.stop_timer(draft.id or 0, 0)
    site = stopped.sites[0]
    assert site.dwell_minutes is None
    assert (site.timer_started, site.timer_stopped) == (started, clock.now)


def test_a_running_timer_and_a_missing_breathing_aftercare_stop_signing(
    services: Services, clinician: Clinician, patient: Patient, clock: FakeClock
) -> None:
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    clock.advance(minutes=30)
    chest = neck_site(region=BodyRegion.CHEST, trigger_points=(anchor_point(BodyRegion.CHEST, Side.RIGHT),))
    session = charted(
        draft,
        clock,
        sites=(neck_site(timer_started=clock.now - timedelta(minutes=20)), chest),
        aftercare=frozenset({Aftercare.HYDRATE}),  # the breathing aftercare not given
    )
    with pytest.raises(ValidationError) as refused:
        services.sessions.sign(session, clinician.id or 0)
    fields = [p.field for p in refused.value.problems]
    assert "sites[0].timer" in fields
    assert "aftercare.seek_care_breathing" in fields
    messages = " ".join(p.message for p in refused.value.problems)
    assert "stop its dwell timer" in messages and "lung field" in messages

    stored = services.sessions.save_draft(session)
    assert stored.lung_field_caution  # recorded with the session as soon as it is saved
    done = replace(
        stored,
        sites=(replace(session.sites[0], timer_stopped=clock.now - timedelta(minutes=9)), chest),
        aftercare=session.aftercare | {Aftercare.SEEK_CARE_BREATHING},
    )
    signed = services.sessions.sign(done, clinician.id or 0)
    assert signed.is_signed and signed.lung_field_caution
    with pytest.raises(ConflictError):
        services.sessions.stop_timer(signed.id or 0, 0)


def test_copy_last_carries_sites_and_markers_but_not_todays_twitch_or_timer(
    services: Services, clinician: Clinician, patient: Patient, clock: FakeClock
) -> None:
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    first = neck_site(timer_started=clock.now - timedelta(minutes=12), timer_stopped=clock.now - timedelta(minutes=2))
    services.sessions.save_draft(replace(draft, sites=(first, neck_site(side=Side.LEFT))))
    clock.advance(days=7)
    copy = services.sessions.copy_last(patient.id or 0, clinician.id or 0)
    assert [s.trigger_points for s in copy.sites] == [first.trigger_points, first.trigger_points]
    assert [(s.region, s.side, s.muscle) for s in copy.sites] == [
        (BodyRegion.NECK, Side.RIGHT, "upper trapezius"),
        (BodyRegion.NECK, Side.LEFT, "upper trapezius"),
    ]
    assert all(s.timer_started is None and s.timer_stopped is None and s.twitch is None for s in copy.sites)


def test_a_signed_lung_field_note_keeps_the_fingerprint_of_what_is_stored(
    services: Services, clinician: Clinician, patient: Patient, clock: FakeClock
) -> None:
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    clock.advance(minutes=30)
    back = neck_site(region=BodyRegion.UPPER_BACK, trigger_points=(anchor_point(BodyRegion.UPPER_BACK, Side.RIGHT),))
    on_screen = charted(draft, clock, sites=(back,), aftercare=frozenset({Aftercare.SEEK_CARE_BREATHING}))
    assert not on_screen.lung_field_caution  # the editor's copy never sets it
    signed = services.sessions.sign(on_screen, clinician.id or 0)
    stored = services.sessions.get(signed.id or 0)
    assert stored.lung_field_caution
    assert stored.signed_at is not None
    assert stored.fingerprint == fingerprint(stored, patient, clinician, stored.signed_at)


def test_an_autosave_of_ten_sites_is_a_handful_of_statements(
    services: Services, clinician: Clinician, patient: Patient, clock: FakeClock
) -> None:
    from sqlalchemy import event

    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    ten = tuple(neck_site(needles=1) for _ in range(10))
    saved = services.sessions.save_draft(replace(draft, sites=ten))
    statements: list[str] = []
    engine = services._engine  # the test counts what reaches the database
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        again = services.sessions.save_draft(replace(saved, notes="one more word"))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(again.sites) == 10 and services.sessions.get(again.id or 0).sites == ten
    # BEGIN, the draft's state, the conditional update of its columns, three deletes (sites, adverse events, outcome
    # measures), sites, their ids, points, the audit tail and row: one transaction, no read of the row before it
    assert len(statements) <= 11, "\n".join(" ".join(s.split()[:4]) for s in statements)
    assert sum(s.startswith("BEGIN") for s in statements) == 1
