"""The member's iCalendar feed, parsed back with icalendar: what it holds (90 days back, recent
cancellations as CANCELLED, nobody else's bookings), stable UIDs, UTC times, escaping and line
folding of a place whose name has a comma and accents."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from ..models import BookingStatus
from ..services.checkin import member_profile
from ..views.checkin import calendar_bytes
from .factories import ResourceFactory, TelecentreFactory, UserFactory
from .factories_checkin import make_booking

pytestmark = pytest.mark.django_db


def _feed(client, user) -> icalendar.Calendar:
    response = client.get(reverse("telework:calendar_feed", args=[member_profile(user).calendar_token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def _events(calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def accented_pool():
    telecentre = TelecentreFactory(
        place__name="Télécentre de Riom-ès-Montagnes, la Gare",
        place__address="2, place du Général-de-Gaulle; côté quai",
        place__postal_code="15400",
    )
    return ResourceFactory(telecentre=telecentre, name="Espace partagé « Cézallier »")


def test_feed_content_and_escaping(client, accented_pool, settings):
    settings.SITE_URL = "https://cybercantal.example"
    member = UserFactory()
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    booking = make_booking(resource=accented_pool, member=member, starts_at=start, part="morning")
    calendar = _feed(client, member)
    assert str(calendar["X-WR-CALNAME"]) == "Mes réservations en télécentre"
    assert str(calendar["VERSION"]) == "2.0"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"telecentre-reservation-{booking.pk}@cybercantal.example"
    assert event.decoded("DTSTART") == booking.starts_at
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert event.decoded("DTEND") == booking.ends_at
    assert event.decoded("DTSTAMP").utcoffset() == dt.timedelta(0)
    assert str(event["STATUS"]) == "CONFIRMED"
    place = accented_pool.telecentre.place
    assert str(event["LOCATION"]).startswith(
        "Télécentre de Riom-ès-Montagnes, la Gare, 2, place du Général-de-Gaulle; côté"
    )
    assert place.postal_code in str(event["LOCATION"])
    assert "Espace partagé « Cézallier »" in str(event["SUMMARY"])
    description = str(event["DESCRIPTION"])
    assert f"Code d'arrivée : {booking.checkin_code}" in description
    assert f"https://cybercantal.example/telecentres/reservations/{booking.pk}/" in description
    assert str(event["URL"]) == f"https://cybercantal.example/telecentres/reservations/{booking.pk}/"

    raw = client.get(reverse("telework:calendar_feed", args=[member_profile(member).calendar_token])).content
    # RFC 5545: commas and semicolons escaped in text, lines folded at 75 octets, CRLF endings.
    assert b"Riom-\xc3\xa8s-Montagnes\\, la Gare\\, 2\\, place" in raw.replace(b"\r\n ", b"")
    assert b"\\;" in raw.replace(b"\r\n ", b"")
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # something was folded
    assert b"\n" not in raw.replace(b"\r\n", b"")
    for line in lines:
        line.decode("utf-8")  # folding never cuts a character in two


def test_feed_window_cancellations_and_privacy(client, pool, member):
    now = timezone.now().replace(microsecond=0)
    future = make_booking(resource=pool, member=member, starts_at=now + dt.timedelta(days=3))
    recent_past = make_booking(resource=pool, member=member, starts_at=now - dt.timedelta(days=80))
    too_old = make_booking(resource=pool, member=member, starts_at=now - dt.timedelta(days=100))
    cancelled = make_booking(
        resource=pool,
        member=member,
        starts_at=now + dt.timedelta(days=4),
        status=BookingStatus.CANCELLED,
        cancelled_at=now - dt.timedelta(days=1),
    )
    released = make_booking(
        resource=pool,
        member=member,
        starts_at=now - dt.timedelta(days=2),
        status=BookingStatus.RELEASED,
        released_at=now - dt.timedelta(days=2),
    )
    long_cancelled = make_booking(
        resource=pool,
        member=member,
        starts_at=now - dt.timedelta(days=40),
        status=BookingStatus.CANCELLED,
        cancelled_at=now - dt.timedelta(days=45),
    )
    someone_else = make_booking(resource=pool, member=UserFactory(), starts_at=now + dt.timedelta(days=3))
    events = _events(_feed(client, member))
    pks = {int(uid.split("-")[2].split("@")[0]) for uid in events}
    assert pks == {future.pk, recent_past.pk, cancelled.pk, released.pk}
    assert too_old.pk not in pks
    assert long_cancelled.pk not in pks
    assert someone_else.pk not in pks
    by_pk = {int(uid.split("-")[2].split("@")[0]): event for uid, event in events.items()}
    assert str(by_pk[cancelled.pk]["STATUS"]) == "CANCELLED"
    assert str(by_pk[released.pk]["STATUS"]) == "CANCELLED"
    assert int(by_pk[cancelled.pk]["SEQUENCE"]) > int(by_pk[future.pk]["SEQUENCE"])
    assert cancelled.checkin_code not in str(by_pk[cancelled.pk]["DESCRIPTION"])


def test_uids_are_stable_between_fetches_and_after_cancellation(client, pool, member):
    booking = make_booking(
        resource=pool, member=member, starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    )
    first = set(_events(_feed(client, member)))
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.save()
    second = _events(_feed(client, member))
    assert set(second) == first
    assert str(next(iter(second.values()))["STATUS"]) == "CANCELLED"


def test_one_booking_file(client, pool, member):
    booking = make_booking(
        resource=pool, member=member, starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    )
    client.force_login(member)
    response = client.get(reverse("telework:booking_ics", args=[booking.pk]))
    calendar = icalendar.Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == booking.starts_at
    assert str(calendar["X-WR-CALNAME"]) == pool.telecentre.place.name


def test_empty_calendar_is_still_valid():
    calendar = icalendar.Calendar.from_ical(calendar_bytes([], name="Vide"))
    assert calendar.walk("VEVENT") == []
    assert str(calendar["PRODID"]).startswith("-//CyberCantal//")
