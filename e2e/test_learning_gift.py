"""GIFT import in the browser, keyboard only: the maths teacher of 5e B pastes GIFT text with
one broken question, reads the preview with the error's line, and imports the valid
questions. axe-core on every page on the way."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to

GIFT_TEXT = """// Exporté de Moodle
$CATEGORY: $course$/top/5e B/Géographie

::Préfecture::La préfecture du Cantal est {~Saint-Flour =Aurillac ~Mauriac}.

::Couleur::De quelle couleur est le ciel ?
{=bleu ~rouge

::Altitude::Le Plomb du Cantal culmine à combien de mètres ?{#1855:10}
"""


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def maths_teacher(transactional_db):
    from cybercantal.learning.tests.factories import SchoolClassFactory, SchoolFactory, SubjectFactory, make_teacher

    school = SchoolFactory(name="Collège des Volcans")
    klass = SchoolClassFactory(school=school, name="5e B")
    maths = SubjectFactory(code="MATHS", name="Mathématiques")
    return make_teacher(klass, maths, first_name="Claire", last_name="Bonnefoy")


@pytest.mark.django_db(transaction=True)
def test_a_teacher_pastes_gift_sees_the_error_and_imports_the_rest(
    browser: Browser, live_server, maths_teacher
) -> None:
    from cybercantal.learning.models import Question

    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    try:
        _sign_in(context, live_server.url, maths_teacher)
        page.goto(f"{live_server.url}/ent/questions/gift/importer/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Importer des questions au format GIFT (Moodle)")
        assert_no_violations(page)

        textarea = page.get_by_label("Coller le texte GIFT")
        tab_to(page, textarea)
        assert_focus_visible(page)
        page.keyboard.insert_text(GIFT_TEXT)
        tab_to(page, page.get_by_role("button", name="Lire et voir l’aperçu"))
        assert_focus_visible(page)
        page.keyboard.press("Enter")

        expect(page.get_by_role("heading", name="Aperçu")).to_be_visible()
        errors = page.locator("#gift-errors")
        expect(errors).to_contain_text("Ligne 7 : accolade ouvrante sans accolade fermante.")
        expect(page.get_by_role("table")).to_contain_text("Texte à trous")
        expect(page.get_by_role("table")).to_contain_text("Numérique")
        expect(page.get_by_label("Importer la question de la ligne 4")).to_be_checked()
        assert Question.objects.count() == 0
        assert_no_violations(page)

        button = page.get_by_role("button", name="Importer les questions sans erreur")
        tab_to(page, button)
        assert_focus_visible(page)
        page.keyboard.press("Enter")

        expect(page.get_by_text("2 questions importées dans votre banque.")).to_be_visible()
        assert_no_violations(page)
        assert sorted(Question.objects.values_list("name", flat=True)) == ["Altitude", "Préfecture"]
        assert set(Question.objects.values_list("category__name", flat=True)) == {"Géographie"}
    finally:
        context.close()
