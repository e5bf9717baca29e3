"""An instructor finds a dossier in the queue, takes it for review and asks for corrections with
the keyboard only; once the business has resubmitted, takes it again and accepts it. axe-core
on the queue and on the review page at each step."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import axe_violations
from e2e.keyboard import assert_focus_visible, tab_to


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


def _instructor():
    from cybercantal.accounts.models import RoleMembership, User

    user = User.objects.create_user(
        "anne.couderc@example.fr", "mot-de-passe-solide-2026", first_name="Anne", last_name="Couderc"
    )
    RoleMembership.objects.create(user=user, role="grant_instructor")
    TOTP.activate(user, generate_totp_secret())
    return user


def _no_serious_violation(page: Page) -> None:
    assert axe_violations(page, impact={"serious", "critical"}) == []


@pytest.mark.django_db(transaction=True)
def test_take_ask_for_corrections_then_accept(page: Page, context: BrowserContext, live_server):
    from cybercantal.grants.models import Application, Message, Status
    from cybercantal.grants.services.workflow import application_transition
    from cybercantal.grants.tests.factories import BusinessFactory, ProgrammeFactory
    from cybercantal.grants.tests.factories_instruction import dossier

    programme = ProgrammeFactory(slug="auverdata", code="AUV", name="Auverdata")
    business = BusinessFactory(name="Scierie des Planèzes")
    application = dossier(
        programme=programme, business=business, business_name="Scierie des Planèzes", lines=("3200.00",)
    )
    instructor = _instructor()
    _sign_in(context, live_server.url, instructor)

    page.goto(live_server.url + "/aides/instruction/?q=planezes")
    expect(page.get_by_role("link", name=application.reference)).to_be_visible()
    _no_serious_violation(page)
    page.get_by_role("link", name=application.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(application.reference)
    _no_serious_violation(page)

    # Keyboard only: take the dossier.
    take = page.get_by_role("button", name="Prendre en instruction")
    tab_to(page, take)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Vous instruisez le dossier")).to_be_visible()
    _no_serious_violation(page)

    # Keyboard only: ask for corrections.
    message = page.get_by_label("Message au demandeur : ce qu'il doit corriger")
    tab_to(page, message)
    page.keyboard.type("Le devis n'est pas signé : joignez un devis daté et signé.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Demander des corrections")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Les corrections sont demandées")).to_be_visible()
    expect(page.get_by_text("État : Corrections demandées")).to_be_visible()
    _no_serious_violation(page)

    application.refresh_from_db()
    assert application.status == Status.CORRECTIONS
    assert Message.objects.filter(application=application, from_applicant=False).count() == 1

    # The business corrects and submits again.
    application_transition(actor=application.created_by, application=application, to_status=Status.SUBMITTED)
    page.reload()
    page.get_by_role("button", name="Prendre en instruction").click()
    expect(page.get_by_text("Vous instruisez le dossier")).to_be_visible()
    # An empty reason to refuse is told next to the field and in the error summary.
    page.get_by_role("button", name="Refuser le dossier").click()
    expect(page.get_by_text("Rien n’est enregistré")).to_be_visible()
    expect(page.get_by_text("Indiquez le motif du refus.").first).to_be_visible()
    _no_serious_violation(page)

    page.get_by_label("Montant accordé (€)").fill("1600,00")
    page.get_by_role("button", name="Accepter le dossier").click()
    expect(page.get_by_text("Le dossier est accepté")).to_be_visible()
    expect(page.get_by_role("link", name="Lettre de décision (PDF)")).to_be_visible()
    expect(page.get_by_role("button", name="Rouvrir la décision")).to_be_visible()
    _no_serious_violation(page)

    application = Application.objects.get(pk=application.pk)
    assert application.status == Status.ACCEPTED
    assert str(application.decided_amount) == "1600.00"
    href = page.get_by_role("link", name="Lettre de décision (PDF)").get_attribute("href")
    assert re.search(rf"/aides/dossiers/{application.reference}/lettre-de-decision\.pdf$", href or "")
