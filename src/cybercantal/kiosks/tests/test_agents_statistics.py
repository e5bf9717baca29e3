"""Statistics of the help given at kiosks, on a hand-made data set in two cantons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cybercantal.kiosks.models import UsageCount
from cybercantal.kiosks.queries import agents as queries
from cybercantal.mediation.models import Accompaniment

from .factories_agents import kiosk_record, make_agent

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)


@pytest.fixture
def data(kiosk, other_kiosk, agent):
    maurs_agent = make_agent(other_kiosk.place)
    # Murat: 4 helps in March 2026 (trust x2, know_how, no_equipment), 1 in 2025.
    kiosk_record(kiosk, agent, day=DAY, reason="trust", outcome="completed", themes=["papers", "money"])
    kiosk_record(kiosk, agent, day=DAY, reason="trust", outcome="started")
    kiosk_record(kiosk, agent, day=DAY + dt.timedelta(days=5), reason="know_how", outcome="completed", themes=["money"])
    kiosk_record(kiosk, agent, day=dt.date(2026, 4, 2), reason="no_equipment", outcome="redirected")
    kiosk_record(kiosk, agent, day=dt.date(2025, 12, 31), reason="other", outcome="completed")
    # Maurs: 2 in March 2026.
    kiosk_record(other_kiosk, maurs_agent, day=DAY, reason="know_how", outcome="completed", themes=["work"])
    kiosk_record(other_kiosk, maurs_agent, day=DAY, reason="other", outcome="redirected", themes=["work"])
    # Not a kiosk help: an EPN procedure without kiosk id does not count.
    record = kiosk_record(kiosk, agent, day=DAY, reason="trust", outcome="completed")
    Accompaniment.objects.filter(pk=record.pk).update(kiosk_id=None)
    for target, metric, key, count in (
        (kiosk, "session", "", 30),
        (kiosk, "help_request", "", 4),
        (kiosk, "category", "identity", 12),
        (kiosk, "procedure", "carte-identite", 7),
        (other_kiosk, "session", "", 11),
    ):
        UsageCount.objects.create(kiosk=target, date=DAY, metric=metric, key=key, count=count)
    UsageCount.objects.create(kiosk=kiosk, date=dt.date(2025, 6, 1), metric="session", count=99)
    return kiosk, other_kiosk


def test_whole_year_per_canton(data, django_assert_max_num_queries):
    kiosk, other_kiosk = data
    with django_assert_max_num_queries(6):
        stats = queries.statistics(year=2026)
    assert stats.overall.total == 6
    assert stats.overall.reasons == {"no_equipment": 1, "know_how": 2, "trust": 2, "other": 1}
    assert stats.overall.outcomes == {"completed": 3, "started": 1, "redirected": 2}
    assert stats.overall.themes["papers"] == 3
    assert stats.overall.themes["money"] == 2
    assert stats.overall.themes["work"] == 2
    by_canton = {b.label: b for b in stats.per_canton}
    murat, maurs = by_canton[kiosk.canton.name], by_canton[other_kiosk.canton.name]
    assert murat.total == 4
    assert murat.reasons["trust"] == 2
    assert murat.outcomes["redirected"] == 1
    assert maurs.total == 2
    assert maurs.reasons == {"no_equipment": 0, "know_how": 1, "trust": 0, "other": 1}
    usage = {row.label.split(" — ")[0]: row for row in stats.usage_per_kiosk}
    assert (usage["murat"].sessions, usage["murat"].help_requests) == (30, 4)
    assert (usage["murat"].categories, usage["murat"].procedures) == (12, 7)
    assert usage["maurs"].sessions == 11


def test_month_and_canton_filters(data):
    kiosk, _other = data
    stats = queries.statistics(year=2026, month=3, canton=kiosk.canton)
    assert stats.overall.total == 3
    assert stats.overall.label == kiosk.canton.name
    assert stats.overall.reasons["trust"] == 2
    assert [b.label for b in stats.per_canton] == [kiosk.canton.name]
    assert queries.statistics(year=2025).overall.total == 1
    assert queries.statistics(year=2025).usage_per_kiosk[0].sessions == 99


def test_percent_in_french():
    assert queries.percent(1, 3) == "33,3\u00a0%"
    assert queries.percent(2, 4) == "50\u00a0%"
    assert queries.percent(1, 0) == "—"


def test_statistics_page_and_csv(client, manager, data):
    kiosk, _other = data
    client.force_login(manager)
    page = client.get(reverse("kiosks:statistics"), {"annee": "2026", "mois": "3"}).content.decode()
    assert "<caption>Raisons du besoin d’aide</caption>" in page
    assert "<svg" in page
    assert 'role="img"' in page
    assert "Manque de confiance" in page
    assert "2 (40\u00a0%)" in page
    response = client.get(reverse("kiosks:statistics_csv"), {"annee": "2026", "canton": kiosk.canton.slug})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0].startswith("Canton;Aides à la borne;Minutes;Raison : Pas d'équipement")
    assert lines[1].startswith(f"{kiosk.canton.name};4;60;1;1;2;0")
    assert any(line.startswith("murat — ") and ";30;4;12;7" in line for line in lines)
