"""Free access in the browser: book a computer slot with the keyboard only; axe-core on the
list, the day grid, the booking form and the staff counter."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import axe_check_urls, axe_violations, format_violations
from e2e.keyboard import assert_focus_visible, tab_to

HOURS = "Mo-Su 08:00-12:00,14:00-20:00"


@pytest.fixture
def free_access(transactional_db):
    from cybercantal.mediation.tests.factories import PublicComputerFactory
    from cybercantal.places.tests.factories import PlaceFactory

    place = PlaceFactory(name="EPN de Ydes", opening_hours=HOURS)
    PublicComputerFactory(place=place, label="Poste 1", features="Grand écran")
    PublicComputerFactory(place=place, label="Poste 2")
    return place


def _tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


def _sign_in_mediator(context: BrowserContext, base_url: str, place) -> None:
    from cybercantal.accounts.models import Role, RoleMembership, User
    from cybercantal.mediation.models import Mediator

    user = User.objects.create_user("mediatrice@example.fr", "mot-de-passe-solide-2026", first_name="Lise")
    RoleMembership.objects.create(user=user, role=Role.MEDIATOR, scope=place)
    Mediator.objects.create(user=user)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


def test_book_a_slot_with_the_keyboard(page: Page, live_server, free_access) -> None:
    from cybercantal.mediation.models import ComputerBooking

    day = _tomorrow()
    page.goto(f"{live_server.url}/ateliers/postes/{free_access.slug}/?date={day:%Y-%m-%d}")
    expect(page.get_by_role("table")).to_be_visible()
    slot = page.get_by_role("link", name="Réserver le Poste 2 de 10:00 à 11:00")
    tab_to(page, slot, max_tabs=120)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Réserver un ordinateur")).to_be_visible()

    tab_to(page, page.get_by_label("Nom et prénom"))
    page.keyboard.type("Marcel Vidal")
    tab_to(page, page.get_by_label("Téléphone"))
    page.keyboard.type("04 71 40 00 00")
    tab_to(page, page.get_by_role("button", name="Confirmer la réservation"))
    assert_focus_visible(page)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Réservation confirmée")).to_be_visible()
    expect(page.get_by_text("Marcel Vidal")).to_be_visible()
    booking = ComputerBooking.objects.get()
    assert booking.computer.label == "Poste 2"
    assert timezone.localtime(booking.starts_at).hour == 10

    # The slot is no longer offered in the grid.
    page.goto(f"{live_server.url}/ateliers/postes/{free_access.slug}/?date={day:%Y-%m-%d}")
    expect(page.get_by_role("link", name="Réserver le Poste 2 de 10:00 à 11:00")).to_have_count(0)
    expect(page.get_by_role("link", name="Réserver le Poste 1 de 10:00 à 11:00")).to_have_count(1)


def test_missing_contact_is_said_next_to_the_field(page: Page, live_server, free_access) -> None:
    day = _tomorrow()
    page.goto(
        f"{live_server.url}/ateliers/postes/{free_access.slug}/reserver/"
        f"?computer={free_access.public_computers.first().pk}&day={day:%Y-%m-%d}&start=15:00&minutes=60"
    )
    page.get_by_label("Nom et prénom").fill("Marcel Vidal")
    page.get_by_role("button", name="Confirmer la réservation").click()
    expect(page.get_by_role("alert")).to_contain_text("n’est pas enregistrée")
    expect(page.get_by_text("Indiquez un numéro de téléphone ou une adresse électronique")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, format_violations({"booking form with errors": violations})


def test_public_pages_have_no_serious_violation(page: Page, live_server, free_access) -> None:
    day = _tomorrow()
    computer = free_access.public_computers.order_by("label").first()
    axe_check_urls(
        page,
        live_server.url,
        [
            "/ateliers/postes/",
            f"/ateliers/postes/{free_access.slug}/?date={day:%Y-%m-%d}",
            f"/ateliers/postes/{free_access.slug}/reserver/?computer={computer.pk}&day={day:%Y-%m-%d}"
            "&start=15:00&minutes=60",
        ],
    )


def test_staff_counter_works_without_javascript_and_passes_axe(
    page: Page, context: BrowserContext, live_server, free_access
) -> None:
    from cybercantal.mediation.models import FreeAccessVisit

    _sign_in_mediator(context, live_server.url, free_access)
    url = f"{live_server.url}/mediation/acces-libre/{free_access.slug}/"
    page.goto(url)
    assert page.url == url
    violations = axe_violations(page)
    assert not violations, format_violations({"counter": violations})
    page.get_by_role("button", name="+1 après-midi").click()
    page.get_by_role("button", name="+1 après-midi").click()
    expect(page.get_by_role("status")).to_contain_text("2 visite(s)")
    assert FreeAccessVisit.objects.get(slot="afternoon").count == 2
    axe_check_urls(
        page,
        live_server.url,
        [
            "/mediation/acces-libre/",
            f"/mediation/acces-libre/{free_access.slug}/visites/",
            f"/mediation/acces-libre/{free_access.slug}/postes/nouveau/",
        ],
    )
