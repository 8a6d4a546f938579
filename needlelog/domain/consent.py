"""Informed consent to dry needling: how long it holds at a clinic, whether it holds on a day, and why not."""

from __future__ import annotations

from datetime import date, timedelta

from needlelog.domain.dates import add_months
from needlelog.domain.model import CONSENT_VALID_MONTHS_DEFAULT, Clinic, Patient


def consent_valid_months(clinic: Clinic | None) -> int:
    """How many months a consent holds at this clinic (the default before a clinic is set up)."""
    return CONSENT_VALID_MONTHS_DEFAULT if clinic is None else clinic.consent_valid_months


def consent_valid_on(patient: Patient, day: date, valid_months: int) -> bool:
    consent = patient.consent
    if consent is None or consent.given_on > day:
        return False
    if consent.revoked_on is not None and consent.revoked_on <= day:
        return False
    return day < add_months(consent.given_on, valid_months)


def consent_last_day(patient: Patient, valid_months: int) -> date | None:
    """The last day the patient's consent holds (its revocation's eve, when revoked first); None without one."""
    consent = patient.consent
    if consent is None:
        return None
    ends = add_months(consent.given_on, valid_months)
    if consent.revoked_on is not None and consent.revoked_on < ends:
        ends = consent.revoked_on
    return ends - timedelta(days=1)


def consent_problem(patient: Patient, day: date, valid_months: int) -> str | None:
    """Why the patient's consent to dry needling does not hold on ``day``, in words; None when it does."""
    consent = patient.consent
    if consent_valid_on(patient, day, valid_months):
        return None
    if consent is None:
        return "No informed consent to dry needling is recorded."
    if consent.revoked_on is not None and consent.revoked_on <= day:
        return f"Consent to dry needling was revoked on {consent.revoked_on.isoformat()}."
    if consent.given_on > day:
        return f"Consent to dry needling is dated {consent.given_on.isoformat()}, after the service day."
    expired = add_months(consent.given_on, valid_months)
    return (
        f"Consent to dry needling ({consent.method.label.lower()}, {consent.given_on.isoformat()}) "
        f"expired on {expired.isoformat()}."
    )
