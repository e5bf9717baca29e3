"""The payment of an Auverdata dossier in the browser: the sawmill uploads its paid invoice,
the instructor retains it and orders the payment; axe-core on every page on the way (with the
error summary of the invoice form), and on the accountant's list."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import assert_no_violations


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


def _person(email: str, role: str, scope=None, *, staff: bool = False):
    from cybercantal.accounts.models import RoleMembership, User

    user = User.objects.create_user(email, "mot-de-passe-solide-2026", first_name="Anne", last_name="Couderc")
    RoleMembership.objects.create(user=user, role=role, scope=scope)
    if staff:
        TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def sawmill_dossier(transactional_db):
    from cybercantal.grants.tests.factories import BusinessFactory, ProgrammeFactory
    from cybercantal.grants.tests.factories_payment import accepted_application

    programme = ProgrammeFactory(slug="auverdata", code="AUV", name="Auverdata")
    business = BusinessFactory(name="Scierie des Planèzes")
    applicant = _person("scierie@example.fr", "business_applicant", business)
    application = accepted_application(
        programme=programme,
        organisation=business,
        created_by=applicant,
        lines=[Decimal("3200.00")],
        business_name="Scierie des Planèzes",
    )
    return application, applicant


@pytest.mark.django_db(transaction=True)
def test_business_uploads_instructor_accepts_and_orders_the_payment(
    page: Page, context: BrowserContext, live_server, sawmill_dossier, tmp_path
) -> None:
    from cybercantal.grants.models import Payment, Status
    from cybercantal.grants.tests.factories import pdf_bytes

    application, applicant = sawmill_dossier
    ref = application.reference
    invoice_file = tmp_path / "facture-sat-auvergne.pdf"
    invoice_file.write_bytes(pdf_bytes("Facture acquittée F-2026-017"))

    # The business: an empty form first (the error summary), then the invoice.
    _sign_in(context, live_server.url, applicant)
    page.goto(f"{live_server.url}/aides/dossiers/{ref}/factures/")
    expect(page.get_by_role("heading", name=f"Factures acquittées — dossier {ref}")).to_be_visible()
    assert_no_violations(page)
    page.get_by_role("button", name="Ajouter la facture").click()
    expect(page.get_by_text("Rien n’est enregistré")).to_be_visible()
    expect(page.get_by_text("Indiquez le fournisseur.").first).to_be_visible()
    assert_no_violations(page)

    page.get_by_label("Dépense concernée").select_option(index=1)
    page.get_by_label("Fournisseur").fill("Sat'Auvergne")
    page.get_by_label("Numéro de la facture").fill("F-2026-017")
    page.get_by_label("Date de la facture").fill((timezone.localdate() - timedelta(days=2)).isoformat())
    page.get_by_label("Montant payé HT (€)").fill("3 200,00")
    page.get_by_label("Facture acquittée (PDF ou image)").set_input_files(str(invoice_file))
    page.get_by_role("button", name="Ajouter la facture").click()
    expect(page.get_by_text("La facture F-2026-017 de Sat'Auvergne est ajoutée")).to_be_visible()
    expect(page.get_by_role("cell", name="À vérifier")).to_be_visible()
    page.get_by_role("button", name="Demander le versement").click()
    expect(page.get_by_text("Votre demande de versement est envoyée")).to_be_visible()
    assert_no_violations(page)

    # The instructor: retains the invoice, orders the payment.
    instructor = _person("instructeur@example.fr", "grant_instructor", staff=True)
    _sign_in(context, live_server.url, instructor)
    page.goto(f"{live_server.url}/aides/instruction/{ref}/paiement/")
    expect(page.get_by_role("heading", name=f"Paiement — dossier {ref}")).to_be_visible()
    expect(page.get_by_role("link", name="Télécharger facture-sat-auvergne.pdf")).to_have_attribute(
        "href", f"/aides/dossiers/{ref}/pieces/{application.documents.get().pk}/"
    )
    assert_no_violations(page)
    page.get_by_role("button", name="Retenir la facture F-2026-017").click()
    expect(page.get_by_text("La facture F-2026-017 est retenue pour 3\u202f200,00\u00a0€.")).to_be_visible()
    expect(page.get_by_text("Montant du versement : 1\u202f600,00\u00a0€.", exact=False)).to_be_visible()
    assert_no_violations(page)
    page.get_by_label("IBAN du compte à créditer").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_role("button", name="Ordonner le versement").click()
    expect(page.get_by_text(f"Le versement de 1\u202f600,00\u00a0€ est ordonné (mandat {ref}-V1)")).to_be_visible()
    assert_no_violations(page)

    application.refresh_from_db()
    assert (application.status, application.paid_amount) == (Status.PAID, Decimal("1600.00"))
    assert Payment.objects.get().reference == f"{ref}-V1"

    # The accountant's list.
    page.goto(f"{live_server.url}/aides/gestion/paiements/")
    expect(page.get_by_role("rowheader", name=f"{ref}-V1")).to_be_visible()
    assert_no_violations(page)
