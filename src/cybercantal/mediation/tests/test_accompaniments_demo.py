"""The demo accompaniments load on the demo places, respect the rules, and load once."""

from __future__ import annotations

import pytest
from django.db.models import F

from cybercantal.accounts.demo import demo_email, load_demo_accounts
from cybercantal.accounts.models import Role
from cybercantal.mediation import models as m
from cybercantal.mediation.demo.accompaniments import load
from cybercantal.places.demo import load_demo_places
from cybercantal.places.models import Place

pytestmark = pytest.mark.django_db


def test_demo_accompaniments_are_realistic_and_idempotent(territory):
    load_demo_places()
    ydes = Place.objects.get(name="EPN du Pays Vert")
    load_demo_accounts(
        scopes={Role.MEDIATOR: ydes, Role.KIOSK_AGENT: Place.objects.filter(offers__has="kiosk").first()}
    )
    first = load()
    assert first["accompagnements"] > 1000
    assert first["personnes suivies"] >= 2
    assert first["démarches à la borne"] > 0
    assert load() == {"accompagnements": 0, "personnes suivies": 0, "démarches à la borne": 0}
    records = m.Accompaniment.objects.all()
    assert (
        records.filter(kind="collective")
        .exclude(participants=F("gender_female") + F("gender_male") + F("gender_unknown"))
        .count()
        == 0
    )
    assert records.filter(kind="procedure", help_reason="").count() == 0
    assert records.filter(author__email=demo_email(Role.MEDIATOR), place=ydes).exists()
    assert len({theme for themes in records.values_list("themes", flat=True)[:2000] for theme in themes}) >= 10
    for person in m.Beneficiary.objects.all():
        assert person.consent_at is not None
        assert person.accompaniments.count() >= 2
