"""Pages of part "assignments": access per role, the teacher's journeys through the forms,
the results and their CSV, fuzzing, and query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ..models import Answer, Assignment, Attempt, ExerciseQuestion, Homework
from ..services import assignments as services
from .factories import QuestionFactory, make_student, make_teacher
from .factories_assignments import add_question, assignment_of, make_attempt

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def world(teacher, klass, student):
    """5e B has an exercise of three questions (single 2 pts, essay 3 pts, short 1 pt);
    Hugo handed in one attempt whose essay waits."""
    assignment = assignment_of(teacher, klass, [])
    add_question(assignment.exercise, "single", D("2"), name="Fraction égale")
    add_question(assignment.exercise, "essay", D("3"), name="Explique")
    add_question(assignment.exercise, "short", D("1"), name='=HYPERLINK("x")')
    attempt = make_attempt(assignment, student, [2, None, 0])
    return {"assignment": assignment, "exercise": assignment.exercise, "attempt": attempt}


def urls(world):
    e, a, t = world["exercise"].pk, world["assignment"].pk, world["attempt"].pk
    item = world["exercise"].items.first().pk
    return {
        "exercises": ("get", reverse("learning:exercises")),
        "exercise_create": ("get", reverse("learning:exercise_create")),
        "to_grade": ("get", reverse("learning:to_grade")),
        "exercise": ("get", reverse("learning:exercise", args=[e])),
        "exercise_edit": ("get", reverse("learning:exercise_edit", args=[e])),
        "exercise_add": ("get", reverse("learning:exercise_add", args=[e])),
        "exercise_delete": ("get", reverse("learning:exercise_delete", args=[e])),
        "exercise_item": ("post", reverse("learning:exercise_item", args=[e, item])),
        "exercise_copy": ("post", reverse("learning:exercise_copy", args=[e])),
        "assign": ("get", reverse("learning:assign", args=[e])),
        "assignment": ("get", reverse("learning:assignment", args=[a])),
        "assignment_edit": ("get", reverse("learning:assignment_edit", args=[a])),
        "assignment_delete": ("get", reverse("learning:assignment_delete", args=[a])),
        "assignment_close": ("post", reverse("learning:assignment_close", args=[a])),
        "assignment_results": ("get", reverse("learning:assignment_results", args=[a])),
        "assignment_results_csv": ("get", reverse("learning:assignment_results_csv", args=[a])),
        "attempt_grade": ("get", reverse("learning:attempt_grade", args=[t])),
    }


OWNER_ONLY = {
    "exercise",
    "exercise_edit",
    "exercise_add",
    "exercise_delete",
    "exercise_item",
    "exercise_copy",
    "assign",
}
TEACHER_ANY = {"exercises", "exercise_create", "to_grade"}


@pytest.mark.parametrize("who", ["anonymous", "student", "parent", "teacher", "colleague", "outsider_teacher",
                                 "school_staff", "head"])  # fmt: skip
def test_access_per_role(client, request, world, klass, who):
    user = None
    if who == "colleague":
        user = make_teacher(klass)  # teaches 5e B too, does not own the exercise
    elif who != "anonymous":
        user = request.getfixturevalue(who)
    if user is not None:
        client.force_login(user)
    for name, (method, url) in urls(world).items():
        response = getattr(client, method)(url)
        if who == "anonymous":
            assert response.status_code == 302, name
            assert "/connexion" in response["Location"] or "login" in response["Location"], name
            continue
        if who == "teacher":
            allowed = True
        elif who == "colleague":
            allowed = name not in OWNER_ONLY
        elif who == "outsider_teacher":
            allowed = name in TEACHER_ANY
        else:
            allowed = False
        if allowed:
            assert response.status_code in (200, 302), (name, response.status_code)
        else:
            assert response.status_code == 403, (name, response.status_code)


def test_every_teacher_page_renders(client, teacher, world):
    client.force_login(teacher)
    for name, (method, url) in urls(world).items():
        if method == "get":
            response = client.get(url)
            assert response.status_code == 200, name


# --- composing ---------------------------------------------------------------------------------


def test_create_then_add_questions_from_the_bank(client, teacher, school, klass, maths):
    client.force_login(teacher)
    response = client.post(
        reverse("learning:exercise_create"), {"title": "Fractions", "instructions": "", "subject": maths.pk}
    )
    exercise = teacher.exercises.get()
    assert response.headers["Location"] == reverse("learning:exercise_add", args=[exercise.pk])
    colleague = make_teacher(klass, maths)
    mine = [QuestionFactory(owner=teacher, school=school, name=f"Mienne {n}") for n in range(3)]
    shared = QuestionFactory(owner=colleague, school=school, shared=True, name="Partagée")
    QuestionFactory(owner=colleague, school=school, shared=False, name="Privée")
    page = client.get(reverse("learning:exercise_add", args=[exercise.pk]))
    text = page.content.decode()
    assert "Mienne 0" in text
    assert "Partagée" in text
    assert "Privée" not in text
    response = client.post(
        reverse("learning:exercise_add", args=[exercise.pk]),
        {"question": [shared.pk, mine[2].pk, mine[0].pk], "mark": "2"},  # as listed: newest first
    )
    assert response.status_code == 302
    # In the order they entered the bank (a GIFT file's order), whatever the list's order.
    assert list(exercise.items.values_list("question_id", "position", "mark")) == [
        (mine[0].pk, 1, D("2")),
        (mine[2].pk, 2, D("2")),
        (shared.pk, 3, D("2")),
    ]
    page = client.get(reverse("learning:exercise_add", args=[exercise.pk]) + "?portee=mine&type=single")
    assert "Déjà dans l’exercice" in page.content.decode()


def test_compose_buttons(client, teacher, world):
    client.force_login(teacher)
    exercise = world["exercise"]
    first, second, third = exercise.items.order_by("position")
    url = reverse("learning:exercise_item", args=[exercise.pk, third.pk])
    client.post(url, {"action": "up"})
    assert list(exercise.items.order_by("position").values_list("pk", flat=True)) == [first.pk, third.pk, second.pk]
    client.post(url, {"action": "mark", f"i{third.pk}-mark": "2,5"})
    third.refresh_from_db()
    assert third.mark == D("2.5")
    response = client.post(url, {"action": "mark", f"i{third.pk}-mark": "-3"}, follow=True)
    assert "Une note ne peut pas être négative." in response.content.decode()
    client.post(url, {"action": "remove"})
    assert list(exercise.items.values_list("position", flat=True)) == [1, 2]


def test_assign_for_friday_with_homework(client, teacher, klass, world):
    client.force_login(teacher)
    page = client.get(reverse("learning:assign", args=[world["exercise"].pk]))
    form = page.context["form"]
    friday = timezone.localtime(services.next_friday_evening())
    assert form.initial["closes_on"] == friday.date()
    assert form.initial["homework"] is True
    today = timezone.localdate()
    response = client.post(
        reverse("learning:assign", args=[world["exercise"].pk]),
        {
            "school_class": klass.pk,
            "opens_on": today.isoformat(),
            "opens_time": "08:00",
            "closes_on": friday.date().isoformat(),
            "closes_time": "18:00",
            "attempts_allowed": "2",
            "grading_method": "highest",
            "feedback_timing": "after_submit",
            "shuffle_answers": "on",
            "homework": "on",
        },
    )
    assignment = Assignment.objects.latest("pk")
    assert response.headers["Location"] == reverse("learning:assignment", args=[assignment.pk])
    assert timezone.localtime(assignment.closes_at).date() == friday.date()
    assert Homework.objects.get(assignment=assignment).due_on == friday.date()


FUZZ = [
    {"opens_on": "2026-02-30"},
    {"opens_on": "not a date", "closes_on": "9999-99-99"},
    {"closes_on": "1999-01-01"},
    {"attempts_allowed": "99999999999999999999999"},
    {"attempts_allowed": "-3"},
    {"time_limit_minutes": "1e9"},
    {"school_class": "99999999999999999999999999"},
    {"school_class": "\x00"},
    {"grading_method": "<script>"},
    {"opens_time": "25:99"},
]


@pytest.mark.parametrize("bad", FUZZ)
def test_assign_fuzz(client, teacher, klass, world, bad):
    client.force_login(teacher)
    today = timezone.localdate()
    data = {
        "school_class": klass.pk,
        "opens_on": today.isoformat(),
        "opens_time": "08:00",
        "closes_on": (today + dt.timedelta(days=3)).isoformat(),
        "closes_time": "18:00",
        "attempts_allowed": "1",
        "grading_method": "highest",
        "feedback_timing": "after_submit",
    }
    data.update(bad)
    before = Assignment.objects.count()
    response = client.post(reverse("learning:assign", args=[world["exercise"].pk]), data)
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert Assignment.objects.count() == before


def test_assign_to_a_class_one_does_not_teach(client, teacher, other_class, world):
    client.force_login(teacher)
    response = client.post(
        reverse("learning:assign", args=[world["exercise"].pk]),
        {"school_class": other_class.pk, "opens_on": timezone.localdate().isoformat(), "attempts_allowed": "1",
         "grading_method": "highest", "feedback_timing": "after_submit"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Choisissez une classe ou un groupe où vous enseignez." in response.content.decode()


def test_reversed_dates_on_edit(client, teacher, world):
    client.force_login(teacher)
    assignment = world["assignment"]
    opens = timezone.localtime(assignment.opens_at)
    response = client.post(
        reverse("learning:assignment_edit", args=[assignment.pk]),
        {
            "opens_on": opens.date().isoformat(),
            "opens_time": "10:00",
            "closes_on": (opens.date() - dt.timedelta(days=2)).isoformat(),
            "closes_time": "10:00",
            "attempts_allowed": "1",
            "grading_method": "highest",
            "feedback_timing": "after_submit",
        },
    )
    assert response.status_code == 200
    assert "La fermeture doit venir après l&#x27;ouverture." in response.content.decode()


def test_other_teachers_ids_never_500(client, teacher, school, klass, maths, outsider_teacher, world):
    client.force_login(teacher)
    colleague = make_teacher(klass, maths)
    private = QuestionFactory(owner=colleague, school=school, shared=False)
    response = client.post(reverse("learning:exercise_add", args=[world["exercise"].pk]), {"question": [private.pk]})
    assert response.status_code == 403
    response = client.post(reverse("learning:exercise_add", args=[world["exercise"].pk]), {"question": ["99999999"]})
    assert response.status_code == 404
    response = client.post(
        reverse("learning:exercise_add", args=[world["exercise"].pk]), {"question": ["1" * 40, "\x00"]}
    )
    assert response.status_code == 200
    other_exercise = services.exercise_create(actor=colleague, title="À elle")
    item = world["exercise"].items.first()
    assert (
        client.post(reverse("learning:exercise_item", args=[other_exercise.pk, item.pk]), {"action": "up"}).status_code
        == 403
    )
    client.force_login(colleague)
    assert (
        client.post(reverse("learning:exercise_item", args=[other_exercise.pk, item.pk]), {"action": "up"}).status_code
        == 404
    )
    assert client.get("/ent/exercices/99999999999999999999999/").status_code == 404
    assert client.get(reverse("learning:attempt_grade", args=[987654])).status_code == 404


# --- results -----------------------------------------------------------------------------------


def test_results_page(client, teacher, klass, world):
    make_student(klass, first_name="Zoé", last_name="Zanon")
    client.force_login(teacher)
    response = client.get(reverse("learning:assignment_results", args=[world["assignment"].pk]))
    text = response.content.decode()
    assert "Zanon" in text
    assert "pas commencé" in text
    assert "en attente de correction" in text
    assert "100 %" in text  # the single choice, right
    assert 'scope="col"' in text
    assert "<caption>" in text


def test_results_query_count_is_constant(client, teacher, klass, world, django_assert_max_num_queries):
    client.force_login(teacher)
    url = reverse("learning:assignment_results", args=[world["assignment"].pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(5):
        add_question(world["exercise"], "single", D("1"))
    for _ in range(8):
        pupil = make_student(klass)
        make_attempt(world["assignment"], pupil, [2, None, 1] + [1] * 5)
        make_attempt(world["assignment"], pupil, [1, 2, 1] + [0] * 5)
    with CaptureQueriesContext(connection) as big:
        client.get(url)
    assert len(big) == len(small)
    csv_url = reverse("learning:assignment_results_csv", args=[world["assignment"].pk])
    with CaptureQueriesContext(connection) as csv_big:
        client.get(csv_url)
    assert len(csv_big) <= len(big) + 2


def test_exercises_list_query_count(client, teacher, klass, django_assert_num_queries):
    client.force_login(teacher)
    url = reverse("learning:exercises")
    assignment_of(teacher, klass, ["single"])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(6):
        assignment_of(teacher, klass, ["single", "short"])
    with CaptureQueriesContext(connection) as big:
        response = client.get(url)
    assert response.status_code == 200
    assert len(big) == len(small)


def test_results_csv(client, teacher, klass, world, student):
    make_student(klass, first_name="@Zoé", last_name="=SUM(A1)")
    client.force_login(teacher)
    response = client.get(reverse("learning:assignment_results_csv", args=[world["assignment"].pk]))
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    header = rows[0]
    assert header[:4] == ["Nom", "Prénom", "Tentative", "État"]
    assert "Q1 Fraction égale — réussite (%)" in header
    assert any(h.startswith("'=HYPERLINK") or h.startswith("Q3 =HYPERLINK") for h in header)
    hugo = next(r for r in rows if r[0] == "Teyssedou")
    assert hugo[2] == "1"
    assert hugo[4] == "oui"
    q1 = header.index("Q1 Fraction égale — réussite (%)")
    assert hugo[q1] == "100,0"
    assert hugo[q1 + 1] == "2,00"
    assert hugo[q1 + 2] == "en attente"
    assert hugo[11] == "en attente de correction"
    zoe = next(r for r in rows if r[1] == "'@Zoé")
    assert zoe[0] == "'=SUM(A1)"
    assert zoe[3] == "aucune tentative"


# --- grading -----------------------------------------------------------------------------------


def test_grade_an_essay_then_next(client, teacher, klass, world):
    other = make_student(klass, first_name="Léa", last_name="Albert")
    second = make_attempt(world["assignment"], other, [0, None, 1])
    client.force_login(teacher)
    attempt = world["attempt"]
    url = reverse("learning:attempt_grade", args=[attempt.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Copie suivante à corriger" in page.content.decode()
    response = client.post(url, {"slot": "2", "s2-mark": "2,5", "s2-comment": "Bien.", "next": "1"})
    assert response.headers["Location"] == reverse("learning:attempt_grade", args=[second.pk])
    attempt.refresh_from_db()
    assert (attempt.score, attempt.needs_grading) == (D("4.50"), False)
    essay = Answer.objects.get(attempt=attempt, slot=2)
    assert essay.override_comment == "Bien."


def test_override_form_errors_stay_on_the_page(client, teacher, world):
    client.force_login(teacher)
    url = reverse("learning:attempt_grade", args=[world["attempt"].pk])
    response = client.post(url, {"slot": "1", "s1-mark": "7", "s1-comment": ""})
    assert response.status_code == 200
    assert "La note ne peut pas dépasser 2." in response.content.decode()
    for slot in ("99", "abc", "1" * 30, ""):
        assert client.post(url, {"slot": slot, "s1-mark": "1"}).status_code == 404
    response = client.post(url, {"slot": "1", "s1-mark": "1e999999", "s1-comment": "x" * 6000})
    assert response.status_code == 200


def test_to_grade_lists_waiting_essays(client, teacher, world, outsider_teacher):
    client.force_login(teacher)
    text = client.get(reverse("learning:to_grade")).content.decode()
    assert "Teyssedou" in text
    assert "1 rédaction à corriger" in text
    client.force_login(outsider_teacher)
    assert "Rien à corriger" in client.get(reverse("learning:to_grade")).content.decode()


def test_delete_assignment_with_attempts_needs_the_box(client, teacher, world):
    client.force_login(teacher)
    url = reverse("learning:assignment_delete", args=[world["assignment"].pk])
    response = client.post(url, {})
    assert response.status_code == 200
    assert Assignment.objects.filter(pk=world["assignment"].pk).exists()
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    assert not Attempt.objects.exists()


def test_close_now_button(client, teacher, world):
    client.force_login(teacher)
    client.post(reverse("learning:assignment_close", args=[world["assignment"].pk]))
    world["assignment"].refresh_from_db()
    assert world["assignment"].closes_at <= timezone.now()
    page = client.get(reverse("learning:assignment", args=[world["assignment"].pk])).content.decode()
    assert "fermé" in page


def test_exercise_delete_page_explains_refusal(client, teacher, world):
    client.force_login(teacher)
    response = client.post(reverse("learning:exercise_delete", args=[world["exercise"].pk]))
    assert response.status_code == 200
    assert "a été donné à 5e B" in response.content.decode()
    assert ExerciseQuestion.objects.filter(exercise=world["exercise"]).exists()


def test_training_results_show_no_grade(client, teacher, klass, student):
    assignment = assignment_of(teacher, klass, [], training=True, attempts_allowed=0)
    add_question(assignment.exercise, "single", D("1"))
    make_attempt(assignment, student, [1])
    make_attempt(assignment, student, [0])
    client.force_login(teacher)
    text = client.get(reverse("learning:assignment_results", args=[assignment.pk])).content.decode()
    assert "non noté (entraînement)" in text
    assert "50 %" in text  # every handed-in attempt counts


def test_to_grade_query_count(client, teacher, klass, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(teacher)
    url = reverse("learning:to_grade")
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(6):
        make_attempt(world["assignment"], make_student(klass), [1, None, 1])
    with CaptureQueriesContext(connection) as big:
        response = client.get(url)
    assert "7 rédactions à corriger" in response.content.decode()
    assert len(big) == len(small)


def test_another_subjects_teacher_of_the_class_sees_but_does_not_change(client, teacher, klass, maths, student):
    """The history teacher of 5e B reads the maths exercise's results (the class's teachers
    follow their pupils) but does not change its dates nor its grades; its author does."""
    from .factories import SubjectFactory
    from .factories_attempts import assignment_for

    history = SubjectFactory(code="HIST-GEO", name="Histoire-géographie")
    historian = make_teacher(klass, history)
    assignment = assignment_for(klass, teacher, ["single", "essay"])
    assignment.exercise.subject = maths
    assignment.exercise.save(update_fields=["subject"])
    from ..services import attempts as attempt_services

    attempt = attempt_services.attempt_start(actor=student, assignment=assignment)
    assert historian.has_perm("learning.view_assignment", assignment)
    assert historian.has_perm("learning.view_attempt", attempt)
    assert not historian.has_perm("learning.manage_assignment", assignment)
    assert not historian.has_perm("learning.grade_attempt", attempt)
    assert teacher.has_perm("learning.manage_assignment", assignment)
    assert teacher.has_perm("learning.grade_attempt", attempt)
    # A maths colleague of the class may, the exercise being in her subject.
    colleague = make_teacher(klass, maths)
    assert colleague.has_perm("learning.manage_assignment", assignment)
    client.force_login(historian)
    edit = client.post(reverse("learning:assignment_edit", args=[assignment.pk]), {})
    assert edit.status_code == 403


def test_a_retired_shared_question_is_no_longer_shared(teacher, klass, maths):
    colleague = make_teacher(klass, maths)
    question = QuestionFactory(owner=teacher, school=klass.school, shared=True)
    assert colleague.has_perm("learning.view_question", question)
    question.retired = True
    question.save(update_fields=["retired"])
    assert not colleague.has_perm("learning.view_question", question)
    assert teacher.has_perm("learning.view_question", question)
