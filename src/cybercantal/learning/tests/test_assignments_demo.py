"""Demo exercises: made once for the demo teacher's 5e B, with relative dates; nothing
without the demo teacher or the demo bank."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Role

from ..demo import assignments as demo
from ..demo import questions as questions_demo
from ..models import Assignment, Exercise, Homework
from ..queries.assignments import assignment_state

pytestmark = pytest.mark.django_db


def test_nothing_without_the_demo_teacher(klass):
    assert demo.load() == {"exercices": 0, "exercices donnés": 0}


def test_nothing_without_the_demo_bank(teacher):
    teacher.email = demo_email(Role.TEACHER)
    teacher.save()
    assert demo.load() == {"exercices": 0, "exercices donnés": 0}


def test_demo_twice(teacher, klass):
    teacher.email = demo_email(Role.TEACHER)
    teacher.save()
    questions_demo.load()
    assert demo.load() == {"exercices": 3, "exercices donnés": 3}
    assert demo.load() == {"exercices": 0, "exercices donnés": 0}
    fractions = Exercise.objects.get(title="Fractions — entraînement")
    assert 8 <= fractions.items.count() <= 10
    assert list(fractions.items.values_list("position", flat=True)) == list(range(1, fractions.items.count() + 1))
    graded = Assignment.objects.get(exercise=fractions)
    now = timezone.now()
    assert graded.school_class == klass
    assert graded.attempts_allowed == 2
    assert graded.grading_method == "highest"
    assert assignment_state(graded) == "open"
    closes = timezone.localtime(graded.closes_at)
    assert closes.weekday() == 4
    assert closes.hour == 18
    assert graded.closes_at > now
    assert (now - graded.opens_at).days in (6, 7)
    assert Homework.objects.filter(assignment=graded).count() == 1
    assert Assignment.objects.get(exercise__title__startswith="Proportionnalité").training
    closed = Assignment.objects.get(exercise__title="Le Cantal — quiz")
    assert assignment_state(closed) == "closed"
    assert 2 <= (now - closed.closes_at).days <= 10
