"""Schools in the browser: the school's ENT administrator opens the school's page, creates a
group with the keyboard only, filters the pupils' list by name (without accents), checks
three pupils and saves; the class page lists them. axe-core on every page on the way."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def college(transactional_db):
    from cybercantal.learning.tests.factories import SchoolClassFactory, SchoolFactory, make_staff, make_student

    school = SchoolFactory(name="Collège test des Sucs", uai="0150099Z")
    klass = SchoolClassFactory(school=school, name="5e B", level="5e")
    other = SchoolClassFactory(school=school, name="5e A", level="5e")
    pupils = [
        make_student(klass, first_name="Élodie", last_name="Chambon"),
        make_student(klass, first_name="Hugo", last_name="Teyssedou"),
        make_student(other, first_name="Zoé", last_name="Vigier"),
        make_student(other, first_name="Paul", last_name="Rigal"),
    ]
    staff = make_staff(school, first_name="Olivier", last_name="Mazières")
    return school, pupils, staff


@pytest.mark.django_db(transaction=True)
def test_staff_creates_a_group_and_adds_pupils_with_the_keyboard(browser: Browser, live_server, college) -> None:
    from cybercantal.learning.models import Enrolment, SchoolClass

    school, _pupils, staff = college
    base = live_server.url
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    try:
        _sign_in(context, base, staff)
        page.goto(f"{base}/ent/etablissements/{school.uai}/")
        expect(page.get_by_role("heading", name="Collège test des Sucs", level=1)).to_be_visible()
        expect(page.get_by_role("link", name="5e B")).to_be_visible()
        assert_no_violations(page)

        # Keyboard only: to "Créer une classe ou un groupe".
        tab_to(page, page.get_by_role("link", name="Créer une classe ou un groupe"))
        assert_focus_visible(page)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Nouvelle classe ou nouveau groupe")).to_be_visible()
        assert_no_violations(page)
        tab_to(page, page.locator("#id_name"))
        page.keyboard.type("Latin 5e")
        tab_to(page, page.get_by_label("Classe", exact=True))  # a radio group: arrows choose
        page.keyboard.press("ArrowDown")
        expect(page.get_by_label("Groupe")).to_be_checked()
        tab_to(page, page.get_by_role("button", name="Enregistrer"))
        page.keyboard.press("Enter")

        # The pupils' list of the new group, filtered by name without accents.
        expect(page.get_by_role("heading", name="Élèves de Latin 5e")).to_be_visible()
        assert_no_violations(page)
        tab_to(page, page.get_by_label("Filtrer la liste par nom"))
        page.keyboard.type("elodie")
        expect(page.get_by_text("1 élève affiché")).to_be_visible()
        expect(page.get_by_label("Vigier Zoé")).to_be_hidden()
        tab_to(page, page.get_by_label("Chambon Élodie"))
        assert_focus_visible(page)
        page.keyboard.press("Space")
        for _ in range(6):
            page.keyboard.press("Shift+Tab")
            if page.evaluate("document.activeElement.id") == "pupil-filter":
                break
        page.keyboard.press("Control+a")
        page.keyboard.press("Backspace")
        for name in ("Teyssedou Hugo", "Vigier Zoé"):
            tab_to(page, page.get_by_label(name))
            page.keyboard.press("Space")
        assert_no_violations(page)
        tab_to(page, page.get_by_role("button", name="Enregistrer les élèves"))
        page.keyboard.press("Enter")

        # The group's page lists them.
        expect(page.get_by_role("heading", name="Latin 5e", level=1)).to_be_visible()
        expect(page.get_by_text("3 ajouté(s)")).to_be_visible()
        table = page.get_by_role("table")
        for name in ("Chambon Élodie", "Teyssedou Hugo", "Vigier Zoé"):
            expect(table.get_by_role("link", name=name)).to_be_visible()
        expect(table.get_by_text("Rigal")).to_have_count(0)
        assert_no_violations(page)
    finally:
        context.close()
    group = SchoolClass.objects.get(name="Latin 5e")
    assert group.kind == "group"
    assert Enrolment.objects.filter(school_class=group).count() == 3
