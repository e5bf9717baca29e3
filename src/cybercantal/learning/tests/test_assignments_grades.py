"""Grades per grading method, training mode, pending essays, per-question success rates on
a hand-built data set, and the number of queries they take."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ..models import Attempt, GradingMethod
from ..queries import assignments as queries
from ..services import assignments as services
from .factories import make_student
from .factories_assignments import add_question, assignment_of, make_attempt

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def two_questions(teacher, klass):
    """An exercise of two single-choice questions worth 5 points each (max 10)."""
    assignment = assignment_of(teacher, klass, [])
    add_question(assignment.exercise, "single", D("5"), name="Q1")
    add_question(assignment.exercise, "single", D("5"), name="Q2")
    return assignment


@pytest.fixture
def three_attempts(two_questions, student):
    """Hugo scored 9, then 3, then 5 out of 10; a fourth attempt is in progress."""
    make_attempt(two_questions, student, [5, 4])
    make_attempt(two_questions, student, [3, 0])
    make_attempt(two_questions, student, [5, "blank"])
    make_attempt(two_questions, student, [1, 1], submitted=False)
    return two_questions


@pytest.mark.parametrize(
    ("method", "score", "on_20"),
    [
        (GradingMethod.HIGHEST, D("9.00"), D("18.00")),
        (GradingMethod.LAST, D("5.00"), D("10.00")),
        (GradingMethod.AVERAGE, D("5.67"), D("11.33")),
    ],
)
def test_grade_per_method(three_attempts, student, method, score, on_20):
    three_attempts.grading_method = method
    three_attempts.save()
    grade = queries.class_grades(three_attempts)[student.pk]
    assert grade.status == "graded"
    assert grade.score == score
    assert grade.max_score == D("10.00")
    assert grade.on_20 == on_20
    assert grade.submitted == 3
    assert grade.label == f"{on_20:.2f}".rstrip("0").rstrip(".").replace(".", ",") + " / 20"


def test_retained_attempt_is_the_best_or_the_last(three_attempts, student):
    attempts = {a.number: a.pk for a in Attempt.objects.filter(student=student)}
    assert queries.class_grades(three_attempts)[student.pk].attempt_id == attempts[1]
    three_attempts.grading_method = GradingMethod.LAST
    assert queries.class_grades(three_attempts)[student.pk].attempt_id == attempts[3]
    three_attempts.grading_method = GradingMethod.AVERAGE
    assert queries.retained_attempt_ids(three_attempts) is None


def test_highest_compares_shares_when_the_exercise_changed(two_questions, student):
    """An attempt at 6/10 beats one at 7/20 made after the exercise grew."""
    make_attempt(two_questions, student, [3, 3])
    add_question(two_questions.exercise, "single", D("10"))
    make_attempt(two_questions, student, [5, 2, 0])
    grade = queries.class_grades(two_questions)[student.pk]
    assert (grade.score, grade.max_score, grade.on_20) == (D("6.00"), D("10.00"), D("12.00"))


def test_training_has_no_grade(two_questions, student):
    two_questions.training = True
    two_questions.save()
    make_attempt(two_questions, student, [5, 5])
    grade = queries.class_grades(two_questions)[student.pk]
    assert grade.status == "training"
    assert grade.on_20 is None
    assert grade.label == "non noté (entraînement)"


def test_no_attempt_no_grade(two_questions, student):
    make_attempt(two_questions, student, [5, 5], submitted=False)
    assert student.pk not in queries.class_grades(two_questions)
    row = next(r for r in queries.pupil_rows(two_questions) if r.student.pk == student.pk)
    assert row.grade.status == "none"
    assert row.state == "in_progress"


@pytest.fixture
def with_essay(teacher, klass):
    assignment = assignment_of(teacher, klass, [])
    add_question(assignment.exercise, "single", D("2"))
    add_question(assignment.exercise, "essay", D("3"))
    return assignment


@pytest.mark.parametrize("method", list(GradingMethod))
def test_essay_waiting_makes_the_grade_pending(with_essay, student, teacher, method):
    with_essay.grading_method = method
    with_essay.save()
    make_attempt(with_essay, student, [2, 1])  # essay graded 1/3 by the teacher
    second = make_attempt(with_essay, student, [0, None])  # essay waiting
    assert second.score is None
    assert second.needs_grading
    grade = queries.class_grades(with_essay)[student.pk]
    assert grade.status == "pending"
    assert grade.label == "en attente de correction"
    essay = second.answers.get(slot=2)
    services.essay_grade(actor=teacher, answer=essay, mark="2,5", comment="Bien argumenté.")
    grade = queries.class_grades(with_essay)[student.pk]
    assert grade.status == "graded"
    expected = {"highest": D("12.00"), "last": D("10.00"), "average": D("11.00")}[method]
    assert grade.on_20 == expected


def test_grades_of_a_whole_class_in_one_query(two_questions, klass, django_assert_num_queries):
    pupils = [make_student(klass) for _ in range(6)]
    for index, pupil in enumerate(pupils):
        make_attempt(two_questions, pupil, [index % 6, 5])
        make_attempt(two_questions, pupil, [5, index % 4])
    for method in GradingMethod:
        two_questions.grading_method = method
        with django_assert_num_queries(1):
            grades = queries.class_grades(two_questions)
        assert len(grades) == 6


# --- success rates ---------------------------------------------------------------------------------


@pytest.fixture
def hand_built(two_questions, klass, student):
    """Hugo: 9 then 3 (retained with "highest": 5 and 4); Léa: 0 and blank; Tom: 2.5 and 5."""
    lea = make_student(klass, first_name="Léa", last_name="Albert")
    tom = make_student(klass, first_name="Tom", last_name="Vidal")
    make_student(klass, first_name="Zoé", last_name="Zanon")  # never started
    make_attempt(two_questions, student, [5, 4])
    make_attempt(two_questions, student, [3, 0])
    make_attempt(two_questions, lea, [0, "blank"])
    make_attempt(two_questions, tom, ["2.5", 5])
    return two_questions


def test_success_rate_per_question_over_retained_attempts(hand_built):
    stats = queries.question_stats(hand_built, queries.retained_attempt_ids(hand_built))
    q1, q2 = stats
    assert (q1.title, q1.percent, q1.right, q1.partial, q1.wrong, q1.blank, q1.attempts) == ("Q1", 50, 1, 1, 1, 0, 3)
    assert (q2.title, q2.percent, q2.right, q2.partial, q2.wrong, q2.blank, q2.answered) == ("Q2", 60, 1, 1, 0, 1, 2)
    assert q1.bar_width == 50


def test_success_rate_over_every_attempt_with_average(hand_built):
    hand_built.grading_method = GradingMethod.AVERAGE
    q1, q2 = queries.question_stats(hand_built, queries.retained_attempt_ids(hand_built))
    # Q1: 1, 0.6, 0, 0.5 -> 52.5 %; Q2: 0.8, 0, 0, 1 -> 45 %
    assert q1.mean == pytest.approx(0.525)
    assert q2.mean == pytest.approx(0.45)
    assert (q1.attempts, q2.wrong, q2.blank) == (4, 1, 1)


def test_success_rate_counts_overrides_and_pending_essays(with_essay, student, teacher, klass):
    other = make_student(klass)
    first = make_attempt(with_essay, student, [2, None])
    make_attempt(with_essay, other, [0, 3])
    services.answer_override(actor=teacher, answer=first.answers.get(slot=1), mark="1", comment="Presque.")
    with_essay.grading_method = GradingMethod.AVERAGE
    single, essay = queries.question_stats(with_essay, None)
    assert single.mean == pytest.approx(0.25)  # 1/2 then 0/2
    assert (single.partial, single.wrong) == (1, 1)
    assert essay.pending == 1
    assert essay.mean == pytest.approx(1.0)  # only the graded essay counts
    assert essay.right == 1


def test_removed_question_still_listed(hand_built):
    item = hand_built.exercise.items.order_by("position").first()
    services.exercise_remove_question(actor=None, item=item)
    stats = queries.question_stats(hand_built, queries.retained_attempt_ids(hand_built))
    assert [s.title for s in stats] == ["Q2", "Q1"]
    assert stats[1].position is None


def test_pupil_rows_list_everyone(hand_built, student):
    rows = queries.pupil_rows(hand_built)
    names = [r.student.last_name for r in rows]
    assert names == sorted(names)
    assert "Zanon" in names
    zoe = next(r for r in rows if r.student.last_name == "Zanon")
    assert zoe.state == "none"
    assert zoe.attempts == []
    assert zoe.grade.label == "—"
    hugo = next(r for r in rows if r.student.pk == student.pk)
    assert len(hugo.attempts) == 2
    assert hugo.minutes_spent == 20
    assert hugo.grade.on_20 == D("18.00")


def test_counts(hand_built, student):
    make_attempt(hand_built, student, [1, 1], submitted=False)
    counts = queries.assignment_counts(hand_built)
    assert (counts.pupils, counts.started, counts.submitted, counts.in_progress) == (4, 3, 3, 1)
