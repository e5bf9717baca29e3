"""A kiosk agent sees a help request, takes it and records the help given with the keyboard
only, choosing « Manque de confiance »; axe-core on the agent and staff pages."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import assert_no_violations, axe_check_urls
from e2e.keyboard import assert_focus_visible, tab_to


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


def _person(email: str, role: str, scope=None, first_name: str = "Paul"):
    from cybercantal.accounts.models import RoleMembership, User

    user = User.objects.create_user(email, "mot-de-passe-solide-2026", first_name=first_name, last_name="Chabrier")
    RoleMembership.objects.create(user=user, role=role, scope=scope)
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def murat_kiosk(directory_data):
    from cybercantal.kiosks.models import Kiosk, KioskStatus
    from cybercantal.places.models import Place

    place = Place.objects.filter(offers__has="kiosk").order_by("slug").first()
    return Kiosk.objects.create(
        code="murat", place=place, canton=place.canton, status=KioskStatus.IN_SERVICE, help_location="Au guichet"
    )


@pytest.mark.django_db(transaction=True)
def test_agent_takes_and_records_with_the_keyboard(page: Page, context: BrowserContext, live_server, murat_kiosk):
    from cybercantal.kiosks.models import HelpRequest
    from cybercantal.mediation.models import Accompaniment

    agent = _person("paul.chabrier@example.fr", "kiosk_agent", murat_kiosk.place)
    request = HelpRequest.objects.create(kiosk=murat_kiosk, category="identity")
    _sign_in(context, live_server.url, agent)
    page.goto(live_server.url + "/bornes/agent/")
    expect(page.get_by_role("heading", name="1 demande en attente")).to_be_visible()
    assert_no_violations(page)

    take = page.get_by_role("button", name="Je m’en occupe")
    tab_to(page, take)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Noter l'aide apportée")).to_be_visible()
    assert_no_violations(page)

    tab_to(page, page.get_by_role("checkbox", name="Papiers, élections, citoyenneté"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("radio", name="Pas d'équipement"))
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="Manque de confiance")).to_be_checked()
    tab_to(page, page.get_by_role("radio", name="Démarche terminée"))
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name="15 min")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page.get_by_text("L'aide apportée est enregistrée. Merci !")).to_be_visible()

    request.refresh_from_db()
    record = Accompaniment.objects.get(pk=request.accompaniment_id)
    assert request.status == "done"
    assert (record.help_reason, record.outcome, record.duration_minutes) == ("trust", "completed", 15)
    assert record.admin_themes == ["papers"]
    assert record.kiosk_id == murat_kiosk.pk


@pytest.mark.django_db(transaction=True)
def test_staff_pages_have_no_serious_violation(page: Page, context: BrowserContext, live_server, murat_kiosk):
    from cybercantal.kiosks.models import TrainingAttendance, TrainingSession

    agent = _person("agent@example.fr", "kiosk_agent", murat_kiosk.place)
    session = TrainingSession.objects.create(
        date="2025-03-04", trainer="Marie Delort", topics="ANTS, CAF", duration_minutes=240
    )
    TrainingAttendance.objects.create(session=session, user=agent)
    manager = _person("charge@example.fr", "programme_manager", first_name="Élise")
    _sign_in(context, live_server.url, manager)
    page.goto(live_server.url + "/bornes/agents/")
    assert page.url == live_server.url + "/bornes/agents/"
    axe_check_urls(
        page,
        live_server.url,
        [
            "/bornes/formations/",
            "/bornes/formations/nouvelle/",
            f"/bornes/formations/{session.pk}/modifier/",
            "/bornes/agents/",
            "/bornes/statistiques/",
        ],
    )
    # The error summary of the training form, too.
    page.goto(live_server.url + "/bornes/formations/nouvelle/")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Rien n’est enregistré")).to_be_visible()
    assert_no_violations(page)


@pytest.mark.django_db(transaction=True)
def test_new_requests_are_announced_without_moving_the_agents_focus(
    page: Page, context: BrowserContext, live_server, murat_kiosk, settings
):
    """The poll updates only a polite status region: the list (and the keyboard focus in it)
    stays as it is until the agent chooses « Afficher »."""
    from cybercantal.kiosks.models import HelpRequest

    settings.KIOSKS_AGENT_POLL_SECONDS = 1
    agent = _person("paul.chabrier@example.fr", "kiosk_agent", murat_kiosk.place)
    HelpRequest.objects.create(kiosk=murat_kiosk, category="identity")
    _sign_in(context, live_server.url, agent)
    page.goto(live_server.url + "/bornes/agent/")
    take = page.get_by_role("button", name="Je m’en occupe")
    tab_to(page, take)
    expect(take).to_be_focused()

    HelpRequest.objects.create(kiosk=murat_kiosk, category="taxes")
    HelpRequest.objects.create(kiosk=murat_kiosk, category="health")
    status = page.get_by_role("status").filter(has_text="depuis l’affichage de la page")
    expect(status).to_contain_text("2 nouvelles demandes depuis l’affichage de la page.", timeout=8000)
    page.wait_for_timeout(2500)  # a few more polls: nothing else changes
    expect(take).to_be_focused()
    expect(page.get_by_role("button", name="Je m’en occupe")).to_have_count(1)
    expect(page.get_by_role("heading", name="1 demande en attente")).to_be_visible()
    assert_no_violations(page)

    show = page.get_by_role("link", name="Afficher la liste à jour des demandes")
    show.focus()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="3 demandes en attente")).to_be_visible()
    expect(page.get_by_role("button", name="Je m’en occupe")).to_have_count(3)
