"""Demo attempts: most pupils of the demo 5e B answer the demo assignments, a few are in
progress, one essay waits for its grade; twice creates nothing new; no assignment, nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Role

from ..demo import attempts as demo
from ..demo.schools import DEMO_ORGANISATION
from ..models import Answer, Attempt
from ..services.attempts import score_of
from .factories import make_student
from .factories_attempts import ALL_QTYPES, assignment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_class(klass, teacher):
    klass.school.organisation.name = DEMO_ORGANISATION
    klass.school.organisation.save()
    hugo = make_student(klass, login="hugo.demo")
    hugo.email = demo_email(Role.STUDENT)
    hugo.save()
    for _ in range(14):
        make_student(klass)
    return klass


def test_without_demo_assignments_nothing_is_made(demo_class):
    assert demo.load() == {"tentatives": 0, "tentatives en cours": 0, "réponses": 0, "rédactions à corriger": 0}
    assert not Attempt.objects.exists()


def test_demo_attempts_are_varied_deterministic_and_made_once(demo_class, teacher):
    now = timezone.now()
    open_one = assignment_for(demo_class, teacher, ALL_QTYPES, title="Le Cantal")
    closed = assignment_for(demo_class, teacher, ["single", "numerical", "essay"], title="Les fractions",
                            opens_at=now - dt.timedelta(days=10), closes_at=now - dt.timedelta(days=3))  # fmt: skip
    assignment_for(demo_class, teacher, ["single"], opens_at=now + dt.timedelta(days=2))  # not open yet
    counts = demo.load()
    hugo = demo_class.enrolments.get(student__email=demo_email(Role.STUDENT)).student
    assert not Attempt.objects.filter(assignment=open_one, student=hugo).exists()  # his to do
    assert Attempt.objects.filter(assignment=closed, student=hugo, state="submitted").exists()
    pupils = demo_class.enrolments.count()
    made = Attempt.objects.filter(assignment=open_one).count()
    assert pupils * 0.5 <= made < pupils
    assert counts["tentatives"] == Attempt.objects.count()
    assert counts["réponses"] == Answer.objects.filter(response__isnull=False).count()
    assert counts["tentatives en cours"] == Attempt.objects.filter(state="in_progress").count() >= 1
    assert not Attempt.objects.filter(assignment=closed, state="in_progress").exists()
    assert Attempt.objects.filter(needs_grading=True).count() == counts["rédactions à corriger"] == 1
    scores = set(Attempt.objects.filter(state="submitted", needs_grading=False).values_list("score", flat=True))
    assert len(scores) > 2  # varied
    for attempt in Attempt.objects.filter(state="submitted"):
        assert score_of(list(attempt.answers.all())) == (attempt.score, attempt.needs_grading)
    snapshot = sorted(Attempt.objects.values_list("student_id", "assignment_id", "state", "score"))
    again = demo.load()
    assert again == {"tentatives": 0, "tentatives en cours": 0, "réponses": 0, "rédactions à corriger": 0}
    assert sorted(Attempt.objects.values_list("student_id", "assignment_id", "state", "score")) == snapshot
