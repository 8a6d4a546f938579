"""The clinic's rules: ranges at their boundaries, the needle ledger, consent, sign preconditions."""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from needlelog.domain.model import Clinician, Consent, NeedlingSite, Patient, Screening, TreatmentSession
from needlelog.domain.rules import (
    DWELL_MAX,
    DWELL_MIN,
    NeedleLedger,
    add_months,
    age_on,
    consent_valid_on,
    fingerprint,
    is_late_entry,
    patient_problems,
    sign_problems,
    value_problems,
)
from needlelog.domain.vocab import (
    BodyRegion,
    Condition,
    ConsentMethod,
    Precaution,
    SessionStatus,
    Side,
    TwitchResponse,
)

NOW = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)
START = NOW - timedelta(hours=1)
CLINICIAN = Clinician("Dana Whitford", "dwhitford", "PT", "PT-1", authorised_to_needle=True, id=1)
PATIENT = Patient(
    "C1",
    "Nguyễn",
    "Zoë",
    date(1984, 5, 17),
    consent=Consent(date(2026, 1, 5), ConsentMethod.WRITTEN, "Dana Whitford"),
    id=1,
)


def site(**changes: object) -> NeedlingSite:
    values: dict[str, object] = {
        "region": BodyRegion.NECK,
        "side": Side.RIGHT,
        "muscle": "levator scapulae",  # not over the lung: this note is not about the lung-field rule
        "needles": 2,
        "dwell_minutes": 10,
        "twitch": TwitchResponse.WEAK,
    }
    values.update(changes)
    values.setdefault("needles_out", values["needles"] or 0)  # counted out as its timer stopped
    return NeedlingSite(**values)  # type: ignore[arg-type]


def complete_session(**changes: object) -> TreatmentSession:
    values: dict[str, object] = {
        "patient_id": 1,
        "clinician_id": 1,
        "service_start": START,
        "service_end": START + timedelta(minutes=30),
        "condition": Condition.NECK_HEADACHE,
        "sites": (site(), site(side=Side.LEFT, needles=3)),
        "sharps_disposed": True,
        "id": 7,
    }
    values.update(changes)
    return TreatmentSession(**values)  # type: ignore[arg-type]


def fields(problems: list) -> list[str]:  # type: ignore[type-arg]
    return [p.field for p in problems]


@given(st.integers(min_value=-1000, max_value=1000))
def test_dwell_time_is_refused_outside_5_to_15_and_named(minutes: int) -> None:
    problems = value_problems(complete_session(sites=(site(dwell_minutes=minutes),)), NOW)
    if DWELL_MIN <= minutes <= DWELL_MAX:
        assert problems == []
    else:
        assert fields(problems) == ["sites[0].dwell_minutes"]
        assert "dwell time must be 5 to 15 minutes" in problems[0].message
        assert f"got {minutes}" in problems[0].message


@given(st.integers(min_value=-50, max_value=100))
def test_needle_count_is_refused_outside_1_to_20(count: int) -> None:
    problems = value_problems(complete_session(sites=(site(needles=count),)), NOW)
    assert ("sites[0].needles" in fields(problems)) == (not 1 <= count <= 20)
    if problems:
        assert "needle count must be 1 to 20" in problems[0].message


def test_a_session_above_60_needles_is_a_likely_typo() -> None:
    three_sites_of_20 = tuple(site(needles=20) for _ in range(3))
    assert value_problems(complete_session(sites=three_sites_of_20), NOW) == []
    problems = value_problems(complete_session(sites=(*three_sites_of_20, site(needles=1))), NOW)
    assert fields(problems) == ["sites"]
    assert "at most 60 needles" in problems[0].message and "61" in problems[0].message


@given(st.integers(min_value=-20, max_value=30), st.integers(min_value=-20, max_value=30))
def test_pain_scores_are_0_to_10(before: int, after: int) -> None:
    problems = fields(value_problems(complete_session(pain_before=before, pain_after=after), NOW))
    assert ("pain_before" in problems) == (not 0 <= before <= 10)
    assert ("pain_after" in problems) == (not 0 <= after <= 10)


def test_pain_11_names_the_scale() -> None:
    (problem,) = value_problems(complete_session(pain_after=11), NOW)
    assert problem.message == "Pain after must be 0 to 10 (got 11)."


def test_service_end_after_start_and_not_in_the_future() -> None:
    assert fields(value_problems(complete_session(service_end=START), NOW)) == ["service_end"]
    assert fields(value_problems(complete_session(service_end=START - timedelta(minutes=1)), NOW)) == ["service_end"]
    future = NOW + timedelta(hours=2)
    assert fields(value_problems(complete_session(service_start=future, service_end=None), NOW)) == ["service_start"]
    late_end = complete_session(service_end=NOW + timedelta(hours=1))
    assert "cannot be in the future" in value_problems(late_end, NOW)[0].message
    # a clock a few minutes apart between two PCs is not "the future"
    assert value_problems(complete_session(service_end=NOW + timedelta(minutes=3)), NOW) == []


def test_missing_values_are_allowed_in_a_draft() -> None:
    draft = TreatmentSession(patient_id=1, clinician_id=1, service_start=START, sites=(NeedlingSite(),))
    assert value_problems(draft, NOW) == []


def test_needle_ledger_balances_only_when_every_site_is_counted_out_and_in_the_sharps() -> None:
    def ledger(*outs: int, sharps: bool = True) -> NeedleLedger:
        sites = (
            site(muscle="upper trapezius", side=Side.LEFT, needles=2, needles_out=outs[0]),
            site(muscle="", region=BodyRegion.LOWER_BACK, side=Side.MIDLINE, needles=3, needles_out=outs[1]),
        )
        return NeedleLedger.of(complete_session(sites=sites, sharps_disposed=sharps))

    assert ledger(2, 3).reconciled and (ledger(2, 3).inserted, ledger(2, 3).removed) == (5, 5)
    assert not ledger(1, 3).reconciled
    assert not ledger(2, 3, sharps=False).reconciled
    assert not NeedleLedger.of(complete_session(sites=())).reconciled
    assert not ledger(3, 2).reconciled  # the sum balances, but a needle of site 2 is not traced
    (one_in,) = ledger(1, 3).problems()
    assert (one_in.field, one_in.message) == (
        "sites[0].needles_out",
        "Site 1 (left upper trapezius): 1 of 2 needles not counted out.",
    )
    over, under = ledger(3, 2).problems()
    assert over.message == "Site 1 (left upper trapezius): 3 counted out but only 2 inserted; recount."
    assert under.message == "Site 2 (midline lower back (lumbar)): 1 of 3 needles not counted out."
    assert fields(ledger(2, 3, sharps=False).problems()) == ["sharps_disposed"]


def test_a_complete_session_can_be_signed() -> None:
    assert sign_problems(complete_session(), PATIENT, CLINICIAN, NOW, 12) == []


def test_sign_lists_every_unmet_condition_at_once() -> None:
    session = complete_session(
        sites=(site(twitch=None), site(dwell_minutes=16, needles_out=1)),
        condition=None,
    )
    problems = sign_problems(session, PATIENT, CLINICIAN, NOW, 12)
    assert fields(problems) == ["condition", "sites[0].twitch", "sites[1].dwell_minutes", "sites[1].needles_out"]
    messages = " ".join(p.message for p in problems)
    assert "Site 1: mark the twitch response." in messages
    assert "Site 2: dwell time must be 5 to 15 minutes (got 16)." in messages
    assert "Site 2 (right levator scapulae): 1 of 2 needles not counted out." in messages


def test_sign_needs_consent_acknowledged_precautions_and_an_authorised_signer() -> None:
    patient = replace(
        PATIENT,
        consent=None,
        screening=Screening(frozenset({Precaution.BLEEDING_RISK, Precaution.PREGNANCY})),
    )
    signer = replace(CLINICIAN, authorised_to_needle=False)
    session = complete_session(precautions_acknowledged=frozenset({Precaution.PREGNANCY}))
    assert fields(sign_problems(session, patient, signer, NOW, 12)) == [
        "signer",
        "consent",
        "precautions.bleeding_risk",
    ]


def test_under_12_blocks_needling_and_empty_sessions_cannot_be_signed() -> None:
    child = replace(PATIENT, date_of_birth=date(2015, 1, 1))
    problems = fields(sign_problems(complete_session(sites=()), child, CLINICIAN, NOW, 12))
    assert problems[0] == "patient"
    assert "sites" in problems


def test_a_signed_session_is_not_signed_again() -> None:
    signed = complete_session(status=SessionStatus.SIGNED)
    assert fields(sign_problems(signed, PATIENT, CLINICIAN, NOW, 12)) == ["status"]


def test_consent_is_valid_for_the_clinics_period_until_revoked() -> None:
    given_on = date(2025, 3, 31)
    patient = replace(PATIENT, consent=Consent(given_on, ConsentMethod.VERBAL, "Dana"))
    assert not consent_valid_on(patient, date(2025, 3, 30), 12)
    assert consent_valid_on(patient, date(2026, 3, 30), 12)
    assert not consent_valid_on(patient, date(2026, 3, 31), 12)
    revoked = replace(patient, consent=Consent(given_on, ConsentMethod.VERBAL, "Dana", revoked_on=date(2025, 6, 1)))
    assert not consent_valid_on(revoked, date(2025, 6, 1), 12)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)))
def test_age_turns_on_the_birthday(born: date) -> None:
    year = born.year + 12
    leap_day_missing = (born.month, born.day) == (2, 29) and not calendar.isleap(year)
    # a leap-day child turns 12 on 1 March when the year has no 29 February
    on_birthday = date(year, 3, 1) if leap_day_missing else date(year, born.month, born.day)
    assert age_on(born, on_birthday) == 12
    assert age_on(born, on_birthday - timedelta(days=1)) in (11, 12)


def test_patient_problems_name_each_field() -> None:
    bad = replace(PATIENT, chart_number=" ", family_name="", date_of_birth=date(2030, 1, 1))
    assert fields(patient_problems(bad, NOW.date())) == ["chart_number", "family_name", "date_of_birth"]
    surgery = replace(PATIENT, screening=Screening(frozenset({Precaution.RECENT_SURGERY})))
    assert fields(patient_problems(surgery, NOW.date())) == ["screening.surgery_region"]


def test_fingerprint_is_stable_and_changes_with_any_content() -> None:
    session = complete_session(notes="Tolerated well.")
    first = fingerprint(session, PATIENT, CLINICIAN, NOW)
    assert first == fingerprint(session, PATIENT, CLINICIAN, NOW)
    assert len(first) == 64 and int(first, 16) >= 0
    assert fingerprint(replace(session, notes="Tolerated well!"), PATIENT, CLINICIAN, NOW) != first
    assert (
        fingerprint(replace(session, sites=(site(), site(side=Side.LEFT, needles=4))), PATIENT, CLINICIAN, NOW) != first
    )
    assert fingerprint(session, PATIENT, CLINICIAN, NOW + timedelta(seconds=1)) != first


def test_late_entry_is_more_than_24_hours_after_the_service() -> None:
    end = START + timedelta(minutes=30)
    assert not is_late_entry(end, end + timedelta(hours=24))
    assert is_late_entry(end, end + timedelta(hours=24, seconds=1))
    assert not is_late_entry(None, NOW)


def test_names_are_one_line() -> None:
    bad = replace(PATIENT, family_name="Nguyễn\nDROP", phone="403\t555")
    problems = patient_problems(bad, NOW.date())
    assert fields(problems) == ["family_name", "phone"]
    assert "on one line" in problems[0].message


def test_a_timed_dwell_is_the_record_a_typed_one_must_agree_and_outside_5_15_needs_a_reason() -> None:
    started = START + timedelta(minutes=2)

    def timed(ran: timedelta, **changes: object) -> list[str]:
        one = site(timer_started=started, timer_stopped=started + ran, **changes)
        return fields(sign_problems(complete_session(sites=(site(), one)), PATIENT, CLINICIAN, NOW, 12))

    assert timed(timedelta(minutes=10, seconds=40)) == []  # typed 10, the timer 10:40: within a minute
    assert timed(timedelta(minutes=10), dwell_minutes=None) == []  # the timer alone is the dwell
    assert timed(timedelta(minutes=1)) == ["sites[1].dwell_minutes", "sites[1].dwell_reason"]
    assert timed(timedelta(minutes=1), dwell_minutes=None, dwell_reason="Patient felt faint; needles out.") == []
    assert timed(timedelta(minutes=17, seconds=10), dwell_minutes=None) == ["sites[1].dwell_reason"]
    assert timed(timedelta(minutes=17), dwell_minutes=15, dwell_reason="Called away") == ["sites[1].dwell_minutes"]
    one = site(timer_started=started, timer_stopped=started + timedelta(minutes=1))
    problems = sign_problems(complete_session(sites=(site(), one)), PATIENT, CLINICIAN, NOW, 12)
    assert problems[0].message.startswith("Site 2: dwell typed as 10 min, but its timer ran 1:00 (")
    assert problems[1].message == "Site 2: its timer ran 1:00, short of 5 minutes; write the reason on the site."
    late = site(timer_started=started, timer_stopped=started + timedelta(minutes=17, seconds=10), dwell_minutes=None)
    (past,) = sign_problems(complete_session(sites=(late,)), PATIENT, CLINICIAN, NOW, 12)
    assert past.message == "Site 1: its timer ran 17:10, past 15 minutes; write the reason on the site."
    long_reason = site(dwell_reason="x" * 501)
    assert fields(value_problems(complete_session(sites=(long_reason,)), NOW)) == ["sites[0].dwell_reason"]
    assert fields(value_problems(complete_session(sites=(site(needles_out=-1),)), NOW)) == ["sites[0].needles_out"]


def test_the_fingerprint_lists_needles_out_only_where_they_differ_from_needles_in() -> None:
    """A note signed before schema 6 (no needles out) and the same note upgraded (out = in) agree."""
    counted = complete_session()
    assert all(s.needles_out == s.needles for s in counted.sites)
    first = fingerprint(counted, PATIENT, CLINICIAN, NOW)
    short = replace(counted, sites=(site(needles_out=1), counted.sites[1]))
    assert fingerprint(short, PATIENT, CLINICIAN, NOW) != first
    swapped = replace(counted, sites=(site(needles_out=3), site(side=Side.LEFT, needles=3, needles_out=2)))
    assert fingerprint(swapped, PATIENT, CLINICIAN, NOW) not in (first, fingerprint(short, PATIENT, CLINICIAN, NOW))
    reason = replace(counted, sites=(site(dwell_reason="Fainted"), counted.sites[1]))
    assert fingerprint(reason, PATIENT, CLINICIAN, NOW) != first
