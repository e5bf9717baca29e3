"""The fleet pages with the other parts: the « aucun agent formé » flag (agents part) on the
dashboard, a kiosk's page and the coverage page, and the programme team's secondary nav
between the fleet, agents, statistics and catalogue pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from cybercantal.accounts.models import Role

from .factories import KioskFactory
from .factories_agents import make_agent, trained

pytestmark = pytest.mark.django_db


def _row(html: str, code: str) -> str:
    """The dashboard's table row of the kiosk ``code``."""
    match = re.search(rf'<tr>\s*<th scope="row"><a href="/bornes/{code}/">{code}</a>.*?</tr>', html, re.S)
    assert match, code
    return match.group(0)


@pytest.fixture
def murat_trained(kiosk, agent):
    """Murat's agent trained last month; Maurs (``other_kiosk``) has no agent at all."""
    trained(agent, on=timezone.localdate() - dt.timedelta(days=30))
    return kiosk


def test_dashboard_flags_kiosks_without_a_trained_agent_in_words(client, manager, murat_trained, other_kiosk):
    client.force_login(manager)
    html = client.get("/bornes/").content.decode()
    assert '<th scope="col">Agent formé</th>' in html
    assert "Aucun agent formé" in _row(html, "maurs")
    assert "Aucun agent formé" not in _row(html, "murat")
    assert "oui" in _row(html, "murat")


def test_flag_follows_an_overdue_refresher(client, manager, kiosk, agent, murat_place):
    trained(agent, on=timezone.localdate() - dt.timedelta(days=365 * 3))  # refresher overdue (24 months)
    client.force_login(manager)
    assert "Aucun agent formé" in _row(client.get("/bornes/").content.decode(), "murat")
    trained(make_agent(murat_place), on=timezone.localdate() - dt.timedelta(days=2))
    assert "Aucun agent formé" not in _row(client.get("/bornes/").content.decode(), "murat")


def test_kiosk_page_says_no_trained_agent_and_links_to_the_agents(client, manager, murat_trained, other_kiosk):
    client.force_login(manager)
    flagged = client.get("/bornes/maurs/").content.decode()
    assert "Aucun agent formé" in flagged
    assert "aucun agent de ce lieu n’a une formation valide" in flagged
    assert 'href="/bornes/agents/"' in flagged
    assert "Aucun agent formé" not in client.get("/bornes/murat/").content.decode()


def test_coverage_page_flags_the_canton_and_the_kiosk(client, manager, murat_trained, other_kiosk):
    client.force_login(manager)
    response = client.get("/bornes/couverture/")
    html = response.content.decode()
    entries = {e.canton.pk: e for e in response.context["entries"]}
    assert "untrained" in entries[other_kiosk.canton_id].flags
    assert "untrained" not in entries[murat_trained.canton_id].flags
    assert response.context["untrained"] == 1
    assert "1 canton avec une borne sans agent formé" in html
    assert "borne sans agent formé" in html
    assert re.search(r"maurs</a> — [^<]*aucun agent formé\)", html)
    assert not re.search(r"murat</a> — [^<]*aucun agent formé\)", html)


def test_flag_costs_at_most_one_query_more_on_the_dashboard(client, manager, kiosk, django_assert_max_num_queries):
    for number in range(30):
        place = KioskFactory(**({"place": kiosk.place} if number % 2 else {})).place
        trained(make_agent(place), on=timezone.localdate() - dt.timedelta(days=10))
    client.force_login(manager)
    client.get("/bornes/")  # warm the content-type cache
    with django_assert_max_num_queries(10):
        html = client.get("/bornes/").content.decode()
    assert html.count("Aucun agent formé") <= 25


PROGRAMME_PAGES = {
    "fleet": "/bornes/",
    "incidents": "/bornes/incidents/",
    "coverage": "/bornes/couverture/",
    "agents": "/bornes/agents/",
    "trainings": "/bornes/formations/",
    "statistics": "/bornes/statistiques/",
    "catalogue_manage": "/demarches/gestion/",
}


def test_programme_pages_link_to_each_other(client, manager, kiosk):
    client.force_login(manager)
    for name, url in PROGRAMME_PAGES.items():
        html = client.get(url).content.decode()
        nav = re.search(
            r'<nav class="account-nav programme-nav" aria-label="Programme des bornes">.*?</nav>', html, re.S
        )
        assert nav, url
        for other in PROGRAMME_PAGES.values():
            assert f'href="{other}"' in nav.group(0), (url, other)
        current = re.findall(r'href="([^"]+)" aria-current="page"', nav.group(0))
        assert current == [url], (name, current)


def test_agent_screen_has_no_programme_nav(client, kiosk, staff):
    client.force_login(staff(Role.KIOSK_AGENT, kiosk.place))
    assert "programme-nav" not in client.get("/bornes/agent/").content.decode()
