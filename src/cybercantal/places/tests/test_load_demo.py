"""The demo command that `make run` calls: complete, scoped, idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from cybercantal.accounts.models import Role, RoleMembership, User
from cybercantal.places.models import Place, PlaceKind


def _run() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_load_demo_fills_scopes_and_is_idempotent(territory):
    """One test, because the demo takes a while to load: what the first run fills and
    prints, how staff are scoped, then a second run that adds and loses nothing."""
    output = _run()

    assert Place.objects.filter(kind=PlaceKind.TELECENTRE).count() == 7
    assert Place.objects.filter(kind=PlaceKind.EPN).count() >= 15
    for role in Role:
        assert User.objects.filter(memberships__role=role).exists(), role
        assert str(role.label) in output
    assert "cantal-demo-2026" in output
    assert "clé TOTP" in output

    place_type = ContentType.objects.get_for_model(Place)
    mediator = RoleMembership.objects.get(role=Role.MEDIATOR, user__email="mediateur@demo.cybercantal.fr")
    assert mediator.scope_type == place_type
    assert Place.objects.get(pk=mediator.scope_id).kind == PlaceKind.EPN
    agent = RoleMembership.objects.get(role=Role.KIOSK_AGENT, user__email="agent-borne@demo.cybercantal.fr")
    agent_place = Place.objects.get(pk=agent.scope_id)
    assert "kiosk" in agent_place.offers
    assert agent_place.commune.name == "Murat"  # where the kiosks' acceptance journey happens

    counts = (Place.objects.count(), User.objects.count(), RoleMembership.objects.count())
    edited = Place.objects.order_by("slug").first()
    edited.accessibility_details = "Rampe d'accès ajoutée par le gestionnaire"
    edited.save(update_fields=["accessibility_details"])

    _run()

    assert (Place.objects.count(), User.objects.count(), RoleMembership.objects.count()) == counts
    edited.refresh_from_db()
    assert edited.accessibility_details == "Rampe d'accès ajoutée par le gestionnaire"
