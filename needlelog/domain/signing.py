"""What stops a session being signed now (SPEC §3): the signer, the patient's age and consent, the precautions,
every site's details and one truthful dwell, the lung-field aftercare, the values and the needle ledger."""

from __future__ import annotations

from datetime import datetime, timedelta

from needlelog.domain.consent import consent_valid_on
from needlelog.domain.dates import age_on, local_date
from needlelog.domain.dwell import clock_text, timed_outside_range, typed_dwell_disagrees
from needlelog.domain.figure import lung_field_site
from needlelog.domain.ledger import NeedleLedger
from needlelog.domain.limits import DWELL_MAX, DWELL_MIN, LATE_ENTRY_AFTER, MIN_NEEDLING_AGE
from needlelog.domain.model import Clinician, NeedlingSite, Patient, TreatmentSession
from needlelog.domain.outcomes import outcome_sign_problems
from needlelog.domain.problems import FieldProblem, site_number
from needlelog.domain.screening import screening_problems
from needlelog.domain.values import value_problems
from needlelog.domain.vocab import Aftercare, Precaution


def _dwell_truth_problems(index: int, site: NeedlingSite) -> list[FieldProblem]:
    """One truthful dwell (SPEC §3): the timer's minutes when it ran, a typed value that agrees with them,
    and a written reason when the timer ran outside 5-15 minutes; else a typed dwell."""
    label = site_number(index)
    started, stopped = site.timer_started, site.timer_stopped
    if started is None or stopped is None:
        if site.dwell_minutes is None:
            return [FieldProblem.at(("sites", index, "dwell_minutes"), f"{label}: enter the dwell time.")]
        return []
    problems = []
    ran = clock_text(stopped - started)
    if typed_dwell_disagrees(site):
        problems.append(
            FieldProblem.at(
                ("sites", index, "dwell_minutes"),
                f"{label}: dwell typed as {site.dwell_minutes} min, but its timer ran {ran} "
                f"({_clock(started)}–{_clock(stopped)}); the timer is the record — correct or clear the typed dwell.",
            )
        )
    if timed_outside_range(site) and not site.dwell_reason.strip():
        way = "past" if stopped - started > timedelta(minutes=DWELL_MAX) else "short of"
        limit = DWELL_MAX if way == "past" else DWELL_MIN
        problems.append(
            FieldProblem.at(
                ("sites", index, "dwell_reason"),
                f"{label}: its timer ran {ran}, {way} {limit} minutes; write the reason on the site.",
            )
        )
    return problems


def _clock(moment: datetime) -> str:
    """A time of day at the clinic (this PC's time zone), "14:15"."""
    return (moment.astimezone() if moment.tzinfo is not None else moment).strftime("%H:%M")


def sign_problems(
    session: TreatmentSession,
    patient: Patient,
    signer: Clinician,
    now: datetime,
    consent_valid_months: int,
) -> list[FieldProblem]:
    """Every condition that stops this session being signed now, in words, all at once (SPEC §3)."""
    if session.is_signed:
        return [
            FieldProblem(
                "status",
                "This session is already signed; correct it with an amendment.",
            )
        ]
    problems = _signer_and_patient_problems(session, patient, signer, consent_valid_months)
    problems.extend(screening_problems(session, patient))
    if session.condition is None:
        problems.append(FieldProblem("condition", "Choose the condition treated."))
    if session.service_end is None:
        problems.append(FieldProblem("service_end", "Enter the service end time."))
    if not session.sites:
        problems.append(FieldProblem("sites", "Add at least one needling site."))
    for i, site in enumerate(session.sites):
        problems.extend(_site_sign_problems(i, site))
    problems.extend(_lung_field_aftercare_problems(session))
    problems.extend(outcome_sign_problems(session.outcomes))
    problems.extend(value_problems(session, now))
    problems.extend(NeedleLedger.of(session).problems())
    return _without_repeats(problems)


def _signer_and_patient_problems(
    session: TreatmentSession, patient: Patient, signer: Clinician, consent_valid_months: int
) -> list[FieldProblem]:
    """The signer may needle; the patient is 12 or over, consents on the service day, and every precaution the
    screening found is acknowledged."""
    problems: list[FieldProblem] = []
    if not signer.authorised_to_needle:
        problems.append(
            FieldProblem(
                "signer",
                f"{signer.display_name} is not authorised to needle and cannot sign this note.",
            )
        )
    service_day = local_date(session.service_start)
    if age_on(patient.date_of_birth, service_day) < MIN_NEEDLING_AGE:
        problems.append(FieldProblem("patient", "The patient is under 12: dry needling is not permitted."))
    if not consent_valid_on(patient, service_day, consent_valid_months):
        problems.append(
            FieldProblem(
                "consent",
                "No valid informed consent to dry needling on the service date; record it first.",
            )
        )
    missing_acks = sorted(
        (
            p
            for p in patient.screening.positive
            if p is not Precaution.UNDER_12 and p not in session.precautions_acknowledged
        ),
        key=lambda p: p.value,
    )
    for precaution in missing_acks:
        problems.append(
            FieldProblem.at(
                ("precautions", precaution.value),
                f"Acknowledge the precaution: {precaution.label}.",
            )
        )
    return problems


def _site_sign_problems(i: int, site: NeedlingSite) -> list[FieldProblem]:
    """What one site lacks: its region, side, needle count, one truthful dwell, twitch, a stopped timer."""
    problems: list[FieldProblem] = []
    label = site_number(i)
    if site.region is None:
        problems.append(FieldProblem.at(("sites", i, "region"), f"{label}: choose the body region."))
    if site.side is None:
        problems.append(FieldProblem.at(("sites", i, "side"), f"{label}: choose the side."))
    if site.needles is None:
        problems.append(FieldProblem.at(("sites", i, "needles"), f"{label}: enter the needle count."))
    problems.extend(_dwell_truth_problems(i, site))
    if site.twitch is None:
        problems.append(FieldProblem.at(("sites", i, "twitch"), f"{label}: mark the twitch response."))
    if site.timer_running:
        problems.append(
            FieldProblem.at(("sites", i, "timer"), f"{label}: stop its dwell timer (the needles are still in).")
        )
    return problems


def _lung_field_aftercare_problems(session: TreatmentSession) -> list[FieldProblem]:
    """A site over the lung field asks for the aftercare to seek care when breathing is hard."""
    problems: list[FieldProblem] = []
    if any(lung_field_site(site) for site in session.sites) and Aftercare.SEEK_CARE_BREATHING not in session.aftercare:
        problems.append(
            FieldProblem.at(
                ("aftercare", Aftercare.SEEK_CARE_BREATHING.value),
                f"A site lies over the lung field: give the aftercare “{Aftercare.SEEK_CARE_BREATHING.label}”.",
            )
        )
    return problems


def _without_repeats(problems: list[FieldProblem]) -> list[FieldProblem]:
    # Keep the order a person reads the form in, but never report one field twice.
    seen: set[tuple[str, str]] = set()
    unique: list[FieldProblem] = []
    for problem in problems:
        key = (problem.field, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def is_late_entry(service_end: datetime | None, signed_at: datetime | None) -> bool:
    if service_end is None or signed_at is None:
        return False
    return signed_at - service_end > LATE_ENTRY_AFTER
