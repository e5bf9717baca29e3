"""Exercises (an ordered list of questions with their marks) and their assignment to a
class or group; the teacher's grading of attempts.

Rules kept here (tested in ``tests/test_assignments_services.py``):

- exercises are the teachers' own (``learning.use_question_bank`` to create one,
  ``learning.manage_question`` — the owner — to change it); an exercise takes the teacher's
  own questions and those colleagues of the school shared (``learning.view_question``),
  never a retired one, never twice;
- positions are dense (1..n) and unique in an exercise (a database constraint): every
  change of the list runs under a row lock on the exercise and renumbers in two
  statements, so two teachers' tabs adding questions at once end with 1..n;
- an exercise that was given to a class cannot be deleted (the assignment keeps it);
  changing its questions later only changes the attempts started afterwards (an attempt
  works on the snapshot taken when it started);
- giving an exercise (``assignment_create``) needs ``learning.assign_exercise`` on the class
  (its teachers), an exercise of one's own with at least one question, a close date after
  the open date; it may write the line "Faire l'exercice en ligne « … »" in the cahier de
  textes for the close date (``services.homework.homework_create``);
- once pupils have started, the training mode cannot be switched and the opening cannot be
  moved after the first start; other changes are allowed and explained
  (``AssignmentUpdate.notes``); deleting an assignment with attempts needs a confirmation
  (the attempts and grades go with it);
- a teacher of the class (``learning.grade_attempt``) overrides the mark of an answer
  (0 ≤ mark ≤ the slot's points, also a database constraint) with a comment, or grades an
  essay; the attempt's score and ``needs_grading`` are then recomputed by
  ``attempt_rescore``, the one function both this part and the attempts part use, under a
  row lock on the attempt (two teachers saving the same answer at once: one after the
  other, the last one wins, the score matches it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Max, Value, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update

from .. import grading
from ..access import access_for
from ..models import (
    Answer,
    Assignment,
    Attempt,
    Exercise,
    ExerciseQuestion,
    FeedbackTiming,
    GradingMethod,
    Homework,
    Question,
    SchoolClass,
    Subject,
)

USE = "learning.use_question_bank"
OWN = "learning.manage_question"
VIEW_QUESTION = "learning.view_question"
ASSIGN = "learning.assign_exercise"
MANAGE_ASSIGNMENT = "learning.manage_assignment"
GRADE = "learning.grade_attempt"

MAX_TITLE = 200
MAX_INSTRUCTIONS = 10_000
MAX_COMMENT = 5_000
MAX_MARK = Decimal("1000")
MAX_QUESTIONS = 200  # per exercise: far beyond a collège exercise
MAX_ATTEMPTS = 50
MAX_TIME_LIMIT = 600  # minutes
MAX_DAYS_AHEAD = 366
PARKING_OFFSET = 1_000_000  # positions moved out of the way while renumbering
CENT = Decimal("0.01")


class AssignmentError(ValidationError):
    """A refusal with a French message; ``code`` says which rule (``has_attempts``,
    ``has_assignments``, ``empty``, ``started``, ``not_submitted``...)."""

    def __init__(self, message: Any, code: str) -> None:
        super().__init__(message, code=code)
        self.code = code


# --- small helpers ---------------------------------------------------------------------------------


def _text(value: Any, field_name: str, *, max_length: int, required: str = "") -> str:
    text = str(value or "").replace("\x00", "").strip()
    if required and not text:
        raise ValidationError({field_name: required})
    if len(text) > max_length:
        raise ValidationError(
            {field_name: _("%(max)s caractères au plus (ici %(count)s).") % {"max": max_length, "count": len(text)}}
        )
    return text


def parse_mark(value: Any, *, field_name: str = "mark", maximum: Decimal = MAX_MARK) -> Decimal:
    """A mark typed by a teacher ("1,5", "2") as a Decimal with two places, 0 ≤ mark ≤ maximum."""
    if isinstance(value, Decimal):
        number: Decimal | None = value if value.is_finite() else None
    else:
        number = grading.to_decimal(value)
    if number is None:
        raise ValidationError({field_name: _("Écrivez un nombre, par exemple 1 ou 0,5.")})
    try:
        number = number.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValidationError({field_name: _("Écrivez un nombre, par exemple 1 ou 0,5.")}) from None
    if number < 0:
        raise ValidationError({field_name: _("Une note ne peut pas être négative.")})
    if number > maximum:
        raise ValidationError(
            {field_name: _("La note ne peut pas dépasser %(max)s.") % {"max": french_decimal(maximum)}}
        )
    return number


def french_decimal(value: Decimal | None) -> str:
    """``Decimal("1.50")`` -> "1,5"; ``None`` -> "—"."""
    if value is None:
        return "—"
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f").rstrip("0")
    return text.replace(".", ",")


def _lock_exercise(exercise: Exercise) -> Exercise:
    try:
        return lock_for_update(Exercise.objects.filter(pk=exercise.pk)).get()
    except Exercise.DoesNotExist:
        raise ValidationError(_("Cet exercice n'existe plus.")) from None


def _require_owner(actor: Any, exercise: Exercise) -> None:
    require_permission(actor, OWN, exercise, _("Cet exercice n'est pas à vous."))


def _item_ids(exercise_id: int) -> list[int]:
    return list(
        ExerciseQuestion.objects.filter(exercise_id=exercise_id).order_by("position", "pk").values_list("pk", flat=True)
    )


def _renumber(exercise_id: int, ids: list[int]) -> None:
    """Give ``ids`` the positions 1..n, in two statements that never break uniqueness."""
    rows = ExerciseQuestion.objects.filter(exercise_id=exercise_id)
    rows.update(position=F("position") + PARKING_OFFSET)
    if ids:
        rows.filter(pk__in=ids).update(
            position=Case(
                *[When(pk=pk, then=Value(index)) for index, pk in enumerate(ids, start=1)],
                output_field=IntegerField(),
            )
        )


def _touch(exercise: Exercise) -> None:
    Exercise.objects.filter(pk=exercise.pk).update(updated_at=timezone.now())


def _subject_for(actor: Any, subject: Subject | None) -> Subject | None:
    if subject is None or actor is None:
        return subject
    taught = set().union(*access_for(actor).taught.values()) if access_for(actor).taught else set()
    if subject.pk not in taught:
        raise ValidationError({"subject": _("Choisissez une matière que vous enseignez.")})
    return subject


# --- exercises -----------------------------------------------------------------------------------


@transaction.atomic
def exercise_create(
    *, actor: Any, title: str, instructions: str = "", subject: Subject | None = None, school: Any = None
) -> Exercise:
    """A new, empty exercise of ``actor`` in their school."""
    require_permission(actor, USE, None, _("Seuls les enseignants créent des exercices."))
    from .questions import teacher_school

    school = teacher_school(actor, school) if actor is not None else school
    if school is None:
        raise ValidationError(_("Indiquez le collège de l'exercice."))
    exercise = Exercise.objects.create(
        owner=actor,
        school=school,
        subject=_subject_for(actor, subject),
        title=_text(title, "title", max_length=MAX_TITLE, required=_("Donnez un titre à l'exercice.")),
        instructions=_text(instructions, "instructions", max_length=MAX_INSTRUCTIONS),
    )
    journal.record(actor=actor, action="learning.exercise.created", target=exercise)
    return exercise


@transaction.atomic
def exercise_update(
    *, actor: Any, exercise: Exercise, title: str, instructions: str = "", subject: Subject | None = None
) -> Exercise:
    _require_owner(actor, exercise)
    locked = _lock_exercise(exercise)
    locked.title = _text(title, "title", max_length=MAX_TITLE, required=_("Donnez un titre à l'exercice."))
    locked.instructions = _text(instructions, "instructions", max_length=MAX_INSTRUCTIONS)
    if subject is None or subject.pk != locked.subject_id:
        locked.subject = _subject_for(actor, subject)
    locked.save()
    journal.record(actor=actor, action="learning.exercise.updated", target=locked)
    return locked


@transaction.atomic
def exercise_delete(*, actor: Any, exercise: Exercise) -> None:
    """Delete an exercise that was never given (an assignment keeps its exercise)."""
    _require_owner(actor, exercise)
    locked = _lock_exercise(exercise)
    classes = sorted(
        set(Assignment.objects.filter(exercise=locked).values_list("school_class__name", flat=True)), key=str.casefold
    )
    if classes:
        raise AssignmentError(
            ngettext(
                "Cet exercice a été donné à %(classes)s : supprimez d'abord l'exercice donné, ou gardez-le.",
                "Cet exercice a été donné à %(classes)s : supprimez d'abord ces exercices donnés, ou gardez-le.",
                len(classes),
            )
            % {"classes": ", ".join(classes)},
            code="has_assignments",
        )
    journal.record(actor=actor, action="learning.exercise.deleted", target=locked, data={"title": locked.title})
    locked.delete()


@transaction.atomic
def exercise_copy(*, actor: Any, exercise: Exercise, title: str = "") -> Exercise:
    """A copy of one's exercise (same questions, marks and order), never given yet."""
    _require_owner(actor, exercise)
    title = (title or "").strip() or _("%(title)s (copie)") % {"title": exercise.title}
    copy_ = Exercise.objects.create(
        owner=actor if actor is not None else exercise.owner,
        school=exercise.school,
        subject=exercise.subject,
        title=title[:MAX_TITLE],
        instructions=exercise.instructions,
    )
    ExerciseQuestion.objects.bulk_create(
        [
            ExerciseQuestion(exercise=copy_, question_id=item.question_id, position=index, mark=item.mark)
            for index, item in enumerate(exercise.items.order_by("position", "pk"), start=1)
        ]
    )
    journal.record(actor=actor, action="learning.exercise.copied", target=copy_, data={"from": exercise.pk})
    return copy_


@transaction.atomic
def exercise_add_questions(
    *, actor: Any, exercise: Exercise, questions: Iterable[Question], mark: Any = None
) -> list[ExerciseQuestion]:
    """Add ``questions`` at the end of ``exercise`` (one's own questions, or those shared in
    the school), each with ``mark`` points or its default mark (0 for a description).
    Questions already in the exercise are skipped; returns the items added."""
    _require_owner(actor, exercise)
    fixed_mark = parse_mark(mark) if mark not in (None, "") else None
    wanted: list[Question] = []
    seen: set[int] = set()
    for question in questions:
        if question.pk in seen:
            continue
        seen.add(question.pk)
        require_permission(
            actor,
            VIEW_QUESTION,
            question,
            _("La question « %(name)s » n'est pas partagée avec vous.") % {"name": question.name or question.text[:60]},
        )
        if question.retired:
            raise ValidationError(
                _("La question « %(name)s » est retirée de la banque : elle ne peut plus être ajoutée.")
                % {"name": question.name or question.text[:60]}
            )
        wanted.append(question)
    if not wanted:
        raise ValidationError(_("Cochez au moins une question à ajouter."))
    locked = _lock_exercise(exercise)
    present = set(ExerciseQuestion.objects.filter(exercise=locked).values_list("question_id", flat=True))
    new = [q for q in wanted if q.pk not in present]
    if len(present) + len(new) > MAX_QUESTIONS:
        raise ValidationError(_("Un exercice compte %(max)s questions au plus.") % {"max": MAX_QUESTIONS})
    top = ExerciseQuestion.objects.filter(exercise=locked).aggregate(top=Max("position"))["top"] or 0
    items = [
        ExerciseQuestion(
            exercise=locked,
            question=question,
            position=top + index,
            mark=fixed_mark
            if fixed_mark is not None and question.qtype != "description"
            else (Decimal("0") if question.qtype == "description" else question.default_mark),
        )
        for index, question in enumerate(new, start=1)
    ]
    try:
        with transaction.atomic():
            ExerciseQuestion.objects.bulk_create(items)
    except IntegrityError as exc:  # only without row locks: another tab added at the same time
        raise ValidationError(
            _("L'exercice vient d'être modifié en même temps (dans un autre onglet ?) : rechargez la page.")
        ) from exc
    if items:
        _touch(locked)
        journal.record(
            actor=actor,
            action="learning.exercise.questions_added",
            target=locked,
            data={"questions": [q.pk for q in new]},
        )
    return items


def _fresh_item(item: ExerciseQuestion) -> ExerciseQuestion:
    try:
        return ExerciseQuestion.objects.select_related("question").get(pk=item.pk)
    except ExerciseQuestion.DoesNotExist:
        raise ValidationError(_("Cette question n'est plus dans l'exercice : rechargez la page.")) from None


@transaction.atomic
def exercise_remove_question(*, actor: Any, item: ExerciseQuestion) -> None:
    exercise = Exercise.objects.get(pk=item.exercise_id)
    _require_owner(actor, exercise)
    locked = _lock_exercise(exercise)
    fresh = _fresh_item(item)
    journal.record(
        actor=actor, action="learning.exercise.question_removed", target=locked, data={"question": fresh.question_id}
    )
    fresh.delete()
    _renumber(locked.pk, _item_ids(locked.pk))
    _touch(locked)


@transaction.atomic
def exercise_move_question(
    *, actor: Any, item: ExerciseQuestion, direction: str | None = None, position: int | None = None
) -> ExerciseQuestion:
    """Move a question one step (``direction`` "up" or "down") or to ``position`` (1 = first)."""
    exercise = Exercise.objects.get(pk=item.exercise_id)
    _require_owner(actor, exercise)
    locked = _lock_exercise(exercise)
    ids = _item_ids(locked.pk)
    if item.pk not in ids:
        raise ValidationError(_("Cette question n'est plus dans l'exercice : rechargez la page."))
    index = ids.index(item.pk)
    if position is not None:
        target = min(max(int(position), 1), len(ids)) - 1
    elif direction == "up":
        target = max(index - 1, 0)
    elif direction == "down":
        target = min(index + 1, len(ids) - 1)
    else:
        raise ValidationError(_("Indiquez où déplacer la question."))
    order = [other for other in ids if other != item.pk]
    order.insert(target, item.pk)
    if order != ids:
        _renumber(locked.pk, order)
        _touch(locked)
        journal.record(
            actor=actor,
            action="learning.exercise.question_moved",
            target=locked,
            data={"item": item.pk, "position": target + 1},
        )
    return _fresh_item(item)


@transaction.atomic
def exercise_set_mark(*, actor: Any, item: ExerciseQuestion, mark: Any) -> ExerciseQuestion:
    """Change the points of a question in the exercise (new attempts only)."""
    exercise = Exercise.objects.get(pk=item.exercise_id)
    _require_owner(actor, exercise)
    locked = _lock_exercise(exercise)
    fresh = _fresh_item(item)
    value = parse_mark(mark)
    if fresh.question.qtype == "description" and value:
        raise ValidationError({"mark": _("Une description n'a pas de réponse : elle ne vaut aucun point.")})
    if value != fresh.mark:
        fresh.mark = value
        fresh.save(update_fields=["mark"])
        _touch(locked)
        journal.record(
            actor=actor,
            action="learning.exercise.mark_set",
            target=locked,
            data={"item": fresh.pk, "mark": str(value)},
        )
    return fresh


# --- assignments ---------------------------------------------------------------------------------


@dataclass
class AssignmentSettings:
    """What a teacher chooses when giving an exercise (and changes later)."""

    opens_at: dt.datetime
    closes_at: dt.datetime | None
    attempts_allowed: int = 1
    grading_method: str = GradingMethod.HIGHEST
    feedback_timing: str = FeedbackTiming.AFTER_SUBMIT
    shuffle_questions: bool = False
    shuffle_answers: bool = True
    time_limit_minutes: int | None = None
    training: bool = False


def next_friday_evening(now: dt.datetime | None = None) -> dt.datetime:
    """The default close date: the next Friday at 18:00 (next week's on a Friday after 18:00
    and at the weekend), local time."""
    local = timezone.localtime(now or timezone.now())
    days = (4 - local.weekday()) % 7
    friday = local.date() + dt.timedelta(days=days)
    moment = timezone.make_aware(dt.datetime.combine(friday, dt.time(18, 0)))
    if moment <= local:
        moment = timezone.make_aware(dt.datetime.combine(friday + dt.timedelta(days=7), dt.time(18, 0)))
    return moment


def _check_settings(values: AssignmentSettings, *, now: dt.datetime) -> AssignmentSettings:
    errors: dict[str, list[str]] = {}

    def refuse(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if values.opens_at is None:
        refuse("opens_at", _("Indiquez quand l'exercice ouvre."))
    elif values.opens_at > now + dt.timedelta(days=MAX_DAYS_AHEAD):
        refuse("opens_at", _("Cette date d'ouverture est à plus d'un an : vérifiez l'année."))
    if values.closes_at is not None and values.opens_at is not None:
        if values.closes_at <= values.opens_at:
            refuse("closes_at", _("La fermeture doit venir après l'ouverture."))
        elif values.closes_at > values.opens_at + dt.timedelta(days=MAX_DAYS_AHEAD):
            refuse("closes_at", _("L'exercice ne peut pas rester ouvert plus d'un an : vérifiez l'année."))
    if values.grading_method not in GradingMethod.values:
        refuse("grading_method", _("Choisissez la note retenue dans la liste."))
    if values.feedback_timing not in FeedbackTiming.values:
        refuse("feedback_timing", _("Choisissez quand les élèves voient la correction."))
    elif values.feedback_timing == FeedbackTiming.AFTER_CLOSE and values.closes_at is None:
        refuse(
            "feedback_timing",
            _("Sans date de fermeture, la correction « après la fermeture » ne serait jamais montrée."),
        )
    attempts = values.attempts_allowed
    if not isinstance(attempts, int) or isinstance(attempts, bool) or not 0 <= attempts <= MAX_ATTEMPTS:
        refuse(
            "attempts_allowed",
            _("Indiquez entre 1 et %(max)s tentatives, ou 0 pour un nombre illimité.") % {"max": MAX_ATTEMPTS},
        )
    limit = values.time_limit_minutes
    if limit is not None and (
        not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_TIME_LIMIT
    ):
        refuse(
            "time_limit_minutes",
            _("Une durée limite va de 1 à %(max)s minutes (laissez vide pour ne pas en mettre).")
            % {"max": MAX_TIME_LIMIT},
        )
    if errors:
        raise ValidationError(errors)
    if values.training:
        values.attempts_allowed = 0  # unlimited, and nothing retained
    return values


def _homework_line(*, actor: Any, assignment: Assignment, exercise: Exercise, school_class: SchoolClass) -> Homework:
    """The cahier de textes line of an assignment, for its close date."""
    from .homework import homework_create

    if assignment.closes_at is None:
        raise ValidationError({"homework": _("Pour l'inscrire au cahier de textes, indiquez une date de fermeture.")})
    subjects = access_for(actor).taught.get(school_class.pk, frozenset()) if actor is not None else frozenset()
    subject_id = exercise.subject_id if exercise.subject_id in subjects or actor is None else None
    if subject_id is None and subjects:
        subject_id = Subject.objects.filter(pk__in=subjects).order_by("name").values_list("pk", flat=True).first()
    if subject_id is None:
        raise ValidationError({"homework": _("Donnez une matière à l'exercice pour l'inscrire au cahier de textes.")})
    due_on = timezone.localtime(assignment.closes_at).date()
    given_on = min(timezone.localdate(), timezone.localtime(assignment.opens_at).date(), due_on)
    title = _("Faire l'exercice en ligne « %(title)s »") % {"title": exercise.title}
    if len(title) > MAX_TITLE:
        title = _("Faire l'exercice en ligne « %(title)s »") % {"title": exercise.title[: MAX_TITLE - 40] + "…"}
    homework = homework_create(
        actor=actor,
        school_class=school_class,
        subject=Subject.objects.get(pk=subject_id),
        due_on=due_on,
        given_on=given_on,
        title=title,
        instructions=exercise.instructions,
        estimated_minutes=assignment.time_limit_minutes,
        assignment=assignment,
    )
    return homework


@transaction.atomic
def assignment_create(
    *,
    actor: Any,
    exercise: Exercise,
    school_class: SchoolClass,
    opens_at: dt.datetime,
    closes_at: dt.datetime | None,
    attempts_allowed: int = 1,
    grading_method: str = GradingMethod.HIGHEST,
    feedback_timing: str = FeedbackTiming.AFTER_SUBMIT,
    shuffle_questions: bool = False,
    shuffle_answers: bool = True,
    time_limit_minutes: int | None = None,
    training: bool = False,
    homework: bool = False,
    now: dt.datetime | None = None,
) -> Assignment:
    """Give ``exercise`` (one's own, with at least one question) to ``school_class`` (a
    class or group one teaches). ``homework``: also write "Faire l'exercice en ligne « … »"
    in the class's cahier de textes for the close date."""
    require_permission(actor, ASSIGN, school_class, _("Vous n'enseignez pas dans cette classe."))
    _require_owner(actor, exercise)
    now = now or timezone.now()
    values = _check_settings(
        AssignmentSettings(
            opens_at=opens_at,
            closes_at=closes_at,
            attempts_allowed=attempts_allowed,
            grading_method=grading_method,
            feedback_timing=feedback_timing,
            shuffle_questions=shuffle_questions,
            shuffle_answers=shuffle_answers,
            time_limit_minutes=time_limit_minutes,
            training=training,
        ),
        now=now,
    )
    if values.closes_at is not None and values.closes_at <= now:
        raise ValidationError({"closes_at": _("Cette date de fermeture est déjà passée.")})
    locked = _lock_exercise(exercise)
    if not ExerciseQuestion.objects.filter(exercise=locked).exclude(question__qtype="description").exists():
        raise AssignmentError(
            _("Cet exercice ne contient encore aucune question : ajoutez-en avant de le donner."), code="empty"
        )
    assignment = Assignment.objects.create(
        exercise=locked,
        school_class=school_class,
        created_by=actor,
        opens_at=values.opens_at,
        closes_at=values.closes_at,
        attempts_allowed=values.attempts_allowed,
        grading_method=values.grading_method,
        feedback_timing=values.feedback_timing,
        shuffle_questions=values.shuffle_questions,
        shuffle_answers=values.shuffle_answers,
        time_limit_minutes=values.time_limit_minutes,
        training=values.training,
    )
    journal.record(
        actor=actor,
        action="learning.assignment.created",
        target=assignment,
        data={"exercise": locked.pk, "class": school_class.pk, "training": values.training},
    )
    if homework:
        _homework_line(actor=actor, assignment=assignment, exercise=locked, school_class=school_class)
    return assignment


@dataclass
class AssignmentUpdate:
    assignment: Assignment
    notes: list[str] = field(default_factory=list)


def _lock_assignment(assignment: Assignment) -> Assignment:
    try:
        return lock_for_update(Assignment.objects.filter(pk=assignment.pk)).get()
    except Assignment.DoesNotExist:
        raise ValidationError(_("Cet exercice donné n'existe plus.")) from None


@transaction.atomic
def assignment_update(
    *,
    actor: Any,
    assignment: Assignment,
    opens_at: dt.datetime,
    closes_at: dt.datetime | None,
    attempts_allowed: int,
    grading_method: str,
    feedback_timing: str,
    shuffle_questions: bool,
    shuffle_answers: bool,
    time_limit_minutes: int | None,
    training: bool,
    now: dt.datetime | None = None,
) -> AssignmentUpdate:
    """Change the dates and options. Once pupils have started, switching training mode and
    opening after the first start are refused; what else changes for them is explained in
    ``notes`` (French sentences for the teacher)."""
    require_permission(actor, MANAGE_ASSIGNMENT, assignment, _("Vous n'enseignez pas dans cette classe."))
    now = now or timezone.now()
    locked = _lock_assignment(assignment)
    values = _check_settings(
        AssignmentSettings(
            opens_at=opens_at,
            closes_at=closes_at,
            attempts_allowed=attempts_allowed,
            grading_method=grading_method,
            feedback_timing=feedback_timing,
            shuffle_questions=shuffle_questions,
            shuffle_answers=shuffle_answers,
            time_limit_minutes=time_limit_minutes,
            training=training,
        ),
        now=now,
    )
    attempts = Attempt.objects.filter(assignment=locked)
    first_start = attempts.order_by("started_at").values_list("started_at", flat=True).first()
    notes: list[str] = []
    if first_start is not None:
        if values.training != locked.training:
            raise AssignmentError(
                _(
                    "Des élèves ont déjà commencé : un exercice noté ne peut plus devenir un entraînement, "
                    "ni l'inverse. Donnez l'exercice une seconde fois si besoin."
                ),
                code="started",
            )
        if values.opens_at > first_start:
            raise ValidationError(
                {
                    "opens_at": _("Un élève a commencé le %(when)s : l'ouverture ne peut pas être repoussée après.")
                    % {"when": date_format(timezone.localtime(first_start), "l j F Y à H:i")}
                }
            )
        if values.grading_method != locked.grading_method and not values.training:
            notes.append(
                _("La note retenue est recalculée pour chaque élève avec la nouvelle méthode (« %(method)s »).")
                % {"method": GradingMethod(values.grading_method).label}
            )
        if (
            values.attempts_allowed
            and values.attempts_allowed < (locked.attempts_allowed or MAX_ATTEMPTS + 1)
            and not values.training
        ):
            used = attempts.values("student_id").annotate(n=Max("number")).filter(n__gt=values.attempts_allowed)
            count = used.count()
            if count:
                notes.append(
                    ngettext(
                        "%(count)s élève a déjà fait plus de tentatives que le nouveau nombre permis : "
                        "elles sont gardées, mais il ne peut plus en commencer.",
                        "%(count)s élèves ont déjà fait plus de tentatives que le nouveau nombre permis : "
                        "elles sont gardées, mais ils ne peuvent plus en commencer.",
                        count,
                    )
                    % {"count": count}
                )
        if (values.shuffle_questions, values.shuffle_answers) != (locked.shuffle_questions, locked.shuffle_answers):
            notes.append(_("Le mélange ne change que les tentatives commencées à partir de maintenant."))
        if values.time_limit_minutes != locked.time_limit_minutes:
            notes.append(_("La nouvelle durée limite s'applique aussi aux tentatives en cours."))
        if values.closes_at != locked.closes_at and values.closes_at is not None and values.closes_at <= now:
            notes.append(_("L'exercice est fermé : les tentatives en cours sont rendues avec ce qui est enregistré."))
    changed = {
        name: (str(getattr(locked, name)), str(getattr(values, name)))
        for name in AssignmentSettings.__dataclass_fields__
        if getattr(locked, name) != getattr(values, name)
    }
    for name in AssignmentSettings.__dataclass_fields__:
        setattr(locked, name, getattr(values, name))
    locked.save()
    if "closes_at" in changed and locked.closes_at is not None:
        _move_homework(locked)
    if changed:
        journal.record(actor=actor, action="learning.assignment.updated", target=locked, data=changed)
    if locked.closes_at is not None and locked.closes_at <= now:
        _submit_in_progress(locked)
    return AssignmentUpdate(locked, notes)


def _move_homework(assignment: Assignment) -> None:
    """The cahier de textes line follows the close date (never before the day it was given)."""
    if assignment.closes_at is None:
        return
    due_on = timezone.localtime(assignment.closes_at).date()
    Homework.objects.filter(assignment=assignment, given_on__lte=due_on).update(
        due_on=due_on, updated_at=timezone.now()
    )


def _submit_in_progress(assignment: Assignment) -> int:
    """Hand in, with what was saved, the attempts still in progress of a closed assignment."""
    from .attempts import attempt_submit

    pending = list(Attempt.objects.filter(assignment=assignment, state=Attempt.State.IN_PROGRESS))
    for attempt in pending:
        attempt_submit(actor=None, attempt=attempt)
    return len(pending)


@transaction.atomic
def assignment_close(*, actor: Any, assignment: Assignment, now: dt.datetime | None = None) -> Assignment:
    """Close now: no new attempt; the attempts in progress are handed in with what was saved."""
    require_permission(actor, MANAGE_ASSIGNMENT, assignment, _("Vous n'enseignez pas dans cette classe."))
    now = now or timezone.now()
    locked = _lock_assignment(assignment)
    if locked.closes_at is not None and locked.closes_at <= now:
        return locked
    if locked.opens_at >= now:
        raise AssignmentError(
            _("Cet exercice n'est pas encore ouvert : changez ses dates, ou supprimez-le."), code="not_open"
        )
    locked.closes_at = now
    locked.save(update_fields=["closes_at"])
    _move_homework(locked)
    handed_in = _submit_in_progress(locked)
    journal.record(actor=actor, action="learning.assignment.closed", target=locked, data={"handed_in": handed_in})
    return locked


@transaction.atomic
def assignment_delete(*, actor: Any, assignment: Assignment, confirm: bool = False) -> None:
    """Delete an assignment and its cahier de textes line. With attempts, only when
    ``confirm`` is given: the pupils' attempts and grades are deleted with it."""
    require_permission(actor, MANAGE_ASSIGNMENT, assignment, _("Vous n'enseignez pas dans cette classe."))
    locked = _lock_assignment(assignment)
    pupils = Attempt.objects.filter(assignment=locked).values("student_id").distinct().count()
    if pupils and not confirm:
        raise AssignmentError(
            ngettext(
                "%(count)s élève a déjà commencé cet exercice : le supprimer efface aussi sa tentative et sa note. "
                "Confirmez si c'est bien ce que vous voulez ; sinon, fermez-le plutôt.",
                "%(count)s élèves ont déjà commencé cet exercice : le supprimer efface aussi leurs tentatives et "
                "leurs notes. Confirmez si c'est bien ce que vous voulez ; sinon, fermez-le plutôt.",
                pupils,
            )
            % {"count": pupils},
            code="has_attempts",
        )
    journal.record(
        actor=actor,
        action="learning.assignment.deleted",
        target=locked,
        data={"exercise": locked.exercise_id, "class": locked.school_class_id, "pupils": pupils},
    )
    Homework.objects.filter(assignment=locked).delete()
    locked.delete()


# --- grading -------------------------------------------------------------------------------------


@transaction.atomic
def attempt_rescore(attempt: Attempt) -> Attempt:
    """Recompute a submitted attempt's ``score``, ``max_score`` and ``needs_grading`` from its
    answers (a teacher's mark first). THE one place this is computed after a change of
    marks: call it inside the transaction that changed them (it locks the attempt row). An
    attempt in progress is left alone (it is scored when handed in)."""
    from .attempts import score_of

    locked = lock_for_update(Attempt.objects.filter(pk=attempt.pk)).get()
    if locked.state != Attempt.State.SUBMITTED:
        return locked
    answers = list(Answer.objects.filter(attempt=locked))
    score, needs = score_of(answers)
    max_score = sum((a.max_mark for a in answers), Decimal("0"))
    if (locked.score, locked.needs_grading, locked.max_score) != (score, needs, max_score):
        locked.score, locked.needs_grading, locked.max_score = score, needs, max_score
        locked.save(update_fields=["score", "needs_grading", "max_score"])
    attempt.score, attempt.needs_grading, attempt.max_score = score, needs, max_score
    return locked


@transaction.atomic
def answer_override(
    *, actor: Any, answer: Answer, mark: Any, comment: str = "", now: dt.datetime | None = None
) -> Answer:
    """A teacher's mark (``None`` or "": back to the automatic mark) and comment on one
    answer of a submitted attempt; the attempt's score follows."""
    require_permission(actor, GRADE, answer, _("Seuls les enseignants de la classe corrigent ses exercices."))
    now = now or timezone.now()
    try:
        attempt = lock_for_update(Attempt.objects.filter(pk=answer.attempt_id)).get()
    except Attempt.DoesNotExist:
        raise ValidationError(_("Cette tentative n'existe plus.")) from None
    if attempt.state != Attempt.State.SUBMITTED:
        raise AssignmentError(
            _("L'élève n'a pas encore rendu cette tentative : vous pourrez la corriger une fois rendue."),
            code="not_submitted",
        )
    fresh = Answer.objects.get(pk=answer.pk)
    if fresh.snapshot.get("qtype") == "description":
        raise ValidationError(_("Une description n'a pas de réponse à noter."))
    value = None if mark in (None, "") else parse_mark(mark, maximum=fresh.max_mark)
    text = _text(comment, "comment", max_length=MAX_COMMENT)
    before = (fresh.override_mark, fresh.override_comment)
    fresh.override_mark = value
    fresh.override_comment = text
    fresh.graded_by = actor
    fresh.graded_at = now
    try:
        with transaction.atomic():
            fresh.save(update_fields=["override_mark", "override_comment", "graded_by", "graded_at"])
    except IntegrityError as exc:  # the check constraint: never above the slot's points
        raise ValidationError(
            {"mark": _("La note doit être comprise entre 0 et %(max)s.") % {"max": french_decimal(fresh.max_mark)}}
        ) from exc
    attempt_rescore(attempt)
    journal.record(
        actor=actor,
        action="learning.answer.graded"
        if fresh.snapshot.get("qtype") in grading.MANUALLY_GRADED
        else "learning.answer.overridden",
        target=fresh,
        data={
            "attempt": attempt.pk,
            "slot": fresh.slot,
            "before": str(before[0]) if before[0] is not None else None,
            "mark": str(value) if value is not None else None,
            "comment": bool(text),
        },
    )
    answer.override_mark, answer.override_comment = fresh.override_mark, fresh.override_comment
    answer.graded_by, answer.graded_at = fresh.graded_by, fresh.graded_at
    return fresh


def essay_grade(*, actor: Any, answer: Answer, mark: Any, comment: str = "", now: dt.datetime | None = None) -> Answer:
    """Grade an essay: the same path as an override (the teacher's mark is the essay's mark)."""
    if answer.snapshot.get("qtype") not in grading.MANUALLY_GRADED:
        raise ValidationError(_("Cette réponse n'est pas une rédaction : elle est corrigée automatiquement."))
    if mark in (None, ""):
        raise ValidationError({"mark": _("Indiquez la note de la rédaction.")})
    return answer_override(actor=actor, answer=answer, mark=mark, comment=comment, now=now)
