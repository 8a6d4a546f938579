"""Dwell timers: how long the needles of a site have been in, and when to warn (SPEC §2, §5).

A timer is two instants stored with the draft's site, so it survives closing the editor and a
restart of the program; everything here is computed from them and a clock the caller passes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from needlelog.domain.model import NeedlingSite
from needlelog.domain.rules import DWELL_MAX, DWELL_MIN
from needlelog.domain.vocab import BodyRegion, Side


class TimerLevel(StrEnum):
    RUNNING = "running"
    WARNING = "warning"  # the planned dwell is reached: time to take the needles out
    ALARM = "alarm"  # 15 minutes: the longest dwell the clinic allows


@dataclass(frozen=True, slots=True)
class RunningTimer:
    """One site's timer, for the main window's dock (across patients and rooms)."""

    session_id: int
    site_index: int
    patient_name: str
    chart_number: str
    site_label: str
    started: datetime
    planned_minutes: int | None

    def elapsed(self, now: datetime) -> timedelta:
        return max(now - self.started, timedelta(0))

    def level(self, now: datetime) -> TimerLevel:
        return timer_level(self.started, self.planned_minutes, now)

    def remaining(self, now: datetime) -> timedelta:
        """Time to the planned dwell (negative once past it); to 15 minutes when none is planned."""
        target = self.planned_minutes or DWELL_MAX
        return timedelta(minutes=target) - self.elapsed(now)


def timer_level(started: datetime, planned_minutes: int | None, now: datetime) -> TimerLevel:
    elapsed = now - started
    if elapsed >= timedelta(minutes=DWELL_MAX):
        return TimerLevel.ALARM
    if planned_minutes is not None and elapsed >= timedelta(minutes=planned_minutes):
        return TimerLevel.WARNING
    return TimerLevel.RUNNING


def dwell_minutes(started: datetime, stopped: datetime) -> int:
    """Whole minutes the needles stayed in, to the nearest minute."""
    seconds = max((stopped - started).total_seconds(), 0.0)
    return int((seconds + 30) // 60)


def timed_dwell(started: datetime, stopped: datetime) -> int | None:
    """The dwell a stopped timer records: its minutes, or None when the needles were in for less than
    5:00 or more than 15:00 (a rounded "5" or "15" must not hide a dwell outside the range)."""
    elapsed = stopped - started
    if not timedelta(minutes=DWELL_MIN) <= elapsed <= timedelta(minutes=DWELL_MAX):
        return None
    return dwell_minutes(started, stopped)


def stop_site_timer(site: NeedlingSite, now: datetime) -> NeedlingSite:
    """What a stopped timer records: the site with its timer stopped at ``now`` and its dwell the minutes
    the timer ran, or no dwell when that is outside 5-15 minutes (the clinician gives it; the timer's two
    instants keep what happened). A site whose timer is not running is returned as it is."""
    if site.timer_started is None or site.timer_stopped is not None:
        return site
    return replace(site, timer_stopped=now, dwell_minutes=timed_dwell(site.timer_started, now))


def untimed_dwell_message(index: int, site: NeedlingSite) -> str | None:
    """Why a stopped timer left the site's dwell empty, in words; None when it recorded the dwell."""
    started, stopped = site.timer_started, site.timer_stopped
    if started is None or stopped is None or timed_dwell(started, stopped) is not None:
        return None
    return (
        f"Site {index + 1}: the needles were in {clock_text(stopped - started)} "
        f"(about {dwell_minutes(started, stopped)} min), outside {DWELL_MIN}–{DWELL_MAX} minutes; "
        "the timer's times are kept — give the dwell time."
    )


def clock_text(delta: timedelta) -> str:
    """ "9:05", or "-0:40" once past."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 60}:{seconds % 60:02d}"


def site_label(index: int, region: BodyRegion | None, side: Side | None, muscle: str) -> str:
    """ "Site 2 · neck, right · upper trapezius", as the dock and the editor name a site."""
    where = ", ".join(term.label.lower() for term in (region, side) if term is not None)
    return " · ".join(part for part in (f"Site {index + 1}", where, muscle) if part)
