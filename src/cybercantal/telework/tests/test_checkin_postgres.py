"""On PostgreSQL, with real parallel connections: the no-show job running several times at once
releases each booking once (one email, one journal entry, one promotion from the waiting list),
and an arrival racing the release ends one way or the other, never both."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from cybercantal.core.db import is_postgres
from cybercantal.core.models import JournalEntry
from cybercantal.core.testing import run_in_parallel

from ..models import Booking, BookingStatus, DayPart, ResourceKind, WaitlistEntry
from ..services import booking as booking_service
from ..services import checkin as service
from ..services.waitlist import waitlist_join
from .factories import MembershipFactory, ResourceFactory, TelecentreFactory, UserFactory, give_credits, next_weekday
from .factories_checkin import at, make_booking

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _member(telecentre):
    membership = MembershipFactory(telecentre=telecentre)
    give_credits(membership, "10")
    return membership.member


def test_the_job_running_four_times_at_once_releases_each_booking_once():
    assert is_postgres()
    telecentre = TelecentreFactory()
    pool = ResourceFactory(telecentre=telecentre, kind=ResourceKind.SEAT_POOL, capacity=30)
    offices = [ResourceFactory(telecentre=telecentre, kind=ResourceKind.OFFICE, name=f"Bureau {i}") for i in range(5)]
    day = next_weekday(2)
    start = at(day, 8)
    bookings = [make_booking(resource=pool, member=UserFactory(), starts_at=start) for _ in range(20)]
    bookings += [make_booking(resource=office, member=UserFactory(), starts_at=start) for office in offices]
    now = start + dt.timedelta(minutes=90)
    mail.outbox.clear()

    results = run_in_parallel(lambda _: service.bookings_release_no_shows(now=now), range(4), timeout=120)

    assert sum(results) == 25
    assert Booking.objects.filter(status=BookingStatus.RELEASED).count() == 25
    assert JournalEntry.objects.filter(action="telework.booking.released").count() == 25
    assert len(mail.outbox) == 25
    assert len({tuple(m.to) for m in mail.outbox}) == 25
    assert len(bookings) == 25


def test_parallel_releases_promote_the_waiting_person_once(monkeypatch):
    telecentre = TelecentreFactory()
    pool = ResourceFactory(telecentre=telecentre, kind=ResourceKind.SEAT_POOL, capacity=1)
    absent, waiting = _member(telecentre), _member(telecentre)
    day = next_weekday(3)
    booking = booking_service.booking_create(actor=absent, resource=pool, day=day, part=DayPart.DAY, notify=False)
    entry = waitlist_join(actor=waiting, resource=pool, day=day, part=DayPart.DAY)
    now = booking.starts_at + dt.timedelta(minutes=61)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)

    results = run_in_parallel(lambda _: service.bookings_release_no_shows(now=now), range(4), timeout=120)

    assert sum(results) == 1
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.PROMOTED
    confirmed = Booking.objects.filter(resource=pool, status=BookingStatus.CONFIRMED)
    assert list(confirmed.values_list("member_id", flat=True)) == [waiting.pk]


def test_arrival_racing_the_release_ends_one_way():
    telecentre = TelecentreFactory()
    pool = ResourceFactory(telecentre=telecentre)
    start = at(next_weekday(4), 8)
    members = [UserFactory() for _ in range(10)]
    bookings = [make_booking(resource=pool, member=member, starts_at=start) for member in members]
    now = start + dt.timedelta(minutes=61)

    def act(index):
        if index == 0:
            return ("release", service.bookings_release_no_shows(now=now))
        booking = bookings[index - 1]
        try:
            service.booking_check_in(actor=booking.member, booking=booking, via="poster", now=now)
        except service.CheckinError as exc:
            return ("refused", exc.code)
        return ("in", booking.pk)

    results = run_in_parallel(act, range(len(bookings) + 1), timeout=120)
    released = dict(results)["release"]
    arrived = [r for r in results if r[0] == "in"]
    refused = [r for r in results if r[0] == "refused"]
    assert all(code == "released" for _kind, code in refused)
    assert len(arrived) + len(refused) == 10
    assert released == len(refused)
    for booking in bookings:
        booking.refresh_from_db()
        assert (booking.status == BookingStatus.RELEASED) != (booking.checked_in_at is not None)
