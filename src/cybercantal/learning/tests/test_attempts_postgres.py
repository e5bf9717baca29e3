"""Attempts under real parallel connections (PostgreSQL): a whole class starting the same
exercise in the same second, a double start from two devices, two devices saving the same
answer, two job runs at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cybercantal.accounts.models import User
from cybercantal.core.models import JournalEntry
from cybercantal.core.testing import run_in_parallel

from ..models import Answer, Assignment, Attempt
from ..services import attempts as services
from .factories import make_student
from .factories_attempts import assignment_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _start(args: tuple[int, int]) -> str | int:
    user_id, assignment_id = args
    try:
        user = User.objects.get(pk=user_id)  # each "request" reads its own user
        attempt = services.attempt_start(actor=user, assignment=Assignment.objects.get(pk=assignment_id))
    except Exception as exc:  # noqa: BLE001 - reported, not raised, to count them
        return f"error: {exc!r}"
    return attempt.pk


def test_thirty_pupils_start_the_same_assignment_in_the_same_second(klass, teacher):
    assignment = assignment_for(klass, teacher, ["single", "short", "matching", "ordering", "cloze"])
    pupils = [make_student(klass) for _ in range(30)]
    results = run_in_parallel(_start, [(p.pk, assignment.pk) for p in pupils], timeout=120)
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 30
    assert Attempt.objects.filter(assignment=assignment).count() == 30
    assert Answer.objects.filter(attempt__assignment=assignment).count() == 30 * 5


def test_one_pupil_starting_from_two_devices_at_once_gets_one_attempt(klass, teacher, student):
    for _ in range(3):  # several rounds: the race is won differently each time
        assignment = assignment_for(klass, teacher, ["single", "essay"], attempts_allowed=1)
        results = run_in_parallel(_start, [(student.pk, assignment.pk)] * 4, timeout=60)
        assert all(isinstance(r, int) for r in results), results
        assert len(set(results)) == 1
        assert Attempt.objects.filter(assignment=assignment, student=student).count() == 1
        assert Answer.objects.filter(attempt__assignment=assignment).count() == 2


def test_two_devices_saving_the_same_slot_at_once_end_with_one_row(klass, teacher, student):
    assignment = assignment_for(klass, teacher, ["short"])
    attempt = services.attempt_start(actor=student, assignment=assignment)
    texts = ["Aurillac", "Saint-Flour", "Mauriac", "Murat"]

    def save(text: str) -> str:
        try:
            user = User.objects.get(pk=student.pk)
            services.answer_save(actor=user, attempt=Attempt(pk=attempt.pk), slot=1, response={"text": text})
        except Exception as exc:  # noqa: BLE001 - reported, not raised, to count them
            return f"error: {exc!r}"
        return "ok"

    assert run_in_parallel(save, texts, timeout=60) == ["ok"] * 4
    rows = list(Answer.objects.filter(attempt=attempt, slot=1))
    assert len(rows) == 1
    assert rows[0].response["text"] in texts
    assert (rows[0].mark == 1) == (rows[0].response["text"] == "Aurillac")


def test_the_job_twice_at_once_and_a_pupil_handing_in_close_each_attempt_once(klass, teacher):
    assignment = assignment_for(klass, teacher, ["single"], time_limit_minutes=5)
    started = timezone.now() - dt.timedelta(minutes=20)
    pupils = [make_student(klass) for _ in range(6)]
    attempts = [services.attempt_start(actor=p, assignment=assignment, now=started) for p in pupils]

    def act(who: str) -> str:
        try:
            if who == "pupil":
                services.attempt_submit(actor=User.objects.get(pk=pupils[0].pk), attempt=Attempt(pk=attempts[0].pk))
            else:
                services.attempts_close_expired()
        except Exception as exc:  # noqa: BLE001 - reported, not raised, to count them
            return f"error: {exc!r}"
        return "ok"

    assert run_in_parallel(act, ["job", "job", "pupil"], timeout=60) == ["ok"] * 3
    assert not Attempt.objects.filter(state=Attempt.State.IN_PROGRESS).exists()
    for attempt in attempts:
        assert JournalEntry.objects.filter(action="learning.attempt.submitted", target_id=str(attempt.pk)).count() == 1
