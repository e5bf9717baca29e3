"""The cartable's entries of the site menu, per role: a pupil gets "Mes exercices", a
teacher the correction, the question bank, the courses and their documents; nobody gets
another role's entries, and each entry opens for the person it is shown to."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cybercantal.accounts.menu import menu_for
from cybercantal.accounts.models import User

pytestmark = pytest.mark.django_db

PUPIL_ENTRIES = {"Mes exercices": "learning:my_exercises"}
TEACHER_ENTRIES = {
    "Copies à corriger": "learning:to_grade",
    "Banque de questions": "learning:questions",
    "Cours": "learning:courses",
    "Mes documents": "learning:documents",
}


def _menu(user) -> dict[str, str]:
    return {str(entry.label): entry.url for entry in menu_for(User.objects.get(pk=user.pk))}


def test_pupil_gets_his_exercises_and_no_teacher_entry(client, student):
    menu = _menu(student)
    assert menu["Cartable électronique"] == reverse("learning:home")
    assert menu["Mes exercices"] == reverse("learning:my_exercises")
    assert not set(TEACHER_ENTRIES) & set(menu)
    client.force_login(student)
    header = client.get(reverse("learning:home")).content.decode().split("<main", 1)[0]
    assert f'href="{reverse("learning:my_exercises")}"' in header
    for name in TEACHER_ENTRIES.values():
        assert f'href="{reverse(name)}"' not in header
    assert client.get(menu["Mes exercices"]).status_code == 200


def test_teacher_gets_the_teacher_entries(client, teacher):
    menu = _menu(teacher)
    for label, name in TEACHER_ENTRIES.items():
        assert menu[label] == reverse(name)
    assert "Mes exercices" not in menu
    client.force_login(teacher)
    header = client.get(reverse("learning:home")).content.decode().split("<main", 1)[0]
    for label, url in menu.items():
        if label in TEACHER_ENTRIES:
            assert f'href="{url}"' in header, label
            assert client.get(url).status_code == 200, label
    assert f'href="{reverse("learning:my_exercises")}"' not in header


@pytest.mark.parametrize("who", ["parent", "school_staff"])
def test_parent_and_staff_get_neither(request, who):
    user = request.getfixturevalue(who)
    menu = _menu(user)
    assert not (set(TEACHER_ENTRIES) | set(PUPIL_ENTRIES)) & set(menu)


def test_outsider_gets_nothing_of_the_cartable(django_user_model):
    user = django_user_model.objects.create_user(email="habitant@example.org", password="x")
    assert not {"Cartable électronique", *TEACHER_ENTRIES, *PUPIL_ENTRIES} & set(_menu(user))
