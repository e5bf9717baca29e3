"""Reads of the courses part: the course lists of each role, a course's lessons, a lesson
with its resources and its neighbours. Visibility is decided here in the query (never by
filtering objects one by one): pupils and parents get published lessons of published
courses of the classes (this year's) they or their children are in; teachers and the
school's staff get everything of their classes or school."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from ..access import access_for
from ..models import Course, Document, Lesson, LessonResource, SchoolClass, Subject

PUBLISHED = Course.Status.PUBLISHED
VISIBLE_LESSONS = Q(lessons__status=PUBLISHED)
LATEST_LESSONS = 3  # shown under each course in a pupil's list


def visible_lessons(course: Course, *, drafts: bool) -> QuerySet[Lesson]:
    lessons = Lesson.objects.filter(course=course).order_by("position", "pk")
    if not drafts:
        lessons = lessons.filter(status=PUBLISHED, course__status=PUBLISHED)
    return lessons


def sees_drafts(user: Any, course: Course) -> bool:
    """Teachers of the class and the school's staff see drafts; pupils and parents do not."""
    access = access_for(user)
    return course.school_class_id in access.taught or course.school_class.school_id in access.staff_school_ids


# --- lists ----------------------------------------------------------------------------------------


def published_courses(class_ids: Iterable[int]) -> QuerySet[Course]:
    """Published courses of ``class_ids`` with their newest published lessons (``latest``):
    by subject, then the course with the newest lesson first."""
    newest = Lesson.objects.filter(status=PUBLISHED).order_by("-published_at", "-pk")
    return (
        Course.objects.filter(school_class_id__in=list(class_ids), status=PUBLISHED)
        .select_related("subject", "school_class")
        .annotate(
            last_lesson_at=Max("lessons__published_at", filter=VISIBLE_LESSONS),
            lesson_count=Count("lessons", filter=VISIBLE_LESSONS),
        )
        .prefetch_related(Prefetch("lessons", queryset=newest, to_attr="latest"))
        .order_by("subject__name", "subject_id", "-last_lesson_at", "-published_at", "-pk")
    )


def newest_lessons(class_ids: Iterable[int], *, limit: int = 5) -> list[Lesson]:
    """The latest lessons published for these classes, newest first."""
    return list(
        Lesson.objects.filter(course__school_class_id__in=list(class_ids), course__status=PUBLISHED, status=PUBLISHED)
        .select_related("course__subject")
        .order_by("-published_at", "-pk")[:limit]
    )


def teacher_classes(user: Any) -> list[SchoolClass]:
    """The classes and groups a teacher teaches, this year's first, with the subjects
    (``taught_subjects``) and the number of courses in them (``course_count``)."""
    taught = access_for(user).taught
    if not taught:
        return []
    classes: list[SchoolClass] = list(
        SchoolClass.objects.filter(pk__in=list(taught))
        .select_related("year", "school")
        .annotate(course_count=Count("courses"))
        .order_by("-year__starts_on", "kind", "name")
    )
    subject_ids = set().union(*taught.values())
    subjects = {subject.pk: subject for subject in Subject.objects.filter(pk__in=subject_ids)}
    for school_class in classes:
        school_class.taught_subjects = sorted(  # type: ignore[attr-defined]
            (subjects[s] for s in taught[school_class.pk] if s in subjects), key=lambda s: s.name
        )
    return classes


def managed_courses(class_ids: Iterable[int]) -> QuerySet[Course]:
    """Every course (drafts too) of ``class_ids``, with lesson counts: for teachers and staff."""
    return (
        Course.objects.filter(school_class_id__in=list(class_ids))
        .select_related("subject", "school_class__year")
        .annotate(lesson_count=Count("lessons"), published_count=Count("lessons", filter=VISIBLE_LESSONS))
        .order_by("-school_class__year__starts_on", "school_class__name", "subject__name", "-updated_at", "-pk")
    )


def staff_class_ids(user: Any) -> list[int]:
    schools = access_for(user).staff_school_ids
    if not schools:
        return []
    return list(SchoolClass.objects.filter(school_id__in=schools).values_list("pk", flat=True))


@dataclass
class SubjectGroup:
    subject: Subject
    courses: list[Course] = field(default_factory=list)


def by_subject(courses: Iterable[Course]) -> list[SubjectGroup]:
    groups: dict[int, SubjectGroup] = {}
    for course in courses:
        groups.setdefault(course.subject_id, SubjectGroup(subject=course.subject)).courses.append(course)
    return list(groups.values())


@dataclass
class ClassGroup:
    school_class: SchoolClass
    courses: list[Course] = field(default_factory=list)


def by_class(courses: Iterable[Course]) -> list[ClassGroup]:
    groups: dict[int, ClassGroup] = {}
    for course in courses:
        groups.setdefault(course.school_class_id, ClassGroup(school_class=course.school_class)).courses.append(course)
    return list(groups.values())


def children(user: Any) -> list[Any]:
    """A parent's children (users), by first name."""
    from django.contrib.auth import get_user_model

    child_ids = access_for(user).child_ids
    if not child_ids:
        return []
    return list(get_user_model().objects.filter(pk__in=child_ids).order_by("first_name", "last_name", "pk"))


# --- a course, a lesson -----------------------------------------------------------------------------


def course_by_id(course_id: int) -> Course | None:
    return (
        Course.objects.select_related("school_class__school", "school_class__year", "subject")
        .filter(pk=course_id)
        .first()
    )


def course_lessons(course: Course, *, drafts: bool) -> list[Lesson]:
    return list(visible_lessons(course, drafts=drafts).annotate(resource_count=Count("resources")))


def lesson_by_id(course: Course, lesson_id: int) -> Lesson | None:
    lesson = Lesson.objects.filter(pk=lesson_id, course_id=course.pk).first()
    if lesson is not None:
        lesson.course = course  # the course already read, with its class and school
    return lesson


def lesson_resources(lesson: Lesson) -> list[LessonResource]:
    return list(LessonResource.objects.filter(lesson=lesson).select_related("document").order_by("position", "pk"))


def neighbours(lesson: Lesson, *, drafts: bool) -> tuple[Lesson | None, Lesson | None]:
    """The previous and next lessons the person may see."""
    lessons = visible_lessons(lesson.course, drafts=drafts).only("pk", "title", "position", "course_id")
    previous = lessons.filter(position__lt=lesson.position).order_by("-position", "-pk").first()
    following = lessons.filter(position__gt=lesson.position).order_by("position", "pk").first()
    return previous, following


def resource_by_id(resource_id: int) -> LessonResource | None:
    return (
        LessonResource.objects.select_related("lesson__course__school_class", "document").filter(pk=resource_id).first()
    )


def own_documents(user: Any) -> QuerySet[Document]:
    """The documents of a person's own space, for attaching one to a lesson."""
    return Document.objects.filter(space__owner=user).select_related("folder", "space").order_by("folder__name", "name")
