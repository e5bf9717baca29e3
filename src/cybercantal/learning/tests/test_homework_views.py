"""Cahier de textes and homework pages: who sees what, forms, the calendar feed."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from cybercantal.learning.models import Homework, HomeworkDone, LessonLog, LogSignOff
from cybercantal.learning.services import homework as services

from .factories import HomeworkFactory, LessonLogFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(klass, teacher, student, parent, school_staff, head, outsider_teacher, outsider_student):
    return {
        "anonymous": None,
        "teacher": teacher,
        "student": student,
        "parent": parent,
        "staff": school_staff,
        "head": head,
        "outsider_teacher": outsider_teacher,
        "outsider_student": outsider_student,
        "nobody": UserFactory(),
    }


@pytest.fixture
def homework(klass, maths, teacher):
    log = LessonLogFactory(school_class=klass, subject=maths, teacher=teacher, title="Fractions")
    return HomeworkFactory(school_class=klass, subject=maths, teacher=teacher, lesson_log=log, title="Ex. 12 p. 40")


def _status(client, user, url, method="get", data=None):
    client.logout()
    if user is not None:
        client.force_login(user)
    response = getattr(client, method)(url, data or {})
    return response.status_code


ALLOWED = {
    "homework_class": {"teacher", "student", "parent", "staff", "head"},
    "lessonlog_create": {"teacher"},
    "homework_create": {"teacher"},
    "workload": {"teacher", "staff", "head"},
    "sign_off": {"head"},
}


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_class_pages_per_role(client, people, klass, homework, name):
    url = reverse(f"learning:{name}", args=[klass.pk])
    for role, user in people.items():
        status = _status(client, user, url)
        if role == "anonymous":
            assert status == 302, (name, role)
        elif role in ALLOWED[name]:
            assert status == 200, (name, role)
        else:
            assert status in (403, 404), (name, role, status)


def test_homework_object_pages_per_role(client, people, homework):
    for name in ("homework_edit", "homework_delete", "lessonlog_edit", "lessonlog_delete"):
        target = homework.lesson_log.pk if name.startswith("lessonlog") else homework.pk
        url = reverse(f"learning:{name}", args=[target])
        for role, user in people.items():
            status = _status(client, user, url)
            expected = 302 if role == "anonymous" else 200 if role == "teacher" else 403
            assert status == expected, (name, role, status)


def test_my_homework_per_role(client, people, homework):
    url = reverse("learning:my_homework")
    expected = {
        "anonymous": 302,
        "teacher": 200,
        "student": 200,
        "parent": 200,
        "staff": 403,
        "head": 200,
        "outsider_teacher": 200,
        "outsider_student": 200,
        "nobody": 403,
    }
    for role, user in people.items():
        assert _status(client, user, url) == expected[role], role
    client.force_login(people["student"])
    assert "Ex. 12 p. 40" in client.get(url).content.decode()
    client.force_login(people["parent"])
    assert "Ex. 12 p. 40" in client.get(url).content.decode()
    client.force_login(people["outsider_student"])
    assert "Ex. 12 p. 40" not in client.get(url).content.decode()


def test_pupil_ticks_and_unticks(client, student, homework):
    client.force_login(student)
    url = reverse("learning:homework_done", args=[homework.pk])
    assert client.post(url, {"done": "1"}).status_code == 302
    assert client.post(url, {"done": "1"}).status_code == 302  # double click
    assert HomeworkDone.objects.count() == 1
    client.post(url, {"done": "0"})
    assert HomeworkDone.objects.count() == 0


def test_parent_cannot_tick(client, parent, homework):
    client.force_login(parent)
    assert client.post(reverse("learning:homework_done", args=[homework.pk]), {"done": "1"}).status_code == 403


def test_teacher_writes_a_session_with_homework_through_the_page(client, teacher, klass, maths):
    client.force_login(teacher)
    today = timezone.localdate()
    response = client.post(
        reverse("learning:lessonlog_create", args=[klass.pk]),
        {
            "subject": maths.pk,
            "date": today.isoformat(),
            "title": "Proportionnalité",
            "content": "<p>Tableaux</p>",
            "homework_title": "Exercice 3",
            "homework_due_on": (today + dt.timedelta(days=2)).isoformat(),
            "homework_minutes": "15",
        },
    )
    assert response.status_code == 302
    log = LessonLog.objects.get()
    assert log.homework.get().title == "Exercice 3"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"subject": "999999999999999999999", "date": "x", "title": ""},
        {"subject": "\x00", "date": "2026-02-30", "title": "a" * 5000},
        {"date": "1900-01-01", "title": "Vieux"},
        {"title": "Sans date de rendu", "homework_title": "Lire"},
    ],
)
def test_bad_session_forms_answer_in_french(client, teacher, klass, maths, data):
    client.force_login(teacher)
    payload = {"subject": maths.pk, **data}
    response = client.post(reverse("learning:lessonlog_create", args=[klass.pk]), payload)
    assert response.status_code == 200
    assert "Rien n’est envoyé" in response.content.decode()
    assert not LessonLog.objects.exists()


def test_homework_form_refuses_a_past_due_date(client, teacher, klass, maths):
    client.force_login(teacher)
    response = client.post(
        reverse("learning:homework_create", args=[klass.pk]),
        {"subject": maths.pk, "due_on": "2000-01-01", "title": "Lire"},
    )
    assert response.status_code == 200
    assert not Homework.objects.exists()


def test_head_signs_off(client, head, klass):
    client.force_login(head)
    response = client.post(
        reverse("learning:sign_off", args=[klass.pk]), {"up_to": timezone.localdate().isoformat(), "comment": "Vu"}
    )
    assert response.status_code == 302
    assert LogSignOff.objects.count() == 1
    assert client.get(reverse("learning:sign_off_overview")).status_code == 200


def test_sign_off_overview_is_for_heads(client, teacher, school_staff):
    for user in (teacher, school_staff):
        client.force_login(user)
        assert client.get(reverse("learning:sign_off_overview")).status_code == 403


def test_calendar_feed(client, student, parent, homework, outsider_student):
    token = services.homework_feed(student).token
    client.logout()
    response = client.get(reverse("learning:calendar_feed", args=[token]))
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    assert "Ex. 12 p. 40" in str(events[0]["summary"])
    assert events[0].decoded("dtstart") == homework.due_on
    parent_token = services.homework_feed(parent).token
    assert b"Ex. 12 p. 40" in client.get(reverse("learning:calendar_feed", args=[parent_token])).content
    other = services.homework_feed(outsider_student).token
    assert b"Ex. 12 p. 40" not in client.get(reverse("learning:calendar_feed", args=[other])).content
    assert client.get(reverse("learning:calendar_feed", args=["nope"])).status_code == 404


def test_calendar_link_page(client, student, teacher):
    client.force_login(student)
    response = client.get(reverse("learning:calendar_link"))
    assert response.status_code == 200
    assert "webcal://" in response.content.decode()
    old = services.homework_feed(student).token
    assert client.post(reverse("learning:calendar_link"), {}).status_code == 200  # not confirmed
    assert client.post(reverse("learning:calendar_link"), {"confirm": "on"}).status_code == 302
    assert services.homework_feed(student).token != old
    client.force_login(teacher)
    assert client.get(reverse("learning:calendar_link")).status_code == 403


def test_attachment_download_checks_the_homework(client, student, outsider_student, homework, teacher):
    from cybercantal.learning.models import Document, DocumentSpace

    space = DocumentSpace.objects.create(owner=teacher, quota_bytes=10**6)
    document = Document.objects.create(
        space=space, name="fiche.pdf", file="ent/x.pdf", kind="pdf", content_type="application/pdf", size=1, sha256=""
    )
    url = reverse("learning:homework_attachment", args=[homework.pk, document.pk])
    client.force_login(student)
    assert client.get(url).status_code == 404  # not attached to this homework
    client.force_login(outsider_student)
    assert client.get(url).status_code == 403


def test_class_week_is_a_constant_number_of_queries(client, teacher, klass, maths, django_assert_max_num_queries):
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    for day in range(5):
        log = LessonLogFactory(school_class=klass, subject=maths, date=monday + dt.timedelta(days=day))
        HomeworkFactory(
            school_class=klass,
            subject=maths,
            lesson_log=log,
            given_on=monday,
            due_on=monday + dt.timedelta(days=day + 1),
        )
    client.force_login(teacher)
    url = reverse("learning:homework_class", args=[klass.pk]) + f"?semaine={monday.isoformat()}"
    client.get(url)
    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("week", ["", "x", "2026-13-45", "99999-01-01", "0001-01-01", "\x00"])
def test_week_parameter_never_breaks(client, student, klass, week):
    client.force_login(student)
    response = client.get(reverse("learning:homework_class", args=[klass.pk]), {"semaine": week, "matiere": week})
    assert response.status_code == 200
