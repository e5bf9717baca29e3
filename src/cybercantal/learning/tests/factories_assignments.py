"""Factories of part "assignments": exercises with questions, and attempts with chosen marks
(built row by row, so that grades and success rates can be checked against hand-computed
figures)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from .. import grading
from ..models import Answer, Assignment, Attempt, Exercise, ExerciseQuestion
from ..services.assignments import attempt_rescore
from .factories import AssignmentFactory, QuestionFactory, exercise_with

D = Decimal


def assignment_of(teacher: Any, school_class: Any, qtypes: list[str], **fields: Any) -> Assignment:
    """A new exercise of ``teacher`` with one question per type, given to ``school_class``
    (open since yesterday, closing in a week)."""
    exercise = exercise_with(teacher, school_class.school, qtypes)
    return AssignmentFactory(exercise=exercise, school_class=school_class, created_by=teacher, **fields)


ONE = D("1")


def add_question(exercise: Exercise, qtype: str = "single", mark: Decimal = ONE, **fields: Any) -> ExerciseQuestion:
    question = QuestionFactory(owner=exercise.owner, school=exercise.school, qtype=qtype, **fields)
    position = (exercise.items.count() or 0) + 1
    return ExerciseQuestion.objects.create(exercise=exercise, question=question, position=position, mark=mark)


def make_attempt(
    assignment: Assignment,
    student: Any,
    marks: list[Any],
    *,
    submitted: bool = True,
    minutes: int = 10,
    started_at: dt.datetime | None = None,
) -> Attempt:
    """An attempt of ``student`` whose slot ``i`` (in the exercise's order) got ``marks[i]``:
    a Decimal-able number (the mark), ``None`` (answered, no mark yet: an essay waiting),
    or ``"blank"`` (not answered, worth 0 once submitted)."""
    items = list(assignment.exercise.items.select_related("question").order_by("position"))
    number = Attempt.objects.filter(assignment=assignment, student=student).count() + 1
    started_at = started_at or timezone.now() - dt.timedelta(hours=2) + dt.timedelta(minutes=number * 20)
    attempt = Attempt.objects.create(
        assignment=assignment,
        student=student,
        number=number,
        state=Attempt.State.IN_PROGRESS,
        started_at=started_at,
        max_score=sum((item.mark for item in items), D("0")),
    )
    answers = []
    for slot, (item, value) in enumerate(zip(items, marks, strict=True), start=1):
        qtype = item.question.qtype
        answer = Answer(
            attempt=attempt,
            slot=slot,
            question=item.question,
            snapshot=grading.snapshot(item.question),
            max_mark=item.mark,
        )
        if qtype == "description":
            pass
        elif value == "blank":
            answer.fraction, answer.mark = (D("0"), D("0")) if submitted else (None, None)
        elif value is None:
            answer.response = {"text": "Ma réponse rédigée."}
            answer.answered_at = started_at
        else:
            mark = D(str(value))
            answer.response = {"choice": "a"} if qtype != "essay" else {"text": "Réponse."}
            answer.answered_at = started_at
            if qtype == "essay":
                answer.override_mark = mark
            else:
                answer.mark = mark
                answer.fraction = (mark / item.mark).quantize(D("0.0000001")) if item.mark else D("0")
        answers.append(answer)
    Answer.objects.bulk_create(answers)
    if submitted:
        attempt.state = Attempt.State.SUBMITTED
        attempt.submitted_at = started_at + dt.timedelta(minutes=minutes)
        attempt.save(update_fields=["state", "submitted_at"])
        attempt_rescore(attempt)
        attempt.refresh_from_db()
    return attempt
