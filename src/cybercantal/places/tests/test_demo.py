"""Demo places: counts, idempotence, points inside their commune, the coverage gaps."""

from __future__ import annotations

import pytest

from cybercantal.places import queries
from cybercantal.places.demo import load_demo_places
from cybercantal.places.models import Place, PlaceKind, PlaceOffer
from cybercantal.territory.queries import lookup_point

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(cantal):
    return load_demo_places()


def test_counts(demo):
    assert demo == {"created": Place.objects.count(), "existing": 0}
    published = Place.objects.published()
    assert published.filter(kind=PlaceKind.TELECENTRE).count() == 7
    assert 18 <= published.filter(offers__has=PlaceOffer.EPN).count() <= 22
    assert 20 <= published.filter(kind=PlaceKind.COLLEGE).count() <= 24
    assert 3 <= published.filter(kind=PlaceKind.FRANCE_SERVICES).count() <= 6
    assert published.filter(commune__name="Riom-ès-Montagnes").count() >= 3
    assert published.filter(offers__has=PlaceOffer.KIOSK).count() == 13


def test_one_kiosk_host_per_canton_with_two_gaps(demo):
    rows = queries.coverage()
    assert len(rows) == 15
    without_kiosk = sorted(row.canton.name for row in rows if not row.has_kiosk)
    without_epn = sorted(row.canton.name for row in rows if not row.has_epn)
    assert without_kiosk == ["Neuvéglise", "Ydes"]
    assert without_epn == ["Neuvéglise", "Saint-Paul-des-Landes"]
    assert sum(1 for row in rows if row.promise == "both") == 12


def test_idempotent(demo):
    before = dict(Place.objects.values_list("slug", "latitude"))
    assert load_demo_places() == {"created": 0, "existing": len(before)}
    assert dict(Place.objects.values_list("slug", "latitude")) == before


def test_every_point_is_inside_its_commune_and_canton(demo):
    for place in Place.objects.select_related("commune", "canton"):
        assert place.latitude is not None, place.name
        found = lookup_point(place.latitude, place.longitude)
        assert found.commune == place.commune, place.name
        assert found.canton == place.canton, place.name


def test_searching_riom_es_montagnes_finds_the_demo_places(demo):
    names = [place.name for place in queries.directory(text="riom es montagnes")]
    assert "EPN La Fontaine" in names
    assert "Télécentre La Grange" in names
    assert len(names) >= 3


def test_hours_and_national_fields_are_filled(demo):
    for place in Place.objects.all():
        assert place.opening_hours, place.name
        assert place.opening_slots.exists(), place.name
        assert len(place.pivot) == 14
    epn = Place.objects.get(name="EPN La Fontaine")
    assert "Aide aux démarches administratives" in epn.services
    assert epn.frais_a_charge == ["Gratuit"]
