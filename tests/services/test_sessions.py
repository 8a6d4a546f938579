"""Sessions: drafts saved with a version check, bad values refused, signing with every condition listed."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from needlelog.domain.errors import ConflictError, NotFoundError, ValidationError
from needlelog.domain.model import Clinician, NeedlingSite, Patient, TreatmentSession, TriggerPoint
from needlelog.domain.rules import fingerprint
from needlelog.domain.vocab import (
    Aftercare,
    BodyRegion,
    Condition,
    FigureView,
    Precaution,
    SessionStatus,
    Side,
    TwitchResponse,
)
from needlelog.services.store import Services
from tests.conftest import FakeClock, make_patient, rebuild


def neck_site(**changes: object) -> NeedlingSite:
    values: dict[str, object] = {
        "region": BodyRegion.NECK,
        "side": Side.RIGHT,
        "muscle": "upper trapezius",
        "needles": 2,
        "needle_size": "0.25 x 30 mm",
        "needle_lot": "L2301-11",
        "dwell_minutes": 10,
        "twitch": TwitchResponse.STRONG,
        "trigger_points": (TriggerPoint(FigureView.BACK, 0.56, 0.15),),
    }
    values.update(changes)
    values.setdefault("needles_out", values["needles"])  # counted out as its timer stopped
    return NeedlingSite(**values)  # type: ignore[arg-type]


def charted(draft: TreatmentSession, clock: FakeClock, **changes: object) -> TreatmentSession:
    values: dict[str, object] = {
        "service_end": clock.now - timedelta(minutes=1),
        "condition": Condition.NECK_HEADACHE,
        "sites": (neck_site(), neck_site(side=Side.LEFT, needles=3), neck_site(region=BodyRegion.SHOULDER)),
        "pain_before": 7,
        "pain_after": 3,
        "sharps_disposed": True,
        # the upper trapezius lies over the lung apex: the breathing aftercare is given
        "aftercare": frozenset({Aftercare.HYDRATE, Aftercare.EXPECT_SORENESS, Aftercare.SEEK_CARE_BREATHING}),
        "notes": "Tolerated well <b>&</b> no reactions.",
    }
    values.update(changes)
    return replace(draft, **values)  # type: ignore[arg-type]


@pytest.fixture
def draft(services: Services, patient: Patient, clinician: Clinician, clock: FakeClock) -> TreatmentSession:
    return services.sessions.new_draft(patient.id or 0, clinician.id or 0, clock.now - timedelta(minutes=40))


def stored_sites(db_path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_path) as raw:
        return raw.execute("SELECT needles, dwell_minutes FROM needling_site ORDER BY id").fetchall()


def test_a_draft_round_trips_every_value(services: Services, draft: TreatmentSession, clock: FakeClock) -> None:
    saved = services.sessions.save_draft(charted(draft, clock))
    assert saved.version == draft.version + 1
    again = services.sessions.get(saved.id or 0)
    assert again == saved
    assert again.sites[0].trigger_points == (TriggerPoint(FigureView.BACK, 0.56, 0.15),)
    assert again.needles_inserted == 7
    assert again.service_start == draft.service_start and again.service_start.tzinfo is not None


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"dwell_minutes": 4}, "sites[0].dwell_minutes", "dwell time must be 5 to 15 minutes"),
        ({"dwell_minutes": 16}, "sites[0].dwell_minutes", "dwell time must be 5 to 15 minutes"),
        ({"needles": 0}, "sites[0].needles", "needle count must be 1 to 20"),
        ({"needles": 21}, "sites[0].needles", "needle count must be 1 to 20"),
    ],
)
def test_out_of_range_sites_are_refused_and_nothing_is_written(
    services: Services, draft: TreatmentSession, clock: FakeClock, db_path: Path, change: dict, field: str, words: str
) -> None:
    good = services.sessions.save_draft(charted(draft, clock))
    before = stored_sites(db_path)
    bad = replace(good, sites=(neck_site(**change), *good.sites[1:]), notes="changed")
    with pytest.raises(ValidationError) as refused:
        services.sessions.save_draft(bad)
    assert refused.value.fields == (field,)
    assert words in str(refused.value)
    assert stored_sites(db_path) == before
    assert services.sessions.get(good.id or 0).notes == good.notes


def test_pain_11_is_refused_with_the_scale(services: Services, draft: TreatmentSession, clock: FakeClock) -> None:
    with pytest.raises(ValidationError, match=r"Pain after must be 0 to 10 \(got 11\)") as refused:
        services.sessions.save_draft(charted(draft, clock, pain_after=11))
    assert refused.value.fields == ("pain_after",)
    assert services.sessions.get(draft.id or 0).pain_after is None


def test_the_second_save_of_one_draft_is_told_of_the_conflict(
    services: Services, draft: TreatmentSession, db_path: Path, clock: FakeClock
) -> None:
    other_window = rebuild(db_path, clock)
    first = services.sessions.save_draft(replace(draft, notes="typed in room 1"))
    with pytest.raises(ConflictError, match="saved from another window or PC"):
        other_window.sessions.save_draft(replace(draft, notes="typed in room 2"))
    other_window.close()
    assert services.sessions.get(first.id or 0).notes == "typed in room 1"
    # the loser reloads, merges its text and saves on top of the winner
    merged = services.sessions.save_draft(replace(first, notes="typed in room 1; typed in room 2"))
    assert merged.version == first.version + 1


def test_sign_stores_signer_time_and_fingerprint_and_then_refuses_changes(
    services: Services, draft: TreatmentSession, clock: FakeClock, patient: Patient, clinician: Clinician
) -> None:
    content = charted(draft, clock)
    signed = services.sessions.sign(content, clinician.id or 0)
    assert signed.status is SessionStatus.SIGNED and signed.signed_at == clock.now
    assert signed.signed_by_id == clinician.id
    # the stored note records the lung-field caution of its upper trapezius site, and is fingerprinted so
    assert signed.fingerprint == fingerprint(replace(content, lung_field_caution=True), patient, clinician, clock.now)
    with pytest.raises(ConflictError, match="signed session cannot be changed"):
        services.sessions.save_draft(signed)
    with pytest.raises(ConflictError, match="signed in the meantime"):
        services.sessions.save_draft(replace(signed, status=SessionStatus.DRAFT, notes="sneaky"))
    assert services.sessions.get(signed.id or 0).notes == content.notes


def test_sign_lists_twitch_dwell_and_needle_out_at_once_and_signs_nothing(
    services: Services, draft: TreatmentSession, clock: FakeClock, clinician: Clinician
) -> None:
    content = charted(
        draft,
        clock,
        sites=(neck_site(twitch=None), neck_site(dwell_minutes=16), neck_site(needles_out=1)),
    )
    with pytest.raises(ValidationError) as refused:
        services.sessions.sign(content, clinician.id or 0)
    assert refused.value.fields == ("sites[0].twitch", "sites[1].dwell_minutes", "sites[2].needles_out")
    assert services.sessions.get(draft.id or 0).status is SessionStatus.DRAFT
    assert [p.field for p in services.sessions.sign_problems(content, clinician.id or 0)] == list(refused.value.fields)


def test_sign_needs_consent_and_acknowledged_precautions(
    services: Services, clinician: Clinician, clock: FakeClock
) -> None:
    risky = services.patients.create(
        make_patient(
            "C900", consent=None, screening=make_patient().screening.__class__(frozenset({Precaution.BLEEDING_RISK}))
        )
    )
    draft = services.sessions.new_draft(risky.id or 0, clinician.id or 0, clock.now - timedelta(minutes=40))
    with pytest.raises(ValidationError) as refused:
        services.sessions.sign(charted(draft, clock), clinician.id or 0)
    assert refused.value.fields == ("consent", "precautions.bleeding_risk")


def test_under_12_cannot_have_a_session(services: Services, clinician: Clinician) -> None:
    child = services.patients.create(make_patient("C901", date_of_birth=date(2016, 6, 1)))
    with pytest.raises(ValidationError, match="under 12"):
        services.sessions.new_draft(child.id or 0, clinician.id or 0)


def test_history_is_newest_first_and_paged(
    services: Services, patient: Patient, clinician: Clinician, clock: FakeClock
) -> None:
    for days in (30, 20, 10):
        services.sessions.new_draft(patient.id or 0, clinician.id or 0, clock.now - timedelta(days=days))
    history = services.sessions.history(patient.id or 0)
    assert [h.service_start for h in history] == sorted((h.service_start for h in history), reverse=True)
    assert history[0].clinician_name == "Dana Whitford"
    assert services.sessions.count_for_patient(patient.id or 0) == 3
    assert len(services.sessions.history(patient.id or 0, limit=2, offset=2)) == 1


def test_copy_last_session_carries_condition_and_sites_but_not_the_twitch(
    services: Services, draft: TreatmentSession, clock: FakeClock, clinician: Clinician
) -> None:
    services.sessions.sign(charted(draft, clock), clinician.id or 0)
    clock.advance(days=7)
    copy = services.sessions.copy_last(draft.patient_id, clinician.id or 0)
    assert copy.id != draft.id and copy.status is SessionStatus.DRAFT
    assert copy.condition is Condition.NECK_HEADACHE
    assert [s.region for s in copy.sites] == [BodyRegion.NECK, BodyRegion.NECK, BodyRegion.SHOULDER]
    assert all(s.twitch is None for s in copy.sites)
    assert copy.sites[0].trigger_points == (TriggerPoint(FigureView.BACK, 0.56, 0.15),)
    assert copy.needles_removed == 0 and not copy.sharps_disposed


def test_copy_last_without_history_and_unknown_ids_are_named(
    services: Services, patient: Patient, clinician: Clinician
) -> None:
    with pytest.raises(NotFoundError, match="no earlier session"):
        services.sessions.copy_last(patient.id or 0, clinician.id or 0)
    with pytest.raises(NotFoundError, match="No patient with id 999"):
        services.sessions.new_draft(999, clinician.id or 0)


def test_saving_again_replaces_the_sites_in_place(
    services: Services, draft: TreatmentSession, clock: FakeClock, db_path: Path, clinician: Clinician
) -> None:
    first = services.sessions.save_draft(charted(draft, clock))
    second = services.sessions.save_draft(replace(first, sites=(neck_site(needles=5), *first.sites[:1])))
    assert [s.needles for s in services.sessions.get(second.id or 0).sites] == [5, 2]
    assert stored_sites(db_path) == [(5, 10), (2, 10)]
    signed = services.sessions.sign(second, clinician.id or 0)
    assert [s.needles for s in signed.sites] == [5, 2]
