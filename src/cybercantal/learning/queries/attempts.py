"""Reads of part "attempts": a pupil's exercises, an attempt's slots, what a review may show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone

from .. import grading
from ..models import Answer, Assignment, Attempt, FeedbackTiming
from .assignments import retained_grade


def feedback_visible(assignment: Assignment, attempt: Attempt, *, now: dt.datetime | None = None) -> bool:
    """May the pupil (and their parents) see the correction of ``attempt``?

    - training: at once, everything;
    - immediate: each answer once saved, and the whole attempt once handed in;
    - after the attempt: once handed in;
    - after close: once the assignment is closed (an assignment without a close date: once
      handed in)."""
    if assignment.training:
        return True
    if attempt.state != Attempt.State.SUBMITTED:
        return assignment.feedback_timing == FeedbackTiming.IMMEDIATE
    if assignment.feedback_timing == FeedbackTiming.AFTER_CLOSE:
        return assignment.closes_at is None or assignment.closes_at <= (now or timezone.now())
    return True


def right_answers_visible(
    assignment: Assignment, attempt: Attempt, *, attempts_left: int | None, now: dt.datetime | None = None
) -> bool:
    """The right answers themselves are shown when they can no longer help a later attempt:
    in training, once the assignment is closed, or when no attempt is left."""
    if not feedback_visible(assignment, attempt, now=now):
        return False
    if assignment.training:
        return True
    closed = assignment.closes_at is not None and assignment.closes_at <= (now or timezone.now())
    return closed or attempts_left == 0


def retained_score(assignment: Assignment, attempts: list[Attempt]) -> Decimal | None:
    """The score that counts (out of ``retained_grade(...).max_score``), per the assignment's
    grading method: None while there is none — no handed-in attempt, an essay waiting for its
    grade, or training mode (not graded). The same rule as the teacher's results
    (``queries.assignments.retained_grade``)."""
    grade = retained_grade(assignment, attempts)
    return grade.score if grade.status == "graded" else None


@dataclass
class PupilAssignment:
    """One line of "Mes exercices"."""

    assignment: Assignment
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def in_progress(self) -> Attempt | None:
        return next((a for a in self.attempts if a.state == Attempt.State.IN_PROGRESS), None)

    @property
    def submitted(self) -> list[Attempt]:
        return [a for a in self.attempts if a.state == Attempt.State.SUBMITTED]

    @property
    def latest_submitted(self) -> Attempt | None:
        submitted = self.submitted
        return submitted[-1] if submitted else None


def pupil_assignments(student: Any, class_ids: frozenset[int] | set[int]) -> QuerySet[Assignment]:
    """Assignments given to the pupil's classes that have opened, with their exercise."""
    return (
        Assignment.objects.filter(school_class_id__in=class_ids, opens_at__lte=timezone.now())
        .select_related("exercise__subject", "school_class")
        .annotate(question_count=Count("exercise__items"))
    )


def open_assignments(student: Any, class_ids: frozenset[int] | set[int]) -> QuerySet[Assignment]:
    now = timezone.now()
    return (
        pupil_assignments(student, class_ids)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .order_by("closes_at", "pk")
    )


def closed_assignments(student: Any, class_ids: frozenset[int] | set[int]) -> QuerySet[Assignment]:
    return pupil_assignments(student, class_ids).filter(closes_at__lte=timezone.now()).order_by("-closes_at", "-pk")


def with_attempts(student: Any, assignments: list[Assignment]) -> list[PupilAssignment]:
    """Lines of "Mes exercices": each assignment with the pupil's attempts (one query)."""
    by_assignment: dict[int, list[Attempt]] = {a.pk: [] for a in assignments}
    if by_assignment:
        for attempt in (
            Attempt.objects.filter(student=student, assignment_id__in=list(by_assignment))
            .annotate(slot_count=Count("answers"))
            .order_by("number")
        ):
            by_assignment[attempt.assignment_id].append(attempt)
    return [PupilAssignment(assignment=a, attempts=by_assignment[a.pk]) for a in assignments]


@dataclass
class SlotState:
    slot: int
    qtype: str
    answered: bool

    @property
    def is_description(self) -> bool:
        return self.qtype == "description"


def slot_states(attempt: Attempt) -> list[SlotState]:
    """Every slot of the attempt, answered or not, without loading the snapshots (one query)."""
    rows = (
        Answer.objects.filter(attempt=attempt)
        .order_by("slot")
        .values_list("slot", KT("snapshot__qtype"), "answered_at")
    )
    return [
        SlotState(slot=slot, qtype=str(qtype or ""), answered=answered is not None) for slot, qtype, answered in rows
    ]


def resume_slots(attempts: list[Attempt]) -> dict[int, int]:
    """``resume_slot`` of several attempts in one query (the pupil's list of exercises)."""
    if not attempts:
        return {}
    states: dict[int, list[SlotState]] = {attempt.pk: [] for attempt in attempts}
    rows = (
        Answer.objects.filter(attempt_id__in=list(states))
        .order_by("attempt_id", "slot")
        .values_list("attempt_id", "slot", KT("snapshot__qtype"), "answered_at")
    )
    for attempt_id, slot, qtype, answered in rows:
        states[attempt_id].append(SlotState(slot=slot, qtype=str(qtype or ""), answered=answered is not None))
    return {attempt.pk: resume_slot(attempt, states[attempt.pk]) for attempt in attempts}


def resume_slot(attempt: Attempt, states: list[SlotState] | None = None) -> int:
    """Where a pupil comes back to an attempt (another device, the next day): the question
    after the last one answered, that is the next one still without an answer (descriptions
    are read, not answered); the last one visited when it is still unanswered, or when
    everything is answered."""
    states = states if states is not None else slot_states(attempt)
    if not states:
        return 1
    last = min(attempt.last_slot, states[-1].slot)
    here = next((state for state in states if state.slot == last), None)
    if here is not None and not here.answered and not here.is_description:
        return last
    waiting = [state.slot for state in states if not state.answered and not state.is_description]
    after = [slot for slot in waiting if slot > last]
    if after:
        return after[0]
    return waiting[0] if waiting else last


def review_grade(answer: Answer) -> grading.Grade | None:
    """The grade a review shows for ``answer``: the automatic grading's feedback and parts,
    with the fraction of the final mark (a teacher's override first)."""
    qtype = str(answer.snapshot.get("qtype", ""))
    if qtype == "description" or not answer.response:
        return None
    grade = (
        grading.grade(qtype, answer.snapshot.get("data") or {}, answer.response)
        if qtype in grading.AUTO_GRADED
        else grading.Grade(fraction=None)
    )
    final = answer.final_mark
    if final is not None and answer.max_mark:
        grade.fraction = (final / answer.max_mark).quantize(grading.FRACTION_PLACES)
    elif final is not None and qtype in grading.MANUALLY_GRADED:
        grade.fraction = grading.ONE if final > 0 else grading.ZERO
    return grade
