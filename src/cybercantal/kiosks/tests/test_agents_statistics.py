"""Statistics of the help given at kiosks, on a hand-made data set in two cantons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cybercantal.kiosks.models import Procedure, UsageCount
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
    with django_assert_max_num_queries(7):  # helps (3), usage per kiosk, viewed (2), months
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


# --- Which categories and procedures were viewed, month by month (issue 5 §4) -----------------


@pytest.fixture
def viewed(data):
    kiosk, other_kiosk = data
    Procedure.objects.create(
        slug="carte-identite",
        title="Carte d'identité",
        category="identity",
        summary="Demander ou renouveler sa carte.",
        official_url="https://www.service-public.gouv.fr/",
    )
    for target, day, metric, key, count in (
        (kiosk, dt.date(2026, 3, 11), "category", "money", 3),
        (kiosk, dt.date(2026, 1, 5), "session", "", 5),
        (kiosk, dt.date(2026, 1, 5), "category", "identity", 2),
        (kiosk, dt.date(2026, 1, 5), "procedure", "passeport", 9),
        (other_kiosk, dt.date(2026, 3, 12), "category", "work", 6),
        (other_kiosk, dt.date(2026, 3, 12), "procedure", "rsa", 4),
        (other_kiosk, dt.date(2026, 12, 31), "help_request", "", 2),
    ):
        UsageCount.objects.create(kiosk=target, date=day, metric=metric, key=key, count=count)
    return kiosk, other_kiosk


def test_categories_and_procedures_viewed(viewed, django_assert_max_num_queries):
    kiosk, other_kiosk = viewed
    with django_assert_max_num_queries(7):
        stats = queries.statistics(year=2026, month=3)
    assert [(r.key, r.count) for r in stats.categories_viewed] == [("identity", 12), ("work", 6), ("money", 3)]
    assert stats.categories_viewed[0].label == "Papiers d'identité"
    assert [(r.label, r.count) for r in stats.procedures_viewed] == [("Carte d'identité", 7), ("rsa", 4)]
    # Whole year, one kiosk: passeport (January) comes first; Maurs' procedures are left out.
    stats = queries.statistics(year=2026, kiosk=kiosk)
    assert [(r.key, r.count) for r in stats.procedures_viewed] == [("passeport", 9), ("carte-identite", 7)]
    assert stats.overall.label.startswith("murat — ")
    assert stats.overall.total == 4
    # One canton.
    stats = queries.statistics(year=2026, canton=other_kiosk.canton)
    assert [r.key for r in stats.categories_viewed] == ["work"]


def test_month_by_month_per_kiosk_and_canton(viewed, django_assert_max_num_queries):
    kiosk, other_kiosk = viewed
    with django_assert_max_num_queries(7):
        stats = queries.statistics(year=2026, month=3)  # the month tables still cover the year
    assert [m.month for m in stats.months.months] == list(range(1, 13))
    january, march, december = stats.months.months[0], stats.months.months[2], stats.months.months[11]
    assert (january.sessions, january.categories, january.procedures, january.help_requests) == (5, 2, 9, 0)
    assert (march.sessions, march.categories, march.procedures, march.help_requests) == (41, 21, 11, 4)
    assert december.help_requests == 2
    assert stats.months.total.sessions == 46
    per_canton = {t.label: t for t in stats.months_per_canton}
    assert per_canton[kiosk.canton.name].months[2].sessions == 30
    assert per_canton[other_kiosk.canton.name].months[11].help_requests == 2
    per_kiosk = {t.label.split(" — ")[0]: t for t in stats.months_per_kiosk}
    assert per_kiosk["maurs"].months[2].categories == 6
    assert per_kiosk["murat"].total.procedures == 16
    # 2025 is not mixed in.
    assert queries.statistics(year=2025).months.months[5].sessions == 99


def test_statistics_page_shows_viewed_and_months(client, manager, viewed, django_assert_max_num_queries):
    kiosk, _other = viewed
    client.force_login(manager)
    url = reverse("kiosks:statistics")
    client.get(url, {"annee": "2026"})  # warm the session and permission caches
    with django_assert_max_num_queries(20):
        page = client.get(url, {"annee": "2026"}).content.decode()
    assert "Catégories ouvertes aux bornes" in page
    assert '<th scope="row">Carte d&#x27;identité</th><td>7</td>' in page
    assert "Usage des bornes mois par mois en 2026 — Tout le département" in page
    assert '<th scope="row">Mars</th><td>41</td><td>21</td><td>11</td><td>4</td>' in page
    assert "Mois par mois, par canton" in page
    assert "Mois par mois, par borne" in page
    page = client.get(url, {"annee": "2026", "borne": kiosk.code}).content.decode()
    assert '<th scope="row">Mars</th><td>30</td><td>15</td><td>7</td><td>4</td>' in page
    assert "rsa" not in page
    text = client.get(reverse("kiosks:statistics_csv"), {"annee": "2026"}).content.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert "Catégorie consultée;Consultations" in lines
    assert "Papiers d'identité;14" in lines
    assert "Carte d'identité;carte-identite;7" in lines
    assert "Portée;Canton;Mois;Sessions;Catégories consultées;Démarches consultées;Demandes d'aide" in lines
    assert "Sélection : Tout le département;;2026-03;41;21;11;4" in lines
    assert any(line.startswith("Borne : maurs — ") and line.endswith(";2026-12;0;0;0;2") for line in lines)
