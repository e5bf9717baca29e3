"""Monthly billing in the browser: the telecentre manager issues last month's invoices and gives
a credit note; the employer's manager opens their invoices page and downloads the monthly
PDF. axe-core on every page visited (the error summaries included)."""

from __future__ import annotations

import re

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


def _person(email: str, role: str, scope=None, *, staff: bool = False):
    from django.contrib.contenttypes.models import ContentType

    from cybercantal.accounts.models import RoleMembership, User

    user = User.objects.create_user(email, "mot-de-passe-solide-2026", first_name="Sylvie", last_name="Bonnet")
    RoleMembership.objects.create(
        user=user,
        role=role,
        scope_type=ContentType.objects.get_for_model(scope) if scope is not None else None,
        scope_id=scope.pk if scope is not None else None,
    )
    if staff:
        TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def month(transactional_db):
    from cybercantal.telework.tests.factories_billing import Scenario

    return Scenario()


@pytest.mark.django_db(transaction=True)
def test_manager_issues_and_employer_downloads_the_monthly_pdf(
    page: Page, context: BrowserContext, live_server, month
) -> None:
    from django.utils.formats import date_format

    from cybercantal.telework.models import Invoice, InvoiceKind
    from cybercantal.telework.services.billing import month_label

    label = month_label(month.year, month.month)

    # The telecentre manager issues last month's invoices.
    manager = _person("gare@example.fr", "telecentre_manager", month.telecentre.place, staff=True)
    _sign_in(context, live_server.url, manager)
    page.goto(f"{live_server.url}/telecentres/gestion/factures/")
    expect(page.get_by_role("heading", name="Factures des télécentres")).to_be_visible()
    assert_no_violations(page)
    page.get_by_role("link", name="Émettre les factures d’un mois").click()
    expect(page.get_by_role("heading", name="Émettre les factures d’un mois")).to_be_visible()
    expect(page.get_by_label("Mois à facturer")).to_have_value(f"{month.year}-{month.month:02d}")
    assert_no_violations(page)
    page.get_by_role("button", name="Émettre les factures").click()
    expect(page.get_by_text(f"3 facture(s) de {label} émise(s)")).to_be_visible()
    expect(page.get_by_role("cell", name="Fromagerie du Lioran")).to_be_visible()
    assert_no_violations(page)

    # A credit note on Bruno's invoice: an empty reason first (the error summary), then one line.
    bruno = Invoice.objects.get(payer_user=month.bruno, operator=month.operator)
    page.goto(f"{live_server.url}/telecentres/factures/{bruno.pk}/")
    expect(page.get_by_role("heading", name=f"Facture n° {bruno.number}")).to_be_visible()
    assert_no_violations(page)
    page.get_by_role("link", name="Émettre un avoir").click()
    page.get_by_role("button", name="Émettre l’avoir").click()
    expect(page.get_by_text("Indiquez le motif de l'avoir.").first).to_be_visible()
    assert_no_violations(page)
    page.get_by_label("Motif de l'avoir").fill("Journée offerte : coupure de la fibre")
    for checkbox in page.get_by_role("checkbox").all():
        checkbox.uncheck()
    page.get_by_role("checkbox", name=re.compile("annulée hors délai")).check()
    page.get_by_role("button", name="Émettre l’avoir").click()
    expect(page.get_by_text(re.compile(r"L'avoir TC-\d{4}-00004 est émis"))).to_be_visible()
    assert_no_violations(page)
    assert Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE).total_excl_tax == -18

    # The employer's manager finds the month's invoice and downloads its PDF.
    employer_manager = _person("rh@fromagerie-lioran.fr", "employer_manager", month.employer)
    _sign_in(context, live_server.url, employer_manager)
    page.goto(f"{live_server.url}/telecentres/employeur/factures/")
    expect(page.get_by_role("heading", name="Factures de votre organisation")).to_be_visible()
    assert_no_violations(page)
    page.get_by_label("Mois facturé").select_option(label=label)
    page.get_by_label("Client").press("Enter")  # submit with the keyboard
    expect(page.get_by_text("1 facture ou avoir")).to_be_visible()
    invoice = Invoice.objects.get(payer_organisation=month.employer)
    page.get_by_role("link", name=f"Facture {invoice.number}").click()
    expect(page.get_by_role("heading", name=f"Facture n° {invoice.number}")).to_be_visible()
    expect(page.get_by_text(date_format(invoice.issued_on, "l j F Y"))).to_be_visible()
    expect(page.get_by_role("rowheader", name=re.compile("Forfait mensuel de la convention CONV-LIO"))).to_be_visible()
    assert_no_violations(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"facture-{invoice.number}.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
