"""A teleworker books Tuesdays and Thursdays for a month on her phone, with the keyboard:
the form, the list of dates, the report; then cancels one date in two steps. axe-core on
every page, the waiting-list page included."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def murat(transactional_db):
    from cybercantal.telework.models import ResourceKind
    from cybercantal.telework.tests.factories import ResourceFactory, TelecentreFactory
    from cybercantal.telework.tests.factories_series import employee_of

    telecentre = TelecentreFactory(place__name="Télécentre La Gare")
    pool = ResourceFactory(telecentre=telecentre, name="Espace partagé", kind=ResourceKind.SEAT_POOL, capacity=12)
    ResourceFactory(telecentre=telecentre, name="Bureau Bonnevie", kind=ResourceKind.OFFICE, capacity=1)
    employee = employee_of(telecentre, days_per_week=2)
    employee.first_name, employee.last_name = "Claire", "Vidal"
    employee.save()
    return telecentre, pool, employee


@pytest.mark.django_db(transaction=True)
def test_tuesdays_and_thursdays_for_a_month_then_cancel_one(
    page: Page, context: BrowserContext, live_server, murat
) -> None:
    from cybercantal.telework.models import BookingSeries, BookingStatus
    from cybercantal.telework.services.series import plan_dates, weekly_rule

    telecentre, pool, person = murat
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(context, live_server.url, person)
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    expected = plan_dates(
        rrule=weekly_rule(first_day=monday, weekdays=[1, 3], until=_month_end(monday)),
        first_day=monday,
        resource=pool,
    ).dates

    # 1. The form, with the keyboard.
    page.goto(f"{live_server.url}/telecentres/{telecentre.slug}/reserver/recurrent/")
    expect(page.get_by_role("heading", name="Réserver les mêmes jours chaque semaine")).to_be_visible()
    assert_no_violations(page)
    tab_to(page, page.get_by_label("mardi"))
    assert_focus_visible(page)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("jeudi"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("À partir du"))
    page.get_by_label("À partir du").fill(monday.isoformat())
    expect(page.get_by_label("pendant 1 mois")).to_be_checked()
    # The times are for offices and rooms: hidden once the shared space is chosen.
    expect(page.get_by_label("De (bureau ou salle)")).to_be_hidden()
    tab_to(page, page.get_by_role("button", name="Voir les dates"))
    assert_focus_visible(page)
    page.keyboard.press("Enter")

    # 2. The dates before anything is booked.
    expect(page.get_by_role("heading", name="Vérifiez les dates")).to_be_visible()
    expect(page.get_by_role("table", name="Les dates de la série").get_by_role("rowheader")).to_have_count(
        len(expected)
    )
    assert_no_violations(page)
    assert not BookingSeries.objects.exists()
    tab_to(page, page.get_by_role("button", name=f"Réserver ces {len(expected)} dates"))
    page.keyboard.press("Enter")

    # 3. The report.
    expect(page.get_by_text(f"Votre série est enregistrée : {len(expected)} réservées.")).to_be_visible()
    expect(page.get_by_role("heading", name="Réservations récurrentes")).to_be_visible()
    expect(page.get_by_text("tous les mardis et jeudis, journée")).to_be_visible()
    assert_no_violations(page)
    series = BookingSeries.objects.get()
    assert series.bookings.filter(status=BookingStatus.CONFIRMED).count() == len(expected)

    # 4. Cancel the first Thursday, in two steps.
    thursday = expected[1]
    label = re.compile(f"Annuler le jeudi {thursday.day} ")
    tab_to(page, page.get_by_role("button", name=label), max_tabs=150)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Confirmer l’annulation")).to_be_visible()
    expect(page.get_by_text("gratuite : crédits rendus")).to_be_visible()
    assert_no_violations(page)
    tab_to(page, page.get_by_role("button", name="Annuler cette réservation"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("1 réservation annulée.")).to_be_visible()
    expect(page.get_by_text("Depuis, 1 date a été annulée.")).to_be_visible()
    assert_no_violations(page)
    cancelled = series.bookings.get(status=BookingStatus.CANCELLED)
    assert timezone.localtime(cancelled.starts_at).date() == thursday

    # 5. The waiting-list page.
    page.goto(f"{live_server.url}/telecentres/liste-attente/")
    expect(page.get_by_role("heading", name="Mes listes d’attente")).to_be_visible()
    assert_no_violations(page)


def _month_end(first_day: dt.date) -> dt.date:
    from dateutil.relativedelta import relativedelta

    return first_day + relativedelta(months=1) - dt.timedelta(days=1)
