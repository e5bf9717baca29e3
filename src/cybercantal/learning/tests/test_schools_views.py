"""Pages of the part "schools": who may open each, what they see, bad input, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cybercantal.learning.models import Enrolment, School, SchoolClass, SchoolMember

from .factories import SchoolClassFactory, UserFactory, enrol, make_student, make_teacher
from .factories_schools import college_place, programme_manager

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "student", "parent", "teacher", "outsider_teacher", "staff", "head", "manager")


@pytest.fixture
def people(klass, teacher, student, parent, school_staff, head, outsider_teacher):
    return {
        "anonymous": None,
        "student": student,
        "parent": parent,
        "teacher": teacher,
        "outsider_teacher": outsider_teacher,
        "staff": school_staff,
        "head": head,
        "manager": programme_manager(),
    }


def _get(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url)


def _urls(klass, student):
    uai = klass.school.uai
    return {
        "schools": reverse("learning:schools"),
        "school": reverse("learning:school", args=[uai]),
        "staff": reverse("learning:staff", args=[uai]),
        "school_people": reverse("learning:school_people", args=[uai]),
        "class_create": reverse("learning:class_create", args=[uai]),
        "rollover": reverse("learning:rollover", args=[uai]),
        "class_detail": reverse("learning:class_detail", args=[klass.pk]),
        "class_edit": reverse("learning:class_edit", args=[klass.pk]),
        "class_members": reverse("learning:class_members", args=[klass.pk]),
        "student_detail": reverse("learning:student_detail", args=[student.pk]),
    }


ALLOWED = {
    "schools": {"staff", "head", "manager"},
    "school": {"staff", "head", "manager"},
    "staff": {"manager"},
    "school_people": {"staff", "head"},  # not the programme team: pupils' names
    "class_create": {"staff", "head"},  # not the programme team: pupils' names
    "rollover": {"staff", "head"},  # not the programme team: pupils' names
    "class_detail": {"student", "parent", "teacher", "staff", "head"},
    "class_edit": {"staff", "head"},  # not the programme team: pupils' names
    "class_members": {"staff", "head"},  # not the programme team: pupils' names
    "student_detail": {"teacher", "staff", "head"},
}


@pytest.mark.parametrize("page", sorted(ALLOWED))
def test_access_table(client, people, klass, student, page):
    url = _urls(klass, student)[page]
    for role in ROLES:
        response = _get(client, people[role], url)
        if role == "anonymous":
            assert response.status_code == 302, (page, role)
        elif role in ALLOWED[page]:
            assert response.status_code == 200, (page, role)
        else:
            assert response.status_code == 403, (page, role)


def test_class_page_shows_pupils_only_to_teachers_and_staff(client, people, klass, student, teacher):
    for role, sees in (("teacher", True), ("staff", True), ("student", False), ("parent", False)):
        body = _get(client, people[role], reverse("learning:class_detail", args=[klass.pk])).content.decode()
        assert ("hugo.teyssedou" in body) is sees, role
        assert "Bonnefoy" in body  # the teachers are listed for everyone


def test_create_a_school(client):
    manager = programme_manager()
    place = college_place(name="Collège test des Sucs")
    client.force_login(manager)
    response = client.post(reverse("learning:schools"), {"place": place.pk, "uai": "0150042k", "name": ""})
    assert response.status_code == 302
    school = School.objects.get()
    assert (school.uai, school.name) == ("0150042K", "Collège test des Sucs")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"place": "", "uai": ""},
        {"place": "999999999", "uai": "0150042K"},
        {"place": "1" * 40, "uai": "0150042K"},
        {"place": "abc\x00", "uai": "X" * 5000},
        {"place": "1", "uai": "01500 42K"},
        {"uai": ["a", "b"]},
    ],
)
def test_create_school_fuzz(client, data):
    client.force_login(programme_manager())
    response = client.post(reverse("learning:schools"), data)
    assert response.status_code == 200
    assert not School.objects.exists()


def test_uai_error_is_french(client):
    place = college_place()
    client.force_login(programme_manager())
    response = client.post(reverse("learning:schools"), {"place": place.pk, "uai": "12345"})
    assert "sept chiffres suivis d" in response.content.decode()


def test_staff_appoint_and_remove(client, school):
    client.force_login(programme_manager())
    url = reverse("learning:staff", args=[school.uai])
    response = client.post(url, {"email": "principal@exemple.test", "first_name": "Rémi", "is_head": "on"})
    assert response.status_code == 302
    member = SchoolMember.objects.get(kind="staff", school=school)
    assert member.is_head
    response = client.post(reverse("learning:staff_remove", args=[school.uai, member.pk]))
    assert response.status_code == 302
    assert not SchoolMember.objects.filter(pk=member.pk).exists()
    assert client.post(url, {"email": "pas une adresse"}).status_code == 200


def test_staff_cannot_remove_staff(client, school, school_staff, head):
    client.force_login(school_staff)
    member = SchoolMember.objects.get(user=head)
    assert client.post(reverse("learning:staff_remove", args=[school.uai, member.pk])).status_code == 403


def test_class_create_edit_delete(client, school, school_staff):
    client.force_login(school_staff)
    url = reverse("learning:class_create", args=[school.uai])
    response = client.post(url, {"name": "Latin 5e", "kind": "group", "level": "5e"})
    group = SchoolClass.objects.get(name="Latin 5e")
    assert response.url == reverse("learning:class_members", args=[group.pk])
    response = client.post(url, {"name": "latin 5E", "kind": "group"})
    assert "existe déjà" in response.content.decode()
    response = client.post(reverse("learning:class_edit", args=[group.pk]), {"name": "Latin 5e (groupe)", "level": ""})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "Latin 5e (groupe)"
    response = client.post(reverse("learning:class_delete", args=[group.pk]))
    assert response.status_code == 302
    assert not SchoolClass.objects.filter(pk=group.pk).exists()


@pytest.mark.parametrize(
    "data",
    [{}, {"name": "", "kind": "class"}, {"name": "x" * 500, "kind": "class"}, {"name": "A", "kind": "zzz"},
     {"name": "A\x00", "kind": "class"}, {"name": "B", "kind": "class", "level": "1re"}],
)  # fmt: skip
def test_class_form_fuzz(client, school, school_staff, data):
    client.force_login(school_staff)
    response = client.post(reverse("learning:class_create", args=[school.uai]), data)
    assert response.status_code == 200
    assert not SchoolClass.objects.filter(school=school).exists()


def test_class_delete_refused_with_work(client, klass, school_staff):
    from .factories import CourseFactory

    CourseFactory(school_class=klass)
    client.force_login(school_staff)
    response = client.post(reverse("learning:class_delete", args=[klass.pk]), follow=True)
    assert "ne peut pas être supprimée" in response.content.decode()
    assert SchoolClass.objects.filter(pk=klass.pk).exists()


def test_group_members_with_checkboxes(client, school, klass, student, school_staff):
    other = make_student(klass)
    group = SchoolClassFactory(school=school, name="Anglais groupe 1", kind="group")
    client.force_login(school_staff)
    url = reverse("learning:class_members", args=[group.pk])
    body = client.get(url).content.decode()
    assert "Teyssedou" in body
    assert "<legend>5e B</legend>" in body
    response = client.post(url, {"students": [student.pk, other.pk]})
    assert response.status_code == 302
    assert Enrolment.objects.filter(school_class=group).count() == 2
    client.post(url, {"students": [student.pk]})
    assert list(Enrolment.objects.filter(school_class=group).values_list("student_id", flat=True)) == [student.pk]


@pytest.mark.parametrize("students", [["999999"], ["1" * 30], ["abc"], ["\x00"]])
def test_group_members_fuzz(client, school, school_staff, students):
    group = SchoolClassFactory(school=school, name="Latin", kind="group")
    client.force_login(school_staff)
    response = client.post(reverse("learning:class_members", args=[group.pk]), {"students": students})
    assert response.status_code == 200
    assert not Enrolment.objects.filter(school_class=group).exists()


def test_pupils_of_another_school_cannot_be_added(client, school, school_staff, outsider_student):
    group = SchoolClassFactory(school=school, name="Latin", kind="group")
    client.force_login(school_staff)
    response = client.post(reverse("learning:class_members", args=[group.pk]), {"students": [outsider_student.pk]})
    assert response.status_code == 200
    assert not Enrolment.objects.filter(school_class=group).exists()


def test_people_search_is_accent_and_case_insensitive(client, school, klass, school_staff):
    make_student(klass, first_name="Élodie", last_name="Chambon")
    make_student(klass, first_name="Paul", last_name="Vidal")
    client.force_login(school_staff)
    url = reverse("learning:school_people", args=[school.uai])
    body = client.get(url, {"q": "ELODIE chambon"}).content.decode()
    assert "Chambon" in body
    assert "Vidal" not in body
    body = client.get(url, {"kind": "teacher"}).content.decode()
    assert "Vidal" not in body
    for junk in ({"q": "x" * 1000}, {"kind": "zzz"}, {"q": "\x00"}, {"page": "999"}, {"page": "abc"}):
        assert client.get(url, junk).status_code == 200


def test_student_detail(client, klass, student, teacher, parent, school_staff, outsider_teacher):
    client.force_login(teacher)
    body = client.get(reverse("learning:student_detail", args=[student.pk])).content.decode()
    assert "5e B" in body
    assert "Nadia" in body
    assert "Activé" in body
    # A teacher or a non-student id: 404, never a 500.
    assert client.get(reverse("learning:student_detail", args=[teacher.pk])).status_code == 404
    assert client.get("/ent/eleves/99999999999999999999/").status_code == 404


def test_unknown_objects_are_404(client, school_staff):
    client.force_login(school_staff)
    for url in ("/ent/etablissements/XXXXXXXXX/", "/ent/etablissements/0000000A/", "/ent/classes/999999/"):
        assert client.get(url).status_code == 404


# --- Query counts ------------------------------------------------------------------------------


def _fill(klass, n):
    for _ in range(n):
        make_student(klass)
    for _ in range(3):
        make_teacher(klass)


def _count(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


def test_query_counts_do_not_grow(client, school, klass, school_staff, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(school_staff)
    urls = [
        reverse("learning:school", args=[school.uai]),
        reverse("learning:school_people", args=[school.uai]),
        reverse("learning:class_detail", args=[klass.pk]),
        reverse("learning:class_members", args=[klass.pk]),
        reverse("learning:schools"),
        reverse("learning:rollover", args=[school.uai]),
    ]
    _fill(klass, 3)
    for url in urls:  # warm up (school years created on first use)
        client.get(url)
    small = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        small[url] = len(ctx.captured_queries)
    _fill(klass, 15)
    SchoolClassFactory(school=school, name="6e A")
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        assert len(ctx.captured_queries) == small[url], url
        assert small[url] <= 16, url


def test_schools_list_query_count(client, django_assert_max_num_queries):
    from .factories import SchoolFactory

    for _ in range(5):
        SchoolFactory()
    client.force_login(programme_manager())
    _count(client, reverse("learning:schools"), django_assert_max_num_queries, 12)


def test_teacher_in_two_classes_counts_once(client, school, klass, school_staff):
    other = SchoolClassFactory(school=school, name="4e A")
    teacher = make_teacher(klass)
    enrol(UserFactory(), other)
    from .factories import teach

    teach(teacher, other)
    client.force_login(school_staff)
    body = client.get(reverse("learning:school", args=[school.uai])).content.decode()
    assert "4e A" in body


def test_the_programme_team_sees_a_school_without_any_pupils_name(client, klass, student, teacher, school_staff):
    """The programme team opens a school's page (classes, counts, ENT staff) but neither the
    people, nor a class's members, nor the activation letters: pupils are minors."""
    manager = programme_manager()
    client.force_login(manager)
    page = client.get(reverse("learning:school", args=[klass.school.uai]))
    assert page.status_code == 200
    text = page.content.decode()
    assert klass.name in text
    assert reverse("learning:class_detail", args=[klass.pk]) not in text
    assert reverse("learning:school_people", args=[klass.school.uai]) not in text
    assert student.last_name not in text
    assert client.get(reverse("learning:letters", args=[klass.pk])).status_code == 403
    assert not manager.has_perm("learning.print_letters", klass)
    assert not manager.has_perm("learning.import_students", klass.school)
    # The school's staff still have everything.
    client.force_login(school_staff)
    text = client.get(reverse("learning:school", args=[klass.school.uai])).content.decode()
    assert reverse("learning:class_detail", args=[klass.pk]) in text
    assert reverse("learning:school_people", args=[klass.school.uai]) in text


def test_letters_only_for_this_years_classes(klass, teacher, school_staff):
    """Last year's class: its teacher and the staff no longer print its letters (a pupil still
    in the school would get a new working code from a class he has left)."""
    import datetime as dt

    from cybercantal.learning.models import SchoolYear

    assert teacher.has_perm("learning.print_letters", klass)
    assert school_staff.has_perm("learning.print_letters", klass)
    year = klass.year
    last_year, _ = SchoolYear.objects.get_or_create(
        starts_on=year.starts_on.replace(year=year.starts_on.year - 1),
        defaults={"ends_on": year.starts_on - dt.timedelta(days=1), "label": "ancienne"},
    )
    old = SchoolClassFactory(school=klass.school, year=last_year, name="5e B ancienne")
    from cybercantal.learning.models import Teaching

    Teaching.objects.create(
        teacher=teacher, school_class=old, subject=Teaching.objects.filter(teacher=teacher).first().subject
    )
    teacher_fresh = type(teacher).objects.get(pk=teacher.pk)  # access is cached per object
    staff_fresh = type(school_staff).objects.get(pk=school_staff.pk)
    assert not teacher_fresh.has_perm("learning.print_letters", old)
    assert not staff_fresh.has_perm("learning.print_letters", old)
