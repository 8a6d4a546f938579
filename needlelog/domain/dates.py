"""Calendar arithmetic the rules share: the clinic's day of an instant, an age, months added to a day."""

from __future__ import annotations

import calendar
from datetime import date, datetime


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
