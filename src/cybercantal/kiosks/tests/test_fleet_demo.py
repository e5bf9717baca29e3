"""The demo fleet: idempotent, the coverage gaps and yesterday's two outages are there."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cybercantal.kiosks.demo import fleet as demo
from cybercantal.kiosks.models import Heartbeat, Incident, Kiosk, KioskStatus, UptimeDay
from cybercantal.kiosks.queries import fleet as queries

pytestmark = pytest.mark.django_db


def test_demo_fleet_is_idempotent_and_tells_the_story(territory):
    from cybercantal.places.demo import load_demo_places

    load_demo_places()
    first = demo.load()
    assert first["bornes"] == 13
    again = demo.load()
    assert again["bornes"] == 0
    assert again["coupures"] == 0
    assert Kiosk.objects.count() == 13
    assert {"murat", "maurs", "aurillac-cap"} <= set(Kiosk.objects.values_list("code", flat=True))
    assert Kiosk.objects.get(status=KioskStatus.OUT_OF_SERVICE).status_note
    assert Heartbeat.objects.filter(kiosk__code="murat").count() > 2 * 1400
    assert not Heartbeat.objects.filter(kiosk__code="laroquebrou").exists()
    assert UptimeDay.objects.filter(kiosk__code="murat").count() == demo.UPTIME_DAYS

    day = demo.last_open_day(timezone.localdate())
    incidents = list(queries.incidents_of_day(day))
    assert {i.kiosk.code for i in incidents} == {"maurs", "riom-es-montagnes"}
    assert all(i.cause and i.ended_at for i in incidents)
    maurs = UptimeDay.objects.get(kiosk__code="maurs", date=day)
    assert maurs.online_open_minutes == maurs.open_minutes - 90

    coverage = {e.canton.name: e for e in queries.coverage()}
    without = {name for name, e in coverage.items() if "none" in e.flags}
    assert any("Neuvéglise" in name for name in without)
    assert any("Ydes" in name for name in without)
    assert any("out_of_service" in e.flags for e in coverage.values())
    assert Incident.objects.count() == 2
