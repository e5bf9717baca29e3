"""The waiting list of a full pool: joining (position in line), first come first served,
someone whose quota or credits refuse is skipped (their entry expires), ended entries expire,
and two cancellations at once give each seat once (PostgreSQL, real connections)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cybercantal.core.testing import run_in_parallel

from ..models import Booking, BookingStatus, DayPart, WaitlistEntry
from ..queries import series as queries
from ..services import booking as booking_service
from ..services import series as service
from ..services.waitlist import promote_waiting, waitlist_join, waitlist_leave
from .factories import MembershipFactory, PlanFactory, ResourceFactory, give_credits
from .factories_series import carnet_member, employee_of, monday_in


@pytest.fixture
def full_day(pool, telecentre):
    """A pool of one seat, taken on next week's Tuesday."""
    pool.capacity = 1
    pool.save()
    day = monday_in(1) + dt.timedelta(days=1)
    holder = carnet_member(telecentre)
    booking = booking_service.booking_create(actor=holder, resource=pool, day=day, part=DayPart.DAY)
    return day, holder, booking


def statuses(*entries):
    for entry in entries:
        entry.refresh_from_db()
    return [entry.status for entry in entries]


@pytest.mark.django_db
def test_first_come_first_served_and_positions(pool, telecentre, full_day):
    day, holder, booking = full_day
    first = carnet_member(telecentre)
    second = carnet_member(telecentre)
    a = service.waitlist_request(actor=first, resource=pool, day=day, part=DayPart.DAY)
    b = service.waitlist_request(actor=second, resource=pool, day=day, part=DayPart.MORNING)
    assert (service.waitlist_position(a), service.waitlist_position(b)) == (1, 2)
    assert service.position_text(2) == "Vous êtes 2e sur la liste d'attente"
    assert service.position_text(1) == "Vous êtes en tête de la liste d'attente"
    # Joining twice is the same entry.
    assert service.waitlist_request(actor=first, resource=pool, day=day, part=DayPart.DAY).pk == a.pk

    booking_service.booking_cancel(actor=holder, booking=booking)
    assert statuses(a, b) == [WaitlistEntry.Status.PROMOTED, WaitlistEntry.Status.WAITING]
    assert a.booking.member == first
    assert service.waitlist_position(b) == 1


@pytest.mark.django_db
def test_someone_whose_quota_refuses_is_skipped(pool, telecentre, full_day):
    day, holder, booking = full_day
    employee = employee_of(telecentre, days_per_week=2)
    # The employee has used the two days of that week already.
    for offset in (2, 3):
        booking_service.booking_create(
            actor=employee, resource=pool, day=day + dt.timedelta(days=offset), part=DayPart.DAY
        )
    quota_entry = waitlist_join(actor=employee, resource=pool, day=day, part=DayPart.DAY)
    next_one = carnet_member(telecentre)
    next_entry = waitlist_join(actor=next_one, resource=pool, day=day, part=DayPart.DAY)
    booking_service.booking_cancel(actor=holder, booking=booking)
    assert statuses(quota_entry, next_entry) == [WaitlistEntry.Status.EXPIRED, WaitlistEntry.Status.PROMOTED]
    assert next_entry.booking.member == next_one
    assert quota_entry.resolved_at is not None


@pytest.mark.django_db
def test_someone_without_credits_is_skipped(pool, telecentre, full_day):
    day, holder, booking = full_day
    plan = PlanFactory(telecentre=telecentre, usage_price_day=None)
    broke = MembershipFactory(telecentre=telecentre, plan=plan)
    give_credits(broke, "0.5")  # half a day: not enough for a whole day
    broke_entry = waitlist_join(actor=broke.member, resource=pool, day=day, part=DayPart.DAY)
    next_entry = waitlist_join(actor=carnet_member(telecentre), resource=pool, day=day, part=DayPart.DAY)
    booking_service.booking_cancel(actor=holder, booking=booking)
    assert statuses(broke_entry, next_entry) == [WaitlistEntry.Status.EXPIRED, WaitlistEntry.Status.PROMOTED]
    assert not Booking.objects.filter(member=broke.member, status=BookingStatus.CONFIRMED).exists()


@pytest.mark.django_db
def test_entries_of_a_period_already_over_expire(pool, telecentre, full_day):
    day, _holder, _booking = full_day
    ended = waitlist_join(actor=carnet_member(telecentre), resource=pool, day=day, part=DayPart.MORNING)
    past_start = timezone.now() - dt.timedelta(hours=6)
    WaitlistEntry.objects.filter(pk=ended.pk).update(starts_at=past_start, ends_at=past_start + dt.timedelta(hours=5))
    left = waitlist_join(actor=carnet_member(telecentre), resource=pool, day=day, part=DayPart.AFTERNOON)
    waitlist_leave(actor=left.member, entry=left)
    promote_waiting(resource=pool, starts_at=past_start, ends_at=timezone.now() + dt.timedelta(days=30))
    assert statuses(ended, left) == [WaitlistEntry.Status.EXPIRED, WaitlistEntry.Status.CANCELLED]


@pytest.mark.django_db
def test_waiting_makes_sense_only_for_a_full_pool_and_without_a_seat(pool, office, member, telecentre, full_day):
    day, holder, _booking = full_day
    with pytest.raises(booking_service.BookingError) as caught:
        service.waitlist_request(actor=member, resource=pool, day=day + dt.timedelta(days=1), part=DayPart.DAY)
    assert caught.value.code == "free"
    assert "réservez-la directement" in caught.value.message_dict["day"][0]
    with pytest.raises(booking_service.BookingError) as caught:
        service.waitlist_request(actor=holder, resource=pool, day=day, part=DayPart.DAY)
    assert caught.value.code == "duplicate"
    with pytest.raises(booking_service.BookingError) as caught:
        service.waitlist_request(actor=member, resource=office, day=day, part=DayPart.DAY)
    assert caught.value.code == "not_pool"
    assert not WaitlistEntry.objects.exists()


@pytest.mark.django_db
def test_my_waitlist_positions_in_one_query(pool, telecentre, full_day, django_assert_num_queries):
    day, _holder, _booking = full_day
    people = [carnet_member(telecentre) for _ in range(3)]
    for person in people:
        waitlist_join(actor=person, resource=pool, day=day, part=DayPart.DAY)
    with django_assert_num_queries(1):
        rows = list(queries.my_waitlist(people[2]))
    assert [row.position for row in rows] == [3]


# --- real parallel connections (PostgreSQL) -----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_cancellations_at_once_give_each_seat_once():
    pool = ResourceFactory(capacity=2)
    telecentre = pool.telecentre
    day = monday_in(1) + dt.timedelta(days=2)
    holders = [carnet_member(telecentre) for _ in range(2)]
    bookings = [
        booking_service.booking_create(actor=h, resource=pool, day=day, part=DayPart.DAY, notify=False) for h in holders
    ]
    waiting = [carnet_member(telecentre) for _ in range(2)]
    entries = [waitlist_join(actor=w, resource=pool, day=day, part=DayPart.DAY) for w in waiting]

    def cancel(index):
        booking_service.booking_cancel(actor=holders[index], booking=bookings[index], notify=False)
        return "ok"

    assert run_in_parallel(cancel, [0, 1], timeout=60) == ["ok", "ok"]
    confirmed = Booking.objects.filter(resource=pool, status=BookingStatus.CONFIRMED)
    assert sorted(confirmed.values_list("member_id", flat=True)) == sorted(w.pk for w in waiting)
    assert statuses(*entries) == [WaitlistEntry.Status.PROMOTED] * 2
    assert len({e.booking_id for e in entries}) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_series_cancellations_at_once_never_promote_twice():
    """Two members cancel their series at the same time; three people wait for the two seats
    of the same day: two are booked, once each, the third keeps waiting."""
    pool = ResourceFactory(capacity=2)
    telecentre = pool.telecentre
    monday = monday_in(1)
    holders = [carnet_member(telecentre) for _ in range(2)]
    series = [
        service.series_create(
            actor=h, resource=pool, rrule="FREQ=WEEKLY;BYDAY=WE;COUNT=2", first_day=monday, part=DayPart.DAY
        )
        for h in holders
    ]
    day = monday + dt.timedelta(days=2)
    waiting = [carnet_member(telecentre) for _ in range(3)]
    entries = [waitlist_join(actor=w, resource=pool, day=day, part=DayPart.DAY) for w in waiting]

    def cancel(index):
        return service.series_cancel(actor=holders[index], series=series[index], from_day=day, to_day=day).cancelled

    assert run_in_parallel(cancel, [0, 1], timeout=60) == [1, 1]
    assert statuses(*entries) == [WaitlistEntry.Status.PROMOTED] * 2 + [WaitlistEntry.Status.WAITING]
    taken = Booking.objects.filter(resource=pool, status=BookingStatus.CONFIRMED, starts_at__date=day)
    assert taken.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_series_is_created_once():
    """The same series sent twice at the same moment (a double click on two connections)."""
    pool = ResourceFactory(capacity=4)
    member = carnet_member(pool.telecentre)
    monday = monday_in(1)

    def submit(_):
        return service.series_create(
            actor=member, resource=pool, rrule="FREQ=WEEKLY;BYDAY=TU,TH;COUNT=6", first_day=monday, part=DayPart.DAY
        ).pk

    results = run_in_parallel(submit, [0, 1], timeout=60)
    assert results[0] == results[1]
    assert Booking.objects.filter(member=member, status=BookingStatus.CONFIRMED).count() == 6
