"""Services of part "assignments": each rule and its French message."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry

from ..models import Assignment, Attempt, Exercise, ExerciseQuestion, FeedbackTiming, GradingMethod, Homework
from ..services import assignments as services
from .factories import QuestionFactory, SubjectFactory, make_teacher, teach
from .factories_assignments import add_question, assignment_of, make_attempt

D = Decimal
PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


def positions(exercise: Exercise) -> list[tuple[int, int]]:
    return list(
        ExerciseQuestion.objects.filter(exercise=exercise).order_by("position").values_list("position", "question_id")
    )


@pytest.fixture
def exercise(teacher, school, maths):
    return services.exercise_create(actor=teacher, title="Fractions", instructions="Prends ton temps.", subject=maths)


def own_question(teacher, school, **fields):
    return QuestionFactory(owner=teacher, school=school, **fields)


# --- exercises -----------------------------------------------------------------------------------


def test_exercise_create(exercise, teacher, school, maths):
    assert (exercise.owner, exercise.school, exercise.subject, exercise.title) == (teacher, school, maths, "Fractions")
    assert JournalEntry.objects.filter(action="learning.exercise.created").exists()


@pytest.mark.parametrize("who", ["student", "parent", "school_staff", "head"])
def test_only_teachers_create_exercises(request, who):
    with pytest.raises(NotAllowed):
        services.exercise_create(actor=request.getfixturevalue(who), title="X")


def test_exercise_needs_a_title_and_a_subject_one_teaches(teacher):
    with pytest.raises(ValidationError) as error:
        services.exercise_create(actor=teacher, title="   ")
    assert error.value.message_dict["title"] == ["Donnez un titre à l'exercice."]
    with pytest.raises(ValidationError) as error:
        services.exercise_create(actor=teacher, title="X", subject=SubjectFactory())
    assert "Choisissez une matière que vous enseignez." in error.value.message_dict["subject"]
    with pytest.raises(ValidationError):
        services.exercise_create(actor=teacher, title="x" * 201)


def test_other_teachers_cannot_change_an_exercise(exercise, outsider_teacher, klass, maths):
    colleague = make_teacher(klass, maths)
    for actor in (colleague, outsider_teacher):
        with pytest.raises(NotAllowed, match="n'est pas à vous"):
            services.exercise_update(actor=actor, exercise=exercise, title="Pris")
        with pytest.raises(NotAllowed):
            services.exercise_add_questions(
                actor=actor, exercise=exercise, questions=[own_question(actor, exercise.school)]
            )


def test_add_own_and_shared_questions(exercise, teacher, school, klass, maths):
    colleague = make_teacher(klass, maths)
    mine = own_question(teacher, school, default_mark=D("2"))
    shared = own_question(colleague, school, shared=True)
    intro = own_question(teacher, school, qtype="description", default_mark=D("1"))
    added = services.exercise_add_questions(actor=teacher, exercise=exercise, questions=[mine, shared, intro, mine])
    assert [(i.position, i.question_id, i.mark) for i in added] == [
        (1, mine.pk, D("2")),
        (2, shared.pk, D("1")),
        (3, intro.pk, D("0")),
    ]
    again = services.exercise_add_questions(actor=teacher, exercise=exercise, questions=[shared])
    assert again == []  # already there: skipped, not doubled
    assert ExerciseQuestion.objects.filter(exercise=exercise).count() == 3


def test_add_with_a_fixed_mark(exercise, teacher, school):
    questions = [own_question(teacher, school) for _ in range(3)]
    services.exercise_add_questions(actor=teacher, exercise=exercise, questions=questions, mark="2,5")
    assert set(exercise.items.values_list("mark", flat=True)) == {D("2.5")}
    with pytest.raises(ValidationError) as error:
        services.exercise_add_questions(
            actor=teacher, exercise=exercise, questions=[own_question(teacher, school)], mark="-1"
        )
    assert error.value.message_dict["mark"] == ["Une note ne peut pas être négative."]
    with pytest.raises(ValidationError):
        services.exercise_add_questions(
            actor=teacher, exercise=exercise, questions=[own_question(teacher, school)], mark="abc"
        )


def test_cannot_add_unshared_retired_or_other_schools_questions(
    exercise, teacher, school, klass, maths, outsider_teacher
):
    colleague = make_teacher(klass, maths)
    private = own_question(colleague, school, shared=False)
    with pytest.raises(NotAllowed, match="n'est pas partagée avec vous"):
        services.exercise_add_questions(actor=teacher, exercise=exercise, questions=[private])
    elsewhere = own_question(outsider_teacher, outsider_teacher.school_members.first().school, shared=True)
    with pytest.raises(NotAllowed):
        services.exercise_add_questions(actor=teacher, exercise=exercise, questions=[elsewhere])
    retired = own_question(teacher, school, retired=True)
    with pytest.raises(ValidationError, match="retirée de la banque"):
        services.exercise_add_questions(actor=teacher, exercise=exercise, questions=[retired])
    with pytest.raises(ValidationError, match="Cochez au moins une question"):
        services.exercise_add_questions(actor=teacher, exercise=exercise, questions=[])
    assert not exercise.items.exists()


def test_move_remove_keep_positions_dense(exercise, teacher, school):
    q = [own_question(teacher, school) for _ in range(4)]
    services.exercise_add_questions(actor=teacher, exercise=exercise, questions=q)
    items = {i.question_id: i for i in exercise.items.all()}
    services.exercise_move_question(actor=teacher, item=items[q[3].pk], direction="up")
    assert positions(exercise) == [(1, q[0].pk), (2, q[1].pk), (3, q[3].pk), (4, q[2].pk)]
    services.exercise_move_question(actor=teacher, item=items[q[0].pk], direction="up")  # already first
    services.exercise_move_question(actor=teacher, item=items[q[0].pk], position=99)
    assert positions(exercise) == [(1, q[1].pk), (2, q[3].pk), (3, q[2].pk), (4, q[0].pk)]
    services.exercise_remove_question(actor=teacher, item=items[q[3].pk])
    assert positions(exercise) == [(1, q[1].pk), (2, q[2].pk), (3, q[0].pk)]
    with pytest.raises(ValidationError, match="Indiquez où"):
        services.exercise_move_question(actor=teacher, item=items[q[1].pk], direction="sideways")
    with pytest.raises(ValidationError, match="n'est plus dans l'exercice"):
        services.exercise_move_question(actor=teacher, item=items[q[3].pk], direction="down")


def test_set_mark(exercise, teacher, school):
    intro = own_question(teacher, school, qtype="description")
    question = own_question(teacher, school)
    services.exercise_add_questions(actor=teacher, exercise=exercise, questions=[intro, question])
    item = exercise.items.get(question=question)
    assert services.exercise_set_mark(actor=teacher, item=item, mark="1,25").mark == D("1.25")
    with pytest.raises(ValidationError, match="ne peut pas dépasser"):
        services.exercise_set_mark(actor=teacher, item=item, mark="1e9")
    with pytest.raises(ValidationError, match="aucun point"):
        services.exercise_set_mark(actor=teacher, item=exercise.items.get(question=intro), mark="1")


def test_copy_keeps_questions_marks_and_order(exercise, teacher, school):
    q = [own_question(teacher, school) for _ in range(3)]
    services.exercise_add_questions(actor=teacher, exercise=exercise, questions=q, mark="2")
    services.exercise_move_question(actor=teacher, item=exercise.items.get(question=q[2]), position=1)
    copy_ = services.exercise_copy(actor=teacher, exercise=exercise)
    assert copy_.title == "Fractions (copie)"
    assert [qid for _, qid in positions(copy_)] == [qid for _, qid in positions(exercise)]
    assert set(copy_.items.values_list("mark", flat=True)) == {D("2")}


def test_delete_refused_once_given(teacher, klass):
    assignment = assignment_of(teacher, klass, ["single"])
    with pytest.raises(services.AssignmentError, match="a été donné à 5e B") as error:
        services.exercise_delete(actor=teacher, exercise=assignment.exercise)
    assert error.value.code == "has_assignments"
    empty = services.exercise_create(actor=teacher, title="Vide")
    services.exercise_delete(actor=teacher, exercise=empty)
    assert not Exercise.objects.filter(pk=empty.pk).exists()


# --- assignments ---------------------------------------------------------------------------------


def settings_for(**overrides):
    now = timezone.now()
    values = {
        "opens_at": now - dt.timedelta(hours=1),
        "closes_at": now + dt.timedelta(days=3),
        "attempts_allowed": 2,
        "grading_method": GradingMethod.HIGHEST,
        "feedback_timing": FeedbackTiming.AFTER_SUBMIT,
        "shuffle_questions": False,
        "shuffle_answers": True,
        "time_limit_minutes": None,
        "training": False,
    }
    values.update(overrides)
    return values


@pytest.fixture
def ready(exercise, teacher, school):
    services.exercise_add_questions(
        actor=teacher, exercise=exercise, questions=[own_question(teacher, school) for _ in range(2)]
    )
    return exercise


def test_assignment_create_with_homework(ready, teacher, klass, maths):
    now = timezone.now()
    closes = services.next_friday_evening(now)
    assignment = services.assignment_create(
        actor=teacher,
        exercise=ready,
        school_class=klass,
        homework=True,
        now=now,
        **settings_for(opens_at=now, closes_at=closes),
    )
    assert (assignment.attempts_allowed, assignment.created_by) == (2, teacher)
    homework = Homework.objects.get(assignment=assignment)
    assert homework.title == "Faire l'exercice en ligne « Fractions »"
    assert (homework.due_on, homework.subject, homework.school_class) == (
        timezone.localtime(closes).date(),
        maths,
        klass,
    )
    assert homework.due_on.weekday() == 4
    assert JournalEntry.objects.filter(action="learning.assignment.created").exists()


def test_assignment_create_without_homework(ready, teacher, klass):
    assignment = services.assignment_create(actor=teacher, exercise=ready, school_class=klass, **settings_for())
    assert not Homework.objects.filter(assignment=assignment).exists()


def test_homework_needs_a_close_date(ready, teacher, klass):
    with pytest.raises(ValidationError) as error:
        services.assignment_create(
            actor=teacher, exercise=ready, school_class=klass, homework=True, **settings_for(closes_at=None)
        )
    assert "indiquez une date de fermeture" in error.value.message_dict["homework"][0]
    assert not Assignment.objects.exists()  # nothing half-saved


def test_assign_only_to_ones_classes(ready, teacher, other_class, outsider_teacher, klass, student):
    with pytest.raises(NotAllowed, match="Vous n'enseignez pas dans cette classe"):
        services.assignment_create(actor=teacher, exercise=ready, school_class=other_class, **settings_for())
    with pytest.raises(NotAllowed):
        services.assignment_create(actor=student, exercise=ready, school_class=klass, **settings_for())
    colleague = make_teacher(klass)
    with pytest.raises(NotAllowed, match="n'est pas à vous"):
        services.assignment_create(actor=colleague, exercise=ready, school_class=klass, **settings_for())


def test_assign_an_empty_exercise(exercise, teacher, klass, school):
    with pytest.raises(services.AssignmentError, match="aucune question") as error:
        services.assignment_create(actor=teacher, exercise=exercise, school_class=klass, **settings_for())
    assert error.value.code == "empty"
    services.exercise_add_questions(
        actor=teacher, exercise=exercise, questions=[own_question(teacher, school, qtype="description")]
    )
    with pytest.raises(services.AssignmentError):  # a description alone is nothing to do
        services.assignment_create(actor=teacher, exercise=exercise, school_class=klass, **settings_for())


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"closes_at": "opens"}, "closes_at", "La fermeture doit venir après l'ouverture."),
        ({"closes_at": "before"}, "closes_at", "La fermeture doit venir après l'ouverture."),
        ({"closes_at": "past"}, "closes_at", "Cette date de fermeture est déjà passée."),
        ({"opens_at": "far"}, "opens_at", "Cette date d'ouverture est à plus d'un an : vérifiez l'année."),
        ({"closes_at": "far"}, "closes_at", "L'exercice ne peut pas rester ouvert plus d'un an : vérifiez l'année."),
        ({"attempts_allowed": 51}, "attempts_allowed", "Indiquez entre 1 et 50 tentatives"),
        ({"attempts_allowed": -1}, "attempts_allowed", "Indiquez entre 1 et 50 tentatives"),
        ({"time_limit_minutes": 0}, "time_limit_minutes", "Une durée limite va de 1 à 600 minutes"),
        ({"time_limit_minutes": 10_000}, "time_limit_minutes", "Une durée limite va de 1 à 600 minutes"),
        ({"grading_method": "best"}, "grading_method", "Choisissez la note retenue dans la liste."),
        ({"feedback_timing": "never"}, "feedback_timing", "Choisissez quand les élèves voient la correction."),
        (
            {"feedback_timing": FeedbackTiming.AFTER_CLOSE, "closes_at": None},
            "feedback_timing",
            "Sans date de fermeture",
        ),
    ],
)
def test_assignment_settings_refused(ready, teacher, klass, overrides, field, message):
    values = settings_for()
    for key, value in overrides.items():
        if value == "opens":
            value = values["opens_at"]
        elif value == "before":
            value = values["opens_at"] - dt.timedelta(minutes=1)
        elif value == "past":
            value = timezone.now() - dt.timedelta(minutes=1)
        elif value == "far":
            value = values["opens_at"] + dt.timedelta(days=400)
        values[key] = value
    with pytest.raises(ValidationError) as error:
        services.assignment_create(actor=teacher, exercise=ready, school_class=klass, **values)
    assert any(text.startswith(message) for text in error.value.message_dict[field])


def test_training_is_unlimited(ready, teacher, klass):
    assignment = services.assignment_create(
        actor=teacher, exercise=ready, school_class=klass, **settings_for(training=True, attempts_allowed=3)
    )
    assert assignment.training
    assert assignment.attempts_allowed == 0


def test_next_friday_evening():
    def at(*args):
        return dt.datetime(*args, tzinfo=PARIS)

    assert services.next_friday_evening(at(2026, 3, 3, 10, 0)) == at(2026, 3, 6, 18, 0)  # Tuesday
    assert services.next_friday_evening(at(2026, 3, 6, 9, 0)) == at(2026, 3, 6, 18, 0)  # Friday morning
    assert services.next_friday_evening(at(2026, 3, 6, 19, 0)) == at(2026, 3, 13, 18, 0)  # Friday evening
    assert services.next_friday_evening(at(2026, 3, 7, 12, 0)) == at(2026, 3, 13, 18, 0)  # Saturday


# --- changing, closing, deleting -----------------------------------------------------------------


@pytest.fixture
def given(ready, teacher, klass):
    return services.assignment_create(
        actor=teacher, exercise=ready, school_class=klass, homework=True, **settings_for()
    )


def test_update_before_anyone_started(given, teacher):
    result = services.assignment_update(
        actor=teacher, assignment=given, **settings_for(training=True, grading_method=GradingMethod.LAST)
    )
    assert result.assignment.training
    assert result.notes == []


def test_update_after_attempts_refuses_or_explains(given, teacher, student):
    make_attempt(given, student, [1, 1])
    make_attempt(given, student, [1, 0])
    with pytest.raises(services.AssignmentError, match="ne peut plus devenir un entraînement") as error:
        services.assignment_update(actor=teacher, assignment=given, **settings_for(training=True))
    assert error.value.code == "started"
    with pytest.raises(ValidationError) as error:
        services.assignment_update(
            actor=teacher, assignment=given, **settings_for(opens_at=timezone.now(), closes_at=None)
        )
    assert "ne peut pas être repoussée" in error.value.message_dict["opens_at"][0]
    start = Attempt.objects.filter(assignment=given).order_by("started_at").first().started_at
    result = services.assignment_update(
        actor=teacher,
        assignment=given,
        **settings_for(
            opens_at=start - dt.timedelta(hours=1),
            grading_method=GradingMethod.AVERAGE,
            attempts_allowed=1,
            shuffle_questions=True,
            time_limit_minutes=20,
        ),
    )
    text = " ".join(result.notes)
    assert "recalculée" in text
    assert "Moyenne des tentatives" in text
    assert "1 élève a déjà fait plus de tentatives" in text
    assert "Le mélange ne change que" in text
    assert "durée limite" in text
    given.refresh_from_db()
    assert given.grading_method == GradingMethod.AVERAGE


def test_homework_follows_the_close_date(given, teacher):
    new_close = timezone.localtime(given.closes_at) + dt.timedelta(days=2)
    services.assignment_update(
        actor=teacher, assignment=given, **settings_for(opens_at=given.opens_at, closes_at=new_close)
    )
    assert Homework.objects.get(assignment=given).due_on == new_close.date()


def test_close_now_hands_attempts_in(given, teacher, student):
    attempt = make_attempt(given, student, [1, "blank"], submitted=False)
    services.assignment_close(actor=teacher, assignment=given)
    attempt.refresh_from_db()
    given.refresh_from_db()
    assert given.closes_at <= timezone.now()
    assert attempt.state == Attempt.State.SUBMITTED
    assert attempt.score == D("1.00")
    assert Homework.objects.get(assignment=given).due_on == timezone.localdate()


def test_close_refused_before_opening(ready, teacher, klass):
    later = services.assignment_create(
        actor=teacher,
        exercise=ready,
        school_class=klass,
        **settings_for(opens_at=timezone.now() + dt.timedelta(days=1), closes_at=timezone.now() + dt.timedelta(days=2)),
    )
    with pytest.raises(services.AssignmentError, match="pas encore ouvert"):
        services.assignment_close(actor=teacher, assignment=later)


def test_delete_needs_confirmation_once_started(given, teacher, student):
    make_attempt(given, student, [1, 1])
    with pytest.raises(services.AssignmentError, match="1 élève a déjà commencé") as error:
        services.assignment_delete(actor=teacher, assignment=given)
    assert error.value.code == "has_attempts"
    services.assignment_delete(actor=teacher, assignment=given, confirm=True)
    assert not Assignment.objects.filter(pk=given.pk).exists()
    assert not Attempt.objects.exists()
    assert not Homework.objects.filter(title__startswith="Faire l'exercice").exists()


@pytest.mark.parametrize("who", ["student", "parent", "school_staff", "head", "outsider_teacher"])
def test_only_teachers_of_the_class_manage_assignments(request, given, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(NotAllowed):
        services.assignment_close(actor=actor, assignment=given)
    with pytest.raises(NotAllowed):
        services.assignment_delete(actor=actor, assignment=given, confirm=True)
    with pytest.raises(NotAllowed):
        services.assignment_update(actor=actor, assignment=given, **settings_for())


# --- overrides and essays ------------------------------------------------------------------------


@pytest.fixture
def graded(teacher, klass, student):
    assignment = assignment_of(teacher, klass, [])
    add_question(assignment.exercise, "single", D("2"))
    add_question(assignment.exercise, "essay", D("4"))
    add_question(assignment.exercise, "description", D("0"))
    return make_attempt(assignment, student, [0, None, None])


def test_override_recomputes_the_score(graded, teacher):
    single = graded.answers.get(slot=1)
    assert graded.score is None
    assert graded.needs_grading
    services.answer_override(actor=teacher, answer=single, mark="1,5", comment="Le raisonnement est juste.")
    services.essay_grade(actor=teacher, answer=graded.answers.get(slot=2), mark="3", comment="")
    graded.refresh_from_db()
    assert (graded.score, graded.needs_grading, graded.max_score) == (D("4.50"), False, D("6.00"))
    single.refresh_from_db()
    assert (single.override_mark, single.override_comment, single.graded_by) == (
        D("1.50"),
        "Le raisonnement est juste.",
        teacher,
    )
    assert JournalEntry.objects.filter(action="learning.answer.overridden").count() == 1
    assert JournalEntry.objects.filter(action="learning.answer.graded").count() == 1
    services.answer_override(actor=teacher, answer=single, mark="", comment="")  # back to automatic
    graded.refresh_from_db()
    assert graded.score == D("3.00")


@pytest.mark.parametrize(
    ("mark", "message"),
    [
        ("-0,5", "Une note ne peut pas être négative."),
        ("2,01", "La note ne peut pas dépasser 2."),
        ("1e400", "Écrivez un nombre, par exemple 1 ou 0,5."),
        ("deux", "Écrivez un nombre, par exemple 1 ou 0,5."),
        ("NaN", "Écrivez un nombre, par exemple 1 ou 0,5."),
    ],
)
def test_override_bounds(graded, teacher, mark, message):
    with pytest.raises(ValidationError) as error:
        services.answer_override(actor=teacher, answer=graded.answers.get(slot=1), mark=mark, comment="")
    assert error.value.message_dict["mark"] == [message]
    assert graded.answers.get(slot=1).override_mark is None


def test_override_refused_on_descriptions_and_attempts_in_progress(graded, teacher, student):
    with pytest.raises(ValidationError, match="Une description n'a pas de réponse"):
        services.answer_override(actor=teacher, answer=graded.answers.get(slot=3), mark="0", comment="")
    running = make_attempt(graded.assignment, student, [1, None, None], submitted=False)
    with pytest.raises(services.AssignmentError, match="pas encore rendu") as error:
        services.answer_override(actor=teacher, answer=running.answers.get(slot=1), mark="1", comment="")
    assert error.value.code == "not_submitted"


def test_essay_grade_rules(graded, teacher):
    with pytest.raises(ValidationError, match="n'est pas une rédaction"):
        services.essay_grade(actor=teacher, answer=graded.answers.get(slot=1), mark="1")
    with pytest.raises(ValidationError) as error:
        services.essay_grade(actor=teacher, answer=graded.answers.get(slot=2), mark="")
    assert error.value.message_dict["mark"] == ["Indiquez la note de la rédaction."]
    with pytest.raises(ValidationError):
        services.essay_grade(actor=teacher, answer=graded.answers.get(slot=2), mark="4,5")


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("teacher", True),
        ("colleague", True),
        ("outsider_teacher", False),
        ("other_class_teacher", False),
        ("student", False),
        ("parent", False),
        ("school_staff", False),
        ("head", False),
    ],
)
def test_override_permission_per_role(request, graded, klass, school, who, allowed):
    if who == "colleague":
        actor = make_teacher(klass)
    elif who == "other_class_teacher":
        from .factories import SchoolClassFactory

        actor = make_teacher(SchoolClassFactory(school=school, name="4e A"))
    else:
        actor = request.getfixturevalue(who)
    answer = graded.answers.get(slot=1)
    if allowed:
        services.answer_override(actor=actor, answer=answer, mark="2", comment="")
        graded.refresh_from_db()
        assert graded.answers.get(slot=1).override_mark == D("2")
    else:
        with pytest.raises(NotAllowed):
            services.answer_override(actor=actor, answer=answer, mark="2", comment="")


def test_attempt_rescore_is_the_attempts_rule(graded, teacher):
    """The attempts part hands in with ``score_of``; rescoring a freshly handed-in attempt
    changes nothing."""
    from ..services.attempts import score_of

    before = (graded.score, graded.needs_grading)
    services.attempt_rescore(graded)
    assert (graded.score, graded.needs_grading) == before == score_of(list(graded.answers.all()))


def test_homework_subject_falls_back_to_one_taught(teacher, klass, school):
    history = SubjectFactory(code="HIST", name="Histoire")
    teach(teacher, klass, history)
    from ..access import forget

    forget(teacher)
    exercise = services.exercise_create(actor=teacher, title="Sans matière")
    services.exercise_add_questions(actor=teacher, exercise=exercise, questions=[own_question(teacher, school)])
    assignment = services.assignment_create(
        actor=teacher, exercise=exercise, school_class=klass, homework=True, **settings_for()
    )
    assert Homework.objects.get(assignment=assignment).subject.name == "Histoire"  # first by name
