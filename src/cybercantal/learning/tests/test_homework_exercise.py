"""Homework linked to an online exercise ("faire l'exercice X"): the service checks the
exercise is given to the same class, the teacher's form offers that class's exercises only,
the pupil's homework list and home page link to the exercise, a parent sees its title, a
pupil of another class never sees it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cybercantal.learning.forms.homework import default_due_on
from cybercantal.learning.models import Homework
from cybercantal.learning.services import homework as services

from .factories import HomeworkFactory
from .factories_attempts import assignment_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def fractions(klass, teacher):
    return assignment_for(klass, teacher, ["single", "truefalse"], title="Fractions en ligne")


@pytest.fixture
def elsewhere(other_class, outsider_teacher):
    """An exercise given to a class of another school."""
    return assignment_for(other_class, outsider_teacher, ["single"], title="Volcans d'ailleurs")


@pytest.fixture
def linked(klass, maths, teacher, fractions):
    return services.homework_create(
        actor=teacher,
        school_class=klass,
        subject=maths,
        due_on=default_due_on(),  # a school day: the class's week shows it
        title="Finir l'exercice sur les fractions",
        assignment=fractions,
    )


# --- the service ----------------------------------------------------------------------------------


def test_homework_links_to_an_exercise_of_its_class(linked, fractions):
    linked.refresh_from_db()
    assert linked.assignment == fractions


def test_an_exercise_of_another_class_is_refused_in_french(klass, maths, teacher, elsewhere):
    with pytest.raises(ValidationError) as error:
        services.homework_create(
            actor=teacher,
            school_class=klass,
            subject=maths,
            due_on=TODAY() + dt.timedelta(days=2),
            title="Faire l'exercice",
            assignment=elsewhere,
        )
    assert error.value.message_dict["assignment"] == [
        "Cet exercice est donné à une autre classe : choisissez un exercice donné à cette classe."
    ]
    assert not Homework.objects.exists()


def test_update_changes_keeps_or_removes_the_link(linked, teacher, fractions, elsewhere, klass):
    second = assignment_for(klass, teacher, ["single"], title="Deuxième exercice")
    due = linked.due_on
    services.homework_update(actor=teacher, homework=linked, due_on=due, title="Titre changé")
    linked.refresh_from_db()
    assert linked.assignment == fractions  # left out: unchanged
    services.homework_update(actor=teacher, homework=linked, due_on=due, title="x", assignment=second)
    linked.refresh_from_db()
    assert linked.assignment == second
    with pytest.raises(ValidationError) as error:
        services.homework_update(actor=teacher, homework=linked, due_on=due, title="x", assignment=elsewhere)
    assert "autre classe" in error.value.message_dict["assignment"][0]
    linked.refresh_from_db()
    assert linked.assignment == second
    services.homework_update(actor=teacher, homework=linked, due_on=due, title="x", assignment=None)
    linked.refresh_from_db()
    assert linked.assignment is None


# --- the teacher's form ----------------------------------------------------------------------------


def test_form_offers_the_class_exercises_and_links_them(client, klass, maths, teacher, fractions, elsewhere):
    client.force_login(teacher)
    url = reverse("learning:homework_create", args=[klass.pk])
    page = client.get(url).content.decode()
    assert "Exercice en ligne à faire (facultatif)" in page
    assert "Fractions en ligne" in page
    assert "Volcans d" not in page
    due = default_due_on().isoformat()
    response = client.post(
        url, {"subject": maths.pk, "due_on": due, "title": "Faire l'exercice", "assignment": fractions.pk}
    )
    assert response.status_code == 302
    homework = Homework.objects.get()
    assert homework.assignment == fractions
    # The class's cahier de textes shows the teacher the way to the class's results.
    page = client.get(response["Location"]).content.decode()
    assert reverse("learning:assignment", args=[fractions.pk]) in page


def test_form_refuses_an_exercise_of_another_class(client, klass, maths, teacher, elsewhere):
    client.force_login(teacher)
    due = (TODAY() + dt.timedelta(days=3)).isoformat()
    response = client.post(
        reverse("learning:homework_create", args=[klass.pk]),
        {"subject": maths.pk, "due_on": due, "title": "Faire l'exercice", "assignment": elsewhere.pk},
    )
    assert response.status_code == 200
    assert "Choisissez un exercice donné à cette classe." in response.content.decode()
    assert not Homework.objects.exists()


def test_edit_form_changes_the_link(client, linked, teacher, fractions):
    client.force_login(teacher)
    url = reverse("learning:homework_edit", args=[linked.pk])
    page = client.get(url).content.decode()
    assert f'<option value="{fractions.pk}" selected>' in page
    response = client.post(url, {"due_on": linked.due_on.isoformat(), "title": linked.title, "assignment": ""})
    assert response.status_code == 302
    linked.refresh_from_db()
    assert linked.assignment is None


# --- who sees the link -----------------------------------------------------------------------------


def test_pupil_homework_and_home_link_to_the_exercise(client, student, linked, fractions):
    client.force_login(student)
    link = f"{reverse('learning:my_exercises')}#exercice-{fractions.pk}"
    for url in (reverse("learning:my_homework"), reverse("learning:home")):
        page = client.get(url).content.decode()
        assert link in page, url
        assert "Faire l’exercice en ligne « Fractions en ligne »" in page
    # The anchor is there in "Mes exercices".
    assert f'id="exercice-{fractions.pk}"' in client.get(reverse("learning:my_exercises")).content.decode()
    # And in the class's cahier de textes, the pupil gets the same link.
    week = f"?semaine={linked.due_on.isoformat()}"
    page = client.get(reverse("learning:homework_class", args=[linked.school_class_id]) + week).content.decode()
    assert link in page


def test_an_exercise_not_open_yet_is_announced_without_a_link(client, student, linked, fractions):
    fractions.opens_at = timezone.now() + dt.timedelta(days=1)
    fractions.save()
    client.force_login(student)
    page = client.get(reverse("learning:my_homework")).content.decode()
    assert "Exercice en ligne « Fractions en ligne » : ouvert à partir du" in page
    assert f"#exercice-{fractions.pk}" not in page


def test_parent_sees_the_title_without_a_link(client, parent, linked, fractions):
    client.force_login(parent)
    for url in (reverse("learning:my_homework"), reverse("learning:home")):
        page = client.get(url).content.decode()
        assert "Exercice en ligne : « Fractions en ligne »" in page, url
        assert f"#exercice-{fractions.pk}" not in page


def test_a_pupil_of_another_class_never_sees_it(client, outsider_student, linked, fractions, klass):
    client.force_login(outsider_student)
    for url in (reverse("learning:my_homework"), reverse("learning:home"), reverse("learning:my_exercises")):
        page = client.get(url).content.decode()
        assert "Fractions en ligne" not in page, url
        assert f"exercice-{fractions.pk}" not in page
    assert client.get(reverse("learning:homework_class", args=[klass.pk])).status_code == 403


def test_homework_without_exercise_shows_no_link(client, student, klass, maths, teacher):
    HomeworkFactory(school_class=klass, subject=maths, teacher=teacher, title="Lire le chapitre 3")
    client.force_login(student)
    page = client.get(reverse("learning:my_homework")).content.decode()
    assert "Lire le chapitre 3" in page
    assert "Faire l’exercice en ligne" not in page
