"""Reads of the part "schools": school years, schools, classes and groups, people.

- ``year_start(day)`` / ``school_year_get_or_create_for(day)`` / ``current_year()``: the
  school year around a day (1 September – 31 August), the same for every school; created on
  first use (a school year is reference data, not a decision anyone takes).
- ``schools_for(user)``: the schools a person may administer (all for the programme team).
- ``class_rows(school, year)``: classes and groups with their counts (one query).
- ``people_search(school, text=..., kind=...)``: members of a school, accent/case-insensitive.
- ``class_pupils(school_class)``, ``class_teachings(school_class)``, ``student_summary(student)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from cybercantal.core.text import normalise

from ..models import Enrolment, ParentLink, School, SchoolClass, SchoolMember, SchoolYear, Teaching


def year_start(day: dt.date) -> dt.date:
    """1 September of the school year that ``day`` falls in."""
    return dt.date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def school_year_get_or_create_for(day: dt.date) -> SchoolYear:
    """The school year around ``day`` ("2026-2027", 1 September – 31 August), created once."""
    start = year_start(day)
    year, _created = SchoolYear.objects.get_or_create(
        starts_on=start,
        defaults={"label": f"{start.year}-{start.year + 1}", "ends_on": dt.date(start.year + 1, 8, 31)},
    )
    return year


def current_year() -> SchoolYear:
    """The school year around today."""
    return school_year_get_or_create_for(timezone.localdate())


def next_year(year: SchoolYear) -> SchoolYear:
    return school_year_get_or_create_for(dt.date(year.starts_on.year + 1, 9, 1))


def previous_year(year: SchoolYear) -> SchoolYear:
    return school_year_get_or_create_for(dt.date(year.starts_on.year - 1, 9, 1))


def active_members(school: School, *, on: dt.date | None = None) -> QuerySet[SchoolMember]:
    """Members of ``school`` who have not left on ``on`` (today)."""
    on = on or timezone.localdate()
    return SchoolMember.objects.filter(school=school).filter(Q(left_on__isnull=True) | Q(left_on__gte=on))


def schools_for(user: Any) -> QuerySet[School]:
    """The schools ``user`` may administer: every school for the programme team, else the
    schools where they are staff (left staff excluded)."""
    qs = School.objects.select_related("place", "place__commune").order_by("name")
    if user.has_perm("learning.manage_schools"):
        return qs
    from ..access import access_for

    return qs.filter(pk__in=access_for(user).staff_school_ids)


def schools_with_counts(user: Any) -> QuerySet[School]:
    today = timezone.localdate()
    still = Q(members__left_on__isnull=True) | Q(members__left_on__gte=today)
    return schools_for(user).annotate(
        student_count=Count("members", filter=still & Q(members__kind=SchoolMember.Kind.STUDENT), distinct=True),
        teacher_count=Count("members", filter=still & Q(members__kind=SchoolMember.Kind.TEACHER), distinct=True),
    )


def college_places_without_school() -> QuerySet[Any]:
    from cybercantal.places.models import Place, PlaceKind

    return Place.objects.filter(kind=PlaceKind.COLLEGE, school__isnull=True).select_related("commune").order_by("name")


def staff_of(school: School) -> QuerySet[SchoolMember]:
    return (
        active_members(school)
        .filter(kind=SchoolMember.Kind.STAFF)
        .select_related("user")
        .order_by("-is_head", "user__last_name", "user__first_name")
    )


def class_rows(school: School, year: SchoolYear) -> QuerySet[SchoolClass]:
    """The classes then the groups of ``school`` in ``year``, with pupil and teacher counts."""
    return (
        SchoolClass.objects.filter(school=school, year=year)
        .annotate(
            pupil_count=Count("enrolments", distinct=True),
            teacher_count=Count("teachings__teacher", distinct=True),
        )
        .order_by("kind", "name")
    )


def accounts_not_activated(school: School) -> int:
    """Pupils and teachers of ``school`` still there whose ENT account is not activated yet
    (an ENT login without a first sign-in, or an account that never set a password)."""
    members = active_members(school).filter(kind__in=[SchoolMember.Kind.STUDENT, SchoolMember.Kind.TEACHER])
    return (
        members.filter(
            Q(user__ent_account__isnull=False, user__ent_account__activated_at__isnull=True)
            | Q(user__ent_account__isnull=True, user__password__startswith="!")  # noqa: S106 - unusable password marker
        )
        .values("user_id")
        .distinct()
        .count()
    )


def is_activated(user: Any) -> bool:
    """An ENT account is activated after its first sign-in; an email account once it has a
    password (unusable passwords start with "!")."""
    account = getattr(user, "ent_account", None) if hasattr(user, "ent_account") else None
    if account is not None:
        return account.activated_at is not None
    return user.has_usable_password()


def login_of(user: Any) -> str:
    """The ENT login of a person, or their email when they sign in with it."""
    return user.ent_account.login if hasattr(user, "ent_account") else user.email


def class_pupils(school_class: SchoolClass) -> list[Any]:
    """The pupils of a class or group, by name, with their ENT account (one query)."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    return list(
        user_model.objects.filter(enrolments__school_class=school_class)
        .select_related("ent_account")
        .order_by("last_name", "first_name", "pk")
    )


def class_teachings(school_class: SchoolClass) -> list[Teaching]:
    return list(
        Teaching.objects.filter(school_class=school_class)
        .select_related("teacher", "subject")
        .order_by("subject__name", "teacher__last_name")
    )


def school_pupils(school: School, year: SchoolYear) -> list[dict[str, Any]]:
    """Pupils of ``school`` still there, with the class they are in this year (for the
    member checkboxes): dicts ``{"user": ..., "class_name": ...}``, by name."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    member_ids = active_members(school).filter(kind=SchoolMember.Kind.STUDENT).values("user_id")
    users = list(
        user_model.objects.filter(pk__in=member_ids)
        .prefetch_related(
            Prefetch(
                "enrolments",
                queryset=Enrolment.objects.filter(
                    year=year, is_group=False, school_class__school=school
                ).select_related("school_class"),
                to_attr="year_classes",
            )
        )
        .order_by("last_name", "first_name", "pk")
    )
    return [
        {"user": user, "class_name": user.year_classes[0].school_class.name if user.year_classes else ""}
        for user in users
    ]


@dataclass
class PersonRow:
    member: SchoolMember
    name: str
    classes: list[str]


def people_search(school: School, *, text: str = "", kind: str = "") -> list[SchoolMember]:
    """Members of ``school`` still there whose name, email or login contains every word of
    ``text`` (accents and case folded), of ``kind`` if given; by name. A school has a few
    hundred members: the names are folded in Python over one light query, then the caller
    paginates the list."""
    members = active_members(school).select_related("user", "user__ent_account")
    if kind:
        members = members.filter(kind=kind)
    members = members.order_by("user__last_name", "user__first_name", "kind", "pk")
    words = normalise(text).split()
    rows = list(members)
    if not words:
        return rows
    result = []
    for member in rows:
        user = member.user
        login = user.ent_account.login if hasattr(user, "ent_account") else ""
        haystack = normalise(f"{user.first_name} {user.last_name} {user.email} {login} {member.external_id}")
        if all(word in haystack for word in words):
            result.append(member)
    return result


def classes_of_students(school: School, user_ids: list[int], year: SchoolYear) -> dict[int, list[str]]:
    """user id -> names of the classes and groups they are in this year (one query)."""
    names: dict[int, list[str]] = {}
    for student_id, name in (
        Enrolment.objects.filter(student_id__in=user_ids, school_class__school=school, year=year)
        .order_by("is_group", "school_class__name")
        .values_list("student_id", "school_class__name")
    ):
        names.setdefault(student_id, []).append(name)
    return names


def classes_of_teachers(school: School, user_ids: list[int], year: SchoolYear) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for teacher_id, name in (
        Teaching.objects.filter(teacher_id__in=user_ids, school_class__school=school, school_class__year=year)
        .order_by("school_class__name")
        .values_list("teacher_id", "school_class__name")
        .distinct()
    ):
        names.setdefault(teacher_id, []).append(name)
    return names


def student_enrolments(student: Any) -> list[Enrolment]:
    return list(
        Enrolment.objects.filter(student=student)
        .select_related("school_class", "school_class__school", "year")
        .order_by("-year__starts_on", "is_group", "school_class__name")
    )


def student_parents(student: Any) -> list[ParentLink]:
    return list(ParentLink.objects.filter(student=student).select_related("parent").order_by("parent__last_name"))


def student_schools(student: Any) -> list[SchoolMember]:
    return list(
        SchoolMember.objects.filter(user=student, kind=SchoolMember.Kind.STUDENT)
        .select_related("school")
        .order_by("-joined_on")
    )
