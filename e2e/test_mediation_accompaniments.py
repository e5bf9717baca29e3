"""A mediator records an accompaniment on a phone with the keyboard only; axe on the pages.

The quick form must take well under a minute: here the whole record (defaults kept: today,
the mediator's only place, on site, 30 min, anonymous) is one theme ticked and Enter.
"""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to

PHONE = {"width": 375, "height": 667}


def _mediator(place):
    from cybercantal.accounts.models import Role, RoleMembership, User

    user = User.objects.create_user(
        "lea.fabre@example.fr", "mot-de-passe-solide-2026", first_name="Léa", last_name="Fabre"
    )
    RoleMembership.objects.create(user=user, role=Role.MEDIATOR, scope=place)
    TOTP.activate(user, generate_totp_secret())
    return user


def _signed_in_phone(browser: Browser, base_url: str, user) -> Page:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    return context.new_page()


@pytest.fixture
def ydes_epn(directory_data):
    from cybercantal.places.models import Place

    return Place.objects.get(name="EPN du Pays Vert")


@pytest.mark.django_db(transaction=True)
def test_keyboard_only_individual_accompaniment_on_a_phone(browser: Browser, live_server, ydes_epn) -> None:
    from cybercantal.mediation.models import Accompaniment

    user = _mediator(ydes_epn)
    page = _signed_in_phone(browser, live_server.url, user)
    started = time.monotonic()
    page.goto(live_server.url + "/mediation/accompagnements/nouveau/")
    expect(page.get_by_role("heading", name="Nouvel accompagnement")).to_be_visible()
    # The defaults are there: nothing to type for date, place, duration, place type.
    expect(page.get_by_label("Structure :", exact=True)).to_have_value(str(ydes_epn.pk))
    expect(page.get_by_role("radio", name="30 min")).to_be_checked()
    expect(page.get_by_role("radio", name="Dans le lieu (EPN, borne)")).to_be_checked()
    # The person's details stay hidden until "suivre" is ticked (anonymous by default).
    expect(page.get_by_label("Prénom")).to_be_hidden()

    # The duration group is one Tab stop (on the checked button); arrows move within it.
    presses = tab_to(page, page.get_by_role("radio", name="30 min"))
    page.keyboard.press("ArrowRight")  # 30 -> 45 min
    presses += 1
    expect(page.get_by_role("radio", name="45 min")).to_be_checked()
    presses += tab_to(page, page.get_by_role("checkbox", name="Courriel"))
    assert_focus_visible(page)
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    presses += 2
    expect(page.get_by_text("Enregistré. Nouvel accompagnement ?")).to_be_visible()
    elapsed = time.monotonic() - started

    record = Accompaniment.objects.get()
    assert (record.kind, record.duration_minutes, record.themes, record.place_id) == (
        "individual",
        45,
        ["email"],
        ydes_epn.pk,
    )
    assert record.beneficiary is None
    # Few interactions, well under a minute (measured: printed for the closing note).
    print(f"\nkeyboard interactions: {presses}, seconds: {elapsed:.1f}")
    assert presses <= 40, presses
    assert elapsed < 60
    # The form is there again, blank, for the next person.
    expect(page.get_by_role("checkbox", name="Courriel")).not_to_be_checked()
    page.context.close()


@pytest.mark.django_db(transaction=True)
def test_follow_reveals_the_person_fields(browser: Browser, live_server, ydes_epn) -> None:
    user = _mediator(ydes_epn)
    page = _signed_in_phone(browser, live_server.url, user)
    page.goto(live_server.url + "/mediation/accompagnements/nouveau/")
    page.get_by_label("Suivre cette personne (avec son accord)").check()
    expect(page.get_by_label("Prénom")).to_be_visible()
    page.get_by_label("Prénom").fill("Marcel")
    page.get_by_label("Nom :", exact=True).fill("Chambon")
    page.get_by_role("checkbox", name="Courriel").check()
    page.get_by_role("button", name="Enregistrer").click()
    # Without the consent box: refused, said next to it, fields still shown.
    expect(page.get_by_text("Une personne n'est suivie qu'avec son accord").first).to_be_visible()
    expect(page.get_by_label("Prénom")).to_have_value("Marcel")
    page.get_by_label("La personne a donné son accord", exact=False).check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Enregistré. Nouvel accompagnement ?")).to_be_visible()
    page.context.close()


@pytest.mark.django_db(transaction=True)
def test_pages_have_no_serious_violation(browser: Browser, live_server, ydes_epn) -> None:
    from cybercantal.mediation.services import accompaniments as services

    user = _mediator(ydes_epn)
    from django.utils import timezone

    person = services.beneficiary_create(actor=user, place=ydes_epn, first_name="Odette", last_name="Bouygues")
    services.accompaniment_create(
        actor=user,
        place=ydes_epn,
        kind="individual",
        date=timezone.localdate(),
        duration_minutes=30,
        themes=["email"],
        beneficiary=person,
    )
    page = _signed_in_phone(browser, live_server.url, user)
    found = {}
    for path in (
        "/mediation/accompagnements/nouveau/",
        "/mediation/accompagnements/nouveau/?type=collectif",
        "/mediation/accompagnements/",
        "/mediation/personnes/",
        f"/mediation/personnes/{person.pk}/",
        f"/mediation/personnes/{person.pk}/effacer/",
    ):
        response = page.goto(live_server.url + path)
        assert response is not None, path
        assert response.ok, path
        try:
            assert_no_violations(page)
        except AssertionError as exc:
            found[path] = str(exc)
    # The form with errors too.
    page.goto(live_server.url + "/mediation/accompagnements/nouveau/?type=collectif")
    page.get_by_label("Nombre de participants").fill("3")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Rien n’est enregistré")).to_be_visible()
    try:
        assert_no_violations(page)
    except AssertionError as exc:
        found["errors"] = str(exc)
    assert not found, found
    page.context.close()
