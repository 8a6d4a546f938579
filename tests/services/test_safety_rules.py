"""Safety before the first needle, in the services and the domain: no site added without valid consent (a draft
whose consent lapsed still saves its notes), the last session is not copied without it, consent recorded in one
step is audited, and the screening's limbs and device are refused where they apply."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from needlelog.domain.access import AuditAction
from needlelog.domain.errors import ValidationError
from needlelog.domain.model import Clinician, Consent, NeedlingSite, Patient, Screening
from needlelog.domain.rules import consent_last_day, consent_problem, lymphoedema_at, site_refusal
from needlelog.domain.vocab import BodyRegion, ConsentMethod, Precaution, Side
from needlelog.services.store import Services
from tests.conftest import FakeClock, make_patient
from tests.services.test_sessions import charted


def test_a_draft_whose_consent_lapsed_saves_its_notes_but_takes_no_new_site(
    services: Services, patient: Patient, clinician: Clinician, clock: FakeClock
) -> None:
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0, clock.now - timedelta(minutes=40))
    saved = services.sessions.save_draft(charted(draft, clock))
    services.patients.edit(replace(patient, consent=replace(patient.consent, revoked_on=date(2026, 3, 1))))
    # the sites it holds stay; its notes still save
    kept = services.sessions.save_draft(replace(saved, notes="Patient withdrew consent on 1 March."))
    assert kept.notes.startswith("Patient withdrew") and len(kept.sites) == 3
    with pytest.raises(ValidationError, match="revoked on 2026-03-01") as refused:
        services.sessions.save_draft(replace(kept, sites=(*kept.sites, NeedlingSite(BodyRegion.CALF, Side.LEFT))))
    assert [p.field for p in refused.value.problems] == ["consent"]
    # …and the last session's sites are not copied into a new draft
    with pytest.raises(ValidationError, match="Record consent before copying"):
        services.sessions.copy_last(patient.id or 0, clinician.id or 0)
    signing = services.sessions.sign_problems(kept, clinician.id or 0)
    assert "consent" in [p.field for p in signing]


def test_consent_recorded_in_one_step_is_appended_and_audited_as_a_change_of_the_patient(
    services: Services, clinician: Clinician, clock: FakeClock
) -> None:
    patient = services.patients.create(make_patient("C9", consent=None))
    today = clock.now.astimezone().date()
    recorded = services.patients.record_consent(patient.id or 0, Consent(today, ConsentMethod.VERBAL, "Dana"))
    assert recorded.consent == Consent(today, ConsentMethod.VERBAL, "Dana") and recorded.version == patient.version + 1
    lines = services.registers.audit(today, today)
    assert (AuditAction.PATIENT_SAVED, patient.id, f"consent recorded (verbal, {today})") in [
        (line.entry.action, line.entry.patient_id, line.entry.detail) for line in lines
    ]
    with pytest.raises(ValidationError, match="say who obtained it"):
        services.patients.record_consent(patient.id or 0, Consent(today, ConsentMethod.WRITTEN, " "))


def test_consent_in_words_and_its_last_day() -> None:
    day = date(2026, 3, 10)
    assert consent_problem(make_patient(consent=None), day, 12) == "No informed consent to dry needling is recorded."
    lapsed = make_patient(consent=Consent(date(2025, 3, 10), ConsentMethod.WRITTEN, "Dana"))
    assert consent_problem(lapsed, day, 12) == "Consent to dry needling (written, 2025-03-10) expired on 2026-03-10."
    assert consent_last_day(lapsed, 12) == date(2026, 3, 9)
    assert consent_problem(lapsed, date(2026, 3, 9), 12) is None
    revoked = make_patient(consent=Consent(date(2026, 1, 5), ConsentMethod.VERBAL, "Dana", date(2026, 2, 1)))
    assert consent_last_day(revoked, 12) == date(2026, 1, 31)
    assert consent_problem(revoked, day, 12) == "Consent to dry needling was revoked on 2026-02-01."


def test_each_lymphoedema_code_names_its_limb_and_a_bilateral_site_is_in_both() -> None:
    right_leg = Screening(frozenset({Precaution.LYMPHOEDEMA_RIGHT_LEG}))
    assert lymphoedema_at(right_leg, BodyRegion.CALF, Side.RIGHT) == "right leg"
    assert lymphoedema_at(right_leg, BodyRegion.KNEE, Side.BILATERAL) == "right leg"
    assert lymphoedema_at(right_leg, BodyRegion.CALF, Side.LEFT) is None
    assert lymphoedema_at(right_leg, BodyRegion.FOREARM_HAND, Side.RIGHT) is None
    left_arm = make_patient(screening=Screening(frozenset({Precaution.LYMPHOEDEMA_LEFT_ARM})))
    refusal = site_refusal(left_arm, BodyRegion.UPPER_ARM, Side.LEFT, date(2026, 3, 10), 12)
    assert refusal == "Lymphoedema of the left arm (screening): no needling in that limb."
    assert site_refusal(left_arm, BodyRegion.NECK, Side.LEFT, date(2026, 3, 10), 12) is None
    child = make_patient(date_of_birth=date(2015, 1, 1))
    assert (
        site_refusal(child, None, None, date(2026, 3, 10), 12)
        == "The patient is under 12: dry needling is not permitted."
    )
