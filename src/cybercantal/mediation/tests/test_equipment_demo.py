"""The equipment demo data: collèges equipped by the Département, EPN inventories, idempotent."""

from __future__ import annotations

import re

import pytest

from cybercantal.mediation.demo import equipment as demo
from cybercantal.mediation.models import Equipment, EquipmentEvent, EquipmentStatus
from cybercantal.mediation.queries import equipment as queries
from cybercantal.places.models import Place, PlaceKind

pytestmark = pytest.mark.django_db


def test_demo_load_is_complete_and_idempotent(territory):
    from cybercantal.places.demo import load_demo_places

    load_demo_places()
    counts = demo.load()
    colleges = list(Place.objects.filter(kind=PlaceKind.COLLEGE))
    assert colleges
    buyer = demo.departement()
    assert buyer.kind == "departement"
    for college in colleges:
        items = Equipment.objects.filter(place=college)
        assert items.filter(kind="desktop").count() == 10
        assert items.filter(kind="printer").count() == 1
        assert items.filter(kind="projector").count() == 1
        assert set(items.values_list("bought_by", flat=True)) == {buyer.pk}
    epns = Place.objects.filter(kind=PlaceKind.EPN)
    for epn in epns:
        assert 3 <= Equipment.objects.filter(events__kind="acquired", events__to_place=epn).count() <= 8
    assert counts["équipements"] == Equipment.objects.count()
    assert Equipment.objects.filter(status=EquipmentStatus.IN_REPAIR).exists()
    assert Equipment.objects.filter(status=EquipmentStatus.RETIRED).exists()
    assert EquipmentEvent.objects.filter(kind="moved").exists()
    years = {item.bought_on.year for item in Equipment.objects.filter(place__kind=PlaceKind.COLLEGE)}
    assert len(years) >= 3
    forecast = queries.renewal_forecast(colleges_only=True)
    assert forecast.total.count >= 10 * len(colleges)

    events = EquipmentEvent.objects.count()
    again = demo.load()
    assert again == {"équipements": 0, "réparations": 0, "réformés": 0, "déplacements": 0}
    assert all(re.fullmatch(r"[a-zàâçéèêëîïôûùüÿœ' ]+", key) for key in counts), counts
    assert EquipmentEvent.objects.count() == events
