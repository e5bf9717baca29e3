"""Acceptance, the teleworker's part, on her phone (390 × 844) and with the keyboard where it
matters: the invitation on the join page, Tuesdays and Thursdays for a month at Murat's
telecentre, the report, her calendar address, and on the first Tuesday the poster's address
(what the QR code at the door opens) to check in. axe-core on every page visited.

The sign-up, the emails, the employer's and the programme team's pages are played in
``src/cybercantal/telework/tests/test_acceptance.py``."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import Browser, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to

PHONE = {"width": 390, "height": 844}
CLAIRE_EMAIL = "claire.vidal@laiterie-des-monts.fr"


def _phone(browser: Browser, base_url: str, user) -> Page:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    return context.new_page()


@pytest.fixture
def invited(transactional_db):
    """Murat's telecentre (open every weekday), its shared space, the dairy's agreement in force
    covering it two days a week, and Claire: an account with her verified work address, named
    by her employer (the invitation waits for her)."""
    from allauth.account.models import EmailAddress

    from cybercantal.accounts.models import Organisation, User
    from cybercantal.accounts.tests.factories import OrganisationFactory
    from cybercantal.telework.models import ResourceKind
    from cybercantal.telework.tests.factories import (
        AgreementFactory,
        EmployeeFactory,
        ResourceFactory,
        TelecentreFactory,
    )

    murat = TelecentreFactory(
        place__name="Télécentre La Gare",
        place__address="1 avenue de la Gare",
        place__opening_hours="Mo-Fr 08:30-18:00",
        welcome_text="Code de la porte envoyé par courriel. Wifi : LaGare-Invites.",
    )
    ResourceFactory(telecentre=murat, name="Espace partagé", kind=ResourceKind.SEAT_POOL, capacity=6)
    ResourceFactory(telecentre=murat, name="Bureau Bonnevie", kind=ResourceKind.OFFICE, capacity=1)
    employer = OrganisationFactory(name="Laiterie des Monts", kind=Organisation.Kind.EMPLOYER)
    agreement = AgreementFactory(employer=employer, telecentres=[murat], days_per_week=2)
    employee = EmployeeFactory(agreement=agreement, first_name="Claire", last_name="Vidal", email=CLAIRE_EMAIL)
    claire = User.objects.create_user(CLAIRE_EMAIL, "mot-de-passe-solide-2026")
    EmailAddress.objects.create(user=claire, email=CLAIRE_EMAIL, primary=True, verified=True)
    return murat, employee, claire


@pytest.mark.django_db(transaction=True)
def test_teleworker_joins_books_a_month_of_tuesdays_and_thursdays_and_checks_in(
    browser: Browser, live_server, invited, monkeypatch
) -> None:
    from cybercantal.telework.models import BookingSeries, BookingStatus

    murat, employee, claire = invited
    phone = _phone(browser, live_server.url, claire)
    base = live_server.url
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    until = monday + relativedelta(months=1) - dt.timedelta(days=1)
    expected = [
        day
        for day in (monday + dt.timedelta(days=n) for n in range((until - monday).days + 1))
        if day.weekday() in (1, 3)
    ]

    # 1. The join page: the dairy's invitation; she joins with the keyboard.
    phone.goto(f"{base}/telecentres/rejoindre/")
    expect(phone.get_by_role("heading", name="Rejoindre la convention de mon employeur")).to_be_visible()
    expect(phone.get_by_role("heading", name="Laiterie des Monts")).to_be_visible()
    assert_no_violations(phone)
    phone.get_by_role("link", name="Rejoindre Laiterie des Monts").click()
    expect(phone.get_by_role("heading", name="Rejoindre la convention de Laiterie des Monts")).to_be_visible()
    expect(phone.get_by_text("vous ne payez rien")).to_be_visible()
    expect(phone.get_by_text("Télécentre : Télécentre La Gare")).to_be_visible()
    assert_no_violations(phone)
    join = phone.get_by_role("button", name="Rejoindre la convention")
    tab_to(phone, join)
    assert_focus_visible(phone)
    phone.keyboard.press("Enter")
    expect(phone.get_by_text("Bienvenue ! Laiterie des Monts prend en charge vos journées")).to_be_visible()
    assert phone.url.endswith(f"/telecentres/{murat.slug}/disponibilites/")
    assert_no_violations(phone)
    employee.refresh_from_db()
    assert employee.user == claire
    assert claire.telework_memberships.filter(telecentre=murat, agreement=employee.agreement).exists()

    # 2. From the telecentre's page, the recurring booking: Tuesdays and Thursdays for a month.
    phone.get_by_role("link", name="Télécentre La Gare").first.click()
    expect(phone.get_by_role("heading", name="Télécentre La Gare", level=1)).to_be_visible()
    assert_no_violations(phone)
    phone.get_by_role("link", name="Réserver chaque semaine").click()
    expect(phone.get_by_role("heading", name="Réserver les mêmes jours chaque semaine")).to_be_visible()
    assert_no_violations(phone)
    tab_to(phone, phone.get_by_label("mardi"))
    assert_focus_visible(phone)
    phone.keyboard.press("Space")
    tab_to(phone, phone.get_by_label("jeudi"))
    phone.keyboard.press("Space")
    tab_to(phone, phone.get_by_label("À partir du"))
    phone.get_by_label("À partir du").fill(monday.isoformat())
    expect(phone.get_by_label("pendant 1 mois")).to_be_checked()
    expect(phone.get_by_label("Journée")).to_be_checked()
    tab_to(phone, phone.get_by_role("button", name="Voir les dates"))
    assert_focus_visible(phone)
    phone.keyboard.press("Enter")

    # 3. The dates, then the report: all booked.
    expect(phone.get_by_role("heading", name="Vérifiez les dates")).to_be_visible()
    dates = phone.get_by_role("table", name="Les dates de la série").get_by_role("rowheader")
    expect(dates).to_have_count(len(expected))
    expect(dates.first).to_have_text(date_format(expected[0], "l j F Y"))
    assert_no_violations(phone)
    confirm = phone.get_by_role("button", name=f"Réserver ces {len(expected)} dates")
    tab_to(phone, confirm)
    assert_focus_visible(phone)
    phone.keyboard.press("Enter")
    expect(phone.get_by_text(f"Votre série est enregistrée : {len(expected)} réservées.")).to_be_visible()
    expect(phone.get_by_text("tous les mardis et jeudis, journée")).to_be_visible()
    assert_no_violations(phone)
    series = BookingSeries.objects.get(member=claire)
    bookings = list(series.bookings.filter(status=BookingStatus.CONFIRMED).order_by("starts_at"))
    assert [timezone.localtime(b.starts_at).date() for b in bookings] == expected
    assert not series.report

    # 4. Her calendar address, for her phone's agenda.
    phone.goto(f"{base}/telecentres/mon-espace/calendrier/")
    expect(phone.get_by_role("heading", name="Mes réservations dans mon agenda")).to_be_visible()
    https = phone.get_by_label("Adresse de votre agenda (https)").input_value()
    assert re.search(r"/telecentres/calendrier/[A-Za-z0-9_-]+\.ics$", https)
    assert_no_violations(phone)
    feed = phone.request.get(https.replace(settings.SITE_URL, base))
    assert feed.status == 200
    assert feed.text().count("BEGIN:VEVENT") == len(expected)
    assert bookings[0].checkin_code in feed.text()

    # 5. The first Tuesday, 9 h 05, at the door: the poster's QR code opens the arrival page.
    tuesday = expected[0]
    moment = timezone.make_aware(dt.datetime.combine(tuesday, dt.time(9, 5)))
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
    phone.goto(f"{base}/telecentres/{murat.slug}/arrivee/{murat.checkin_token}/")
    expect(phone.get_by_role("heading", name="Bienvenue à Télécentre La Gare")).to_be_visible()
    arrived = phone.get_by_role("button", name=re.compile(r"Je suis arrivé\(e\)"))
    expect(arrived).to_be_visible()
    assert_no_violations(phone)
    tab_to(phone, arrived)
    assert_focus_visible(phone)
    phone.keyboard.press("Enter")
    expect(phone.get_by_text("Arrivée enregistrée : votre place est à vous jusqu'à 18 h")).to_be_visible()
    assert_no_violations(phone)
    bookings[0].refresh_from_db()
    assert bookings[0].checked_in_at == moment
