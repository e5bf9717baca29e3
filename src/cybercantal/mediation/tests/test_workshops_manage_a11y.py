"""Errors tied to the group of fields they are about (screen readers read them with it)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cybercantal.places.tests.factories import PlaceFactory

from .factories import PublicComputerFactory, SessionFactory
from .factories_free_access import bookable_day
from .factories_workshops_manage import register, started_session

pytestmark = pytest.mark.django_db


def test_attendance_error_is_tied_to_the_list_of_people(client, epn, mediator):
    session = started_session(SessionFactory, place=epn)
    register(session)
    client.force_login(mediator.user)
    response = client.post(reverse("mediation:attendance", args=[session.pk]), {"present": "abc"})
    assert response.status_code == 400
    body = response.content.decode()
    assert '<fieldset aria-describedby="erreur-presences">' in body
    assert 'id="erreur-presences"' in body
    assert "illisible" in body


def test_booking_duration_error_is_tied_to_the_radio_group(client, territory):
    place = PlaceFactory(opening_hours="Mo-Su 08:00-20:00")
    computer = PublicComputerFactory(place=place)
    day = bookable_day()
    data = {"computer": computer.pk, "day": f"{day:%Y-%m-%d}", "start": "14:00", "minutes": "45"}
    response = client.post(
        reverse("mediation:free_access_book", kwargs={"slug": place.slug}),
        data | {"name": "Jeanne", "phone": "0471112233"},
    )
    body = response.content.decode()
    assert '<fieldset aria-describedby="id_minutes_error">' in body
    assert 'id="id_minutes_error"' in body
    assert "30 minutes ou 1 heure" in body
