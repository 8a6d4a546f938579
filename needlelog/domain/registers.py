"""What the manager's registers list: recall hits, adverse events with their follow-ups, audit lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from needlelog.domain.access import AuditEntry
from needlelog.domain.vocab import AdverseEventKind


class Severity(StrEnum):
    """A case's severity as the review grades it: Boyce et al. 2020's two grades (after Carlesso et al. 2010,
    as Brady et al. 2014 use them), so the register is counted as the published rates are (docs/CLINICAL.md)."""

    MINOR = "minor"  # short-term, mild, no change in function, resolves without further treatment
    MAJOR = "major"  # medium to long-term, moderate to severe, normally needs further treatment

    @property
    def label(self) -> str:
        return "Minor" if self is Severity.MINOR else "Major"


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True, slots=True)
class LateReport:
    """An adverse event that came to light after the visit (a delayed pneumothorax), recorded against it;
    never part of the signed note or its fingerprint, printed on the note as "reported later"."""

    kind: AdverseEventKind
    description: str
    noticed_on: date | None
    reported_at: datetime
    reported_by: str


@dataclass(frozen=True, slots=True)
class RecallHit:
    """One visit that used a recalled lot."""

    session_id: int
    service_start: datetime
    chart_number: str
    patient_name: str
    clinician: str
    site_number: int
    needles: int | None
    phone: str = ""


@dataclass(frozen=True, slots=True)
class FollowUp:
    author: str
    written_at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """A visit with an adverse event, as the adverse-event register lists it."""

    session_id: int
    service_start: datetime
    chart_number: str
    patient_name: str
    clinician: str
    kinds: tuple[AdverseEventKind, ...]
    description: str
    signed: bool
    follow_ups: tuple[FollowUp, ...]
    late_reports: tuple[LateReport, ...] = ()
    severity: Severity | None = None  # not yet graded
    status: CaseStatus = CaseStatus.OPEN
    closed_by: str = ""
    closed_at: datetime | None = None

    def all_kinds(self) -> tuple[AdverseEventKind, ...]:
        """The note's events and those reported later, each once."""
        return tuple(dict.fromkeys(self.kinds + tuple(r.kind for r in self.late_reports)))


@dataclass(frozen=True, slots=True)
class AuditLine:
    """An audit row as the manager's view shows it: with the patient's chart number, not their name."""

    entry: AuditEntry
    chart_number: str
