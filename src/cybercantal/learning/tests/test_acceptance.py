"""The acceptance story of the cartable électronique, through the pages, as its people
would live it (issue 6):

    A teacher imports her class list, prints activation letters, imports a GIFT file of 20
    questions exported from Moodle, assigns it to 5e B for Friday; a pupil activates his
    account at home on a phone, answers half, loses the connection, finishes on the EPN
    computer; the teacher sees per-question results and writes Thursday's homework; a
    parent sees it.

Each person uses their own client (the pupil two: his phone, then the EPN computer) and only
what the pages show: links, forms with their default values, the PDF's text. The browser
part (offline on the phone, answers kept on the device) is ``e2e/test_learning_acceptance.py``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format
from pypdf import PdfReader

from ..models import Answer, Attempt, ParentLink
from .factories import SchoolClassFactory, SchoolFactory, SubjectFactory, make_staff, make_teacher
from .pages import Page, read, squash

GIFT_FILE = Path(__file__).parent / "data" / "moodle_20.gift"
TEACHER_PASSWORD = "craie-tableau-ardoise-42"
PUPIL_PASSWORD = "girafe-volcan-tartine"
PARENT_PASSWORD = "cartable-du-soir-2026"
PHONE = {"HTTP_USER_AGENT": "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36"}
EPN = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}

# The class list as the school's software exports it, saved by Excel in French (Windows-1252,
# semicolons), with a column the ENT ignores.
CLASS_LIST = (
    "Numéro élève;Nom;Prénom;Date de naissance;Classe;Groupes;Date de sortie\r\n"
    "4512;Teyssedou;Hugo;12/03/2014;5e B;;\r\n"
    "4513;Vermenouze;Léa;02/07/2014;5E b;;\r\n"
    "4514;Delort;Mathis;21/11/2013;5e B;;\r\n"
    "4515;Lafon;Inès;30/01/2014;5e B;;\r\n"
).encode("cp1252")
CODE = re.compile(r"\b([A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{2})\b")

# What Hugo answers, by a piece of each question's text: a text to type or a choice to pick
# (str), boxes to tick (list), a choice for each line of a matching (dict). Two are wrong
# or partly right on purpose; the essay waits for the teacher.
ANSWERS: dict[str, Any] = {
    "égale à 1/2": "3/6",
    "égales à 3/4": ["6/8"],  # half of the right ones: 50 %
    "2/5 + 1/5": "3/5",
    "valeur approchée de π": "3,14",
    "compris entre 10 et 20": "15",
    "Arrondissez 7,46": "7,5",
    "5 + 2 × 3": "21",  # wrong: 0 %
    "7 est un nombre premier": "Vrai",
    "vaut 360°": "Faux",
    "Associez chaque triangle": {
        "Équilatéral": "trois côtés égaux",
        "Isocèle": "deux côtés égaux",
        "Rectangle": "un angle droit",
    },
    "s'appelle l'": "hypotenuse",
    "Un parallélogramme": "parallèles",
    "rectangle de 4 cm sur 6 cm": "24",
    "préfecture du Cantal est": "Aurillac",
    "traverse Murat": "Alagnon",
    "Plomb du Cantal culmine": "1855",
    "Associez chaque ville": {"Aurillac": "la Jordanne", "Murat": "l'Alagnon", "Mauriac": "= aucune grande rivière ="},
    "monts du Cantal": "Un volcan, des coulées de lave, puis les glaciers ont creusé les vallées.",
    "plus petit élément": "2",
    "départements voisins": ["Puy-de-Dôme", "Lozère", "Corrèze"],
}
EXPECTED_RATES = {"R01 Moitié": 100, "R02 Égales à 3/4": 50, "R07 Priorités": 0, "R10 Vocabulaire": 100}


def next_weekday(day: dt.date, weekday: int) -> dt.date:
    """The first ``weekday`` (0 = Monday) after ``day``."""
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7 or 7)


def see(response: Any, *texts: str) -> Page:
    """The page of ``response`` (200), which must show each of ``texts``."""
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    page = read(response)
    for text in texts:
        assert text in page.text, f"{text!r} not on the page: {page.text[:3000]}"
    return page


def post_form(client: Client, page: Page, *, button: str, action: str = "", files: Any = None, **changes: Any):  # type: ignore[no-untyped-def]
    form = page.form(action=action, button=button)
    data = form.data(**changes)
    pressed = form.button(button)
    if pressed.name:
        data[pressed.name] = pressed.value
    if files:
        data.update(files)
    return client.post(form.action, data, follow=True)


def sign_in(client: Client, identifier: str, password: str) -> Page:
    page = see(client.get("/ent/connexion/"), "Identifiant ou adresse électronique")
    home = post_form(client, page, button="connecter", identifier=identifier, password=password)
    assert home.redirect_chain[-1][0] == "/ent/", home.redirect_chain
    return read(home)


@pytest.fixture
def cast(db):  # type: ignore[no-untyped-def]
    """Before the story: the collège, its classes of the year, the maths teacher of 5e B
    (who is not staff), the school's ENT administrator (who imports the parents)."""
    school = SchoolFactory(name="Collège de l'Alagnon", uai="0150001B")
    cinq_b = SchoolClassFactory(school=school, name="5e B", level="5e")
    SchoolClassFactory(school=school, name="4e A", level="4e")
    maths = SubjectFactory(code="MATHS", name="Mathématiques")
    teacher = make_teacher(
        cinq_b, maths, first_name="Claire", last_name="Bonnefoy", email="claire.bonnefoy@ac-clermont.fr"
    )
    teacher.set_password(TEACHER_PASSWORD)
    teacher.save()
    staff = make_staff(school, first_name="Anne", last_name="Chassang")
    return {"school": school, "class": cinq_b, "teacher": teacher, "staff": staff}


def answer_question(client: Client, page: Page, slot: int, *, go: str = "next") -> Any:
    """Answer the question shown on ``page`` (slot ``slot``) as ANSWERS says, and send it."""
    form = page.form(id="attempt-form")
    stem = next(fragment for fragment in ANSWERS if fragment in page.text)
    wanted = ANSWERS[stem]
    prefix = f"q{slot}-"
    fields = [f for f in form.fields if f.name.startswith(prefix)]
    assert fields, f"no field for question {slot}"
    data = form.data()
    if isinstance(wanted, dict):  # a matching: a list for each line, found by its label
        for f in fields:
            data[f.name] = form.option_value(f.name, wanted[form.label_of(f)])
    elif isinstance(wanted, list):  # boxes to tick, by their label
        boxes = [f for f in fields if f.type == "checkbox"]
        data[prefix + "choices"] = [f.value for f in boxes if form.label_of(f) in wanted]
        assert len(data[prefix + "choices"]) == len(wanted), [form.label_of(f) for f in boxes]
    else:
        radios = [f for f in fields if f.type == "radio"]
        selects = [f for f in fields if f.tag == "select"]
        if radios:
            [chosen] = [f for f in radios if form.label_of(f) == wanted]
            data[chosen.name] = chosen.value
        elif selects:
            [select] = selects
            data[select.name] = form.option_value(select.name, wanted)
        else:
            [typed] = [f for f in fields if f.tag == "textarea" or f.type == "text"]
            data[typed.name] = wanted
    data["go"] = go
    return client.post(form.action, data, follow=True)


def shown_answer(page: Page, slot: int) -> bool:
    """Whether the question page shows the answer ANSWERS gives (ticked, selected, typed)."""
    form = page.form(id="attempt-form")
    wanted = ANSWERS[next(fragment for fragment in ANSWERS if fragment in page.text)]
    fields = [f for f in form.fields if f.name.startswith(f"q{slot}-")]
    selected = {form.label_of(f): next((t for _v, t, on in f.options if on), "") for f in fields if f.tag == "select"}
    ticked = [form.label_of(f) for f in fields if f.type in {"radio", "checkbox"} and f.checked]
    typed = [
        f.text.strip() if f.tag == "textarea" else f.value for f in fields if f.tag == "textarea" or f.type == "text"
    ]
    if isinstance(wanted, dict):
        return selected == wanted
    if isinstance(wanted, list):
        return sorted(ticked) == sorted(wanted)
    return wanted in ticked or wanted in selected.values() or wanted in typed


def test_the_story_of_issue_6(cast, django_capture_on_commit_callbacks) -> None:
    school = cast["school"]
    today = timezone.localdate()

    # --- 1. The teacher imports her class list ------------------------------------------------
    teacher = Client()
    home = sign_in(teacher, "claire.bonnefoy@ac-clermont.fr", TEACHER_PASSWORD)
    assert "Mes classes" in home.text
    assert "5e B" in home.text
    page = see(teacher.get(home.link("Importer la liste de 5e B")), "Importer des listes — Collège de l'Alagnon")
    assert "Chaque ligne doit nommer une de vos classes" in page.text
    preview = post_form(
        teacher,
        page,
        button="Voir l'aperçu",
        files={"file": SimpleUploadedFile("5eB-2026.csv", CLASS_LIST, content_type="text/csv")},
    )
    preview_page = see(
        preview, "Aperçu de l'import", "Le fichier « 5eB-2026.csv » a 4 lignes", "Rien n'est encore enregistré"
    )
    assert "Colonnes ignorées (rien n'en est gardé) : Date de naissance" in preview_page.text
    assert "Léa Vermenouze (5E b)" in preview_page.text  # as written in the file; "5e B" once imported
    done = see(
        post_form(teacher, preview_page, button="Confirmer l'import"),
        "Import terminé (5eB-2026.csv) : 4 créés, 0 mis à jour, 0 inchangés, 0 départs.",
    )

    # --- 2. ... prints the activation letters ------------------------------------------------------
    letters_page = see(teacher.get(done.link("Lettres de 5e B")), "5e B")
    pdf = post_form(teacher, letters_page, button="Imprimer", audience="students", scope="new", confirm="on")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    letters = [squash(p.extract_text()) for p in PdfReader(io.BytesIO(pdf.content)).pages]
    assert len(letters) == 4
    for name in ("Hugo Teyssedou", "Léa Vermenouze", "Mathis Delort", "Inès Lafon"):
        assert sum(name in letter for letter in letters) == 1, name
    [hugo_letter] = [letter for letter in letters if "Hugo Teyssedou" in letter]
    assert "hugo.teyssedou" in hugo_letter
    assert "Collège de l'Alagnon" in hugo_letter
    assert "/ent/activer/" in hugo_letter
    [code] = CODE.findall(hugo_letter)  # what Hugo reads on his letter

    # The school's staff link the parents (not a teacher's job): Hugo's mother has an address.
    staff = Client()
    staff.force_login(cast["staff"])
    staff_page = read(staff.get(f"/ent/etablissements/{school.uai}/imports/"))
    parents_csv = (
        "Numéro élève;Nom;Prénom;Lien;Adresse électronique\r\n4512;Teyssedou;Nadia;mère;nadia.t@example.fr\r\n"
    )
    parents_preview = post_form(
        staff,
        staff_page,
        button="Voir l'aperçu",
        kind="parents",
        files={"file": SimpleUploadedFile("responsables.csv", parents_csv.encode(), content_type="text/csv")},
    )
    with django_capture_on_commit_callbacks(execute=True):
        see(post_form(staff, read(parents_preview), button="Confirmer l'import"), "1 créés")
    assert ParentLink.objects.filter(student__ent_account__login="hugo.teyssedou").count() == 1

    # --- 3. ... imports a GIFT file of 20 questions exported from Moodle ----------------------------
    gift_page = see(teacher.get("/ent/questions/gift/importer/"), "GIFT")
    gift_preview = post_form(
        teacher,
        gift_page,
        button="aperçu",
        text="",
        files={"file": SimpleUploadedFile("revisions-5e.txt", GIFT_FILE.read_bytes(), content_type="text/plain")},
    )
    preview_page = see(gift_preview, "20 questions lues dans le texte", "Révisions › Fractions", "Vrai ou faux")
    assert "Erreurs à corriger" not in preview_page.text
    for kind in (
        "Choix unique",
        "Choix multiple",
        "Réponse courte",
        "Numérique",
        "Appariement",
        "Texte à trous",
        "Rédaction",
    ):
        assert kind in preview_page.text, kind
    imported = post_form(teacher, preview_page, button="Importer")
    see(imported, "20 questions importées dans votre banque.")

    # --- 4. ... builds the exercise and assigns it to 5e B for Friday ---------------------------------
    new_exercise = read(teacher.get("/ent/exercices/nouveau/"))
    form = new_exercise.form(button="Créer")
    maths_value = form.option_value("subject", "Mathématiques")
    add_page = see(
        post_form(teacher, new_exercise, button="Créer", title="Révisions de 5e", subject=maths_value),
        "Exercice créé",
    )
    add_form = add_page.form(button="Ajouter")
    boxes = [f.value for f in add_form.fields if f.name == "question" and f.type == "checkbox"]
    assert len(boxes) == 20
    exercise_page = see(
        post_form(teacher, add_page, button="Ajouter", question=boxes), "20 questions ajoutées à l'exercice."
    )
    assign_page = see(teacher.get(exercise_page.link("Donner")), "5e B")
    assign_form = assign_page.form(button="Donner")
    defaults = assign_form.data()
    friday = dt.date.fromisoformat(defaults["closes_on"])
    assert friday.weekday() == 4  # the form proposes next Friday
    assert assign_form.option_value("school_class", "5e B") == defaults["school_class"]
    given = see(
        post_form(teacher, assign_page, button="Donner"),
        "Exercice donné à 5e B.",
        "Il est inscrit au cahier de textes.",
    )
    with translation.override("fr"):
        assert f"Il ferme {date_format(friday, 'l j F Y')} à 18:00." in given.text

    # --- 5. A pupil activates his account at home, on a phone ---------------------------------
    phone = Client(**PHONE)
    activate = see(phone.get("/ent/activer/"), "Code d'activation")
    step2 = see(
        post_form(phone, activate, button="Continuer", login="hugo.teyssedou", code=code.lower().replace("-", " ")),
        "Choisir mon mot de passe",
    )
    welcome = see(
        post_form(phone, step2, button="Activer", password1=PUPIL_PASSWORD, password2=PUPIL_PASSWORD),
        "Bienvenue ! Ton compte est activé",
        "Révisions de 5e",
    )
    start = welcome.form(button="Commencer « Révisions de 5e »")
    question = phone.post(start.action, follow=True)
    # ... and answers half of it.
    for slot in range(1, 11):
        page = see(question, f"Question {slot} sur 20")
        question = answer_question(phone, page, slot)
    page = see(question, "Question 11 sur 20", "10 questions sans réponse")
    # Here the phone loses the connection: nothing more reaches the server.
    attempt = Attempt.objects.get(student__ent_account__login="hugo.teyssedou")
    assert Answer.objects.filter(attempt=attempt, response__isnull=False).count() == 10

    # --- 6. ... and finishes on the EPN computer ----------------------------------------------------
    epn = Client(**EPN)
    epn_home = sign_in(epn, "hugo.teyssedou", PUPIL_PASSWORD)
    assert "Commencé" in epn_home.text
    resume = epn_home.form(button="Reprendre « Révisions de 5e »")
    question = epn.post(resume.action, follow=True)
    see(question, "10 questions sans réponse")
    # Where he stopped: the question after the last one he answered.
    assert question.redirect_chain[-1][0].endswith("?q=11")
    for slot in range(1, 11):  # his first answers are all there, as he gave them on the phone
        assert shown_answer(read(epn.get(f"/ent/tentatives/{attempt.pk}/?q={slot}")), slot)
    for slot in range(11, 21):
        page = see(question, f"Question {slot} sur 20")
        question = answer_question(epn, page, slot, go="next" if slot < 20 else "finish")
    submit_page = see(question, "Rendre mon exercice")
    see(post_form(epn, submit_page, button="Rendre mon exercice"), "Votre exercice est rendu. Bravo !")
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.SUBMITTED

    # --- 7. The teacher sees per-question results ---------------------------------------------------
    home = read(teacher.get("/ent/"))
    results = see(
        teacher.get(home.link("Révisions de 5e")),  # from "Derniers exercices donnés"
        "Résultats de « Révisions de 5e » — 5e B",
        "4 élèves, 1 a rendu au moins une tentative",
        "Réussite de chaque question",
    )
    rows = question_rows(results)
    assert len(rows) == 20
    for name, rate in EXPECTED_RATES.items():
        assert rows[name][0] == f"{rate} %", (name, rows[name])
    assert rows["R02 Égales à 3/4"][1:] == ("0", "1", "0", "0", "0")  # partly right
    assert rows["R07 Priorités"][1:] == ("0", "0", "1", "0", "0")  # wrong
    assert rows["R18 Volcans"] == ("pas encore de réponse", "0", "0", "0", "0", "1")  # the essay, to grade
    assert sum(row[0] == "100 %" for row in rows.values()) == 17

    # --- 8. ... and writes Thursday's homework -------------------------------------------------------
    thursday = next_weekday(today, 3)
    cahier = see(teacher.get(home.link("Cahier de textes de 5e B")), "Faire l'exercice en ligne « Révisions de 5e »")
    new_homework = see(teacher.get(cahier.link("Donner du travail")), "Travail à faire")
    form = new_homework.form(button="Enregistrer")
    written = post_form(
        teacher,
        new_homework,
        button="Enregistrer",
        subject=form.option_value("subject", "Mathématiques"),
        due_on=thursday.isoformat(),
        title="Exercices 12 et 13 page 84",
        instructions="Refaire les fractions de l'exercice en ligne.",
        estimated_minutes="30",
    )
    with translation.override("fr"):
        see(written, f"Le travail est donné pour le {date_format(thursday, 'l j F Y')}.", "Exercices 12 et 13 page 84")

    # --- 9. A parent sees it -------------------------------------------------------------------------
    [invitation] = [m for m in mail.outbox if "nadia.t@example.fr" in m.to]
    link = re.search(r"https?://[^/\s]+(/\S+)", invitation.body.split("mot de passe avec ce lien", 1)[1]).group(1)
    parent = Client()
    assert "Collège de l'Alagnon vous a ouvert un compte" in invitation.body
    page = see(parent.get(link, follow=True), "Modifier le mot de passe", "Nouveau mot de passe")
    changed = post_form(
        parent, page, button="Modifier le mot de passe", password1=PARENT_PASSWORD, password2=PARENT_PASSWORD
    )
    assert changed.status_code == 200
    parent.logout()
    parent_home = sign_in(parent, "nadia.t@example.fr", PARENT_PASSWORD)
    assert "Mes enfants" in parent_home.text
    assert "Hugo Teyssedou" in parent_home.text
    with translation.override("fr"):
        thursday_text = date_format(thursday, "l j F").capitalize()
    assert f"{thursday_text} — Mathématiques : Exercices 12 et 13 page 84" in parent_home.text
    assert "Faire l'exercice en ligne « Révisions de 5e »" in parent_home.text  # Friday's, from the assignment


TYPES = "Choix unique|Choix multiple|Vrai ou faux|Réponse courte|Numérique|Appariement|Texte à trous|Rédaction"
QUESTION_ROW = re.compile(rf"(R\d\d [^%]+?) (?:{TYPES}) (\d+ %|pas encore de réponse) (\d+) (\d+) (\d+) (\d+) (\d+)")


def question_rows(page: Page) -> dict[str, tuple[str, ...]]:
    """The "Par question" table as read: title -> (success rate, right, partly right, wrong,
    blank, to grade)."""
    table = page.text.split("Réussite de chaque question, dans l’ordre de l’exercice", 1)[1]
    return {title: tuple(rest) for title, *rest in QUESTION_ROW.findall(table)}
