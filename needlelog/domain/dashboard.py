"""What the manager's dashboard shows: rates with 95 % Wilson intervals beside the published rates.

A rate is a count of signed visits out of the signed visits of a clinician and month; its interval
is Wilson's score interval (Wilson 1927, J Am Stat Assoc 22:209), which stays inside 0-100 % and
is sound for the small counts and rare events a clinic has (Brown, Cai & DasGupta 2001, Stat Sci
16:101). The published rates are those of docs/CLINICAL.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from needlelog.domain.model import Clinic
from needlelog.domain.vocab import TwitchResponse

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


def wilson(events: int, visits: int, z: float = Z95) -> tuple[float, float]:
    """The 95 % Wilson score interval of ``events`` out of ``visits``, as proportions (0, 0 with no visits)."""
    if visits <= 0:
        return 0.0, 0.0
    p = events / visits
    z2 = z * z
    centre = p + z2 / (2 * visits)
    spread = z * math.sqrt(p * (1 - p) / visits + z2 / (4 * visits * visits))
    scale = 1 + z2 / visits
    low, high = (centre - spread) / scale, (centre + spread) / scale
    return max(0.0, low), min(1.0, high)


@dataclass(frozen=True, slots=True)
class Rate:
    """``events`` out of ``visits``, its proportion and its 95 % Wilson interval."""

    events: int
    visits: int

    @property
    def proportion(self) -> float:
        return self.events / self.visits if self.visits else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.events, self.visits)

    def percent(self, digits: int = 1) -> str:
        """ "19.2 % (16.1–22.7)": the rate and its interval, in percent, as the dashboard and the report print it."""
        if not self.visits:
            return "–"
        low, high = self.interval
        return f"{100 * self.proportion:.{digits}f} % ({100 * low:.{digits}f}–{100 * high:.{digits}f})"


@dataclass(frozen=True, slots=True)
class PublishedRate:
    source: str
    what: str
    proportion: float
    note: str = ""


BRADY_2014 = "Brady et al. 2014, J Man Manip Ther 22:134 (7,629 treatments)"
BOYCE_2020 = "Boyce et al. 2020, Int J Sports Phys Ther 15:103 (20,464 sessions)"

# What each measured rate is held against (docs/CLINICAL.md).
PUBLISHED: dict[str, tuple[PublishedRate, ...]] = {
    "mild": (
        PublishedRate(BRADY_2014, "mild adverse events", 0.1918),
        PublishedRate(BOYCE_2020, "minor adverse events", 0.367),
    ),
    "bruising": (PublishedRate(BRADY_2014, "bruising", 0.0755),),
    "bleeding": (PublishedRate(BRADY_2014, "bleeding", 0.0465),),
    "adverse": (
        PublishedRate(BRADY_2014, "significant adverse events", 0.0004, "none seen; upper bound of the rate"),
        PublishedRate(BOYCE_2020, "major adverse events", 20 / 20464, "20 events, about 1 in 1,024"),
    ),
}

MEASURES = (
    ("mild", "Mild reactions"),
    ("bruising", "Bruising"),
    ("bleeding", "Bleeding"),
    ("adverse", "Adverse events"),
)


@dataclass(frozen=True, slots=True)
class ClinicianMonth:
    """One clinician's signed visits in one month (clinic time) and what they recorded."""

    clinician: str
    month: str  # "2026-03"
    visits: int
    needles: int
    mild: int  # visits with any post-session reaction recorded (soreness aside)
    bruising: int
    bleeding: int
    adverse: int  # visits with an adverse event, on the note or reported later

    def rate(self, measure: str) -> Rate:
        return Rate(int(getattr(self, measure)), self.visits)


@dataclass(frozen=True, slots=True)
class UnsignedDraft:
    """A draft not yet signed, with how old it is in clinic days (1 = today)."""

    session_id: int
    service_start: datetime
    chart_number: str
    patient_name: str
    clinician: str
    clinician_id: int
    age_days: int

    @property
    def age_group(self) -> str:
        return draft_age_group(self.age_days)


DRAFT_AGE_GROUPS = ("today", "2–7 days", "older")


def draft_age_group(age_days: int) -> str:
    """ "today" (day 1), "2–7 days" (yesterday to six days ago), "older"."""
    if age_days <= 1:
        return DRAFT_AGE_GROUPS[0]
    return DRAFT_AGE_GROUPS[1] if age_days <= 7 else DRAFT_AGE_GROUPS[2]


@dataclass(frozen=True, slots=True)
class TwitchCount:
    clinician: str
    twitch: TwitchResponse | None  # None: not recorded
    sites: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The clinic's oversight for a date range: per clinician and month, drafts by age, the twitch mix."""

    first: date
    last: date
    clinician: str | None
    months: tuple[ClinicianMonth, ...]
    drafts: tuple[UnsignedDraft, ...]
    twitches: tuple[TwitchCount, ...]
    made_at: datetime | None = None
    clinic_name: str = ""
    clinic: Clinic | None = None  # for the letterhead of the report

    def total(self) -> ClinicianMonth:
        """Every clinician and month of the range together."""
        return ClinicianMonth(
            "All clinicians",
            "all",
            sum(m.visits for m in self.months),
            sum(m.needles for m in self.months),
            sum(m.mild for m in self.months),
            sum(m.bruising for m in self.months),
            sum(m.bleeding for m in self.months),
            sum(m.adverse for m in self.months),
        )

    def by_clinician(self) -> list[ClinicianMonth]:
        """Each clinician's months added up, in name order."""
        found: dict[str, list[ClinicianMonth]] = {}
        for m in self.months:
            found.setdefault(m.clinician, []).append(m)
        return [
            ClinicianMonth(
                name,
                "all",
                sum(m.visits for m in rows),
                sum(m.needles for m in rows),
                sum(m.mild for m in rows),
                sum(m.bruising for m in rows),
                sum(m.bleeding for m in rows),
                sum(m.adverse for m in rows),
            )
            for name, rows in sorted(found.items())
        ]

    def drafts_by_age(self) -> dict[str, int]:
        counts = dict.fromkeys(DRAFT_AGE_GROUPS, 0)
        for draft in self.drafts:
            counts[draft.age_group] += 1
        return counts

    def twitch_mix(self) -> dict[str, dict[TwitchResponse | None, int]]:
        """Per clinician, the sites by twitch response (None: not recorded)."""
        mix: dict[str, dict[TwitchResponse | None, int]] = {}
        for count in self.twitches:
            mix.setdefault(count.clinician, {})[count.twitch] = count.sites
        return mix
