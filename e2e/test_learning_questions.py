"""The question bank in the browser, keyboard only: a teacher creates a multiple-choice
question with a negative weight (adding a row with the "Ajouter une réponse" button), then a
fill-in-the-blanks question written with the [[…]] syntax, and tries both as a pupil would
in the preview. axe-core on every page visited."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def claire(transactional_db):
    from cybercantal.learning.tests.factories import SchoolClassFactory, SubjectFactory, make_teacher

    klass = SchoolClassFactory(name="5e B", school__name="Collège test des Puys")
    return make_teacher(klass, SubjectFactory(code="MATHS", name="Mathématiques"),
                        first_name="Claire", last_name="Bonnefoy")  # fmt: skip


def _type_into(page: Page, label: str, text: str, *, exact: bool = False) -> None:
    tab_to(page, page.get_by_label(label, exact=exact), max_tabs=120)
    assert_focus_visible(page)
    page.keyboard.type(text)


@pytest.mark.django_db(transaction=True)
def test_a_teacher_writes_two_questions_with_the_keyboard_and_tries_them(
    context: BrowserContext, page: Page, live_server, claire
) -> None:
    from cybercantal.learning.models import Question

    base = live_server.url
    _sign_in(context, base, claire)
    page.goto(f"{base}/ent/questions/")
    expect(page.get_by_role("heading", name="Banque de questions", level=1)).to_be_visible()
    expect(page.get_by_text("Votre banque est vide")).to_be_visible()
    assert_no_violations(page)

    # Multiple choice, from the bank's "create" links.
    tab_to(page, page.get_by_role("link", name="Choix multiple", exact=True), max_tabs=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Nouvelle question : Choix multiple")).to_be_visible()
    assert_no_violations(page)
    _type_into(page, "Énoncé", "Cochez les nombres premiers.")
    rows = page.locator("[data-row]")
    expect(rows).to_have_count(4)
    for index, (text, key) in enumerate([("2", "5"), ("3", "5"), ("4", "End")]):
        row = rows.nth(index)
        tab_to(page, row.get_by_label("Réponse proposée"))
        page.keyboard.type(text)
        tab_to(page, row.get_by_label("Points si cochée"))
        page.keyboard.press(key)  # "5" → 50 %, End → -100 %
    expect(rows.nth(0).get_by_label("Points si cochée")).to_have_value("0.5")
    expect(rows.nth(2).get_by_label("Points si cochée")).to_have_value("-1")
    tab_to(page, rows.nth(2).get_by_label("Message à l'élève s'il choisit cette réponse"))
    page.keyboard.type("4 = 2 × 2 : il n'est pas premier.")
    # One more row with the button (JavaScript): the focus lands in it.
    add = page.get_by_role("button", name="Ajouter une réponse")
    tab_to(page, add, max_tabs=40)
    page.keyboard.press("Enter")
    expect(rows).to_have_count(5)
    expect(rows.nth(4).get_by_label("Réponse proposée")).to_be_focused()
    page.keyboard.type("9")
    page.keyboard.press("Tab")
    page.keyboard.press("End")  # -100 %
    tab_to(page, page.get_by_role("button", name="Enregistrer et essayer"), max_tabs=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Essayer"))).to_be_visible()
    assert_no_violations(page)
    question = Question.objects.get(qtype="multiple")
    assert [c["fraction"] for c in question.data["choices"]] == ["0.5", "0.5", "-1", "-1"]
    assert question.data["choices"][2]["feedback"] == "4 = 2 × 2 : il n'est pas premier."

    # Try it: tick 2 and 4 → 0.5 - 1 → 0.
    for name in ("2", "4"):
        box = page.get_by_role("checkbox", name=name, exact=True)
        tab_to(page, box, max_tabs=60)
        page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Vérifier ma réponse"), max_tabs=20)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Réponse fausse.", exact=True)).to_be_visible()
    expect(page.get_by_text("Note : 0 sur 1 (0 %).")).to_be_visible()
    expect(page.get_by_text("4 = 2 × 2 : il n'est pas premier.").first).to_be_visible()
    assert_no_violations(page)

    # Fill in the blanks, with the syntax shown on the page.
    page.goto(f"{base}/ent/questions/nouvelle/cloze/")
    expect(page.get_by_text("l’élève choisit dans une liste ; le signe = marque la bonne réponse.")).to_be_visible()
    assert_no_violations(page)
    _type_into(page, "Consigne", "Complète le texte.")
    _type_into(
        page, "Texte à trous", "Le Cantal est un [[=département|pays|région]] de France, sa préfecture est [[Aurillac"
    )
    tab_to(page, page.get_by_role("button", name="Enregistrer et essayer"), max_tabs=60)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Rien n’est enregistré")).to_be_visible()
    expect(page.get_by_text("Le trou n°2 (ligne 1) n'est pas fermé").first).to_be_visible()
    assert_no_violations(page)
    tab_to(page, page.get_by_label("Texte à trous"), max_tabs=120)
    page.keyboard.press("Control+End")
    page.keyboard.type("]].")
    tab_to(page, page.get_by_role("button", name="Enregistrer et essayer"), max_tabs=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Essayer"))).to_be_visible()
    cloze = Question.objects.get(qtype="cloze")
    assert [b["mode"] for b in cloze.data["blanks"]] == ["choice", "text"]
    tab_to(page, page.get_by_label("Trou 1 sur 2"), max_tabs=60)
    page.keyboard.type("dép")  # type-ahead in the list
    page.keyboard.press("Tab")
    page.keyboard.type("aurillac")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Bonne réponse.", exact=True)).to_be_visible()
    assert_no_violations(page)

    page.goto(f"{base}/ent/questions/")
    expect(page.get_by_role("rowheader", name=re.compile("Cochez les nombres premiers"))).to_be_visible()
    assert_no_violations(page)
