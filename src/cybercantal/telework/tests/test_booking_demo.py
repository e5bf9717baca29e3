"""Demo data of part "booking", after the network, plans and agreements demos: single bookings
in every open telecentre through the booking service (real credits and prices), never on
Tuesdays or Thursdays; a second run creates nothing; without telecentres, nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cybercantal.accounts.demo import load_demo_accounts
from cybercantal.accounts.models import Role
from cybercantal.places.demo import load_demo_places
from cybercantal.places.models import Place, PlaceKind

from ..demo import agreements, network, plans
from ..demo import booking as demo
from ..models import Booking, ResourceKind

pytestmark = pytest.mark.django_db


def test_nothing_without_telecentres():
    assert demo.load() == {"réservations ponctuelles": 0, "réservations à venir": 0}


def test_bookings_in_every_open_telecentre_and_idempotence(territory, mailoutbox):
    load_demo_places()
    murat = Place.objects.get(name="Télécentre La Gare", kind=PlaceKind.TELECENTRE)
    load_demo_accounts(scopes={Role.TELECENTRE_MANAGER: murat})
    network.load()
    plans.load()
    agreements.load()
    counts = demo.load()
    assert counts["réservations ponctuelles"] >= 15
    bookings = Booking.objects.select_related("resource__telecentre__place")
    assert {b.resource.kind for b in bookings} == {
        ResourceKind.SEAT_POOL,
        ResourceKind.OFFICE,
        ResourceKind.MEETING_ROOM,
    }
    assert len({b.resource.telecentre_id for b in bookings}) >= 3
    assert all(b.starts_at > timezone.now() for b in bookings)
    assert not [
        b for b in bookings if b.resource.kind == "seat_pool" and timezone.localtime(b.starts_at).weekday() in (1, 3)
    ]
    assert all(b.credits_used > 0 or b.price_excl_tax > 0 for b in bookings)
    assert demo.load()["réservations ponctuelles"] == 0
    assert Booking.objects.count() == len(bookings)
