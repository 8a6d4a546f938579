"""The clinic's rules, in one place: ranges, the needle ledger, consent, sign preconditions.

Every check returns :class:`FieldProblem` values, one per field, each with a message a
clinician can act on. Nothing here raises for bad input: callers decide what to do with
the list (refuse a save, list what stops a signature).
"""

from __future__ import annotations

import calendar
import hashlib
import json
import unicodedata
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, timedelta

from needlelog.domain.figure import lung_field_site
from needlelog.domain.model import (
    CONSENT_VALID_MONTHS_DEFAULT,
    Clinic,
    Clinician,
    NeedlingSite,
    Patient,
    Screening,
    TreatmentSession,
)
from needlelog.domain.vocab import LYMPHOEDEMA_LIMBS, Aftercare, BodyRegion, Coded, Precaution, Side

DWELL_MIN, DWELL_MAX = 5, 15
NEEDLES_PER_SITE_MIN, NEEDLES_PER_SITE_MAX = 1, 20
NEEDLES_PER_SESSION_MAX = 60
PAIN_MIN, PAIN_MAX = 0, 10
MIN_NEEDLING_AGE = 12
LATE_ENTRY_AFTER = timedelta(hours=24)
# Two clinic PCs rarely agree to the second; a service time this far ahead is still "now".
CLOCK_GRACE = timedelta(minutes=5)
TEXT_MAX = 100_000
SHORT_TEXT_MAX = 200  # a name, a muscle, a needle size or lot
REASON_MAX = 500  # a written reason: a timed dwell outside 5-15, an amendment's
CONSENT_VALID_MONTHS_MIN, CONSENT_VALID_MONTHS_MAX = 1, 120

# A field as parts: ("sites", 2, "dwell_minutes"), ("reactions", "other_text"), ("notes",).
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A problem with one field.

    ``field`` is the path as a stable name, such as ``sites[2].dwell_minutes`` (the UI finds the widget
    by it); ``path`` is the same path in parts, ``("sites", 2, "dwell_minutes")``, for code that acts on
    the field (:func:`needlelog.domain.drafts.savable_draft`), so nothing parses the name back. A problem
    made from a plain name has the one-part path ``(field,)``.
    """

    field: str
    message: str
    path: FieldPath = dataclass_field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.path:
            object.__setattr__(self, "path", (self.field,))

    @classmethod
    def at(cls, path: FieldPath, message: str) -> FieldProblem:
        return cls(field_name(path), message, path)


def field_name(path: FieldPath) -> str:
    """("sites", 2, "trigger_points", 0) -> "sites[2].trigger_points[0]"."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    return name


def site_field(index: int, name: str) -> str:
    return field_name(("sites", index, name))


def _site_label(index: int) -> str:
    return f"Site {index + 1}"


def dwell_minutes(started: datetime, stopped: datetime) -> int:
    """Whole minutes the needles stayed in, to the nearest minute."""
    seconds = max((stopped - started).total_seconds(), 0.0)
    return int((seconds + 30) // 60)


def timed_dwell(started: datetime, stopped: datetime) -> int | None:
    """The typed dwell a stopped timer fills in: its minutes, or None when the needles were in for less than
    5:00 or more than 15:00 (a rounded "5" or "15" must not hide a dwell outside the range)."""
    elapsed = stopped - started
    if not timedelta(minutes=DWELL_MIN) <= elapsed <= timedelta(minutes=DWELL_MAX):
        return None
    return dwell_minutes(started, stopped)


def clock_text(delta: timedelta) -> str:
    """ "9:05", or "-0:40" once past."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 60}:{seconds % 60:02d}"


def timed_outside_range(site: NeedlingSite) -> bool:
    """The site's timer ran for less than 5:00 or more than 15:00: the record needs a written reason."""
    started, stopped = site.timer_started, site.timer_stopped
    return started is not None and stopped is not None and timed_dwell(started, stopped) is None


def recorded_dwell(site: NeedlingSite) -> int | None:
    """The site's dwell on the record: what its timer measured when it ran, else the typed minutes."""
    started, stopped = site.timer_started, site.timer_stopped
    if started is not None and stopped is not None:
        return dwell_minutes(started, stopped)
    return site.dwell_minutes


def typed_dwell_disagrees(site: NeedlingSite) -> bool:
    """A typed dwell that differs by more than a minute from what the site's timer measured."""
    started, stopped = site.timer_started, site.timer_stopped
    if started is None or stopped is None or site.dwell_minutes is None:
        return False
    measured = max((stopped - started).total_seconds(), 0.0)
    return abs(site.dwell_minutes * 60 - measured) > 60


def site_name(index: int, site: NeedlingSite) -> str:
    """ "Site 2 (left upper trapezius)": the site's number, side and muscle (or region), as the ledger names it."""
    what = site.muscle or (site.region.label.lower() if site.region is not None else "")
    where = " ".join(part for part in ((site.side.label.lower() if site.side else ""), what) if part)
    return f"{_site_label(index)} ({where})" if where else _site_label(index)


def _in_range(value: int | None, low: int, high: int) -> bool:
    return value is None or low <= value <= high


def value_problems(session: TreatmentSession, now: datetime) -> list[FieldProblem]:
    """Values that are wrong, not merely missing: a draft with any of these is not saved."""
    problems: list[FieldProblem] = []
    for i, site in enumerate(session.sites):
        if not _in_range(site.needles, NEEDLES_PER_SITE_MIN, NEEDLES_PER_SITE_MAX):
            problems.append(
                FieldProblem.at(
                    ("sites", i, "needles"),
                    f"{_site_label(i)}: needle count must be "
                    f"{NEEDLES_PER_SITE_MIN} to {NEEDLES_PER_SITE_MAX} (got {site.needles}).",
                )
            )
        if not _in_range(site.dwell_minutes, DWELL_MIN, DWELL_MAX):
            problems.append(
                FieldProblem.at(
                    ("sites", i, "dwell_minutes"),
                    f"{_site_label(i)}: dwell time must be {DWELL_MIN} to {DWELL_MAX} "
                    f"minutes (got {site.dwell_minutes}).",
                )
            )
        for j, point in enumerate(site.trigger_points):
            if not (0.0 <= point.x <= 1.0 and 0.0 <= point.y <= 1.0):
                problems.append(
                    FieldProblem.at(
                        ("sites", i, "trigger_points", j),
                        f"{_site_label(i)}: trigger point {j + 1} lies outside the body chart.",
                    )
                )
        if site.timer_started and site.timer_stopped and site.timer_stopped < site.timer_started:
            problems.append(
                FieldProblem.at(
                    ("sites", i, "timer"),
                    f"{_site_label(i)}: the dwell timer stops before it starts.",
                )
            )
        if site.needles_out < 0:
            problems.append(
                FieldProblem.at(("sites", i, "needles_out"), f"{_site_label(i)}: needles out cannot be negative.")
            )
        if len(site.dwell_reason) > REASON_MAX:
            problems.append(
                FieldProblem.at(
                    ("sites", i, "dwell_reason"),
                    f"{_site_label(i)}: the reason for the dwell is longer than {REASON_MAX} characters.",
                )
            )
        for name in ("muscle", "needle_size", "needle_lot"):
            if len(getattr(site, name)) > SHORT_TEXT_MAX:
                problems.append(
                    FieldProblem.at(
                        ("sites", i, name),
                        f"{_site_label(i)}: {name.replace('_', ' ')} is longer than {SHORT_TEXT_MAX} characters.",
                    )
                )
    total = session.needles_inserted
    if total > NEEDLES_PER_SESSION_MAX:
        problems.append(
            FieldProblem(
                "sites",
                f"A session takes at most {NEEDLES_PER_SESSION_MAX} needles "
                f"(the sites add up to {total}); check for a typo.",
            )
        )
    for name, label in (("pain_before", "Pain before"), ("pain_after", "Pain after")):
        value = getattr(session, name)
        if not _in_range(value, PAIN_MIN, PAIN_MAX):
            problems.append(FieldProblem(name, f"{label} must be {PAIN_MIN} to {PAIN_MAX} (got {value})."))
    if session.service_start > now + CLOCK_GRACE:
        problems.append(FieldProblem("service_start", "Service start cannot be in the future."))
    if session.service_end is not None:
        if session.service_end <= session.service_start:
            problems.append(FieldProblem("service_end", "Service end must be after service start."))
        elif session.service_end > now + CLOCK_GRACE:
            problems.append(FieldProblem("service_end", "Service end cannot be in the future."))
    if len(session.notes) > TEXT_MAX:
        problems.append(FieldProblem("notes", f"Notes are longer than {TEXT_MAX:,} characters."))
    if len(session.reactions.other_text) > TEXT_MAX:
        problems.append(
            FieldProblem.at(
                ("reactions", "other_text"),
                f"Other reaction is longer than {TEXT_MAX:,} characters.",
            )
        )
    return problems


def patient_problems(patient: Patient, today: date) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if not patient.chart_number.strip():
        problems.append(FieldProblem("chart_number", "Chart number is required."))
    elif len(patient.chart_number) > 40:
        problems.append(FieldProblem("chart_number", "Chart number is longer than 40 characters."))
    if not patient.family_name.strip():
        problems.append(FieldProblem("family_name", "Family name is required."))
    if not patient.given_name.strip():
        problems.append(FieldProblem("given_name", "Given name is required."))
    for name, label in (
        ("chart_number", "Chart number"),
        ("family_name", "Family name"),
        ("given_name", "Given name"),
        ("phone", "Phone"),
    ):
        value = getattr(patient, name)
        if len(value) > 200:
            problems.append(FieldProblem(name, f"{label} is longer than 200 characters."))
        elif any(unicodedata.category(c) == "Cc" for c in value):
            problems.append(
                FieldProblem(name, f"{label} holds a line break or a control character; type it on one line.")
            )
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
    if patient.consent is not None and not patient.consent.obtained_by.strip():
        problems.append(FieldProblem.at(("consent", "obtained_by"), "Consent: say who obtained it."))
    elif patient.consent is not None and len(patient.consent.obtained_by) > 200:
        problems.append(
            FieldProblem.at(("consent", "obtained_by"), "Consent: who obtained it is longer than 200 characters.")
        )
    return problems


def local_date(moment: datetime) -> date:
    """The calendar day at the clinic (this PC's time zone) of an instant."""
    return moment.astimezone().date() if moment.tzinfo is not None else moment.date()


def age_on(date_of_birth: date, day: date) -> int:
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def consent_valid_months(clinic: Clinic | None) -> int:
    """How many months a consent holds at this clinic (the default before a clinic is set up)."""
    return CONSENT_VALID_MONTHS_DEFAULT if clinic is None else clinic.consent_valid_months


def clinic_problems(clinic: Clinic) -> list[FieldProblem]:
    """The clinic's letterhead and defaults: a name, a default dwell the rules allow, a sane consent period."""
    problems: list[FieldProblem] = []
    if not clinic.name.strip():
        problems.append(FieldProblem("name", "Clinic name is required."))
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
    return problems


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
                    f"{_site_label(i)}: lymphoedema of the {limb} (screening): no needling in that limb.",
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


@dataclass(frozen=True, slots=True)
class SiteLedger:
    """One site's needles in and out, and its name for the person counting ("Site 2 (left upper trapezius)")."""

    index: int
    name: str
    inserted: int
    removed: int

    @property
    def outstanding(self) -> int:
        return self.inserted - self.removed

    def problem(self) -> FieldProblem | None:
        path: FieldPath = ("sites", self.index, "needles_out")
        if self.outstanding > 0:
            word = "needle" if self.inserted == 1 else "needles"
            return FieldProblem.at(path, f"{self.name}: {self.outstanding} of {self.inserted} {word} not counted out.")
        if self.outstanding < 0:
            return FieldProblem.at(
                path, f"{self.name}: {self.removed} counted out but only {self.inserted} inserted; recount."
            )
        return None


@dataclass(frozen=True, slots=True)
class NeedleLedger:
    """Needles in, needles out at every site, sharps confirmed: the count that must balance before signing.

    The session's ledger is the sum of its sites'; a site's needles are counted out when its timer stops
    (adjustable until the note is signed), so a needle missing at the end is traced to its site.
    """

    inserted: int
    removed: int
    sharps_disposed: bool
    sites: tuple[SiteLedger, ...] = ()

    @classmethod
    def of(cls, session: TreatmentSession) -> NeedleLedger:
        sites = tuple(
            SiteLedger(i, site_name(i, site), site.needles or 0, site.needles_out)
            for i, site in enumerate(session.sites)
        )
        return cls(session.needles_inserted, session.needles_removed, session.sharps_disposed, sites)

    @property
    def outstanding(self) -> int:
        return self.inserted - self.removed

    @property
    def unaccounted(self) -> tuple[SiteLedger, ...]:
        """The sites whose needles out differ from their needles in."""
        return tuple(site for site in self.sites if site.outstanding != 0)

    @property
    def reconciled(self) -> bool:
        return self.inserted > 0 and self.outstanding == 0 and not self.unaccounted and self.sharps_disposed

    def problems(self) -> list[FieldProblem]:
        problems = [p for p in (site.problem() for site in self.sites) if p is not None]
        if not self.sharps_disposed:
            problems.append(
                FieldProblem(
                    "sharps_disposed",
                    "Needle ledger: confirm disposal in the sharps container.",
                )
            )
        return problems


def _dwell_truth_problems(index: int, site: NeedlingSite) -> list[FieldProblem]:
    """One truthful dwell (SPEC §3): the timer's minutes when it ran, a typed value that agrees with them,
    and a written reason when the timer ran outside 5-15 minutes; else a typed dwell."""
    label = _site_label(index)
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
    problems: list[FieldProblem] = []
    if session.is_signed:
        return [
            FieldProblem(
                "status",
                "This session is already signed; correct it with an amendment.",
            )
        ]
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
    problems.extend(screening_problems(session, patient))
    if session.condition is None:
        problems.append(FieldProblem("condition", "Choose the condition treated."))
    if session.service_end is None:
        problems.append(FieldProblem("service_end", "Enter the service end time."))
    if not session.sites:
        problems.append(FieldProblem("sites", "Add at least one needling site."))
    for i, site in enumerate(session.sites):
        label = _site_label(i)
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
    if any(lung_field_site(site) for site in session.sites) and Aftercare.SEEK_CARE_BREATHING not in session.aftercare:
        problems.append(
            FieldProblem.at(
                ("aftercare", Aftercare.SEEK_CARE_BREATHING.value),
                f"A site lies over the lung field: give the aftercare “{Aftercare.SEEK_CARE_BREATHING.label}”.",
            )
        )
    problems.extend(value_problems(session, now))
    problems.extend(NeedleLedger.of(session).problems())
    # Keep the order a person reads the form in, but never report one field twice.
    seen: set[tuple[str, str]] = set()
    unique: list[FieldProblem] = []
    for problem in problems:
        key = (problem.field, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def is_late_entry(service_end: datetime | None, signed_at: datetime | None) -> bool:
    if service_end is None or signed_at is None:
        return False
    return signed_at - service_end > LATE_ENTRY_AFTER


def fingerprint(session: TreatmentSession, patient: Patient, signer: Clinician, signed_at: datetime) -> str:
    """SHA-256 of the note's content, in a canonical form that does not depend on storage."""

    def code(value: Coded | None) -> str | None:
        return None if value is None else value.value

    content = {
        "patient": [
            patient.chart_number,
            patient.family_name,
            patient.given_name,
            patient.date_of_birth.isoformat(),
        ],
        "clinician": [signer.username, signer.display_name, signer.registration_number],
        "service": [
            session.service_start.isoformat(),
            session.service_end.isoformat() if session.service_end else None,
        ],
        "signed_at": signed_at.isoformat(),
        "condition": code(session.condition),
        "technique": [code(session.technique), session.electrical_stimulation],
        "sites": [
            [
                code(s.region),
                code(s.side),
                s.muscle,
                s.needles,
                s.needle_size,
                s.needle_lot,
                s.dwell_minutes,
                code(s.twitch),
                [[p.view.value, round(p.x, 4), round(p.y, 4)] for p in s.trigger_points],
            ]
            for s in session.sites
        ],
        "pain": [session.pain_before, session.pain_after],
        "ledger": [
            session.needles_inserted,
            session.needles_removed,
            session.sharps_disposed,
        ],
        "reactions": [
            code(session.reactions.soreness),
            sorted(r.value for r in session.reactions.others),
            session.reactions.other_text,
        ],
        "adverse_events": [[e.kind.value, e.description] for e in session.adverse_events],
        "aftercare": sorted(a.value for a in session.aftercare),
        "precautions_acknowledged": sorted(p.value for p in session.precautions_acknowledged),
        "notes": session.notes,
    }
    # Added with schema 4; present only when used, so notes signed before keep their fingerprint.
    timers = [
        [i, _moment(s.timer_started), _moment(s.timer_stopped)]
        for i, s in enumerate(session.sites)
        if s.timer_started or s.timer_stopped
    ]
    if timers:
        content["timers"] = timers
    if session.lung_field_caution:
        content["lung_field_caution"] = True
    # Added with schema 6: a site's needles out are listed only where they differ from its needles in, and
    # a dwell's reason only where written. A signed note counts every site out (out = in), and a note signed
    # before schema 6 was given out = in by the upgrade, so its fingerprint still verifies; nothing of the
    # content escapes it, since a site not listed had out = in.
    outs = [[i, s.needles_out] for i, s in enumerate(session.sites) if s.needles_out != (s.needles or 0)]
    if outs:
        content["needles_out"] = outs
    reasons = [[i, s.dwell_reason] for i, s in enumerate(session.sites) if s.dwell_reason]
    if reasons:
        content["dwell_reasons"] = reasons
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def amendment_problems(reason: str, text: str) -> list[FieldProblem]:
    """An amendment says why and what: both are required, neither unbounded."""
    problems = []
    if not reason.strip():
        problems.append(FieldProblem.at(("amendment", "reason"), "Give the reason for the amendment."))
    elif len(reason) > 500:
        problems.append(FieldProblem.at(("amendment", "reason"), "The reason is longer than 500 characters."))
    if not text.strip():
        problems.append(FieldProblem.at(("amendment", "text"), "Write the amendment itself."))
    elif len(text) > TEXT_MAX:
        problems.append(
            FieldProblem.at(("amendment", "text"), f"The amendment is longer than {TEXT_MAX:,} characters.")
        )
    return problems


DISCARD_REASON_MAX = 200  # one short line


def discard_problems(reason: str) -> list[FieldProblem]:
    """A draft is discarded with a reason: one short line, required."""
    if not reason.strip():
        return [FieldProblem.at(("reason",), "Give the reason for discarding this draft.")]
    if len(reason.strip()) > DISCARD_REASON_MAX or "\n" in reason.strip():
        return [FieldProblem.at(("reason",), f"The reason is one line of at most {DISCARD_REASON_MAX} characters.")]
    return []
