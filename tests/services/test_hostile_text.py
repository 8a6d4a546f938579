"""Hostile text (issue 12, item 5): every write refuses what no database can store, in words naming the field.

A lone surrogate cannot be encoded as UTF-8 (SQLite's driver and PostgreSQL fail on it), PostgreSQL refuses a
NUL, and an over-long value overflows a column. Each write method of the services is walked with each of them in
each of its text fields, on a real chart: a :class:`ValidationError` naming the field, and not a row changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, String, select

from needlelog.db.models import Base
from needlelog.domain.errors import PermissionDenied, ValidationError
from needlelog.domain.model import (
    AdverseEvent,
    Clinic,
    Clinician,
    Consent,
    Patient,
    Reactions,
    TreatmentSession,
)
from needlelog.domain.outcomes import Instrument, OutcomeMeasure, PsfsActivity
from needlelog.domain.text import TEXT_LIMITS
from needlelog.domain.vocab import AdverseEventKind, ConsentMethod, Role
from needlelog.services.store import Services
from tests.conftest import FakeClock, make_patient
from tests.services.test_sessions import charted

PASSWORD = "correct horse battery"
# No spaces (a user name is one word), ten characters and more (a password), a character no database keeps.
HOSTILE = {"surrogate": "Zoë-horse-a\ud800b-battery", "nul": "Zoë-horse-a\x00b-battery"}


@dataclass
class World:
    """A chart with a signed-in clinician who is also manager and administrator, a patient, a draft and a note."""

    services: Services
    dana: Clinician
    patient: Patient
    draft: TreatmentSession
    signed: TreatmentSession


def make_world(services: Services, clock: FakeClock) -> World:
    roles = frozenset({Role.CLINICIAN, Role.MANAGER, Role.ADMIN})
    dana = services.accounts.add_user(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417", roles=roles), PASSWORD)
    services.accounts.login(dana.username, PASSWORD)
    patient = services.patients.create(make_patient())
    sessions = services.sessions
    start = clock.now - timedelta(minutes=40)
    signed = sessions.sign(
        sessions.save_draft(charted(sessions.new_draft(patient.id or 0, dana.id or 0, start), clock)), dana.id or 0
    )
    draft = sessions.save_draft(charted(sessions.new_draft(patient.id or 0, dana.id or 0, start), clock))
    return World(services, dana, patient, draft, signed)


def _site(world: World, **changes: object) -> TreatmentSession:
    draft = world.draft
    return replace(draft, sites=(replace(draft.sites[0], **changes), *draft.sites[1:]))  # type: ignore[arg-type]


def _event(world: World, text: str) -> TreatmentSession:
    return replace(world.draft, adverse_events=(AdverseEvent(AdverseEventKind.OTHER_SERIOUS, text),))


def _clinic(**changes: str) -> Clinic:
    return replace(Clinic(name="Bow River Physiotherapy", address="12 Centre Ave W", phone="403-555-0142"), **changes)


def _account(**changes: str) -> Clinician:
    return replace(Clinician("Ravi Sandhu", "rsandhu", "PT", "PT-05982"), **changes)  # type: ignore[arg-type]


def _consent(text: str) -> Consent:
    return Consent(date(2026, 1, 5), ConsentMethod.WRITTEN, text)


Write = Callable[[World, str], object]

# (what is written, the field the refusal names, its row of TEXT_LIMITS)
WRITES: list[tuple[str, Write, str, str]] = [
    ("save_clinic name", lambda w, v: w.services.clinic.save_clinic(_clinic(name=v)), "name", "clinic.name"),
    (
        "save_clinic address",
        lambda w, v: w.services.clinic.save_clinic(_clinic(address=v)),
        "address",
        "clinic.address",
    ),
    ("save_clinic phone", lambda w, v: w.services.clinic.save_clinic(_clinic(phone=v)), "phone", "clinic.phone"),
    (
        "add_clinician display_name",
        lambda w, v: w.services.clinic.add_clinician(_account(display_name=v)),
        "display_name",
        "account.display_name",
    ),
    (
        "add_clinician credentials",
        lambda w, v: w.services.clinic.add_clinician(_account(credentials=v)),
        "credentials",
        "account.credentials",
    ),
    (
        "add_clinician registration_number",
        lambda w, v: w.services.clinic.add_clinician(_account(registration_number=v)),
        "registration_number",
        "account.registration_number",
    ),
    (
        "add_clinician username",
        lambda w, v: w.services.clinic.add_clinician(_account(username=v)),
        "username",
        "account.username",
    ),
    (
        "add_user username",
        lambda w, v: w.services.accounts.add_user(_account(username=v), PASSWORD),
        "username",
        "account.username",
    ),
    ("add_user password", lambda w, v: w.services.accounts.add_user(_account(), v), "password", "password"),
    (
        "update_user display_name",
        lambda w, v: w.services.accounts.update_user(replace(w.dana, display_name=v)),
        "display_name",
        "account.display_name",
    ),
    ("set_password", lambda w, v: w.services.accounts.set_password(w.dana.id or 0, v), "password", "password"),
    (
        "patients.create chart_number",
        lambda w, v: w.services.patients.create(make_patient(v)),
        "chart_number",
        "patient.chart_number",
    ),
    (
        "patients.create family_name",
        lambda w, v: w.services.patients.create(make_patient("C200", family_name=v)),
        "family_name",
        "patient.family_name",
    ),
    (
        "patients.create given_name",
        lambda w, v: w.services.patients.create(make_patient("C200", given_name=v)),
        "given_name",
        "patient.given_name",
    ),
    (
        "patients.create phone",
        lambda w, v: w.services.patients.create(make_patient("C200", phone=v)),
        "phone",
        "patient.phone",
    ),
    (
        "patients.edit family_name",
        lambda w, v: w.services.patients.edit(replace(w.patient, family_name=v)),
        "family_name",
        "patient.family_name",
    ),
    (
        "record_consent obtained_by",
        lambda w, v: w.services.patients.record_consent(w.patient.id or 0, _consent(v)),
        "consent.obtained_by",
        "consent.obtained_by",
    ),
    (
        "save_draft notes",
        lambda w, v: w.services.sessions.save_draft(replace(w.draft, notes=v)),
        "notes",
        "session.notes",
    ),
    (
        "save_draft other reaction",
        lambda w, v: w.services.sessions.save_draft(replace(w.draft, reactions=Reactions(other_text=v))),
        "reactions.other_text",
        "reactions.other_text",
    ),
    (
        "save_draft PSFS activity",
        lambda w, v: w.services.sessions.save_draft(
            replace(w.draft, outcomes=(OutcomeMeasure(Instrument.PSFS, activities=(PsfsActivity(v, 5),)),))
        ),
        "outcomes[0].activities[0].activity",
        "outcome.psfs_activity",
    ),
    (
        "save_draft muscle",
        lambda w, v: w.services.sessions.save_draft(_site(w, muscle=v)),
        "sites[0].muscle",
        "site.muscle",
    ),
    (
        "save_draft needle size",
        lambda w, v: w.services.sessions.save_draft(_site(w, needle_size=v)),
        "sites[0].needle_size",
        "site.needle_size",
    ),
    (
        "save_draft needle lot",
        lambda w, v: w.services.sessions.save_draft(_site(w, needle_lot=v)),
        "sites[0].needle_lot",
        "site.needle_lot",
    ),
    (
        "save_draft dwell reason",
        lambda w, v: w.services.sessions.save_draft(_site(w, dwell_reason=v)),
        "sites[0].dwell_reason",
        "site.dwell_reason",
    ),
    (
        "save_draft adverse event",
        lambda w, v: w.services.sessions.save_draft(_event(w, v)),
        "adverse_events[0].description",
        "adverse_event.description",
    ),
    (
        "sign notes",
        lambda w, v: w.services.sessions.sign(replace(w.draft, notes=v), w.dana.id or 0),
        "notes",
        "session.notes",
    ),
    (
        "sign adverse event",
        lambda w, v: w.services.sessions.sign(_event(w, v), w.dana.id or 0),
        "adverse_events[0].description",
        "adverse_event.description",
    ),
    (
        "amend reason",
        lambda w, v: w.services.sessions.amend(w.signed.id or 0, v, "Pain after was 3, not 4."),
        "amendment.reason",
        "amendment.reason",
    ),
    (
        "amend text",
        lambda w, v: w.services.sessions.amend(w.signed.id or 0, "Typo", v),
        "amendment.text",
        "amendment.text",
    ),
    ("discard reason", lambda w, v: w.services.sessions.discard(w.draft.id or 0, v), "reason", "discard.reason"),
]


def _lot_writes() -> list[tuple[str, Write, str, str]]:
    from needlelog.domain.lots import NeedleLot

    def lot(**changes: str) -> NeedleLot:
        return replace(NeedleLot("Seirin", "0.25 x 30 mm", "L2301-11", date(2027, 1, 1)), **changes)  # type: ignore[arg-type]

    return [
        (f"add_lot {name}", lambda w, v, n=name: w.services.registers.add_lot(lot(**{n: v})), name, f"lot.{name}")
        for name in ("brand", "size", "lot")
    ] + [
        (
            "add_follow_up",
            lambda w, v: w.services.registers.add_follow_up(w.signed.id or 0, v),
            "follow_up",
            "follow_up.text",
        ),
    ]


WRITES += _lot_writes()


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in key order: the whole chart as the database holds it."""
    with engine.connect() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
            for table in Base.metadata.sorted_tables
        }


@pytest.fixture
def world(services: Services, clock: FakeClock) -> Iterator[World]:
    yield make_world(services, clock)


def hostile_values(limit_key: str) -> dict[str, str]:
    return {**HOSTILE, "too long": "x" * (TEXT_LIMITS[limit_key] + 1)}


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("what", "write", "field", "limit_key"), WRITES, ids=[w[0] for w in WRITES])
def test_every_write_refuses_unstorable_and_over_long_text_naming_the_field(
    world: World, what: str, write: Write, field: str, limit_key: str
) -> None:
    refuse_each(world, write, field, limit_key)


def refuse_each(world: World, write: Write, field: str, limit_key: str) -> None:
    engine = world.services._engine
    before = snapshot(engine)
    for kind, value in hostile_values(limit_key).items():
        with pytest.raises(ValidationError) as refused:
            write(world, value)
        assert field in refused.value.fields, (kind, refused.value.problems)
        message = str(refused.value)
        assert "\ud800" not in message and "\x00" not in message
        assert snapshot(engine) == before, kind


def test_an_amendment_of_only_invisible_characters_is_refused(world: World) -> None:
    for text in ("\u200b\u200b\u200b", " \u200b\n\u2060\ufeff ", "\u3164\u00a0"):
        with pytest.raises(ValidationError, match="Write the amendment itself"):
            world.services.sessions.amend(world.signed.id or 0, "Typo", text)
    with pytest.raises(ValidationError, match="reason"):
        world.services.sessions.amend(world.signed.id or 0, "\u200b", "Pain after was 3.")


def test_text_of_every_script_and_line_breaks_where_they_belong_are_still_stored(world: World) -> None:
    sessions = world.services.sessions
    notes = "ਸਿੰਘ नमस्ते தமிழ் 李 Алёна 😀\n\tsecond line"
    saved = sessions.save_draft(
        replace(world.draft, notes=notes, adverse_events=(AdverseEvent(AdverseEventKind.INFECTION, "x" * 10_000),))
    )
    assert sessions.get(saved.id or 0).notes == notes
    limit = TEXT_LIMITS["clinic.address"]
    assert world.services.clinic.save_clinic(_clinic(address="a" * limit)).address == "a" * limit


def test_no_column_is_shorter_than_its_field_limit() -> None:
    """The limits are the domain's; a column (PostgreSQL's varchar(n)) must hold every value they allow."""
    columns = {
        "clinic.name": ("clinic", "name"),
        "clinic.address": ("clinic", "address"),
        "clinic.phone": ("clinic", "phone"),
        "account.username": ("clinician", "username"),
        "account.display_name": ("clinician", "display_name"),
        "account.credentials": ("clinician", "credentials"),
        "account.registration_number": ("clinician", "registration_number"),
        "patient.chart_number": ("patient", "chart_number"),
        "patient.family_name": ("patient", "family_name"),
        "patient.given_name": ("patient", "given_name"),
        "patient.phone": ("patient", "phone"),
        "consent.obtained_by": ("consent", "obtained_by"),
        "site.muscle": ("needling_site", "muscle"),
        "site.needle_size": ("needling_site", "needle_size"),
        "site.needle_lot": ("needling_site", "needle_lot"),
        "site.dwell_reason": ("needling_site", "dwell_reason"),
        "discard.reason": ("treatment_session", "discard_reason"),
        "lot.brand": ("needle_lot", "brand"),
        "lot.size": ("needle_lot", "size"),
        "lot.lot": ("needle_lot", "lot"),
    }
    tables = Base.metadata.tables
    for key, (table, column) in columns.items():
        kind = tables[table].c[column].type
        if isinstance(kind, String) and kind.length is not None:
            assert TEXT_LIMITS[key] <= kind.length, key


def test_reads_and_sign_ins_with_unstorable_text_answer_in_words(world: World) -> None:
    """What is typed to find or to sign in is not stored as typed, but it must not crash either."""
    services = world.services
    for value in HOSTILE.values():
        with pytest.raises(ValidationError) as refused:
            services.registers.recall(value)
        assert refused.value.fields == ("lot",)
        assert services.patients.search(value) == []
        assert services.accounts.unlock(value) is False  # a wrong password, counted as one
        with pytest.raises(PermissionDenied):
            services.accounts.login(value, PASSWORD)
        with pytest.raises(PermissionDenied):
            services.accounts.login(world.dana.username, value)
    assert [p.id for p in services.patients.search("Nguy\ud800ễn")] == [world.patient.id]


def test_filters_of_exports_and_the_audit_refuse_unstorable_text_naming_the_filter(world: World) -> None:
    from needlelog.services.exporting import ExportCriteria

    for value in HOSTILE.values():
        with pytest.raises(ValidationError) as refused:
            ExportCriteria(date(2026, 1, 1), date(2026, 12, 31), clinician=value, patient_chart=value)
        assert refused.value.fields == ("clinician", "patient_chart")
        with pytest.raises(ValidationError) as refused:
            world.services.registers.audit(date(2026, 1, 1), date(2026, 12, 31), user=value, chart_number=value)
        assert refused.value.fields == ("user", "chart_number")
