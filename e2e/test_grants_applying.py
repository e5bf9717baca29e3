"""A sawmill in Neuvéglise-sur-Truyère applies for Auverdata with the keyboard: it declares
its business, fills the steps (the draft saves itself while typing), adds a 3 200 € satellite
installation with its PDF quote, sees 1 600,00 € of aid computed live, and submits. axe-core
on every page."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import BrowserContext, Locator, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to

AID = re.compile(r"1\s600,00\s€")


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


def _type(page: Page, field: Locator, text: str) -> None:
    """Reach ``field`` with Tab, then type like a person."""
    tab_to(page, field)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def _press(page: Page, button: Locator) -> None:
    tab_to(page, button)
    assert_focus_visible(page)
    page.keyboard.press("Enter")


@pytest.fixture
def setting(transactional_db):
    from cybercantal.accounts.models import User
    from cybercantal.grants.tests.factories import ProgrammeFactory

    call_command("territory_import", verbosity=0)
    programme = ProgrammeFactory(
        slug="auverdata",
        code="AUV",
        name="Auverdata",
        applicant_conditions="L'entreprise est à jour de ses obligations fiscales et sociales",
    )
    person = User.objects.create_user(
        "scierie@example.fr", "mot-de-passe-solide-2026", first_name="Lucie", last_name="Bessière"
    )
    return programme, person


@pytest.mark.django_db(transaction=True)
def test_sawmill_applies_with_the_keyboard(page: Page, context: BrowserContext, live_server, setting, tmp_path):
    from cybercantal.grants.models import Application, Status
    from cybercantal.grants.tests.factories import pdf_bytes, valid_siret

    programme, person = setting
    _sign_in(context, live_server.url, person)

    # No business yet: the start page sends the person to declare it, then back.
    page.goto(f"{live_server.url}/aides/dispositifs/auverdata/demander/")
    expect(page.get_by_role("heading", name="Mon entreprise", exact=True)).to_be_visible()
    assert_no_violations(page)
    siret = valid_siret(5150)
    _type(page, page.get_by_label("Numéro SIRET"), "1234")  # a mistake first
    _type(page, page.get_by_label("Raison sociale"), "Scierie de la Truyère")
    _type(page, page.get_by_label("Commune du siège"), "Neuvéglise-sur-Truyère")
    _press(page, page.get_by_role("button", name="Enregistrer l'entreprise"))
    expect(page.get_by_text("Un numéro SIRET compte 14 chiffres (vous en avez saisi 4).").first).to_be_visible()
    expect(page.get_by_label("Raison sociale")).to_have_value("Scierie de la Truyère")  # nothing lost
    assert_no_violations(page)
    _type(page, page.get_by_label("Numéro SIRET"), f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}")
    _press(page, page.get_by_role("button", name="Enregistrer l'entreprise"))

    expect(page.get_by_role("heading", name="Demander l'aide « Auverdata »")).to_be_visible()
    assert_no_violations(page)
    _press(page, page.get_by_role("button", name="Commencer ma demande"))

    # Step 1: the business, saved in the background while typing.
    expect(page.get_by_role("heading", name="Entreprise", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Entreprise")).to_have_attribute("aria-current", "step")
    assert_no_violations(page)
    _type(page, page.get_by_label("Activité"), "Scierie")
    expect(page.locator("#autosave-status")).to_contain_text(re.compile(r"Brouillon enregistré à \d\d h \d\d"))
    _press(page, page.get_by_role("button", name="Enregistrer et continuer"))

    # Step 2: the premises, and their eligibility shown at once.
    expect(page.get_by_role("heading", name="Locaux", exact=True)).to_be_visible()
    _type(page, page.get_by_label("Adresse des locaux à équiper"), "Lieu-dit Lescure")
    _type(page, page.get_by_label("Commune"), "Neuvéglise-sur-Truyère")
    expect(page.locator("[data-panel=eligibility] .badge")).to_have_text(
        re.compile("Éligible|Non éligible|À vérifier par l'instructeur")
    )
    expect(page.locator("#autosave-status")).to_contain_text("Éligibilité des locaux")
    assert_no_violations(page)
    _press(page, page.get_by_role("button", name="Enregistrer et continuer"))

    # Step 3: one investment line with its quote; the aid is computed while typing.
    expect(page.get_by_role("heading", name="Dépenses", exact=True)).to_be_visible()
    assert_no_violations(page)
    category = page.get_by_label("Catégorie de dépense")
    tab_to(page, category)
    installation = programme.categories.get(code="installation")
    for _ in range(5):
        if category.input_value() == str(installation.pk):
            break
        page.keyboard.press("ArrowDown")
    expect(category).to_have_value(str(installation.pk))
    _type(page, page.get_by_label("Description"), "Installation d'une antenne satellite")
    _type(page, page.get_by_label("Montant hors taxes (€)"), "3 200")
    expect(page.locator("[data-panel=figures]")).to_contain_text(AID)  # live, nothing stored yet
    quote = tmp_path / "devis-satellite.pdf"
    quote.write_bytes(pdf_bytes("Devis installation satellite 3 200 € HT"))
    page.get_by_label("Devis (PDF ou image)").set_input_files(str(quote))
    _press(page, page.get_by_role("button", name="Ajouter la dépense"))
    expect(page.get_by_text("La dépense est ajoutée.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Installation d'une antenne satellite"))).to_contain_text(
        "devis-satellite.pdf"
    )
    expect(page.locator("[data-aid]")).to_have_text(AID)
    assert_no_violations(page)
    _press(page, page.get_by_role("link", name="Continuer : Aides reçues et engagements"))

    # Step 4: de minimis and the commitments.
    expect(page.get_by_role("heading", name="Aides reçues et engagements", exact=True)).to_be_visible()
    assert_no_violations(page)
    _type(page, page.get_by_label("Aides de minimis reçues sur les trois derniers exercices (€)"), "0")
    tab_to(page, page.get_by_label("L'entreprise est à jour de ses obligations fiscales et sociales"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label(re.compile("Je certifie sur l'honneur")))
    page.keyboard.press("Space")
    _press(page, page.get_by_role("button", name="Enregistrer et continuer"))

    # Step 5: the recap, then submission.
    expect(page.get_by_text("Le dossier est complet : vous pouvez le déposer.")).to_be_visible()
    expect(page.locator("[data-aid]")).to_have_text(AID)
    assert_no_violations(page)
    _press(page, page.get_by_role("button", name="Déposer mon dossier"))
    application = Application.objects.get(programme=programme)
    page.wait_for_url(re.compile(rf"/aides/dossiers/{application.reference}/$"))
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert str(application.computed_aid) == "1600.00"
    assert application.premises_commune.name == "Neuvéglise-sur-Truyère"
    assert application.activity == "Scierie"
    assert application.lines.get().quote.content_type == "application/pdf"
