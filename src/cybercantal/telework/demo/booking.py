"""Demo data of part "booking" (idempotent): single bookings in the coming two weeks.

In each open telecentre, the members with a current membership book a few half-days or days
in the shared space (never on Tuesdays or Thursdays: the series demo books those for the demo
teleworker), one of them an office for a morning, another the meeting room for two hours.
Everything goes through the booking service, so credits, prices and quotas are real; what a
rule refuses (no credits, quota reached, a full pool) is skipped. A booking is looked up by
member, resource and start before being made: a second run the same day adds nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db.models import Q
from django.utils import timezone

from ..models import (
    Booking,
    BookingStatus,
    DayPart,
    Membership,
    PlanKind,
    Resource,
    ResourceKind,
    Telecentre,
    TelecentreStatus,
)
from ..services import booking as service
from ..services import slots

logger = logging.getLogger(__name__)

# (days from the next Monday, part) for the n-th member of a telecentre: Mondays, Wednesdays,
# Fridays only.
POOL_PATTERNS: list[list[tuple[int, str]]] = [
    [(0, DayPart.DAY), (7, DayPart.DAY)],
    [(2, DayPart.MORNING), (9, DayPart.MORNING)],
    [(4, DayPart.DAY)],
    [(0, DayPart.AFTERNOON), (11, DayPart.DAY)],
    [(2, DayPart.DAY)],
    [(7, DayPart.MORNING), (9, DayPart.AFTERNOON)],
]
MEMBERS_PER_TELECENTRE = 6


def _members(telecentre: Telecentre, today: dt.date) -> list[Any]:
    memberships = (
        Membership.objects.filter(telecentre=telecentre, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        # Not the day-pass members the series demo adds to fill a day: a second run must find
        # the same members as the first.
        .exclude(plan__kind=PlanKind.DAY_PASS)
        .select_related("member")
        .order_by("member__last_name", "member__first_name", "pk")
    )
    seen: dict[int, Any] = {}
    for membership in memberships:
        seen.setdefault(membership.member_id, membership.member)
    return list(seen.values())[:MEMBERS_PER_TELECENTRE]


def _book(member: Any, resource: Resource, **period: Any) -> int:
    if "day" in period:
        bounds = slots.pool_period(resource, period["day"], period["part"])
        if bounds is None:
            return 0
        starts_at = bounds[0]
    else:
        starts_at = period["starts_at"]
    if Booking.objects.filter(member=member, resource=resource, starts_at=starts_at).exists():
        return 0
    try:
        service.booking_create(actor=member, resource=resource, notify=False, **period)
    except service.BookingError as exc:  # no credits, quota, full, closed: the demo skips it
        logger.debug("Réservation de démo ignorée (%s) : %s", resource, exc.messages[0])
        return 0
    return 1


def load() -> dict[str, int]:
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    created = 0
    telecentres = Telecentre.objects.filter(status=TelecentreStatus.OPEN).select_related("place").order_by("pk")
    for telecentre in telecentres:
        resources = list(Resource.objects.filter(telecentre=telecentre, is_active=True).order_by("position", "name"))
        pool = next((r for r in resources if r.kind == ResourceKind.SEAT_POOL), None)
        office = next((r for r in resources if r.kind == ResourceKind.OFFICE), None)
        room = next((r for r in resources if r.kind == ResourceKind.MEETING_ROOM), None)
        members = _members(telecentre, today)
        for index, member in enumerate(members):
            if pool is not None:
                for offset, part in POOL_PATTERNS[index % len(POOL_PATTERNS)]:
                    created += _book(member, pool, day=monday + dt.timedelta(days=offset), part=part)
            if index == 1 and office is not None:
                day = monday + dt.timedelta(days=3)  # Thursday morning, 9 h – 12 h
                created += _book(member, office, starts_at=slots.local(day, 9 * 60), ends_at=slots.local(day, 12 * 60))
            if index == 2 and room is not None:
                day = monday + dt.timedelta(days=8)  # Tuesday, 14 h – 16 h
                created += _book(member, room, starts_at=slots.local(day, 14 * 60), ends_at=slots.local(day, 16 * 60))
    total = Booking.objects.filter(status=BookingStatus.CONFIRMED, starts_at__gte=slots.local(today, 0)).count()
    return {"réservations ponctuelles": created, "réservations à venir": total}
