"""Exercises in the browser: the maths teacher of 5e B composes an exercise from her bank (and
a question a colleague shared), gives it to 5e B for Friday with the keyboard only, then —
once pupils have answered (through the services) — opens the results per pupil and per
question and overrides one answer with a comment. axe-core on every page on the way."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import tab_to


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def college(transactional_db):
    from cybercantal.learning.tests.factories import (
        QuestionFactory,
        SchoolClassFactory,
        SchoolFactory,
        SubjectFactory,
        make_student,
        make_teacher,
    )

    school = SchoolFactory(name="Collège des Volcans")
    klass = SchoolClassFactory(school=school, name="5e B")
    maths = SubjectFactory(code="MATHS", name="Mathématiques")
    teacher = make_teacher(klass, maths, first_name="Claire", last_name="Bonnefoy")
    colleague = make_teacher(klass, maths, first_name="Paul", last_name="Vermenouze")
    pupils = [
        make_student(klass, login="hugo.teyssedou", first_name="Hugo", last_name="Teyssedou"),
        make_student(klass, first_name="Léa", last_name="Albert"),
        make_student(klass, first_name="Zoé", last_name="Zanon"),
    ]
    for name in ("Fraction égale à 3/4", "Simplifier 12/18", "Comparer 3/5 et 2/3"):
        QuestionFactory(owner=teacher, school=school, name=name)
    QuestionFactory(owner=teacher, school=school, qtype="essay", name="Expliquer l'égalité")
    QuestionFactory(owner=colleague, school=school, shared=True, name="Ranger des fractions")
    return klass, teacher, pupils


def _answer(pupil, assignment, right: bool) -> None:
    from cybercantal.learning.services import attempts

    attempt = attempts.attempt_start(actor=pupil, assignment=assignment)
    for answer in attempt.answers.order_by("slot"):
        qtype = answer.snapshot["qtype"]
        if qtype == "essay":
            response = {"text": "On multiplie le numérateur et le dénominateur par le même nombre."}
        else:
            response = {"choice": "a" if right else "b"}
        attempts.answer_save(actor=pupil, attempt=attempt, slot=answer.slot, response=response)
    attempts.attempt_submit(actor=pupil, attempt=attempt)


@pytest.mark.django_db(transaction=True)
def test_compose_assign_for_friday_results_and_override(browser: Browser, live_server, college) -> None:
    from cybercantal.learning.models import Answer, Assignment, Homework
    from cybercantal.learning.services.assignments import next_friday_evening

    klass, teacher, pupils = college
    base = live_server.url
    friday = timezone.localtime(next_friday_evening()).date()
    desk = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    try:
        _sign_in(desk, base, teacher)
        page.goto(f"{base}/ent/exercices/")
        expect(page.get_by_role("heading", name="Mes exercices", level=1)).to_be_visible()
        assert_no_violations(page)
        page.get_by_role("link", name="Nouvel exercice").click()
        expect(page.get_by_role("heading", name="Nouvel exercice", level=1)).to_be_visible()
        assert_no_violations(page)
        page.get_by_label("Titre").fill("Fractions pour vendredi")
        page.get_by_label("Matière").select_option(label="Mathématiques")
        page.get_by_role("button", name="Créer et choisir les questions").click()

        expect(page.get_by_role("heading", name="Ajouter des questions à « Fractions pour vendredi »")).to_be_visible()
        assert_no_violations(page)
        for name in ("Fraction égale à 3/4", "Comparer 3/5 et 2/3", "Expliquer l'égalité", "Ranger des fractions"):
            page.get_by_label(name, exact=True).check()
        page.get_by_role("button", name="Ajouter les questions cochées").click()
        expect(page.get_by_text("4 questions ajoutées à l'exercice.")).to_be_visible()
        expect(page.get_by_role("heading", name="Fractions pour vendredi", level=1)).to_be_visible()
        assert_no_violations(page)
        rows = page.locator("table.assignments-compose tbody tr th")
        first, second = (text.strip() for text in rows.all_inner_texts()[:2])
        page.get_by_role("button", name="Descendre la question 1").click()
        expect(page.get_by_text("Question déplacée en position 2.")).to_be_visible()
        expect(rows.nth(0)).to_contain_text(second)
        expect(rows.nth(1)).to_contain_text(first)

        # Give it to 5e B for Friday, with the keyboard only.
        tab_to(page, page.get_by_role("link", name="Donner à une classe"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Donner « Fractions pour vendredi » à une classe")).to_be_visible()
        assert_no_violations(page)
        expect(page.get_by_label("Ferme le")).to_have_value(friday.isoformat())
        expect(page.get_by_label("Inscrire au cahier de textes")).to_be_checked()
        tab_to(page, page.get_by_label("Tentatives permises"))
        page.keyboard.press("Control+A")
        page.keyboard.type("2")
        tab_to(page, page.get_by_role("button", name="Vendredi"))  # the shortcut (JavaScript)
        page.keyboard.press("Enter")
        expect(page.get_by_label("Ferme le")).to_have_value(friday.isoformat())
        tab_to(page, page.get_by_role("button", name="Donner l’exercice"))
        page.keyboard.press("Enter")
        expect(page.get_by_text("Exercice donné à 5e B.")).to_be_visible()
        expect(page.get_by_role("heading", name="« Fractions pour vendredi » donné à 5e B")).to_be_visible()
        assert_no_violations(page)

        assignment = Assignment.objects.get(school_class=klass)
        assert assignment.attempts_allowed == 2
        assert timezone.localtime(assignment.closes_at).date() == friday
        assert Homework.objects.get(assignment=assignment).due_on == friday

        _answer(pupils[0], assignment, right=False)
        _answer(pupils[1], assignment, right=True)

        page.get_by_role("link", name="Voir les résultats").click()
        expect(page.get_by_role("heading", name="Résultats de « Fractions pour vendredi » — 5e B")).to_be_visible()
        assert_no_violations(page)
        pupils_table = page.get_by_role("table").first
        expect(pupils_table.get_by_role("row", name="Zanon Zoé")).to_contain_text("pas commencé")
        expect(pupils_table.get_by_role("row", name="Teyssedou Hugo")).to_contain_text("en attente de correction")
        questions_table = page.get_by_role("table").nth(1)
        expect(questions_table.get_by_role("row", name="Comparer 3/5 et 2/3")).to_contain_text("50 %")

        page.get_by_role("link", name="n° 1 — Hugo Teyssedou").click()
        expect(page.get_by_role("heading", name="Correction de Hugo Teyssedou, tentative n° 1")).to_be_visible()
        assert_no_violations(page)
        page.get_by_label("Note (de 0 à 1)").first.fill("0,5")
        page.get_by_label("Commentaire pour l'élève (facultatif)").first.fill("Tu as bien comparé les numérateurs.")
        page.get_by_role("button", name="Enregistrer", exact=True).first.click()
        expect(page.get_by_text("Note de la question 1 enregistrée.")).to_be_visible()
        assert_no_violations(page)
        overridden = Answer.objects.get(attempt__student=pupils[0], slot=1)
        assert overridden.override_mark == 0.5 or str(overridden.override_mark) == "0.50"
        assert overridden.override_comment == "Tu as bien comparé les numérateurs."

        page.goto(f"{base}/ent/a-corriger/")
        expect(page.get_by_role("heading", name="Copies à corriger", level=1)).to_be_visible()
        assert_no_violations(page)
    finally:
        desk.close()
