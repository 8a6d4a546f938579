"""Patients: create, edit, search by name / chart number / birth date, optimistic versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from needlelog.domain.errors import ConflictError, ValidationError
from needlelog.domain.model import Consent, Patient, Screening
from needlelog.domain.vocab import BodyRegion, ConsentMethod, Precaution
from needlelog.services.store import Services
from tests.conftest import FakeClock, make_patient, rebuild


def test_create_and_get_round_trip(services: Services) -> None:
    created = services.patients.create(
        make_patient(
            "c-100",
            screening=Screening(frozenset({Precaution.RECENT_SURGERY}), BodyRegion.SHOULDER),
        )
    )
    assert created.id is not None and created.version == 1
    again = services.patients.get(created.id)
    assert again == created
    assert again.chart_number == "C-100"
    assert again.screening.surgery_region is BodyRegion.SHOULDER
    assert again.consent == Consent(date(2026, 1, 5), ConsentMethod.WRITTEN, "Dana Whitford")


def test_search_by_name_chart_and_birth_date(services: Services) -> None:
    services.patients.create(make_patient("C100"))
    services.patients.create(
        make_patient("C200", family_name="Øster", given_name="Øyvind", date_of_birth=date(1990, 1, 2))
    )
    services.patients.create(make_patient("D300", family_name="李", given_name="Wei"))
    names = lambda text: [p.given_name for p in services.patients.search(text)]  # noqa: E731
    assert names("nguy") == ["Zoë"]
    assert names("zoe nguyen") == ["Zoë"]
    assert names("ØYV") == ["Øyvind"]
    assert names("c2") == ["Øyvind"]
    assert names("1990-01-02") == ["Øyvind"]
    assert names("李") == ["Wei"]
    assert names("") == ["Zoë", "Øyvind", "Wei"]  # by family name key: nguyen < øster < 李
    assert names("smith") == []
    assert [p.given_name for p in services.patients.search("", limit=1, offset=1)] == ["Øyvind"]


def test_bad_patient_input_names_every_field_and_writes_nothing(services: Services) -> None:
    with pytest.raises(ValidationError) as refused:
        services.patients.create(make_patient(" ", family_name="", date_of_birth=date(2099, 1, 1)))
    assert refused.value.fields == ("chart_number", "family_name", "date_of_birth")
    assert services.patients.search("") == []


def test_chart_numbers_are_unique(services: Services) -> None:
    services.patients.create(make_patient("C100"))
    with pytest.raises(ValidationError, match="Chart number c100 belongs to another patient") as refused:
        services.patients.create(make_patient("c100", family_name="Other"))
    assert refused.value.fields == ("chart_number",)


def test_edit_bumps_the_version_and_a_stale_edit_is_a_conflict(
    services: Services, patient: Patient, db_path: Path, clock: FakeClock
) -> None:
    edited = services.patients.edit(replace(patient, phone="403-555-0199"))
    assert edited.version == patient.version + 1 and edited.phone == "403-555-0199"
    other_pc = rebuild(db_path, clock)
    with pytest.raises(ConflictError, match="changed by someone else"):
        other_pc.patients.edit(replace(patient, phone="403-555-0000"))
    other_pc.close()
    assert services.patients.get(edited.id or 0).phone == "403-555-0199"


def test_a_renewed_consent_is_appended_not_overwritten(services: Services, patient: Patient) -> None:
    renewed = Consent(date(2026, 3, 1), ConsentMethod.VERBAL, "Ravi Sandhu")
    updated = services.patients.edit(replace(patient, consent=renewed))
    assert updated.consent == renewed


def test_a_corrected_consent_date_earlier_than_the_old_one_is_the_one_that_counts(
    services: Services, patient: Patient
) -> None:
    corrected = Consent(date(2025, 3, 1), ConsentMethod.WRITTEN, "Dana Whitford")
    services.patients.edit(replace(patient, consent=corrected))
    assert services.patients.get(patient.id or 0).consent == corrected
