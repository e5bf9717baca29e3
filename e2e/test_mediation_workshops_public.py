"""The public workshop calendar as a person uses it (issue 4 §4): find a workshop with the
keyboard, register, see the confirmation, cancel through the link. Each page is checked
with axe-core (no serious or critical violation)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from e2e.axe import axe_violations
from e2e.keyboard import assert_focus_visible, tab_to


@pytest.fixture
def workshop_session(transactional_db):
    from django.utils import timezone

    from cybercantal.mediation.models import DigitalTheme
    from cybercantal.mediation.tests.factories import SessionFactory, WorkshopFactory
    from cybercantal.places.tests.factories import PlaceFactory

    place = PlaceFactory(name="EPN du Pays Vert", address="Place de la Mairie", postal_code="15210")
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=9), dt.time(14, 0)))
    SessionFactory(
        place=place,
        workshop=WorkshopFactory(title="Sécurité sur internet", themes=[DigitalTheme.SECURITY]),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
    )
    return SessionFactory(
        place=place,
        workshop=WorkshopFactory(title="Premiers pas avec le courriel", summary="Créer son adresse, écrire."),
        starts_at=start + dt.timedelta(days=1),
        ends_at=start + dt.timedelta(days=1, hours=2),
        capacity=6,
    )


def test_find_a_workshop_with_the_keyboard_register_and_cancel(page: Page, live_server, workshop_session):
    from cybercantal.mediation.models import Registration, RegistrationStatus

    page.goto(f"{live_server.url}/ateliers/")
    expect(page.get_by_role("heading", level=1, name="Ateliers numériques")).to_be_visible()
    assert axe_violations(page) == []

    # Keyboard only: reach the search field, type, submit with Enter.
    search = page.get_by_role("searchbox", name="Rechercher un atelier")
    tab_to(page, search)
    assert_focus_visible(page)
    page.keyboard.type("courriel")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=courriel"))
    expect(page.get_by_role("status").filter(has_text="séance")).to_contain_text("1 séance à venir")
    link = page.get_by_role("link", name="Premiers pas avec le courriel")
    tab_to(page, link)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/ateliers/seance/{workshop_session.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Premiers pas avec le courriel")
    expect(page.get_by_text("6 places restantes")).to_be_visible()
    assert axe_violations(page) == []

    # An empty form says what is missing, next to the fields.
    tab_to(page, page.get_by_role("button", name="M’inscrire"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Indiquez votre prénom.")).to_be_visible()
    expect(page.get_by_label("Prénom")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []

    tab_to(page, page.get_by_label("Prénom"))
    page.keyboard.type("Marcel")
    page.keyboard.press("Tab")
    page.keyboard.type("Vidal")
    page.keyboard.press("Tab")
    page.keyboard.type("04 71 40 12 34")
    tab_to(page, page.get_by_role("button", name="M’inscrire"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inscription confirmée")
    expect(page.get_by_text("vous êtes inscrit(e) à l’atelier « Premiers pas avec le courriel »")).to_be_visible()
    assert axe_violations(page) == []

    registration = Registration.objects.get()
    assert registration.status == RegistrationStatus.CONFIRMED

    page.get_by_role("link", name=re.compile("annuler mon inscription")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuler une inscription")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Annuler mon inscription").click()
    expect(page.get_by_text("Cette inscription est annulée.")).to_be_visible()
    assert axe_violations(page) == []
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED


def test_unknown_cancellation_link_is_a_french_page(page: Page, live_server, transactional_db):
    response = page.goto(f"{live_server.url}/ateliers/annulation/inconnu/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Lien d’annulation inconnu")
    assert axe_violations(page) == []
