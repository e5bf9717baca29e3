"""Reads about accompaniments and followed beneficiaries, scoped to what a person may see.

- the programme team (manager, administrator) sees the whole network;
- a mediator sees the records they wrote and those of the places where they are mediator;
- a kiosk agent sees the records they wrote.
Followed people are seen by the mediators of their place and by the programme team.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet

from cybercantal.accounts.models import Role
from cybercantal.accounts.queries import objects_in_scope
from cybercantal.core.text import normalise, search_terms
from cybercantal.places.models import Place

from ..models import Accompaniment, Beneficiary
from ..services.accompaniments import is_manager

FIELD_ROLES = (Role.MEDIATOR, Role.KIOSK_AGENT)


def recording_places(user: Any) -> QuerySet[Place]:
    """The places where the person may record an accompaniment (mediator or kiosk agent)."""
    return objects_in_scope(user, Place.objects.all(), roles=FIELD_ROLES).order_by("name")


def mediator_places(user: Any) -> QuerySet[Place]:
    """The places where the person is a mediator (they follow people there)."""
    return objects_in_scope(user, Place.objects.all(), roles=[Role.MEDIATOR]).order_by("name")


def visible_accompaniments(user: Any) -> QuerySet[Accompaniment]:
    queryset = Accompaniment.objects.select_related("place", "author", "beneficiary")
    if is_manager(user):
        return queryset
    places = mediator_places(user).values("pk")
    return queryset.filter(Q(author_id=user.pk) | Q(place_id__in=places))


def visible_places(user: Any) -> QuerySet[Place]:
    """The places a person may filter their list by."""
    if is_manager(user):
        return Place.objects.filter(pk__in=Accompaniment.objects.values("place_id")).order_by("name")
    return recording_places(user)


def month_bounds(month: str) -> tuple[dt.date, dt.date] | None:
    """``"2026-03"`` -> (1 March 2026, 1 April 2026); None when it is not a month."""
    try:
        year, number = (int(part) for part in month.split("-"))
        start = dt.date(year, number, 1)
    except (ValueError, TypeError):
        return None
    end = dt.date(year + (number == 12), number % 12 + 1, 1)
    return start, end


def accompaniment_list(
    user: Any,
    *,
    place: Place | None = None,
    month: str = "",
    kind: str = "",
    mine: bool = False,
) -> QuerySet[Accompaniment]:
    queryset = visible_accompaniments(user)
    if mine:
        queryset = queryset.filter(author_id=user.pk)
    if place is not None:
        queryset = queryset.filter(place=place)
    bounds = month_bounds(month) if month else None
    if bounds:
        queryset = queryset.filter(date__gte=bounds[0], date__lt=bounds[1])
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("-date", "-pk")


# --- beneficiaries -------------------------------------------------------------------------------


def visible_beneficiaries(user: Any) -> QuerySet[Beneficiary]:
    queryset = Beneficiary.objects.select_related("place", "commune")
    if is_manager(user):
        return queryset
    return queryset.filter(place_id__in=mediator_places(user).values("pk"))


def beneficiary_list(user: Any, *, text: str = "", place: Place | None = None) -> QuerySet[Beneficiary]:
    """Followed people the person may see, with their first and last visit and count.

    The name search folds accents and case ("eloise" finds Éloïse): the names of the visible
    people are read once, folded in Python (a place follows tens of people, the network a
    few thousand), and the matching keys filter the page query.
    """
    queryset = visible_beneficiaries(user)
    if place is not None:
        queryset = queryset.filter(place=place)
    terms = search_terms(text)
    if terms:
        rows = queryset.values_list("pk", "first_name", "last_name", "phone", "email")
        keys = [
            pk
            for pk, *fields in rows
            if all(f" {term}" in normalise(" ".join(fields)) or term in "".join(fields) for term in terms)
        ]
        queryset = queryset.filter(pk__in=keys)
    return queryset.annotate(
        visits=Count("accompaniments"),
        first_visit=Min("accompaniments__date"),
        last_visit=Max("accompaniments__date"),
    ).order_by("last_name", "first_name", "pk")


def theme_labels(record: Accompaniment) -> list[str]:
    """The digital themes then the administrative ones of a record, in words."""
    themes = Accompaniment._meta.get_field("themes")
    admin_themes = Accompaniment._meta.get_field("admin_themes")
    return [*themes.labels(record.themes), *admin_themes.labels(record.admin_themes)]  # type: ignore[attr-defined]


def beneficiary_path(beneficiary: Beneficiary) -> list[Accompaniment]:
    """Every accompaniment of the person, oldest first (the first visit, then the returns),
    each with ``theme_labels``."""
    records = list(beneficiary.accompaniments.select_related("place", "author").order_by("date", "pk"))
    for record in records:
        record.theme_labels = theme_labels(record)  # type: ignore[attr-defined]
    return records
