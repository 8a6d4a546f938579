"""What the screening forbids: no site in a limb with lymphoedema, no electrical stimulation with an implanted
device, no site at all under 12 or without valid consent; and what a save may not add to a stored draft."""

from __future__ import annotations

from datetime import date

from needlelog.domain.consent import consent_problem
from needlelog.domain.dates import age_on, local_date
from needlelog.domain.limits import MIN_NEEDLING_AGE
from needlelog.domain.model import Patient, Screening, TreatmentSession
from needlelog.domain.problems import FieldProblem, site_number
from needlelog.domain.vocab import LYMPHOEDEMA_LIMBS, BodyRegion, Precaution, Side


def lymphoedema_at(screening: Screening, region: BodyRegion | None, side: Side | None) -> str | None:
    """The limb with lymphoedema a site in ``region`` on ``side`` lies in ("left arm"), or None."""
    for precaution, (limb, limb_side, regions) in LYMPHOEDEMA_LIMBS.items():
        if precaution in screening.positive and region in regions and side in (limb_side, Side.BILATERAL):
            return limb
    return None


def site_refusal(
    patient: Patient, region: BodyRegion | None, side: Side | None, day: date, valid_months: int
) -> str | None:
    """Why no needling site may be placed (in ``region`` on ``side``, when known) on ``day``; None when it may.

    Under 12 is never needled; without valid consent no site is placed (SPEC §2 Consent); a limb with lymphoedema
    is never needled.
    """
    if age_on(patient.date_of_birth, day) < MIN_NEEDLING_AGE:
        return f"The patient is under {MIN_NEEDLING_AGE}: dry needling is not permitted."
    why = consent_problem(patient, day, valid_months)
    if why is not None:
        return f"{why} No needling site can be placed until consent is recorded (at the top of the editor)."
    limb = lymphoedema_at(patient.screening, region, side)
    if limb is not None:
        return f"Lymphoedema of the {limb} (screening): no needling in that limb."
    return None


def screening_problems(session: TreatmentSession, patient: Patient) -> list[FieldProblem]:
    """What the screening forbids in this session: a site in a limb with lymphoedema, electrical stimulation with
    an implanted electrical device. Shown beside the field as it is charted, and signing refuses them."""
    problems: list[FieldProblem] = []
    for i, site in enumerate(session.sites):
        limb = lymphoedema_at(patient.screening, site.region, site.side)
        if limb is not None:
            problems.append(
                FieldProblem.at(
                    ("sites", i, "region"),
                    f"{site_number(i)}: lymphoedema of the {limb} (screening): no needling in that limb.",
                )
            )
    if session.electrical_stimulation and Precaution.IMPLANTED_DEVICE in patient.screening.positive:
        problems.append(
            FieldProblem(
                "electrical_stimulation",
                "Implanted electrical device (screening): no electrical stimulation; untick it.",
            )
        )
    return problems


def adds_needling(session: TreatmentSession, stored_sites: int, stored_stimulation: bool) -> bool:
    """The save adds a site, or electrical stimulation, to a stored draft that held ``stored_sites`` sites."""
    return len(session.sites) > stored_sites or (session.electrical_stimulation and not stored_stimulation)


def added_needling_problems(
    session: TreatmentSession, stored_sites: int, stored_stimulation: bool, patient: Patient, valid_months: int
) -> list[FieldProblem]:
    """What a save may not add to the stored draft (which held ``stored_sites`` sites, and electrical stimulation
    or not): a site without valid consent, a new site in a limb with lymphoedema, electrical stimulation with an
    implanted device. What the draft already held still saves (its consent may have lapsed since; signing refuses
    it), so its notes are never lost."""
    problems: list[FieldProblem] = []
    if len(session.sites) > stored_sites:
        why = consent_problem(patient, local_date(session.service_start), valid_months)
        if why is not None:
            problems.append(FieldProblem("consent", f"{why} No needling site can be added until consent is recorded."))
    for problem in screening_problems(session, patient):
        new_site = problem.path[:1] == ("sites",) and int(problem.path[1]) >= stored_sites
        if new_site or (problem.field == "electrical_stimulation" and not stored_stimulation):
            problems.append(problem)
    return problems
