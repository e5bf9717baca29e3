"""Reads about what is free: overlaps, seat counts, and the nearest free alternatives offered
when a booking is refused. Shared by the booking service, the availability pages and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import Booking, BookingStatus, Closure, DayPart, Resource, ResourceKind
from ..services import slots

# How far the alternatives look ahead.
ALTERNATIVE_DAYS = 14
MAX_ALTERNATIVES = 5


@dataclass(frozen=True)
class Alternative:
    resource: Resource
    starts_at: dt.datetime
    ends_at: dt.datetime
    part: str = ""

    def describe(self) -> str:
        from ..services.booking import describe_period

        return f"{self.resource.name} : {describe_period(self.starts_at, self.ends_at, self.part)}"


def confirmed() -> QuerySet[Booking]:
    return Booking.objects.filter(status=BookingStatus.CONFIRMED)


def overlapping(resource: Resource, starts_at: dt.datetime, ends_at: dt.datetime) -> QuerySet[Booking]:
    """Confirmed bookings of ``resource`` that a new booking over [starts_at, ends_at) would
    collide with, buffers included (same test as the exclusion constraint)."""
    buffer = dt.timedelta(minutes=resource.buffer_minutes)
    return confirmed().filter(resource=resource, starts_at__lt=ends_at + buffer, blocked_until__gt=starts_at)


def seats_taken(resource: Resource, starts_at: dt.datetime, ends_at: dt.datetime) -> int:
    """Seats of a pool taken during [starts_at, ends_at): a day booking takes a seat in both
    half-days, so the count is the maximum over the half-days covered."""
    taken = list(
        confirmed()
        .filter(resource=resource, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .values_list("starts_at", "ends_at")
    )
    if not taken:
        return 0
    # Count at each instant where a booking starts inside the period (the peak is at one).
    instants = {starts_at} | {s for s, _e in taken if starts_at <= s < ends_at}
    return max(sum(1 for s, e in taken if s <= instant < e) for instant in instants)


def is_free(resource: Resource, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    if resource.kind == ResourceKind.SEAT_POOL:
        return seats_taken(resource, starts_at, ends_at) < resource.capacity
    return not overlapping(resource, starts_at, ends_at).exists()


def nearest_free(
    resource: Resource, starts_at: dt.datetime, ends_at: dt.datetime, *, part: str = "", limit: int = MAX_ALTERNATIVES
) -> list[Alternative]:
    """Free alternatives, nearest first: the same period in another resource of the same kind
    in the telecentre, then the same resource (and the others) on the following days at the
    same time; for a pool day, also the free half-day of the same day."""
    now = timezone.now()
    candidates: list[Alternative] = []
    siblings = list(
        Resource.objects.filter(telecentre_id=resource.telecentre_id, kind=resource.kind, is_active=True)
        .exclude(pk=resource.pk)
        .select_related("telecentre__place")
        .order_by("position", "name")
    )
    duration = ends_at - starts_at
    day0 = timezone.localtime(starts_at).date()
    closures = list(Closure.objects.filter(telecentre_id=resource.telecentre_id, ends_on__gte=day0))

    def consider(res: Resource, day: dt.date, part_: str) -> None:
        if len(candidates) >= limit:
            return
        day_slots = slots.open_slots(res, day, closures=closures)
        if res.kind == ResourceKind.SEAT_POOL:
            bounds = slots.part_bounds(day_slots, part_ or DayPart.DAY)
            if bounds is None:
                return
            start, end = slots.local(day, bounds[0]), slots.local(day, bounds[1])
        else:
            local_start = timezone.localtime(starts_at)
            start = timezone.make_aware(dt.datetime.combine(day, local_start.time().replace(tzinfo=None)))
            end = start + duration
            if not slots.within_hours(res, start, end):
                return
        if start <= now:
            return
        if is_free(res, start, end):
            candidates.append(Alternative(res, start, end, part_ if res.kind == ResourceKind.SEAT_POOL else ""))

    for sibling in siblings:
        consider(sibling, day0, part)
    if resource.kind == ResourceKind.SEAT_POOL and part == DayPart.DAY:
        for half in (DayPart.MORNING, DayPart.AFTERNOON):
            consider(resource, day0, half)
    for offset in range(1, ALTERNATIVE_DAYS + 1):
        if len(candidates) >= limit:
            break
        day = day0 + dt.timedelta(days=offset)
        consider(resource, day, part)
    return candidates[:limit]


def member_overlaps(
    member_id: int, resource: Resource, starts_at: dt.datetime, ends_at: dt.datetime
) -> QuerySet[Booking]:
    """The member's own confirmed bookings at the same time in the same telecentre (one person,
    one seat: a second seat or office at the same time is refused; a meeting room is allowed)."""
    same_time = confirmed().filter(member_id=member_id, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if resource.kind == ResourceKind.MEETING_ROOM:
        return same_time.filter(resource=resource)
    return same_time.filter(
        Q(resource__telecentre_id=resource.telecentre_id) & ~Q(resource__kind=ResourceKind.MEETING_ROOM)
    )
