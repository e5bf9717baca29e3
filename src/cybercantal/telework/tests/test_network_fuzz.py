"""Bad input on every form of part "network": each field in turn gets an empty, huge,
wrong-type, NUL-byte or odd value while the others stay valid. Never a 500, a refused value is
never saved, and a double submit creates one thing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Organisation

from ..models import Closure, Resource, Telecentre
from .factories import OperatorFactory
from .factories_network import telecentre_place

pytestmark = pytest.mark.django_db

BAD_VALUES = {
    "empty": "",
    "huge": "x" * 100_000,
    "nul": "abc\x00def",
    "negative": "-1",
    "enormous_number": "9" * 40,
    "float": "1e309",
    "decimal": "2.5",
    "impossible_date": "2026-02-30",
    "zero_date": "0000-00-00",
    "markup": "<script>alert(1)</script>",
    "unicode": "☃\u202e\ufeff",
    "spaces": "   ",
}

RESOURCE_VALID = {
    "name": "Salle du Puy Mary",
    "kind": "meeting_room",
    "capacity": "8",
    "description": "Salle claire",
    "equipment": "visio",
    "access": "members",
    "booking_window_days": "90",
    "min_minutes": "60",
    "max_minutes": "240",
    "step_minutes": "30",
    "buffer_minutes": "0",
    "opening_hours": "Mo-Fr 08:00-18:00",
    "position": "3",
    "is_active": "on",
}


def _snapshot(resource: Resource) -> dict:
    return {name: getattr(resource, name) for name in ("name", "kind", "capacity", "min_minutes", "max_minutes")}


@pytest.mark.parametrize("field", sorted(RESOURCE_VALID))
@pytest.mark.parametrize("bad", sorted(BAD_VALUES))
def test_resource_form_never_500(client, manager, room, field, bad):
    client.force_login(manager)
    before = _snapshot(room)
    url = reverse("telework:resource_edit", args=[room.telecentre.slug, room.pk])
    data = {**RESOURCE_VALID, "name": room.name, field: BAD_VALUES[bad]}
    response = client.post(url, data)
    assert response.status_code in (200, 302)
    room.refresh_from_db()
    if response.status_code == 200:
        assert response.context["form"].errors
        assert _snapshot(room) == before
    else:  # accepted: the value was harmless (free text, an optional field left empty)
        assert field in {"name", "description", "opening_hours", "position", "is_active", "equipment"}
        if field == "name":
            assert room.name == " ".join(BAD_VALUES[bad].split())


@pytest.mark.parametrize("bad", sorted(BAD_VALUES))
@pytest.mark.parametrize(
    "field", ["status", "opens_on", "closed_on", "cancellation_notice_hours", "no_show_release_minutes", "welcome_text"]
)
def test_telecentre_form_never_500(client, manager, telecentre, field, bad):
    client.force_login(manager)
    data = {
        "status": "open",
        "opens_on": telecentre.opens_on.isoformat(),
        "closed_on": "",
        "cancellation_notice_hours": "24",
        "no_show_release_minutes": "60",
        "welcome_text": "",
        field: BAD_VALUES[bad],
    }
    response = client.post(reverse("telework:manage_telecentre", args=[telecentre.slug]), data)
    assert response.status_code in (200, 302)
    telecentre.refresh_from_db()
    assert telecentre.status == "open"
    if response.status_code == 200:
        assert response.context["form"].errors


@pytest.mark.parametrize("bad", sorted(BAD_VALUES))
@pytest.mark.parametrize("field", ["resource", "starts_on", "ends_on", "reason"])
def test_closure_form_never_500(client, manager, office, field, bad):
    client.force_login(manager)
    today = timezone.localdate()
    data = {
        "resource": str(office.pk),
        "starts_on": (today + dt.timedelta(days=2)).isoformat(),
        "ends_on": (today + dt.timedelta(days=3)).isoformat(),
        "reason": "Travaux",
        field: BAD_VALUES[bad],
    }
    response = client.post(reverse("telework:closures", args=[office.telecentre.slug]), data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["form"].errors
        assert not Closure.objects.exists()


@pytest.mark.parametrize("bad", sorted(BAD_VALUES))
@pytest.mark.parametrize("field", ["place", "operator", "operator_name", "operator_siret"])
def test_telecentre_create_form_never_500(client, programme_manager, field, bad):
    client.force_login(programme_manager)
    place = telecentre_place()
    data = {"place": str(place.pk), "operator": "", "operator_name": "SCIC Test", "operator_siret": "73282932000074"}
    data[field] = BAD_VALUES[bad]
    organisations = Organisation.objects.count()
    response = client.post(reverse("telework:telecentre_create"), data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["form"].errors
        assert Organisation.objects.count() == organisations
        assert not Telecentre.objects.exists()


def test_lists_in_place_of_values_are_refused_cleanly(client, manager, room):
    client.force_login(manager)
    url = reverse("telework:resource_edit", args=[room.telecentre.slug, room.pk])
    response = client.post(url, {**RESOURCE_VALID, "capacity": ["1", "2"], "equipment": ["visio", "jacuzzi"]})
    assert response.status_code == 200
    assert "equipment" in response.context["form"].errors


def test_double_submit_creates_one_resource_and_one_telecentre(client, manager, programme_manager, telecentre):
    client.force_login(manager)
    url = reverse("telework:resource_create", args=[telecentre.slug])
    first = client.post(url, RESOURCE_VALID)
    second = client.post(url, RESOURCE_VALID)
    assert first.status_code == 302
    assert second.status_code == 200
    assert "déjà une ressource de ce nom" in second.context["form"].errors["name"][0]
    assert Resource.objects.filter(telecentre=telecentre).count() == 1

    client.force_login(programme_manager)
    place = telecentre_place()
    operator = OperatorFactory()
    data = {"place": place.pk, "operator": operator.pk}
    assert client.post(reverse("telework:telecentre_create"), data).status_code == 302
    again = client.post(reverse("telework:telecentre_create"), data)
    assert again.status_code == 200  # the place is no longer offered
    assert Telecentre.objects.filter(place=place).count() == 1
