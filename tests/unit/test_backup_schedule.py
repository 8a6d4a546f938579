"""The thinning rule of backup copies (12 daily, 10 weekly, 9 monthly) on a made-up calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from needlelog.domain.backup_schedule import (
    KEEP_DAILY,
    KEEP_MONTHLY,
    KEEP_WEEKLY,
    copies_to_keep,
    copies_to_remove,
    daily_copy_due,
)

START = datetime(2024, 1, 1, 18, 0, tzinfo=UTC)  # a Monday


def hourly_for(days: int) -> list[datetime]:
    """A copy every hour of the working day (8 to 18) for ``days`` days, as a busy clinic makes them."""
    first = START.replace(hour=8)
    return [first + timedelta(days=d, hours=h) for d in range(days) for h in range(11)]


def test_a_year_of_copies_thins_to_twelve_days_ten_weeks_nine_months() -> None:
    taken = hourly_for(366)  # 2024-01-01 .. 2024-12-31
    kept = copies_to_keep(taken, UTC)
    newest = max(taken)
    assert newest in kept
    days = {k.date() for k in kept}
    # the last copy of each of the last 12 days
    last_days = {newest.date() - timedelta(days=n) for n in range(KEEP_DAILY)}
    assert last_days <= days
    assert all(k.hour == 18 for k in kept)  # always the day's last copy
    weeks = {k.isocalendar()[:2] for k in kept}
    assert len(weeks) >= KEEP_WEEKLY
    months = {(k.year, k.month) for k in kept}
    assert months == {(2024, m) for m in range(4, 13)}  # nine months: April to December
    assert len(kept) <= KEEP_DAILY + KEEP_WEEKLY + KEEP_MONTHLY
    # the month's copy is the month's last one
    assert datetime(2024, 4, 30, 18, tzinfo=UTC) in kept
    assert datetime(2024, 3, 31, 18, tzinfo=UTC) not in kept


def test_the_weekly_copies_are_each_weeks_last() -> None:
    taken = hourly_for(120)
    kept = copies_to_keep(taken, UTC)
    sundays = sorted(k for k in kept if k.weekday() == 6)
    newest = max(taken)
    # ten weeks: this (unfinished) week's newest copy and nine Sundays before it
    weeks = sorted({k.isocalendar()[:2] for k in kept if newest - k < timedelta(weeks=10)})
    assert len(weeks) == KEEP_WEEKLY
    assert len(sundays) >= KEEP_WEEKLY - 1


def test_a_pc_switched_off_for_weeks_keeps_twelve_days_that_hold_copies() -> None:
    before = hourly_for(5)
    after = [t + timedelta(days=40) for t in hourly_for(10)]
    kept = copies_to_keep(before + after, UTC)
    assert len({k.date() for k in kept if k in before}) == 2  # the 10 new days and 2 of the old
    assert max(before) in kept


def test_few_copies_are_all_kept_and_nothing_is_removed() -> None:
    taken = [START + timedelta(days=d) for d in range(5)]
    assert copies_to_keep(taken, UTC) == set(taken)
    assert copies_to_remove(taken, UTC) == []
    assert copies_to_keep([], UTC) == set()


def test_days_are_the_clinics_days() -> None:
    """Two copies 30 minutes apart either side of midnight in Edmonton are two clinic days."""
    from zoneinfo import ZoneInfo

    edmonton = ZoneInfo("America/Edmonton")
    late = datetime(2024, 6, 4, 23, 50, tzinfo=edmonton)
    early = datetime(2024, 6, 5, 0, 20, tzinfo=edmonton)
    same_utc_day = [late.astimezone(UTC), early.astimezone(UTC)]
    assert same_utc_day[0].date() == same_utc_day[1].date()
    assert copies_to_keep(same_utc_day, edmonton) == set(same_utc_day)
    assert copies_to_keep(same_utc_day, UTC) == {same_utc_day[1]}


def test_removal_lists_the_rest_oldest_first() -> None:
    taken = hourly_for(40)
    removed = copies_to_remove(taken, UTC)
    assert removed == sorted(removed)
    assert set(removed) | copies_to_keep(taken, UTC) == set(taken)
    assert not set(removed) & copies_to_keep(taken, UTC)


@given(st.lists(st.integers(min_value=0, max_value=3 * 365 * 24), min_size=1, max_size=200))
def test_the_newest_is_kept_and_never_more_than_thirty_one(hours: list[int]) -> None:
    taken = [START + timedelta(hours=h) for h in hours]
    kept = copies_to_keep(taken, UTC)
    assert max(taken) in kept
    assert len(kept) <= KEEP_DAILY + KEEP_WEEKLY + KEEP_MONTHLY
    # thinning again what was kept removes nothing more: the rule is stable from one run to the next
    assert copies_to_keep(kept, UTC) == kept


def test_a_daily_copy_is_due_after_24_hours_or_when_there_is_none() -> None:
    assert daily_copy_due(None, START)
    assert not daily_copy_due(START, START + timedelta(hours=23, minutes=59))
    assert daily_copy_due(START, START + timedelta(hours=24))
