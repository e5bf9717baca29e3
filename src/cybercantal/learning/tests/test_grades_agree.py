"""One grade rule: what the teacher's results show (``queries.assignments.class_grades``) and
what the pupil's "Mes exercices" shows (``queries.attempts.retained_score`` and the page's
line) agree on the same data, for every grading method, with a teacher's override, essays
waiting for a grade, an exercise changed between two attempts, and training mode."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from ..models import Attempt, GradingMethod
from ..queries import assignments as grades_queries
from ..queries import attempts as pupil_queries
from ..services import assignments as services
from ..views.attempts import _line
from .factories import make_student
from .factories_assignments import add_question, assignment_of, make_attempt

D = Decimal
pytestmark = pytest.mark.django_db

# Expected, computed by hand (see ``data``): grade out of 20, or the status when not graded.
EXPECTED = {
    GradingMethod.HIGHEST: {"A": D("18.00"), "B": "pending", "C": "pending", "D": D("14.00"), "G": D("12.00")},
    GradingMethod.LAST: {"A": D("10.00"), "B": "pending", "C": D("4.00"), "D": D("12.00"), "G": D("7.00")},
    GradingMethod.AVERAGE: {"A": D("11.33"), "B": "pending", "C": "pending", "D": D("13.00"), "G": D("9.50")},
}


@pytest.fixture
def data(teacher, klass, student):
    """An exercise of a single-choice question (5 points) and an essay (5 points):

    - A (Hugo): 9/10, 3/10, 5/10, and one in progress;
    - B: 5/10, then one whose essay waits for its grade;
    - C: one whose essay waits, then 2/10;
    - D: 4/10 raised to 7/10 by the teacher's override, then 6/10;
    - E: only an attempt in progress; F: nothing;
    - G: 6/10, then 7/20 after the teacher added a 10-point question."""
    assignment = assignment_of(teacher, klass, [])
    add_question(assignment.exercise, "single", D("5"))
    add_question(assignment.exercise, "essay", D("5"))
    pupils = {"A": student, **{name: make_student(klass, last_name=f"Élève {name}") for name in "BCDEFG"}}
    make_attempt(assignment, pupils["A"], [5, 4])
    make_attempt(assignment, pupils["A"], [3, 0])
    make_attempt(assignment, pupils["A"], [5, "blank"])
    make_attempt(assignment, pupils["A"], [1, 1], submitted=False)
    make_attempt(assignment, pupils["B"], [2, 3])
    make_attempt(assignment, pupils["B"], [4, None])
    make_attempt(assignment, pupils["C"], [5, None])
    make_attempt(assignment, pupils["C"], [1, 1])
    first = make_attempt(assignment, pupils["D"], [2, 2])
    services.answer_override(actor=teacher, answer=first.answers.get(slot=1), mark="5", comment="Bien vu.")
    make_attempt(assignment, pupils["D"], [3, 3])
    make_attempt(assignment, pupils["E"], [5, 5], submitted=False)
    make_attempt(assignment, pupils["G"], [3, 3])
    add_question(assignment.exercise, "single", D("10"))
    make_attempt(assignment, pupils["G"], [5, 2, 0])
    return assignment, pupils


def _attempts(assignment, pupil):
    return list(Attempt.objects.filter(assignment=assignment, student=pupil).order_by("number"))


def _pupil_line(assignment, pupil):
    """The pupil's line of "Mes exercices" for ``assignment``, as the page builds it."""
    mine = pupil_queries.pupil_assignments(pupil, {assignment.school_class_id}).get(pk=assignment.pk)
    return _line(pupil_queries.with_attempts(pupil, [mine])[0], timezone.now(), {})


@pytest.mark.parametrize("method", list(GradingMethod))
def test_teacher_results_and_pupil_page_agree(data, method):
    assignment, pupils = data
    assignment.grading_method = method
    assignment.save()
    teacher_side = grades_queries.class_grades(assignment)
    assert set(teacher_side) == {pupils[name].pk for name in "ABCDG"}  # E and F handed nothing in
    for name, pupil in pupils.items():
        attempts = _attempts(assignment, pupil)
        grade = teacher_side.get(pupil.pk, grades_queries.RetainedGrade("none"))
        # The same rule on the pupil's own attempts (in progress ones included) ...
        assert grades_queries.retained_grade(assignment, attempts) == grade, name
        score = pupil_queries.retained_score(assignment, attempts)
        assert score == (grade.score if grade.status == "graded" else None), name
        # ... and what "Mes exercices" shows the pupil.
        line = _pupil_line(assignment, pupil)
        assert line["score"] == score, name
        assert line["grade_pending"] == (grade.status == "pending"), name
        if grade.status == "graded":
            assert line["max_score"] == grade.max_score, name
        # The figures themselves, computed by hand.
        expected = EXPECTED[method].get(name, "none")
        assert (grade.on_20 if grade.status == "graded" else grade.status) == expected, (name, grade)


def test_highest_compares_shares_on_both_sides(data):
    """G: 6/10 beats 7/20 — the pupil's page no longer shows the larger raw score."""
    assignment, pupils = data
    assert pupil_queries.retained_score(assignment, _attempts(assignment, pupils["G"])) == D("6.00")
    assert grades_queries.class_grades(assignment)[pupils["G"].pk].max_score == D("10.00")


def test_training_is_graded_on_neither_side(data):
    assignment, pupils = data
    assignment.training = True
    assignment.save()
    teacher_side = grades_queries.class_grades(assignment)
    for name in "ABCDG":
        pupil = pupils[name]
        assert teacher_side[pupil.pk].status == "training"
        assert teacher_side[pupil.pk].on_20 is None
        assert pupil_queries.retained_score(assignment, _attempts(assignment, pupil)) is None
        line = _pupil_line(assignment, pupil)
        assert line["score"] is None
        assert not line["grade_pending"]
