"""Home pages of the cartable in the browser: a pupil on a phone sees today's homework, the
exercises to do and the latest lessons; his mother sees his week and his results, read only;
the teacher sees her classes. axe-core on each page, no horizontal scrolling on a phone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, expect

from e2e.axe import assert_no_violations

PHONE = {"width": 390, "height": 844}


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def college(transactional_db):
    from cybercantal.learning.models import Attempt
    from cybercantal.learning.tests.factories import (
        AssignmentFactory,
        CourseFactory,
        HomeworkFactory,
        LessonFactory,
        SchoolClassFactory,
        SchoolFactory,
        SubjectFactory,
        exercise_with,
        make_parent,
        make_student,
        make_teacher,
    )

    school = SchoolFactory(name="Collège des Volcans")
    klass = SchoolClassFactory(school=school, name="5e B")
    maths = SubjectFactory(code="MATHS", name="Mathématiques")
    teacher = make_teacher(klass, maths, first_name="Claire", last_name="Bonnefoy")
    pupil = make_student(klass, login="hugo.teyssedou", first_name="Hugo", last_name="Teyssedou")
    mother = make_parent(pupil, first_name="Nadia", last_name="Teyssedou")
    today = timezone.localdate()
    HomeworkFactory(school_class=klass, subject=maths, title="Réciter la table de 7", due_on=today, given_on=today)
    HomeworkFactory(school_class=klass, subject=maths, title="Exercice 4 p. 12", due_on=today + dt.timedelta(days=2))
    LessonFactory(
        course=CourseFactory(school_class=klass, subject=maths, title="Les fractions"), title="Fractions égales"
    )
    AssignmentFactory(
        exercise=exercise_with(teacher, school, ["single"], title="Fractions en ligne"), school_class=klass
    )
    closed = AssignmentFactory(
        exercise=exercise_with(teacher, school, ["single"], title="Calcul mental"),
        school_class=klass,
        opens_at=timezone.now() - dt.timedelta(days=10),
        closes_at=timezone.now() - dt.timedelta(days=3),
    )
    Attempt.objects.create(
        assignment=closed,
        student=pupil,
        number=1,
        state="submitted",
        submitted_at=timezone.now() - dt.timedelta(days=4),
        score=Decimal("8"),
        max_score=Decimal("10"),
    )
    return teacher, pupil, mother


@pytest.mark.django_db(transaction=True)
def test_home_pages(browser: Browser, live_server, college) -> None:
    teacher, pupil, mother = college
    base = live_server.url
    phone = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, has_touch=True)
    page = phone.new_page()
    try:
        _sign_in(phone, base, pupil)
        page.goto(f"{base}/ent/")
        expect(page.get_by_role("heading", name="Mon cartable électronique", level=1)).to_be_visible()
        expect(page.get_by_text("Réciter la table de 7")).to_be_visible()
        expect(page.get_by_text("Exercice 4 p. 12")).to_be_visible()
        expect(page.get_by_text("Fractions en ligne").first).to_be_visible()
        expect(page.get_by_text("Fractions égales")).to_be_visible()
        expect(page.get_by_text("8 sur 10")).to_be_visible()
        assert_no_violations(page)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")

        _sign_in(phone, base, mother)
        page.goto(f"{base}/ent/")
        expect(page.get_by_role("heading", name="Hugo Teyssedou")).to_be_visible()
        expect(page.get_by_text("Exercice 4 p. 12")).to_be_visible()
        expect(page.get_by_role("button", name="Commencer « Fractions en ligne »")).to_have_count(0)
        assert_no_violations(page)
        page.get_by_role("link", name="Tout le suivi de Hugo").click()
        expect(page.get_by_role("heading", name="Suivi de Hugo Teyssedou")).to_be_visible()
        assert_no_violations(page)
        page.get_by_role("link", name="Télécharger les données du cartable de Hugo").click()
        expect(page.get_by_role("button", name="Télécharger le fichier ZIP")).to_be_visible()
        assert_no_violations(page)
    finally:
        phone.close()

    desk = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    try:
        _sign_in(desk, base, teacher)
        page.goto(f"{base}/ent/")
        expect(page.get_by_role("heading", name="Mes classes")).to_be_visible()
        expect(page.get_by_role("link", name="Cahier de textes de 5e B")).to_be_visible()
        assert_no_violations(page)
    finally:
        desk.close()
