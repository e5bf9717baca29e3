"""The agents' demo data loads on the demo places and fleet, follows the rules, loads once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cybercantal.accounts.demo import demo_email, load_demo_accounts
from cybercantal.accounts.models import Role
from cybercantal.kiosks.demo import agents as demo
from cybercantal.kiosks.demo import fleet as fleet_demo
from cybercantal.kiosks.models import HelpRequest, Kiosk
from cybercantal.kiosks.queries import agents as queries
from cybercantal.mediation.models import Accompaniment
from cybercantal.places.demo import load_demo_places
from cybercantal.places.models import Place

pytestmark = pytest.mark.django_db


def test_demo_agents_trainings_and_help(territory):
    load_demo_places()
    load_demo_accounts(scopes={Role.KIOSK_AGENT: Place.objects.filter(offers__has="kiosk").order_by("slug").first()})
    fleet_demo.load()
    first = demo.load()
    assert 6 <= first["agents de borne"] <= 10
    assert first["formations"] >= 3
    assert first["demandes d'aide"] >= 1
    assert first["aides à la borne"] > 100
    assert demo.load() == {"agents de borne": 0, "formations": 0, "demandes d'aide": 0, "aides à la borne": 0}

    rows = queries.agent_rows()
    assert any(row.overdue for row in rows), "one place's agent is overdue"
    demo_row = next(row for row in rows if row.user.email == demo_email(Role.KIOSK_AGENT))
    assert demo_row.valid
    assert all(row.user.email.endswith(("@example.fr", "@demo.cybercantal.fr")) for row in rows)
    flagged = queries.untrained_kiosks()
    staffed = {row.place.pk for row in rows}
    assert any(kiosk.place_id not in staffed for kiosk in flagged), "one place has no agent"
    # Today's open requests are at the demo agent's kiosk.
    today = HelpRequest.objects.filter(created_at__date=timezone.localdate(), status="open")
    assert today.exists()
    assert all(r.kiosk.place_id == demo_row.place.pk for r in today)
    # Records respect the accompaniment rules.
    records = Accompaniment.objects.filter(kiosk_id__in=Kiosk.objects.values("pk"))
    assert records.filter(kind="procedure").count() == records.count()
    assert not records.filter(help_reason="").exists()
    assert not records.filter(outcome="").exists()
    assert not records.exclude(participants=1).exists()
    assert set(records.values_list("help_reason", flat=True)) == {"no_equipment", "know_how", "trust", "other"}
