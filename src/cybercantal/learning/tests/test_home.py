"""Everyone's home page, a parent's page per child, the family's export, and the retention
of pupils' data."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts import personal_data
from cybercantal.accounts.models import Role, RoleMembership, User
from cybercantal.learning.access import forget
from cybercantal.learning.models import (
    Answer,
    Attempt,
    Document,
    DocumentSpace,
    Enrolment,
    EntAccount,
    ParentLink,
    SchoolMember,
)
from cybercantal.learning.services import home as services

from .factories import (
    AssignmentFactory,
    CourseFactory,
    HomeworkFactory,
    LessonFactory,
    UserFactory,
    exercise_with,
    link_parent,
    make_parent,
    make_student,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(klass, teacher, maths, student):
    today = timezone.localdate()
    HomeworkFactory(school_class=klass, subject=maths, title="Réciter la table de 7", due_on=today, given_on=today)
    HomeworkFactory(school_class=klass, subject=maths, title="Exercice 4 p. 12", due_on=today + dt.timedelta(days=2))
    course = CourseFactory(school_class=klass, subject=maths, title="Les fractions")
    LessonFactory(course=course, title="Fractions égales")
    exercise = exercise_with(teacher, klass.school, ["single", "essay"], title="Fractions en ligne")
    assignment = AssignmentFactory(exercise=exercise, school_class=klass)
    closed = AssignmentFactory(
        exercise=exercise_with(teacher, klass.school, ["single"], title="Calcul mental"),
        school_class=klass,
        opens_at=timezone.now() - dt.timedelta(days=10),
        closes_at=timezone.now() - dt.timedelta(days=3),
    )
    Attempt.objects.create(
        assignment=closed,
        student=student,
        number=1,
        state="submitted",
        submitted_at=timezone.now() - dt.timedelta(days=4),
        score=Decimal("7.5"),
        max_score=Decimal("10"),
    )
    return assignment


def _page(client, user):
    client.force_login(user)
    response = client.get(reverse("learning:home"))
    assert response.status_code == 200
    return response.content.decode()


def test_pupil_home(client, student, week):
    page = _page(client, student)
    assert "Réciter la table de 7" in page
    assert "Exercice 4 p. 12" in page
    assert "Fractions en ligne" in page
    assert "Fractions égales" in page
    assert "7,50 sur 10" in page


def test_teacher_home(client, teacher, week, student):
    Attempt.objects.create(assignment=week, student=student, number=1, state="submitted", needs_grading=True)
    page = _page(client, teacher)
    assert "5e B" in page
    assert "1 tentative attend votre correction." in page
    assert "Fractions en ligne" in page


def test_parent_home_and_child_page(client, parent, student, week):
    page = _page(client, parent)
    assert "Hugo Teyssedou" in page
    assert "Exercice 4 p. 12" in page
    assert "7,50 sur 10" in page
    assert "Commencer" not in page  # a parent only looks
    response = client.get(reverse("learning:child", args=[student.pk]))
    assert response.status_code == 200
    assert "Fractions égales" in response.content.decode()


def test_child_page_is_only_for_the_parents(client, student, teacher, outsider_student, school_staff):
    for user in (teacher, outsider_student, school_staff, UserFactory()):
        client.force_login(user)
        assert client.get(reverse("learning:child", args=[student.pk])).status_code == 403


def test_someone_outside_the_ent_is_told_how_to_join(client):
    page = _page(client, UserFactory())
    assert "rattaché à aucun collège" in page


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get(reverse("learning:home")).status_code == 302


def test_home_is_a_few_queries_whatever_the_data(client, student, week, django_assert_max_num_queries):
    client.force_login(student)
    client.get(reverse("learning:home"))
    with django_assert_max_num_queries(20):
        client.get(reverse("learning:home"))


def _document(owner, content=b"%PDF-1.4 test"):
    from django.core.files.base import ContentFile

    space, _ = DocumentSpace.objects.get_or_create(owner=owner, defaults={"quota_bytes": 10**6})
    document = Document(space=space, name="exposé.pdf", kind="pdf", content_type="application/pdf", size=len(content))
    document.file.save("expose.pdf", ContentFile(content), save=False)
    document.save()
    return document


def test_family_export(client, student, parent, week, school_staff, teacher):
    _document(student)
    url = reverse("learning:student_export", args=[student.pk])
    for user in (student, parent, school_staff):
        client.force_login(user)
        assert client.get(url).status_code == 200
        response = client.post(url)
        assert response.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        data = json.loads(archive.read("donnees.json"))
        assert data["eleve"]["identifiant"] == "hugo.teyssedou"
        assert data["exercices"][0]["note"] == "7.50"
        assert archive.read("documents/exposé.pdf").startswith(b"%PDF")
        assert "mot_de_passe" not in json.dumps(data)
    client.force_login(teacher)
    assert client.post(url).status_code == 403


def test_personal_data_section(student, parent):
    collected = personal_data.collect(student)
    assert "cartable" in json.dumps(collected, default=str)


def test_retention_purge(klass, student, parent):
    other_child = make_student(klass, login="lea.teyssedou")
    link_parent(parent, other_child)
    ent_only_parent = make_parent(student)
    ent_only_parent.email = "parent.teyssedou@ent.invalid"
    ent_only_parent.save()
    _document(student)
    today = dt.date(2031, 1, 15)
    SchoolMember.objects.filter(user=student).update(left_on=dt.date(2030, 10, 20))
    assert services.purge_due(today) == []  # 3 months not over
    SchoolMember.objects.filter(user=student).update(left_on=dt.date(2030, 10, 14))
    assert services.retention_purge(today=dt.date(2031, 1, 14)) == {"eleves": 0, "parents": 0}
    result = services.retention_purge(today=today + dt.timedelta(days=1))
    assert result == {"eleves": 1, "parents": 1}
    student.refresh_from_db()
    assert not student.is_active
    assert student.first_name == ""
    assert not EntAccount.objects.filter(user=student).exists()
    assert not Enrolment.objects.filter(student=student).exists()
    assert not Document.objects.filter(space__owner=student).exists()
    assert not Answer.objects.filter(attempt__student=student).exists()
    # The mother keeps her account (another child is schooled); the ENT-only parent is erased.
    parent.refresh_from_db()
    assert parent.is_active
    ent_only_parent.refresh_from_db()
    assert not ent_only_parent.is_active
    assert other_child.is_active
    assert services.retention_purge(today=today + dt.timedelta(days=2)) == {"eleves": 0, "parents": 0}


def test_a_pupil_still_schooled_elsewhere_is_kept(klass, student):
    from .factories import SchoolClassFactory, enrol

    SchoolMember.objects.filter(user=student).update(left_on=dt.date(2020, 1, 1))
    enrol(student, SchoolClassFactory(name="Atelier théâtre", kind="group"))
    assert services.purge_due(dt.date(2031, 1, 1)) == []


def test_parent_role_ends_when_the_last_child_is_purged(klass):
    child = make_student(klass, login="tom.vidal")
    mother = make_parent(child)
    SchoolMember.objects.filter(user=child).update(left_on=dt.date(2020, 1, 1))
    services.retention_purge(today=dt.date(2021, 1, 1))
    forget(mother)
    assert not ParentLink.objects.filter(parent=mother).exists()
    membership = RoleMembership.objects.get(user=mother, role=Role.PARENT)
    assert membership.ends_on is not None
    assert User.objects.get(pk=mother.pk).is_active
