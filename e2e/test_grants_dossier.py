"""A business follows its aid dossier: my dossiers, the dossier page, then the thread where it
answers the instructor with the keyboard only; axe-core on each page (and on the error state)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def sawmill():
    """The sawmill of Neuvéglise-sur-Truyère, its applicant, a dossier waiting for corrections and
    the instructor's unread message."""
    from cybercantal.accounts.models import Role, RoleMembership, User
    from cybercantal.grants.models import Status
    from cybercantal.grants.tests.factories import BusinessFactory, ProgrammeFactory
    from cybercantal.grants.tests.factories_dossier import dossier, message, private_note

    business = BusinessFactory(name="Scierie de la Truyère")
    applicant = User.objects.create_user(
        "scierie@example.fr", "mot-de-passe-solide-2026", first_name="Jeanne", last_name="Delpuech"
    )
    RoleMembership.objects.create(user=applicant, role=Role.BUSINESS_APPLICANT, scope=business)
    instructor = User.objects.create_user(
        "instructeur@example.fr", "mot-de-passe-solide-2026", first_name="Marc", last_name="Vidal"
    )
    RoleMembership.objects.create(user=instructor, role=Role.GRANT_INSTRUCTOR)
    programme = ProgrammeFactory(slug="auverdata", code="AUV", name="Auverdata")
    application = dossier(
        programme=programme,
        business=business,
        created_by=applicant,
        status=Status.CORRECTIONS,
        business_name="Scierie de la Truyère",
    )
    message(application, author=instructor, from_applicant=False, body="Merci d'envoyer un devis daté et signé.")
    private_note(application, author=instructor, text="Vérifier le fournisseur avant décision.")
    return applicant, application


@pytest.mark.django_db(transaction=True)
def test_applicant_follows_the_dossier_and_answers_with_the_keyboard(
    page: Page, context: BrowserContext, live_server, sawmill
) -> None:
    applicant, application = sawmill
    _sign_in(context, live_server.url, applicant)

    page.goto(live_server.url + "/aides/mes-dossiers/")
    expect(page.get_by_role("heading", name="Mes dossiers d’aide")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=application.reference)
    expect(row).to_contain_text("Corrections demandées")
    expect(row).to_contain_text("1 non lu")
    expect(row.get_by_role("link", name="Lire les messages")).to_be_visible()
    assert_no_violations(page)

    link = page.get_by_role("link", name=application.reference, exact=True)
    tab_to(page, link)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Dossier {application.reference}")).to_be_visible()
    expect(page.get_by_role("link", name="Corriger")).to_be_visible()
    expect(page.get_by_role("heading", name="Historique du dossier")).to_be_visible()
    expect(page.get_by_text("Vérifier le fournisseur")).to_have_count(0)
    assert_no_violations(page)

    tab_to(page, page.get_by_role("link", name="Lire les messages et écrire"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Messages du dossier {application.reference}")).to_be_visible()
    expect(page.get_by_text("Merci d'envoyer un devis daté et signé.")).to_be_visible()
    assert_no_violations(page)

    # Sending nothing: the French error next to the field, announced, axe-clean.
    tab_to(page, page.get_by_role("button", name="Envoyer le message"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Écrivez votre message.")
    assert_no_violations(page)

    box = page.get_by_label("Votre message")
    tab_to(page, box)
    assert_focus_visible(page)
    page.keyboard.type("Bonjour, voici le devis daté et signé.")
    tab_to(page, page.get_by_role("button", name="Envoyer le message"))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Votre message est envoyé.")).to_be_visible()
    expect(page.get_by_text("Bonjour, voici le devis daté et signé.")).to_be_visible()
    assert_no_violations(page)

    from cybercantal.grants.models import Message

    assert Message.objects.filter(application=application, from_applicant=True).count() == 1
    assert Message.objects.get(from_applicant=False).read_at is not None
