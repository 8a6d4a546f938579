"""Which backup copies to keep: 12 daily, 10 weekly, 9 monthly (SPEC §7), and when a copy is due.

A pure rule on the moments the copies were taken, so it is tested on a made-up calendar. Each tier keeps
the newest copy of each of its most recent periods that hold a copy (the days, ISO weeks and months in
the clinic's time zone): a PC that was off for a fortnight still keeps twelve daily copies, from the
days it ran. The tiers overlap (today's copy is also this week's and this month's), so at most
12 + 10 + 9 = 31 copies are kept, and the newest copy is always among them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, tzinfo

KEEP_DAILY = 12
KEEP_WEEKLY = 10
KEEP_MONTHLY = 9
# A copy is tried at least this often (a chart unchanged since its newest copy is still skipped).
DAILY = timedelta(hours=24)

Period = Callable[[datetime], tuple[int, ...]]


def _day(moment: datetime) -> tuple[int, ...]:
    return (moment.year, moment.month, moment.day)


def _week(moment: datetime) -> tuple[int, ...]:
    year, week, _ = moment.isocalendar()
    return (year, week)


def _month(moment: datetime) -> tuple[int, ...]:
    return (moment.year, moment.month)


TIERS: tuple[tuple[Period, int], ...] = ((_day, KEEP_DAILY), (_week, KEEP_WEEKLY), (_month, KEEP_MONTHLY))


def copies_to_keep(taken: Iterable[datetime], zone: tzinfo | None = None) -> set[datetime]:
    """The moments (from ``taken``, timezone-aware) whose copies are kept; the others may be removed.

    ``zone`` is the clinic's time zone that draws the days, weeks and months (the PC's own by default)."""
    newest_first = sorted(set(taken), reverse=True)
    keep: set[datetime] = set()
    for period, count in TIERS:
        seen: set[tuple[int, ...]] = set()
        for moment in newest_first:
            key = period(moment.astimezone(zone))
            if key in seen:
                continue
            seen.add(key)
            keep.add(moment)  # the newest copy of this period
            if len(seen) == count:
                break
    return keep


def copies_to_remove(taken: Iterable[datetime], zone: tzinfo | None = None) -> list[datetime]:
    """The moments whose copies the thinning removes, oldest first."""
    moments = set(taken)
    return sorted(moments - copies_to_keep(moments, zone))


def daily_copy_due(newest: datetime | None, now: datetime) -> bool:
    """Whether a copy is due because the newest one is a day old (or there is none)."""
    return newest is None or now - newest >= DAILY
