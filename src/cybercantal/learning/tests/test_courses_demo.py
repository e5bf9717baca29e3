"""Demo courses: loaded twice, nothing new the second time; without the demo teacher,
zero counts."""

from __future__ import annotations

import pytest

from ..demo import courses as demo
from ..models import Course, Lesson, LessonResource

pytestmark = pytest.mark.django_db


def test_without_demo_teacher_nothing_is_created():
    assert demo.load() == {"cours": 0, "leçons": 0, "ressources de leçons": 0}
    assert not Course.objects.exists()


@pytest.fixture
def demo_teacher(klass, maths):
    from cybercantal.accounts.demo import demo_email
    from cybercantal.accounts.models import Role

    from .factories import make_teacher

    teacher = make_teacher(klass, maths, first_name="Claire", last_name="Démo")
    teacher.email = demo_email(Role.TEACHER)
    teacher.save(update_fields=["email"])
    return teacher


def test_demo_twice(demo_teacher, klass, student):
    first = demo.load()
    assert first["cours"] == 3
    assert first["leçons"] == 9
    assert first["ressources de leçons"] >= 1  # the link, and the demo documents when they load
    assert demo.load() == {"cours": 0, "leçons": 0, "ressources de leçons": 0}
    fractions = Course.objects.get(title="Les fractions")
    assert fractions.status == Course.Status.PUBLISHED
    assert fractions.author == demo_teacher
    assert list(fractions.lessons.values_list("position", flat=True)) == [1, 2, 3, 4]
    assert Course.objects.get(title="Les nombres relatifs").status == Course.Status.DRAFT
    proportions = Course.objects.get(title="Proportionnalité")
    assert 3 <= proportions.lessons.count() <= 4
    assert LessonResource.objects.filter(kind="link", lesson__course=fractions).count() == 1
    # Every published lesson of the published courses is visible to a pupil of 5e B.
    for lesson in Lesson.objects.filter(course__status="published").select_related("course"):
        assert student.has_perm("learning.view_course", lesson)
        assert "<script" not in lesson.body
