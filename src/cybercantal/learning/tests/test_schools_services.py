"""Services of the part "schools": schools, staff, classes, people, parents, departures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from cybercantal.accounts.models import Organisation, Role, RoleMembership
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry
from cybercantal.learning.access import access_for
from cybercantal.learning.models import Enrolment, ParentLink, School, SchoolClass, SchoolMember, Teaching
from cybercantal.learning.queries import schools as queries
from cybercantal.learning.services import schools as services

from .factories import (
    CourseFactory,
    HomeworkFactory,
    SchoolClassFactory,
    SchoolYearFactory,
    SubjectFactory,
    UserFactory,
    current_year,
)
from .factories_schools import college_place, programme_manager

pytestmark = pytest.mark.django_db


def roles(user, role):
    return RoleMembership.objects.filter(user=user, role=role)


# --- School years ------------------------------------------------------------------------------


def test_school_year_from_any_day():
    year = queries.school_year_get_or_create_for(dt.date(2031, 3, 4))
    assert (year.label, year.starts_on, year.ends_on) == ("2030-2031", dt.date(2030, 9, 1), dt.date(2031, 8, 31))
    assert queries.school_year_get_or_create_for(dt.date(2030, 9, 1)) == year
    assert queries.school_year_get_or_create_for(dt.date(2031, 9, 1)).label == "2031-2032"
    assert queries.current_year() == current_year()


# --- Schools and staff -------------------------------------------------------------------------------


def test_school_create_from_a_college_place():
    manager = programme_manager()
    place = college_place(name="Collège test du Lac")
    school = services.school_create(actor=manager, place=place, uai="0159999z ".upper())
    assert school.uai == "0159999Z"
    assert school.name == "Collège test du Lac"
    assert school.organisation.kind == Organisation.Kind.SCHOOL
    assert JournalEntry.objects.filter(action="learning.school.created").count() == 1


def test_school_create_reuses_a_free_school_organisation():
    manager = programme_manager()
    organisation = Organisation.objects.create(name="Collège test réutilisé", slug="ctr", kind="school")
    school = services.school_create(actor=manager, place=college_place(), uai="0151111A", name="Collège test réutilisé")
    assert school.organisation == organisation


@pytest.mark.parametrize("uai", ["", "015111A", "01511111A", "0151111a1", "ABCDEFGH", "0151111 A"])
def test_school_create_refuses_a_bad_uai(uai):
    with pytest.raises(ValidationError) as error:
        services.school_create(actor=programme_manager(), place=college_place(), uai=uai)
    assert "sept chiffres" in str(error.value)


def test_school_create_refuses_other_places_duplicates_and_non_managers(school, school_staff):
    manager = programme_manager()
    from cybercantal.places.tests.factories import PlaceFactory

    with pytest.raises(ValidationError, match="collège"):
        services.school_create(actor=manager, place=PlaceFactory(), uai="0152222B")
    with pytest.raises(ValidationError, match="déjà son ENT"):
        services.school_create(actor=manager, place=school.place, uai="0152222B")
    with pytest.raises(ValidationError, match="déjà celui"):
        services.school_create(actor=manager, place=college_place(), uai=school.uai)
    with pytest.raises(NotAllowed):
        services.school_create(actor=school_staff, place=college_place(), uai="0152222B")
    assert School.objects.count() == 1


def test_staff_appoint_existing_user_and_again_is_idempotent(school):
    manager = programme_manager()
    person = UserFactory()
    member = services.staff_appoint(actor=manager, school=school, user=person, is_head=True)
    again = services.staff_appoint(actor=manager, school=school, user=person, is_head=True)
    assert member == again
    assert member.is_head
    assert JournalEntry.objects.filter(action="learning.staff.appointed").count() == 1
    assert school.pk in access_for(person).head_school_ids
    services.staff_remove(actor=manager, member=member)
    assert not SchoolMember.objects.filter(user=person).exists()


def test_staff_appoint_by_email_creates_an_invited_account(school, django_capture_on_commit_callbacks):
    manager = programme_manager()
    with django_capture_on_commit_callbacks(execute=True):
        member = services.staff_appoint(
            actor=manager, school=school, email="Principale.Test@exemple.test", first_name="Aline", last_name="Roc"
        )
    user = member.user
    assert user.is_active
    assert not user.has_usable_password()
    assert user.emailaddress_set.get().verified
    assert len(mail.outbox) == 1
    assert "/compte/password/reset/key/" in mail.outbox[0].body or "reset" in mail.outbox[0].body
    # The same address again: the same person, no second email.
    with django_capture_on_commit_callbacks(execute=True):
        services.staff_appoint(actor=manager, school=school, email="principale.test@exemple.test")
    assert len(mail.outbox) == 1


def test_staff_invitation_link_lets_the_person_choose_a_password(school, client, django_capture_on_commit_callbacks):
    import re

    with django_capture_on_commit_callbacks(execute=True):
        member = services.staff_appoint(actor=programme_manager(), school=school, email="nouvelle@exemple.test")
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    path = "/" + link.split("/", 3)[3]
    response = client.get(path, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(
        form_url, {"password1": "Un-mot-de-passe-long-2026", "password2": "Un-mot-de-passe-long-2026"}
    )
    assert response.status_code in (200, 302)
    member.user.refresh_from_db()
    assert member.user.has_usable_password()


@pytest.mark.parametrize("email", ["", "pas-une-adresse", "x@y", "eleve@ent.invalid"])
def test_staff_appoint_refuses_bad_emails(school, email):
    with pytest.raises(ValidationError):
        services.staff_appoint(actor=programme_manager(), school=school, email=email)


def test_staff_cannot_appoint_staff(school, school_staff):
    with pytest.raises(NotAllowed):
        services.staff_appoint(actor=school_staff, school=school, user=UserFactory())


# --- Classes ------------------------------------------------------------------------------------


def test_class_create_update_delete(school, school_staff):
    klass = services.class_create(actor=school_staff, school=school, name="  4e   C ")
    assert (klass.name, klass.level, klass.year) == ("4e C", "4e", current_year())
    with pytest.raises(ValidationError, match="existe déjà"):
        services.class_create(actor=school_staff, school=school, name="4E c")
    services.class_update(actor=school_staff, school_class=klass, name="4e D")
    other = services.class_create(actor=school_staff, school=school, name="Latin", kind="group")
    with pytest.raises(ValidationError, match="existe déjà"):
        services.class_update(actor=school_staff, school_class=other, name="4e D")
    services.class_delete(actor=school_staff, school_class=other)
    assert not SchoolClass.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 61, "5e\x00B"])
def test_class_create_refuses_bad_names(school, school_staff, name):
    with pytest.raises(ValidationError):
        services.class_create(actor=school_staff, school=school, name=name)


def test_class_delete_refused_when_it_holds_work(klass, school_staff):
    CourseFactory(school_class=klass)
    with pytest.raises(ValidationError, match="des cours"):
        services.class_delete(actor=school_staff, school_class=klass)
    klass.courses.all().delete()
    HomeworkFactory(school_class=klass)
    with pytest.raises(ValidationError, match="cahier de textes"):
        services.class_delete(actor=school_staff, school_class=klass)


def test_outsiders_cannot_touch_classes(klass, teacher, outsider_teacher, student, parent):
    for actor in (teacher, outsider_teacher, student, parent):
        with pytest.raises(NotAllowed):
            services.class_create(actor=actor, school=klass.school, name="6e Z")
        with pytest.raises(NotAllowed):
            services.enrol_student(actor=actor, school_class=klass, student=UserFactory())


# --- Pupils, teachers, parents -------------------------------------------------------------------


def test_enrol_is_idempotent_grants_the_role_and_moves_between_classes(school, school_staff):
    a = SchoolClassFactory(school=school, name="6e A")
    b = SchoolClassFactory(school=school, name="6e B")
    group = SchoolClassFactory(school=school, name="Latin", kind="group")
    pupil = UserFactory()
    services.enrol_student(actor=school_staff, school_class=a, student=pupil, external_id="E1")
    services.enrol_student(actor=school_staff, school_class=a, student=pupil, external_id="E1")
    assert Enrolment.objects.filter(student=pupil).count() == 1
    assert roles(pupil, Role.STUDENT).count() == 1
    assert SchoolMember.objects.get(user=pupil).external_id == "E1"
    services.enrol_student(actor=school_staff, school_class=group, student=pupil)
    services.enrol_student(actor=school_staff, school_class=b, student=pupil)
    assert set(Enrolment.objects.filter(student=pupil).values_list("school_class__name", flat=True)) == {
        "6e B",
        "Latin",
    }
    assert services.unenrol_student(actor=school_staff, school_class=group, student=pupil)
    assert not services.unenrol_student(actor=school_staff, school_class=group, student=pupil)
    assert access_for(pupil).class_ids == {b.pk}


def test_external_id_taken_by_another_pupil(school, school_staff):
    a = SchoolClassFactory(school=school, name="6e A")
    services.enrol_student(actor=school_staff, school_class=a, student=UserFactory(), external_id="E1")
    with pytest.raises(ValidationError, match="E1"):
        services.enrol_student(actor=school_staff, school_class=a, student=UserFactory(), external_id="E1")


def test_group_members_set(school, school_staff, klass, student):
    group = SchoolClassFactory(school=school, name="Anglais groupe 1", kind="group")
    other = UserFactory()
    services.enrol_student(actor=school_staff, school_class=klass, student=other)
    change = services.group_members_set(actor=school_staff, group=group, students=[student, other])
    assert (change.added, change.removed) == (2, 0)
    change = services.group_members_set(actor=school_staff, group=group, students=[student])
    assert (change.added, change.removed) == (0, 1)
    assert services.group_members_set(actor=school_staff, group=group, students=[student]).added == 0
    with pytest.raises(ValidationError, match="élèves de ce collège"):
        services.group_members_set(actor=school_staff, group=group, students=[UserFactory()])


def test_teaching_add_and_remove(klass, school_staff, maths):
    teacher = UserFactory()
    teaching = services.teaching_add(actor=school_staff, school_class=klass, teacher=teacher, subject=maths)
    again = services.teaching_add(actor=school_staff, school_class=klass, teacher=teacher, subject=maths)
    assert teaching == again
    assert not teaching.is_main_teacher
    services.teaching_add(actor=school_staff, school_class=klass, teacher=teacher, subject=maths, is_main_teacher=True)
    assert Teaching.objects.get(pk=teaching.pk).is_main_teacher
    assert roles(teacher, Role.TEACHER).count() == 1
    assert klass.pk in access_for(teacher).taught
    assert services.teaching_remove(actor=school_staff, school_class=klass, teacher=teacher, subject=maths)
    assert not services.teaching_remove(actor=school_staff, school_class=klass, teacher=teacher, subject=maths)


def test_parent_links(school, school_staff, student, outsider_student):
    mother = UserFactory()
    services.parent_link_add(actor=school_staff, school=school, parent=mother, student=student, relation="mother")
    services.parent_link_add(actor=school_staff, school=school, parent=mother, student=student, relation="mother")
    assert ParentLink.objects.filter(parent=mother).count() == 1
    assert roles(mother, Role.PARENT).filter(ends_on__isnull=True).count() == 1
    with pytest.raises(ValidationError, match="pas inscrit"):
        services.parent_link_add(actor=school_staff, school=school, parent=mother, student=outsider_student)
    with pytest.raises(ValidationError):
        services.parent_link_add(actor=school_staff, school=school, parent=student, student=student)
    assert services.parent_link_remove(actor=school_staff, school=school, parent=mother, student=student)
    assert not roles(mother, Role.PARENT).active().filter(ends_on__isnull=True).exists()
    assert not services.parent_link_remove(actor=school_staff, school=school, parent=mother, student=student)


def test_member_leave_ends_the_role_and_coming_back_reopens_it(klass, school_staff):
    pupil = UserFactory()
    services.enrol_student(actor=school_staff, school_class=klass, student=pupil)
    member = SchoolMember.objects.get(user=pupil)
    today = timezone.localdate()
    services.member_leave(actor=school_staff, member=member, on=today + dt.timedelta(days=3))
    services.member_leave(actor=school_staff, member=member, on=today + dt.timedelta(days=3))
    assert JournalEntry.objects.filter(action="learning.member.left").count() == 1
    membership = roles(pupil, Role.STUDENT).get()
    assert membership.ends_on == today + dt.timedelta(days=3)
    # Coming back: a new open membership follows the ended one.
    services.enrol_student(actor=school_staff, school_class=klass, student=pupil)
    assert roles(pupil, Role.STUDENT).filter(ends_on__isnull=True).count() == 1


def test_member_leave_in_the_past(klass, school_staff, student):
    member = SchoolMember.objects.get(user=student)
    services.member_leave(actor=school_staff, member=member, on=timezone.localdate() - dt.timedelta(days=1))
    assert not access_for(student).is_student


def test_past_year_classes_can_be_managed(school, school_staff):
    old = SchoolYearFactory()
    klass = services.class_create(actor=school_staff, school=school, name="6e A", year=old)
    assert klass.year == old


def test_inactive_users_get_no_role(klass, school_staff):
    pupil = UserFactory(is_active=False)
    services.enrol_student(actor=school_staff, school_class=klass, student=pupil)
    assert not roles(pupil, Role.STUDENT).exists()


def test_subject_unused_factory_ok():
    assert SubjectFactory().code
