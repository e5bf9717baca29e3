"""Part "attempts": a pupil starts an assignment, answers question by question, submits.

Rules (each in one function below, each tested):

- ``attempt_start``: only a pupil of the assignment's class (``learning.attempt_assignment``),
  between the open and close dates, with attempts left (training: unlimited). An attempt
  in progress is *resumed*, never doubled: a double click or two devices at once meet the
  partial unique constraint ``attempt_one_in_progress`` and the loser gets the winner's
  attempt. Every question of the exercise is frozen (``grading.snapshot``) into one
  ``Answer`` row per slot, created up front, with the display order drawn once (questions
  shuffled if the assignment says so, descriptions staying in place; answers shuffled per
  question). ``deadline_at`` = the earlier of start + time limit and the close date.
- ``answer_save``: only the attempt's pupil, only while it is in progress and before its
  deadline (``GRACE`` seconds of network latency allowed). The response is stored and
  graded at once (essays wait for the teacher). Idempotent (the same response saved twice
  changes nothing); two devices saving the same slot meet a row lock on the attempt and end
  with one row. With immediate feedback or in training, the pupil may ask to check an
  answer (``check=True``) and sees its correction; with immediate feedback on a graded
  assignment a checked answer is final (in training it may be changed and checked again).
- ``attempt_submit``: idempotent; unanswered questions are worth 0, the score is the sum
  of the slots' marks, ``needs_grading`` while an answered essay has no mark (the score is
  then None).
- ``attempts_close_expired``: the periodic job (and the lazy check when a pupil opens an
  expired attempt): attempts past their deadline, or whose assignment closed, are submitted
  with what was saved.

Saving an answer writes no journal entry (it would be ten rows per pupil and exercise; the
answer row keeps ``answered_at``): starting and submitting do.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cybercantal.accounts.services import NotAllowed, require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update

from .. import grading
from ..models import Answer, Assignment, Attempt, ExerciseQuestion, FeedbackTiming

GRACE = dt.timedelta(seconds=15)  # network latency allowed after a deadline
CENT = Decimal("0.01")
CLOSE_BATCH = 500


class AttemptError(ValidationError):
    """A refusal with a French message. ``code``: ``not_open``, ``closed``, ``no_attempt_left``,
    ``empty``, ``submitted``, ``expired``, ``no_slot``, ``locked``, ``race``."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code)
        self.code = code


# --- reading the rules ---------------------------------------------------------------------------


def _day_and_hour(moment: dt.datetime, now: dt.datetime | None) -> tuple[str, str]:
    local = timezone.localtime(moment)
    today = timezone.localtime(now or timezone.now()).date()
    hour = f"{local.hour}\u00a0h" if local.minute == 0 else f"{local.hour}\u00a0h\u00a0{local.minute:02d}"
    if local.date() == today:
        day = _("aujourd'hui")
    elif local.date() == today + dt.timedelta(days=1):
        day = _("demain")
    elif local.year == today.year:
        day = date_format(local.date(), "l j F")
    else:
        day = date_format(local.date(), "l j F Y")
    return day, hour


def moment_text(moment: dt.datetime, *, now: dt.datetime | None = None) -> str:
    """ "vendredi 4 décembre à 18 h", "aujourd'hui à 18 h 30", "demain à 8 h"."""
    day, hour = _day_and_hour(moment, now)
    return _("%(day)s à %(hour)s") % {"day": day, "hour": hour}


def due_text(closes_at: dt.datetime, *, now: dt.datetime | None = None) -> str:
    """ "à rendre vendredi 4 décembre avant 18 h"."""
    day, hour = _day_and_hour(closes_at, now)
    return _("à rendre %(day)s avant %(hour)s") % {"day": day, "hour": hour}


def effective_deadline(attempt: Attempt, assignment: Assignment | None = None) -> dt.datetime | None:
    """When the attempt must be handed in: the earlier of start + time limit and the
    assignment's close date as it is now (a teacher may have moved it)."""
    assignment = assignment or attempt.assignment
    candidates = []
    if assignment.time_limit_minutes:
        candidates.append(attempt.started_at + dt.timedelta(minutes=assignment.time_limit_minutes))
    if assignment.closes_at:
        candidates.append(assignment.closes_at)
    return min(candidates) if candidates else None


def is_expired(attempt: Attempt, assignment: Assignment | None = None, *, now: dt.datetime | None = None) -> bool:
    deadline = effective_deadline(attempt, assignment)
    return deadline is not None and (now or timezone.now()) > deadline + GRACE


def attempts_left(assignment: Assignment, used: int) -> int | None:
    """How many attempts the pupil may still start; None: unlimited (training, or 0 allowed)."""
    if assignment.training or not assignment.attempts_allowed:
        return None
    return max(0, assignment.attempts_allowed - used)


def locks_answers(assignment: Assignment) -> bool:
    """With immediate feedback on a graded assignment, a checked answer is final."""
    return assignment.feedback_timing == FeedbackTiming.IMMEDIATE and not assignment.training


def shows_feedback_while_answering(assignment: Assignment) -> bool:
    """Training and immediate feedback: the pupil may check an answer before handing in."""
    return assignment.training or assignment.feedback_timing == FeedbackTiming.IMMEDIATE


def mark_for(fraction: Decimal | None, max_mark: Decimal) -> Decimal | None:
    if fraction is None:
        return None
    return max(Decimal("0"), fraction * max_mark).quantize(CENT, rounding=ROUND_HALF_UP)


def score_of(answers: list[Answer]) -> tuple[Decimal | None, bool]:
    """(score, needs_grading) of an attempt's answers: the sum of their marks (a teacher's
    override first); None while an answered essay waits for its mark."""
    needs = any(
        a.snapshot.get("qtype") in grading.MANUALLY_GRADED and a.response and a.final_mark is None for a in answers
    )
    if needs:
        return None, True
    return sum((a.final_mark or Decimal("0") for a in answers), Decimal("0")).quantize(CENT), False


# --- start -------------------------------------------------------------------------------------


def _check_open(assignment: Assignment, now: dt.datetime) -> None:
    if assignment.opens_at > now:
        raise AttemptError(
            _("Cet exercice n'est pas encore ouvert : il ouvre %(when)s.")
            % {"when": moment_text(assignment.opens_at, now=now)},
            code="not_open",
        )
    if assignment.closes_at and assignment.closes_at <= now:
        raise AttemptError(
            _("Cet exercice est fermé depuis %(when)s : il n'est plus possible de le faire.")
            % {"when": moment_text(assignment.closes_at, now=now)},
            code="closed",
        )


def _draw_order(items: list[ExerciseQuestion], *, shuffle: bool, rng: random.Random) -> list[ExerciseQuestion]:
    """The questions in the order of the attempt: shuffled if asked, a description (an
    introduction to what follows) keeping its place."""
    if not shuffle:
        return items
    movable = [item for item in items if item.question.qtype != "description"]
    rng.shuffle(movable)
    drawn = iter(movable)
    return [item if item.question.qtype == "description" else next(drawn) for item in items]


def attempt_start(*, actor: Any, assignment: Assignment, now: dt.datetime | None = None) -> Attempt:
    """Start an attempt at ``assignment`` for ``actor`` (a pupil of its class), or resume the
    one in progress. Raises ``AttemptError`` (French) before the open date, after the close
    date, with no attempt left, for an empty exercise."""
    require_permission(
        actor, "learning.attempt_assignment", assignment, message=_("Cet exercice n'est pas donné à votre classe.")
    )
    now = now or timezone.now()
    current = Attempt.objects.filter(assignment=assignment, student=actor, state=Attempt.State.IN_PROGRESS).first()
    if current is not None and not attempt_close_if_expired(attempt=current, now=now):
        return current
    return _start(actor=actor, assignment=assignment, now=now)


@transaction.atomic
def _start(*, actor: Any, assignment: Assignment, now: dt.datetime) -> Attempt:
    # The pupil's attempts read in ONE statement (one snapshot, even in READ COMMITTED): an
    # attempt that another request of the same pupil (a double click, a second device)
    # commits meanwhile is seen whole, as in progress, never as "one attempt already used".
    existing = Attempt.objects.filter(assignment=assignment, student=actor)
    rows = list(existing.values_list("pk", "state", "number"))
    in_progress = [pk for pk, state, _number in rows if state == Attempt.State.IN_PROGRESS]
    if in_progress:
        return Attempt.objects.get(pk=in_progress[0])
    _check_open(assignment, now)
    used = len(rows)
    left = attempts_left(assignment, used)
    if left == 0:
        raise AttemptError(
            ngettext(
                "Vous avez déjà fait votre tentative : cet exercice n'en permet qu'une.",
                "Vous avez déjà fait vos %(count)s tentatives : il n'en reste plus.",
                assignment.attempts_allowed,
            )
            % {"count": assignment.attempts_allowed},
            code="no_attempt_left",
        )
    items = list(
        ExerciseQuestion.objects.filter(exercise_id=assignment.exercise_id)
        .select_related("question")
        .order_by("position", "pk")
    )
    if not items:
        raise AttemptError(_("Cet exercice ne contient encore aucune question."), code="empty")
    number = max((number for _pk, _state, number in rows), default=0) + 1
    # Seeded by who and which attempt: two devices racing draw the same order, and a
    # second attempt draws another one.
    rng = random.Random(f"{assignment.pk}:{actor.pk}:{number}")  # noqa: S311 - display order, not a secret
    ordered = _draw_order(items, shuffle=assignment.shuffle_questions, rng=rng)
    attempt = Attempt(
        assignment=assignment,
        student=actor,
        number=number,
        started_at=now,
        max_score=sum((item.mark for item in ordered), Decimal("0")),
    )
    attempt.deadline_at = effective_deadline(attempt, assignment)
    try:
        with transaction.atomic():
            attempt.save()
            Answer.objects.bulk_create(
                [
                    Answer(
                        attempt=attempt,
                        slot=slot,
                        question=item.question,
                        snapshot=grading.snapshot(item.question, shuffle_answers=assignment.shuffle_answers, rng=rng),
                        max_mark=item.mark,
                    )
                    for slot, item in enumerate(ordered, start=1)
                ]
            )
    except IntegrityError as exc:
        # Another request of the same pupil (double click, second device) won the race.
        winner = Attempt.objects.filter(assignment=assignment, student=actor, state=Attempt.State.IN_PROGRESS).first()
        if winner is not None:
            return winner
        raise AttemptError(
            _("Une tentative vient d'être commencée ou rendue en même temps : rechargez la page."), code="race"
        ) from exc
    journal.record(
        actor=actor,
        action="learning.attempt.started",
        target=attempt,
        data={"assignment": assignment.pk, "number": number, "questions": len(ordered)},
    )
    return attempt


# --- answers -----------------------------------------------------------------------------------


def _locked_attempt(attempt: Attempt) -> Attempt:
    return lock_for_update(Attempt.objects.filter(pk=attempt.pk)).get()


@transaction.atomic
def answer_save(
    *,
    actor: Any,
    attempt: Attempt,
    slot: int,
    response: dict[str, Any] | None,
    check: bool = False,
    now: dt.datetime | None = None,
) -> Answer:
    """Save (and grade) the pupil's response to ``slot``; ``None`` clears it. ``check``: the
    pupil asks for the correction now (immediate feedback, training): the answer is marked
    checked; with immediate feedback on a graded assignment it is then final."""
    now = now or timezone.now()
    locked = _locked_attempt(attempt)
    if actor is None or locked.student_id != actor.pk:
        raise NotAllowed(_("Seul l'élève qui fait cette tentative peut y répondre."))
    if locked.state != Attempt.State.IN_PROGRESS:
        raise AttemptError(
            _("Cette tentative est déjà rendue : la réponse n'a pas pu être enregistrée."), code="submitted"
        )
    assignment = Assignment.objects.get(pk=locked.assignment_id)
    if is_expired(locked, assignment, now=now):
        raise AttemptError(
            _("Le temps est écoulé : la réponse n'a pas pu être enregistrée. Vos réponses précédentes sont gardées."),
            code="expired",
        )
    answer = Answer.objects.filter(attempt=locked, slot=slot).first()
    if answer is None:
        raise AttemptError(_("Cette question ne fait pas partie de la tentative."), code="no_slot")
    qtype = answer.snapshot.get("qtype")
    if qtype == "description" or not isinstance(response, dict) or not response:
        response = None
    if response != answer.response:
        if locks_answers(assignment) and answer.checked_at is not None:
            raise AttemptError(
                _("Cette réponse est déjà validée et corrigée : elle ne peut plus être changée."), code="locked"
            )
        answer.response = response
        answer.answered_at = now if response is not None else None
        if response is None or qtype not in grading.AUTO_GRADED:
            answer.fraction = None
            answer.mark = None
        else:
            fraction = grading.grade(qtype, answer.snapshot.get("data") or {}, response).fraction
            answer.fraction = fraction
            answer.mark = mark_for(fraction, answer.max_mark)
        answer.save(update_fields=["response", "answered_at", "fraction", "mark"])
    if (
        check
        and answer.response is not None
        and answer.checked_at is None
        and shows_feedback_while_answering(assignment)
    ):
        answer.checked_at = now
        answer.save(update_fields=["checked_at"])
    if locked.last_slot != slot:
        Attempt.objects.filter(pk=locked.pk).update(last_slot=slot)
    return answer


# --- submit ------------------------------------------------------------------------------------


def _finish(locked: Attempt, *, now: dt.datetime) -> Attempt:
    answers = list(Answer.objects.filter(attempt=locked))
    changed = []
    for answer in answers:
        qtype = answer.snapshot.get("qtype")
        if answer.mark is None and qtype in grading.AUTO_GRADED:
            answer.fraction = (
                grading.grade(qtype, answer.snapshot.get("data") or {}, answer.response).fraction
                if answer.response
                else Decimal("0")
            )
            answer.mark = mark_for(answer.fraction, answer.max_mark)
            changed.append(answer)
        elif qtype in grading.MANUALLY_GRADED and not answer.response and answer.mark is None:
            answer.fraction, answer.mark = Decimal("0"), Decimal("0")
            changed.append(answer)
    if changed:
        Answer.objects.bulk_update(changed, ["fraction", "mark"])
    locked.score, locked.needs_grading = score_of(answers)
    locked.max_score = sum((a.max_mark for a in answers), Decimal("0"))
    locked.state = Attempt.State.SUBMITTED
    locked.submitted_at = now
    locked.save(update_fields=["score", "needs_grading", "max_score", "state", "submitted_at"])
    return locked


@transaction.atomic
def attempt_submit(*, actor: Any, attempt: Attempt, now: dt.datetime | None = None) -> Attempt:
    """Hand the attempt in (the pupil; ``actor=None`` for the platform). Idempotent."""
    now = now or timezone.now()
    locked = _locked_attempt(attempt)
    if actor is not None and locked.student_id != actor.pk:
        raise NotAllowed(_("Seul l'élève qui fait cette tentative peut la rendre."))
    if locked.state == Attempt.State.SUBMITTED:
        return locked
    _finish(locked, now=now)
    journal.record(
        actor=actor,
        action="learning.attempt.submitted",
        target=locked,
        data={"score": str(locked.score) if locked.score is not None else None, "by": "pupil" if actor else "platform"},
    )
    return locked


@transaction.atomic
def attempt_close_if_expired(*, attempt: Attempt, now: dt.datetime | None = None) -> bool:
    """Submit ``attempt`` with what was saved if its time is over; True if it was closed now.
    A deadline that moved (the teacher changed the close date) is written down."""
    now = now or timezone.now()
    locked = _locked_attempt(attempt)
    if locked.state != Attempt.State.IN_PROGRESS:
        return False
    assignment = Assignment.objects.get(pk=locked.assignment_id)
    if not is_expired(locked, assignment, now=now):
        deadline = effective_deadline(locked, assignment)
        if deadline != locked.deadline_at:
            Attempt.objects.filter(pk=locked.pk).update(deadline_at=deadline)
        return False
    _finish(locked, now=now)
    journal.record(actor=None, action="learning.attempt.submitted", target=locked, data={"by": "deadline"})
    attempt.state = locked.state
    return True


def attempts_close_expired(*, now: dt.datetime | None = None) -> int:
    """Submit every attempt in progress whose time is over (deadline, or the assignment
    closed); returns how many. Safe to run twice at once (row lock, state re-read)."""
    now = now or timezone.now()
    limit = now - GRACE
    candidates = list(
        Attempt.objects.filter(state=Attempt.State.IN_PROGRESS)
        .filter(Q(deadline_at__lt=limit) | Q(assignment__closes_at__lt=limit))
        .order_by("deadline_at", "pk")
        .values_list("pk", flat=True)[:CLOSE_BATCH]
    )
    closed = 0
    for pk in candidates:
        closed += attempt_close_if_expired(attempt=Attempt(pk=pk), now=now)
    return closed
