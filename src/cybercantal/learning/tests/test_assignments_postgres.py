"""Assignments with real parallel connections on PostgreSQL: two teachers override the same
answer at once; several tabs add questions to the same exercise at once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from cybercantal.accounts.models import User
from cybercantal.core.testing import run_in_parallel
from cybercantal.learning.models import Answer, Attempt, Exercise, ExerciseQuestion, Question
from cybercantal.learning.services import assignments as services

from .factories import QuestionFactory, SchoolClassFactory, SubjectFactory, make_student, make_teacher
from .factories_assignments import add_question, assignment_of, make_attempt

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


def _override(args: tuple[int, int, str]) -> str:
    teacher_id, answer_id, mark = args
    try:
        services.answer_override(
            actor=User.objects.get(pk=teacher_id), answer=Answer.objects.get(pk=answer_id), mark=mark, comment=mark
        )
    except Exception as exc:  # noqa: BLE001 - reported, the test says which
        return f"error: {type(exc).__name__}: {exc}"
    return "ok"


def test_two_teachers_override_the_same_answer_at_once():
    assert connection.vendor == "postgresql"
    klass = SchoolClassFactory()
    maths = SubjectFactory()
    claire, paul = make_teacher(klass, maths), make_teacher(klass, maths)
    pupil = make_student(klass)
    assignment = assignment_of(claire, klass, [])
    add_question(assignment.exercise, "single", D("4"))
    add_question(assignment.exercise, "essay", D("4"))
    attempt = make_attempt(assignment, pupil, [1, None])
    single = attempt.answers.get(slot=1)
    essay = attempt.answers.get(slot=2)
    arguments = [(claire.pk, single.pk, "3"), (paul.pk, single.pk, "2"), (claire.pk, essay.pk, "4")] * 3
    assert run_in_parallel(_override, arguments, timeout=60) == ["ok"] * len(arguments)
    single.refresh_from_db()
    attempt.refresh_from_db()
    assert single.override_mark in (D("3"), D("2"))
    assert single.override_comment == str(int(single.override_mark))
    assert attempt.score == single.override_mark + D("4")
    assert attempt.needs_grading is False


def _add(args: tuple[int, int, list[int]]) -> str:
    owner_id, exercise_id, question_ids = args
    try:
        services.exercise_add_questions(
            actor=User.objects.get(pk=owner_id),
            exercise=Exercise.objects.get(pk=exercise_id),
            questions=list(Question.objects.filter(pk__in=question_ids)),
        )
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}: {exc}"
    return "ok"


def test_adding_questions_at_once_keeps_positions_dense():
    klass = SchoolClassFactory()
    teacher = make_teacher(klass, SubjectFactory())
    exercise = services.exercise_create(actor=teacher, title="Course")
    questions = [QuestionFactory(owner=teacher, school=klass.school).pk for _ in range(12)]
    # Eight tabs: disjoint batches, and batches that overlap.
    batches = [questions[i : i + 3] for i in range(0, 12, 3)] + [questions[i : i + 4] for i in range(0, 12, 4)]
    batches.append(questions)
    arguments = [(teacher.pk, exercise.pk, batch) for batch in batches]
    assert run_in_parallel(_add, arguments, timeout=60) == ["ok"] * len(arguments)
    rows = list(
        ExerciseQuestion.objects.filter(exercise=exercise).order_by("position").values_list("position", "question_id")
    )
    assert [p for p, _ in rows] == list(range(1, 13))
    assert sorted(q for _, q in rows) == sorted(questions)


def _move(args: tuple[int, int, str]) -> str:
    owner_id, item_id, direction = args
    try:
        services.exercise_move_question(
            actor=User.objects.get(pk=owner_id), item=ExerciseQuestion.objects.get(pk=item_id), direction=direction
        )
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}: {exc}"
    return "ok"


def test_moves_at_once_keep_positions_unique():
    klass = SchoolClassFactory()
    teacher = make_teacher(klass, SubjectFactory())
    assignment = assignment_of(teacher, klass, ["single"] * 6)
    items = list(assignment.exercise.items.order_by("position"))
    arguments = [(teacher.pk, item.pk, "up" if n % 2 else "down") for n, item in enumerate(items)] * 2
    assert run_in_parallel(_move, arguments, timeout=60) == ["ok"] * len(arguments)
    assert sorted(assignment.exercise.items.values_list("position", flat=True)) == list(range(1, 7))
    assert Attempt.objects.count() == 0
