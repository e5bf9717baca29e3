"""When a resource can be booked: its opening hours (its own, or the telecentre's), the
closures, and for a seat pool the bounds of the morning, afternoon and whole day.

Half-days: the morning runs from the first opening of the day to 13 h (or the closing if
earlier), the afternoon from 13 h (or the opening if later) to the last closing. A day that
closes before 13 h has no afternoon; one that opens after 13 h has no morning.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_UP, Decimal

from django.utils import timezone

from cybercantal.places import hours

from ..models import Closure, DayPart, Resource, ResourceKind

MIDDAY = 13 * 60
HALF = Decimal("0.5")
ONE = Decimal("1")
# An office booked for more than this counts as a whole day toward weekly quotas.
HALF_DAY_MINUTES = 5 * 60


def local(day: dt.date, minutes: int) -> dt.datetime:
    """An aware datetime for ``minutes`` after midnight on ``day`` (Europe/Paris)."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
    return timezone.make_aware(naive)


def open_slots(
    resource: Resource, day: dt.date, *, closures: list[Closure] | None = None
) -> tuple[tuple[int, int], ...]:
    """The open intervals of ``resource`` on ``day``, in minutes; none on a closure day.

    ``closures``: the telecentre's closures, when the caller has them already (grids)."""
    if closures is None:
        closures = list(
            Closure.objects.filter(telecentre_id=resource.telecentre_id, starts_on__lte=day, ends_on__gte=day)
        )
    for closure in closures:
        if closure.starts_on <= day <= closure.ends_on and closure.resource_id in (None, resource.pk):
            return ()
    return hours.day_slots(resource.hours_text(), day)


def closure_on(resource: Resource, day: dt.date) -> Closure | None:
    return (
        Closure.objects.filter(telecentre_id=resource.telecentre_id, starts_on__lte=day, ends_on__gte=day)
        .filter(resource__isnull=True)
        .first()
        or Closure.objects.filter(resource=resource, starts_on__lte=day, ends_on__gte=day).first()
    )


def part_bounds(slots: tuple[tuple[int, int], ...], part: str) -> tuple[int, int] | None:
    """(start, end) in minutes of a half-day or day, from the day's open intervals."""
    if not slots:
        return None
    first, last = slots[0][0], slots[-1][1]
    if part == DayPart.DAY:
        return first, last
    if part == DayPart.MORNING:
        end = min(MIDDAY, last)
        return (first, end) if end > first and first < MIDDAY else None
    if part == DayPart.AFTERNOON:
        start = max(MIDDAY, first)
        return (start, last) if last > start and last > MIDDAY else None
    return None


def pool_period(resource: Resource, day: dt.date, part: str) -> tuple[dt.datetime, dt.datetime] | None:
    """The aware bounds of a seat-pool booking, or None when that part of the day is closed."""
    bounds = part_bounds(open_slots(resource, day), part)
    if bounds is None:
        return None
    return local(day, bounds[0]), local(day, bounds[1])


def parts_of(part: str) -> tuple[str, ...]:
    """The half-days a booking occupies (a day occupies both)."""
    return (DayPart.MORNING, DayPart.AFTERNOON) if part == DayPart.DAY else (part,)


def within_hours(resource: Resource, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    """True when the whole period lies inside one open interval of one day."""
    start = timezone.localtime(starts_at)
    end = timezone.localtime(ends_at)
    if end.date() != start.date() and not (
        end.date() == start.date() + dt.timedelta(days=1) and end.time() == dt.time()
    ):
        return False
    day = start.date()
    begin = start.hour * 60 + start.minute
    finish = (end.hour * 60 + end.minute) or 24 * 60
    return any(opens <= begin and finish <= closes for opens, closes in open_slots(resource, day))


def days_counted(resource: Resource, starts_at: dt.datetime, ends_at: dt.datetime, part: str = "") -> Decimal:
    """What a booking counts toward a weekly quota of days: 0.5 for a half-day, 1 for a day,
    nothing for a meeting room; an office by its length."""
    if resource.kind == ResourceKind.MEETING_ROOM:
        return Decimal("0")
    if resource.kind == ResourceKind.SEAT_POOL:
        return ONE if part == DayPart.DAY else HALF
    minutes = (ends_at - starts_at).total_seconds() / 60
    return HALF if minutes <= HALF_DAY_MINUTES else ONE


def credit_units(resource: Resource, starts_at: dt.datetime, ends_at: dt.datetime, part: str = "") -> Decimal:
    """Credits a booking needs: days (half-days count half) or, for a meeting room, hours
    (rounded up to the tenth)."""
    if resource.kind == ResourceKind.MEETING_ROOM:
        hours_used = Decimal((ends_at - starts_at).total_seconds()) / Decimal(3600)
        return hours_used.quantize(Decimal("0.1"), rounding=ROUND_UP)
    return days_counted(resource, starts_at, ends_at, part)


def week_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the ISO week of ``day``."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)
