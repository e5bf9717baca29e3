"""Bad input on every form of part "series": each field in turn gets an empty, huge,
wrong-type, NUL-byte or odd value while the others stay valid. Never a 500, a French message,
and nothing saved when the value is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from ..models import BookingSeries, BookingStatus, DayPart, WaitlistEntry
from ..services import booking as booking_service
from ..services import series as service
from .factories_series import carnet_member, monday_in

pytestmark = pytest.mark.django_db

BAD_VALUES = {
    "empty": "",
    "huge": "x" * 100_000,
    "nul": "abc\x00def",
    "negative": "-1",
    "enormous_number": "9" * 40,
    "float": "1e309",
    "impossible_date": "2026-02-30",
    "zero_date": "0000-00-00",
    "markup": "<script>alert(1)</script>",
    "unicode": "☃\u202e\ufeff",
    "spaces": "   ",
    "rrule_like": "FREQ=SECONDLY;COUNT=99999999",
}

SERIES_FIELDS = [
    "resource",
    "weekdays",
    "interval",
    "part",
    "start_time",
    "end_time",
    "first_day",
    "end",
    "until",
    "count",
    "rrule",
]


def valid_series(pool):
    return {
        "resource": str(pool.pk),
        "weekdays": ["1", "3"],
        "interval": "1",
        "part": DayPart.DAY,
        "start_time": "",
        "end_time": "",
        "first_day": monday_in(1).isoformat(),
        "end": "count",
        "until": "",
        "count": "4",
        "rrule": "",
    }


@pytest.mark.parametrize("action", ["preview", "confirm"])
@pytest.mark.parametrize("field", SERIES_FIELDS)
def test_series_form_never_fails(client, member, pool, telecentre, field, action):
    client.force_login(member)
    url = reverse("telework:series_create", kwargs={"slug": telecentre.slug})
    for name, value in BAD_VALUES.items():
        data = valid_series(pool) | {field: [value] if field == "weekdays" else value, "action": action}
        before = BookingSeries.objects.count()
        response = client.post(url, data)
        assert response.status_code in (200, 302), (field, name)
        if response.status_code == 200:
            assert BookingSeries.objects.count() == before, (field, name)


def test_series_form_with_missing_fields_and_odd_shapes(client, member, pool, telecentre):
    client.force_login(member)
    url = reverse("telework:series_create", kwargs={"slug": telecentre.slug})
    for data in ({}, {"action": "confirm"}, {"action": "autre"}, {"weekdays": ["1"] * 500, "action": "confirm"}):
        response = client.post(url, data)
        assert response.status_code == 200
    assert not BookingSeries.objects.exists()
    # The same fields twice (a hand-made request): the last one counts, nothing breaks.
    response = client.post(url + "?ressource=" + "9" * 40)
    assert response.status_code == 200
    assert client.get(url + "?ressource=" + "9" * 40).status_code == 200


def test_invalid_encoding_in_the_form(client, member, telecentre):
    client.force_login(member)
    url = reverse("telework:series_create", kwargs={"slug": telecentre.slug})
    response = client.post(url, b"rrule=%ff%fe%00&action=preview", content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("field", ["mode", "from_day", "to_day"])
def test_cancel_form_never_fails(client, member, pool, field):
    monday = monday_in(1)
    series = service.series_create(
        actor=member, resource=pool, rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=3", first_day=monday, part=DayPart.DAY
    )
    client.force_login(member)
    url = reverse("telework:series_cancel", kwargs={"pk": series.pk})
    valid = {"mode": "range", "from_day": monday.isoformat(), "to_day": (monday + dt.timedelta(days=30)).isoformat()}
    for name, value in BAD_VALUES.items():
        for confirm in ("", "1"):
            response = client.post(url, valid | {field: value, "confirm": confirm})
            assert response.status_code in (200, 302, 400), (field, name)
            if response.status_code == 400:
                assert series.bookings.filter(status=BookingStatus.CONFIRMED).count() == 3


@pytest.mark.parametrize("field", ["resource", "day", "part", "next"])
def test_waitlist_join_never_fails(client, pool, telecentre, field):
    pool.capacity = 1
    pool.save()
    day = monday_in(1) + dt.timedelta(days=1)
    booking_service.booking_create(actor=carnet_member(telecentre), resource=pool, day=day, part=DayPart.DAY)
    client.force_login(carnet_member(telecentre))
    url = reverse("telework:waitlist_join")
    valid = {"resource": str(pool.pk), "day": day.isoformat(), "part": DayPart.DAY, "next": ""}
    for name, value in BAD_VALUES.items():
        response = client.post(url, valid | {field: value})
        assert response.status_code == 302, (field, name)
        assert response.url.startswith("/"), (field, name)
        if field != "next":
            assert not WaitlistEntry.objects.exists(), (field, name)
