"""Attempts: start or resume, save and grade answers, hand in, close what is over."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.db import IntegrityError
from django.utils import timezone

from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry

from ..models import Answer, Attempt, FeedbackTiming
from ..services import attempts as services
from .factories import make_student
from .factories_attempts import ALL_QTYPES, RIGHT, WRONG, assignment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def assignment(klass, teacher):
    return assignment_for(klass, teacher)


def answer_all(attempt, student, responses):
    for answer in attempt.answers.order_by("slot"):
        qtype = answer.snapshot["qtype"]
        services.answer_save(actor=student, attempt=attempt, slot=answer.slot, response=responses[qtype])


# --- start ---------------------------------------------------------------------------------------


def test_start_freezes_every_question_into_one_answer_row_per_slot(assignment, student):
    attempt = services.attempt_start(actor=student, assignment=assignment)
    answers = list(attempt.answers.order_by("slot"))
    assert [a.slot for a in answers] == list(range(1, len(ALL_QTYPES) + 1))
    assert [a.snapshot["qtype"] for a in answers] == ALL_QTYPES
    assert all(a.response is None and a.mark is None for a in answers)
    assert [a.max_mark for a in answers] == [Decimal("1")] * 9 + [Decimal("0")]
    assert attempt.number == 1
    assert attempt.max_score == Decimal("9")
    assert attempt.deadline_at == assignment.closes_at
    assert JournalEntry.objects.filter(action="learning.attempt.started", target_id=str(attempt.pk)).exists()


def test_the_snapshot_does_not_change_when_the_bank_does(assignment, student):
    attempt = services.attempt_start(actor=student, assignment=assignment)
    question = attempt.answers.get(slot=1).question
    question.text = "Modifiée"
    question.save()
    assert attempt.answers.get(slot=1).snapshot["text"] == "Quelle est la bonne réponse ?"


def test_a_second_start_resumes_the_attempt_in_progress(assignment, student):
    first = services.attempt_start(actor=student, assignment=assignment)
    services.answer_save(actor=student, attempt=first, slot=4, response={"text": "x"})
    again = services.attempt_start(actor=student, assignment=assignment)
    assert again.pk == first.pk
    assert again.last_slot == 4
    assert Attempt.objects.count() == 1
    assert Answer.objects.count() == len(ALL_QTYPES)


def test_a_race_lost_on_the_constraint_returns_the_winner(assignment, student):
    assignment.attempts_allowed = 3
    assignment.save()
    winner = services.attempt_start(actor=student, assignment=assignment)
    # The other request did not see the winner when it looked (twice), and then met the
    # constraint (the real race runs on PostgreSQL in test_attempts_postgres).
    real_filter = Attempt.objects.filter
    calls = {"n": 0}

    def filter_hiding_once(*args, **kwargs):
        calls["n"] += 1
        queryset = real_filter(*args, **kwargs)
        return queryset.none() if calls["n"] <= 2 else queryset

    with mock.patch.object(Attempt.objects, "filter", side_effect=filter_hiding_once):
        again = services.attempt_start(actor=student, assignment=assignment)
    assert again.pk == winner.pk
    assert Attempt.objects.count() == 1


def test_the_shuffled_order_is_drawn_once_and_kept(klass, teacher, student):
    assignment = assignment_for(klass, teacher, shuffle_questions=True, shuffle_answers=True)
    attempt = services.attempt_start(actor=student, assignment=assignment)
    order = list(attempt.answers.order_by("slot").values_list("snapshot__qtype", flat=True))
    assert sorted(order) == sorted(ALL_QTYPES)
    assert order.index("description") == ALL_QTYPES.index("description")  # descriptions keep their place
    single = attempt.answers.get(snapshot__qtype="single").snapshot
    assert sorted(single["display"]["choices"]) == ["a", "b", "c"]
    # Resuming (another device) shows the same order.
    again = services.attempt_start(actor=student, assignment=assignment)
    assert list(again.answers.order_by("slot").values_list("snapshot__qtype", flat=True)) == order


def test_start_is_refused_to_a_pupil_of_another_class(assignment, outsider_student, teacher, parent):
    for person in (outsider_student, teacher, parent):
        with pytest.raises(NotAllowed):
            services.attempt_start(actor=person, assignment=assignment)


def test_start_before_the_open_date_and_after_the_close_date(klass, teacher, student):
    now = timezone.now()
    later = assignment_for(
        klass, teacher, ["single"], opens_at=now + dt.timedelta(days=2), closes_at=now + dt.timedelta(days=3)
    )
    with pytest.raises(services.AttemptError, match="pas encore ouvert") as exc:
        services.attempt_start(actor=student, assignment=later)
    assert exc.value.code == "not_open"
    over = assignment_for(
        klass, teacher, ["single"], opens_at=now - dt.timedelta(days=3), closes_at=now - dt.timedelta(days=1)
    )
    with pytest.raises(services.AttemptError, match="fermé") as exc:
        services.attempt_start(actor=student, assignment=over)
    assert exc.value.code == "closed"


def test_attempts_allowed_then_none_left_but_training_is_unlimited(klass, teacher, student):
    two = assignment_for(klass, teacher, ["single"], attempts_allowed=2)
    for number in (1, 2):
        attempt = services.attempt_start(actor=student, assignment=two)
        assert attempt.number == number
        services.attempt_submit(actor=student, attempt=attempt)
    with pytest.raises(services.AttemptError, match="2 tentatives") as exc:
        services.attempt_start(actor=student, assignment=two)
    assert exc.value.code == "no_attempt_left"
    training = assignment_for(klass, teacher, ["single"], attempts_allowed=1, training=True)
    for _ in range(4):
        services.attempt_submit(actor=student, attempt=services.attempt_start(actor=student, assignment=training))
    assert Attempt.objects.filter(assignment=training).count() == 4


def test_an_empty_exercise_cannot_be_started(klass, teacher, student):
    assignment = assignment_for(klass, teacher, [])
    with pytest.raises(services.AttemptError, match="aucune question"):
        services.attempt_start(actor=student, assignment=assignment)


def test_the_deadline_is_the_earlier_of_the_time_limit_and_the_close_date(klass, teacher, student):
    now = timezone.now()
    timed = assignment_for(klass, teacher, ["single"], time_limit_minutes=20, closes_at=now + dt.timedelta(hours=2))
    attempt = services.attempt_start(actor=student, assignment=timed, now=now)
    assert attempt.deadline_at == now + dt.timedelta(minutes=20)
    short = assignment_for(klass, teacher, ["single"], time_limit_minutes=60, closes_at=now + dt.timedelta(minutes=10))
    attempt = services.attempt_start(actor=student, assignment=short, now=now)
    assert attempt.deadline_at == short.closes_at
    open_ended = assignment_for(klass, teacher, ["single"], closes_at=None)
    assert services.attempt_start(actor=student, assignment=open_ended).deadline_at is None


def test_an_expired_attempt_is_handed_in_when_the_pupil_starts_again(klass, teacher, student):
    now = timezone.now()
    timed = assignment_for(klass, teacher, ["single"], time_limit_minutes=10, attempts_allowed=2)
    first = services.attempt_start(actor=student, assignment=timed, now=now - dt.timedelta(minutes=30))
    second = services.attempt_start(actor=student, assignment=timed, now=now)
    first.refresh_from_db()
    assert first.state == Attempt.State.SUBMITTED
    assert second.number == 2


# --- answers -----------------------------------------------------------------------------------


def test_each_answer_is_graded_when_saved(assignment, student):
    attempt = services.attempt_start(actor=student, assignment=assignment)
    answer_all(attempt, student, RIGHT)
    marks = {a.snapshot["qtype"]: a for a in attempt.answers.all()}
    for qtype in ("single", "multiple", "truefalse", "short", "numerical", "matching", "ordering", "cloze"):
        assert marks[qtype].fraction == Decimal("1"), qtype
        assert marks[qtype].mark == Decimal("1"), qtype
        assert marks[qtype].answered_at is not None
    assert marks["essay"].mark is None
    assert marks["essay"].response == RIGHT["essay"]
    assert marks["description"].response is None
    attempt.refresh_from_db()
    assert attempt.last_slot == len(ALL_QTYPES)


def test_partial_credit_and_marks_follow_the_max_mark(klass, teacher, student):
    assignment = assignment_for(klass, teacher, ["matching", "numerical"])
    assignment.exercise.items.update(mark=Decimal("3"))
    attempt = services.attempt_start(actor=student, assignment=assignment)
    matching = services.answer_save(actor=student, attempt=attempt, slot=1, response=WRONG["matching"])
    assert matching.fraction == Decimal("0.3333333")
    assert matching.mark == Decimal("1.00")
    numerical = services.answer_save(actor=student, attempt=attempt, slot=2, response={"value": "3"})
    assert numerical.mark == Decimal("1.50")


def test_saving_is_idempotent_and_a_change_replaces_the_answer(assignment, student):
    attempt = services.attempt_start(actor=student, assignment=assignment)
    first = services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "a"})
    again = services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "a"})
    assert again.answered_at == first.answered_at
    assert again.mark == Decimal("1")
    changed = services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "b"})
    assert changed.mark == Decimal("0")
    assert Answer.objects.filter(attempt=attempt, slot=1).count() == 1
    cleared = services.answer_save(actor=student, attempt=attempt, slot=1, response=None)
    assert cleared.response is None
    assert cleared.answered_at is None
    assert cleared.mark is None


def test_only_the_pupil_saves_while_in_progress(assignment, student, teacher, klass):
    attempt = services.attempt_start(actor=student, assignment=assignment)
    classmate = make_student(klass)
    for person in (teacher, classmate, None):
        with pytest.raises(NotAllowed):
            services.answer_save(actor=person, attempt=attempt, slot=1, response={"choice": "a"})
    with pytest.raises(services.AttemptError) as exc:
        services.answer_save(actor=student, attempt=attempt, slot=99, response={"choice": "a"})
    assert exc.value.code == "no_slot"
    services.attempt_submit(actor=student, attempt=attempt)
    with pytest.raises(services.AttemptError, match="déjà rendue") as exc:
        services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "a"})
    assert exc.value.code == "submitted"


def test_saving_after_the_deadline_is_refused_after_a_short_grace(klass, teacher, student):
    now = timezone.now()
    timed = assignment_for(klass, teacher, ["single"], time_limit_minutes=10)
    attempt = services.attempt_start(actor=student, assignment=timed, now=now)
    deadline = now + dt.timedelta(minutes=10)
    services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "a"}, now=deadline)
    services.answer_save(
        actor=student, attempt=attempt, slot=1, response={"choice": "b"}, now=deadline + services.GRACE
    )
    with pytest.raises(services.AttemptError, match="temps est écoulé") as exc:
        services.answer_save(
            actor=student,
            attempt=attempt,
            slot=1,
            response={"choice": "c"},
            now=deadline + services.GRACE + dt.timedelta(seconds=1),
        )
    assert exc.value.code == "expired"
    assert Answer.objects.get(attempt=attempt, slot=1).response == {"choice": "b"}


def test_immediate_feedback_makes_a_checked_answer_final(klass, teacher, student):
    assignment = assignment_for(klass, teacher, ["single", "short"], feedback_timing=FeedbackTiming.IMMEDIATE)
    attempt = services.attempt_start(actor=student, assignment=assignment)
    services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "b"})
    services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "c"})  # not checked: free
    checked = services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "c"}, check=True)
    assert checked.checked_at is not None
    services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "c"})  # same: fine
    with pytest.raises(services.AttemptError, match="déjà validée") as exc:
        services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "a"})
    assert exc.value.code == "locked"


def test_training_lets_the_pupil_check_and_change_again(klass, teacher, student):
    assignment = assignment_for(klass, teacher, ["single"], training=True)
    attempt = services.attempt_start(actor=student, assignment=assignment)
    services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "b"}, check=True)
    changed = services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "a"}, check=True)
    assert changed.mark == Decimal("1")


def test_check_means_nothing_when_feedback_comes_later(assignment, student):
    attempt = services.attempt_start(actor=student, assignment=assignment)
    answer = services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "a"}, check=True)
    assert answer.checked_at is None


# --- submit --------------------------------------------------------------------------------------


def test_submit_sums_the_marks_and_waits_for_the_essay(assignment, student):
    attempt = services.attempt_start(actor=student, assignment=assignment)
    answer_all(attempt, student, RIGHT)
    done = services.attempt_submit(actor=student, attempt=attempt)
    assert done.state == Attempt.State.SUBMITTED
    assert done.submitted_at is not None
    assert done.needs_grading
    assert done.score is None
    assert done.max_score == Decimal("9")
    # The teacher grades the essay (part "assignments"); the score is then the sum.
    essay = done.answers.get(snapshot__qtype="essay")
    essay.override_mark = Decimal("0.5")
    essay.save()
    assert services.score_of(list(done.answers.all())) == (Decimal("8.50"), False)


def test_submit_is_idempotent_and_unanswered_questions_are_worth_zero(klass, teacher, student):
    assignment = assignment_for(klass, teacher, ["single", "short", "essay"])
    attempt = services.attempt_start(actor=student, assignment=assignment)
    services.answer_save(actor=student, attempt=attempt, slot=1, response={"choice": "a"})
    done = services.attempt_submit(actor=student, attempt=attempt)
    assert done.score == Decimal("1.00")
    assert not done.needs_grading
    assert list(done.answers.order_by("slot").values_list("mark", flat=True)) == [
        Decimal("1"),
        Decimal("0"),
        Decimal("0"),
    ]
    submitted_at = done.submitted_at
    again = services.attempt_submit(actor=student, attempt=attempt)
    assert again.submitted_at == submitted_at
    assert JournalEntry.objects.filter(action="learning.attempt.submitted", target_id=str(attempt.pk)).count() == 1


def test_only_the_pupil_or_the_platform_hands_in(assignment, student, teacher):
    attempt = services.attempt_start(actor=student, assignment=assignment)
    with pytest.raises(NotAllowed):
        services.attempt_submit(actor=teacher, attempt=attempt)
    assert services.attempt_submit(actor=None, attempt=attempt).state == Attempt.State.SUBMITTED


# --- closing what is over ----------------------------------------------------------------------


def test_the_job_hands_in_expired_attempts_with_what_was_saved(klass, teacher, student):
    now = timezone.now()
    timed = assignment_for(klass, teacher, ["single", "short"], time_limit_minutes=10)
    late = services.attempt_start(actor=student, assignment=timed, now=now - dt.timedelta(minutes=30))
    services.answer_save(
        actor=student, attempt=late, slot=1, response={"choice": "a"}, now=now - dt.timedelta(minutes=25)
    )
    other = make_student(klass)
    fresh = services.attempt_start(actor=other, assignment=timed, now=now)
    assert services.attempts_close_expired(now=now) == 1
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert late.state == Attempt.State.SUBMITTED
    assert late.score == Decimal("1.00")
    assert fresh.state == Attempt.State.IN_PROGRESS
    assert services.attempts_close_expired(now=now) == 0  # twice: nothing more


def test_the_job_closes_attempts_of_an_assignment_that_closed(klass, teacher, student):
    assignment = assignment_for(klass, teacher, ["single"], closes_at=None)
    attempt = services.attempt_start(actor=student, assignment=assignment)
    assignment.closes_at = timezone.now() - dt.timedelta(minutes=5)
    assignment.save()
    assert services.attempts_close_expired() == 1
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.SUBMITTED


def test_a_close_date_moved_later_keeps_the_attempt_open(klass, teacher, student):
    now = timezone.now()
    assignment = assignment_for(klass, teacher, ["single"], closes_at=now + dt.timedelta(hours=1))
    attempt = services.attempt_start(actor=student, assignment=assignment)
    assignment.closes_at = now + dt.timedelta(days=2)
    assignment.save()
    assert services.attempts_close_expired(now=now + dt.timedelta(hours=2)) == 0
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.IN_PROGRESS
    assert attempt.deadline_at == assignment.closes_at


def test_the_job_is_registered():
    from ..jobs import attempts as job

    with mock.patch.object(services, "attempts_close_expired", return_value=3):
        assert job.learning_close_expired_attempts.call() == 3


def test_due_text_says_the_day_and_hour_plainly():
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=paris)
    friday = dt.datetime(2026, 12, 4, 18, 0, tzinfo=paris)
    assert services.due_text(friday, now=now) == "à rendre vendredi 4 décembre avant 18\u00a0h"
    assert services.due_text(dt.datetime(2026, 12, 1, 17, 30, tzinfo=paris), now=now) == (
        "à rendre aujourd'hui avant 17\u00a0h\u00a030"
    )
    assert services.due_text(dt.datetime(2026, 12, 2, 8, 0, tzinfo=paris), now=now) == "à rendre demain avant 8\u00a0h"
    assert "2027" in services.due_text(dt.datetime(2027, 1, 5, 8, 0, tzinfo=paris), now=now)


def test_an_integrity_error_other_than_the_race_is_a_french_error(assignment, student):
    with (
        mock.patch.object(Answer.objects, "bulk_create", side_effect=IntegrityError("boom")),
        pytest.raises(services.AttemptError, match="rechargez la page"),
    ):
        services.attempt_start(actor=student, assignment=assignment)
