"""The kiosk statistics page ``/bornes/statistiques/`` in Chromium with data in it: the demo
fleet, its agents and six months of help recorded at the kiosks, and 60 days of anonymous
usage. axe-core on the page as a whole year, one canton, one kiosk and one month (the tables
per canton, the reasons chart, the viewed categories and procedures, the month-by-month
tables), with the programme manager signed in (TOTP active)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import axe_check_urls
from e2e.test_every_page_axe import _sign_in


@pytest.fixture
def statistics_data(directory_data) -> None:
    from cybercantal.kiosks.demo import agents, catalogue, fleet, kiosk_mode

    fleet.load()
    catalogue.load()
    agents.load()
    kiosk_mode.load()


@pytest.mark.django_db(transaction=True)
def test_statistics_page_with_data_passes_axe(
    page: Page, context: BrowserContext, live_server, statistics_data
) -> None:
    from cybercantal.kiosks.models import Kiosk
    from cybercantal.mediation.models import Accompaniment

    assert Accompaniment.objects.exclude(kiosk_id=None).exists()
    murat = Kiosk.objects.select_related("canton").get(code="murat")
    today = timezone.localdate()
    _sign_in(context, live_server.url, role="programme_manager")

    page.goto(f"{live_server.url}/bornes/statistiques/?annee={today.year}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text("Manque de confiance").first).to_be_visible()
    expect(page.get_by_role("cell", name=murat.canton.name).first).to_be_visible()

    axe_check_urls(
        page,
        live_server.url,
        [
            f"/bornes/statistiques/?annee={today.year}",
            f"/bornes/statistiques/?annee={today.year}&canton={murat.canton_id}",
            f"/bornes/statistiques/?annee={today.year}&borne={murat.pk}",
            f"/bornes/statistiques/?annee={today.year}&mois={today.month}",
        ],
    )
