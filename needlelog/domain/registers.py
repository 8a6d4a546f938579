"""What the manager's registers list: recall hits, adverse events with their follow-ups, audit lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from needlelog.domain.access import AuditEntry
from needlelog.domain.vocab import AdverseEventKind


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


@dataclass(frozen=True, slots=True)
class AuditLine:
    """An audit row as the manager's view shows it: with the patient's chart number, not their name."""

    entry: AuditEntry
    chart_number: str
