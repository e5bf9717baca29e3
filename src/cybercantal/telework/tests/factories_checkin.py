"""Helpers of the checkin tests: bookings at any moment, past or present."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ..models import Booking, Resource


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def make_booking(
    *,
    resource: Resource,
    member: Any,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    part: str = "",
    created_at: dt.datetime | None = None,
    **fields: Any,
) -> Booking:
    """A booking row written directly (no credits, no rules): for arrivals, releases and the feed,
    whatever the moment. Made two days before its start unless ``created_at`` says otherwise."""
    ends_at = ends_at or starts_at + dt.timedelta(hours=3)
    booking = Booking.objects.create(
        resource=resource,
        member=member,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_until=ends_at + dt.timedelta(minutes=resource.buffer_minutes),
        part=part,
        exclusive=resource.is_exclusive,
        **fields,
    )
    created = created_at or starts_at - dt.timedelta(days=2)
    Booking.objects.filter(pk=booking.pk).update(created_at=created)
    booking.refresh_from_db()
    return booking


def booking_under_way(resource: Resource, member: Any, *, minutes_ago: int = 10, hours: int = 3) -> Booking:
    """A booking that started ``minutes_ago`` minutes ago (negative: starts later)."""
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=minutes_ago)
    return make_booking(resource=resource, member=member, starts_at=start, ends_at=start + dt.timedelta(hours=hours))
