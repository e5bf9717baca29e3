"""Grant programmes in a real browser: a business owner finds Auverdata on /aides/, reads what
the aid covers and the coverage rule; the programme manager sees the envelope, is told next to
the field that the budget cannot go below what is committed, then adds a category. axe-core
finds no serious violation on the list, the programme page and the edit form (with errors)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import assert_no_violations, axe_check_urls

PASSWORD = "mot-de-passe-solide-2026"


@pytest.fixture
def auverdata(db):
    from cybercantal.grants.demo import programmes as demo
    from cybercantal.grants.models import GrantProgramme, Status
    from cybercantal.grants.tests.factories import ApplicationFactory

    demo.load()
    programme = GrantProgramme.objects.get(slug="auverdata")
    ApplicationFactory(
        programme=programme, status=Status.ACCEPTED, computed_aid=Decimal("12000"), decided_amount=Decimal("12000")
    )
    return programme


def _manager(context: BrowserContext, base_url: str):
    from cybercantal.accounts.models import Role, RoleMembership, User

    user = User.objects.create_user("charge.aides@example.fr", PASSWORD, first_name="Claire", last_name="Vidal")
    RoleMembership.objects.create(user=user, role=Role.PROGRAMME_MANAGER)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    return user


@pytest.mark.django_db(transaction=True)
def test_business_reads_auverdata_and_manager_edits_it(page: Page, context: BrowserContext, live_server, auverdata):
    page.goto(f"{live_server.url}/aides/")
    expect(page.get_by_role("heading", level=2, name="Auverdata")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"L'aide couvre 50\s%\sde vos dépenses éligibles, jusqu'à 2\s500\s€"))
    ).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Vérifier mon éligibilité"))).to_have_attribute(
        "href", re.compile(r"/aides/eligibilite/\?dispositif=auverdata$")
    )
    assert_no_violations(page)

    page.get_by_role("link", name="Auverdata", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Auverdata")).to_be_visible()
    expect(page.get_by_text(re.compile(r"n'ont pas accès à un débit filaire d'au moins 3\sMbit/s"))).to_be_visible()
    expect(page.get_by_text("Les locaux sont situés dans le Cantal.")).to_be_visible()
    expect(page.get_by_text("Abonnement mensuel")).to_be_visible()
    expect(page.get_by_label("Part de l'enveloppe déjà engagée")).to_be_visible()
    expect(page.locator("#envelope-text")).to_contain_text("déjà engagés")
    assert_no_violations(page)

    _manager(context, live_server.url)
    axe_check_urls(page, live_server.url, ["/aides/gestion/dispositifs/", "/aides/gestion/dispositifs/nouveau/"])
    page.goto(f"{live_server.url}/aides/gestion/dispositifs/")
    page.get_by_role("link", name="Modifier « Auverdata »").click()
    budget = page.get_by_label("Enveloppe budgétaire (€)")
    expect(budget).to_have_value(re.compile(r"^150\s?000[,.]00$"))
    budget.fill("10 000")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("pas enregistré")
    expect(page.get_by_label("Enveloppe budgétaire (€)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text(re.compile(r"ne peut pas être inférieure aux 12\s000,00\s€ déjà engagés"))).to_be_visible()
    assert_no_violations(page)

    page.get_by_label("Enveloppe budgétaire (€)").fill("160000")
    page.get_by_role("group", name="Nouvelle catégorie (6)").get_by_label("Libellé").fill("Mât et fixations")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("est enregistré")
    page.goto(f"{live_server.url}/aides/dispositifs/auverdata/")
    expect(page.get_by_text("Mât et fixations")).to_be_visible()
    expect(page.locator("#envelope-text")).to_contain_text("160")
