"""An operator's invoicing details in the browser: the telecentre's manager sees on the
management page that the operator's invoice mentions are missing, follows the link, sends a
wrong SIRET (the error summary, axe-core on it), corrects it with the keyboard and saves."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import assert_no_violations


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


def _manager(scope):
    from django.contrib.contenttypes.models import ContentType

    from cybercantal.accounts.models import RoleMembership, User

    user = User.objects.create_user(
        "gare@example.fr", "mot-de-passe-solide-2026", first_name="Sylvie", last_name="Bonnet"
    )
    RoleMembership.objects.create(
        user=user,
        role="telecentre_manager",
        scope_type=ContentType.objects.get_for_model(scope),
        scope_id=scope.pk,
    )
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.mark.django_db(transaction=True)
def test_manager_fills_in_the_operator_invoice_mentions(page: Page, context: BrowserContext, live_server) -> None:
    from cybercantal.telework.models import OperatorBilling
    from cybercantal.telework.tests.factories import OperatorFactory, TelecentreFactory

    telecentre = TelecentreFactory(operator=OperatorFactory(name="SCIC Volcans Numériques"))
    operator = telecentre.operator
    OperatorBilling.objects.filter(operator=operator).delete()
    _sign_in(context, live_server.url, _manager(telecentre.place))

    page.goto(f"{live_server.url}/telecentres/gestion/{telecentre.slug}/")
    expect(page.get_by_role("heading", name="Mentions des factures de l’exploitant")).to_be_visible()
    expect(page.get_by_text("aucune facture ne peut être émise pour ce télécentre")).to_be_visible()
    assert_no_violations(page)
    page.get_by_role("link", name="Renseigner les mentions des factures").click()
    expect(
        page.get_by_role("heading", name="Mentions des factures de l’exploitant SCIC Volcans Numériques")
    ).to_be_visible()
    assert_no_violations(page)

    # A SIRET with a wrong digit: the error summary, and the message next to the field.
    page.get_by_label("Adresse du siège").fill("2 place de l'Hôtel de Ville\n15300 Murat")
    page.get_by_label("SIRET").fill("552 100 554 00014")
    page.get_by_label("Numéro de TVA intracommunautaire").fill("FR 96 552100554")
    page.get_by_role("button", name="Enregistrer les mentions").click()
    expect(page.get_by_role("alert")).to_contain_text("Rien n’est envoyé")
    expect(page.get_by_text("clé de contrôle").first).to_be_visible()
    assert_no_violations(page)
    assert not OperatorBilling.objects.filter(operator=operator).exists()

    # The summary's link leads to the field; corrected with the keyboard, then saved.
    page.get_by_role("alert").get_by_role("link", name="SIRET").click()
    expect(page.get_by_label("SIRET")).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("552 100 554 00013")
    page.keyboard.press("Enter")
    expect(
        page.get_by_text("Les mentions des factures de « SCIC Volcans Numériques » sont enregistrées.")
    ).to_be_visible()
    assert_no_violations(page)
    saved = OperatorBilling.objects.get(operator=operator)
    assert saved.siret == "55210055400013"
    assert saved.vat_number == "FR96552100554"

    page.goto(f"{live_server.url}/telecentres/gestion/{telecentre.slug}/")
    expect(page.get_by_role("link", name="Modifier les mentions des factures")).to_be_visible()
