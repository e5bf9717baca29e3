"""Bad input to the booking form and the booking API: a French message, never a 500, nothing
written. Empty, wrong types, naive date-times, huge values, past dates, wrong encodings."""

from __future__ import annotations

import datetime as dt
import json
import random
import string

import pytest
from django.utils import timezone

from ..models import Booking
from .factories import next_weekday

pytestmark = pytest.mark.django_db

HUGE = "9" * 40
PAST = (timezone.localdate() - dt.timedelta(days=5)).isoformat()


def _values(pool, office):
    day = next_weekday(2, weeks=1).isoformat()
    return [
        {},
        {"ressource": ""},
        {"ressource": "abc", "jour": day, "moment": "morning"},
        {"ressource": HUGE, "jour": day, "moment": "morning"},
        {"ressource": "-1", "jour": day, "moment": "morning"},
        {"ressource": str(pool.pk), "jour": "", "moment": "morning"},
        {"ressource": str(pool.pk), "jour": "31/02/2026", "moment": "morning"},
        {"ressource": str(pool.pk), "jour": "99999-01-01", "moment": "morning"},
        {"ressource": str(pool.pk), "jour": HUGE, "moment": "morning"},
        {"ressource": str(pool.pk), "jour": day, "moment": "soir"},
        {"ressource": str(pool.pk), "jour": day, "moment": "x" * 10_000},
        {"ressource": str(pool.pk), "jour": PAST, "moment": "morning"},
        {"ressource": str(pool.pk), "jour": "0001-01-01", "moment": "day"},
        {"ressource": str(pool.pk), "jour": "9999-12-31", "moment": "day"},
        {"ressource": str(office.pk), "jour": day},
        {"ressource": str(office.pk), "jour": day, "debut": "25:00", "fin": "26:00"},
        {"ressource": str(office.pk), "jour": day, "debut": "11:00", "fin": "09:00"},
        {"ressource": str(office.pk), "jour": day, "debut": "09:07", "fin": "10:00"},
        {"ressource": str(office.pk), "jour": day, "debut": "09:00", "fin": "09:00"},
        {"ressource": str(office.pk), "jour": day, "debut": HUGE, "fin": HUGE},
        {"ressource": str(office.pk), "jour": PAST, "debut": "09:00", "fin": "10:00"},
        {"ressource": str(office.pk), "jour": day, "debut": "\x00", "fin": "9\u00a0h"},
    ]


def test_booking_form_never_breaks(client, telecentre, pool, office, member):
    client.force_login(member)
    url = f"/telecentres/{telecentre.slug}/reserver/"
    for data in _values(pool, office):
        for method in ("get", "post"):
            params = {**data, "etape": "verifier"} if method == "get" else data
            response = getattr(client, method)(url, params)
            assert response.status_code == 200, (method, data, response.status_code)
            html = response.content.decode()
            assert "Rien n’est envoyé" in html, (method, data)
    assert not Booking.objects.exists()


def test_member_choice_of_a_manager_never_breaks(client, telecentre, pool, manager):
    client.force_login(manager)
    url = f"/telecentres/{telecentre.slug}/reserver/"
    day = next_weekday(2, weeks=1).isoformat()
    for value in (HUGE, "abc", "-3", "0", "\x00", "é" * 300):
        for extra in ({"membre_id": value}, {"membre": value}):
            response = client.post(url, {"ressource": pool.pk, "jour": day, "moment": "day", **extra})
            assert response.status_code == 200
            assert "Rien n’est envoyé" in response.content.decode(), extra
    assert not Booking.objects.exists()


def test_booking_form_random_strings(client, telecentre, pool, office, member):
    rng = random.Random(7)
    alphabet = string.printable + "éèàçœ€\u202f"
    client.force_login(member)
    url = f"/telecentres/{telecentre.slug}/reserver/"
    for _ in range(60):
        data = {
            name: "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
            for name in ("ressource", "jour", "moment", "debut", "fin")
            if rng.random() < 0.8
        }
        response = client.post(url, data)
        assert response.status_code in (200, 409), data
    assert not Booking.objects.exists()


def test_prefill_from_a_broken_link_is_harmless(client, telecentre, pool, member):
    client.force_login(member)
    url = f"/telecentres/{telecentre.slug}/reserver/"
    for params in (
        {"debut": "2026-99-99T99:99"},
        {"debut": HUGE * 3},
        {"ressource": HUGE, "jour": "x", "moment": "\x00"},
    ):
        assert client.get(url, params).status_code == 200


def _api_bodies(pool, office):
    day = next_weekday(2, weeks=1).isoformat()
    return [
        ({}, 422),
        ({"ressource": "abc"}, 422),
        ({"ressource": None}, 422),
        ({"ressource": 10**30, "jour": day, "moment": "day"}, 422),
        ({"ressource": -5, "jour": day, "moment": "day"}, 422),
        ({"ressource": [pool.pk], "jour": day, "moment": "day"}, 422),
        ({"ressource": pool.pk, "jour": "2026-02-30", "moment": "day"}, 422),
        ({"ressource": pool.pk, "jour": 20260303, "moment": "day"}, 422),
        ({"ressource": pool.pk, "jour": day, "moment": "soir"}, 422),
        ({"ressource": pool.pk, "jour": day}, 400),
        ({"ressource": pool.pk, "jour": PAST, "moment": "day"}, 400),
        ({"ressource": pool.pk, "jour": "9999-12-31", "moment": "day"}, 422),
        ({"ressource": office.pk, "debut": f"{day}T09:00:00", "fin": f"{day}T10:00:00"}, 422),
        ({"ressource": office.pk, "debut": f"{day}T09:00:00+01:00"}, 400),
        ({"ressource": office.pk, "debut": f"{day}T10:00:00+01:00", "fin": f"{day}T09:00:00+01:00"}, 400),
        ({"ressource": office.pk, "debut": f"{day}T09:10:00+01:00", "fin": f"{day}T10:10:00+01:00"}, 400),
        ({"ressource": office.pk, "debut": f"{PAST}T09:00:00+01:00", "fin": f"{PAST}T10:00:00+01:00"}, 400),
        ({"ressource": office.pk, "debut": "demain", "fin": "après"}, 422),
        ({"ressource": office.pk, "debut": "9999-12-31T23:59:59+14:00", "fin": "9999-12-31T23:59:59+14:00"}, 422),
        ({"ressource": pool.pk, "jour": day, "moment": "day", "membre": "x"}, 422),
        ({"ressource": pool.pk, "jour": day, "moment": "day", "membre": 10**30}, 422),
    ]


def test_api_never_breaks(client, pool, office, member):
    client.force_login(member)
    for body, status in _api_bodies(pool, office):
        response = client.post("/api/telecentres/reservations", body, content_type="application/json")
        assert response.status_code == status, (body, response.status_code, response.content)
        error = response.json()
        assert set(error) >= {"code", "message", "field"}
        assert error["message"]
        assert not error["message"].startswith(("Input", "Field", "value"))
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"[]", b"null", b'"texte"', b"\xff\xfe\x00", json.dumps({"ressource": 1}).encode("utf-16")],
)
def test_api_broken_bodies(client, member, raw):
    client.force_login(member)
    response = client.post("/api/telecentres/reservations", raw, content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.json()["message"]


def test_service_refuses_the_end_of_the_calendar(pool, member):
    """Was a 500 (OverflowError computing the hours of 9999-12-31): fixed in ``resolve_period``."""
    from ..services import booking as service

    with pytest.raises(service.BookingError) as caught:
        service.booking_create(actor=member, resource=pool, day=dt.date.max, part="day")
    assert caught.value.message_dict["day"] == ["Date invalide."]
