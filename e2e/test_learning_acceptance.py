"""The pupil's part of the acceptance story (issue 6) in a real browser: Hugo activates his
account at home on a phone with the code of his letter, opens the exercise his teacher gave
to 5e B (the 20 questions of ``moodle_20.gift``), answers some questions with the keyboard,
loses the connection, answers one more (kept on the phone, and the page says so), gets the
connection back (the answer is sent); then, on the EPN computer (another browser), he signs
in, resumes where he stopped, finds his answers and hands the exercise in. The teacher's
part and the parent's are ``learning/tests/test_acceptance.py`` (Django's test client)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import tab_to

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
PASSWORD = "girafe-volcan-tartine"
GIFT = Path(__file__).resolve().parent.parent / "src/cybercantal/learning/tests/data/moodle_20.gift"
CLASS_LIST = (
    "Numéro élève;Nom;Prénom;Classe;Groupes;Date de sortie\r\n"
    "4512;Teyssedou;Hugo;5e B;;\r\n"
    "4513;Vermenouze;Léa;5e B;;\r\n"
).encode()
# Counts the page's requests in flight: the mouse is quicker than the saving of an answer,
# and the live server on SQLite takes one write at a time.
COUNT_FETCHES = """(() => {
  let n = 0;
  const send = window.fetch;
  window.__inflight = () => n;
  window.fetch = function (...args) { n++; return send.apply(this, args).finally(() => { n--; }); };
})()"""
OFFLINE = "Hors ligne : vos réponses sont gardées sur cet appareil et seront envoyées dès le retour de la connexion."


@pytest.fixture
def story(transactional_db):
    """What the teacher did before (through the services, as the pages do): her class list
    imported, the letters printed, the GIFT file imported, the exercise given to 5e B."""
    from django.utils import timezone

    from cybercantal.learning.imports import parse
    from cybercantal.learning.models import Question
    from cybercantal.learning.services import assignments, gift, provisioning
    from cybercantal.learning.services.assignments import next_friday_evening
    from cybercantal.learning.tests.factories import SchoolClassFactory, SchoolFactory, SubjectFactory, make_teacher

    school = SchoolFactory(name="Collège de l'Alagnon", uai="0150001B")
    klass = SchoolClassFactory(school=school, name="5e B", level="5e")
    maths = SubjectFactory(code="MATHS", name="Mathématiques")
    teacher = make_teacher(klass, maths, first_name="Claire", last_name="Bonnefoy")
    provisioning.people_import(actor=teacher, school=school, parsed=parse("students", CLASS_LIST), file_name="5eB.csv")
    letters = provisioning.letters_issue(actor=teacher, school_class=klass)
    [letter] = [letter for letter in letters if letter.login == "hugo.teyssedou"]
    gift.gift_import(actor=teacher, school=None, text=GIFT.read_text(encoding="utf-8"))
    questions = sorted(Question.objects.filter(owner=teacher), key=lambda q: q.name)  # R01 … R20
    assert len(questions) == 20
    exercise = assignments.exercise_create(actor=teacher, title="Révisions de 5e", subject=maths)
    assignments.exercise_add_questions(actor=teacher, exercise=exercise, questions=questions)
    assignments.assignment_create(
        actor=teacher,
        exercise=exercise,
        school_class=klass,
        opens_at=timezone.now(),
        closes_at=next_friday_evening(),
        homework=True,
    )
    return letter


def _status(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("[data-save-status]")


def _saved(page: Page) -> None:
    expect(_status(page)).to_have_text(re.compile(r"Réponse enregistrée à \d+\s*h\s*\d\d"))


def _next(page: Page, slot: int) -> None:
    """Keyboard to "Enregistrer et suivant", then the next question."""
    tab_to(page, page.get_by_role("button", name=re.compile("^Enregistrer et suivant")))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Question {slot + 1} sur 20")).to_be_visible()


def _pick_radio(page: Page, label: str) -> None:
    """Tab into the radio group, then arrow down until ``label`` is chosen (arrows check)."""
    target = page.get_by_label(label, exact=True)
    tab_to(page, page.locator("input[type=radio]"))
    for _ in range(page.locator("input[type=radio]").count()):
        if target.is_checked():
            break
        page.keyboard.press("ArrowDown")
    expect(target).to_be_checked()


def _no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def _sent(page: Page) -> None:
    """Nothing waits on the device: the server confirmed every answer given."""
    page.wait_for_function("() => !Object.keys(localStorage).some(k => k.startsWith('cc-attempt:'))")


def _pending(page: Page) -> list[str]:
    return page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('cc-attempt:'))")


@pytest.mark.django_db(transaction=True)
def test_pupil_activates_on_a_phone_loses_the_connection_and_finishes_at_the_epn(
    browser: Browser, live_server, story
) -> None:
    from cybercantal.learning.models import Answer, Attempt

    letter = story
    base = live_server.url

    # --- At home, on his phone -------------------------------------------------------------------
    phone = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, has_touch=True)
    page = phone.new_page()
    try:
        page.goto(f"{base}/ent/activer/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_violations(page)
        _no_horizontal_scroll(page)
        # What his letter says, typed as a 12-year-old would (lower case, no dashes).
        tab_to(page, page.get_by_label("Identifiant"))
        page.keyboard.type(letter.login)
        tab_to(page, page.get_by_label("Code d'activation"))
        page.keyboard.type(letter.code.replace("-", "").lower())
        page.keyboard.press("Enter")
        expect(page.get_by_label("Choisis ton mot de passe")).to_be_focused()
        page.keyboard.type(PASSWORD)
        tab_to(page, page.get_by_label("Tape-le une deuxième fois"))
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.get_by_text("Bienvenue ! Ton compte est activé.")).to_be_visible()
        assert_no_violations(page)
        _no_horizontal_scroll(page)

        # His home page shows the exercise for Friday.
        start = page.get_by_role("button", name="Commencer « Révisions de 5e »")
        tab_to(page, start, max_tabs=120)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Question 1 sur 20")).to_be_visible()
        assert_no_violations(page)
        _no_horizontal_scroll(page)
        attempt = Attempt.objects.get(student__ent_account__login=letter.login)

        # R01: a radio group (answers shuffled): Tab into it, arrows to "3/6".
        _pick_radio(page, "3/6")
        _saved(page)
        expect(page.get_by_role("button", name="Question 1 : répondue")).to_be_visible()
        _next(page, 1)
        # R02: two boxes.
        for label in ("6/8", "9/12"):
            tab_to(page, page.get_by_label(label, exact=True))
            page.keyboard.press("Space")
        _saved(page)
        _next(page, 2)
        # R03: a short answer, saved after a pause in typing.
        tab_to(page, page.get_by_label("Votre réponse"))
        page.keyboard.type("3/5")
        _saved(page)
        _next(page, 3)
        # R04: a number with a comma, on the decimal keypad.
        number = page.get_by_label("Votre réponse (un nombre)")
        assert number.get_attribute("inputmode") == "decimal"
        tab_to(page, number)
        page.keyboard.type("3,14")
        _saved(page)
        _next(page, 4)
        # R05: a number in a range.
        tab_to(page, page.get_by_label("Votre réponse (un nombre)"))
        page.keyboard.type("15")
        _saved(page)
        _next(page, 5)
        assert Answer.objects.filter(attempt=attempt, response__isnull=False).count() == 5
        assert_no_violations(page)

        # The connection drops. R06 is answered anyway: kept on the phone, and said.
        phone.set_offline(True)
        tab_to(page, page.get_by_label("Votre réponse (un nombre)"))
        page.keyboard.type("7,5")
        page.keyboard.press("Tab")  # leaving the field saves at once
        expect(_status(page)).to_have_text(OFFLINE)
        expect(page.get_by_text("Sans connexion, elle est gardée sur cet appareil")).to_be_visible()
        assert _pending(page) == [f"cc-attempt:{attempt.pk}:6"]
        assert "7,5" in page.evaluate(f"() => localStorage.getItem('cc-attempt:{attempt.pk}:6')")
        assert Answer.objects.get(attempt=attempt, slot=6).response is None
        # Pressing "Enregistrer et suivant" offline keeps him on the question, nothing lost.
        tab_to(page, page.get_by_role("button", name=re.compile("^Enregistrer et suivant")))
        page.keyboard.press("Enter")
        expect(_status(page)).to_have_text(OFFLINE)
        expect(page.get_by_role("heading", name="Question 6 sur 20")).to_be_visible()
        expect(page.get_by_label("Votre réponse (un nombre)")).to_have_value("7,5")

        # The connection comes back: the answer is sent, and the phone forgets it.
        phone.set_offline(False)
        _saved(page)
        _sent(page)
        assert Answer.objects.get(attempt=attempt, slot=6).response == {"value": "7,5"}
        assert Answer.objects.filter(attempt=attempt, response__isnull=False).count() == 6
    finally:
        phone.close()

    # --- At the EPN computer: another browser, nothing stored in it ----------------------------
    desk = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=DESK)
    desk.add_init_script(COUNT_FETCHES)
    page = desk.new_page()
    try:
        page.goto(f"{base}/ent/connexion/")
        expect(page.get_by_label("Identifiant ou adresse électronique")).to_be_focused()
        page.keyboard.type(letter.login)
        tab_to(page, page.get_by_label("Mot de passe"))
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.get_by_text("Révisions de 5e").first).to_be_visible()
        assert_no_violations(page)
        tab_to(page, page.get_by_role("button", name="Reprendre « Révisions de 5e »"), max_tabs=120)
        page.keyboard.press("Enter")
        # Where he stopped: the question after the last one he answered, the others ticked.
        expect(page.get_by_role("heading", name="Question 7 sur 20")).to_be_visible()
        for slot in range(1, 7):
            expect(page.get_by_role("button", name=f"Question {slot} : répondue")).to_be_visible()
        expect(page.get_by_role("button", name="Question 7 : sans réponse")).to_be_visible()
        expect(page.get_by_text("14 questions sans réponse")).to_be_visible()
        assert_no_violations(page)
        # Back to question 6: the answer given offline on the phone.
        tab_to(page, page.get_by_role("button", name="Question 6 : répondue"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Question 6 sur 20")).to_be_visible()
        expect(page.get_by_label("Votre réponse (un nombre)")).to_have_value("7,5")
        # Back to question 2: the boxes ticked on the phone.
        tab_to(page, page.get_by_role("button", name="Question 2 : répondue"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Question 2 sur 20")).to_be_visible()
        expect(page.get_by_label("6/8", exact=True)).to_be_checked()
        expect(page.get_by_label("9/12", exact=True)).to_be_checked()
        expect(page.get_by_label("4/3", exact=True)).not_to_be_checked()
        # He goes on from question 7 (with the mouse: the EPN has one).
        page.get_by_role("button", name="Question 7 : sans réponse").click()
        _answer_the_rest(page)
        page.get_by_role("button", name="Terminer l’exercice").click()
        expect(page.get_by_role("heading", name="Terminer « Révisions de 5e »")).to_be_visible()
        expect(page.get_by_text("Vous avez répondu aux 20 questions.")).to_be_visible()
        assert_no_violations(page)
        tab_to(page, page.get_by_role("button", name="Rendre mon exercice"))
        page.keyboard.press("Enter")
        expect(page.get_by_text("Votre exercice est rendu. Bravo !")).to_be_visible()
        assert_no_violations(page)
        attempt.refresh_from_db()
        assert attempt.state == Attempt.State.SUBMITTED
        assert Answer.objects.filter(attempt=attempt, response__isnull=False).count() == 20
    finally:
        desk.close()


def _answer_the_rest(page: Page) -> None:
    """Questions 7 to 20 (R07 … R20), each saved before going on."""
    steps = {
        7: lambda: page.get_by_label("11", exact=True).check(),
        8: lambda: page.get_by_label("Vrai", exact=True).check(),
        9: lambda: page.get_by_label("Faux", exact=True).check(),
        10: lambda: [
            page.get_by_label(left, exact=True).select_option(label=right)
            for left, right in (
                ("Équilatéral", "trois côtés égaux"),
                ("Isocèle", "deux côtés égaux"),
                ("Rectangle", "un angle droit"),
            )
        ],
        11: lambda: page.get_by_label("Trou 1 sur 1").fill("hypoténuse"),
        12: lambda: page.get_by_label("Trou 1 sur 1").select_option(label="parallèles"),
        13: lambda: page.get_by_label("Votre réponse (un nombre)").fill("24"),
        14: lambda: page.get_by_label("Trou 1 sur 1").select_option(label="Aurillac"),
        15: lambda: page.get_by_label("Votre réponse").fill("Alagnon"),
        16: lambda: page.get_by_label("Votre réponse (un nombre)").fill("1855"),
        17: lambda: [
            page.get_by_label(left, exact=True).select_option(label=right)
            for left, right in (("Aurillac", "la Jordanne"), ("Murat", "l'Alagnon"))
        ],
        18: lambda: page.get_by_label("Votre réponse").fill("Un volcan, de la lave, puis les glaciers."),
        19: lambda: page.get_by_label("2", exact=True).check(),
        20: lambda: [page.get_by_label(name, exact=True).check() for name in ("Puy-de-Dôme", "Lozère", "Corrèze")],
    }
    for slot, answer in steps.items():
        expect(page.get_by_role("heading", name=f"Question {slot} sur 20")).to_be_visible()
        answer()
        page.evaluate("() => document.activeElement && document.activeElement.blur()")  # leaving a field saves it
        page.wait_for_function("() => window.__inflight() === 0")  # one request at a time (SQLite)
        _saved(page)
        if slot < 20:
            page.get_by_role("button", name=re.compile("^Enregistrer et suivant")).click()
