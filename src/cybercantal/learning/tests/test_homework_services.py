"""Cahier de textes and homework: the rules of the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cybercantal.accounts.services import NotAllowed
from cybercantal.learning.access import forget
from cybercantal.learning.models import Document, DocumentSpace, HomeworkDone, LogSignOff
from cybercantal.learning.queries import homework as queries
from cybercantal.learning.services import homework as services

from .factories import HomeworkFactory, SchoolClassFactory, SubjectFactory, enrol

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _document(owner, name="fiche.pdf"):
    space, _ = DocumentSpace.objects.get_or_create(owner=owner, defaults={"quota_bytes": 10**6})
    return Document.objects.create(
        space=space, name=name, file="ent/x.pdf", kind="pdf", content_type="application/pdf", size=10, sha256="0" * 64
    )


def test_teacher_writes_a_session_with_homework(klass, teacher, maths):
    log = services.lessonlog_create(
        actor=teacher,
        school_class=klass,
        subject=maths,
        date=TODAY(),
        title="Les fractions",
        content="<p onclick='x'>Vu en <strong>classe</strong><script>alert(1)</script></p>",
    )
    assert log.content == "<p>Vu en <strong>classe</strong></p>"
    homework = services.homework_create(
        actor=teacher,
        school_class=klass,
        subject=maths,
        due_on=TODAY() + dt.timedelta(days=3),
        title="Exercices 4 et 5 p. 32",
        estimated_minutes=20,
        lesson_log=log,
        attachments=[_document(teacher)],
    )
    assert homework.lesson_log == log
    assert homework.attachments.count() == 1


def test_only_the_subject_taught_in_the_class(klass, teacher, outsider_teacher, student):
    french = SubjectFactory(code="FRANC", name="Français")
    for actor, subject in ((teacher, french), (outsider_teacher, klass.teachings.get().subject), (student, french)):
        with pytest.raises(NotAllowed):
            services.homework_create(
                actor=actor, school_class=klass, subject=subject, due_on=TODAY() + dt.timedelta(days=1), title="x"
            )


@pytest.mark.parametrize(
    ("title", "due_days", "minutes", "field"),
    [
        ("", 1, None, "title"),
        ("   ", 1, None, "title"),
        ("Lire", -1, None, "due_on"),
        ("Lire", 400, None, "due_on"),
        ("Lire", 1, 0, "estimated_minutes"),
        ("Lire", 1, 601, "estimated_minutes"),
    ],
)
def test_bad_homework_is_refused_in_french(klass, teacher, maths, title, due_days, minutes, field):
    with pytest.raises(ValidationError) as error:
        services.homework_create(
            actor=teacher,
            school_class=klass,
            subject=maths,
            due_on=TODAY() + dt.timedelta(days=due_days),
            title=title,
            estimated_minutes=minutes,
        )
    assert field in error.value.error_dict


def test_attachments_must_be_the_teachers_own(klass, teacher, maths, outsider_teacher):
    with pytest.raises(NotAllowed):
        services.homework_create(
            actor=teacher,
            school_class=klass,
            subject=maths,
            due_on=TODAY() + dt.timedelta(days=1),
            title="Lire",
            attachments=[_document(outsider_teacher)],
        )


def test_pupil_ticks_their_homework_idempotently(klass, student, outsider_student):
    homework = HomeworkFactory(school_class=klass)
    services.homework_mark_done(actor=student, homework=homework, done=True)
    services.homework_mark_done(actor=student, homework=homework, done=True)
    assert HomeworkDone.objects.filter(homework=homework).count() == 1
    services.homework_mark_done(actor=student, homework=homework, done=False)
    assert not HomeworkDone.objects.exists()
    with pytest.raises(ValidationError):
        services.homework_mark_done(actor=outsider_student, homework=homework, done=True)


def test_only_the_head_signs_off(klass, head, school_staff, teacher):
    for actor in (school_staff, teacher):
        with pytest.raises(NotAllowed):
            services.sign_off(actor=actor, school_class=klass, up_to=TODAY())
    with pytest.raises(ValidationError):
        services.sign_off(actor=head, school_class=klass, up_to=TODAY() + dt.timedelta(days=1))
    services.sign_off(actor=head, school_class=klass, up_to=TODAY(), comment="Bien tenu.")
    assert LogSignOff.objects.get().signed_by == head


def test_workload_counts_the_groups_of_the_class_pupils(school, klass, student, maths):
    monday = queries.week_start(dt.date(2030, 3, 4))
    group = SchoolClassFactory(school=school, name="Latin 5e", kind="group")
    enrol(student, group)
    wednesday = monday + dt.timedelta(days=2)
    HomeworkFactory(school_class=klass, due_on=wednesday, given_on=monday, estimated_minutes=60)
    HomeworkFactory(school_class=group, due_on=wednesday, given_on=monday, estimated_minutes=40)
    HomeworkFactory(school_class=SchoolClassFactory(school=school, name="4e A"), due_on=wednesday, given_on=monday)
    rows = queries.workload(klass, monday, weeks=2)
    day = rows[0][2]
    assert (day.count, day.minutes, day.heavy) == (2, 100, True)
    assert sum(d.count for week in rows for d in week) == 2


def test_pupil_and_parent_see_the_same_homework(klass, student, parent):
    start = TODAY()
    homework = HomeworkFactory(school_class=klass, due_on=start + dt.timedelta(days=2))
    HomeworkFactory(school_class=SchoolClassFactory(), due_on=start + dt.timedelta(days=2))
    from cybercantal.learning.access import access_for

    mine = queries.homework_due(class_ids=access_for(student).class_ids, student=student, start=start)
    theirs = queries.homework_due(
        class_ids=access_for(parent).child_class_ids[student.pk], student=student, start=start
    )
    assert [h for day in mine for h, _ in day.items] == [homework]
    assert [h for day in theirs for h, _ in day.items] == [homework]


def test_feed_token_regenerates(student):
    old = services.homework_feed(student).token
    forget(student)
    new = services.homework_feed_regenerate(actor=student).token
    assert old != new
    assert queries.feed_by_token(old) is None
    assert queries.feed_by_token(new).user == student
    assert queries.feed_by_token("x" * 500) is None
