"""Courses in the browser. The maths teacher of 5e B writes a lesson with the keyboard only:
the toolbar (Shift+Tab to reach it, arrows inside it, Entrée to apply) and its shortcuts
(Ctrl+B, Ctrl+Maj+8); she attaches a PDF of her space and publishes the lesson. Hugo, a
pupil of 5e B, reads it on a phone: the text, the PDF embedded with its download link.
axe-core on every page on the way."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import tab_to

PHONE = {"width": 390, "height": 844}

# What Word puts on the clipboard (shortened): classes, styles, Office tags, comments.
PASTE_FROM_WORD = """
(area) => {
    const data = new DataTransfer();
    data.setData("text/html", `<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>
        <style>p.MsoNormal {margin:0}</style></head><body>
        <!--StartFragment--><p class=MsoNormal style='margin:0cm;font-family:"Calibri"'>
        <span style='color:#C00000'>Texte <b>collé</b> depuis Word</span><o:p></o:p></p>
        <script>alert(1)</script><img src="file:///C:/Users/x/image001.png"><!--EndFragment--></body></html>`);
    data.setData("text/plain", "Texte collé depuis Word");
    area.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
}
"""


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def fifth_b(transactional_db):
    from cybercantal.learning.tests.factories import (
        SchoolClassFactory,
        SchoolFactory,
        SubjectFactory,
        make_student,
        make_teacher,
    )
    from cybercantal.learning.tests.factories_courses import make_course, make_document

    school = SchoolFactory(name="Collège test des Puys")
    klass = SchoolClassFactory(school=school, name="5e B", level="5e")
    maths = SubjectFactory(code="MATHS", name="Mathématiques")
    teacher = make_teacher(klass, maths, first_name="Claire", last_name="Bonnefoy")
    pupil = make_student(klass, login="hugo.teyssedou", first_name="Hugo", last_name="Teyssedou")
    make_document(teacher, kind="pdf", name="Fiche méthode — les fractions.pdf")
    course = make_course(klass, maths, title="Les fractions", author=teacher)
    return course, teacher, pupil


@pytest.mark.django_db(transaction=True)
def test_teacher_writes_with_the_keyboard_and_a_pupil_reads_on_a_phone(browser: Browser, live_server, fifth_b):
    from cybercantal.learning.models import Lesson

    course, teacher, pupil = fifth_b
    base = live_server.url
    desk = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    try:
        _sign_in(desk, base, teacher)
        page.goto(f"{base}/ent/cours/")
        expect(page.get_by_role("heading", name="Cours", level=1)).to_be_visible()
        expect(page.get_by_role("link", name="Les fractions")).to_be_visible()
        assert_no_violations(page)

        page.goto(f"{base}/ent/cours/{course.pk}/")
        expect(page.get_by_role("heading", name="Les fractions", level=1)).to_be_visible()
        assert_no_violations(page)
        add = page.get_by_role("link", name="Ajouter une leçon")
        tab_to(page, add)
        page.keyboard.press("Enter")

        # The lesson form, keyboard only.
        expect(page.get_by_role("heading", name="Nouvelle leçon de « Les fractions »")).to_be_visible()
        editor = page.get_by_role("textbox", name="Contenu de la leçon")
        expect(editor).to_be_visible()
        expect(page.get_by_role("toolbar")).to_be_visible()
        assert_no_violations(page)
        tab_to(page, page.get_by_label("Titre de la leçon"))
        page.keyboard.type("Numérateur et dénominateur")
        page.keyboard.press("Tab")  # the toolbar: one tab stop
        expect(page.get_by_role("button", name="Gras")).to_be_focused()
        page.keyboard.press("Tab")  # the text
        expect(editor).to_be_focused()
        page.keyboard.type("Dans 3/4, 3 est le ")
        page.keyboard.press("Control+B")
        expect(page.get_by_role("button", name="Gras")).to_have_attribute("aria-pressed", "true")
        page.keyboard.type("numérateur")
        page.keyboard.press("Control+B")
        page.keyboard.type(" et 4 le dénominateur.")
        page.keyboard.press("Enter")
        # Shift+Tab back to the toolbar, the arrows to « Titre », Entrée: a heading.
        page.keyboard.press("Shift+Tab")
        expect(page.get_by_role("button", name="Gras")).to_be_focused()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        expect(page.get_by_role("button", name="Titre", exact=True)).to_be_focused()
        page.keyboard.press("Enter")
        expect(editor).to_be_focused()
        page.keyboard.type("À retenir")
        expect(page.get_by_role("button", name="Titre", exact=True)).to_have_attribute("aria-pressed", "true")
        page.keyboard.press("Enter")
        page.keyboard.press("Control+Shift+Digit8")
        page.keyboard.type("le dénominateur : en combien de parts on partage")
        page.keyboard.press("Enter")
        page.keyboard.type("le numérateur : combien de parts on prend")
        expect(page.get_by_role("button", name="Liste à puces")).to_have_attribute("aria-pressed", "true")
        # Out of the list (Entrée twice), then a paste from a word processor comes out clean.
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")
        editor.evaluate(PASTE_FROM_WORD)
        expect(editor).to_contain_text("Texte collé depuis Word")
        assert "mso" not in editor.inner_html().lower()
        assert_no_violations(page)
        save = page.get_by_role("button", name="Enregistrer la leçon")
        tab_to(page, save)
        page.keyboard.press("Enter")

        expect(page.get_by_text("La leçon « Numérateur et dénominateur » est enregistrée.")).to_be_visible()
        lesson = Lesson.objects.get(course=course)
        assert "<strong>numérateur</strong>" in lesson.body
        assert "<h2>À retenir</h2>" in lesson.body
        assert re.search(r"<ul><li>le dénominateur : en combien de parts on partage</li><li>le numérateur", lesson.body)
        assert "<strong>collé</strong> depuis Word" in lesson.body
        for junk in ("mso", "style", "o:p", "script", "file:", "<span"):
            assert junk not in lesson.body.lower()
        assert lesson.status == "draft"
        assert_no_violations(page)

        # Attach the PDF of her space, keyboard only.
        choice = page.get_by_label("Document de mon espace")
        tab_to(page, choice)
        page.keyboard.press("ArrowDown")
        expect(choice).not_to_have_value("")
        tab_to(page, page.get_by_role("button", name="Ajouter ce document"))
        page.keyboard.press("Enter")
        expect(page.get_by_text("Le document est ajouté à la leçon.")).to_be_visible()
        assert lesson.resources.count() == 1
        assert_no_violations(page)

        # Publish it from the course page.
        page.goto(f"{base}/ent/cours/{course.pk}/")
        publish = page.get_by_role("button", name="Publier la leçon « Numérateur et dénominateur »")
        tab_to(page, publish)
        page.keyboard.press("Enter")
        expect(page.get_by_text("est publiée : les élèves la voient.")).to_be_visible()
        assert_no_violations(page)
    finally:
        desk.close()

    # Hugo, on his phone.
    phone = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, has_touch=True)
    page = phone.new_page()
    try:
        _sign_in(phone, base, pupil)
        page.goto(f"{base}/ent/cours/")
        expect(page.get_by_role("heading", name="Mathématiques")).to_be_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert_no_violations(page)
        page.get_by_role("link", name="Numérateur et dénominateur").first.click()
        expect(page.get_by_role("heading", name="Numérateur et dénominateur", level=1)).to_be_visible()
        expect(page.get_by_role("heading", name="À retenir")).to_be_visible()
        expect(page.locator(".lesson__body strong").first).to_have_text("numérateur")
        expect(page.locator("iframe.resource__frame")).to_have_attribute("title", re.compile("Fiche méthode"))
        # The PDF frame loads (the file's policy allows this site to frame it).
        frame = page.locator("iframe.resource__frame")
        frame.scroll_into_view_if_needed()
        with page.expect_response(re.compile(r"/ent/cours/ressources/\d+/$")) as framed:
            frame.evaluate("(el) => { el.loading = 'eager'; el.src = el.src; }")
        assert framed.value.status == 200
        # (its policy, frame-ancestors 'self', is checked on the response itself in
        # test_courses_views.py: Chromium does not always expose it for a framed PDF.)
        download = page.get_by_role("link", name=re.compile("Télécharger « Fiche méthode — les fractions.pdf »"))
        expect(download).to_be_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert_no_violations(page)
        # The file itself answers to the pupil.
        href = download.get_attribute("href")
        response = page.request.get(f"{base}{href}")
        assert response.status == 200
        assert response.body().startswith(b"%PDF")
    finally:
        phone.close()
