"""Text a database can store (issue 12, item 5): the domain names the field of a lone surrogate, a NUL, a control
character or an over-long value, and a value of only invisible characters counts as empty."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from needlelog.domain.access import password_problem
from needlelog.domain.accounts import account_problems
from needlelog.domain.drafts import savable_draft
from needlelog.domain.lots import NeedleLot, lot_problems
from needlelog.domain.model import AdverseEvent, Clinic, Clinician, NeedlingSite, Patient, TreatmentSession
from needlelog.domain.rules import amendment_problems, clinic_problems, discard_problems, patient_problems
from needlelog.domain.text import TEXT_LIMITS, bad_character, is_blank, storable, text_problems
from needlelog.domain.values import value_problems
from needlelog.domain.vocab import AdverseEventKind

NOW = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)
SESSION = TreatmentSession(1, 1, datetime(2026, 3, 10, 15, 0, tzinfo=UTC), sites=(NeedlingSite(muscle="scalenes"),))
PATIENT = Patient("C100", "Sandhu", "Ravi", date(1980, 1, 2))


def test_a_lone_surrogate_a_nul_and_control_characters_are_named() -> None:
    assert bad_character("a\ud800b") == "a broken character (U+D800, half of a pair)"
    assert bad_character("a\udfffb") is not None
    assert bad_character("a\x00b") == "a NUL character"
    assert bad_character("a\x07b") == "a control character (U+0007)"
    assert bad_character("a\x7fb") == "a control character (U+007F)"
    assert bad_character("a\nb") == "a line break"
    assert bad_character("a\nb\tc\r\n", multiline=True) is None
    assert bad_character("a\x00b", multiline=True) == "a NUL character"
    # every script, emoji (a pair, whole), combining marks and joiners are text
    assert bad_character("ਸਿੰਘ नमस्ते தமிழ் ሰላም ជំរាបសួរ 李 😀 e\u0301 \u200d") is None


def test_the_problem_names_the_field_and_the_limit() -> None:
    (problem,) = text_problems(("sites", 0, "muscle"), "Site 1: muscle", "x" * 201, "site.muscle")
    assert problem.field == "sites[0].muscle" and problem.message == "Site 1: muscle is longer than 200 characters."
    (problem,) = text_problems("notes", "Notes", "a\ud800", "session.notes", multiline=True, plural=True)
    assert problem.field == "notes" and "\ud800" not in problem.message
    assert (
        problem.message
        == "Notes holds a broken character (U+D800, half of a pair), which cannot be stored; type it again."
    )
    assert text_problems("notes", "Notes", "x" * TEXT_LIMITS["session.notes"], "session.notes") == []


def test_blank_is_spaces_and_invisible_characters_only() -> None:
    for blank in ("", "   ", "\u200b\u200b", "\ufeff\u2060\u00a0\n", "\u3164", "\u2800\u200c"):
        assert is_blank(blank), repr(blank)
    for text in ("a", "\u200bx", ".", "李"):
        assert not is_blank(text)


@given(st.text())
def test_storable_text_is_always_storable_and_keeps_what_is_good(text: str) -> None:
    kept = storable(text)
    assert bad_character(kept, multiline=True) is None
    kept.encode("utf-8")  # never raises
    assert storable(kept) == kept


def test_every_record_refuses_unstorable_text_in_its_fields() -> None:
    hostile = "a\ud800b"
    assert [p.field for p in patient_problems(replace(PATIENT, given_name=hostile), date(2026, 3, 10))] == [
        "given_name"
    ]
    assert [p.field for p in patient_problems(replace(PATIENT, phone="4\x00"), date(2026, 3, 10))] == ["phone"]
    clinic = Clinic("Bow River", address="x" * 401, phone=hostile)
    assert [p.field for p in clinic_problems(clinic)] == ["address", "phone"]
    assert [p.field for p in clinic_problems(Clinic("n" * 201))] == ["name"]
    account = Clinician("Dana\x00", "dana", registration_number="R" * 81)
    assert [p.field for p in account_problems(account)] == ["display_name", "registration_number"]
    assert [p.field for p in lot_problems(NeedleLot("Seirin", hostile, "L1", date(2027, 1, 1)))] == ["size"]
    assert [p.field for p in amendment_problems(hostile, "a\x00")] == ["amendment.reason", "amendment.text"]
    assert [p.field for p in discard_problems(hostile)] == ["reason"]
    assert password_problem("correct horse \ud800", "dana") is not None


def test_a_session_names_each_text_field_that_cannot_be_stored() -> None:
    session = replace(
        SESSION,
        notes="fine\x00",
        sites=(NeedlingSite(muscle="a\ud800", dwell_reason="x" * 501),),
        adverse_events=(AdverseEvent(AdverseEventKind.INFECTION, "d" * 10_001),),
    )
    assert [p.field for p in value_problems(session, NOW)] == [
        "sites[0].dwell_reason",
        "sites[0].muscle",
        "notes",
        "adverse_events[0].description",
    ]


def test_autosave_keeps_the_rest_of_a_field_without_what_cannot_be_stored() -> None:
    session = replace(
        SESSION,
        notes="before\x00after\nline",
        sites=(NeedlingSite(muscle="scal\ud800enes"),),
        adverse_events=(AdverseEvent(AdverseEventKind.INFECTION, "fever\ud800" + "d" * 10_000),),
    )
    kept = savable_draft(session, value_problems(session, NOW), SESSION.service_start)
    assert kept.notes == "beforeafter\nline" and kept.sites[0].muscle == "scalenes"
    assert kept.adverse_events[0].description.startswith("fever") and len(kept.adverse_events[0].description) == 10_000
    assert value_problems(kept, NOW) == []
