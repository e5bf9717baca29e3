"""Occupancy in Chromium: the programme manager picks a month on the network page with the
keyboard, reads the telecentres side by side, then opens one telecentre's heat map; axe-core
finds no serious violation on either page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to

OCTOBER = dt.date(2026, 10, 1)


@pytest.fixture
def occupancy_data(transactional_db: None) -> None:
    from cybercantal.telework.models import BookingStatus, MemberProfile, ResourceKind
    from cybercantal.telework.tests.factories import MembershipFactory, ResourceFactory, TelecentreFactory
    from cybercantal.telework.tests.factories_occupancy import book, commuter

    murat = TelecentreFactory(opens_on=dt.date(2025, 1, 6), place__name="Télécentre La Gare")
    riom = TelecentreFactory(opens_on=dt.date(2026, 3, 2), place__name="Télécentre de Riom-ès-Montagnes")
    pool = ResourceFactory(telecentre=murat, name="Open space", kind=ResourceKind.SEAT_POOL, capacity=6)
    room = ResourceFactory(telecentre=murat, name="Salle du Plomb", kind=ResourceKind.MEETING_ROOM, capacity=8)
    riom_pool = ResourceFactory(telecentre=riom, name="Plateau", kind=ResourceKind.SEAT_POOL, capacity=4)
    people = [
        commuter("38", MemberProfile.CommuteMode.CAR, first_name="Thomas"),
        commuter("55", MemberProfile.CommuteMode.TRAIN, first_name="Claire"),
        commuter("20", MemberProfile.CommuteMode.CARPOOL, first_name="Inès"),
    ]
    for person in people:
        MembershipFactory(member=person, telecentre=murat, starts_on=dt.date(2026, 9, 1))
    for offset in range(31):
        day = OCTOBER + dt.timedelta(days=offset)
        if day.weekday() in (1, 3):  # Tuesdays and Thursdays: full on paper, half empty in practice
            for index, person in enumerate(people):
                status = BookingStatus.RELEASED if index == 2 else BookingStatus.CONFIRMED
                book(pool, person, day, 8, 19, checked_in=index == 0, status=status)
            book(room, people[1], day, 10, 12, checked_in=True)
        elif day.weekday() == 0:
            book(riom_pool, people[0], day, 8, 13, checked_in=True)


def _sign_in_programme_manager(context: BrowserContext, base_url: str) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from cybercantal.accounts.models import Role, RoleMembership, User

    user = User.objects.create_user("pilotage@example.fr", "mot-de-passe-solide-2026", first_name="Camille")
    RoleMembership.objects.create(user=user, role=Role.PROGRAMME_MANAGER)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.mark.django_db(transaction=True)
def test_programme_manager_reads_the_network_then_a_heat_map(
    page: Page, context: BrowserContext, live_server, occupancy_data
):
    _sign_in_programme_manager(context, live_server.url)
    response = page.goto(live_server.url + "/telecentres/pilotage/")
    assert response is not None
    assert response.ok
    expect(page.get_by_role("heading", name="Occupation et impact des télécentres")).to_be_visible()
    assert_no_violations(page)

    # Choose October 2026 with the keyboard, then submit with Enter.
    month = page.get_by_label("Mois", exact=True)
    tab_to(page, month)
    assert_focus_visible(page)
    month.select_option(label="octobre 2026")
    tab_to(page, page.get_by_role("button", name="Afficher"))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Le réseau en octobre 2026")).to_be_visible()

    table = page.get_by_role("table", name="Taux réservé et occupé — octobre 2026 et 12 mois")
    expect(table).to_contain_text("Télécentre La Gare")
    expect(table).to_contain_text("Télécentre de Riom-ès-Montagnes")
    expect(page.get_by_role("img", name="Taux réservé et occupé par télécentre — octobre 2026")).to_be_visible()
    expect(page.get_by_role("table", name="Trajets évités (estimation) — octobre 2026 et 12 mois")).to_contain_text(
        "Télécentre La Gare"
    )
    expect(page.get_by_text("ADEME, Base Empreinte", exact=False)).to_be_visible()
    assert_no_violations(page)

    # One telecentre: its heat map as a table, the rate written in each cell.
    link = page.get_by_role("link", name="Télécentre La Gare")
    tab_to(page, link)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Occupation — Télécentre La Gare")).to_be_visible()
    booked = page.get_by_role("table", name="Taux réservé par jour et par heure")
    expect(booked).to_be_visible()
    expect(booked.get_by_role("rowheader", name="Mardi")).to_be_visible()
    used = page.get_by_role("table", name="Taux occupé (arrivées pointées) par jour et par heure")
    expect(used).to_be_visible()
    expect(page.get_by_role("heading", name="Légende des couleurs")).to_be_visible()
    expect(page.get_by_role("table", name="Occupation par ressource")).to_contain_text("Salle du Plomb")
    assert_no_violations(page)
