"""Arrivals, no-show releases (with the waiting list) and reminders, at chosen moments: the
services take ``now``; where the booking service reads the clock itself, ``timezone.now`` is
moved with monkeypatch (neither time_machine nor freezegun is in requirements-dev.lock)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry
from cybercantal.core.scheduler import registered_jobs

from ..models import Booking, BookingStatus, CreditMovement, DayPart, ResourceKind, WaitlistEntry
from ..services import booking as booking_service
from ..services import checkin as service
from ..services.waitlist import waitlist_join
from .factories import MembershipFactory, ResourceFactory, TelecentreFactory, UserFactory, give_credits, next_weekday
from .factories_checkin import at, make_booking

pytestmark = pytest.mark.django_db


def new_member(telecentre, amount="10"):
    membership = MembershipFactory(telecentre=telecentre)
    give_credits(membership, amount)
    return membership.member


def entries(action):
    return JournalEntry.objects.filter(action=action)


# --- check-in ----------------------------------------------------------------------------------


@pytest.fixture
def morning(pool, member):
    day = next_weekday(1)
    return make_booking(resource=pool, member=member, starts_at=at(day, 8), ends_at=at(day, 13), part="morning")


def test_check_in_window_opens_30_minutes_before_and_closes_at_the_end(morning, member):
    start = morning.starts_at
    with pytest.raises(service.CheckinError) as caught:
        service.booking_check_in(actor=member, booking=morning, via="poster", now=start - dt.timedelta(minutes=31))
    assert caught.value.code == "too_early"
    assert "à partir de 7 h 30" in caught.value.messages[0]
    with pytest.raises(service.CheckinError) as caught:
        service.booking_check_in(actor=member, booking=morning, via="poster", now=morning.ends_at)
    assert caught.value.code == "ended"
    done = service.booking_check_in(actor=member, booking=morning, via="poster", now=start - dt.timedelta(minutes=30))
    assert done.checked_in_at == start - dt.timedelta(minutes=30)


def test_check_in_is_idempotent_and_journalled_once(morning, member):
    now = morning.starts_at + dt.timedelta(minutes=5)
    first = service.booking_check_in(actor=member, booking=morning, via="code", now=now)
    again = service.booking_check_in(actor=member, booking=morning, via="poster", now=now + dt.timedelta(hours=1))
    assert first.checked_in_at == again.checked_in_at == now
    journal = entries("telework.booking.checked_in")
    assert journal.count() == 1
    assert journal.get().data["via"] == "code"
    assert journal.get().data["by_staff"] is False


@pytest.mark.parametrize(
    ("status", "code"), [(BookingStatus.CANCELLED, "cancelled"), (BookingStatus.RELEASED, "released")]
)
def test_cancelled_or_released_booking_cannot_be_checked_in(morning, member, status, code):
    Booking.objects.filter(pk=morning.pk).update(status=status, released_at=morning.starts_at)
    with pytest.raises(service.CheckinError) as caught:
        service.booking_check_in(actor=member, booking=morning, via="poster", now=morning.starts_at)
    assert caught.value.code == code
    morning.refresh_from_db()
    assert morning.checked_in_at is None


def test_someone_elses_booking_only_by_a_manager(morning, staff, manager, programme_manager):
    now = morning.starts_at
    stranger = UserFactory()
    other_manager = staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place)
    for actor in (stranger, other_manager):
        with pytest.raises(service.CheckinError) as caught:
            service.booking_check_in(actor=actor, booking=morning, via="desk", now=now)
        assert caught.value.code == "forbidden"
    service.booking_check_in(actor=manager, booking=morning, via="desk", now=now)
    entry = entries("telework.booking.checked_in").get()
    assert entry.actor_id == manager.pk
    assert entry.data == {"via": "desk", "by_staff": True, "at": now.isoformat()}
    other = make_booking(resource=morning.resource, member=UserFactory(), starts_at=now)
    assert service.booking_check_in(actor=programme_manager, booking=other, via="desk", now=now).checked_in_at


def test_unknown_channel_is_a_programming_error(morning, member):
    with pytest.raises(ValueError, match="channel"):
        service.booking_check_in(actor=member, booking=morning, via="sms", now=morning.starts_at)


# --- secrets -------------------------------------------------------------------------------------


def test_regenerate_the_poster_token(telecentre, manager, member, staff):
    old = telecentre.checkin_token
    for intruder in (member, staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place)):
        with pytest.raises(service.CheckinError):
            service.telecentre_regenerate_checkin_token(actor=intruder, telecentre=telecentre)
    service.telecentre_regenerate_checkin_token(actor=manager, telecentre=telecentre)
    telecentre.refresh_from_db()
    assert telecentre.checkin_token != old
    assert len(telecentre.checkin_token) >= 32
    assert entries("telework.telecentre.checkin_token_regenerated").get().actor_id == manager.pk


def test_regenerate_the_calendar_token_creates_the_profile_if_needed(member):
    assert not hasattr(member, "telework_profile") or member.telework_profile is None
    first = service.member_profile(member)
    assert service.member_profile(member).pk == first.pk  # get_or_create
    renewed = service.profile_regenerate_calendar_token(actor=member)
    assert renewed.pk == first.pk
    assert renewed.calendar_token != first.calendar_token
    assert entries("telework.profile.calendar_token_regenerated").get().actor_id == member.pk


# --- no-shows ------------------------------------------------------------------------------------


def test_release_after_the_delay_keeps_the_credits_and_tells_the_member(
    pool, member, django_capture_on_commit_callbacks
):
    day = next_weekday(2)
    booking = booking_service.booking_create(actor=member, resource=pool, day=day, part=DayPart.MORNING, notify=False)
    grant = booking.credit_movements.get().grant
    remaining = grant.remaining
    start = booking.starts_at
    assert service.bookings_release_no_shows(now=start + dt.timedelta(minutes=59)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert service.bookings_release_no_shows(now=start + dt.timedelta(minutes=60)) == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.RELEASED
    assert booking.released_at == start + dt.timedelta(minutes=60)
    grant.refresh_from_db()
    assert grant.remaining == remaining  # not refunded
    assert not CreditMovement.objects.filter(booking=booking, kind=CreditMovement.Kind.REFUND).exists()
    (message,) = mail.outbox
    assert message.to == [member.email]
    assert "libérée" in message.subject
    assert "ne sont pas rendus" in message.body
    assert "la place vous était gardée" in message.body
    journal = entries("telework.booking.released").get()
    assert journal.actor_id is None
    assert journal.data["credits_kept"] == "0.5"
    # Already released: a second run does nothing.
    assert service.bookings_release_no_shows(now=start + dt.timedelta(minutes=65)) == 0


def test_checked_in_ended_cancelled_and_never_release_are_left_alone(pool, telecentre):
    day = next_weekday(3)
    start = at(day, 8)
    now = start + dt.timedelta(hours=2)
    arrived = make_booking(resource=pool, member=UserFactory(), starts_at=start, checked_in_at=start)
    ended = make_booking(resource=pool, member=UserFactory(), starts_at=start, ends_at=start + dt.timedelta(hours=1))
    cancelled = make_booking(resource=pool, member=UserFactory(), starts_at=start, status=BookingStatus.CANCELLED)
    not_yet = make_booking(resource=pool, member=UserFactory(), starts_at=now - dt.timedelta(minutes=30))
    elsewhere = ResourceFactory(telecentre=TelecentreFactory(no_show_release_minutes=0))
    never = make_booking(resource=elsewhere, member=UserFactory(), starts_at=start)
    assert service.bookings_release_no_shows(now=now) == 0
    for booking in (arrived, ended, not_yet, never):
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CONFIRMED
    cancelled.refresh_from_db()
    assert cancelled.status == BookingStatus.CANCELLED


def test_a_booking_made_after_its_start_gets_the_full_delay(pool):
    day = next_weekday(4)
    start = at(day, 8)
    walk_in = make_booking(
        resource=pool, member=UserFactory(), starts_at=start, ends_at=at(day, 13), created_at=at(day, 10)
    )
    assert service.bookings_release_no_shows(now=start + dt.timedelta(hours=2, minutes=30)) == 0
    assert service.bookings_release_no_shows(now=start + dt.timedelta(hours=3)) == 1
    walk_in.refresh_from_db()
    assert walk_in.status == BookingStatus.RELEASED


def test_released_seat_goes_to_the_first_person_waiting(telecentre, monkeypatch, django_capture_on_commit_callbacks):
    pool = ResourceFactory(telecentre=telecentre, kind=ResourceKind.SEAT_POOL, capacity=1)
    absent, first, second = new_member(telecentre), new_member(telecentre), new_member(telecentre)
    day = next_weekday(2)
    booking = booking_service.booking_create(actor=absent, resource=pool, day=day, part=DayPart.DAY, notify=False)
    entry = waitlist_join(actor=first, resource=pool, day=day, part=DayPart.DAY)
    later = waitlist_join(actor=second, resource=pool, day=day, part=DayPart.DAY)
    # The release runs for real at 9:01, the period under way (the booking service reads the clock).
    now = booking.starts_at + dt.timedelta(minutes=61)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    with django_capture_on_commit_callbacks(execute=True):
        assert service.bookings_release_no_shows(now=now) == 1
    entry.refresh_from_db()
    later.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.PROMOTED
    assert later.status == WaitlistEntry.Status.WAITING
    promoted = entry.booking
    assert promoted.member == first
    assert promoted.status == BookingStatus.CONFIRMED
    assert promoted.credits_used == Decimal("1.0")
    assert {tuple(m.to) for m in mail.outbox} == {(absent.email,), (first.email,)}
    assert any("Une place s'est libérée" in m.subject for m in mail.outbox)
    # The promoted booking is not released at the next run: its delay starts when it was made.
    assert service.bookings_release_no_shows(now=now + dt.timedelta(minutes=5)) == 0


# --- reminders -----------------------------------------------------------------------------------


def _reminder_setup(pool, member):
    day = next_weekday(3)
    booking = booking_service.booking_create(actor=member, resource=pool, day=day, part=DayPart.MORNING, notify=False)
    Booking.objects.filter(pk=booking.pk).update(created_at=at(day, 8) - dt.timedelta(days=5))
    return day, booking


def test_reminder_the_day_before_from_17h_once(pool, member, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://cybercantal.example"
    pool.telecentre.welcome_text = "Code de la porte : 4512"
    pool.telecentre.save()
    day, booking = _reminder_setup(pool, member)
    eve = day - dt.timedelta(days=1)
    assert service.bookings_send_reminders(now=at(eve, 16, 59)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert service.bookings_send_reminders(now=at(eve, 17, 10)) == 1
        assert service.bookings_send_reminders(now=at(eve, 18, 10)) == 0
    (message,) = mail.outbox
    body = message.body
    assert message.to == [member.email]
    assert "demain" in message.subject
    assert booking_service.describe_period(booking.starts_at, booking.ends_at, booking.part) in body
    place = pool.telecentre.place
    assert place.address in body
    assert place.postal_code in body
    assert booking.checkin_code in body
    assert f"https://cybercantal.example/telecentres/reservations/{booking.pk}/" in body
    assert "Code de la porte : 4512" in body
    assert "L'annulation n'est plus gratuite" in body  # 24 h notice, 15 h before
    booking.refresh_from_db()
    assert booking.reminder_sent_at == at(eve, 17, 10)


def test_no_reminder_for_late_bookings_other_days_or_cancelled(pool, member, telecentre):
    day, booking = _reminder_setup(pool, member)
    eve = day - dt.timedelta(days=1)
    late = make_booking(resource=pool, member=new_member(telecentre), starts_at=at(day, 13), created_at=at(eve, 17, 30))
    other_day = make_booking(resource=pool, member=new_member(telecentre), starts_at=at(day + dt.timedelta(days=1), 8))
    today = make_booking(resource=pool, member=new_member(telecentre), starts_at=at(eve, 18))
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CANCELLED)
    assert service.bookings_send_reminders(now=at(eve, 20)) == 0
    for b in (late, other_day, today):
        b.refresh_from_db()
        assert b.reminder_sent_at is None


def test_jobs_are_registered():
    jobs = {job.name.rsplit(".", 1)[-1]: job for job in registered_jobs()}
    assert jobs["telework_release_no_shows"].every == dt.timedelta(minutes=5)
    reminders = jobs["telework_send_reminders"]
    assert reminders.every is None
    assert reminders.minute == 10
    assert reminders.hour is None


def test_jobs_run_the_services(pool):
    from ..jobs.checkin import telework_release_no_shows, telework_send_reminders

    start = timezone.now() - dt.timedelta(hours=2)
    booking = make_booking(resource=pool, member=UserFactory(), starts_at=start)
    assert telework_release_no_shows.call() == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.RELEASED
    assert telework_send_reminders.call() >= 0
