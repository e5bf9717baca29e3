"""Attempt pages: who may see what, answering through plain forms and through fetch,
handing in, the review per feedback timing, query counts, bad input."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ..models import Answer, Attempt, FeedbackTiming
from ..queries import attempts as queries
from ..services import attempts as services
from .factories import make_parent, make_student
from .factories_attempts import ALL_QTYPES, RIGHT, WRONG, assignment_for

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
RIGHT_BADGE = '<span class="badge badge--open">bonne réponse</span>'


@pytest.fixture
def assignment(klass, teacher):
    return assignment_for(klass, teacher, ["single", "short", "ordering", "essay"], attempts_allowed=2)


@pytest.fixture
def attempt(assignment, student):
    return services.attempt_start(actor=student, assignment=assignment)


def submitted_attempt(assignment, student, responses=RIGHT):
    attempt = services.attempt_start(actor=student, assignment=assignment)
    for answer in attempt.answers.all():
        services.answer_save(
            actor=student, attempt=attempt, slot=answer.slot, response=responses[answer.snapshot["qtype"]]
        )
    return services.attempt_submit(actor=student, attempt=attempt)


def urls(attempt):
    return {
        "attempt": reverse("learning:attempt", args=[attempt.pk]),
        "save": reverse("learning:answer_save", args=[attempt.pk, 1]),
        "submit": reverse("learning:attempt_submit", args=[attempt.pk]),
        "review": reverse("learning:attempt_review", args=[attempt.pk]),
    }


# --- access per role -----------------------------------------------------------------------------


@pytest.fixture
def people(student, parent, teacher, outsider_teacher, outsider_student, school_staff, head, klass):
    return {
        "student": student,
        "classmate": make_student(klass),
        "parent": parent,
        "teacher": teacher,
        "outsider_teacher": outsider_teacher,
        "outsider_student": outsider_student,
        "staff": school_staff,
        "head": head,
    }


def test_my_exercises_per_role(client, people, assignment):
    url = reverse("learning:my_exercises")
    assert client.get(url).status_code == 302  # anonymous: sign in first
    for name, person in people.items():
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200, name
        shows = assignment.exercise.title in response.content.decode()
        assert shows == (name in {"student", "classmate"}), name


def test_start_per_role(client, people, assignment):
    url = reverse("learning:assignment_start", args=[assignment.pk])
    assert client.post(url).status_code == 302
    assert not Attempt.objects.exists()
    for name, person in people.items():
        client.force_login(person)
        response = client.post(url)
        expected = 302 if name in {"student", "classmate"} else 403
        assert response.status_code == expected, name
    assert Attempt.objects.count() == 2
    client.force_login(people["student"])
    assert client.get(url).status_code == 405
    assert client.post(reverse("learning:assignment_start", args=[999999])).status_code == 404


def test_the_attempt_pages_per_role(client, people, attempt):
    pages = urls(attempt)
    for name, person in people.items():
        client.force_login(person)
        page = client.get(pages["attempt"])
        save = client.post(pages["save"], {"q1-choice": "0"})
        submit = client.get(pages["submit"])
        if name == "student":
            assert (page.status_code, save.status_code, submit.status_code) == (200, 302, 200)
        elif name in {"teacher", "parent"}:  # may see it: sent to the read-only review
            assert (page.status_code, page.url) == (302, pages["review"]), name
            assert (save.status_code, submit.status_code) == (403, 302), name
        else:
            assert (page.status_code, save.status_code, submit.status_code) == (403, 403, 403), name
    assert Answer.objects.get(attempt=attempt, slot=1).response is not None  # only the pupil's save
    client.logout()
    assert client.get(pages["attempt"]).status_code == 302
    assert client.post(pages["save"], {"q1-choice": "0"}).status_code == 302


def test_the_review_per_role(client, people, assignment, student):
    attempt = submitted_attempt(assignment, student)
    url = urls(attempt)["review"]
    allowed = {"student", "parent", "teacher"}
    for name, person in people.items():
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == (200 if name in allowed else 403), name
    client.force_login(people["teacher"])
    body = client.get(url).content.decode()
    assert "lecture seule" in body
    assert student.get_full_name() in body


def test_a_parent_sees_nothing_before_the_correction_is_visible(client, klass, teacher, student, parent):
    later = assignment_for(klass, teacher, ["single"], feedback_timing=FeedbackTiming.AFTER_CLOSE)
    attempt = submitted_attempt(later, student)
    client.force_login(parent)
    assert client.get(urls(attempt)["review"]).status_code == 403
    in_progress = services.attempt_start(actor=student, assignment=assignment_for(klass, teacher, ["single"]))
    assert client.get(urls(in_progress)["review"]).status_code == 403
    other_parent = make_parent(make_student(klass))
    client.force_login(other_parent)
    assert client.get(urls(attempt)["review"]).status_code == 403


def test_a_teacher_reads_an_attempt_in_progress(client, teacher, attempt):
    client.force_login(teacher)
    response = client.get(urls(attempt)["review"])
    assert response.status_code == 200
    assert "En cours" in response.content.decode()


# --- answering with plain forms --------------------------------------------------------------------


def test_a_pupil_answers_question_by_question_without_javascript(client, student, attempt):
    client.force_login(student)
    page = client.get(urls(attempt)["attempt"])
    body = page.content.decode()
    assert "Question 1 sur 4" in body
    assert "Question 1 : sans réponse" in body
    assert 'action="{}"'.format(reverse("learning:answer_save", args=[attempt.pk, 1])) in body
    response = client.post(reverse("learning:answer_save", args=[attempt.pk, 1]), {"q1-choice": "0", "go": "next"})
    assert response.status_code == 302
    assert response.url.endswith("?q=2")
    page = client.get(response.url)
    body = page.content.decode()
    assert "Question 2 sur 4" in body
    assert "Question 1 : répondue" in body
    response = client.post(reverse("learning:answer_save", args=[attempt.pk, 2]), {"q2-text": "Aurillac", "go": "prev"})
    assert response.url.endswith("?q=1")
    assert "Réponse enregistrée à" in client.get(response.url).content.decode()
    # The navigation buttons save and go to a question.
    response = client.post(reverse("learning:answer_save", args=[attempt.pk, 2]), {"q2-text": "Aurillac", "go": "4"})
    assert response.url.endswith("?q=4")
    response = client.post(reverse("learning:answer_save", args=[attempt.pk, 4]), {"q4-text": "Texte", "go": "next"})
    assert response.url == urls(attempt)["submit"]
    summary = client.get(response.url).content.decode()
    assert "Il reste 1 question sans réponse" in summary
    assert "?q=3" in summary
    response = client.post(urls(attempt)["submit"])
    assert response.status_code == 302
    assert response.url == urls(attempt)["review"]
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.SUBMITTED
    assert attempt.needs_grading
    review = client.get(response.url).content.decode()
    assert "Votre exercice est rendu" in review
    assert "Bonne réponse" in review
    # Handing in twice is harmless; the attempt page now leads to the review.
    assert client.post(urls(attempt)["submit"]).status_code == 302
    assert client.get(urls(attempt)["attempt"]).url == urls(attempt)["review"]


def test_resume_goes_to_where_the_pupil_stopped(client, student, assignment, attempt):
    services.answer_save(actor=student, attempt=attempt, slot=3, response={"order": ["i1", "i2", "i3"]})
    client.force_login(student)
    response = client.post(reverse("learning:assignment_start", args=[assignment.pk]))
    # The question after the last one answered (on any device).
    assert response.url == urls(attempt)["attempt"] + "?q=4"
    assert "Question 4 sur 4" in client.get(response.url).content.decode()
    mine = client.get(reverse("learning:my_exercises")).content.decode()
    assert "En cours" in mine
    assert "question 4 sur 4" in mine
    assert "Reprendre" in mine
    # Without ?q= the attempt page opens there too.
    assert "Question 4 sur 4" in client.get(urls(attempt)["attempt"]).content.decode()


def test_resume_slot_rules(student, attempt):
    """After the last answered question, the next unanswered one; a visited but unanswered
    question is where one comes back; when everything after is answered, the first gap."""
    states = queries.slot_states(attempt)
    total = len(states)
    assert queries.resume_slot(attempt) == 1  # nothing done yet
    attempt.last_slot = 2
    assert queries.resume_slot(attempt) == 2  # visited, not answered: stay there
    last = attempt.answers.get(slot=total)
    services.answer_save(actor=student, attempt=attempt, slot=total, response=RIGHT[last.snapshot["qtype"]])
    attempt.refresh_from_db()
    assert attempt.last_slot == total
    waiting = [s.slot for s in queries.slot_states(attempt) if not s.answered and not s.is_description]
    assert queries.resume_slot(attempt) == waiting[0]  # the last one answered: back to the first gap


def test_my_exercises_says_the_due_date_the_state_and_attempts_left(client, klass, teacher, student):
    friday = timezone.now() + dt.timedelta(days=3)
    todo = assignment_for(klass, teacher, ["single"], closes_at=friday, attempts_allowed=3)
    done = assignment_for(klass, teacher, ["single"], attempts_allowed=1)
    submitted_attempt(done, student)
    closed = assignment_for(klass, teacher, ["single"], opens_at=timezone.now() - dt.timedelta(days=5),
                            closes_at=timezone.now() - dt.timedelta(days=1))  # fmt: skip
    training = assignment_for(klass, teacher, ["single"], training=True)
    client.force_login(student)
    body = client.get(reverse("learning:my_exercises")).content.decode()
    assert services.due_text(friday) in body
    assert "3 tentatives restantes" in body
    assert "À faire" in body
    assert "Rendu" in body
    assert "Note :" in body
    assert "1,00 / 1,00" in body
    assert "Non fait" in body
    assert closed.exercise.title in body
    assert "Entraînement" in body
    assert training.exercise.title in body
    assert todo.exercise.title in body


# --- answering with fetch ------------------------------------------------------------------------


def test_fetch_saves_and_answers_json(client, student, attempt):
    client.force_login(student)
    url = reverse("learning:answer_save", args=[attempt.pk, 2])
    response = client.post(url, {"q2-text": "aurillac"}, **JSON)
    data = response.json()
    assert response.status_code == 200
    assert data["ok"]
    assert data["answered"]
    assert data["message"].startswith("Réponse enregistrée à")
    assert data["nav_label"] == "Question 2 : répondue"
    assert data["url"].endswith("?q=2")
    assert Answer.objects.get(attempt=attempt, slot=2).mark == Decimal("1")
    # The same answer again (a retry after a lost response): one row, no error.
    assert client.post(url, {"q2-text": "aurillac"}, **JSON).json()["ok"]
    assert Answer.objects.filter(attempt=attempt, slot=2).count() == 1
    cleared = client.post(url, {"q2-text": ""}, **JSON).json()
    assert cleared["ok"]
    assert not cleared["answered"]
    assert cleared["nav_label"] == "Question 2 : sans réponse"


def test_fetch_after_the_deadline_says_why_and_the_attempt_is_handed_in(client, klass, teacher, student):
    timed = assignment_for(klass, teacher, ["single"], time_limit_minutes=5)
    attempt = services.attempt_start(actor=student, assignment=timed, now=timezone.now() - dt.timedelta(minutes=10))
    client.force_login(student)
    response = client.post(reverse("learning:answer_save", args=[attempt.pk, 1]), {"q1-choice": "0"}, **JSON)
    assert response.status_code == 409
    assert response.json()["code"] == "expired"
    assert "temps est écoulé" in response.json()["message"]
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.SUBMITTED


def test_opening_an_expired_attempt_hands_it_in(client, klass, teacher, student):
    timed = assignment_for(klass, teacher, ["single"], time_limit_minutes=5)
    attempt = services.attempt_start(actor=student, assignment=timed, now=timezone.now() - dt.timedelta(minutes=10))
    client.force_login(student)
    response = client.get(urls(attempt)["attempt"], follow=True)
    assert "Le temps est écoulé" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.SUBMITTED


def test_a_countdown_is_shown_with_a_time_limit(client, klass, teacher, student):
    timed = assignment_for(klass, teacher, ["single"], time_limit_minutes=20)
    attempt = services.attempt_start(actor=student, assignment=timed)
    client.force_login(student)
    body = client.get(urls(attempt)["attempt"]).content.decode()
    assert "Temps restant" in body
    assert "data-remaining=" in body
    assert "minutes" in body


def test_a_foreign_fetch_gets_json_403(client, teacher, attempt):
    client.force_login(teacher)
    response = client.post(reverse("learning:answer_save", args=[attempt.pk, 1]), {"q1-choice": "0"}, **JSON)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


# --- feedback timing -----------------------------------------------------------------------------


def test_immediate_feedback_check_shows_the_correction_and_locks(client, klass, teacher, student):
    assignment = assignment_for(klass, teacher, ["single", "short"], feedback_timing=FeedbackTiming.IMMEDIATE)
    attempt = services.attempt_start(actor=student, assignment=assignment)
    client.force_login(student)
    page = client.get(urls(attempt)["attempt"]).content.decode()
    assert "Vérifier ma réponse" in page
    assert "Bonne réponse" not in page
    save = reverse("learning:answer_save", args=[attempt.pk, 1])
    wrong_index = attempt.answers.get(slot=1).snapshot["display"]["choices"].index("b")
    response = client.post(save, {"q1-choice": str(wrong_index), "go": "check"})
    assert response.url.endswith("?q=1")
    page = client.get(response.url).content.decode()
    assert "Réponse fausse" in page
    assert "Non, Lyon est une préfecture." in page
    assert "ne peut plus être changée" in page
    # Further posts of this slot change nothing, and never fail.
    assert client.post(save, {"q1-choice": "0", "go": "next"}).url.endswith("?q=2")
    assert Answer.objects.get(attempt=attempt, slot=1).response == {"choice": "b"}


def test_training_shows_the_correction_of_each_answer(client, klass, teacher, student):
    assignment = assignment_for(klass, teacher, ["short"], training=True)
    attempt = services.attempt_start(actor=student, assignment=assignment)
    client.force_login(student)
    client.post(reverse("learning:answer_save", args=[attempt.pk, 1]), {"q1-text": "Lyon", "go": "check"})
    page = client.get(urls(attempt)["attempt"]).content.decode()
    assert "Réponse fausse" in page
    assert "« Aurillac »" in page


def test_after_close_the_review_waits_for_the_close_date(client, klass, teacher, student):
    assignment = assignment_for(klass, teacher, ["single"], feedback_timing=FeedbackTiming.AFTER_CLOSE)
    attempt = submitted_attempt(assignment, student, WRONG)
    client.force_login(student)
    body = client.get(urls(attempt)["review"]).content.decode()
    assert "seront visibles après la fermeture" in body
    assert "Réponse fausse" not in body
    assert "0,00 / 1,00" not in body
    assert (
        "Note et correction visibles après la fermeture"
        in client.get(reverse("learning:my_exercises")).content.decode()
    )
    assignment.opens_at = timezone.now() - dt.timedelta(days=3)
    assignment.closes_at = timezone.now() - dt.timedelta(minutes=1)
    assignment.save()
    body = client.get(urls(attempt)["review"]).content.decode()
    assert "Réponse fausse" in body
    assert "0,00 / 1,00" in body
    assert RIGHT_BADGE in body


def test_right_answers_stay_hidden_while_attempts_are_left(client, klass, teacher, student):
    assignment = assignment_for(klass, teacher, ["single"], attempts_allowed=2)
    attempt = submitted_attempt(assignment, student, WRONG)
    client.force_login(student)
    body = client.get(urls(attempt)["review"]).content.decode()
    assert "Réponse fausse" in body
    assert RIGHT_BADGE not in body
    assert "Faire une nouvelle tentative" in body


# --- query counts --------------------------------------------------------------------------------


def _count_queries(client, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_attempt_page_has_a_constant_number_of_queries(client, klass, teacher, django_assert_max_num_queries):
    counts = []
    for qtypes in (["single"] * 2, ALL_QTYPES * 4):
        pupil = make_student(klass)
        assignment = assignment_for(klass, teacher, list(qtypes))
        attempt = services.attempt_start(actor=pupil, assignment=assignment)
        client.force_login(pupil)
        counts.append(_count_queries(client, urls(attempt)["attempt"] + "?q=2", django_assert_max_num_queries))
        counts.append(_count_queries(client, urls(attempt)["submit"], django_assert_max_num_queries))
    assert (counts[0], counts[1]) == (counts[2], counts[3]), counts
    assert counts[0] <= 10, counts


def test_review_and_my_exercises_have_a_constant_number_of_queries(client, klass, teacher, student):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def measure(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = submitted_attempt(assignment_for(klass, teacher, ["single"]), student)
    big_assignment = assignment_for(klass, teacher, ALL_QTYPES * 3)
    big = submitted_attempt(big_assignment, student, RIGHT)
    client.force_login(student)
    assert measure(urls(small)["review"]) == measure(urls(big)["review"])
    services.attempt_start(actor=student, assignment=assignment_for(klass, teacher, ["single"]))
    first = measure(reverse("learning:my_exercises"))
    for _ in range(5):
        submitted_attempt(assignment_for(klass, teacher, ["single", "short"]), student)
    for _ in range(3):
        services.attempt_start(actor=student, assignment=assignment_for(klass, teacher, ["single", "short"]))
    assert measure(reverse("learning:my_exercises")) == first


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"q1-choice": "x" * 10_000},
        {"q1-choice": ["0", "1", "2"]},
        {"go": "9" * 50},
        {"go": "-1"},
        {"q1-choice": "\x00"},
        {"q2-text": "é" * 100_000},
    ],
)
def test_bad_posts_never_fail(client, student, attempt, data):
    client.force_login(student)
    for slot in (1, 2, 3, 4):
        response = client.post(reverse("learning:answer_save", args=[attempt.pk, slot]), data)
        assert response.status_code == 302
        response = client.post(reverse("learning:answer_save", args=[attempt.pk, slot]), data, **JSON)
        assert response.status_code == 200
        assert response.json()["ok"]


def test_unknown_slots_attempts_and_pages(client, student, attempt):
    client.force_login(student)
    assert client.post(reverse("learning:answer_save", args=[attempt.pk, 99])).status_code == 404
    assert client.post(reverse("learning:answer_save", args=[attempt.pk, 32767 * 1000])).status_code == 404
    assert client.get(reverse("learning:attempt", args=[999999])).status_code == 404
    for q in ("abc", "0", "-1", "999", "1" * 40):
        assert client.get(urls(attempt)["attempt"] + "?q=" + q).status_code == 200
    assert client.get(reverse("learning:answer_save", args=[attempt.pk, 1])).status_code == 405
    assert client.get(reverse("learning:my_exercises") + "?page=abc").status_code == 200


def test_a_post_with_a_strange_body_is_still_read(client, student, attempt):
    client.force_login(student)
    response = client.post(
        reverse("learning:answer_save", args=[attempt.pk, 2]),
        data=json.dumps({"q2-text": "x"}),
        content_type="application/json",
        **JSON,
    )
    assert response.status_code == 200
    assert response.json()["ok"]
    assert not response.json()["answered"]
