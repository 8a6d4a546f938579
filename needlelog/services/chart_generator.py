"""The synthetic clinic behind `needlelog seed` and the demo: names, staff, weights and the visit maker.

Deterministic for a given seed. Realistic in the clinic's terms (seeds in SPEC §2): the
regions follow the condition, 1-2 needles at a shoulder trigger point and 10-15 along the
lumbar spine, dwell 5-15 minutes, a mix of twitch responses and post-session reactions,
an aftercare warning whenever the lung field was needled, most notes signed and a few
still drafts. ``services/seeding.py`` writes what :class:`ChartGenerator` makes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from typing import Any, TypeVar

from needlelog.db.repositories import signed_as_text
from needlelog.domain.figure import anchor_point, lung_field_site
from needlelog.domain.model import (
    Clinic,
    Clinician,
    NeedlingSite,
    Patient,
    Reactions,
    Screening,
    SignedAs,
    TreatmentSession,
)
from needlelog.domain.rules import DWELL_MAX, DWELL_MIN, fingerprint
from needlelog.domain.search import chart_key, search_key
from needlelog.domain.vocab import (
    CONDITION_REGIONS,
    MUSCLES,
    Aftercare,
    BodyRegion,
    Condition,
    Precaution,
    Reaction,
    SessionStatus,
    Side,
    Soreness,
    Technique,
    TreatmentPlan,
    TwitchResponse,
)

GIVEN_NAMES = (
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Sophia",
    "Elijah",
    "Zoë",
    "Lucas",
    "Chloé",
    "Mateo",
    "Aisha",
    "Mohammed",
    "Priya",
    "Arjun",
    "Mei",
    "Wei",
    "Hana",
    "Kenji",
    "Øyvind",
    "Ingrid",
    "Алёна",
    "Dmitri",
    "Siobhán",
    "Seán",
    "José",
    "María",
    "Léa",
    "François",
    "Björn",
    "Astrid",
    "Thanh",
    "Linh",
    "Fatima",
    "Omar",
    "Grace",
    "Jack",
    "Isla",
    "Owen",
    "Maya",
    "Ethan",
    "Ava",
    "Benjamin",
    "Harper",
    "Samuel",
    "Nora",
    "Daniel",
)
FAMILY_NAMES = (
    "Smith",
    "Brown",
    "Tremblay",
    "Martin",
    "Roy",
    "Wilson",
    "MacDonald",
    "Gagnon",
    "Johnson",
    "Taylor",
    "Campbell",
    "Anderson",
    "Lee",
    "Nguyễn",
    "Trần",
    "Li",
    "李",
    "Wang",
    "Chen",
    "Singh",
    "Patel",
    "Kaur",
    "Müller",
    "Schröder",
    "Hansen",
    "Øster",
    "Ivanova",
    "Петров",
    "García",
    "López",
    "O'Brien",
    "Ó Súilleabháin",
    "Dubois",
    "Lefèvre",
    "Kowalski",
    "Nowak",
    "Yamamoto",
    "Sato",
    "Kim",
    "Park",
    "Ahmed",
    "Khan",
    "Haddad",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
)
CLINICIANS = (
    Clinician("Dana Whitford", "dwhitford", "PT, MScPT, FCAMPT", "PT-04417"),
    Clinician("Ravi Sandhu", "rsandhu", "PT, BScPT, IMS cert.", "PT-05982"),
    Clinician("Marie-Ève Gauthier", "mgauthier", "PT, MPT, CAFCI", "PT-06120"),
    Clinician("Tom Okafor", "tokafor", "PT, DPT", "PT-06733"),
    Clinician("Karin Lindqvist", "klindqvist", "PT, MScPT, FCAMPT", "PT-07051"),
    Clinician("Jae-won Choi", "jchoi", "PT, MPT", "PT-07428"),
    Clinician("Brigid Nolan", "bnolan", "PT, BScPT", "PT-07790"),
    Clinician("Luis Herrera", "lherrera", "PT, MScPT", "PT-08104"),
    Clinician("Aiyana Redcloud", "aredcloud", "PT, MPT, IMS cert.", "PT-08455"),
    Clinician("Henrik Aalto", "haalto", "PT, DPT", "PT-08812"),
)
DEMO_CLINIC = Clinic(
    name="Bow River Physiotherapy",
    address="12 Centre Ave W, Okotoks AB T1S 1A1",
    phone="403-555-0142",
)
NEEDLE_SIZES = (
    "0.25 x 30 mm",
    "0.25 x 40 mm",
    "0.30 x 50 mm",
    "0.30 x 60 mm",
    "0.20 x 15 mm",
)
NOTES = (
    "Tolerated well. Reassessed range of motion after needling: improved.",
    "Patient reports less morning stiffness since last visit. Home exercises reviewed.",
    "Dense taut bands palpated; treatment as planned. Advised on posture at work.",
    "Good local twitch responses. Stretches demonstrated, patient returned demonstration.",
    "Patient anxious at first; talked through the procedure, settled quickly.",
    "",
)
# Needles per site as the seeds describe: a shoulder trigger point 1-2, along the lumbar spine 10-15.
NEEDLE_RANGE: dict[BodyRegion, tuple[int, int]] = {
    BodyRegion.LOWER_BACK: (8, 15),
    BodyRegion.UPPER_BACK: (4, 10),
    BodyRegion.SHOULDER: (1, 2),
    BodyRegion.HEAD_JAW: (1, 3),
    BodyRegion.CHEST: (1, 3),
    BodyRegion.HIP_GLUTEAL: (2, 6),
    BodyRegion.NECK: (2, 6),
}
T = TypeVar("T")


def _weighted(*pairs: tuple[object, int]) -> tuple[Any, ...]:
    """A tuple in which each value appears as often as its weight: rng.choice then draws by weight, fast."""
    return tuple(value for value, weight in pairs for _ in range(weight))


SIDES = _weighted((Side.LEFT, 9), (Side.RIGHT, 9), (Side.BILATERAL, 2))
TWITCHES = _weighted((TwitchResponse.NONE, 6), (TwitchResponse.WEAK, 9), (TwitchResponse.STRONG, 5))
SITE_COUNTS = _weighted((1, 3), (2, 4), (3, 2), (4, 1))
TECHNIQUES = _weighted((Technique.STATIC, 11), (Technique.PISTONING, 5), (Technique.IMS, 4))
CONDITIONS = tuple(Condition)
NEEDLE_LOTS = tuple(f"L{lot}-{batch}" for lot in range(2300, 2312) for batch in (11, 27, 43))
AFTERCARE_SETS = tuple(
    frozenset({Aftercare.HYDRATE, Aftercare.EXPECT_SORENESS, a, b})
    for a, b in (
        (Aftercare.STRETCHES, Aftercare.ICE_HEAT),
        (Aftercare.STRETCHES, Aftercare.KEEP_ACTIVE),
        (Aftercare.ICE_HEAT, Aftercare.KEEP_ACTIVE),
        (Aftercare.STRETCHES, Aftercare.AVOID_ALCOHOL),
    )
)
# Sites of one region in one visit sit a little apart on the chart, as real trigger points do: a few
# spots around the region's middle, made once, taken in turn by the site's place in the visit.
SPREAD = ((0.0, 0.0), (0.01, 0.012), (-0.01, 0.006), (0.006, -0.01))
ANCHOR_POINTS = {
    (region, side): tuple(
        replace(point, x=round(point.x + dx, 4), y=round(point.y + dy, 4))
        for point in (anchor_point(region, side),)
        for dx, dy in SPREAD
    )
    for region in BodyRegion
    for side in Side
}


@cache
def _over_lung(region: BodyRegion | None, side: Side | None, muscle: str) -> bool:
    """The lung-field rule for a seeded site (always at its region's anchor), worked out once per kind."""
    assert region is not None and side is not None
    return any(
        lung_field_site(NeedlingSite(region, side, muscle, trigger_points=(point,)))
        for point in ANCHOR_POINTS[region, side]
    )


SORENESS = _weighted(
    (Soreness.NONE, 4),
    (Soreness.MILD, 11),
    (Soreness.MODERATE, 4),
    (Soreness.SEVERE, 1),
)


@dataclass(slots=True)
class _PatientPlan:
    id: int
    patient: Patient
    condition: Condition
    first_visit: datetime
    episode_id: int | None = None  # the episode of care the plan opened, once written: every visit belongs to it


def _codes(
    values: frozenset[Precaution] | frozenset[Aftercare] | frozenset[Reaction],
) -> str:
    return " ".join(sorted(v.value for v in values))


class ChartGenerator:
    """Makes patients and sessions; ids are assigned here so children need no read-back.

    Draws use ``random()`` and indexing rather than ``randint``/``choice``: the same
    distributions at a third of the cost, which is most of what seeding 500,000 visits costs.
    """

    def __init__(self, seed: int, now: datetime, clinicians: dict[int, Clinician], history_days: int = 3650) -> None:
        self.history_days = history_days
        self.rng = random.Random(seed)
        self._r = self.rng.random
        self.now = now
        self.clinicians = clinicians
        self.clinician_ids = tuple(clinicians)
        self._decks: dict[tuple[str, ...], list[str]] = {}
        self._signed_as: dict[tuple[int | None, int], str] = {}

    def _signed_as_text(self, patient: Patient, signer: int) -> str:
        """What a note signed for ``patient`` by ``signer`` keeps of them: the same for every visit of a course."""
        text = self._signed_as[patient.id, signer] = signed_as_text(SignedAs.of(patient, self.clinicians[signer]))
        return text

    def deal(self, names: tuple[str, ...]) -> str:
        """Names dealt from a shuffled deck, so even forty patients show the clinic's whole mix."""
        deck = self._decks.get(names)
        if not deck:
            deck = self._decks[names] = list(names)
            self.rng.shuffle(deck)
        return deck.pop()

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self._r() * len(seq))]

    def between(self, low: int, high: int) -> int:
        return low + int(self._r() * (high - low + 1))

    def patient(self, pid: int) -> _PatientPlan:
        born = date(self.between(1940, 2008), self.between(1, 12), self.between(1, 28))
        positive: set[Precaution] = set()
        surgery: BodyRegion | None = None
        if self._r() < 0.12:
            positive.add(
                self.pick(
                    (
                        Precaution.NEEDLE_FEAR,
                        Precaution.BLEEDING_RISK,
                        Precaution.INFECTION_IMMUNE,
                    )
                )
            )
        condition = self.pick(CONDITIONS)
        if self._r() < 0.05:
            positive.add(Precaution.RECENT_SURGERY)
            surgery = self.pick(CONDITION_REGIONS[condition])
        first = self.now - timedelta(days=self.between(1, self.history_days), hours=self.between(0, 23))
        patient = Patient(
            chart_number=chart_key(f"C{pid:06d}"),
            family_name=self.deal(FAMILY_NAMES),
            given_name=self.deal(GIVEN_NAMES),
            date_of_birth=born,
            phone=f"403-555-{self.between(0, 9999):04d}",
            screening=Screening(frozenset(positive), surgery),
            treatment_plan=self.pick((TreatmentPlan.ACUTE, TreatmentPlan.CHRONIC)),
            id=pid,
        )
        return _PatientPlan(pid, patient, condition, first)

    @staticmethod
    def patient_row(plan: _PatientPlan) -> tuple[object, ...]:
        p = plan.patient
        return (
            plan.id,
            p.chart_number,
            p.family_name,
            p.given_name,
            search_key(p.family_name),
            search_key(p.given_name),
            p.date_of_birth,
            p.phone,
            _codes(p.screening.positive),
            p.screening.surgery_region,
            p.treatment_plan,
            1,
            plan.first_visit,
            plan.first_visit,
        )

    def site(self, region: BodyRegion, place: int = 0) -> NeedlingSite:
        low, high = NEEDLE_RANGE.get(region, (1, 8))
        side = self.pick(SIDES)
        if region is BodyRegion.LOWER_BACK and self._r() < 0.3:
            side = Side.MIDLINE
        needles = self.between(low, high)
        return NeedlingSite(
            region=region,
            side=side,
            muscle=self.pick(MUSCLES[region]),
            needles=needles,
            needle_size=self.pick(NEEDLE_SIZES),
            needle_lot=self.pick(NEEDLE_LOTS),
            dwell_minutes=self.between(DWELL_MIN, DWELL_MAX),
            twitch=self.pick(TWITCHES),
            trigger_points=(ANCHOR_POINTS[region, side][place % len(SPREAD)],),
            needles_out=needles,  # every needle counted out of its site
        )

    def session(self, plan: _PatientPlan, sid: int, start: datetime) -> TreatmentSession:
        r = self._r
        regions = CONDITION_REGIONS[plan.condition]
        sites: list[NeedlingSite] = []
        total = 0
        for _ in range(self.pick(SITE_COUNTS)):
            site = self.site(self.pick(regions[:2]) if r() < 0.8 else self.pick(regions), len(sites))
            if total + (site.needles or 0) > 60:
                break
            sites.append(site)
            total += site.needles or 0
        end = start + timedelta(minutes=self.between(25, 45))
        # Today's and yesterday's notes are often still drafts; a few older ones were forgotten.
        draft = (end > self.now - timedelta(days=2) and r() < 0.5) or r() < 0.02
        aftercare = set(self.pick(AFTERCARE_SETS))
        caution = any(_over_lung(s.region, s.side, s.muscle) for s in sites)
        if caution:
            aftercare.add(Aftercare.SEEK_CARE_BREATHING)
        others: set[Reaction] = set()
        if r() < 0.25:
            others.add(
                self.pick(
                    (
                        Reaction.DISCOMFORT,
                        Reaction.BRUISING,
                        Reaction.REDNESS,
                        Reaction.BLEEDING,
                    )
                )
            )
        if r() < 0.03:
            others.add(self.pick((Reaction.FATIGUE, Reaction.LIGHT_HEADED, Reaction.NAUSEA)))
        before = self.between(3, 9)
        return TreatmentSession(
            patient_id=plan.id,
            clinician_id=self.pick(self.clinician_ids),
            service_start=start,
            service_end=end,
            condition=plan.condition,
            technique=self.pick(TECHNIQUES),
            electrical_stimulation=r() < 0.15,
            sites=tuple(sites),
            pain_before=before,
            pain_after=max(0, before - self.between(0, 4)),
            sharps_disposed=True,
            reactions=Reactions(self.pick(SORENESS), frozenset(others)),
            aftercare=frozenset(aftercare),
            precautions_acknowledged=plan.patient.screening.positive - {Precaution.UNDER_12},
            notes=self.pick(NOTES),
            lung_field_caution=caution,
            status=SessionStatus.DRAFT if draft else SessionStatus.SIGNED,
            id=sid,
        )

    def session_row(self, s: TreatmentSession, patient: Patient) -> tuple[object, ...]:
        assert s.id is not None and s.service_end is not None
        signed_at = signer = None
        digest = signed_as = ""
        if s.is_signed:
            late = self._r() < 0.03
            signed_at = s.service_end + (timedelta(hours=self.between(25, 72)) if late else timedelta(minutes=3))
            signer = s.clinician_id
            digest = fingerprint(s, patient, self.clinicians[s.clinician_id], signed_at)
            signed_as = self._signed_as.get((s.patient_id, signer)) or self._signed_as_text(patient, signer)
        return (
            s.id,
            s.patient_id,
            s.clinician_id,
            s.service_start,
            s.service_end,
            s.condition,
            s.technique,
            s.electrical_stimulation,
            s.pain_before,
            s.pain_after,
            len(s.sites),
            s.needles_inserted,
            s.needles_removed,
            s.sharps_disposed,
            s.reactions.soreness,
            _codes(s.reactions.others),
            "",
            _codes(s.aftercare),
            _codes(s.precautions_acknowledged),
            s.notes,
            s.lung_field_caution,
            # Written as a draft with its signature already filled in, and signed once its sites are in:
            # the database refuses sites added to a signed note (revision 0003).
            SessionStatus.DRAFT,
            1,
            s.service_start,
            signed_at or s.service_end,
            signed_at,
            signer,
            digest,
            signed_as,
        )

    def visit_times(self, first: datetime, count: int) -> Iterator[datetime]:
        """A course of treatment: roughly weekly visits, in clinic hours, never in the future."""
        now = self.now
        # The course starts on the consent's day and, by construction of ``first``, ends days before now.
        # The clinic's zone is looked up once a course: asking the system on every visit cost seconds.
        day = first.astimezone().replace(second=0, microsecond=0)
        latest = now - timedelta(hours=1)
        for _ in range(count):
            local = day.replace(hour=self.between(8, 17), minute=self.pick((0, 15, 30, 45)))
            yield min(local.astimezone(UTC), latest)
            day += timedelta(days=self.between(1, course_gap(count)))


def share_visits(rng: random.Random, patients: int, sessions: int) -> list[int]:
    """Visits per patient, unevenly as in a real clinic: many short courses, a few long ones.

    Each patient draws an exponential weight and every visit goes to a patient in proportion
    to it, so the longest course is about ten times the average, never a pile-up on one chart.
    """
    visits = [0] * patients
    if not patients:
        return visits
    cumulative = list(accumulate(rng.expovariate(1.0) for _ in range(patients)))
    for index in rng.choices(range(patients), cum_weights=cumulative, k=sessions):
        visits[index] += 1
    return visits


def course_gap(visits: int) -> int:
    """The longest gap in days between visits, so that even the longest draw of gaps keeps a
    course under 11 months (inside one consent's validity)."""
    return max(1, min(21, 330 // max(visits, 1)))
