"""The clinic's rules: the patient's record, the clinic's settings, an amendment, a discarded draft; and, named
here for every caller, the rules that have a module of their own.

Where a rule lives:

- :mod:`needlelog.domain.problems`: :class:`FieldProblem`, what every rule returns, and the field paths;
- :mod:`needlelog.domain.limits`: the ranges and lengths (dwell, needles, pain, age, clocks, text);
- :mod:`needlelog.domain.values`: values that are wrong, not merely missing (a draft with one is not saved);
- :mod:`needlelog.domain.dwell`: a site's dwell, timed or typed;
- :mod:`needlelog.domain.dates`: the clinic's day of an instant, an age, months added to a day;
- :mod:`needlelog.domain.consent`: informed consent, whether and until when it holds;
- :mod:`needlelog.domain.screening`: what the screening forbids (lymphoedema, an implanted device, under 12);
- :mod:`needlelog.domain.ledger`: the needle ledger, per site and for the session;
- :mod:`needlelog.domain.signing`: the sign preconditions, and a late entry;
- :mod:`needlelog.domain.fingerprint`: the signed note's fingerprint.

Every check returns :class:`FieldProblem` values, one per field, each with a message a
clinician can act on. Nothing here raises for bad input: callers decide what to do with
the list (refuse a save, list what stops a signature).
"""

from __future__ import annotations

from datetime import date

from needlelog.domain.clinic_settings import logo_problem
from needlelog.domain.consent import consent_last_day, consent_problem, consent_valid_months, consent_valid_on
from needlelog.domain.dates import add_months, age_on, local_date
from needlelog.domain.dwell import (
    clock_text,
    dwell_minutes,
    recorded_dwell,
    timed_dwell,
    timed_outside_range,
    typed_dwell_disagrees,
)
from needlelog.domain.fingerprint import fingerprint
from needlelog.domain.ledger import NeedleLedger, SiteLedger, site_name
from needlelog.domain.limits import (
    CLOCK_GRACE,
    CONSENT_VALID_MONTHS_MAX,
    CONSENT_VALID_MONTHS_MIN,
    DWELL_MAX,
    DWELL_MIN,
    LATE_ENTRY_AFTER,
    MIN_NEEDLING_AGE,
    NEEDLES_PER_SESSION_MAX,
    NEEDLES_PER_SITE_MAX,
    NEEDLES_PER_SITE_MIN,
    PAIN_MAX,
    PAIN_MIN,
    REASON_MAX,
    SHORT_TEXT_MAX,
    TEXT_MAX,
)
from needlelog.domain.model import Clinic, Patient
from needlelog.domain.problems import FieldPath, FieldProblem, field_name, site_field
from needlelog.domain.screening import (
    added_needling_problems,
    adds_needling,
    lymphoedema_at,
    screening_problems,
    site_refusal,
)
from needlelog.domain.signing import is_late_entry, sign_problems
from needlelog.domain.text import TEXT_LIMITS, is_blank, text_problems
from needlelog.domain.values import value_problems
from needlelog.domain.vocab import Precaution

__all__ = [
    "CLOCK_GRACE",
    "CONSENT_VALID_MONTHS_MAX",
    "CONSENT_VALID_MONTHS_MIN",
    "DISCARD_REASON_MAX",
    "DWELL_MAX",
    "DWELL_MIN",
    "LATE_ENTRY_AFTER",
    "MIN_NEEDLING_AGE",
    "NEEDLES_PER_SESSION_MAX",
    "NEEDLES_PER_SITE_MAX",
    "NEEDLES_PER_SITE_MIN",
    "PAIN_MAX",
    "PAIN_MIN",
    "REASON_MAX",
    "SHORT_TEXT_MAX",
    "TEXT_MAX",
    "FieldPath",
    "FieldProblem",
    "NeedleLedger",
    "SiteLedger",
    "add_months",
    "added_needling_problems",
    "adds_needling",
    "age_on",
    "amendment_problems",
    "clinic_problems",
    "clock_text",
    "consent_last_day",
    "consent_problem",
    "consent_valid_months",
    "consent_valid_on",
    "discard_problems",
    "dwell_minutes",
    "field_name",
    "fingerprint",
    "is_late_entry",
    "local_date",
    "lymphoedema_at",
    "patient_problems",
    "recorded_dwell",
    "screening_problems",
    "sign_problems",
    "site_field",
    "site_name",
    "site_refusal",
    "timed_dwell",
    "timed_outside_range",
    "typed_dwell_disagrees",
    "value_problems",
]


def patient_problems(patient: Patient, today: date) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for name, label in (
        ("chart_number", "Chart number"),
        ("family_name", "Family name"),
        ("given_name", "Given name"),
        ("phone", "Phone"),
    ):
        value = getattr(patient, name)
        if name != "phone" and is_blank(value):
            problems.append(FieldProblem(name, f"{label} is required."))
        else:
            problems += text_problems(name, label, value, f"patient.{name}")
    if patient.date_of_birth > today:
        problems.append(FieldProblem("date_of_birth", "Date of birth cannot be in the future."))
    elif patient.date_of_birth.year < 1900:
        problems.append(FieldProblem("date_of_birth", "Date of birth must be in 1900 or later."))
    screening = patient.screening
    if Precaution.RECENT_SURGERY in screening.positive and screening.surgery_region is None:
        problems.append(
            FieldProblem.at(
                ("screening", "surgery_region"),
                "Recent surgery: choose the region that was operated on.",
            )
        )
    if patient.consent is not None and patient.consent.given_on > today:
        problems.append(FieldProblem.at(("consent", "given_on"), "Consent date cannot be in the future."))
    if patient.consent is not None and is_blank(patient.consent.obtained_by):
        problems.append(FieldProblem.at(("consent", "obtained_by"), "Consent: say who obtained it."))
    elif patient.consent is not None:
        obtained_by = patient.consent.obtained_by
        problems += text_problems(
            ("consent", "obtained_by"), "Consent: who obtained it", obtained_by, "consent.obtained_by"
        )
    return problems


def clinic_problems(clinic: Clinic) -> list[FieldProblem]:
    """The clinic's letterhead and defaults: a name, a default dwell the rules allow, a sane consent period."""
    problems: list[FieldProblem] = []
    if is_blank(clinic.name):
        problems.append(FieldProblem("name", "Clinic name is required."))
    else:
        problems += text_problems("name", "Clinic name", clinic.name, "clinic.name")
    problems += text_problems("address", "Clinic address", clinic.address, "clinic.address")
    problems += text_problems("phone", "Clinic phone", clinic.phone, "clinic.phone")
    if not DWELL_MIN <= clinic.default_dwell_minutes <= DWELL_MAX:
        problems.append(
            FieldProblem(
                "default_dwell_minutes",
                f"Default dwell time must be {DWELL_MIN} to {DWELL_MAX} minutes.",
            )
        )
    if not CONSENT_VALID_MONTHS_MIN <= clinic.consent_valid_months <= CONSENT_VALID_MONTHS_MAX:
        problems.append(
            FieldProblem(
                "consent_valid_months",
                f"Consent validity must be {CONSENT_VALID_MONTHS_MIN} to {CONSENT_VALID_MONTHS_MAX} months.",
            )
        )
    logo_why = None if clinic.logo is None else logo_problem(clinic.logo)
    if logo_why:
        problems.append(FieldProblem("logo", logo_why))
    return problems


def amendment_problems(reason: str, text: str) -> list[FieldProblem]:
    """An amendment says why and what: both are required, neither unbounded."""
    problems = []
    if is_blank(reason):
        problems.append(FieldProblem.at(("amendment", "reason"), "Give the reason for the amendment."))
    else:
        problems += text_problems(("amendment", "reason"), "The reason", reason, "amendment.reason", multiline=True)
    if is_blank(text):
        problems.append(FieldProblem.at(("amendment", "text"), "Write the amendment itself."))
    else:
        problems += text_problems(("amendment", "text"), "The amendment", text, "amendment.text", multiline=True)
    return problems


DISCARD_REASON_MAX = TEXT_LIMITS["discard.reason"]  # one short line


def discard_problems(reason: str) -> list[FieldProblem]:
    """A draft is discarded with a reason: one short line, required."""
    if is_blank(reason):
        return [FieldProblem.at(("reason",), "Give the reason for discarding this draft.")]
    if len(reason.strip()) > DISCARD_REASON_MAX or "\n" in reason.strip():
        return [FieldProblem.at(("reason",), f"The reason is one line of at most {DISCARD_REASON_MAX} characters.")]
    return text_problems(("reason",), "The reason", reason.strip(), "discard.reason")
