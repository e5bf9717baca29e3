"""An employer's invoice says what billing needs (the day, how much of it) and no more: no
times of day, no attendance."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ..models import BookingStatus
from ..services import booking as service
from ..services.billing import describe_booking
from .factories import MembershipFactory, give_credits, next_weekday


def test_employer_lines_have_no_times_and_no_attendance(office, telecentre):
    membership = MembershipFactory(telecentre=telecentre)
    give_credits(membership, "10")
    day = next_weekday(2)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(14, 0)))
    booking = service.booking_create(
        actor=membership.member, resource=office, starts_at=start, ends_at=start + dt.timedelta(hours=2), notify=False
    )
    booking.status = BookingStatus.RELEASED
    for_member = describe_booking(booking)
    for_employer = describe_booking(booking, for_employer=True)
    assert "14 h" in for_member
    assert "absence" in for_member
    assert "14 h" not in for_employer
    assert "absence" not in for_employer
    assert for_employer.endswith("demi-journée")
