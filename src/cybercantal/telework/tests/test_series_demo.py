"""Demo data of part "series", after the network, plans and agreements demos: Thomas Delmas
comes every Tuesday and Thursday to Murat, three regulars elsewhere, a full day with two
people waiting; a second run creates nothing; without Thomas's membership his series is
skipped without failing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cybercantal.accounts.demo import demo_email, load_demo_accounts
from cybercantal.accounts.models import Role
from cybercantal.places.demo import load_demo_places
from cybercantal.places.models import Place, PlaceKind

from ..demo import agreements, network, plans
from ..demo import series as demo
from ..models import BookingSeries, BookingStatus, DayPart, Membership, WaitlistEntry
from ..queries import availability

pytestmark = pytest.mark.django_db


@pytest.fixture
def network_ground(territory):
    load_demo_places()
    murat = Place.objects.get(name="Télécentre La Gare", kind=PlaceKind.TELECENTRE)
    load_demo_accounts(scopes={Role.TELECENTRE_MANAGER: murat})
    network.load()
    plans.load()


def test_the_acceptance_story_and_idempotence(network_ground, mailoutbox):
    agreements.load()
    counts = demo.load()
    assert counts["séries de réservations"] == 4
    assert counts["inscriptions en liste d'attente"] == 2

    thomas = BookingSeries.objects.get(member__email=demo_email(Role.TELEWORKER))
    assert thomas.resource.telecentre.place.name == "Télécentre La Gare"
    assert thomas.resource.kind == "seat_pool"
    assert thomas.part == DayPart.DAY
    assert "BYDAY=TU,TH" in thomas.rrule
    days = [timezone.localtime(b.starts_at).date() for b in thomas.bookings.filter(status=BookingStatus.CONFIRMED)]
    assert len(days) >= 8
    assert {d.weekday() for d in days} == {1, 3}
    assert max(days) <= timezone.localdate() + dt.timedelta(days=31)
    assert all(b.agreement_id for b in thomas.bookings.all())

    others = BookingSeries.objects.exclude(pk=thomas.pk)
    assert others.count() == 3
    assert all(s.resource.telecentre.place.name != "Télécentre La Gare" for s in others)
    assert {s.resource.kind for s in others} == {"seat_pool", "office"}

    waiting = list(WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING))
    assert len(waiting) == 2
    pool = waiting[0].resource
    assert not availability.is_free(pool, waiting[0].starts_at, waiting[0].ends_at)
    assert mailoutbox == []

    assert demo.load() == dict.fromkeys(counts, 0)


def test_without_thomas_membership_his_series_is_skipped(network_ground):
    counts = demo.load()
    assert not Membership.objects.filter(member__email=demo_email(Role.TELEWORKER)).exists()
    assert not BookingSeries.objects.filter(member__email=demo_email(Role.TELEWORKER)).exists()
    assert counts["séries de réservations"] == 3


def test_without_anything_nothing_happens(db):
    assert set(demo.load().values()) == {0}
