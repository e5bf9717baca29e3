"""Reads of the cahier de textes and homework: a class's week, a pupil's (or a parent's
children's) homework to come, the workload of a class per day, the calendar feed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from ..access import access_for
from ..models import Homework, HomeworkDone, HomeworkFeed, LessonLog, LogSignOff, SchoolClass

# A day is "heavy" for a class from this many homework or this many estimated minutes.
HEAVY_COUNT = 3
HEAVY_MINUTES = 90


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def parse_week(value: str | None) -> dt.date:
    """The Monday of the week given as ``YYYY-MM-DD`` (any day of it), this week if unreadable."""
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        day = timezone.localdate()
    if not (dt.date(2000, 1, 1) <= day <= dt.date(2100, 1, 1)):
        day = timezone.localdate()
    return week_start(day)


def _homework_qs() -> QuerySet[Homework]:
    return (
        Homework.objects.select_related("subject", "school_class", "teacher", "assignment__exercise")
        .prefetch_related("attachments")
        .order_by("due_on", "subject__name", "pk")
    )


@dataclass
class LogDay:
    day: dt.date
    sessions: list[LessonLog] = field(default_factory=list)
    due: list[Homework] = field(default_factory=list)


def class_week(school_class: SchoolClass, monday: dt.date, *, subject_id: int | None = None) -> list[LogDay]:
    """The class's cahier de textes for the week of ``monday`` (Monday to Saturday): each
    day's sessions (with the homework given in them) and the homework due that day."""
    days = {monday + dt.timedelta(days=i): LogDay(monday + dt.timedelta(days=i)) for i in range(6)}
    end = monday + dt.timedelta(days=5)
    logs = LessonLog.objects.filter(school_class=school_class, date__range=(monday, end)).select_related(
        "subject", "teacher"
    )
    due = _homework_qs().filter(school_class=school_class, due_on__range=(monday, end))
    if subject_id:
        logs = logs.filter(subject_id=subject_id)
        due = due.filter(subject_id=subject_id)
    logs = logs.prefetch_related(Prefetch("homework", queryset=_homework_qs()))
    for log in logs.order_by("date", "subject__name", "pk"):
        days[log.date].sessions.append(log)
    for homework in due:
        days[homework.due_on].due.append(homework)
    return list(days.values())


def last_sign_off(school_class: SchoolClass) -> LogSignOff | None:
    return LogSignOff.objects.filter(school_class=school_class).select_related("signed_by").first()


@dataclass
class DueDay:
    day: dt.date
    items: list[tuple[Homework, bool]] = field(default_factory=list)  # (homework, done)


def homework_due(*, class_ids: Any, student: Any, start: dt.date, days: int = 21) -> list[DueDay]:
    """Homework due from ``start`` for ``days`` days in ``class_ids`` (a pupil's classes and
    groups of this year: ``access_for(pupil).class_ids``, or a parent's child's:
    ``access_for(parent).child_class_ids[child.pk]``), grouped by day, each with the
    pupil's own "done" tick."""
    end = start + dt.timedelta(days=days)
    items = list(_homework_qs().filter(school_class_id__in=list(class_ids), due_on__range=(start, end)))
    done = set(
        HomeworkDone.objects.filter(student=student, homework__in=[h.pk for h in items]).values_list(
            "homework_id", flat=True
        )
    )
    grouped: dict[dt.date, DueDay] = {}
    for homework in items:
        grouped.setdefault(homework.due_on, DueDay(homework.due_on)).items.append((homework, homework.pk in done))
    return list(grouped.values())


@dataclass
class WorkloadDay:
    day: dt.date
    count: int = 0
    minutes: int = 0
    unknown: int = 0  # homework without an estimated duration
    subjects: list[str] = field(default_factory=list)

    @property
    def heavy(self) -> bool:
        return self.count >= HEAVY_COUNT or self.minutes >= HEAVY_MINUTES


def workload(school_class: SchoolClass, monday: dt.date, *, weeks: int = 2) -> list[list[WorkloadDay]]:
    """Homework due per day for the class (and for the groups its pupils are in, which load
    the same pupils), ``weeks`` weeks from ``monday``, Monday to Saturday."""
    from ..models import Enrolment

    end = monday + dt.timedelta(days=7 * weeks - 1)
    pupils = Enrolment.objects.filter(school_class=school_class).values("student_id")
    related_classes = set(
        Enrolment.objects.filter(student_id__in=pupils).values_list("school_class_id", flat=True).distinct()
    ) | {school_class.pk}
    days: dict[dt.date, WorkloadDay] = {}
    for homework in (
        Homework.objects.filter(school_class_id__in=related_classes, due_on__range=(monday, end))
        .select_related("subject")
        .order_by("due_on", "subject__name")
    ):
        day = days.setdefault(homework.due_on, WorkloadDay(homework.due_on))
        day.count += 1
        if homework.estimated_minutes:
            day.minutes += homework.estimated_minutes
        else:
            day.unknown += 1
        day.subjects.append(homework.subject.name)
    result = []
    for week in range(weeks):
        row = []
        for offset in range(6):
            date = monday + dt.timedelta(days=7 * week + offset)
            row.append(days.get(date, WorkloadDay(date)))
        result.append(row)
    return result


def done_counts(homework_ids: list[int]) -> dict[int, int]:
    """How many pupils ticked each homework (for the teacher; no names)."""
    return dict(
        HomeworkDone.objects.filter(homework_id__in=homework_ids)
        .values("homework_id")
        .annotate(n=Count("pk"))
        .values_list("homework_id", "n")
    )


def feed_by_token(token: str) -> HomeworkFeed | None:
    if not token or len(token) > 60:
        return None
    return HomeworkFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()


def feed_homework(user: Any, *, now: dt.datetime | None = None) -> list[Homework]:
    """What a person's calendar shows: their own homework (a pupil) or their children's (a
    parent), from 30 days back to 120 days ahead."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    access = access_for(user)
    class_ids = set(access.class_ids) | set(access.children_class_ids)
    return list(
        _homework_qs().filter(
            school_class_id__in=class_ids,
            due_on__range=(today - dt.timedelta(days=30), today + dt.timedelta(days=120)),
        )
    )


def teacher_classes(user: Any) -> list[SchoolClass]:
    """The classes and groups a teacher teaches this year, for their pages."""
    taught = access_for(user).taught
    today = timezone.localdate()
    return list(
        SchoolClass.objects.filter(pk__in=taught, year__starts_on__lte=today, year__ends_on__gte=today)
        .select_related("school")
        .order_by("school__name", "kind", "name")
    )


def head_classes(user: Any) -> list[SchoolClass]:
    """The classes of the schools a person heads, this year."""
    heads = access_for(user).head_school_ids
    today = timezone.localdate()
    return list(
        SchoolClass.objects.filter(school_id__in=heads, year__starts_on__lte=today, year__ends_on__gte=today)
        .select_related("school")
        .order_by("school__name", "kind", "name")
    )


def sign_off_overview(classes: list[SchoolClass]) -> list[dict[str, Any]]:
    """For each class: its last session written and its last sign-off (two queries)."""
    from django.db.models import Max

    last_logs = dict(
        LessonLog.objects.filter(school_class__in=classes)
        .values("school_class_id")
        .annotate(last=Max("date"))
        .values_list("school_class_id", "last")
    )
    signed: dict[int, LogSignOff] = {}
    for item in LogSignOff.objects.filter(school_class__in=classes).order_by("school_class_id", "-signed_at"):
        signed.setdefault(item.school_class_id, item)
    rows = []
    for school_class in classes:
        sign = signed.get(school_class.pk)
        last = last_logs.get(school_class.pk)
        rows.append(
            {
                "school_class": school_class,
                "last_log": last,
                "sign_off": sign,
                "to_review": bool(last and (sign is None or last > sign.up_to)),
            }
        )
    return rows


def children_of(user: Any) -> list[Any]:
    from cybercantal.accounts.models import User

    return list(User.objects.filter(pk__in=access_for(user).child_ids).order_by("first_name", "last_name"))
