"""Who is where in the ENT, read once per request and kept on the user object.

``access_for(user)`` answers every object-level question of ``accounts.permissions``
(section "Learning") without a query per object: the classes a student is in, the
children of a parent and their classes, what a teacher teaches, the schools where a person
is staff or head. Three queries the first time, none after, on the same user object.

Only the current school year's classes count for students and parents (last year's
courses are closed to them); teachers and staff keep access to every year of their school.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

CACHE_ATTRIBUTE = "_learning_access"


@dataclass
class Access:
    # student
    class_ids: frozenset[int] = frozenset()  # classes and groups the person is enrolled in
    student_school_ids: frozenset[int] = frozenset()
    # parent
    child_ids: frozenset[int] = frozenset()
    child_class_ids: dict[int, frozenset[int]] = field(default_factory=dict)  # child -> classes
    # teacher
    taught: dict[int, frozenset[int]] = field(default_factory=dict)  # class -> subjects
    teacher_school_ids: frozenset[int] = frozenset()
    # school staff
    staff_school_ids: frozenset[int] = frozenset()
    head_school_ids: frozenset[int] = frozenset()

    @property
    def is_student(self) -> bool:
        return bool(self.student_school_ids)

    @property
    def is_parent(self) -> bool:
        return bool(self.child_ids)

    @property
    def is_teacher(self) -> bool:
        return bool(self.teacher_school_ids)

    @property
    def is_staff(self) -> bool:
        return bool(self.staff_school_ids)

    @property
    def taught_class_ids(self) -> frozenset[int]:
        return frozenset(self.taught)

    @property
    def children_class_ids(self) -> frozenset[int]:
        return frozenset().union(*self.child_class_ids.values()) if self.child_class_ids else frozenset()

    def school_ids(self) -> frozenset[int]:
        """Every school the person belongs to, whatever the capacity."""
        return self.student_school_ids | self.teacher_school_ids | self.staff_school_ids


def access_for(user: Any) -> Access:
    if user is None or not getattr(user, "is_authenticated", False):
        return Access()
    cached = getattr(user, CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    from .models import Enrolment, ParentLink, SchoolMember, Teaching

    today = timezone.localdate()
    current = Q(school_class__year__starts_on__lte=today, school_class__year__ends_on__gte=today)
    members = list(
        SchoolMember.objects.filter(user=user)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=today))
        .values_list("school_id", "kind", "is_head")
    )
    student_schools = frozenset(s for s, kind, _ in members if kind == "student")
    teacher_schools = frozenset(s for s, kind, _ in members if kind == "teacher")
    staff_schools = frozenset(s for s, kind, _ in members if kind == "staff")
    heads = frozenset(s for s, kind, head in members if kind == "staff" and head)

    class_ids: frozenset[int] = frozenset()
    if student_schools:
        class_ids = frozenset(
            Enrolment.objects.filter(current, student=user, school_class__school_id__in=student_schools).values_list(
                "school_class_id", flat=True
            )
        )
    taught: dict[int, set[int]] = {}
    if teacher_schools:
        for class_id, subject_id in Teaching.objects.filter(
            teacher=user, school_class__school_id__in=teacher_schools
        ).values_list("school_class_id", "subject_id"):
            taught.setdefault(class_id, set()).add(subject_id)
    child_classes: dict[int, set[int]] = {}
    child_ids = frozenset(ParentLink.objects.filter(parent=user).values_list("student_id", flat=True))
    if child_ids:
        for child_id in child_ids:
            child_classes[child_id] = set()
        for student_id, class_id in Enrolment.objects.filter(current, student_id__in=child_ids).values_list(
            "student_id", "school_class_id"
        ):
            child_classes[student_id].add(class_id)
    access = Access(
        class_ids=class_ids,
        student_school_ids=student_schools,
        child_ids=child_ids,
        child_class_ids={child: frozenset(classes) for child, classes in child_classes.items()},
        taught={class_id: frozenset(subjects) for class_id, subjects in taught.items()},
        teacher_school_ids=teacher_schools,
        staff_school_ids=staff_schools,
        head_school_ids=heads,
    )
    setattr(user, CACHE_ATTRIBUTE, access)
    return access


def forget(user: Any) -> None:
    """Drop the cached answer (after a service changed who is where for this user object)."""
    if user is not None and hasattr(user, CACHE_ATTRIBUTE):
        delattr(user, CACHE_ATTRIBUTE)
