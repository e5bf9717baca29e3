"""The procedures catalogue in a real browser: a person finds « Carte d'identité » by
searching without accents, asks where to get help from « murat » and sees the Murat kiosk
host first; axe-core finds no serious violation on the public and staff pages."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import axe_check_urls

PASSWORD = "mot-de-passe-solide-2026"


@pytest.fixture
def catalogue_data(directory_data):
    from cybercantal.kiosks.services.catalogue import procedures_seed

    procedures_seed()


def _manager(context: BrowserContext, base_url: str):
    from cybercantal.accounts.models import Role, RoleMembership, User

    user = User.objects.create_user("chef.programme@example.fr", PASSWORD, first_name="Claire", last_name="Vidal")
    RoleMembership.objects.create(user=user, role=Role.PROGRAMME_MANAGER)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    return user


@pytest.mark.django_db(transaction=True)
def test_find_identity_card_and_help_near_murat(page: Page, live_server, catalogue_data) -> None:
    page.goto(f"{live_server.url}/demarches/")
    page.get_by_label("Rechercher une démarche").fill("carte d identite")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="Carte d'identité", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Carte d'identité")).to_be_visible()
    expect(page.get_by_role("heading", name="Ce qu'il faut apporter")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Aller sur le site officiel"))).to_have_attribute(
        "href", "https://passeport.ants.gouv.fr/"
    )

    page.get_by_label("Votre commune").fill("murat")
    page.get_by_role("button", name="Trouver de l'aide").click()
    results = page.locator("#near-results")
    expect(results).to_contain_text("Les lieux les plus proches de Murat")
    first_kiosk_host = results.locator("ol").first.locator("li").first
    expect(first_kiosk_host).to_contain_text("Communauté de communes Hautes Terres")
    expect(first_kiosk_host).to_contain_text("km")
    first_kiosk_host.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/lieux/[\w-]+/$"))


@pytest.mark.django_db(transaction=True)
def test_unknown_commune_is_explained(page: Page, live_server, catalogue_data) -> None:
    page.goto(f"{live_server.url}/demarches/carte-identite/?commune=Trifouillis")
    expect(page.locator("#near-results")).to_contain_text("Aucune commune du département")


@pytest.mark.django_db(transaction=True)
def test_catalogue_pages_have_no_serious_violation(page: Page, context: BrowserContext, live_server, catalogue_data):
    from cybercantal.kiosks.models import Procedure
    from cybercantal.kiosks.services.catalogue import procedure_update, snapshot

    axe_check_urls(
        page,
        live_server.url,
        [
            "/demarches/",
            "/demarches/?q=retraite",
            "/demarches/?q=zzzz",
            "/demarches/carte-identite/",
            "/demarches/carte-identite/?commune=murat",
            "/demarches/carte-identite/?commune=saint",
        ],
    )
    manager = _manager(context, live_server.url)
    procedure = Procedure.objects.get(slug="carte-identite")
    procedure_update(
        actor=manager,
        procedure=procedure,
        **{**snapshot(procedure), "documents": procedure.documents + "\nUn acte de naissance"},
        comment="Ajout de l'acte de naissance",
    )
    Procedure.objects.filter(slug="passeport").update(link_ok=False, link_status="erreur 404")
    axe_check_urls(
        page,
        live_server.url,
        [
            "/demarches/gestion/",
            "/demarches/gestion/nouvelle/",
            "/demarches/gestion/carte-identite/modifier/",
            "/demarches/gestion/carte-identite/historique/",
        ],
    )
    # The edit form with errors too.
    page.goto(f"{live_server.url}/demarches/gestion/nouvelle/")
    page.get_by_label("Adresse du service en ligne officiel").fill("javascript:alert(1)")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("pas enregistrée")
    from e2e.axe import assert_no_violations

    assert_no_violations(page)
