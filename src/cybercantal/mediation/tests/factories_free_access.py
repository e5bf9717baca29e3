"""Helpers of the free-access tests: a bookable day and aware datetimes on it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cybercantal.places import hours


def bookable_day(start_in: int = 2, weekday: int | None = None) -> dt.date:
    """The first Monday-to-Friday (or ``weekday``), not a public holiday, from ``start_in``
    days ahead (the ``epn`` fixture opens Mo-Fr 09:00-12:00,14:00-17:30; PH off)."""
    day = timezone.localdate() + dt.timedelta(days=start_in)
    while day.weekday() > 4 or hours.is_public_holiday(day) or (weekday is not None and day.weekday() != weekday):
        day += dt.timedelta(days=1)
    return day


def at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def weekend_day() -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=1)
    while day.weekday() != 6:
        day += dt.timedelta(days=1)
    return day
