"""The programme dashboard in Chromium: the programme manager sees the envelope and the map of
dossiers with its table, filters on a canton from the table, downloads the CSV; axe-core finds
no serious violation."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import axe_violations, format_violations

URL = "/aides/tableau-de-bord/"


@pytest.fixture
def dashboard_data(transactional_db: None) -> None:
    from cybercantal.grants.models import Status
    from cybercantal.grants.tests.factories import ProgrammeFactory
    from cybercantal.grants.tests.factories_followup import at, dossier
    from cybercantal.territory import geometry

    call_command("territory_import", verbosity=0)
    geometry.invalidate()
    programme = ProgrammeFactory(slug="auverdata", code="AUV", name="Auverdata")
    dossier(
        programme,
        status=Status.PAID,
        commune_name="Neuvéglise-sur-Truyère",
        computed="1600.00",
        decided="1600.00",
        paid="1600.00",
        submitted=at(2026, 1, 5),
        decided_at=at(2026, 1, 20),
        payment_on=date(2026, 2, 2),
        business_name="Scierie des Planèzes",
    )
    dossier(
        programme,
        status=Status.ACCEPTED,
        commune_name="Murat",
        computed="2000.00",
        decided="1800.00",
        submitted=at(2026, 2, 1),
        decided_at=at(2026, 2, 11),
    )
    dossier(programme, status=Status.SUBMITTED, commune_name="Murat", computed="900.00", submitted=at(2026, 3, 3))
    dossier(programme, status=Status.UNDER_REVIEW, commune_name="Ydes", computed="1200.00", submitted=at(2026, 3, 10))


def _sign_in_manager(context: BrowserContext, base_url: str) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from cybercantal.accounts.models import Role, RoleMembership, User

    user = User.objects.create_user("charge-programme@example.fr", "mot-de-passe-solide-2026", first_name="Camille")
    RoleMembership.objects.create(user=user, role=Role.PROGRAMME_MANAGER)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.mark.django_db(transaction=True)
def test_manager_sees_envelope_and_map_of_dossiers(page: Page, context: BrowserContext, live_server, dashboard_data):
    _sign_in_manager(context, live_server.url)
    response = page.goto(live_server.url + URL)
    assert response is not None
    assert response.ok
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord : Auverdata")
    # The envelope, in words next to its bar.
    expect(page.get_by_role("heading", name="Enveloppe budgétaire du dispositif")).to_be_visible()
    envelope = page.locator("section", has=page.get_by_role("heading", name="Enveloppe budgétaire du dispositif"))
    expect(envelope).to_contain_text("3\u202f400,00\u00a0€, soit 3 % du budget")
    expect(envelope).to_contain_text("96\u202f600,00\u00a0€")
    # The map of dossiers, then its table with every canton.
    expect(page.get_by_role("group", name="Carte des dossiers par canton : Auverdata")).to_be_visible()
    table = page.get_by_role("table", name="Dossiers et montants par canton — Auverdata, toutes années")
    expect(table).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(1 + 15 + 1)  # header, 15 cantons, total
    expect(table.get_by_role("row", name="Murat")).to_contain_text("2\u202f900,00\u00a0€")
    expect(table.get_by_role("row", name="Maurs")).to_contain_text("0,00\u00a0€")
    violations = axe_violations(page)
    assert not violations, format_violations({URL: violations})

    # A canton of the table filters the page on it; the map outlines it.
    table.get_by_role("link", name="Murat").click()
    page.wait_for_url("**canton=murat**")
    expect(page.get_by_text("canton de Murat.")).to_be_visible()
    expect(page.get_by_role("link", name="Murat (canton choisi)")).to_be_visible()
    expect(page.get_by_text("Canton sélectionné (contour épais)")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, format_violations({page.url: violations})

    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter les dossiers (CSV)").click()
    assert download.value.suggested_filename == "tableau-de-bord-auverdata-murat.csv"
    content = download.value.path().read_bytes().decode("utf-8-sig")
    assert content.count("\r\n") == 3  # header + the two dossiers of Murat
