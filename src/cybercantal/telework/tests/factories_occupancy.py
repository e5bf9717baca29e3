"""Hand-built data for the occupancy tests: bookings written as rows (past days, exact
statuses and check-ins), without the booking service's rules on dates and credits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from ..models import Booking, BookingStatus, Closure, DayPart, MemberProfile, Resource, ResourceKind
from .factories import UserFactory


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An aware datetime, local time (Europe/Paris), DST days included."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def book(
    resource: Resource,
    member,
    day: dt.date,
    start: int,
    end: int,
    *,
    status: str = BookingStatus.CONFIRMED,
    checked_in: bool = False,
    part: str = "",
    agreement=None,
) -> Booking:
    """A booking of ``resource`` on ``day`` from ``start`` h to ``end`` h (local time)."""
    starts_at, ends_at = at(day, start), at(day, end) if end < 24 else at(day + dt.timedelta(days=1), 0)
    if not part and resource.kind == ResourceKind.SEAT_POOL:
        part = {(8, 13): DayPart.MORNING, (13, 19): DayPart.AFTERNOON}.get((start, end), DayPart.DAY)
    return Booking.objects.create(
        resource=resource,
        member=member,
        agreement=agreement,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_until=ends_at,
        part=part,
        exclusive=resource.kind != ResourceKind.SEAT_POOL,
        status=status,
        checked_in_at=starts_at + dt.timedelta(minutes=5) if checked_in else None,
        released_at=starts_at + dt.timedelta(hours=1) if status == BookingStatus.RELEASED else None,
        cancelled_at=starts_at - dt.timedelta(days=1) if status == BookingStatus.CANCELLED else None,
        days_counted=Decimal("1"),
    )


def commuter(km: str | None = None, mode: str = "", **kwargs):
    """A person with a declared usual commute (one way)."""
    user = UserFactory(**kwargs)
    MemberProfile.objects.create(user=user, commute_km=Decimal(km) if km is not None else None, commute_mode=mode)
    return user


def close(telecentre, day: dt.date, *, resource: Resource | None = None, days: int = 1) -> Closure:
    return Closure.objects.create(
        telecentre=telecentre,
        resource=resource,
        starts_on=day,
        ends_on=day + dt.timedelta(days=days - 1),
        reason="Fermeture exceptionnelle",
    )
