"""Reads of part "assignments": a teacher's exercises and assignments, the grade retained
for each pupil, the success rate of each question, the essays waiting for a grade.

Grades, per the assignment's grading method, over *submitted* attempts — one rule,
``retained_grade``, that the teacher's results (``class_grades``) and the pupil's "Mes
exercices" (``queries.attempts.retained_score``) both use:

- ``highest``: the attempt with the best score (as a share of its maximum: an exercise
  changed between two attempts is compared fairly);
- ``last``: the last submitted attempt;
- ``average``: the mean of the submitted attempts' scores (and of their shares, for /20);
- training mode: no grade at all ("non noté").

A grade is "en attente de correction" while an attempt that counts has no score yet (an
essay waits for the teacher): for ``last``, the last attempt; for ``highest`` and
``average``, any of them (a pending essay may change which is best, or the mean).

Every figure is read for the whole class at once (one query for the grades: the submitted
attempts' scores; one grouped query for the per-question rates), never one query per pupil
or per question.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    FloatField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from ..access import access_for
from ..models import Answer, Assignment, Attempt, Enrolment, Exercise, ExerciseQuestion, GradingMethod, Question

CENT = Decimal("0.01")
TWENTY = Decimal("20")
RIGHT_AT = 0.99995  # a share of the points at least this is "right" (floats from the database)


# --- states --------------------------------------------------------------------------------------


def assignment_state(assignment: Assignment, *, now: dt.datetime | None = None) -> str:
    """``upcoming`` (à venir), ``open`` (ouvert) or ``closed`` (fermé)."""
    now = now or timezone.now()
    if assignment.opens_at > now:
        return "upcoming"
    if assignment.closes_at is not None and assignment.closes_at <= now:
        return "closed"
    return "open"


STATE_LABELS = {"upcoming": "à venir", "open": "ouvert", "closed": "fermé"}


# --- a teacher's exercises and assignments -------------------------------------------------------


def my_exercises(user: Any) -> QuerySet[Exercise]:
    """The teacher's exercises, with their number of questions and their assignments (class
    at hand): two queries for the page."""
    return (
        Exercise.objects.filter(owner=user)
        .select_related("subject")
        .annotate(n_questions=Count("items", distinct=True))
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("school_class").order_by("-opens_at", "-pk"),
            )
        )
        .order_by("-updated_at", "-pk")
    )


def exercise_items(exercise: Exercise) -> list[ExerciseQuestion]:
    """The exercise's questions in order, with their category (one query)."""
    return list(
        ExerciseQuestion.objects.filter(exercise=exercise)
        .select_related("question", "question__category", "question__owner")
        .order_by("position", "pk")
    )


def exercise_started(exercise: Exercise) -> bool:
    return Attempt.objects.filter(assignment__exercise=exercise).exists()


def taught_classes(user: Any) -> QuerySet[Any]:
    """The classes and groups the teacher teaches this school year, for the assignment form."""
    from ..models import SchoolClass

    today = timezone.localdate()
    return (
        SchoolClass.objects.filter(pk__in=access_for(user).taught_class_ids)
        .filter(year__starts_on__lte=today, year__ends_on__gte=today)
        .select_related("school")
        .order_by("kind", "name")
    )


@dataclass
class Counts:
    pupils: int  # in the class
    started: int  # pupils with at least one attempt
    submitted: int  # pupils with at least one submitted attempt
    in_progress: int  # attempts in progress
    to_grade: int  # submitted attempts waiting for an essay's grade


def assignment_counts(assignment: Assignment) -> Counts:
    """Two queries: the class's pupils, and the attempts' figures."""
    figures = Attempt.objects.filter(assignment=assignment).aggregate(
        started=Count("student_id", distinct=True),
        submitted=Count("student_id", distinct=True, filter=Q(state=Attempt.State.SUBMITTED)),
        in_progress=Count("pk", filter=Q(state=Attempt.State.IN_PROGRESS)),
        to_grade=Count("pk", filter=Q(state=Attempt.State.SUBMITTED, needs_grading=True)),
    )
    return Counts(
        pupils=Enrolment.objects.filter(school_class_id=assignment.school_class_id).count(),
        started=figures["started"] or 0,
        submitted=figures["submitted"] or 0,
        in_progress=figures["in_progress"] or 0,
        to_grade=figures["to_grade"] or 0,
    )


# --- grades --------------------------------------------------------------------------------------


def _ratio(score: str, maximum: str) -> Case:
    """``score / maximum`` as a float (None when the maximum is 0), on both databases (SQLite
    would divide integers)."""
    return Case(
        When(**{f"{maximum}__gt": 0}, then=Cast(score, FloatField()) / Cast(maximum, FloatField())),
        default=None,
        output_field=FloatField(),
    )


@dataclass
class RetainedGrade:
    """The grade of a pupil for an assignment. ``status``: ``none`` (no submitted attempt),
    ``training`` (not graded), ``pending`` (an essay waits for its grade), ``graded``."""

    status: str
    score: Decimal | None = None  # raw, out of ``max_score``
    max_score: Decimal | None = None
    on_20: Decimal | None = None
    attempt_id: int | None = None  # the attempt retained (highest, last)
    submitted: int = 0

    @property
    def label(self) -> str:
        from django.utils.translation import gettext as _

        if self.status == "training":
            return _("non noté (entraînement)")
        if self.status == "pending":
            return _("en attente de correction")
        if self.status == "none" or self.on_20 is None:
            return "—"
        return _("%(grade)s / 20") % {"grade": _fr(self.on_20)}

    @property
    def raw_label(self) -> str:
        if self.score is None or self.max_score is None:
            return ""
        return f"{_fr(self.score)} / {_fr(self.max_score)}"


def _fr(value: Decimal) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _dec(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _share(attempt: Attempt) -> Decimal | None:
    """The attempt's score as a share of its maximum (None without a score or a maximum)."""
    if attempt.score is None or not attempt.max_score:
        return None
    return Decimal(attempt.score) / Decimal(attempt.max_score)


def _on_20(share: Decimal | None) -> Decimal | None:
    return None if share is None else (share * TWENTY).quantize(CENT, rounding=ROUND_HALF_UP)


def retained_grade(assignment: Assignment, attempts: Iterable[Attempt]) -> RetainedGrade:
    """THE grade rule: the grade of one pupil for ``assignment`` from their attempts (any
    state; only the submitted ones count). Both the teacher's results (``class_grades``) and
    the pupil's "Mes exercices" (``queries.attempts.retained_score``) use it, so they always
    agree. No query: the attempts' ``pk``, ``number``, ``state``, ``score`` and
    ``max_score`` are enough (a teacher's overrides and essay grades are already in
    ``score``, recomputed by ``services.assignments.attempt_rescore``)."""
    submitted = sorted((a for a in attempts if a.state == Attempt.State.SUBMITTED), key=lambda a: a.number)
    if not submitted:
        return RetainedGrade("training" if assignment.training else "none")
    count = len(submitted)
    last = submitted[-1]
    if assignment.training:
        return RetainedGrade("training", attempt_id=last.pk, submitted=count)
    scored = [a for a in submitted if a.score is not None]
    # The best: the highest share (attempts without a maximum last), the latest of equals.
    best = max(scored, key=lambda a: (_share(a) is not None, _share(a) or 0, a.number)) if scored else None
    if assignment.grading_method == GradingMethod.LAST:
        if last.score is None:
            return RetainedGrade("pending", attempt_id=last.pk, submitted=count)
        share = _share(last)
        score, maximum = _dec(last.score), _dec(last.max_score)
        attempt_id: int | None = last.pk
    elif len(scored) < count:  # an essay waits: it may change the best or the mean
        return RetainedGrade("pending", attempt_id=best.pk if best else last.pk, submitted=count)
    elif assignment.grading_method == GradingMethod.AVERAGE:
        shares = [s for s in (_share(a) for a in submitted) if s is not None]
        share = sum(shares, Decimal("0")) / len(shares) if shares else None
        score = _dec(sum((Decimal(a.score) for a in submitted if a.score is not None), Decimal("0")) / count)
        maximum = _dec(sum((Decimal(a.max_score) for a in submitted), Decimal("0")) / count)
        attempt_id = None
    elif best is not None:  # highest (every submitted attempt is scored here)
        share = _share(best)
        score, maximum, attempt_id = _dec(best.score), _dec(best.max_score), best.pk
    else:  # pragma: no cover - a submitted attempt exists and none is pending
        return RetainedGrade("none")
    return RetainedGrade(
        "graded", score=score, max_score=maximum, on_20=_on_20(share), attempt_id=attempt_id, submitted=count
    )


def class_grades(assignment: Assignment) -> dict[int, RetainedGrade]:
    """The retained grade of every pupil who submitted an attempt, by student id: ONE query
    (the class's submitted attempts, a few columns), then ``retained_grade`` per pupil."""
    by_student: dict[int, list[Attempt]] = {}
    for attempt in (
        Attempt.objects.filter(assignment_id=assignment.pk, state=Attempt.State.SUBMITTED)
        .only("pk", "student_id", "number", "state", "score", "max_score")
        .order_by("student_id", "number")
    ):
        by_student.setdefault(attempt.student_id, []).append(attempt)
    return {student_id: retained_grade(assignment, attempts) for student_id, attempts in by_student.items()}


def retained_attempt_ids(assignment: Assignment, grades: dict[int, RetainedGrade] | None = None) -> list[int] | None:
    """The attempts the per-question rates are computed on: the retained one per pupil
    (highest, last); every submitted attempt (average, training) — then None, meaning
    "all submitted attempts of the assignment"."""
    if assignment.training or assignment.grading_method == GradingMethod.AVERAGE:
        return None
    grades = grades if grades is not None else class_grades(assignment)
    return [g.attempt_id for g in grades.values() if g.attempt_id is not None]


# --- pupils --------------------------------------------------------------------------------------


@dataclass
class PupilRow:
    student: Any
    attempts: list[Attempt] = field(default_factory=list)
    grade: RetainedGrade = field(default_factory=lambda: RetainedGrade("none"))
    enrolled: bool = True

    @property
    def state(self) -> str:
        """``none`` (pas commencé), ``in_progress`` (en cours), ``submitted`` (rendu), ``to_grade``."""
        if not self.attempts:
            return "none"
        if any(a.state == Attempt.State.IN_PROGRESS for a in self.attempts):
            return "in_progress"
        if any(a.needs_grading for a in self.attempts):
            return "to_grade"
        return "submitted"

    @property
    def time_spent(self) -> dt.timedelta | None:
        spans = [a.submitted_at - a.started_at for a in self.attempts if a.submitted_at and a.started_at]
        return sum(spans, dt.timedelta()) if spans else None

    @property
    def minutes_spent(self) -> int | None:
        spent = self.time_spent
        return None if spent is None else max(1, round(spent.total_seconds() / 60))


def pupil_rows(assignment: Assignment) -> list[PupilRow]:
    """Every pupil of the class (those with no attempt too) and any former pupil who made
    an attempt, with their attempts and retained grade: three queries."""
    user_model = get_user_model()
    attempts = list(
        Attempt.objects.filter(assignment_id=assignment.pk)
        .only(
            "pk", "student_id", "number", "state", "started_at", "submitted_at", "score", "max_score", "needs_grading"
        )
        .order_by("student_id", "number")
    )
    by_student: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        by_student.setdefault(attempt.student_id, []).append(attempt)
    enrolled = Enrolment.objects.filter(school_class_id=assignment.school_class_id).values("student_id")
    students = list(
        user_model.objects.filter(Q(pk__in=Subquery(enrolled)) | Q(pk__in=list(by_student)))
        .annotate(
            is_enrolled=Exists(
                Enrolment.objects.filter(school_class_id=assignment.school_class_id, student_id=OuterRef("pk"))
            )
        )
        .order_by("last_name", "first_name", "pk")
    )
    grades = class_grades(assignment)
    return [
        PupilRow(
            student=student,
            attempts=by_student.get(student.pk, []),
            grade=grades.get(student.pk, RetainedGrade("training" if assignment.training else "none")),
            enrolled=bool(student.is_enrolled),
        )
        for student in students
    ]


# --- questions -----------------------------------------------------------------------------------


def _answer_ratio() -> Case:
    final = Coalesce("override_mark", "mark")
    return Case(
        When(max_mark__gt=0, then=Cast(final, FloatField()) / Cast("max_mark", FloatField())),
        default=Cast("fraction", FloatField()),
        output_field=FloatField(),
    )


@dataclass
class QuestionStats:
    question_id: int | None
    title: str
    qtype: str
    position: int | None  # in the exercise now (None: removed since)
    attempts: int = 0  # retained attempts that had this question
    answered: int = 0
    right: int = 0
    partial: int = 0
    wrong: int = 0
    blank: int = 0
    pending: int = 0
    mean: float | None = None  # 0..1 over the graded answers

    @property
    def percent(self) -> int | None:
        return None if self.mean is None else round(self.mean * 100)

    @property
    def bar_width(self) -> int:
        return 0 if self.mean is None else max(0, min(100, round(self.mean * 100)))


def _question_title(question: Question | None) -> str:
    if question is None:
        return ""
    from .. import richtext

    text = question.name or (richtext.plain(question.text) if question.text_format == "html" else question.text)
    text = " ".join(str(text).split())
    return text[:120] + ("…" if len(text) > 120 else "")


def question_stats(assignment: Assignment, attempt_ids: list[int] | None) -> list[QuestionStats]:
    """Per question of the exercise (in the exercise's order, then questions removed since):
    the mean share of the points over the retained attempts, and how many answers were
    right, partly right, wrong, blank or waiting for a grade. One grouped query, plus the
    exercise's questions."""
    answers = Answer.objects.filter(
        attempt__assignment_id=assignment.pk, attempt__state=Attempt.State.SUBMITTED
    ).exclude(snapshot__qtype="description")
    if attempt_ids is not None:
        answers = answers.filter(attempt_id__in=attempt_ids)
    answered = Q(response__isnull=False)
    graded = Q(override_mark__isnull=False) | Q(mark__isnull=False)
    rows = {
        row["question_id"]: row
        for row in answers.annotate(r=_answer_ratio())
        .values("question_id")
        .annotate(
            n=Count("pk"),
            n_answered=Count("pk", filter=answered),
            n_right=Count("pk", filter=answered & Q(r__gte=RIGHT_AT)),
            n_partial=Count("pk", filter=answered & Q(r__gt=0, r__lt=RIGHT_AT)),
            n_wrong=Count("pk", filter=answered & graded & Q(r__lte=0)),
            n_pending=Count("pk", filter=answered & Q(override_mark__isnull=True, mark__isnull=True)),
            mean=Avg("r"),
            any_slot=Max("slot"),
        )
        .order_by()
    }
    items = exercise_items(assignment.exercise)
    stats: list[QuestionStats] = []
    seen: set[int | None] = set()
    for item in items:
        if item.question.qtype == "description":
            continue
        seen.add(item.question_id)
        stats.append(_stats(item.question_id, item.question, item.position, rows.get(item.question_id)))
    others = [qid for qid in rows if qid not in seen]
    if others:
        removed = {q.pk: q for q in Question.objects.filter(pk__in=[q for q in others if q is not None])}
        stats.extend(_stats(qid, removed.get(qid) if qid is not None else None, None, rows[qid]) for qid in others)
    return stats


def _stats(question_id: int | None, question: Question | None, position: int | None, row: Any) -> QuestionStats:
    from django.utils.translation import gettext as _

    item = QuestionStats(
        question_id=question_id,
        title=_question_title(question) or _("Question supprimée de la banque"),
        qtype=question.get_qtype_display() if question is not None else "",
        position=position,
    )
    if row:
        item.attempts = row["n"]
        item.answered = row["n_answered"]
        item.right = row["n_right"]
        item.partial = row["n_partial"]
        item.wrong = row["n_wrong"]
        item.pending = row["n_pending"]
        item.blank = row["n"] - row["n_answered"]
        item.mean = float(row["mean"]) if row["mean"] is not None else None
    return item


# --- the CSV -------------------------------------------------------------------------------------


def answers_matrix(assignment: Assignment) -> dict[int, dict[int | None, Answer]]:
    """Every answer of the submitted attempts, by attempt then question (one query)."""
    matrix: dict[int, dict[int | None, Answer]] = {}
    for answer in (
        Answer.objects.filter(attempt__assignment_id=assignment.pk, attempt__state=Attempt.State.SUBMITTED)
        .only("pk", "attempt_id", "question_id", "slot", "fraction", "mark", "override_mark", "max_mark", "response")
        .order_by("attempt_id", "slot")
    ):
        matrix.setdefault(answer.attempt_id, {})[answer.question_id] = answer
    return matrix


# --- grading -------------------------------------------------------------------------------------


def essays_to_grade(user: Any) -> QuerySet[Answer]:
    """Essays answered in submitted attempts and not graded yet, in the assignments of the
    classes ``user`` teaches that they gave or whose exercise is theirs; oldest first."""
    taught = access_for(user).taught_class_ids
    return (
        Answer.objects.filter(
            attempt__state=Attempt.State.SUBMITTED,
            attempt__assignment__school_class_id__in=taught,
            snapshot__qtype="essay",
            response__isnull=False,
            override_mark__isnull=True,
            mark__isnull=True,
        )
        .filter(Q(attempt__assignment__created_by=user) | Q(attempt__assignment__exercise__owner=user))
        .select_related("attempt__student", "attempt__assignment__exercise", "attempt__assignment__school_class")
        .order_by("attempt__submitted_at", "attempt_id", "slot")
    )


def next_attempt_to_grade(user: Any, *, after: Attempt) -> Attempt | None:
    """After grading ``after``: the next attempt of the same assignment waiting for a grade,
    else the oldest one across the teacher's assignments."""
    same = (
        Attempt.objects.filter(assignment_id=after.assignment_id, state=Attempt.State.SUBMITTED, needs_grading=True)
        .exclude(pk=after.pk)
        .order_by("submitted_at", "pk")
        .first()
    )
    if same is not None:
        return same
    answer = essays_to_grade(user).exclude(attempt_id=after.pk).first()
    return answer.attempt if answer is not None else None


def attempt_answers(attempt: Attempt) -> list[Answer]:
    return list(Answer.objects.filter(attempt=attempt).select_related("graded_by").order_by("slot"))


def last_submitted_max(assignment: Assignment) -> Decimal | None:
    return Attempt.objects.filter(assignment=assignment, state=Attempt.State.SUBMITTED).aggregate(m=Max("max_score"))[
        "m"
    ]
