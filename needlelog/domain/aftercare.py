"""The patient's aftercare sheet (SPEC §2 "Aftercare given"): what a visit's sheet says, in the patient's words.

One page the patient takes home: the areas needled in plain words (the muscle's name after them, for the
next clinician), what to expect, the clinic's aftercare list in its own wording (the clinic pages in the
project's seeds), the breathing warning when a site lay over the lung
(:func:`needlelog.domain.figure.lung_field_site`, the one rule the editor, the sign check and the note use),
and how to reach the clinic. The reports lay it out; nothing here knows about paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from needlelog.domain.figure import lung_field_site
from needlelog.domain.model import Clinic, NeedlingSite, VisitNote
from needlelog.domain.vocab import BodyRegion, Side

# Each region as a patient would say it (the chart's words are a clinician's: "Upper back (thoracic)").
REGION_WORDS: dict[BodyRegion, str] = {
    BodyRegion.HEAD_JAW: "jaw and side of the head",
    BodyRegion.NECK: "neck",
    BodyRegion.SHOULDER: "shoulder and shoulder blade",
    BodyRegion.UPPER_BACK: "upper back, between the shoulder blades",
    BodyRegion.CHEST: "chest",
    BodyRegion.LOWER_BACK: "lower back",
    BodyRegion.UPPER_ARM: "upper arm",
    BodyRegion.ELBOW: "elbow",
    BodyRegion.FOREARM_HAND: "forearm, wrist or hand",
    BodyRegion.HIP_GLUTEAL: "hip and buttock",
    BodyRegion.THIGH: "thigh",
    BodyRegion.KNEE: "knee",
    BodyRegion.CALF: "calf (back of the lower leg)",
    BodyRegion.ANKLE_FOOT: "ankle or foot",
}
SIDE_WORDS: dict[Side, str] = {
    Side.LEFT: "left",
    Side.RIGHT: "right",
    Side.BILATERAL: "both sides",
    Side.MIDLINE: "middle",
}

# What to expect, from the clinic pages ("Side effects: what to expect").
EXPECT = (
    "Muscle soreness for 24–48 hours, like after a workout. Light stretching, gentle massage, or ice or heat helps.",
    "Minor bruising or a drop of bleeding where a needle went in; more likely if you take blood thinners.",
    "Temporary redness at the needle sites, which fades quickly.",
    "You can return to your normal activities today.",
)
# The clinic's aftercare list, in the clinic pages' words ("To maximize results").
ADVICE = (
    "Stay hydrated.",
    "Do your prescribed stretches and exercises.",
    "Apply ice or heat as recommended.",
    "Keep active: maintain regular physical activity.",
    "Avoid excessive alcohol.",
)
BREATHING_WARNING = (
    "Today's treatment included needling over your chest wall, upper back or the base of your neck. Very rarely a "
    "needle there lets air into the chest (a collapsed lung, pneumothorax), sometimes hours after the visit. "
    "Seek care at once — call emergency services or go to the nearest emergency department — if you have "
    "shortness of breath, chest pain, pain when you breathe in, or a dry cough that will not settle."
)
SEEK_HELP = (
    "Call the clinic if the soreness lasts more than two days, if a needle site becomes hot, swollen or red, "
    "or if you have a fever or feel unwell."
)


@dataclass(frozen=True, slots=True)
class AftercareSheet:
    """Everything the patient's sheet prints."""

    clinic: Clinic
    patient_name: str
    clinician_name: str
    visit_start: datetime
    areas: tuple[str, ...]
    breathing_warning: bool
    expect: tuple[str, ...] = EXPECT
    advice: tuple[str, ...] = ADVICE
    seek_help: str = SEEK_HELP

    @property
    def contact(self) -> str:
        phone = " ".join(self.clinic.phone.split())
        return f"Questions? Call {phone}." if phone else "Questions? Contact the clinic."


def area_words(site: NeedlingSite) -> str:
    """One site's area as a patient reads it: "Right calf (back of the lower leg)"."""
    region = REGION_WORDS[site.region] if site.region is not None else "area as shown by your physiotherapist"
    if site.side in (Side.LEFT, Side.RIGHT):
        return f"{SIDE_WORDS[site.side].capitalize()} {region}"
    if site.side is not None:
        return f"{region.capitalize()} ({SIDE_WORDS[site.side]})"
    return region.capitalize()


def needled_areas(sites: tuple[NeedlingSite, ...]) -> tuple[str, ...]:
    """Each area once, in the order first needled, with the muscles needled there after it."""
    muscles: dict[str, list[str]] = {}
    for site in sites:
        found = muscles.setdefault(area_words(site), [])
        muscle = " ".join(site.muscle.split())
        if muscle and muscle.lower() not in (m.lower() for m in found):
            found.append(muscle)
    return tuple(f"{area}: {', '.join(names)}" if names else area for area, names in muscles.items())


def aftercare_sheet(note: VisitNote) -> AftercareSheet:
    """The sheet of a visit (a draft's too: it is given before the note is signed)."""
    patient = note.patient
    sites = note.session.sites
    return AftercareSheet(
        clinic=note.clinic,
        patient_name=" ".join(f"{patient.given_name} {patient.family_name}".split()),
        clinician_name=(note.signer or note.clinician).display_name,
        visit_start=note.session.service_start,
        areas=needled_areas(sites),
        breathing_warning=any(lung_field_site(site) for site in sites),
    )
