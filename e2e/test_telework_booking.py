"""Booking a half-day on a phone, with the keyboard only: a member opens the week of her
telecentre, picks the free Tuesday morning, checks what it costs, confirms, and finds her
booking with its check-in code and QR code. axe-core on every page, the conflict page too."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to

PHONE = {"width": 390, "height": 844}


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def murat(transactional_db):
    from cybercantal.accounts.tests.factories import UserFactory
    from cybercantal.telework.models import ResourceKind
    from cybercantal.telework.tests.factories import (
        MembershipFactory,
        ResourceFactory,
        TelecentreFactory,
        give_credits,
        next_weekday,
    )

    telecentre = TelecentreFactory(place__name="Télécentre La Gare")
    pool = ResourceFactory(telecentre=telecentre, name="Plateau", kind=ResourceKind.SEAT_POOL, capacity=8)
    member = UserFactory(first_name="Claire", last_name="Roux", email="claire.roux@example.org")
    membership = MembershipFactory(member=member, telecentre=telecentre)
    give_credits(membership, "10")
    return telecentre, pool, member, next_weekday(1, weeks=1)


@pytest.mark.django_db(transaction=True)
def test_member_books_a_half_day_on_her_phone_with_the_keyboard(browser: Browser, live_server, murat) -> None:
    from cybercantal.telework.models import Booking

    telecentre, pool, member, tuesday = murat
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, is_mobile=True, has_touch=True
    )
    page: Page = context.new_page()
    try:
        _sign_in(context, live_server.url, member)

        # The week: on a phone, one block per day.
        page.goto(f"{live_server.url}/telecentres/{telecentre.slug}/disponibilites/?jour={tuesday}")
        expect(page.get_by_role("heading", name="Disponibilités — Télécentre La Gare")).to_be_visible()
        expect(page.get_by_role("table")).to_be_visible()
        assert page.locator("table.booking-week thead").evaluate("(el) => el.getBoundingClientRect().width") <= 1
        assert_no_violations(page)

        day_name = re.compile(r"Plateau · matin, mardi", re.I)
        link = page.get_by_role("link", name=day_name)
        expect(link).to_contain_text("8 postes libres sur 8")
        tab_to(page, link, max_tabs=120)
        assert_focus_visible(page)
        page.keyboard.press("Enter")

        # The short form, prefilled from the grid.
        expect(page.get_by_role("heading", name="Réserver — Télécentre La Gare")).to_be_visible()
        expect(page.locator("#id_jour")).to_have_value(tuesday.isoformat())
        expect(page.get_by_label("Matin")).to_be_checked()
        expect(page.locator("#id_debut")).to_be_hidden()  # JS: a pool has no hours
        assert_no_violations(page)
        tab_to(page, page.get_by_role("button", name="Continuer"))
        assert_focus_visible(page)
        page.keyboard.press("Enter")

        # What it costs, before anything is written.
        expect(page.get_by_role("heading", name="Vérifiez et confirmez")).to_be_visible()
        expect(page.get_by_text("0,5 jour pris sur le solde de crédits (10) ; il en restera 9,5.")).to_be_visible()
        assert not Booking.objects.exists()
        assert_no_violations(page)
        tab_to(page, page.get_by_role("button", name="Confirmer la réservation"))
        page.keyboard.press("Enter")

        # Booked: the confirmation, the code and the QR code.
        expect(page.get_by_text("C'est réservé ! Un courriel de confirmation vous est envoyé.")).to_be_visible()
        booking = Booking.objects.get()
        expect(page.get_by_text(booking.checkin_code)).to_be_visible()
        qr = page.get_by_role("img", name=re.compile("QR code d’arrivée"))
        if qr.count():
            expect(qr).to_be_visible()
        assert_no_violations(page)

        # My bookings, then the cancellation page (its rule said), without cancelling.
        page.goto(f"{live_server.url}/telecentres/mes-reservations/")
        expect(page.get_by_text("1 réservation à venir")).to_be_visible()
        assert_no_violations(page)
        page.goto(f"{live_server.url}/telecentres/reservations/{booking.pk}/annuler/")
        expect(
            page.get_by_text(re.compile("Annulation gratuite jusqu’au .*vos crédits vous seront rendus"))
        ).to_be_visible()
        assert_no_violations(page)

        # The day view and the conflict page of a full pool.
        page.goto(f"{live_server.url}/telecentres/{telecentre.slug}/disponibilites/?vue=jour&jour={tuesday}")
        expect(page.get_by_text("7 postes libres sur 8").first).to_be_visible()
        assert_no_violations(page)
        pool.capacity = 1
        pool.save()
        other_day = tuesday + dt.timedelta(days=1)
        page.goto(
            f"{live_server.url}/telecentres/{telecentre.slug}/reserver/"
            f"?ressource={pool.pk}&jour={tuesday}&moment=morning&etape=verifier"
        )
        expect(page.get_by_text("Une réservation existe déjà à ce moment-là")).to_be_visible()
        page.goto(
            f"{live_server.url}/telecentres/{telecentre.slug}/reserver/"
            f"?ressource={pool.pk}&jour={other_day}&moment=morning&etape=verifier"
        )
        expect(page.get_by_role("heading", name="Vérifiez et confirmez")).to_be_visible()
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_conflict_page_on_a_phone(browser: Browser, live_server, murat) -> None:
    from cybercantal.telework.models import DayPart
    from cybercantal.telework.services import booking as service
    from cybercantal.telework.tests.factories import MembershipFactory, give_credits

    telecentre, pool, member, tuesday = murat
    pool.capacity = 1
    pool.save()
    holder = MembershipFactory(telecentre=telecentre)
    give_credits(holder, "5")
    service.booking_create(actor=holder.member, resource=pool, day=tuesday, part=DayPart.MORNING, notify=False)
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    try:
        _sign_in(context, live_server.url, member)
        page.goto(f"{live_server.url}/telecentres/{telecentre.slug}/disponibilites/?jour={tuesday}")
        expect(page.get_by_text("Complet").first).to_be_visible()
        page.get_by_role("link", name=re.compile("Autres créneaux")).first.click()
        expect(page.get_by_role("heading", name="Ce créneau n’est plus libre")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("Réserver : Plateau")).first).to_be_visible()
        assert_no_violations(page)
        page.get_by_role("button", name=re.compile("Réserver : Plateau")).first.click()
        expect(page.get_by_text("C'est réservé !")).to_be_visible()

        # The telecentre's manager: the day's planning, with names and arrivals.
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        from cybercantal.accounts.models import Role, RoleMembership
        from cybercantal.accounts.tests.factories import UserFactory

        manager = UserFactory(first_name="Anne", last_name="Couderc")
        RoleMembership.objects.create(user=manager, role=Role.TELECENTRE_MANAGER, scope=telecentre.place)
        TOTP.activate(manager, generate_totp_secret())
        context.clear_cookies()
        _sign_in(context, live_server.url, manager)
        page.goto(f"{live_server.url}/telecentres/gestion/{telecentre.slug}/planning/?jour={tuesday}")
        expect(page.get_by_role("heading", name="Planning — Télécentre La Gare")).to_be_visible()
        expect(page.get_by_role("link", name=holder.member.get_full_name(), exact=True)).to_be_visible()
        assert_no_violations(page)
    finally:
        context.close()
