"""An exercise in the browser, as in the acceptance story: on a phone, with the keyboard
only, a pupil answers a question of every type (ordering with the "Monter" buttons, not by
dragging), loses the connection, answers one more (the page says it is kept), gets the
connection back (the answer is sent), then opens the attempt on another device (the EPN
computer), finds every answer there and hands the exercise in. axe-core on every page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import tab_to

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def exercise(transactional_db):
    from cybercantal.learning.tests.factories import (
        SchoolClassFactory,
        SchoolFactory,
        SubjectFactory,
        make_student,
        make_teacher,
    )
    from cybercantal.learning.tests.factories_attempts import ALL_QTYPES, assignment_for

    school = SchoolFactory(name="Collège des Volcans")
    klass = SchoolClassFactory(school=school, name="5e B")
    maths = SubjectFactory(code="HIGEO", name="Histoire-géographie")
    teacher = make_teacher(klass, maths, first_name="Claire", last_name="Bonnefoy")
    pupil = make_student(klass, login="hugo.teyssedou", first_name="Hugo", last_name="Teyssedou")
    friday = timezone.now() + dt.timedelta(days=3)
    assignment = assignment_for(klass, teacher, ALL_QTYPES, title="Le Cantal", closes_at=friday, attempts_allowed=1)
    return assignment, pupil


def _no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def _saved(page: Page) -> None:
    expect(page.locator("[data-save-status]")).to_have_text(re.compile(r"Réponse enregistrée à \d+\s*h\s*\d\d"))


def _next(page: Page, slot: int) -> None:
    """Keyboard to "Enregistrer et suivant", then the next question's page."""
    tab_to(page, page.get_by_role("button", name=re.compile("^Enregistrer et suivant")))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Question {slot + 1} sur 10")).to_be_visible()
    assert_no_violations(page)
    _no_horizontal_scroll(page)


def _choose(page: Page, label: str, position: int) -> None:
    """A select, by keyboard: focus it, then arrow down to the option at ``position``
    (0 is the "— Choisir —" placeholder)."""
    select = page.get_by_label(label, exact=True)
    tab_to(page, select)
    for _ in range(position):
        page.keyboard.press("ArrowDown")
    expect(select).to_have_value(str(position - 1))


def _snapshot(attempt, slot: int) -> dict:
    return attempt.answers.get(slot=slot).snapshot


@pytest.mark.django_db(transaction=True)
def test_a_pupil_answers_on_a_phone_offline_then_finishes_on_another_device(
    browser: Browser, live_server, exercise
) -> None:
    from cybercantal.learning.models import Answer, Attempt

    _assignment, pupil = exercise
    base = live_server.url
    phone = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, has_touch=True)
    page = phone.new_page()
    try:
        _sign_in(phone, base, pupil)
        page.goto(f"{base}/ent/mes-exercices/")
        expect(page.get_by_role("heading", name="Mes exercices", level=1)).to_be_visible()
        expect(page.get_by_text(re.compile(r"à rendre \w+ .*avant \d+"))).to_be_visible()
        expect(page.get_by_text("1 tentative restante")).to_be_visible()
        assert_no_violations(page)
        _no_horizontal_scroll(page)
        tab_to(page, page.get_by_role("button", name="Commencer « Le Cantal »"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Question 1 sur 10")).to_be_visible()
        assert_no_violations(page)
        _no_horizontal_scroll(page)
        attempt = Attempt.objects.get(student=pupil)

        # 1. Single choice: a radio, Space.
        tab_to(page, page.get_by_label("Paris"))
        page.keyboard.press("Space")
        _saved(page)
        expect(page.get_by_role("button", name="Question 1 : répondue")).to_be_visible()
        _next(page, 1)
        # 2. Multiple choice: two checkboxes.
        for label in ("2", "3"):
            tab_to(page, page.get_by_label(label, exact=True))
            page.keyboard.press("Space")
        _saved(page)
        _next(page, 2)
        # 3. True or false.
        tab_to(page, page.get_by_label("Vrai"))
        page.keyboard.press("Space")
        _saved(page)
        _next(page, 3)
        # 4. Short answer (saved after a pause in typing).
        tab_to(page, page.get_by_label("Votre réponse"))
        page.keyboard.type("aurillac")
        _saved(page)
        _next(page, 4)
        # 5. Numerical, with a comma.
        number = page.get_by_label("Votre réponse (un nombre)")
        assert number.get_attribute("inputmode") == "decimal"
        tab_to(page, number)
        page.keyboard.type("3,14")
        _saved(page)
        _next(page, 5)
        # 6. Matching: a select per department, the prefectures in the snapshot's order.
        rights = _snapshot(attempt, 6)["display"]["rights"]
        for left, right in (
            ("Cantal", "Aurillac"),
            ("Puy-de-Dôme", "Clermont-Ferrand"),
            ("Haute-Loire", "Le Puy-en-Velay"),
        ):
            _choose(page, left, rights.index(right) + 1)
        _saved(page)
        _next(page, 6)
        # 7. Ordering with the "Monter" buttons; each move is announced.
        wanted = ["Préhistoire", "Antiquité", "Moyen Âge"]
        for position, text in enumerate(wanted):
            items = page.locator("[data-ordering-text]").all_inner_texts()
            for _ in range(items.index(text) - position):
                tab_to(page, page.get_by_role("button", name=f"Monter « {text} »"))
                page.keyboard.press("Enter")
            if items.index(text) != position:
                expect(page.locator("[data-ordering-live]")).to_have_text(
                    f"« {text} » est maintenant en position {position + 1} sur 3."
                )
        expect(page.locator("[data-ordering-text]")).to_have_text(wanted)
        _saved(page)
        _next(page, 7)
        # 8. Cloze: a select and a text blank, labelled "Trou 1 sur 2", "Trou 2 sur 2".
        shown = _snapshot(attempt, 8)["display"]["blanks"]["b1"]
        _choose(page, "Trou 1 sur 2", shown.index("x") + 1)
        tab_to(page, page.get_by_label("Trou 2 sur 2"))
        page.keyboard.type("Aurillac")
        _saved(page)
        _next(page, 8)
        assert Answer.objects.filter(attempt=attempt, response__isnull=False).count() == 8

        # 9. The essay, with the connection lost: kept on the phone, said so.
        phone.set_offline(True)
        essay = page.get_by_label("Votre réponse")
        tab_to(page, essay)
        page.keyboard.type("Le Cantal est un département de volcans.")
        expect(page.get_by_text("7 mots")).to_be_visible()
        expect(page.locator("[data-save-status]")).to_have_text(
            "Hors ligne : vos réponses sont gardées sur cet appareil et seront envoyées dès le retour de la connexion."
        )
        assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('cc-attempt:'))") == [
            f"cc-attempt:{attempt.pk}:9"
        ]
        assert Answer.objects.get(attempt=attempt, slot=9).response is None
        # The connection comes back: the answer is sent, and forgotten by the phone.
        phone.set_offline(False)
        _saved(page)
        assert Answer.objects.get(attempt=attempt, slot=9).response == {
            "text": "Le Cantal est un département de volcans."
        }
        page.wait_for_function("() => !Object.keys(localStorage).some(k => k.startsWith('cc-'))")
    finally:
        phone.close()

    # The EPN computer: another browser, nothing on it; every answer is there.
    desk = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=DESK)
    page = desk.new_page()
    try:
        _sign_in(desk, base, pupil)
        page.goto(f"{base}/ent/mes-exercices/")
        expect(page.get_by_text("question 9 sur 10")).to_be_visible()
        assert_no_violations(page)
        tab_to(page, page.get_by_role("button", name="Reprendre « Le Cantal »"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Question 9 sur 10")).to_be_visible()
        expect(page.get_by_label("Votre réponse")).to_have_value("Le Cantal est un département de volcans.")
        for slot in range(1, 10):
            expect(page.get_by_role("button", name=f"Question {slot} : répondue")).to_be_visible()
        expect(page.get_by_role("button", name="Question 10 : à lire")).to_be_visible()
        assert_no_violations(page)
        # Back to question 7: the order given on the phone.
        tab_to(page, page.get_by_role("button", name="Question 7 : répondue"))
        page.keyboard.press("Enter")
        expect(page.locator("[data-ordering-text]")).to_have_text(["Préhistoire", "Antiquité", "Moyen Âge"])
        tab_to(page, page.get_by_role("button", name="Terminer l’exercice"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Terminer « Le Cantal »")).to_be_visible()
        expect(page.get_by_text("Vous avez répondu aux 9 questions.")).to_be_visible()
        assert_no_violations(page)
        tab_to(page, page.get_by_role("button", name="Rendre mon exercice"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Bilan : Le Cantal")).to_be_visible()
        expect(page.get_by_text("Votre exercice est rendu. Bravo !")).to_be_visible()
        expect(page.get_by_text("en attente de la correction de l’enseignant")).to_be_visible()
        expect(page.locator(".question__feedback .verdict--right")).to_have_count(8)
        expect(page.locator(".question__feedback .verdict--right").first).to_contain_text("Bonne réponse")
        assert_no_violations(page)
        attempt.refresh_from_db()
        assert attempt.state == Attempt.State.SUBMITTED
        assert attempt.needs_grading
        assert sum(a.mark or 0 for a in attempt.answers.all()) == 8
    finally:
        desk.close()
