"""Reads of the public workshop pages: the calendar, a session, a registration by its token."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from cybercantal.core.text import normalise, search_terms
from cybercantal.mediation.models import (
    DigitalTheme,
    Registration,
    RegistrationStatus,
    Session,
    SessionStatus,
    Workshop,
)
from cybercantal.places.models import PlaceStatus
from cybercantal.territory.models import Canton

MAX_TERMS = 8
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _workshops_matching(term: str) -> list[int]:
    """Workshops whose title, summary or theme names contain a word starting with ``term``.

    The catalogue is small (dozens of workshops): folding accents in Python keeps the search
    accent-insensitive on both databases without a stored search column.
    """
    labels = dict(DigitalTheme.choices)
    rows = Workshop.objects.values_list("pk", "title", "summary", "themes")
    return [
        pk
        for pk, title, summary, themes in rows
        if f" {term}" in normalise(" ".join([title, summary, *(str(labels.get(t, t)) for t in themes)]))
    ]


def public_sessions() -> QuerySet[Session]:
    """Sessions a visitor may see: at a published place (cancelled ones included, with their status)."""
    return Session.objects.filter(place__status=PlaceStatus.PUBLISHED).select_related(
        "workshop", "place__commune", "place__canton"
    )


def calendar(
    *,
    canton: Canton | None = None,
    theme: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    text: str = "",
    now: datetime | None = None,
) -> QuerySet[Session]:
    """Upcoming scheduled sessions at published places, soonest first, with their workshop and place.

    ``text`` is searched word by word (AND), accent- and case-insensitively, in the workshop
    (title, summary, themes) and the place (name, commune, postal code, address).
    """
    now = now or timezone.now()
    queryset = public_sessions().filter(status=SessionStatus.SCHEDULED, starts_at__gt=now)
    if canton is not None:
        queryset = queryset.filter(place__canton=canton)
    if theme:
        queryset = queryset.filter(workshop__themes__has=theme)
    if date_from is not None:
        queryset = queryset.filter(starts_at__gte=_day_start(date_from))
    if date_to is not None:
        queryset = queryset.filter(starts_at__lt=_day_start(date_to + timedelta(days=1)))
    for term in search_terms(text)[:MAX_TERMS]:
        queryset = queryset.filter(
            Q(workshop_id__in=_workshops_matching(term)) | Q(place__search_text__contains=f" {term}")
        )
    return queryset.order_by("starts_at", "pk")


def session_detail(pk: int) -> Session:
    """A session visible to the public (raises ``Session.DoesNotExist``)."""
    return public_sessions().get(pk=pk)


def registration_by_token(token: str) -> Registration:
    """The registration of a cancellation link (raises ``Registration.DoesNotExist``)."""
    if not _TOKEN.match(token or ""):  # tokens are url-safe base64 (``new_token``)
        raise Registration.DoesNotExist
    return Registration.objects.select_related("session__workshop", "session__place__commune").get(token=token)


def active_registrations(session: Session) -> QuerySet[Registration]:
    return Registration.objects.filter(
        session=session, status__in=(RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
    ).order_by("status", "waitlisted_at", "pk")
