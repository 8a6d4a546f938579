"""Value objects of a clinic's chart: plain, immutable Python.

Nothing here knows about Qt or the database. Ids are ``None`` until storage gives one.
Change a value with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from needlelog.domain.course import PainVisit
from needlelog.domain.outcomes import OutcomeMeasure, OutcomeVisit
from needlelog.domain.registers import LateReport
from needlelog.domain.vocab import (
    AdverseEventKind,
    Aftercare,
    BodyRegion,
    Condition,
    ConsentMethod,
    FigureView,
    Precaution,
    Reaction,
    Role,
    SessionStatus,
    Side,
    Soreness,
    Technique,
    TreatmentPlan,
    TwitchResponse,
)

# How long a patient's informed consent holds when the clinic has said nothing else (SPEC §2).
# It lives here, beside the clinic it is a default of; the rules use it through this name.
CONSENT_VALID_MONTHS_DEFAULT = 12


@dataclass(frozen=True, slots=True)
class Clinic:
    name: str
    address: str = ""
    phone: str = ""
    default_dwell_minutes: int = 10
    consent_valid_months: int = CONSENT_VALID_MONTHS_DEFAULT
    id: int | None = None
    # The letterhead's logo, a PNG or JPEG file's bytes (checked by domain.clinic_settings), kept in the chart.
    logo: bytes | None = None


@dataclass(frozen=True, slots=True)
class Clinician:
    display_name: str
    username: str
    credentials: str = ""
    registration_number: str = ""
    authorised_to_needle: bool = True
    id: int | None = None
    # Every account is a Clinician value; a manager or an administrator holds those roles instead.
    roles: frozenset[Role] = frozenset({Role.CLINICIAN})
    active: bool = True


@dataclass(frozen=True, slots=True)
class Screening:
    """The patient's answers to the needling screening questions (SPEC §2)."""

    positive: frozenset[Precaution] = frozenset()
    surgery_region: BodyRegion | None = None


@dataclass(frozen=True, slots=True)
class Consent:
    given_on: date
    method: ConsentMethod
    obtained_by: str
    revoked_on: date | None = None


@dataclass(frozen=True, slots=True)
class Patient:
    chart_number: str
    family_name: str
    given_name: str
    date_of_birth: date
    phone: str = ""
    screening: Screening = Screening()
    treatment_plan: TreatmentPlan | None = None
    consent: Consent | None = None
    id: int | None = None
    version: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def sort_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"


@dataclass(frozen=True, slots=True)
class TriggerPoint:
    """A marker on the body chart, position normalised to 0-1 of the figure's box."""

    view: FigureView
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class NeedlingSite:
    region: BodyRegion | None = None
    side: Side | None = None
    muscle: str = ""
    needles: int | None = None
    needle_size: str = ""
    needle_lot: str = ""
    dwell_minutes: int | None = None
    twitch: TwitchResponse | None = None
    trigger_points: tuple[TriggerPoint, ...] = ()
    # The dwell timer: started when the needles go in, stopped when they come out (UTC).
    timer_started: datetime | None = None
    timer_stopped: datetime | None = None
    # The site's needle ledger (schema 0006): needles counted out of this site; its "in" is ``needles``.
    needles_out: int = 0
    # Why a timed dwell lay outside 5-15 minutes (the timer's minutes are the record; SPEC §3).
    dwell_reason: str = ""

    @property
    def timer_running(self) -> bool:
        return self.timer_started is not None and self.timer_stopped is None

    @property
    def timer_ran(self) -> bool:
        """The site's timer started and stopped: its dwell is what the timer measured."""
        return self.timer_started is not None and self.timer_stopped is not None


@dataclass(frozen=True, slots=True)
class SignedAs:
    """Who a signed note is about and who signed it, as they were at the signature (schema 0009): what the
    note prints and its fingerprint covers, whatever later happens to the patient's or the clinician's row."""

    chart_number: str
    family_name: str
    given_name: str
    date_of_birth: date
    username: str
    display_name: str
    registration_number: str
    credentials: str = ""
    consent: Consent | None = None  # the consent the note was signed under (kept from 2026-11-29 on)
    # Filled by the upgrade to schema 0009 from the rows as they were then, not at the signature itself.
    filled_at_upgrade: bool = False

    @classmethod
    def of(cls, patient: Patient, signer: Clinician) -> SignedAs:
        return cls(
            patient.chart_number,
            patient.family_name,
            patient.given_name,
            patient.date_of_birth,
            signer.username,
            signer.display_name,
            signer.registration_number,
            signer.credentials,
            patient.consent,
        )

    def patient(self, now: Patient) -> Patient:
        """The patient as the note shows them: today's record with the signed names."""
        return replace(
            now,
            chart_number=self.chart_number,
            family_name=self.family_name,
            given_name=self.given_name,
            date_of_birth=self.date_of_birth,
        )

    def signer(self, now: Clinician) -> Clinician:
        return replace(
            now,
            username=self.username,
            display_name=self.display_name,
            registration_number=self.registration_number,
            credentials=self.credentials,
        )


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    kind: AdverseEventKind
    description: str = ""


@dataclass(frozen=True, slots=True)
class Reactions:
    soreness: Soreness | None = None
    others: frozenset[Reaction] = frozenset()
    other_text: str = ""


@dataclass(frozen=True, slots=True)
class TreatmentSession:
    """One dry-needling visit, from draft to signed note."""

    patient_id: int
    clinician_id: int
    service_start: datetime
    service_end: datetime | None = None
    condition: Condition | None = None
    technique: Technique | None = None
    electrical_stimulation: bool = False
    sites: tuple[NeedlingSite, ...] = ()
    pain_before: int | None = None
    pain_after: int | None = None
    sharps_disposed: bool = False
    reactions: Reactions = Reactions()
    adverse_events: tuple[AdverseEvent, ...] = ()
    aftercare: frozenset[Aftercare] = frozenset()
    precautions_acknowledged: frozenset[Precaution] = frozenset()
    notes: str = ""
    # Outcome measures recorded at the visit (schema 0013): the PSFS's activities, licensed instruments' totals.
    outcomes: tuple[OutcomeMeasure, ...] = ()
    # Recorded when saved: a site lay over the lung field, and the caution was shown.
    lung_field_caution: bool = False
    status: SessionStatus = SessionStatus.DRAFT
    id: int | None = None
    version: int = 0
    created_at: datetime | None = None
    signed_at: datetime | None = None
    signed_by_id: int | None = None
    fingerprint: str = ""
    signed_as: SignedAs | None = None  # the patient and the signer as signed (None: a draft, or signed before 0009)
    # A copy of the last session not yet stored: the session it was copied from, for the audit row its first
    # save writes. Not a column: once stored, the audit trail says it.
    copied_from: int | None = None

    @property
    def needles_inserted(self) -> int:
        return sum(site.needles or 0 for site in self.sites)

    @property
    def needles_removed(self) -> int:
        """The session's needles out: the sum of its sites' ledgers."""
        return sum(site.needles_out for site in self.sites)

    @property
    def is_signed(self) -> bool:
        return self.status is SessionStatus.SIGNED

    @property
    def is_discarded(self) -> bool:
        return self.status is SessionStatus.DISCARDED


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One row of a patient's session history, without the sites themselves."""

    id: int
    service_start: datetime
    clinician_name: str
    condition: Condition | None
    site_count: int
    needles: int
    pain_before: int | None
    pain_after: int | None
    status: SessionStatus


@dataclass(frozen=True, slots=True)
class PatientSummary:
    """One row of the patient search."""

    id: int
    chart_number: str
    family_name: str
    given_name: str
    date_of_birth: date
    flags: frozenset[Precaution] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Amendment:
    """A correction appended to a signed note; the original stays as it was."""

    author: str
    written_at: datetime
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class VisitNote:
    """Everything a printed visit note shows, gathered for the reports (which see no database)."""

    clinic: Clinic
    patient: Patient
    clinician: Clinician
    session: TreatmentSession
    signer: Clinician | None = None
    amendments: tuple[Amendment, ...] = ()
    # The patient's signed visits up to this one (oldest first), for the pain course the note draws.
    course: tuple[PainVisit, ...] = ()
    # Adverse events that came to light after the visit (the register's, schema 0012): printed as
    # "reported later", never part of the signed note or its fingerprint.
    later_reports: tuple[LateReport, ...] = ()
    # The outcome scores of the patient's signed visits up to this one (oldest first): the baselines of its changes.
    outcome_course: tuple[OutcomeVisit, ...] = ()
