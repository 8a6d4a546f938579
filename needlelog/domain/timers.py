"""Dwell timers: how long the needles of a site have been in, and when to warn (SPEC §2, §5).

A timer is two instants stored with the draft's site, so it survives closing the editor and a
restart of the program; everything here is computed from them and a clock the caller passes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from needlelog.domain.dwell import (  # the dwell arithmetic of the rules; named here for the timers' callers
    clock_text,
    dwell_minutes,
    recorded_dwell,
    timed_dwell,
    timed_outside_range,
    typed_dwell_disagrees,
)
from needlelog.domain.limits import DWELL_MAX, DWELL_MIN
from needlelog.domain.model import NeedlingSite
from needlelog.domain.vocab import BodyRegion, Side

__all__ = [
    "DWELL_MAX",
    "DWELL_MIN",
    "RunningTimer",
    "TimerLevel",
    "clock_text",
    "dwell_clock",
    "dwell_minutes",
    "recorded_dwell",
    "resume_site_timer",
    "site_label",
    "stop_site_timer",
    "timed_dwell",
    "timed_outside_range",
    "timer_level",
    "typed_dwell_disagrees",
    "untimed_dwell_message",
]


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
        return time_to_dwell(self.started, self.planned_minutes, now)


def time_to_dwell(started: datetime, planned_minutes: int | None, now: datetime) -> timedelta:
    """Time left to the planned dwell (negative once past it); to 15 minutes when none is planned."""
    target = planned_minutes or DWELL_MAX
    return timedelta(minutes=target) - max(now - started, timedelta(0))


def dwell_clock(started: datetime, planned_minutes: int | None, now: datetime) -> str:
    """How every running timer reads, in the editor and in the dock alike: the time left to the planned dwell
    counting down ("4:59"), then the time past it counting up ("+0:12")."""
    left = time_to_dwell(started, planned_minutes, now)
    return clock_text(left) if left > timedelta(0) else f"+{clock_text(-left)}"


def timer_level(started: datetime, planned_minutes: int | None, now: datetime) -> TimerLevel:
    elapsed = now - started
    if elapsed >= timedelta(minutes=DWELL_MAX):
        return TimerLevel.ALARM
    if planned_minutes is not None and elapsed >= timedelta(minutes=planned_minutes):
        return TimerLevel.WARNING
    return TimerLevel.RUNNING


def stop_site_timer(site: NeedlingSite, now: datetime) -> NeedlingSite:
    """What a stopped timer records: the site with its timer stopped at ``now``, its needles counted out
    (out = in, in the same action: SPEC §5), and its dwell the minutes the timer ran, or no typed dwell when
    that is outside 5-15 minutes (the timer's two instants are then the record, and signing asks why).
    A site whose timer is not running is returned as it is."""
    if site.timer_started is None or site.timer_stopped is not None:
        return site
    return replace(
        site,
        timer_stopped=now,
        dwell_minutes=timed_dwell(site.timer_started, now),
        needles_out=max(site.needles_out, site.needles or 0),
    )


def resume_site_timer(stopped: NeedlingSite, before: NeedlingSite | None = None) -> NeedlingSite:
    """Undo an accidental stop: the timer runs on from its original start and the needles are back in.

    ``before`` is the site as it was just before the stop, when the caller kept it: its planned dwell and
    its needles out come back too. Without it the needles out go back to none (a running timer means the
    site's needles are in) and the dwell stays as the stop left it. A site whose timer is not stopped is
    returned as it is."""
    if stopped.timer_started is None or stopped.timer_stopped is None:
        return stopped
    if before is not None and before.timer_started == stopped.timer_started and before.timer_stopped is None:
        return replace(
            stopped,
            timer_stopped=None,
            dwell_minutes=before.dwell_minutes,
            needles_out=before.needles_out,
            dwell_reason=before.dwell_reason,
        )
    return replace(stopped, timer_stopped=None, needles_out=0)


def untimed_dwell_message(index: int, site: NeedlingSite) -> str | None:
    """Why a stopped timer left the site's typed dwell empty, in words; None when it recorded the dwell."""
    started, stopped = site.timer_started, site.timer_stopped
    if started is None or stopped is None or timed_dwell(started, stopped) is not None:
        return None
    return (
        f"Site {index + 1}: the needles were in {clock_text(stopped - started)} "
        f"(about {dwell_minutes(started, stopped)} min), outside {DWELL_MIN}–{DWELL_MAX} minutes; "
        "the timer's time is the record — write the reason, or undo the stop if it was a slip."
    )


def site_label(index: int, region: BodyRegion | None, side: Side | None, muscle: str) -> str:
    """ "Site 2 · neck, right · upper trapezius", as the dock and the editor name a site."""
    where = ", ".join(term.label.lower() for term in (region, side) if term is not None)
    return " · ".join(part for part in (f"Site {index + 1}", where, muscle) if part)
