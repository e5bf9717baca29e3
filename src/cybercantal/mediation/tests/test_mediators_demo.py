"""Demo data of the mediators part: what it draws, and a second run creates nothing."""

from __future__ import annotations

import pytest

from cybercantal.accounts.demo import load_demo_accounts
from cybercantal.accounts.models import Role
from cybercantal.mediation.demo import mediators as demo
from cybercantal.mediation.models import HiringAid, LabelKind, Mediator, PlaceLabel
from cybercantal.mediation.queries import mediators as queries
from cybercantal.places.demo import load_demo_places
from cybercantal.places.models import Place, PlaceKind

pytestmark = pytest.mark.django_db


def test_demo_mediators_aids_and_labels(territory):
    load_demo_places()
    ydes = Place.objects.get(name="EPN du Pays Vert")
    load_demo_accounts({Role.MEDIATOR: ydes})
    counts = demo.load()
    assert 9 <= counts["médiateurs"] <= 11
    assert Mediator.objects.filter(user__email="mediateur@demo.cybercantal.fr").exists()
    assert counts["aides à l'embauche"] >= 5
    assert counts["versements d'aide"] >= 3
    assert not HiringAid.objects.filter(employer__kind="business").exists()
    summary = queries.programme()
    assert summary.total.paid <= summary.total.committed
    labels = {(label.kind, label.since.year) for label in PlaceLabel.objects.filter(place=ydes)}
    assert {(LabelKind.EPN, 2003), (LabelKind.NETPUBLIC, 2005)} <= labels
    ydes.refresh_from_db()
    assert "Label EPN" in ydes.autres_formations_labels
    assert "Conseillers numériques" in ydes.dispositif_programmes_nationaux
    # Every demo EPN holds labels; no other kind of place holds the EPN ones.
    assert not Place.objects.filter(kind=PlaceKind.EPN).exclude(labels__isnull=False).exists()
    assert (
        not PlaceLabel.objects.filter(kind=LabelKind.EPN)
        .exclude(place__kind=PlaceKind.EPN, place__offers__has="epn")
        .exclude(place__offers__has="epn")
        .exists()
    )
    # Mediators are spread over the EPN.
    places = queries.places_by_user(Mediator.objects.values_list("user_id", flat=True))
    assert len({place.pk for found in places.values() for place in found}) >= 10

    assert demo.load() == counts  # idempotent
