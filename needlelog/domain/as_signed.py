"""A signed note shows the patient as they were at the visit (SPEC §3: a signed note never changes).

Its names, birth date and consent come from the note's own record (:class:`SignedAs`, schema 0009); for a note
signed before the consent was kept there, the consent that held on the day of the visit (the latest given by then,
revoked only if that had happened by then), not the newest; its precautions are those the signature
acknowledged (signing needs every positive answer acknowledged, so they are the screening as it stood), not
today's answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from needlelog.domain.dates import local_date
from needlelog.domain.model import Consent, Patient, TreatmentSession


def consent_on(consents: Iterable[Consent], day: date) -> Consent | None:
    """The consent that held on ``day``: the latest given on or before it, as it stood that day."""
    held = [consent for consent in consents if consent.given_on <= day]
    if not held:
        return None
    latest = max(held, key=lambda consent: consent.given_on)
    if latest.revoked_on is not None and latest.revoked_on > day:
        latest = replace(latest, revoked_on=None)  # revoked later: on the day it held
    return latest


def patient_as_signed(patient: Patient, session: TreatmentSession, consents: Iterable[Consent]) -> Patient:
    """The patient as ``session``'s signed note shows them; a draft shows today's record."""
    if not session.is_signed:
        return patient
    consent = None
    if session.signed_as is not None:
        patient = session.signed_as.patient(patient)
        consent = session.signed_as.consent
    if consent is None:  # a note signed before its consent was kept with it: the one that held on the day
        consent = consent_on(consents, local_date(session.service_start))
    screening = replace(patient.screening, positive=session.precautions_acknowledged)
    return replace(patient, consent=consent, screening=screening)
