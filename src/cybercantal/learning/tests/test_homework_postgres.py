"""Homework with real parallel connections on PostgreSQL: a pupil double-taps "J'ai fait"
from two devices, twenty pupils tick the same homework at once."""

from __future__ import annotations

import pytest
from django.db import connection

from cybercantal.accounts.models import User
from cybercantal.core.testing import run_in_parallel
from cybercantal.learning.models import Homework, HomeworkDone
from cybercantal.learning.services import homework as services

from .factories import HomeworkFactory, SchoolClassFactory, make_student

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _tick(args: tuple[int, int]) -> str:
    student_id, homework_id = args
    student = User.objects.get(pk=student_id)
    services.homework_mark_done(actor=student, homework=Homework.objects.get(pk=homework_id), done=True)
    return "ok"


def test_ticks_at_once_never_fail_nor_duplicate():
    assert connection.vendor == "postgresql"
    klass = SchoolClassFactory()
    homework = HomeworkFactory(school_class=klass)
    pupils = [make_student(klass) for _ in range(20)]
    arguments = [(p.pk, homework.pk) for p in pupils] + [(pupils[0].pk, homework.pk)] * 5
    assert run_in_parallel(_tick, arguments, timeout=60) == ["ok"] * 25
    assert HomeworkDone.objects.filter(homework=homework).count() == 20
