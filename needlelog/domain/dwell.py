"""A site's dwell: the minutes a timer measured, what it records, and when a typed dwell disagrees with it."""

from __future__ import annotations

from datetime import datetime, timedelta

from needlelog.domain.limits import DWELL_MAX, DWELL_MIN
from needlelog.domain.model import NeedlingSite


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
