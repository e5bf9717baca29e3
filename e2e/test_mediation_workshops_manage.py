"""The mediator's side of the workshops in a real browser: programme a session and take
attendance with the keyboard only, and no serious axe-core violation on the workspace pages.

The mediator has TOTP (as every staff role must) and is signed in through a session cookie,
like e2e/test_every_page_axe.py.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import assert_no_violations, axe_check_urls
from e2e.keyboard import assert_focus_visible, tab_to

PASSWORD = "mot-de-passe-solide-2026"


def _mediator(context: BrowserContext, base_url: str):
    """A mediator of « EPN du Pays Vert » (Ydes) with a Mediator profile, signed in."""
    from cybercantal.accounts.models import Role, RoleMembership, User
    from cybercantal.mediation.models import Mediator
    from cybercantal.places.models import Place

    place = Place.objects.get(name="EPN du Pays Vert")
    user = User.objects.create_user("lea.fabre@example.fr", PASSWORD, first_name="Léa", last_name="Fabre")
    RoleMembership.objects.create(
        user=user, role=Role.MEDIATOR, scope_type=ContentType.objects.get_for_model(Place), scope_id=place.pk
    )
    TOTP.activate(user, generate_totp_secret())
    mediator = Mediator.objects.create(user=user)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    return mediator, place


def _workshop(title: str = "Premiers pas avec le courriel"):
    from cybercantal.mediation.models import Workshop

    return Workshop.objects.create(
        title=title,
        slug=re.sub(r"[^a-z]+", "-", title.lower()),
        summary="Lire et envoyer un message.",
        themes=["email"],
        publics=["seniors"],
        duration_minutes=120,
    )


def _started_session(place, workshop, mediator, names):
    from cybercantal.mediation.models import Registration, Session

    starts = timezone.now() - dt.timedelta(minutes=30)
    session = Session.objects.create(
        workshop=workshop,
        place=place,
        mediator=mediator,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        capacity=8,
        confirmed_count=len(names),
    )
    for first, last in names:
        Registration.objects.create(
            session=session,
            first_name=first,
            last_name=last,
            status="confirmed",
            channel="phone",
            phone="04 71 00 00 00",
        )
    return session


@pytest.mark.django_db(transaction=True)
def test_mediator_programmes_a_session_with_the_keyboard_only(
    page: Page, context: BrowserContext, live_server, directory_data
) -> None:
    from cybercantal.mediation.models import Session

    mediator, place = _mediator(context, live_server.url)
    _workshop()
    page.goto(live_server.url + "/mediation/seances/nouvelle/")
    expect(page.get_by_role("heading", name="Programmer une séance")).to_be_visible()

    tab_to(page, page.get_by_label("Atelier"))
    assert_focus_visible(page)
    page.keyboard.press("ArrowDown")  # the first workshop of the catalogue
    expect(page.get_by_label("Lieu")).to_have_value(str(place.pk))  # their only EPN, preselected
    # Headless Chromium orders the date segments by its own UI language (dd/mm or mm/dd),
    # not the page's: a day whose day and month numbers are equal reads the same both ways.
    day = timezone.localdate() + dt.timedelta(days=2)
    while day.day != day.month:
        day += dt.timedelta(days=1)
    tab_to(page, page.get_by_label("Date"))
    page.keyboard.type(day.strftime("%d%m%Y"))
    tab_to(page, page.get_by_label("Heure de début"))
    page.keyboard.type("1400")
    tab_to(page, page.get_by_label("Nombre de places"))
    page.keyboard.press("Control+A")
    page.keyboard.type("6")
    tab_to(page, page.get_by_label("Nombre de séances (une par semaine)"))
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    tab_to(page, page.get_by_role("button", name="Programmer"))
    assert_focus_visible(page)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1, name="Premiers pas avec le courriel")).to_be_visible()
    expect(page.get_by_text("3 séances hebdomadaires sont programmées")).to_be_visible()
    sessions = list(Session.objects.order_by("starts_at"))
    assert len(sessions) == 3
    assert sessions[0].capacity == 6
    assert sessions[0].mediator_id == mediator.pk
    assert timezone.localtime(sessions[0].starts_at).strftime("%Y-%m-%d %H:%M") == f"{day:%Y-%m-%d} 14:00"
    assert_no_violations(page)


@pytest.mark.django_db(transaction=True)
def test_mediator_takes_attendance_with_the_keyboard_only(
    page: Page, context: BrowserContext, live_server, directory_data
) -> None:
    from cybercantal.mediation.models import Registration

    mediator, place = _mediator(context, live_server.url)
    session = _started_session(
        place, _workshop(), mediator, [("Gaston", "Roumégoux"), ("Marie", "Delpuech"), ("Paul", "Vermenouze")]
    )
    page.goto(f"{live_server.url}/mediation/seances/{session.pk}/presences/")
    assert_no_violations(page)
    # Big targets for fingers: each toggle is at least 44 px high.
    for box in page.locator(".wm-toggle").evaluate_all("(els) => els.map((el) => el.getBoundingClientRect().height)"):
        assert box >= 44

    for name in ("Gaston Roumégoux", "Paul Vermenouze"):
        checkbox = page.get_by_role("checkbox", name=name)
        tab_to(page, checkbox)
        assert_focus_visible(page)
        page.keyboard.press("Space")
        expect(checkbox).to_be_checked()
    expect(page.get_by_role("checkbox", name="Marie Delpuech")).not_to_be_checked()
    tab_to(page, page.get_by_role("button", name="Enregistrer les présences"))
    page.keyboard.press("Enter")

    expect(page.locator("#resume-presences")).to_have_text("2 présents, 1 absent")
    assert dict(Registration.objects.values_list("first_name", "attended")) == {
        "Gaston": True,
        "Marie": False,
        "Paul": True,
    }
    expect(page.get_by_role("checkbox", name="Gaston Roumégoux")).to_be_checked()


@pytest.mark.django_db(transaction=True)
def test_workspace_pages_have_no_serious_violation(
    page: Page, context: BrowserContext, live_server, directory_data
) -> None:
    from cybercantal.mediation.models import Registration

    mediator, place = _mediator(context, live_server.url)
    workshop = _workshop()
    session = _started_session(place, workshop, mediator, [("Gaston", "Roumégoux")])
    Registration.objects.create(
        session=session,
        first_name="Rose",
        last_name="Cayrol",
        status="waitlisted",
        waitlisted_at=timezone.now(),
        channel="desk",
    )
    promoted = Registration.objects.get(first_name="Gaston")
    promoted.promoted_at = timezone.now()
    promoted.save()
    axe_check_urls(
        page,
        live_server.url,
        [
            "/mediation/",
            "/mediation/ateliers/",
            f"/mediation/ateliers/{workshop.pk}/modifier/",
            "/mediation/seances/",
            "/mediation/seances/?periode=past",
            "/mediation/seances/nouvelle/",
            f"/mediation/seances/{session.pk}/",
            f"/mediation/seances/{session.pk}/presences/",
        ],
    )
