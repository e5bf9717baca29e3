"""The EPN statistics page in Chromium: axe-core with data, and the keyboard reaches the
filters and the downloads."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import axe_violations, format_violations
from e2e.keyboard import assert_focus_visible, tab_to

URL = "/mediation/statistiques/?annee=2025"


@pytest.fixture
def statistics_data(transactional_db: None) -> None:
    from cybercantal.mediation.tests import factories_statistics
    from cybercantal.places.tests.factories import PlaceFactory
    from cybercantal.territory.models import Commune

    call_command("territory_import", verbosity=0)
    ydes = Commune.objects.current().get(name="Ydes")
    murat = Commune.objects.current().get(name="Murat")
    epn = PlaceFactory(name="EPN du Pays Vert", commune=ydes, postal_code="15210")
    other = PlaceFactory(name="EPN du Lioran", commune=murat, postal_code="15300")
    factories_statistics.build(epn, other)


def _sign_in_manager(context: BrowserContext, base_url: str) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from cybercantal.accounts.models import Role, RoleMembership, User

    user = User.objects.create_user("chargee@example.fr", "mot-de-passe-solide-2026", first_name="Camille")
    RoleMembership.objects.create(user=user, role=Role.PROGRAMME_MANAGER)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.mark.django_db(transaction=True)
def test_statistics_page_has_no_serious_violation(page: Page, context: BrowserContext, live_server, statistics_data):
    _sign_in_manager(context, live_server.url)
    response = page.goto(live_server.url + URL)
    assert response is not None
    assert response.ok
    expect(page.get_by_role("heading", name="Statistiques du réseau des EPN")).to_be_visible()
    expect(page.get_by_role("img", name="Raisons du besoin d'aide")).to_be_visible()
    expect(page.get_by_role("table", name="Par lieu")).to_contain_text("EPN du Pays Vert")
    violations = axe_violations(page)
    assert not violations, format_violations({URL: violations})


@pytest.mark.django_db(transaction=True)
def test_keyboard_reaches_filters_and_exports(page: Page, context: BrowserContext, live_server, statistics_data):
    _sign_in_manager(context, live_server.url)
    page.goto(live_server.url + URL)
    for label in ("Année", "Du mois", "Au mois", "Canton", "EPN", "Thématique"):
        tab_to(page, page.get_by_label(label, exact=True))
        assert_focus_visible(page)
    tab_to(page, page.get_by_role("button", name="Afficher"))
    ods = page.get_by_role("link", name="Tous les tableaux (tableur ODS, une feuille par tableau)")
    tab_to(page, ods)
    assert_focus_visible(page)
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "statistiques-epn-2025.ods"
    tab_to(page, page.get_by_role("link", name="Par lieu (CSV)"))
    tab_to(page, page.get_by_role("link", name="Rapport d'activité 2025 du réseau (PDF)"))
    assert_focus_visible(page)

    # The filters work from the keyboard: choose a canton, submit with Enter.
    page.get_by_label("Canton", exact=True).select_option(label="Murat")
    page.get_by_label("Canton", exact=True).focus()
    page.get_by_role("button", name="Afficher").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**canton=murat**")
    expect(page.get_by_role("table", name="Par lieu")).to_contain_text("EPN du Lioran")
    expect(page.get_by_role("table", name="Par lieu")).not_to_contain_text("EPN du Pays Vert")
