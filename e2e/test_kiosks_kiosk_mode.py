"""The kiosk mode as a person uses it (issue 5 §2): at the Murat kiosk a woman taps
"Papiers d'identité", then "Carte d'identité", reads what to bring, asks for help and is told
where to find the agent; she walks away and the kiosk warns, then goes back home with nothing
of hers left. Display options, the keyboard alone, and axe-core on every screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from e2e.axe import axe_violations
from e2e.keyboard import assert_focus_visible, tab_to

IDLE = 30  # seconds: the kiosk's shortest setting


@pytest.fixture
def murat(transactional_db):
    from cybercantal.kiosks.models import Category
    from cybercantal.kiosks.tests.factories import KioskFactory, ProcedureFactory
    from cybercantal.places.tests.factories import PlaceFactory

    place = PlaceFactory(name="Communauté de communes Hautes Terres")
    ProcedureFactory(
        slug="carte-identite",
        title="Carte d'identité",
        category=Category.IDENTITY,
        summary="Demander ou renouveler sa carte d'identité. Prendre rendez-vous en mairie.",
        documents="Une photo d'identité récente\nUn justificatif de domicile",
        official_url="https://ants.gouv.fr/",
        official_name="ANTS",
    )
    ProcedureFactory(
        slug="passeport", title="Passeport", category=Category.IDENTITY, summary="Pour voyager hors d'Europe."
    )
    ProcedureFactory(slug="aide-logement", title="Aide au logement", category=Category.HOUSING)
    return KioskFactory(
        code="murat", place=place, idle_timeout_seconds=IDLE, help_location="au guichet d'accueil, à votre gauche"
    )


def pause_clock(page: Page) -> None:
    """Stop the page's time where it is: from now on only ``clock.run_for`` moves it.
    (Resume it before running axe-core, which waits on timers of its own.)"""
    # The page's time keeps running between reading it and pausing: on a busy machine it can
    # overtake the target, which Playwright refuses ("Cannot fast-forward to the past"). Retry.
    for attempt in range(10):
        try:
            page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 0.1)  # seconds since the epoch
            return
        except PlaywrightError as error:
            if "past" not in str(error) or attempt == 9:
                raise


def session_id(page: Page) -> str | None:
    from django.conf import settings

    for cookie in page.context.cookies():
        if cookie["name"] == settings.SESSION_COOKIE_NAME:
            return cookie["value"]
    return None


def test_identity_card_help_then_idle_reset(page: Page, live_server, murat):
    from cybercantal.kiosks.models import HelpRequest

    page.clock.install()
    page.goto(f"{live_server.url}/borne/murat/")
    expect(page.get_by_role("heading", level=1, name="Que voulez-vous faire ?")).to_be_visible()
    assert axe_violations(page) == []
    start_length = page.evaluate("history.length")

    page.get_by_role("link", name="Papiers d'identité").click()
    expect(page.get_by_role("heading", level=1, name="Papiers d'identité")).to_be_visible()
    expect(page.get_by_text("Prendre rendez-vous en mairie.")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name=re.compile("^Carte d'identité")).click()
    expect(page.get_by_role("heading", level=1, name="Carte d'identité")).to_be_visible()
    expect(page.get_by_role("heading", name="Ce qu'il faut apporter")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Un justificatif de domicile")).to_be_visible()
    official = page.get_by_role("link", name="Faire la démarche en ligne : ANTS")
    expect(official).to_have_attribute("href", "https://ants.gouv.fr/")
    expect(official).to_have_attribute("rel", "noopener")
    box = page.get_by_role("button", name="Demander de l'aide").bounding_box()
    assert box is not None
    assert box["height"] >= 64
    assert axe_violations(page) == []

    page.get_by_role("button", name="Demander de l'aide").click()
    page.wait_for_url(re.compile(r"/borne/murat/aide/envoyee/$"))
    expect(page.get_by_role("status")).to_contain_text("Un agent arrive. Vous le trouverez : au guichet d'accueil")
    assert axe_violations(page) == []
    request = HelpRequest.objects.get()
    assert (request.category, request.procedure_slug) == ("identity", "carte-identite")
    # The kiosk's own navigation never adds history entries: "Back" has nothing to show.
    assert page.evaluate("history.length") == start_length

    before = session_id(page)
    assert before
    pause_clock(page)  # (after the axe runs: axe-core waits on timers of its own)
    # The page's time ran during the checks above (seconds on a busy machine): a key restarts
    # the idle count from the paused instant, as a person's touch would.
    page.keyboard.press("Shift")
    page.evaluate("sessionStorage.setItem('trace', 'x'); localStorage.setItem('trace', 'y')")
    page.clock.run_for(IDLE * 1000 - 500)
    expect(page.get_by_role("dialog")).to_be_hidden()
    page.clock.run_for(600)
    dialog = page.get_by_role("dialog", name="Vous êtes toujours là ?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Continuer")).to_be_focused()
    expect(dialog).to_contain_text("20 secondes")
    page.clock.run_for(5_000)
    expect(dialog).to_contain_text("15 secondes")
    page.clock.run_for(15_000)
    page.wait_for_url(re.compile(r"/borne/murat/$"))
    expect(page.get_by_role("heading", level=1, name="Que voulez-vous faire ?")).to_be_visible()
    after = session_id(page)
    assert after
    assert after != before
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.get(session_key=after).get_decoded() == {"kiosk_code": "murat"}


def test_continue_keeps_the_person_on_the_page(page: Page, live_server, murat):
    page.clock.install()
    page.goto(f"{live_server.url}/borne/murat/demarche/carte-identite/")
    pause_clock(page)
    page.clock.run_for((IDLE + 1) * 1000)
    dialog = page.get_by_role("dialog", name="Vous êtes toujours là ?")
    expect(dialog).to_be_visible()
    page.clock.resume()
    assert axe_violations(page) == []
    pause_clock(page)
    dialog.get_by_role("button", name="Continuer").click()
    expect(dialog).to_be_hidden()
    page.clock.run_for(25_000)
    expect(page).to_have_url(re.compile(r"/demarche/carte-identite/$"))
    expect(dialog).to_be_hidden()


def test_terminer_ends_at_once(page: Page, live_server, murat):
    page.goto(f"{live_server.url}/borne/murat/categorie/identity/")
    before = session_id(page)
    page.get_by_role("link", name="Terminer").click()
    page.wait_for_url(re.compile(r"/borne/murat/$"))
    expect(page.get_by_role("heading", level=1, name="Que voulez-vous faire ?")).to_be_visible()
    assert session_id(page) not in (None, before)


def test_contrast_and_large_text(page: Page, live_server, murat):
    page.goto(f"{live_server.url}/borne/murat/")
    html = page.locator("html")
    size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    contrast = page.get_by_role("button", name="Contraste élevé")
    expect(contrast).to_have_attribute("aria-pressed", "false")
    contrast.click()
    expect(html).to_have_class(re.compile(r"\bkiosk-contrast\b"))
    expect(page.get_by_role("button", name="Contraste élevé")).to_have_attribute("aria-pressed", "true")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(0, 0, 0)"
    assert axe_violations(page) == []
    page.get_by_role("button", name="Texte plus grand").click()
    expect(html).to_have_class(re.compile(r"\bkiosk-large\b"))
    larger = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert larger > size * 1.2
    # Kept on the next page for the same person…
    page.get_by_role("link", name="Papiers d'identité").click()
    expect(page.get_by_role("heading", level=1, name="Papiers d'identité")).to_be_visible()
    expect(html).to_have_class(re.compile(r"kiosk-contrast kiosk-large"))
    assert axe_violations(page) == []
    # …and gone with everything else when the person leaves.
    page.get_by_role("link", name="Terminer").click()
    page.wait_for_url(re.compile(r"/borne/murat/$"))
    expect(html).to_have_class("kiosk-page")


def test_takeaway_sheet(page: Page, live_server, murat):
    page.goto(f"{live_server.url}/borne/murat/demarche/carte-identite/")
    page.get_by_role("link", name=re.compile("^Emporter")).click()
    expect(page.get_by_role("heading", level=1, name="Carte d'identité")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Code QR de la page"))).to_be_visible()
    expect(page.get_by_role("button", name="Imprimer la fiche")).to_be_visible()
    assert axe_violations(page) == []
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Imprimer la fiche")).to_be_hidden()
    expect(page.get_by_role("button", name="Demander de l'aide")).to_be_hidden()
    expect(page.get_by_role("img", name=re.compile("Code QR de la page"))).to_be_visible()


def test_keyboard_alone(page: Page, live_server, murat):
    from cybercantal.kiosks.models import HelpRequest

    page.goto(f"{live_server.url}/borne/murat/")
    tab_to(page, page.get_by_role("link", name="Aller au contenu"))
    assert_focus_visible(page)
    tile = page.get_by_role("link", name="Papiers d'identité")
    tab_to(page, tile)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Papiers d'identité")).to_be_visible()
    link = page.get_by_role("link", name=re.compile("^Carte d'identité"))
    tab_to(page, link)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Carte d'identité")).to_be_visible()
    help_button = page.get_by_role("button", name="Demander de l'aide")
    tab_to(page, help_button)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Un agent arrive")
    assert HelpRequest.objects.count() == 1


def test_unknown_kiosk_page(page: Page, live_server, murat):
    response = page.goto(f"{live_server.url}/borne/inconnue/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1, name="Page introuvable")).to_be_visible()
    assert page.locator("a[href]:not([href^='#'])").count() == 0
    assert axe_violations(page) == []
