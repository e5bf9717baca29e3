"""What each person's ENT home page shows, in a few queries each.

- a pupil: today's and this week's homework, the exercises open to them (with where they
  are in them), the latest lessons of their courses;
- a teacher: their classes this year, the attempts waiting for a grade, their latest
  assignments with how many pupils handed in;
- a parent: for each child, the same homework and their results once the pupil may see them;
- school staff: their schools; the head: the cahiers de textes to sign off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from ..access import Access, access_for
from ..models import Assignment, Attempt, Course, FeedbackTiming, Lesson, School, SchoolClass
from . import homework as homework_queries


@dataclass
class OpenExercise:
    assignment: Assignment
    state: str  # "todo", "in_progress", "submitted"
    attempt: Attempt | None = None
    attempts_used: int = 0

    @property
    def attempts_left(self) -> int | None:
        if self.assignment.training or not self.assignment.attempts_allowed:
            return None
        return max(0, self.assignment.attempts_allowed - self.attempts_used)


def open_exercises(student: Any, class_ids: Any, *, now: dt.datetime | None = None) -> list[OpenExercise]:
    """Assignments of ``class_ids`` open now, with the pupil's state (two queries)."""
    now = now or timezone.now()
    assignments = list(
        Assignment.objects.filter(school_class_id__in=list(class_ids), opens_at__lte=now)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .select_related("exercise", "school_class")
        .order_by("closes_at", "pk")[:30]
    )
    attempts: dict[int, list[Attempt]] = {}
    for attempt in Attempt.objects.filter(student=student, assignment__in=assignments).order_by("number"):
        attempts.setdefault(attempt.assignment_id, []).append(attempt)
    result = []
    for assignment in assignments:
        mine = attempts.get(assignment.pk, [])
        current = next((a for a in mine if a.state == Attempt.State.IN_PROGRESS), None)
        if current is not None:
            state = "in_progress"
        elif mine:
            state = "submitted"
        else:
            state = "todo"
        result.append(OpenExercise(assignment, state, current or (mine[-1] if mine else None), len(mine)))
    return result


def latest_lessons(class_ids: Any, *, limit: int = 5) -> list[Lesson]:
    """The latest published lessons of published courses of ``class_ids``."""
    return list(
        Lesson.objects.filter(
            course__school_class_id__in=list(class_ids),
            course__status=Course.Status.PUBLISHED,
            status=Course.Status.PUBLISHED,
        )
        .select_related("course__subject", "course__school_class")
        .order_by("-updated_at")[:limit]
    )


def results_visible(attempt: Attempt, now: dt.datetime) -> bool:
    """Whether the pupil (and so the parent) may see the attempt's grade now."""
    assignment = attempt.assignment
    if attempt.state != Attempt.State.SUBMITTED:
        return False
    if assignment.training or assignment.feedback_timing != FeedbackTiming.AFTER_CLOSE:
        return True
    return assignment.closes_at is not None and assignment.closes_at <= now


@dataclass
class Result:
    attempt: Attempt
    visible: bool


def recent_results(student: Any, *, limit: int = 8, now: dt.datetime | None = None) -> list[Result]:
    now = now or timezone.now()
    attempts = (
        Attempt.objects.filter(student=student, state=Attempt.State.SUBMITTED, assignment__training=False)
        .select_related("assignment__exercise", "assignment__school_class")
        .order_by("-submitted_at")[:limit]
    )
    return [Result(a, results_visible(a, now)) for a in attempts]


@dataclass
class StudentHome:
    today: list[Any] = field(default_factory=list)  # (homework, done)
    week: list[Any] = field(default_factory=list)  # DueDay after today
    exercises: list[OpenExercise] = field(default_factory=list)
    lessons: list[Lesson] = field(default_factory=list)


def student_home(student: Any, class_ids: Any) -> StudentHome:
    today = timezone.localdate()
    days = homework_queries.homework_due(class_ids=class_ids, student=student, start=today, days=7)
    home = StudentHome()
    for day in days:
        if day.day == today:
            home.today = day.items
        else:
            home.week.append(day)
    home.exercises = open_exercises(student, class_ids)
    home.lessons = latest_lessons(class_ids)
    return home


@dataclass
class AssignmentSummary:
    assignment: Assignment
    pupils: int
    submitted: int
    to_grade: int


def teacher_home(teacher: Any, access: Access) -> dict[str, Any]:
    classes = homework_queries.teacher_classes(teacher)
    class_ids = [c.pk for c in classes]
    pupils = dict(SchoolClass.objects.filter(pk__in=class_ids).annotate(n=Count("enrolments")).values_list("pk", "n"))
    assignments = list(
        Assignment.objects.filter(school_class_id__in=class_ids)
        .select_related("exercise", "school_class")
        .annotate(
            submitted=Count("attempts__student", filter=Q(attempts__state=Attempt.State.SUBMITTED), distinct=True),
            to_grade=Count("attempts", filter=Q(attempts__needs_grading=True), distinct=True),
            last=Max("attempts__submitted_at"),
        )
        .order_by("-opens_at")[:8]
    )
    to_grade = sum(a.to_grade for a in assignments)
    return {
        "classes": [(c, pupils.get(c.pk, 0)) for c in classes],
        "assignments": [
            AssignmentSummary(a, pupils.get(a.school_class_id, 0), a.submitted, a.to_grade) for a in assignments
        ],
        "to_grade": to_grade
        + Attempt.objects.filter(assignment__school_class_id__in=class_ids, needs_grading=True)
        .exclude(assignment__in=assignments)
        .count(),
    }


def parent_home(parent: Any, access: Access) -> list[dict[str, Any]]:
    """For each child: this week's homework, the open exercises (to know, not to do) and
    the latest results the child may see."""
    children = homework_queries.children_of(parent)
    today = timezone.localdate()
    result = []
    for child in children:
        class_ids = access.child_class_ids.get(child.pk, frozenset())
        result.append(
            {
                "child": child,
                "classes": list(SchoolClass.objects.filter(pk__in=class_ids).order_by("kind", "name")),
                "homework": homework_queries.homework_due(class_ids=class_ids, student=child, start=today, days=7),
                "exercises": open_exercises(child, class_ids),
                "results": recent_results(child),
            }
        )
    return result


def staff_schools(access: Access) -> list[School]:
    return list(School.objects.filter(pk__in=access.staff_school_ids).order_by("name"))


def home_for(user: Any) -> dict[str, Any]:
    access = access_for(user)
    context: dict[str, Any] = {"access": access}
    if access.is_student:
        context["student"] = student_home(user, access.class_ids)
        context["results"] = recent_results(user, limit=5)
    if access.is_teacher:
        context["teacher"] = teacher_home(user, access)
    if access.is_parent:
        context["children"] = parent_home(user, access)
    if access.is_staff:
        context["schools"] = staff_schools(access)
    return context
