"""Provisioning in the browser: the school's ENT administrator downloads nothing but sends the
class list exported from the school's software, sees the preview refuse a line (unknown
class), fixes the file, sends it again, confirms, and prints the activation letters of 5e B
(keyboard only). A pupil then activates his account at home on a phone with the code of his
letter and lands in the cartable. axe-core on every page on the way."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, expect
from pypdf import PdfReader

from e2e.axe import assert_no_violations

PHONE = {"width": 390, "height": 844}
HEADER = "Numéro élève;Nom;Prénom;Classe;Groupes;Date de naissance\r\n"


def _sign_in(context: BrowserContext, base_url: str, user) -> None:  # type: ignore[no-untyped-def]
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def college(transactional_db):
    from cybercantal.learning.tests.factories import SchoolClassFactory, SchoolFactory, make_staff

    school = SchoolFactory(name="Collège des Puys de test", uai="9150012A")
    SchoolClassFactory(school=school, name="5e B", level="5e")
    staff = make_staff(school, first_name="Sylvie", last_name="Lavergne")
    return school, staff


@pytest.mark.django_db(transaction=True)
def test_staff_imports_the_class_prints_letters_and_a_pupil_activates_on_a_phone(
    browser: Browser, live_server, college
) -> None:
    school, staff = college
    base = live_server.url
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", accept_downloads=True)
    page = context.new_page()
    try:
        _sign_in(context, base, staff)
        page.goto(f"{base}/ent/etablissements/{school.uai}/imports/")
        expect(page.get_by_role("heading", name=re.compile("Importer des listes"))).to_be_visible()
        assert_no_violations(page)

        # A file with a wrong class (Latin-1, as Excel saves it): nothing imported, the line said.
        wrong = (HEADER + "4512;Teyssèdou;Hugo;5e B;;01/02/2014\r\n4513;Vermenouze;Léa;5e Z;;03/04/2014\r\n").encode(
            "cp1252"
        )
        page.get_by_label("Élèves (avec leur classe et leurs groupes)").check()
        page.get_by_label("Fichier CSV").set_input_files(
            files=[{"name": "eleves-5eB.csv", "mimeType": "text/csv", "buffer": wrong}]
        )
        page.get_by_role("button", name="Voir l'aperçu").click()
        problems = page.get_by_role("table", name=re.compile("problème à corriger"))
        expect(problems).to_contain_text("5e Z")
        expect(problems.get_by_role("row").nth(1)).to_contain_text("3")
        assert_no_violations(page)

        # The fixed file: the preview, then the confirmation.
        fixed = wrong.replace("5e Z".encode("cp1252"), b"5e B")
        page.get_by_label("Élèves (avec leur classe et leurs groupes)").check()
        page.get_by_label("Fichier CSV").set_input_files(
            files=[{"name": "eleves-5eB.csv", "mimeType": "text/csv", "buffer": fixed}]
        )
        page.get_by_role("button", name="Voir l'aperçu").click()
        expect(page.get_by_role("heading", name="Aperçu de l'import : Élèves")).to_be_visible()
        expect(page.get_by_text("Colonnes ignorées (rien n'en est gardé) : Date de naissance")).to_be_visible()
        expect(page.get_by_text("Hugo Teyssèdou (5e B)")).to_be_visible()
        assert_no_violations(page)
        page.get_by_role("button", name="Confirmer l'import").click()
        expect(page.get_by_text("Import terminé (eleves-5eB.csv) : 2 créés")).to_be_visible()
        assert_no_violations(page)

        # The letters of 5e B, with the keyboard only.
        page.get_by_role("link", name="Lettres de 5e B").click()
        expect(page.get_by_role("heading", name="Lettres d'activation — 5e B")).to_be_visible()
        assert_no_violations(page)
        checkbox = page.get_by_label("J'ai compris : les codes déjà imprimés et non utilisés ne marcheront plus.")
        checkbox.focus()
        page.keyboard.press("Space")
        expect(checkbox).to_be_checked()
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Imprimer les lettres (PDF)")).to_be_focused()
        with page.expect_download() as download_info:
            page.keyboard.press("Enter")
        pdf = PdfReader(io.BytesIO(download_info.value.path().read_bytes()))
        assert len(pdf.pages) == 2
        hugo_page = next(p.extract_text() for p in pdf.pages if "hugo.teyssedou" in p.extract_text())
        code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2})\b", hugo_page).group(1)
        assert f"{settings.SITE_URL}/ent/activer/" in hugo_page.replace("\n", "")  # absolute: SITE_URL
    finally:
        context.close()

    # Hugo, at home, on a phone.
    phone = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, has_touch=True)
    page = phone.new_page()
    try:
        page.goto(f"{base}/ent/connexion/")
        expect(page.get_by_role("heading", name="Se connecter au cartable électronique")).to_be_visible()
        assert_no_violations(page)
        page.get_by_role("link", name="Activer mon compte avec le code de ma lettre").click()
        expect(page.get_by_role("heading", name="Activer mon compte")).to_be_visible()
        assert_no_violations(page)
        page.get_by_label("Identifiant").fill("hugo.teyssedou")
        page.get_by_label("Code d'activation").fill(code.lower().replace("-", " "))
        page.get_by_role("button", name="Continuer").tap()
        expect(page.get_by_role("heading", name="Choisir mon mot de passe")).to_be_visible()
        page.get_by_label("Choisis ton mot de passe").fill("court")
        page.get_by_label("Tape-le une deuxième fois").fill("court")
        page.get_by_role("button", name="Activer mon compte").tap()
        expect(page.get_by_role("alert")).to_contain_text("Rien n’est envoyé")
        assert_no_violations(page)
        page.get_by_label("Choisis ton mot de passe").fill("girafe-volcan-tartine")
        page.get_by_label("Tape-le une deuxième fois").fill("girafe-volcan-tartine")
        page.get_by_role("button", name="Activer mon compte").tap()
        expect(page.get_by_text("Bienvenue ! Ton compte est activé.")).to_be_visible()
        assert page.url.rstrip("/").endswith("/ent")
        expect(page.get_by_text("Hugo", exact=True)).to_be_visible()
        assert_no_violations(page)
    finally:
        phone.close()
