"""The heart of the network: bookings never overlap, seats are never overbooked, credits are a
ledger (first-expiring first, refunds to the grants used), quotas hold, prices come from the
plan or the agreement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cybercantal.core.db import is_postgres
from cybercantal.core.testing import run_in_parallel

from ..models import Booking, BookingStatus, CreditGrant, CreditMovement, DayPart, ResourceAccess, WaitlistEntry
from ..services import booking as service
from ..services import credits
from ..services.waitlist import waitlist_join
from .factories import (
    AgreementFactory,
    EmployeeFactory,
    MembershipFactory,
    PlanFactory,
    ResourceFactory,
    UserFactory,
    give_credits,
    next_weekday,
)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def new_member(telecentre, amount="10"):
    membership = MembershipFactory(telecentre=telecentre)
    give_credits(membership, amount)
    return membership.member


# --- seat pools -------------------------------------------------------------------------------


def test_pool_books_by_half_day_and_day_bounds_come_from_the_hours(pool, member):
    day = next_weekday(1)
    booking = service.booking_create(actor=member, resource=pool, day=day, part=DayPart.MORNING)
    assert (timezone.localtime(booking.starts_at).hour, timezone.localtime(booking.ends_at).hour) == (8, 13)
    assert booking.credits_used == Decimal("0.5")
    assert booking.price_excl_tax == 0
    afternoon = service.booking_create(
        actor=member, resource=pool, day=day + dt.timedelta(days=1), part=DayPart.AFTERNOON
    )
    assert (timezone.localtime(afternoon.starts_at).hour, timezone.localtime(afternoon.ends_at).hour) == (13, 19)


def test_pool_capacity_counts_day_bookings_in_both_halves(pool, telecentre):
    day = next_weekday(2)
    for _ in range(3):
        service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.DAY)
    service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.MORNING)
    # The morning is full (4 seats); the afternoon still has one seat.
    with pytest.raises(service.BookingConflictError) as caught:
        service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.DAY)
    assert caught.value.can_wait
    assert any(a.part == DayPart.AFTERNOON for a in caught.value.alternatives)
    assert "Créneaux libres les plus proches" in caught.value.messages[0]
    service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.AFTERNOON)


def test_one_person_one_seat_at_a_time(pool, member):
    day = next_weekday(3)
    service.booking_create(actor=member, resource=pool, day=day, part=DayPart.DAY)
    with pytest.raises(service.BookingError) as caught:
        service.booking_create(actor=member, resource=pool, day=day, part=DayPart.MORNING)
    assert caught.value.code == "duplicate"


# --- offices and rooms --------------------------------------------------------------------------


def test_office_overlap_and_buffer(office, telecentre):
    office.buffer_minutes = 30
    office.save()
    day = next_weekday(1)
    first = new_member(telecentre)
    service.booking_create(actor=first, resource=office, starts_at=at(day, 9), ends_at=at(day, 11))
    with pytest.raises(service.BookingConflictError):
        service.booking_create(
            actor=new_member(telecentre), resource=office, starts_at=at(day, 10), ends_at=at(day, 12)
        )
    with pytest.raises(service.BookingConflictError):  # inside the buffer
        service.booking_create(
            actor=new_member(telecentre), resource=office, starts_at=at(day, 11), ends_at=at(day, 12)
        )
    ok = service.booking_create(
        actor=new_member(telecentre), resource=office, starts_at=at(day, 11, 30), ends_at=at(day, 12, 30)
    )
    assert ok.blocked_until == at(day, 13)


@pytest.mark.parametrize(
    ("start", "end", "field", "text"),
    [
        ((9, 0), (9, 10), "ends_at", "Durée minimale"),
        ((9, 10), (10, 10), "starts_at", "tranches de 30 minutes"),
        ((18, 0), (20, 0), "starts_at", "horaires d'ouverture"),
    ],
)
def test_office_rules_say_what_is_wrong(office, member, start, end, field, text):
    day = next_weekday(4)
    with pytest.raises(service.BookingError) as caught:
        service.booking_create(actor=member, resource=office, starts_at=at(day, *start), ends_at=at(day, *end))
    assert text in caught.value.message_dict[field][0]


def test_past_and_too_far_are_refused(office, member):
    past = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(service.BookingError, match="déjà passé"):
        service.booking_create(actor=member, resource=office, starts_at=at(past, 9), ends_at=at(past, 10))
    far = timezone.localdate() + dt.timedelta(days=office.booking_window_days + 1)
    with pytest.raises(service.BookingError, match="à l'avance"):
        service.booking_create(actor=member, resource=office, starts_at=at(far, 9), ends_at=at(far, 10))


def test_meeting_room_uses_hour_credits_or_the_hourly_price(room, member):
    day = next_weekday(1)
    booking = service.booking_create(actor=member, resource=room, starts_at=at(day, 14), ends_at=at(day, 16))
    # The carnet covers seats and offices only: the room is billed at the plan's hourly price.
    assert booking.credits_used == 0
    assert booking.price_excl_tax == Decimal("24.00")


# --- access, credits, quotas ----------------------------------------------------------------------


def test_members_only_and_anyone(pool, telecentre):
    stranger = UserFactory()
    with pytest.raises(service.BookingError, match="réservée aux membres"):
        service.booking_create(actor=stranger, resource=pool, day=next_weekday(1), part=DayPart.DAY)
    pool.access = ResourceAccess.ANYONE
    pool.save()
    with pytest.raises(service.BookingError, match="Aucun tarif"):
        service.booking_create(actor=stranger, resource=pool, day=next_weekday(1), part=DayPart.DAY)
    PlanFactory(
        telecentre=telecentre,
        kind="day_pass",
        name="Pass journée",
        price_excl_tax=Decimal("20.00"),
        usage_price_day=None,
    )
    booking = service.booking_create(actor=stranger, resource=pool, day=next_weekday(1), part=DayPart.MORNING)
    assert booking.price_excl_tax == Decimal("10.00")
    assert booking.membership is None


def test_credits_first_expiring_first_and_refund_to_the_same_grants(pool, telecentre):
    membership = MembershipFactory(telecentre=telecentre)
    late = give_credits(membership, "5", days=300)
    soon = give_credits(membership, "0.5", days=10)
    day = next_weekday(1)  # within the 10 days of the first-expiring grant
    booking = service.booking_create(actor=membership.member, resource=pool, day=day, part=DayPart.DAY)
    soon.refresh_from_db()
    late.refresh_from_db()
    assert (soon.remaining, late.remaining) == (Decimal("0"), Decimal("4.5"))
    assert credits.balance(membership).days == Decimal("4.5")
    service.booking_cancel(actor=membership.member, booking=booking)
    soon.refresh_from_db()
    late.refresh_from_db()
    assert (soon.remaining, late.remaining) == (Decimal("0.5"), Decimal("5"))
    assert CreditMovement.objects.filter(booking=booking).count() == 4


def test_without_credits_the_usage_price_of_the_plan(pool, telecentre):
    membership = MembershipFactory(telecentre=telecentre)
    booking = service.booking_create(actor=membership.member, resource=pool, day=next_weekday(2), part=DayPart.DAY)
    assert booking.credits_used == 0
    assert booking.price_excl_tax == Decimal("18.00")


def test_late_cancellation_keeps_the_credits_spent(pool, member):
    soon = timezone.localdate() + dt.timedelta(days=1)
    booking = service.booking_create(actor=member, resource=pool, day=soon, part=DayPart.AFTERNOON)
    telecentre = pool.telecentre
    telecentre.cancellation_notice_hours = 72
    telecentre.save()
    cancelled = service.booking_cancel(actor=member, booking=booking)
    assert cancelled.status == BookingStatus.CANCELLED
    assert cancelled.late_cancellation
    assert CreditGrant.objects.get(membership__member=member).remaining == Decimal("9.5")
    # Cancelling twice changes nothing.
    assert service.booking_cancel(actor=member, booking=booking).status == BookingStatus.CANCELLED


def test_agreement_quota_and_price(pool, telecentre):
    agreement = AgreementFactory(telecentres=[telecentre], days_per_week=2)
    employee = EmployeeFactory(agreement=agreement)
    user = UserFactory(email=employee.email)
    employee.user = user
    employee.save()
    MembershipFactory(member=user, telecentre=telecentre, plan=None, agreement=agreement)
    tuesday = next_weekday(1, weeks=1)
    first = service.booking_create(actor=user, resource=pool, day=tuesday, part=DayPart.DAY)
    assert (first.agreement_id, first.price_excl_tax, first.credits_used) == (agreement.pk, Decimal("15.00"), 0)
    service.booking_create(actor=user, resource=pool, day=tuesday + dt.timedelta(days=2), part=DayPart.DAY)
    with pytest.raises(service.BookingError, match="2 jours par semaine") as caught:
        service.booking_create(actor=user, resource=pool, day=tuesday + dt.timedelta(days=1), part=DayPart.MORNING)
    assert caught.value.code == "quota"
    # Removed from the agreement: no longer covered, and the pool is for members.
    employee.removed_on = timezone.localdate()
    employee.save()
    with pytest.raises(service.BookingError, match="réservée aux membres"):
        service.booking_create(actor=user, resource=pool, day=tuesday + dt.timedelta(days=7), part=DayPart.DAY)


def test_cancellation_promotes_the_waiting_list(pool, telecentre, django_capture_on_commit_callbacks, mailoutbox):
    pool.capacity = 1
    pool.save()
    day = next_weekday(1, weeks=1)
    holder = new_member(telecentre)
    booking = service.booking_create(actor=holder, resource=pool, day=day, part=DayPart.DAY)
    waiting = new_member(telecentre)
    entry = waitlist_join(actor=waiting, resource=pool, day=day, part=DayPart.DAY)
    with django_capture_on_commit_callbacks(execute=True):
        service.booking_cancel(actor=holder, booking=booking)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.PROMOTED
    assert entry.booking.member == waiting
    assert any("place s'est libérée" in m.subject for m in mailoutbox)


def test_someone_else_cannot_cancel(pool, member, telecentre):
    booking = service.booking_create(actor=member, resource=pool, day=next_weekday(1), part=DayPart.DAY)
    with pytest.raises(service.BookingError) as caught:
        service.booking_cancel(actor=new_member(telecentre), booking=booking)
    assert caught.value.code == "forbidden"


# --- real parallel connections (PostgreSQL) ------------------------------------------------------


def _members(telecentre, count):
    return [new_member(telecentre) for _ in range(count)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_bookings_of_a_pool_fill_it_exactly():
    assert is_postgres()
    pool = ResourceFactory(capacity=7)
    members = _members(pool.telecentre, 50)
    day = next_weekday(2)

    def book(user):
        try:
            service.booking_create(actor=user, resource=pool, day=day, part=DayPart.DAY, notify=False)
        except service.BookingConflictError:
            return "conflict"
        return "ok"

    results = run_in_parallel(book, members, timeout=120)
    assert results.count("ok") == 7
    assert results.count("conflict") == 43
    assert Booking.objects.filter(resource=pool, status=BookingStatus.CONFIRMED).count() == 7


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_bookings_of_an_office_one_winner():
    office = ResourceFactory(kind="office", capacity=1)
    members = _members(office.telecentre, 50)
    day = next_weekday(3)

    def book(user):
        try:
            service.booking_create(actor=user, resource=office, starts_at=at(day, 9), ends_at=at(day, 12), notify=False)
        except service.BookingConflictError:
            return "conflict"
        return "ok"

    results = run_in_parallel(book, members, timeout=120)
    assert results.count("ok") == 1
    assert results.count("conflict") == 49
