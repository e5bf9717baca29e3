"""Cahier de textes in the browser: the maths teacher of 5e B writes Thursday's session and
the homework with the keyboard only, sees the class's workload; the pupil finds it on a
phone and ticks it; his mother sees it; the head signs the cahier de textes off. axe-core on
every page on the way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import tab_to

PHONE = {"width": 390, "height": 844}


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def college(transactional_db):
    from cybercantal.learning.tests.factories import (
        SchoolClassFactory,
        SchoolFactory,
        SubjectFactory,
        make_parent,
        make_staff,
        make_student,
        make_teacher,
    )

    school = SchoolFactory(name="Collège des Volcans")
    klass = SchoolClassFactory(school=school, name="5e B")
    maths = SubjectFactory(code="MATHS", name="Mathématiques")
    teacher = make_teacher(klass, maths, first_name="Claire", last_name="Bonnefoy")
    pupil = make_student(klass, login="hugo.teyssedou", first_name="Hugo", last_name="Teyssedou")
    mother = make_parent(pupil, first_name="Nadia", last_name="Teyssedou")
    head = make_staff(school, head=True, first_name="Marie", last_name="Lacombe")
    return klass, teacher, pupil, mother, head


def _next(weekday: int) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=1)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return day


@pytest.mark.django_db(transaction=True)
def test_homework_from_the_teacher_to_the_family(browser: Browser, live_server, college) -> None:
    klass, teacher, pupil, mother, head = college
    base = live_server.url
    thursday = _next(3)
    desk = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    try:
        _sign_in(desk, base, teacher)
        page.goto(f"{base}/ent/classes/{klass.pk}/cahier-de-textes/")
        expect(page.get_by_role("heading", name="Cahier de textes — 5e B", level=1)).to_be_visible()
        assert_no_violations(page)
        tab_to(page, page.get_by_role("link", name="Nouvelle séance"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Nouvelle séance — 5e B")).to_be_visible()
        assert_no_violations(page)
        tab_to(page, page.get_by_label("Titre :", exact=True))
        page.keyboard.type("Fractions : additionner")
        page.keyboard.press("Tab")
        page.keyboard.type("Addition de fractions de même dénominateur.")
        tab_to(page, page.get_by_label("Travail à faire (facultatif)"))
        page.keyboard.type("Exercices 20 à 22 p. 60")
        page.get_by_label("Pour le").fill(thursday.isoformat())
        tab_to(page, page.get_by_label("Durée estimée (minutes)"))
        page.keyboard.type("25")
        tab_to(page, page.get_by_role("button", name="Enregistrer la séance"))
        page.keyboard.press("Enter")
        expect(page.get_by_text("La séance est inscrite au cahier de textes.")).to_be_visible()
        expect(page.get_by_role("heading", name="Mathématiques — Fractions : additionner")).to_be_visible()
        assert_no_violations(page)
        page.get_by_role("link", name="Charge de travail de la classe").click()
        expect(page.get_by_role("heading", name="Charge de travail — 5e B")).to_be_visible()
        assert_no_violations(page)
    finally:
        desk.close()

    phone = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, has_touch=True)
    page = phone.new_page()
    try:
        _sign_in(phone, base, pupil)
        page.goto(f"{base}/ent/devoirs/")
        expect(page.get_by_role("heading", name="Mes devoirs", level=1)).to_be_visible()
        expect(page.get_by_text("Exercices 20 à 22 p. 60").first).to_be_visible()
        assert_no_violations(page)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.get_by_role("button", name="J’ai fait « Exercices 20 à 22 p. 60 »").click()
        expect(page.get_by_text("marqué comme fait")).to_be_visible()
        expect(page.get_by_role("button", name="Remettre « Exercices 20 à 22 p. 60 » à faire")).to_be_visible()
        assert_no_violations(page)
        page.get_by_role("link", name="Voir les devoirs dans mon agenda").click()
        expect(page.get_by_role("heading", name="Les devoirs dans mon agenda")).to_be_visible()
        assert_no_violations(page)

        _sign_in(phone, base, mother)
        page.goto(f"{base}/ent/devoirs/")
        expect(page.get_by_role("heading", name="Les devoirs de Hugo")).to_be_visible()
        expect(page.get_by_text("Exercices 20 à 22 p. 60").first).to_be_visible()
        expect(page.get_by_role("button", name="J’ai fait « Exercices 20 à 22 p. 60 »")).to_have_count(0)
        assert_no_violations(page)

        _sign_in(phone, base, head)
        page.goto(f"{base}/ent/cahiers-de-textes/visa/")
        expect(page.get_by_role("heading", name="Visa des cahiers de textes")).to_be_visible()
        assert_no_violations(page)
        page.get_by_role("link", name="Viser 5e B").click()
        page.get_by_label("Observations (facultatif)").fill("Bien tenu.")
        page.get_by_role("button", name="Viser").click()
        expect(page.get_by_text("Le cahier de textes de 5e B est visé jusqu’au")).to_be_visible()
        assert_no_violations(page)
    finally:
        phone.close()
