"""Arriving at an unstaffed telecentre: the manager prints the poster (and replaces it), a member
scans it on a phone and confirms her arrival with the keyboard, types a booking code, and finds
her calendar address; axe-core on every page visited."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to

PHONE = {"width": 375, "height": 667}


def _cookie(user) -> dict:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return {"name": cookie.key, "value": cookie.value}


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    context.clear_cookies()
    context.add_cookies([{**_cookie(user), "url": base_url}])


def _phone(browser: Browser, base_url: str, user) -> Page:
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.add_cookies([{**_cookie(user), "url": base_url}])
    return context.new_page()


@pytest.fixture
def murat(transactional_db):
    from cybercantal.accounts.models import Role, RoleMembership, User
    from cybercantal.telework.tests.factories import ResourceFactory, TelecentreFactory
    from cybercantal.telework.tests.factories_checkin import booking_under_way

    telecentre = TelecentreFactory(
        place__name="Télécentre La Gare",
        place__address="1 avenue de la Gare",
        welcome_text="Code de la porte envoyé par courriel. Wifi : LaGare-Invites.",
    )
    pool = ResourceFactory(telecentre=telecentre, name="Open space", capacity=6)
    manager = User.objects.create_user(
        "gerante@example.fr", "mot-de-passe-solide-2026", first_name="Nadia", last_name="Vidal"
    )
    RoleMembership.objects.create(user=manager, role=Role.TELECENTRE_MANAGER, scope=telecentre.place)
    TOTP.activate(manager, generate_totp_secret())
    member = User.objects.create_user(
        "claire.delmas@example.fr", "mot-de-passe-solide-2026", first_name="Claire", last_name="Delmas"
    )
    RoleMembership.objects.create(user=member, role=Role.TELEWORKER)
    booking = booking_under_way(pool, member, minutes_ago=10)
    return telecentre, manager, member, booking


@pytest.mark.django_db(transaction=True)
def test_poster_then_a_member_checks_in_on_her_phone(
    page: Page, context: BrowserContext, browser: Browser, live_server, murat
) -> None:
    from cybercantal.telework.models import Booking

    telecentre, manager, member, booking = murat

    # The manager's poster: a QR code, the telecentre's name, the sentence; nothing else on paper.
    _sign_in(context, live_server.url, manager)
    page.goto(f"{live_server.url}/telecentres/gestion/{telecentre.slug}/affiche/")
    expect(page.get_by_role("heading", name="Affiche d’arrivée — Télécentre La Gare")).to_be_visible()
    expect(page.get_by_role("img", name="Code QR d'arrivée de Télécentre La Gare")).to_be_visible()
    expect(
        page.get_by_text("Scannez en arrivant pour confirmer votre présence : votre place reste à vous")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Imprimer l’affiche")).to_be_visible()  # with JavaScript
    assert_no_violations(page)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Générer une nouvelle affiche")).to_be_hidden()
    expect(page.get_by_role("img", name=re.compile("Code QR"))).to_be_visible()
    page.emulate_media(media="screen")

    # Replacing the poster needs the box ticked: first the error, then with the keyboard.
    page.get_by_role("button", name="Générer une nouvelle affiche").click()
    expect(page.get_by_text("Cochez la case pour confirmer.").first).to_be_visible()
    assert_no_violations(page)
    tab_to(page, page.get_by_label("Je comprends que les affiches déjà imprimées ne fonctionneront plus."))
    assert_focus_visible(page)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Générer une nouvelle affiche"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Nouvelle affiche prête")).to_be_visible()
    assert_no_violations(page)
    old_token = telecentre.checkin_token
    telecentre.refresh_from_db()
    assert telecentre.checkin_token != old_token

    # The member scans the old poster: a clear French 404.
    phone = _phone(browser, live_server.url, member)
    response = phone.goto(f"{live_server.url}/telecentres/{telecentre.slug}/arrivee/{old_token}/")
    assert response is not None
    assert response.status == 404
    expect(phone.get_by_role("heading", name="Affiche introuvable")).to_be_visible()
    assert_no_violations(phone)

    # The new poster: her booking, one button, reached and pressed with the keyboard.
    phone.goto(f"{live_server.url}/telecentres/{telecentre.slug}/arrivee/{telecentre.checkin_token}/")
    expect(phone.get_by_role("heading", name="Bienvenue à Télécentre La Gare")).to_be_visible()
    button = phone.get_by_role("button", name=re.compile("Je suis arrivé\\(e\\)"))
    expect(button).to_be_visible()
    assert_no_violations(phone)
    tab_to(phone, button)
    assert_focus_visible(phone)
    phone.keyboard.press("Enter")
    expect(phone.get_by_text("Arrivée enregistrée : votre place est à vous")).to_be_visible()
    expect(phone.get_by_text(re.compile("Arrivée signalée à"))).to_be_visible()
    assert_no_violations(phone)
    booking.refresh_from_db()
    assert booking.checked_in_at is not None

    # The code form, typed in lower case with a space: it leads to the booking.
    phone.goto(f"{live_server.url}/telecentres/arrivee/")
    expect(phone.get_by_role("heading", name="Signaler mon arrivée")).to_be_visible()
    assert_no_violations(phone)
    phone.get_by_label("Code d'arrivée").fill("zz")
    phone.keyboard.press("Enter")
    expect(phone.get_by_text("Un code d'arrivée compte 8 caractères").first).to_be_visible()
    assert_no_violations(phone)
    code = booking.checkin_code
    phone.get_by_label("Code d'arrivée").fill(f"{code[:4].lower()} {code[4:].lower()}")
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Votre arrivée à Télécentre La Gare")).to_be_visible()
    assert phone.url.endswith(f"/telecentres/arrivee/{code}/")
    assert_no_violations(phone)

    # Her calendar address, to copy into her agenda.
    phone.goto(f"{live_server.url}/telecentres/mon-espace/calendrier/")
    expect(phone.get_by_role("heading", name="Mes réservations dans mon agenda")).to_be_visible()
    https = phone.get_by_label("Adresse de votre agenda (https)").input_value()
    assert re.search(r"/telecentres/calendrier/[A-Za-z0-9_-]+\.ics$", https)
    assert_no_violations(phone)
    feed = phone.request.get(https.replace(settings.SITE_URL, live_server.url))
    assert feed.status == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert code in feed.text()
    assert Booking.objects.get(pk=booking.pk).checked_in_at is not None
