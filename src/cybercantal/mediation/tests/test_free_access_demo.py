"""The free-access demo: computers, a few bookings and a year of visits per EPN, once."""

from __future__ import annotations

import datetime as dt

from django.db.models import Avg
from django.utils import timezone

from cybercantal.mediation.demo import free_access as demo
from cybercantal.mediation.models import ComputerBooking, FreeAccessVisit, PublicComputer
from cybercantal.places.tests.factories import PlaceFactory


def test_demo_without_epn_does_nothing(db):
    assert demo.load() == {demo.COMPUTERS: 0, demo.BOOKINGS: 0, demo.VISIT_ROWS: 0}


def test_demo_is_realistic_and_idempotent(epn, other_epn):
    PlaceFactory(kind="mairie")  # not an EPN: left alone
    counts = demo.load()
    for place in (epn, other_epn):
        assert 2 <= PublicComputer.objects.filter(place=place).count() <= 4
    assert counts[demo.COMPUTERS] == PublicComputer.objects.count()
    assert counts[demo.BOOKINGS] == ComputerBooking.objects.count() > 0
    assert ComputerBooking.objects.filter(starts_at__lt=timezone.now()).count() == 0
    assert ComputerBooking.objects.exclude(email="").count() == 0  # no demo email leaves
    assert counts[demo.VISIT_ROWS] == FreeAccessVisit.objects.count()
    first = FreeAccessVisit.objects.order_by("date").first().date
    assert first <= timezone.localdate() - dt.timedelta(days=360)
    # epn opens Mo-Fr 09:00-12:00,14:00-17:30: no Sunday, no evening rows.
    assert not FreeAccessVisit.objects.filter(place=epn, slot="evening").exists()
    assert not FreeAccessVisit.objects.filter(place=epn, date__week_day=1).exists()
    wednesday = FreeAccessVisit.objects.filter(place=epn, date__week_day=4).aggregate(a=Avg("count"))["a"]
    monday = FreeAccessVisit.objects.filter(place=epn, date__week_day=2).aggregate(a=Avg("count"))["a"]
    assert wednesday > monday
    assert demo.load() == {demo.COMPUTERS: 0, demo.BOOKINGS: 0, demo.VISIT_ROWS: 0}
