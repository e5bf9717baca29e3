"""The foundation of the ENT: grading of every question type, who may do what, and the
invariants the database keeps."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from cybercantal.learning import grading
from cybercantal.learning.access import access_for, forget
from cybercantal.learning.models import Attempt, DocumentSpace, Enrolment

from .factories import (
    QUESTION_DATA,
    AssignmentFactory,
    CourseFactory,
    QuestionFactory,
    SchoolClassFactory,
    UserFactory,
    current_year,
)

D = Decimal


# --- Grading --------------------------------------------------------------------------------


@pytest.mark.parametrize("qtype", sorted(QUESTION_DATA))
def test_factory_data_is_valid_for_every_type(qtype):
    grading.validate_data(qtype, QUESTION_DATA[qtype])


@pytest.mark.parametrize(
    ("qtype", "response", "fraction"),
    [
        ("single", {"choice": "a"}, D("1")),
        ("single", {"choice": "b"}, D("0")),
        ("single", {"choice": "zzz"}, D("0")),
        ("multiple", {"choices": ["a", "b"]}, D("1")),
        ("multiple", {"choices": ["a"]}, D("0.5")),
        ("multiple", {"choices": ["a", "b", "c"]}, D("0")),  # the negative weight takes it back
        ("multiple", {"choices": ["c"]}, D("0")),  # never below 0
        ("truefalse", {"value": True}, D("1")),
        ("truefalse", {"value": False}, D("0")),
        ("truefalse", {"value": "yes"}, D("0")),
        ("short", {"text": "  aurillac "}, D("1")),
        ("short", {"text": "Aurilac"}, D("0")),
        ("numerical", {"value": "3,145"}, D("1")),
        ("numerical", {"value": "3"}, D("0.5")),
        ("numerical", {"value": "trois"}, D("0")),
        ("matching", {"matches": {"p1": "Aurillac", "p2": "Clermont-Ferrand", "p3": "Le Puy-en-Velay"}}, D("1")),
        ("matching", {"matches": {"p1": "Aurillac", "p2": "Moulins"}}, D("0.3333333")),
        ("ordering", {"order": ["i1", "i2", "i3"]}, D("1")),
        ("ordering", {"order": ["i1", "i3", "i2"]}, D("0.3333333")),
        ("cloze", {"blanks": {"b1": "x", "b2": "AURILLAC"}}, D("1")),
        ("cloze", {"blanks": {"b1": "y", "b2": "Aurillac"}}, D("0.5")),
        ("cloze", None, D("0")),
    ],
)
def test_grading(qtype, response, fraction):
    assert grading.grade(qtype, QUESTION_DATA[qtype], response).fraction == fraction


def test_essay_and_description_wait_for_a_teacher_or_are_not_graded():
    assert grading.grade("essay", QUESTION_DATA["essay"], {"text": "Mon texte"}).fraction is None
    assert grading.grade("description", {}, None).fraction is None


def test_short_answer_options_and_wildcard():
    data = {
        "answers": [{"id": "a", "text": "Élève*", "fraction": "1"}],
        "case_sensitive": True,
        "accent_sensitive": False,
    }
    assert grading.grade("short", data, {"text": "Eleves"}).fraction == 1
    assert grading.grade("short", data, {"text": "eleves"}).fraction == 0


def test_numerical_range_and_feedback():
    data = {"answers": [{"id": "a", "min": "1", "max": "5", "fraction": "1", "feedback": "Bien"}]}
    result = grading.grade("numerical", data, {"value": "4.5"})
    assert result.fraction == 1
    assert result.feedback == ["Bien"]
    assert grading.grade("numerical", data, {"value": "5.01"}).fraction == 0


def test_validation_speaks_french():
    with pytest.raises(Exception) as error:
        grading.validate_data("single", {"choices": [{"id": "a", "text": "x", "fraction": "0"}]})
    assert "Proposez au moins deux réponses." in str(error.value)


@pytest.mark.django_db
def test_snapshot_freezes_the_question_and_never_shows_the_right_order(klass):
    question = QuestionFactory(qtype="ordering")
    for _ in range(20):
        frozen = grading.snapshot(question)
        assert frozen["display"]["items"] != ["i1", "i2", "i3"]
    question.text = "Changée"
    assert frozen["text"] == "Quelle est la bonne réponse ?"


# --- Who may do what -------------------------------------------------------------------------


@pytest.mark.django_db
def test_permissions_per_role(klass, teacher, student, parent, school_staff, head, outsider_teacher, outsider_student):
    draft = CourseFactory(school_class=klass, status="draft")
    published = CourseFactory(school_class=klass, status="published", subject=teacher.teachings.get().subject)
    assignment = AssignmentFactory(school_class=klass)
    table = {
        "learning.view_class": (klass, {teacher, student, parent, school_staff, head}),
        "learning.view_course": (published, {teacher, student, parent, school_staff, head}),
        "learning.edit_course": (published, {teacher}),
        "learning.attempt_assignment": (assignment, {student}),
        "learning.manage_assignment": (assignment, {teacher}),
        "learning.view_homework": (klass, {teacher, student, parent, school_staff, head}),
        "learning.sign_off": (klass, {head}),
        "learning.manage_school": (klass.school, {school_staff, head}),
        "learning.reset_password": (student, {teacher, school_staff, head}),
        "learning.view_student": (student, {teacher, student, parent, school_staff, head}),
        "learning.export_student_data": (student, {student, parent, school_staff, head}),
    }
    everyone = {teacher, student, parent, school_staff, head, outsider_teacher, outsider_student}
    for permission, (obj, allowed) in table.items():
        for person in everyone:
            assert person.has_perm(permission, obj) == (person in allowed), (permission, person)
    assert not student.has_perm("learning.view_course", draft)
    assert not parent.has_perm("learning.view_course", draft)
    assert teacher.has_perm("learning.view_course", draft)


@pytest.mark.django_db
def test_access_is_read_once_per_user_object(klass, student, django_assert_num_queries):
    forget(student)
    with django_assert_num_queries(3):
        access_for(student)
        access_for(student)
    assert access_for(student).class_ids == {klass.pk}


@pytest.mark.django_db
def test_last_years_classes_are_closed_to_pupils(school, student):
    from .factories import SchoolYearFactory

    old = SchoolClassFactory(school=school, year=SchoolYearFactory(), name="6e B")
    Enrolment.objects.create(student=student, school_class=old, year=old.year)
    forget(student)
    assert not student.has_perm("learning.view_class", old)


# --- Invariants in the database -----------------------------------------------------------------


@pytest.mark.django_db
def test_one_class_per_year_but_groups_on_top(school, student):
    other = SchoolClassFactory(school=school, name="5e C")
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(student=student, school_class=other, year=current_year())
    group = SchoolClassFactory(school=school, name="Latin 5e", kind="group")
    Enrolment.objects.create(student=student, school_class=group, year=current_year(), is_group=True)


@pytest.mark.django_db
def test_one_attempt_in_progress_per_student(klass, student):
    assignment = AssignmentFactory(school_class=klass)
    Attempt.objects.create(assignment=assignment, student=student, number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(assignment=assignment, student=student, number=2)


@pytest.mark.django_db
def test_a_document_space_never_goes_over_its_quota():
    space = DocumentSpace.objects.create(owner=UserFactory(), quota_bytes=100)
    space.used_bytes = 101
    with pytest.raises(IntegrityError), transaction.atomic():
        space.save()
