"""Demo cahier de textes of 5e B (the demo teacher's class): two weeks of sessions before
today and the homework they gave, some due in the days to come, one with an attachment,
and a sign-off by the head of school. Dates are relative to today; running it again
creates nothing new."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Role, User

from ..models import Homework, LessonLog, LogSignOff, SchoolClass, SchoolMember, Teaching

# (weekday 0-4, part of the subject's name, title, content, homework or None, days until due, minutes)
SESSIONS: list[tuple[int, str, str, str, str | None, int, int | None]] = [
    (0, "Math", "Fractions : comparer", "<p>Comparer deux fractions de même dénominateur, puis multiples.</p>",
     "Exercices 12 et 13 p. 58", 3, 20),
    (1, "Fran", "Le récit d'aventure", "<p>Lecture de l'incipit de <em>L'Île au trésor</em> ; les temps du récit.</p>",
     "Lire le chapitre 2 de L'Île au trésor", 7, 30),
    (2, "Histoire", "L'Empire byzantin", "<p>Constantinople, carrefour de civilisations : carte et frise.</p>",
     "Apprendre la leçon et savoir placer Constantinople", 5, 20),
    (3, "Math", "Fractions : additionner", "<p>Addition de fractions de même dénominateur ; problèmes.</p>",
     "Exercices 20 à 22 p. 60", 4, 25),
    (3, "Anglais", "Describing people", "<p>Vocabulary: physical descriptions; <strong>have got</strong>.</p>",
     "Décrire un membre de sa famille en 5 phrases", 5, 15),
    (4, "SVT", "La respiration", "<p>Les échanges gazeux chez les animaux : expérience et schéma.</p>",
     None, 0, None),
]  # fmt: skip


def _demo_class() -> SchoolClass | None:
    teacher = User.objects.filter(email=demo_email(Role.TEACHER)).first()
    if teacher is None:
        return None
    today = timezone.localdate()
    teaching = (
        Teaching.objects.filter(
            teacher=teacher,
            school_class__name="5e B",
            school_class__year__starts_on__lte=today,
            school_class__year__ends_on__gte=today,
        )
        .select_related("school_class")
        .first()
    )
    return teaching.school_class if teaching else None


def _teacher_for(school_class: SchoolClass, fragment: str) -> tuple[Any, Any] | None:
    teaching = (
        Teaching.objects.filter(school_class=school_class, subject__name__icontains=fragment)
        .select_related("teacher", "subject")
        .first()
    )
    return (teaching.teacher, teaching.subject) if teaching else None


def _school_day(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def load() -> dict[str, int]:
    school_class = _demo_class()
    if school_class is None:
        return {"séances du cahier de textes": 0, "devoirs": 0}
    today = timezone.localdate()
    this_monday = today - dt.timedelta(days=today.weekday())
    sessions = homework_count = 0
    for week in (2, 1, 0):
        monday = this_monday - dt.timedelta(days=7 * week)
        for weekday, fragment, title, content, work, due_in, minutes in SESSIONS:
            day = monday + dt.timedelta(days=weekday)
            if day > today:
                continue
            found = _teacher_for(school_class, fragment)
            if found is None:
                continue
            teacher, subject = found
            log, created = LessonLog.objects.get_or_create(
                school_class=school_class,
                subject=subject,
                date=day,
                title=title,
                defaults={"teacher": teacher, "content": content},
            )
            sessions += created
            if work:
                due = _school_day(day + dt.timedelta(days=due_in))
                _hw, created = Homework.objects.get_or_create(
                    school_class=school_class,
                    subject=subject,
                    title=work,
                    due_on=due,
                    defaults={
                        "teacher": teacher,
                        "lesson_log": log,
                        "given_on": day,
                        "estimated_minutes": minutes,
                    },
                )
                homework_count += created
    head = (
        SchoolMember.objects.filter(school=school_class.school, kind=SchoolMember.Kind.STAFF, is_head=True)
        .select_related("user")
        .first()
    )
    signed = 0
    if head is not None:
        up_to = this_monday - dt.timedelta(days=3)  # last Friday
        _sign, signed = LogSignOff.objects.get_or_create(
            school_class=school_class,
            up_to=up_to,
            defaults={"signed_by": head.user, "comment": "Cahier tenu avec soin."},
        )
    return {"séances du cahier de textes": sessions, "devoirs": homework_count, "visas": int(signed)}
