"""Mediators, hiring aid and labels in the browser: the programme team's pages pass axe-core,
and the directory's page of an EPN shows its labels."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import axe_check_urls

PASSWORD = "mot-de-passe-solide-2026"


def _sign_in_manager(context: BrowserContext, base_url: str) -> None:
    from cybercantal.accounts.models import Role, RoleMembership, User

    user = User.objects.create_user("chargee@example.fr", PASSWORD, first_name="Élise", last_name="Meynial")
    RoleMembership.objects.create(user=user, role=Role.PROGRAMME_MANAGER)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def mediators_data(directory_data) -> None:
    from cybercantal.mediation.demo import mediators

    mediators.load()


@pytest.mark.django_db(transaction=True)
def test_mediator_pages_have_no_serious_violation(
    page: Page, context: BrowserContext, live_server, mediators_data
) -> None:
    from cybercantal.mediation.models import HiringAid, Mediator
    from cybercantal.places.models import Place

    _sign_in_manager(context, live_server.url)
    aid = HiringAid.objects.filter(payments__isnull=False).order_by("pk").first()
    mediator = Mediator.objects.get(pk=aid.mediator_id)
    place = Place.objects.get(name="EPN du Pays Vert")

    page.goto(live_server.url + "/mediation/mediateurs/")
    expect(page.get_by_role("heading", level=1, name="Médiateurs numériques")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("EPN du Pays Vert")

    page.goto(f"{live_server.url}/mediation/aides-embauche/{aid.pk}/")
    page.get_by_label("Montant (€)").fill("999999")
    page.get_by_role("button", name="Enregistrer le versement").click()
    expect(page.get_by_text(re.compile("Ce versement dépasserait le montant engagé"))).to_be_visible()

    axe_check_urls(
        page,
        live_server.url,
        [
            "/mediation/mediateurs/",
            f"/mediation/mediateurs/{mediator.pk}/",
            "/mediation/mediateurs/nouveau/",
            f"/mediation/mediateurs/{mediator.pk}/aides/nouvelle/",
            f"/mediation/aides-embauche/{aid.pk}/",
            "/mediation/aides-embauche/",
            "/mediation/labels/",
            f"/mediation/labels/lieu/{place.slug}/ajouter/",
        ],
    )


@pytest.mark.django_db(transaction=True)
def test_the_directory_page_of_an_epn_shows_its_labels(page: Page, live_server, mediators_data) -> None:
    from cybercantal.places.models import Place

    place = Place.objects.get(name="EPN du Pays Vert")
    page.goto(f"{live_server.url}/lieux/{place.slug}/")
    expect(page.get_by_role("heading", level=2, name="Labels")).to_be_visible()
    section = page.locator("section", has=page.get_by_role("heading", name="Labels"))
    expect(section.get_by_role("listitem").filter(has_text="Label EPN depuis 2003")).to_be_visible()
    expect(section.get_by_role("listitem").filter(has_text="Charte NetPublic depuis 2005")).to_be_visible()
    axe_check_urls(page, live_server.url, [f"/lieux/{place.slug}/"])
