"""Reads of the kiosk mode (``/borne/<code>/``): the kiosk itself, the categories that have
published procedures, the procedures of a category, one procedure.

Everything the kiosk shows is public; nothing here reads about people. Codes and slugs that
come from the address are checked against the slug pattern before any query, so that a
NUL byte or a 5,000-character segment is a plain "not found" on every database.
"""

from __future__ import annotations

import re

from django.db.models import QuerySet

from cybercantal.kiosks.models import Category, Kiosk, KioskStatus, Procedure

_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,120}")


def is_slug(value: str, max_length: int = 120) -> bool:
    return bool(value) and len(value) <= max_length and _SLUG.fullmatch(value) is not None


def kiosk_for_code(code: str) -> Kiosk | None:
    """The kiosk at ``/borne/<code>/`` with its host place, or None (unknown or retired)."""
    if not is_slug(code, 40):
        return None
    return Kiosk.objects.select_related("place").exclude(status=KioskStatus.RETIRED).filter(code=code).first()


def published_procedures() -> QuerySet[Procedure]:
    return Procedure.objects.filter(is_published=True)


def categories_on_home() -> list[tuple[str, str]]:
    """``(value, label)`` of the life-event categories that have at least one published
    procedure, in the order of ``Category`` (one query)."""
    present = set(published_procedures().values_list("category", flat=True).distinct())
    return [(value, str(label)) for value, label in Category.choices if value in present]


def category_label(value: str) -> str | None:
    """The French label of a category value, or None when it is not one."""
    return str(Category(value).label) if value in Category.values else None


def procedures_of_category(category: str) -> QuerySet[Procedure]:
    return (
        published_procedures()
        .filter(category=category)
        .only("pk", "slug", "title", "category", "summary", "position")
        .order_by("position", "title")
    )


def procedure_for_slug(slug: str) -> Procedure | None:
    if not is_slug(slug):
        return None
    return published_procedures().filter(slug=slug).first()
