"""Employer agreements in the browser: the employer's HR manager names an employee with the
keyboard only; the employee signs in on her phone and joins the agreement at Murat. axe-core
on every page visited (with the error summary of the employee form)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def laiterie(transactional_db):
    from cybercantal.accounts.models import Organisation, Role
    from cybercantal.accounts.tests.factories import OrganisationFactory, UserFactory
    from cybercantal.places.tests.factories import grant
    from cybercantal.telework.tests.factories import AgreementFactory, TelecentreFactory

    murat = TelecentreFactory(place__name="Télécentre La Gare", place__commune__name="Murat")
    saint_flour = TelecentreFactory(place__name="Télécentre La Halle aux Grains", place__commune__name="Saint-Flour")
    employer = OrganisationFactory(name="Laiterie des Monts", kind=Organisation.Kind.EMPLOYER)
    hr = UserFactory(email="rh@laiterie-des-monts.fr", first_name="Sophie", last_name="Roux")
    grant(hr, Role.EMPLOYER_MANAGER, employer)
    agreement = AgreementFactory(
        employer=employer, telecentres=[murat, saint_flour], reference="CONV-2026-007", days_per_week=2
    )
    # Claire has signed up and verified her professional address (allauth).
    claire = UserFactory(email="claire.vidal@laiterie-des-monts.fr", first_name="Claire", last_name="Vidal")
    return agreement, hr, claire, murat


@pytest.mark.django_db(transaction=True)
def test_the_employer_names_an_employee_who_joins_from_her_phone(
    page: Page, context: BrowserContext, live_server, laiterie
) -> None:
    from cybercantal.telework.models import AgreementEmployee, Membership

    agreement, hr, claire, murat = laiterie

    # The HR manager: her space, the agreement, the employee form with the keyboard only.
    _sign_in(context, live_server.url, hr)
    page.goto(f"{live_server.url}/telecentres/employeur/")
    expect(page.get_by_role("heading", name="Espace employeur")).to_be_visible()
    assert_no_violations(page)
    page.get_by_role("link", name="CONV-2026-007").click()
    expect(page.get_by_role("heading", name="Convention CONV-2026-007 — Laiterie des Monts")).to_be_visible()
    assert_no_violations(page)

    # An empty form first: the error summary, then the fields, typed with the keyboard.
    tab_to(page, page.get_by_role("button", name="Ajouter le salarié"))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Rien n’est envoyé : corrigez les champs signalés.")).to_be_visible()
    expect(page.get_by_text("Indiquez le prénom.").first).to_be_visible()
    assert_no_violations(page)

    page.get_by_role("link", name="Prénom").click()  # the summary's link takes the focus to the field
    expect(page.get_by_label("Prénom")).to_be_focused()
    page.keyboard.type("Claire")
    page.keyboard.press("Tab")
    expect(page.locator("#id_last_name")).to_be_focused()
    page.keyboard.type("Vidal")
    page.keyboard.press("Tab")
    page.keyboard.type("Claire.Vidal@Laiterie-des-Monts.fr")
    page.keyboard.press("Enter")
    expect(
        page.get_by_text("Claire Vidal est ajouté(e). L'invitation part à claire.vidal@laiterie-des-monts.fr.")
    ).to_be_visible()
    expect(page.get_by_role("cell", name="Invitation en attente", exact=False)).to_be_visible()
    assert_no_violations(page)
    employee = AgreementEmployee.objects.get(agreement=agreement)
    assert employee.email == "claire.vidal@laiterie-des-monts.fr"

    # Claire, on her phone: the invitation, Murat, joined.
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(context, live_server.url, claire)
    page.goto(f"{live_server.url}/telecentres/rejoindre/")
    expect(page.get_by_role("heading", name="Laiterie des Monts")).to_be_visible()
    assert_no_violations(page)
    page.get_by_role("link", name="Rejoindre Laiterie des Monts").click()
    expect(page.get_by_role("heading", name="Rejoindre la convention de Laiterie des Monts")).to_be_visible()
    assert_no_violations(page)
    page.get_by_role("button", name="Rejoindre la convention").click()
    expect(page.get_by_text("Choisissez le télécentre où vous travaillerez.").first).to_be_visible()
    assert_no_violations(page)
    page.get_by_label("Télécentre La Gare").check()
    page.get_by_role("button", name="Rejoindre la convention").click()
    expect(
        page.get_by_text("Bienvenue ! Laiterie des Monts prend en charge vos journées au Télécentre La Gare.")
    ).to_be_visible()

    membership = Membership.objects.get(member=claire)
    assert (membership.telecentre, membership.agreement, membership.plan) == (murat, agreement, None)
    employee.refresh_from_db()
    assert employee.user == claire

    page.goto(f"{live_server.url}/telecentres/rejoindre/")
    expect(page.get_by_role("heading", name="Mes conventions")).to_be_visible()
    expect(page.get_by_role("link", name="Ajouter un télécentre", exact=False)).to_be_visible()
    assert_no_violations(page)

    # Back to the HR manager: Claire has joined.
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(context, live_server.url, hr)
    page.goto(f"{live_server.url}/telecentres/employeur/conventions/{agreement.pk}/")
    expect(page.get_by_role("cell", name="A rejoint le", exact=False)).to_be_visible()
    expect(page.get_by_role("cell", name="Télécentre La Gare")).to_be_visible()
    assert_no_violations(page)
