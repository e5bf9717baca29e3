"""Fixtures shared by the learning tests: a school with 5e B, its maths teacher, a pupil,
the pupil's mother, the school's ENT administrator and its head; and people of another
school who must see nothing."""

from __future__ import annotations

import pytest

from .factories import (
    SchoolClassFactory,
    SchoolFactory,
    SubjectFactory,
    make_parent,
    make_staff,
    make_student,
    make_teacher,
)


@pytest.fixture
def school(db):
    return SchoolFactory(name="Collège test des Puys")


@pytest.fixture
def maths(db):
    return SubjectFactory(code="MATHS", name="Mathématiques")


@pytest.fixture
def klass(school):
    return SchoolClassFactory(school=school, name="5e B", level="5e")


@pytest.fixture
def teacher(klass, maths):
    return make_teacher(klass, maths, first_name="Claire", last_name="Bonnefoy")


@pytest.fixture
def student(klass):
    return make_student(klass, login="hugo.teyssedou", first_name="Hugo", last_name="Teyssedou")


@pytest.fixture
def parent(student):
    return make_parent(student, first_name="Nadia", last_name="Teyssedou")


@pytest.fixture
def school_staff(school):
    return make_staff(school)


@pytest.fixture
def head(school):
    return make_staff(school, head=True)


@pytest.fixture
def other_class(db):
    """A class of another school, with its own teacher, pupil and parent."""
    return SchoolClassFactory(name="5e A")


@pytest.fixture
def outsider_teacher(other_class, maths):
    return make_teacher(other_class, maths)


@pytest.fixture
def outsider_student(other_class):
    return make_student(other_class)
