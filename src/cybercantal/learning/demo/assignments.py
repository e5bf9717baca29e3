"""Demo exercises of the demo teacher (Claire Bonnefoy, maths), given to 5e B:

- "Fractions — entraînement": the ten fraction questions of the demo bank, open since a
  week, closing next Friday at 18:00, two attempts, the best one retained, written in the
  cahier de textes;
- "Proportionnalité — pour s'entraîner": training mode (unlimited, not graded);
- "Le Cantal — quiz": opened two weeks ago, closed last week.

Dates are relative to the day the demo is loaded; ``load()`` returns what it created, and
running it again creates nothing new
(an exercise is found by its owner and title, an assignment by its exercise and class).
Without the demo question bank (``demo.questions``), nothing is created.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Role, User

from ..models import Assignment, Exercise, FeedbackTiming, GradingMethod, SchoolClass, Teaching
from ..services import assignments as services

FRACTIONS = [
    "Fraction égale à 3/4",
    "Fractions égales à 1/2",
    "Simplifier 12/18",
    "Comparer 3/5 et 2/3",
    "Somme 1/4 + 2/4",
    "Fraction d'une quantité",
    "Fractions et leur écriture décimale",
    "Ranger des fractions",
    "Vocabulaire des fractions",
    "Expliquer l'égalité de deux fractions",
]
PROPORTIONS = [
    "Prix de 5 cahiers",
    "Tableau de proportionnalité",
    "Situations de proportionnalité",
    "Pourcentage d'une réduction",
    "Vitesse moyenne",
    "La règle de trois",
]
CANTAL = [
    "Préfecture du Cantal",
    "Plus haut sommet du Cantal",
    "Sous-préfectures du Cantal",
    "Le Cantal en Auvergne-Rhône-Alpes",
    "Villes et rivières du Cantal",
    "Du nord au sud",
]
EMPTY = {"exercices": 0, "exercices donnés": 0}


def _teacher_and_class() -> tuple[User, SchoolClass, Any] | None:
    teacher = User.objects.filter(email=demo_email(Role.TEACHER)).first()
    if teacher is None:
        return None
    today = timezone.localdate()
    teaching = (
        Teaching.objects.filter(
            teacher=teacher,
            school_class__name="5e B",
            school_class__year__starts_on__lte=today,
            school_class__year__ends_on__gte=today,
        )
        .select_related("school_class", "subject")
        .order_by("-is_main_teacher", "pk")
        .first()
    )
    if teaching is None:
        return None
    return teacher, teaching.school_class, teaching.subject


def _exercise(
    made: dict[str, int],
    teacher: User,
    title: str,
    instructions: str,
    names: list[str],
    bank: dict[str, Any],
    subject: Any,
) -> Exercise | None:
    exercise = Exercise.objects.filter(owner=teacher, title=title).first()
    if exercise is None:
        questions = [bank[name] for name in names if name in bank]
        if not questions:
            return None
        exercise = services.exercise_create(actor=teacher, title=title, instructions=instructions, subject=subject)
        services.exercise_add_questions(actor=teacher, exercise=exercise, questions=questions)
        made["exercices"] += 1
    return exercise


def _give(
    made: dict[str, int],
    teacher: User,
    exercise: Exercise | None,
    school_class: SchoolClass,
    *,
    homework: bool = False,
    **settings: Any,
) -> None:
    if exercise is None or Assignment.objects.filter(exercise=exercise, school_class=school_class).exists():
        return
    services.assignment_create(
        actor=teacher, exercise=exercise, school_class=school_class, homework=homework, **settings
    )
    made["exercices donnés"] += 1


def load() -> dict[str, int]:
    try:
        from .questions import demo_questions
    except ImportError:
        return dict(EMPTY)
    found = _teacher_and_class()
    if found is None:
        return dict(EMPTY)
    teacher, school_class, subject = found
    bank = demo_questions()
    if not bank:
        return dict(EMPTY)
    from ..access import forget

    forget(teacher)
    now = timezone.now()
    local = timezone.localtime(now)
    week_ago = timezone.make_aware(dt.datetime.combine(local.date() - dt.timedelta(days=7), dt.time(8, 0)))
    made = dict(EMPTY)
    fractions = _exercise(
        made,
        teacher,
        "Fractions — entraînement",
        "Dix questions sur les fractions. Tu as deux essais : ta meilleure note compte.",
        FRACTIONS,
        bank,
        subject,
    )
    _give(
        made,
        teacher,
        fractions,
        school_class,
        homework=True,
        opens_at=week_ago,
        closes_at=services.next_friday_evening(now),
        attempts_allowed=2,
        grading_method=GradingMethod.HIGHEST,
        feedback_timing=FeedbackTiming.AFTER_SUBMIT,
        shuffle_questions=False,
        shuffle_answers=True,
        time_limit_minutes=None,
        training=False,
    )
    training = _exercise(
        made,
        teacher,
        "Proportionnalité — pour s'entraîner",
        "Refais-le autant de fois que tu veux : ce n'est pas noté.",
        PROPORTIONS,
        bank,
        subject,
    )
    _give(
        made,
        teacher,
        training,
        school_class,
        opens_at=week_ago,
        closes_at=None,
        attempts_allowed=0,
        grading_method=GradingMethod.HIGHEST,
        feedback_timing=FeedbackTiming.IMMEDIATE,
        shuffle_questions=True,
        shuffle_answers=True,
        time_limit_minutes=None,
        training=True,
    )
    cantal = _exercise(made, teacher, "Le Cantal — quiz", "", CANTAL, bank, subject)
    last_monday = local.date() - dt.timedelta(days=local.weekday() + 7)
    cantal_opens = timezone.make_aware(dt.datetime.combine(last_monday - dt.timedelta(days=7), dt.time(8, 0)))
    _give(
        made,
        teacher,
        cantal,
        school_class,
        now=cantal_opens,  # given when it opened, two weeks ago
        opens_at=cantal_opens,
        closes_at=timezone.make_aware(dt.datetime.combine(last_monday + dt.timedelta(days=4), dt.time(18, 0))),
        attempts_allowed=1,
        grading_method=GradingMethod.LAST,
        feedback_timing=FeedbackTiming.AFTER_CLOSE,
        shuffle_questions=False,
        shuffle_answers=True,
        time_limit_minutes=20,
        training=False,
    )
    return made
