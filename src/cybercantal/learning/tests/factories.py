"""Factories of the learning tests, shared by every part: add a part's own factories in
``factories_<part>.py``.

``current_year()`` is the school year around today: access (``learning.access``) only
counts this year's classes for students and parents, so tests that need access use it; a
test about dates uses fixed dates and its own ``SchoolYearFactory``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from cybercantal.accounts.models import Organisation, Role
from cybercantal.accounts.tests.factories import OrganisationFactory, UserFactory
from cybercantal.places.models import PlaceKind, PlaceOffer
from cybercantal.places.tests.factories import PlaceFactory, grant

from ..models import (
    Assignment,
    Course,
    Enrolment,
    EntAccount,
    Exercise,
    ExerciseQuestion,
    Homework,
    Lesson,
    LessonLog,
    ParentLink,
    Question,
    School,
    SchoolClass,
    SchoolMember,
    SchoolYear,
    Subject,
    Teaching,
)

__all__ = [
    "QUESTION_DATA",
    "AssignmentFactory",
    "CourseFactory",
    "ExerciseFactory",
    "HomeworkFactory",
    "LessonFactory",
    "LessonLogFactory",
    "QuestionFactory",
    "SchoolClassFactory",
    "SchoolFactory",
    "SchoolYearFactory",
    "SubjectFactory",
    "UserFactory",
    "add_member",
    "current_year",
    "enrol",
    "exercise_with",
    "link_parent",
    "make_parent",
    "make_staff",
    "make_student",
    "make_teacher",
    "teach",
]


def _year_start(day: dt.date) -> dt.date:
    return dt.date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def current_year() -> SchoolYear:
    """The school year around today (1 September – 31 August), created once."""
    start = _year_start(timezone.localdate())
    year, _ = SchoolYear.objects.get_or_create(
        starts_on=start,
        defaults={"label": f"{start.year}-{start.year + 1}", "ends_on": dt.date(start.year + 1, 8, 31)},
    )
    return year


class SchoolYearFactory(factory.django.DjangoModelFactory):
    """A past school year by default (1990-1991, 1991-1992...): never today's."""

    class Meta:
        model = SchoolYear
        django_get_or_create = ("starts_on",)

    starts_on = factory.Sequence(lambda n: dt.date(1990 + n, 9, 1))
    label = factory.LazyAttribute(lambda o: f"{o.starts_on.year}-{o.starts_on.year + 1}")
    ends_on = factory.LazyAttribute(lambda o: dt.date(o.starts_on.year + 1, 8, 31))


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"MAT{n:04d}")
    name = factory.Sequence(lambda n: f"Matière test {n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    place = factory.SubFactory(PlaceFactory, kind=PlaceKind.COLLEGE, offers=[PlaceOffer.CYBER_ROOM])
    organisation = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.SCHOOL)
    uai = factory.Sequence(lambda n: f"{9000000 + n:07d}{'ABCDEFGHJKLMNPRSTUVWXYZ'[n % 23]}")
    name = factory.Sequence(lambda n: f"Collège test {n}")


class SchoolClassFactory(factory.django.DjangoModelFactory):
    """A class of this school year (see ``current_year``)."""

    class Meta:
        model = SchoolClass

    school = factory.SubFactory(SchoolFactory)
    year = factory.LazyFunction(current_year)
    name = factory.Sequence(lambda n: f"5e T{n}")
    kind = SchoolClass.Kind.CLASS
    level = "5e"


def add_member(school: School, user: Any, kind: str, **extra: Any) -> SchoolMember:
    member, _ = SchoolMember.objects.get_or_create(school=school, user=user, kind=kind, defaults=extra)
    return member


def enrol(student: Any, school_class: SchoolClass) -> Enrolment:
    add_member(school_class.school, student, SchoolMember.Kind.STUDENT)
    enrolment, _ = Enrolment.objects.get_or_create(
        student=student,
        school_class=school_class,
        defaults={"year": school_class.year, "is_group": school_class.kind == SchoolClass.Kind.GROUP},
    )
    return enrolment


def teach(teacher: Any, school_class: SchoolClass, subject: Subject | None = None) -> Teaching:
    add_member(school_class.school, teacher, SchoolMember.Kind.TEACHER)
    teaching, _ = Teaching.objects.get_or_create(
        teacher=teacher, school_class=school_class, subject=subject or SubjectFactory()
    )
    return teaching


def link_parent(parent: Any, student: Any, relation: str = ParentLink.Relation.MOTHER) -> ParentLink:
    link, _ = ParentLink.objects.get_or_create(parent=parent, student=student, defaults={"relation": relation})
    return link


def make_student(school_class: SchoolClass, *, login: str | None = None, **user_fields: Any) -> Any:
    """A pupil without email, enrolled in ``school_class``, with an activated ENT account."""
    user = UserFactory(**user_fields)
    login = login or f"eleve.{user.pk}"
    user.email = f"{login}@ent.invalid"
    user.save(update_fields=["email"])
    EntAccount.objects.create(user=user, login=login, activated_at=timezone.now())
    enrol(user, school_class)
    grant(user, Role.STUDENT, school_class.school.organisation)
    return user


def make_teacher(school_class: SchoolClass, subject: Subject | None = None, **user_fields: Any) -> Any:
    user = UserFactory(**user_fields)
    teach(user, school_class, subject)
    grant(user, Role.TEACHER, school_class.school.organisation)
    return user


def make_parent(*children: Any, **user_fields: Any) -> Any:
    user = UserFactory(**user_fields)
    for child in children:
        link_parent(user, child)
    grant(user, Role.PARENT)
    return user


def make_staff(school: School, *, head: bool = False, **user_fields: Any) -> Any:
    user = UserFactory(**user_fields)
    add_member(school, user, SchoolMember.Kind.STAFF, is_head=head)
    return user


# One valid ``data`` per question type (see ``learning.grading``).
QUESTION_DATA: dict[str, dict[str, Any]] = {
    "single": {
        "choices": [
            {"id": "a", "text": "Paris", "fraction": "1", "feedback": "Oui, c'est la capitale."},
            {"id": "b", "text": "Lyon", "fraction": "0", "feedback": "Non, Lyon est une préfecture."},
            {"id": "c", "text": "Aurillac", "fraction": "0", "feedback": ""},
        ],
        "shuffle": True,
    },
    "multiple": {
        "choices": [
            {"id": "a", "text": "2", "fraction": "0.5", "feedback": ""},
            {"id": "b", "text": "3", "fraction": "0.5", "feedback": ""},
            {"id": "c", "text": "4", "fraction": "-1", "feedback": "4 n'est pas premier."},
        ],
        "shuffle": True,
    },
    "truefalse": {"answer": True, "feedback_true": "", "feedback_false": "Le Cantal est bien en Auvergne."},
    "short": {
        "answers": [{"id": "a", "text": "Aurillac", "fraction": "1", "feedback": ""}],
        "case_sensitive": False,
        "accent_sensitive": True,
    },
    "numerical": {
        "answers": [
            {"id": "a", "value": "3.14", "tolerance": "0.01", "fraction": "1", "feedback": ""},
            {"id": "b", "value": "3", "tolerance": "0", "fraction": "0.5", "feedback": "Plus précis !"},
        ]
    },
    "matching": {
        "pairs": [
            {"id": "p1", "left": "Cantal", "right": "Aurillac"},
            {"id": "p2", "left": "Puy-de-Dôme", "right": "Clermont-Ferrand"},
            {"id": "p3", "left": "Haute-Loire", "right": "Le Puy-en-Velay"},
        ],
        "extra_rights": ["Moulins"],
        "shuffle": True,
    },
    "ordering": {
        "items": [
            {"id": "i1", "text": "Préhistoire"},
            {"id": "i2", "text": "Antiquité"},
            {"id": "i3", "text": "Moyen Âge"},
        ]
    },
    "cloze": {
        "segments": ["Le Cantal est un ", " de France, sa préfecture est ", "."],
        "blanks": [
            {
                "id": "b1",
                "mode": "choice",
                "answers": [
                    {"id": "x", "text": "département", "fraction": "1", "feedback": ""},
                    {"id": "y", "text": "pays", "fraction": "0", "feedback": ""},
                ],
            },
            {
                "id": "b2",
                "mode": "text",
                "answers": [{"id": "z", "text": "Aurillac", "fraction": "1", "feedback": ""}],
                "case_sensitive": False,
                "accent_sensitive": True,
            },
        ],
    },
    "essay": {"min_words": None, "max_words": 200, "grader_info": ""},
    "description": {},
}


class QuestionFactory(factory.django.DjangoModelFactory):
    """A single-choice question by default; ``QuestionFactory(qtype="cloze")`` takes the
    matching valid data from ``QUESTION_DATA``."""

    class Meta:
        model = Question

    owner = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    qtype = "single"
    name = factory.Sequence(lambda n: f"Question {n}")
    text = "Quelle est la bonne réponse ?"
    data = factory.LazyAttribute(lambda o: QUESTION_DATA[o.qtype])
    default_mark = Decimal("1")


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exercise

    owner = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    title = factory.Sequence(lambda n: f"Exercice {n}")


def exercise_with(owner: Any, school: School, qtypes: list[str], **fields: Any) -> Exercise:
    """An exercise of ``owner`` with one question per type in ``qtypes``, 1 point each."""
    exercise = ExerciseFactory(owner=owner, school=school, **fields)
    for position, qtype in enumerate(qtypes, start=1):
        question = QuestionFactory(owner=owner, school=school, qtype=qtype)
        mark = Decimal("0") if qtype == "description" else Decimal("1")
        ExerciseQuestion.objects.create(exercise=exercise, question=question, position=position, mark=mark)
    return exercise


class AssignmentFactory(factory.django.DjangoModelFactory):
    """Open since yesterday, closes in a week."""

    class Meta:
        model = Assignment

    exercise = factory.SubFactory(ExerciseFactory)
    school_class = factory.SubFactory(SchoolClassFactory)
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    school_class = factory.SubFactory(SchoolClassFactory)
    subject = factory.SubFactory(SubjectFactory)
    title = factory.Sequence(lambda n: f"Cours {n}")
    status = Course.Status.PUBLISHED


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Leçon {n}")
    body = "<p>Contenu de la leçon.</p>"
    position = factory.Sequence(lambda n: n)
    status = Course.Status.PUBLISHED


class LessonLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonLog

    school_class = factory.SubFactory(SchoolClassFactory)
    subject = factory.SubFactory(SubjectFactory)
    date = factory.LazyFunction(timezone.localdate)
    title = "Séance"


class HomeworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Homework

    school_class = factory.SubFactory(SchoolClassFactory)
    subject = factory.SubFactory(SubjectFactory)
    given_on = factory.LazyFunction(timezone.localdate)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=2))
    title = factory.Sequence(lambda n: f"Devoir {n}")
