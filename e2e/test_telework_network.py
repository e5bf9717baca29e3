"""The telecentres network in a real browser: the manager of Murat's telecentre changes the
rules of a meeting room with the keyboard only, gets a French error next to the field, fixes
it; the public list and a telecentre's page pass axe-core (no serious or critical violation).

The demo telecentres are loaded (telework.demo.network) on top of the demo places; the manager
has TOTP (as every staff role must) and is signed in through a session cookie.
"""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to

PASSWORD = "mot-de-passe-solide-2026"


def _murat_manager(context: BrowserContext, base_url: str):
    from cybercantal.accounts.models import Role, RoleMembership, User
    from cybercantal.places.models import Place

    place = Place.objects.get(name="Télécentre La Gare")
    user = User.objects.create_user("marc.lafon@example.fr", PASSWORD, first_name="Marc", last_name="Lafon")
    RoleMembership.objects.create(
        user=user, role=Role.TELECENTRE_MANAGER, scope_type=ContentType.objects.get_for_model(Place), scope_id=place.pk
    )
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    return place


@pytest.fixture
def network(directory_data):
    from cybercantal.telework.demo.network import load

    load()


def _fill(page: Page, label: str, value: str) -> None:
    """Reach a field with Tab, select what it holds and type over it."""
    field = page.get_by_label(label)
    tab_to(page, field)
    assert_focus_visible(page)
    page.keyboard.press("Control+A")
    page.keyboard.type(value)


@pytest.mark.django_db(transaction=True)
def test_manager_edits_a_room_rules_with_the_keyboard(
    page: Page, context: BrowserContext, live_server, network
) -> None:
    from cybercantal.telework.models import Resource

    place = _murat_manager(context, live_server.url)
    page.goto(f"{live_server.url}/telecentres/gestion/")
    expect(page.get_by_role("heading", name="Gestion des télécentres")).to_be_visible()
    assert_no_violations(page)

    tab_to(page, page.get_by_role("link", name="Télécentre La Gare", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Gérer Télécentre La Gare")).to_be_visible()
    assert_no_violations(page)

    tab_to(page, page.get_by_role("link", name="Modifier Salle du Plomb"))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Modifier « Salle du Plomb »")).to_be_visible()

    # 45 minutes at least, by steps of 30: impossible, the step must divide the minimum.
    _fill(page, "Durée minimale (minutes)", "45")
    _fill(page, "Battement entre deux réservations (minutes)", "10")
    tab_to(page, page.get_by_role("button", name="Enregistrer"))
    assert_focus_visible(page)
    page.keyboard.press("Enter")

    expect(page.get_by_text("Rien n’est envoyé : corrigez les champs signalés.")).to_be_visible()
    step = page.get_by_label("Pas de réservation (minutes)")
    expect(step).to_have_attribute("aria-invalid", "true")
    error = page.locator("#id_step_minutes_error")
    expect(error).to_contain_text("Le pas (30 min) doit diviser la durée minimale (45 min)")
    assert "id_step_minutes_error" in (step.get_attribute("aria-describedby") or "")
    assert_no_violations(page)
    room = Resource.objects.get(telecentre__place=place, name="Salle du Plomb")
    assert (room.min_minutes, room.step_minutes, room.buffer_minutes) == (30, 30, 15)

    # The link of the error summary leads to the field; the person fixes it.
    page.get_by_role("link", name="Pas de réservation (minutes)").focus()
    page.keyboard.press("Enter")
    _fill(page, "Pas de réservation (minutes)", "15")
    tab_to(page, page.get_by_role("button", name="Enregistrer"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("La ressource « Salle du Plomb » est enregistrée.")).to_be_visible()
    expect(page.get_by_role("heading", name="Gérer Télécentre La Gare")).to_be_visible()
    room.refresh_from_db()
    assert (room.min_minutes, room.step_minutes, room.buffer_minutes) == (45, 15, 10)


@pytest.mark.django_db(transaction=True)
def test_public_list_and_detail_pass_axe(page: Page, live_server, network) -> None:
    from cybercantal.places.models import Place

    page.goto(f"{live_server.url}/telecentres/")
    expect(page.get_by_role("heading", level=1, name="Les télécentres du Cantal")).to_be_visible()
    expect(page.get_by_role("heading", name="Bientôt ouverts")).to_be_visible()
    expect(page.get_by_text("Ouverture prévue le")).to_be_visible()
    assert_no_violations(page)

    slug = Place.objects.get(name="Télécentre La Gare").slug
    page.get_by_role("link", name="Voir Télécentre La Gare").click()
    expect(page).to_have_url(f"{live_server.url}/telecentres/{slug}/")
    expect(page.get_by_role("heading", level=1, name="Télécentre La Gare")).to_be_visible()
    expect(page.get_by_role("table", name="Horaires de cette semaine")).to_be_visible()
    expect(page.get_by_role("heading", name="Salle du Plomb")).to_be_visible()
    assert_no_violations(page)

    # Small screens (a teleworker on a phone): still no violation, nothing hidden sideways.
    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    assert_no_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    page.goto(f"{live_server.url}/telecentres/n-existe-pas/")
    expect(page.get_by_role("heading", name="Télécentre introuvable")).to_be_visible()
    assert_no_violations(page)
