"""Courses pages: who sees what (each role on each page), what the pages show, the writes
through the pages, query counts on the lists."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ..models import Course, Lesson, LessonResource
from .factories import SubjectFactory, make_student, make_teacher
from .factories_courses import attach, attach_link, make_course, make_document, make_lesson

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(school, klass, maths, teacher, student, parent, school_staff, head, outsider_teacher, outsider_student):
    from .factories import SchoolClassFactory

    other_class = SchoolClassFactory(school=school, name="5e C")
    history_teacher = make_teacher(klass, SubjectFactory(code="HIST", name="Histoire-géographie"))
    return {
        "anonymous": None,
        "student": student,
        "parent": parent,
        "teacher": teacher,
        "history_teacher": history_teacher,  # teaches 5e B, another subject
        "other_pupil": make_student(other_class),  # same school, another class
        "outsider_teacher": outsider_teacher,
        "outsider_student": outsider_student,
        "staff": school_staff,
        "head": head,
    }


@pytest.fixture
def published(klass, maths, teacher):
    course = make_course(klass, maths, title="Les fractions", author=teacher)
    first = make_lesson(course, title="Qu'est-ce qu'une fraction ?")
    draft = make_lesson(course, title="Brouillon de leçon", published=False)
    third = make_lesson(course, title="Comparer des fractions")
    return course, first, draft, third


@pytest.fixture
def draft_course(klass, maths):
    course = make_course(klass, maths, title="Proportionnalité (brouillon)", published=False)
    lesson = make_lesson(course, title="Tableaux de proportionnalité")
    return course, lesson


def _get(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    _close(response)
    return response


def _close(response):
    """Close a served file even when not read, without the ``request_finished`` signal
    closing the database connection (PostgreSQL: the test's transaction)."""
    from django.core.signals import request_finished
    from django.db import close_old_connections

    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


READERS = {"student", "parent", "teacher", "history_teacher", "staff", "head"}
EDITORS = {"teacher"}
DRAFT_READERS = {"teacher", "history_teacher", "staff", "head"}


@pytest.mark.parametrize(
    "who",
    [
        "anonymous",
        "student",
        "parent",
        "teacher",
        "history_teacher",
        "other_pupil",
        "outsider_teacher",
        "outsider_student",
        "staff",
        "head",
    ],
)
def test_access_table(client, people, published, draft_course, who):
    course, first, draft_lesson, _ = published
    hidden_course, hidden_lesson = draft_course
    resource = attach(first, make_document(people["teacher"], kind="pdf"))
    draft_resource = attach(draft_lesson, make_document(people["teacher"], kind="image"))
    user = people[who]

    def status(url):
        response = _get(client, user, url)
        if who == "anonymous":
            assert response.status_code == 302
            assert "/connexion" in response["Location"] or "login" in response["Location"]
            return "login"
        return response.status_code

    ok_read = 200 if who in READERS else 403
    ok_draft = 200 if who in DRAFT_READERS else 403
    ok_edit = 200 if who in EDITORS else 403

    expected = {
        reverse("learning:courses"): 200,
        reverse("learning:course", args=[course.pk]): ok_read,
        reverse("learning:lesson", args=[course.pk, first.pk]): ok_read,
        reverse("learning:lesson_resource", args=[resource.pk]): ok_read,
        reverse("learning:lesson", args=[course.pk, draft_lesson.pk]): ok_draft,
        reverse("learning:lesson_resource", args=[draft_resource.pk]): ok_draft,
        reverse("learning:course", args=[hidden_course.pk]): ok_draft,
        reverse("learning:lesson", args=[hidden_course.pk, hidden_lesson.pk]): ok_draft,
        reverse("learning:course_edit", args=[course.pk]): ok_edit,
        reverse("learning:course_delete", args=[course.pk]): ok_edit,
        reverse("learning:lesson_create", args=[course.pk]): ok_edit,
        reverse("learning:lesson_edit", args=[course.pk, first.pk]): ok_edit,
        reverse("learning:lesson_delete", args=[course.pk, first.pk]): ok_edit,
        # A teacher of the class in any subject may open the form (the subject list is theirs).
        reverse("learning:course_create", args=[course.school_class_id]): 200
        if who in {"teacher", "history_teacher"}
        else 403,
    }
    for url, wanted in expected.items():
        got = status(url)
        assert got == ("login" if who == "anonymous" else wanted), (who, url)


def test_lesson_of_another_course_is_404(client, people, published, klass, maths):
    course, first, _, _ = published
    other = make_course(klass, maths, title="Autre", lessons=1)
    client.force_login(people["student"])
    assert client.get(reverse("learning:lesson", args=[other.pk, first.pk])).status_code == 404
    assert client.get(reverse("learning:lesson", args=[course.pk, 999999])).status_code == 404
    assert client.get(reverse("learning:course", args=[999999])).status_code == 404
    assert client.get(reverse("learning:lesson_resource", args=[999999])).status_code == 404


def test_resource_of_another_class_course_is_refused(client, people, school, maths):
    """A resource id of a course of another class of the same school: 403 for the pupil."""
    from .factories import SchoolClassFactory

    other_class = SchoolClassFactory(school=school, name="4e A")
    other_teacher = make_teacher(other_class, maths)
    course = make_course(other_class, maths, lessons=1)
    resource = attach(course.lessons.get(), make_document(other_teacher, kind="pdf"))
    assert _get(client, people["student"], reverse("learning:lesson_resource", args=[resource.pk])).status_code == 403
    assert _get(client, other_teacher, reverse("learning:lesson_resource", args=[resource.pk])).status_code == 200


def test_link_resource_is_not_served(client, people, published):
    _course, first, _, _ = published
    link = attach_link(first)
    client.force_login(people["student"])
    assert client.get(reverse("learning:lesson_resource", args=[link.pk])).status_code == 404


def test_pupil_list_groups_by_subject_and_hides_drafts(client, people, published, draft_course, klass):
    french = SubjectFactory(code="FRAN", name="Français")
    make_course(klass, french, title="La poésie", lessons=2)
    client.force_login(people["student"])
    response = client.get(reverse("learning:courses"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Les fractions" in html
    assert "La poésie" in html
    assert "Proportionnalité (brouillon)" not in html
    assert "Brouillon de leçon" not in html
    assert html.index("Français") < html.index("Mathématiques")  # subjects in alphabetical order
    assert "Nouveau cours" not in html


def test_parent_picks_a_child(client, people, published, school, maths):
    from .factories import SchoolClassFactory, link_parent

    parent = people["parent"]
    sister_class = SchoolClassFactory(school=school, name="3e A")
    sister = make_student(sister_class, first_name="Léa", last_name="Teyssedou")
    make_course(sister_class, maths, title="Théorème de Pythagore", lessons=1)
    link_parent(parent, sister)
    client.force_login(parent)
    html = client.get(reverse("learning:courses")).content.decode()
    assert "Choisissez l’enfant" in html
    assert "Les fractions" not in html
    html = client.get(reverse("learning:courses"), {"eleve": sister.pk}).content.decode()
    assert "Théorème de Pythagore" in html
    assert "Les fractions" not in html
    html = client.get(reverse("learning:courses"), {"eleve": people["student"].pk}).content.decode()
    assert "Les fractions" in html
    assert "Théorème de Pythagore" not in html
    # Someone else's child: nothing chosen, nothing shown.
    html = client.get(reverse("learning:courses"), {"eleve": people["other_pupil"].pk}).content.decode()
    assert "Les fractions" not in html


def test_teacher_list_shows_drafts_and_new_course_per_class(client, people, published, draft_course, klass):
    client.force_login(people["teacher"])
    html = client.get(reverse("learning:courses")).content.decode()
    assert "Proportionnalité (brouillon)" in html
    assert "Les fractions" in html
    assert reverse("learning:course_create", args=[klass.pk]) in html
    assert "Brouillon" in html
    assert "Publié" in html


def test_course_page_for_pupil_and_teacher(client, people, published):
    course, first, draft_lesson, _third = published
    client.force_login(people["student"])
    html = client.get(reverse("learning:course", args=[course.pk])).content.decode()
    assert first.title.replace("'", "&#x27;") in html
    assert draft_lesson.title not in html
    assert "Monter" not in html
    client.force_login(people["teacher"])
    html = client.get(reverse("learning:course", args=[course.pk])).content.decode()
    assert draft_lesson.title in html
    assert "Monter" in html
    assert "Publier le cours" not in html
    assert "Repasser le cours en brouillon" in html


def test_lesson_page_embeds_each_kind_and_navigates(client, people, published):
    course, first, draft_lesson, third = published
    teacher = people["teacher"]
    first.body = '<p>Une <strong>fraction</strong>.</p><script>alert(1)</script><p onclick="x()">b</p>'
    first.save()
    pdf = attach(first, make_document(teacher, kind="pdf", name="Fiche.pdf"), title="Fiche d'exercices")
    image = attach(first, make_document(teacher, kind="image"), title="Une pizza en 8 parts")
    audio = attach(first, make_document(teacher, kind="audio"), title="Dictée")
    video = attach(first, make_document(teacher, kind="video"), title="Explication")
    attach_link(first, url="https://fr.wikipedia.org/wiki/Fraction_(math%C3%A9matiques)", title="Wikipédia")
    client.force_login(people["student"])
    response = client.get(reverse("learning:lesson", args=[course.pk, first.pk]))
    html = response.content.decode()
    assert "<strong>fraction</strong>" in html
    assert "<script>alert" not in html
    assert "onclick" not in html
    assert f'<iframe class="resource__frame" src="/ent/cours/ressources/{pdf.pk}/"' in html
    assert f'src="/ent/cours/ressources/{image.pk}/" alt="Une pizza en 8 parts"' in html
    assert f'<audio class="resource__media" controls preload="metadata" src="/ent/cours/ressources/{audio.pk}/"' in html
    assert f'src="/ent/cours/ressources/{video.pk}/"' in html
    assert "<video" in html
    assert "https://fr.wikipedia.org/wiki/Fraction_(math%C3%A9matiques)</span>" in html
    # Next lesson for a pupil skips the draft.
    assert reverse("learning:lesson", args=[course.pk, third.pk]) in html
    assert reverse("learning:lesson", args=[course.pk, draft_lesson.pk]) not in html
    # The teacher's next is the draft.
    client.force_login(teacher)
    html = client.get(reverse("learning:lesson", args=[course.pk, first.pk])).content.decode()
    assert reverse("learning:lesson", args=[course.pk, draft_lesson.pk]) in html


def test_resource_download_inline_and_attachment(client, people, published):
    _course, first, _, _ = published
    resource = attach(first, make_document(people["teacher"], kind="pdf", name="Fiche.pdf"))
    client.force_login(people["parent"])
    response = client.get(reverse("learning:lesson_resource", args=[resource.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" not in response["Content-Security-Policy"]
    assert not response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    _close(response)
    response = client.get(reverse("learning:lesson_resource", args=[resource.pk]), {"telecharger": "1"})
    assert response["Content-Disposition"].startswith("attachment")
    _close(response)


def test_resource_range_request(client, people, published):
    """Audio and video need HTTP ranges (served by the documents part)."""
    from . import factories_courses

    _course, first, _, _ = published
    resource = attach(first, make_document(people["teacher"], kind="audio"))
    client.force_login(people["student"])
    response = client.get(reverse("learning:lesson_resource", args=[resource.pk]), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206
    body = b"".join(response.streaming_content) if response.streaming else response.content
    _close(response)
    assert body == factories_courses.MP3_BYTES[:10]


# --- writes through the pages -------------------------------------------------------------------------


def test_teacher_creates_a_course_then_lessons(client, people, klass, maths):
    teacher = people["teacher"]
    client.force_login(teacher)
    url = reverse("learning:course_create", args=[klass.pk])
    page = client.get(url).content.decode()
    assert "Mathématiques" in page
    assert "Histoire" not in page
    response = client.post(url, {"subject": maths.pk, "title": "Les fractions", "summary": "<p>Intro</p>"})
    course = Course.objects.get(title="Les fractions")
    assert response.status_code == 302
    assert response["Location"] == reverse("learning:course", args=[course.pk])
    assert course.status == Course.Status.DRAFT
    assert course.author == teacher
    response = client.post(
        reverse("learning:lesson_create", args=[course.pk]),
        {"title": "Première leçon", "body": "<p>Texte <b>gras</b></p><img src='https://pixel.example/x.gif'>"},
    )
    lesson = Lesson.objects.get(course=course)
    assert response["Location"] == reverse("learning:lesson_edit", args=[course.pk, lesson.pk])
    assert lesson.body == "<p>Texte <b>gras</b></p><img>" or "pixel.example" not in lesson.body
    assert lesson.status == Course.Status.DRAFT
    assert lesson.position == 1
    client.post(reverse("learning:lesson_create", args=[course.pk]), {"title": "Deuxième", "body": "", "publish": "on"})
    second = Lesson.objects.get(course=course, title="Deuxième")
    assert second.position == 2
    assert second.status == Course.Status.PUBLISHED
    client.post(reverse("learning:lesson_move", args=[course.pk, second.pk]), {"direction": "up"})
    assert list(course.lessons.order_by("position").values_list("title", flat=True)) == ["Deuxième", "Première leçon"]
    client.post(reverse("learning:lesson_move", args=[course.pk, second.pk]), {"position": "2"})
    assert list(course.lessons.order_by("position").values_list("title", flat=True)) == ["Première leçon", "Deuxième"]
    client.post(reverse("learning:course_publish", args=[course.pk]), {"action": "publish"})
    client.post(reverse("learning:lesson_publish", args=[course.pk, lesson.pk]), {"action": "publish"})
    course.refresh_from_db()
    lesson.refresh_from_db()
    assert course.status == lesson.status == Course.Status.PUBLISHED
    response = client.post(
        reverse("learning:lesson_edit", args=[course.pk, lesson.pk]), {"title": "Première leçon", "body": "<p>ok</p>"}
    )
    assert response.status_code == 302
    client.force_login(people["student"])
    assert client.get(reverse("learning:lesson", args=[course.pk, lesson.pk])).status_code == 200


def test_history_teacher_cannot_create_a_maths_course(client, people, klass, maths):
    client.force_login(people["history_teacher"])
    response = client.post(reverse("learning:course_create", args=[klass.pk]), {"subject": maths.pk, "title": "X"})
    assert response.status_code == 400
    assert not Course.objects.exists()


def test_resources_through_the_lesson_edit_page(client, people, published):
    course, first, _, _ = published
    teacher = people["teacher"]
    mine = make_document(teacher, kind="pdf", name="Fiche.pdf")
    theirs = make_document(people["history_teacher"], kind="pdf", name="Pas à moi.pdf")
    client.force_login(teacher)
    edit = reverse("learning:lesson_edit", args=[course.pk, first.pk])
    page = client.get(edit).content.decode()
    assert "Fiche.pdf" in page
    assert "Pas à moi.pdf" not in page
    add = reverse("learning:resource_add", args=[course.pk, first.pk, "document"])
    assert client.post(add, {"doc-document": mine.pk, "doc-title": ""}).status_code == 302
    response = client.post(add, {"doc-document": theirs.pk})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    link = reverse("learning:resource_add", args=[course.pk, first.pk, "lien"])
    response = client.post(link, {"link-title": "Piège", "link-url": "javascript:alert(1)"})
    assert response.status_code == 400
    assert "commence par https://" in response.content.decode()
    assert client.post(link, {"link-title": "Site", "link-url": "https://www.example.org/"}).status_code == 302
    resources = list(first.resources.order_by("position"))
    assert [r.title for r in resources] == ["Fiche.pdf", "Site"]
    client.post(reverse("learning:resource_move", args=[resources[1].pk]), {"direction": "up"})
    assert list(first.resources.order_by("position").values_list("title", flat=True)) == ["Site", "Fiche.pdf"]
    client.post(reverse("learning:resource_delete", args=[resources[1].pk]))
    assert list(first.resources.values_list("title", "position")) == [("Fiche.pdf", 1)]
    assert client.post(reverse("learning:resource_add", args=[course.pk, first.pk, "autre"])).status_code == 404


def test_other_people_cannot_write(client, people, published):
    course, first, _, _ = published
    resource = attach_link(first)
    posts = [
        reverse("learning:course_publish", args=[course.pk]),
        reverse("learning:course_edit", args=[course.pk]),
        reverse("learning:course_delete", args=[course.pk]),
        reverse("learning:lesson_create", args=[course.pk]),
        reverse("learning:lesson_publish", args=[course.pk, first.pk]),
        reverse("learning:lesson_move", args=[course.pk, first.pk]),
        reverse("learning:lesson_delete", args=[course.pk, first.pk]),
        reverse("learning:resource_add", args=[course.pk, first.pk, "lien"]),
        reverse("learning:resource_move", args=[resource.pk]),
        reverse("learning:resource_delete", args=[resource.pk]),
    ]
    for who in ("student", "parent", "history_teacher", "staff", "outsider_teacher", "other_pupil"):
        client.force_login(people[who])
        for url in posts:
            assert client.post(url, {"title": "x", "direction": "up", "action": "unpublish"}).status_code == 403, (
                who,
                url,
            )
    assert Course.objects.filter(pk=course.pk, status="published").exists()
    assert LessonResource.objects.filter(pk=resource.pk).exists()


def test_course_delete_keeps_documents(client, people, published):
    from ..models import Document

    course, first, _, _ = published
    document = make_document(people["teacher"])
    attach(first, document)
    client.force_login(people["teacher"])
    response = client.post(reverse("learning:course_delete", args=[course.pk]))
    assert response.status_code == 302
    assert not Course.objects.filter(pk=course.pk).exists()
    assert Document.objects.filter(pk=document.pk).exists()


# --- query counts -------------------------------------------------------------------------------------


def _count(client, django_assert_max_num_queries, url, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["student", "teacher", "parent", "staff"])
def test_list_queries_do_not_grow_with_courses(client, people, klass, maths, who, django_assert_max_num_queries):
    url = reverse("learning:courses")
    make_course(klass, maths, lessons=2)
    few = _count(client, django_assert_max_num_queries, url, people[who])
    for index in range(8):
        subject = SubjectFactory()
        make_course(klass, subject if index % 2 else maths, lessons=3)
    many = _count(client, django_assert_max_num_queries, url, people[who])
    assert many == few, (few, many)
    assert many <= 16


def test_course_and_lesson_pages_queries_do_not_grow(client, people, klass, maths):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    course = make_course(klass, maths, lessons=2)
    lesson = course.lessons.order_by("position").first()
    attach(lesson, make_document(people["teacher"]))
    client.force_login(people["teacher"])

    def count(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    course_url = reverse("learning:course", args=[course.pk])
    lesson_url = reverse("learning:lesson", args=[course.pk, lesson.pk])
    before = (count(course_url), count(lesson_url))
    for _ in range(6):
        make_lesson(course)
        attach(lesson, make_document(people["teacher"], kind="image"))
    assert (count(course_url), count(lesson_url)) == before
