"""Reads of the mediators' workspace: their places, their sessions with fill figures, the
people to phone, a session's registrations and waitlist."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cybercantal.accounts.models import Role, RoleMembership
from cybercantal.accounts.permissions import is_platform_manager
from cybercantal.accounts.queries import scoped_object_ids
from cybercantal.places.models import Place, PlaceStatus

from ..models import Mediator, Registration, RegistrationStatus, Session, SessionStatus, Workshop

# How far ahead the workspace home looks.
HOME_HORIZON = dt.timedelta(days=14)
HOME_LIMIT = 12


def sees_network(user: Any) -> bool:
    """Programme managers and administrators see every place of the network."""
    return bool(is_platform_manager.test(user))


def managed_places(user: Any) -> QuerySet[Place]:
    """The places whose sessions the person manages: the whole network for the programme team,
    the places of their mediator memberships for a mediator (no query for the memberships:
    they are cached for the request)."""
    places = Place.objects.select_related("commune").order_by("name", "pk")
    if sees_network(user):
        return places.filter(Q(kind="epn") | Q(offers__has="epn") | Q(pk__in=Session.objects.values("place_id")))
    return places.filter(pk__in=scoped_object_ids(user, Place, [Role.MEDIATOR]))


def schedulable_places(user: Any) -> QuerySet[Place]:
    """Places where the person may programme a session (published ones)."""
    places = Place.objects.filter(status=PlaceStatus.PUBLISHED).select_related("commune").order_by("name", "pk")
    if sees_network(user):
        return places.filter(Q(kind="epn") | Q(offers__has="epn"))
    return places.filter(pk__in=scoped_object_ids(user, Place, [Role.MEDIATOR]))


def mediators_for(place_ids: Any) -> QuerySet[Mediator]:
    """Mediator profiles of people holding an active mediator role on one of these places."""
    place_type = ContentType.objects.get_for_model(Place)
    users = (
        RoleMembership.objects.active()
        .filter(role=Role.MEDIATOR, scope_type=place_type, scope_id__in=place_ids)
        .values("user_id")
    )
    return Mediator.objects.filter(user_id__in=users).select_related("user")


def with_fill(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """Sessions with their workshop, place and mediator, and waitlist / attendance counts."""
    return sessions.select_related("workshop", "place", "place__commune", "mediator__user").annotate(
        waitlisted=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
        present=Count("registrations", filter=Q(registrations__attended=True)),
        no_shows=Count(
            "registrations",
            filter=Q(registrations__status=RegistrationStatus.CONFIRMED, registrations__attended=False),
        ),
    )


def sessions_for(user: Any, *, place: Place | None = None, period: str = "upcoming") -> QuerySet[Session]:
    """The sessions of the person's places (all for the programme team), upcoming in date
    order or past most recent first. ``period`` is "upcoming" or "past"."""
    sessions = Session.objects.all()
    if not sees_network(user):
        sessions = sessions.filter(place_id__in=scoped_object_ids(user, Place, [Role.MEDIATOR]))
    if place is not None:
        sessions = sessions.filter(place=place)
    now = timezone.now()
    if period == "past":
        sessions = sessions.filter(starts_at__lt=now).order_by("-starts_at", "-pk")
    else:
        sessions = sessions.filter(ends_at__gte=now).order_by("starts_at", "pk")
    return with_fill(sessions)


def home_sessions(user: Any, *, now: dt.datetime | None = None) -> dict[str, list[Session]]:
    """Today's sessions and the next ones (two weeks), for the workspace home."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start_of_day = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    end_of_day = start_of_day + dt.timedelta(days=1)
    sessions = Session.objects.filter(
        starts_at__gte=start_of_day, starts_at__lt=now + HOME_HORIZON, status=SessionStatus.SCHEDULED
    )
    if not sees_network(user):
        sessions = sessions.filter(place_id__in=scoped_object_ids(user, Place, [Role.MEDIATOR]))
    rows = list(with_fill(sessions).order_by("starts_at", "pk")[: HOME_LIMIT + 20])
    today_rows = [session for session in rows if session.starts_at < end_of_day]
    later = [session for session in rows if session.starts_at >= end_of_day][:HOME_LIMIT]
    return {"today": today_rows, "upcoming": later}


def promoted_to_phone(user: Any) -> QuerySet[Registration]:
    """People promoted from a waitlist who have no email: the mediator phones them, then
    ticks them off (``promotion_notified_at``)."""
    registrations = Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED,
        promoted_at__isnull=False,
        promotion_notified_at__isnull=True,
        email="",
        session__status=SessionStatus.SCHEDULED,
        session__ends_at__gte=timezone.now(),
    )
    if not sees_network(user):
        registrations = registrations.filter(session__place_id__in=scoped_object_ids(user, Place, [Role.MEDIATOR]))
    return registrations.select_related("session__workshop", "session__place").order_by("session__starts_at", "pk")


def reminders_to_phone(user: Any, *, now: dt.datetime | None = None) -> QuerySet[Registration]:
    """Confirmed people without email whose session starts in the next one to two days (until
    the end of the day after tomorrow) and who have not been reminded by phone yet: no reminder
    email reaches them, so the mediator calls them, then ticks « Rappel fait »
    (``reminder_called_at``). People still waiting for their promotion call are left to the
    promotion list: that call is their reminder."""
    from ..services.registrations import reminder_window_end

    now = now or timezone.now()
    registrations = Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED,
        email="",
        reminder_called_at__isnull=True,
        session__status=SessionStatus.SCHEDULED,
        session__starts_at__gt=now,
        session__starts_at__lt=reminder_window_end(now),
    ).exclude(promoted_at__isnull=False, promotion_notified_at__isnull=True)
    if not sees_network(user):
        registrations = registrations.filter(session__place_id__in=scoped_object_ids(user, Place, [Role.MEDIATOR]))
    return registrations.select_related("session__workshop", "session__place").order_by(
        "session__starts_at", "last_name", "first_name", "pk"
    )


def session_people(session: Session) -> dict[str, list[Registration]]:
    """A session's registrations: confirmed (by name), waitlist (arrival order), cancelled."""
    rows = list(session.registrations.select_related("registered_by").order_by("last_name", "first_name", "pk"))
    waitlist = sorted(
        (row for row in rows if row.status == RegistrationStatus.WAITLISTED),
        key=lambda row: (row.waitlisted_at, row.pk),
    )
    return {
        "confirmed": [row for row in rows if row.status == RegistrationStatus.CONFIRMED],
        "waitlist": waitlist,
        "cancelled": [row for row in rows if row.status == RegistrationStatus.CANCELLED],
    }


def catalogue(*, active_only: bool = False) -> QuerySet[Workshop]:
    """The network's catalogue with the number of upcoming sessions of each workshop."""
    workshops = Workshop.objects.annotate(
        upcoming=Count(
            "sessions",
            filter=Q(sessions__starts_at__gte=timezone.now(), sessions__status=SessionStatus.SCHEDULED),
        )
    ).order_by("-is_active", "title", "pk")
    if active_only:
        workshops = workshops.filter(is_active=True)
    return workshops
