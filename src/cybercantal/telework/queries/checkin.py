"""Reads of the arrival pages and of the calendar feed."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from cybercantal.core.links import absolute_url

from ..models import Booking, BookingStatus, MemberProfile, Telecentre
from ..services.checkin import CHECKIN_EARLY

CODE_ALPHABET = frozenset("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
CODE_LENGTH = 8
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

FEED_PAST_DAYS = 90  # confirmed bookings shown from this many days back
FEED_CANCELLED_DAYS = 30  # cancelled or released bookings kept (as CANCELLED) this long
FEED_MAX_EVENTS = 2000


def normalise_code(raw: Any) -> str:
    """A typed check-in code: case, spaces and dashes ignored. '' when it cannot be one."""
    if not isinstance(raw, str) or len(raw) > 64:
        return ""
    code = re.sub(r"[\s\-.]+", "", raw).upper()
    if len(code) != CODE_LENGTH or not set(code) <= CODE_ALPHABET:
        return ""
    return code


def _bookings() -> QuerySet[Booking]:
    return Booking.objects.select_related("resource__telecentre__place__commune", "member")


def booking_by_code(code: str) -> Booking | None:
    normalised = normalise_code(code)
    if not normalised:
        return None
    return _bookings().filter(checkin_code=normalised).first()


def telecentre_by_poster(slug: str, token: str) -> Telecentre | None:
    """The telecentre whose poster carries ``token`` (compared in constant time)."""
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        return None
    telecentre = Telecentre.objects.select_related("place__commune").filter(place__slug=slug).first()
    if telecentre is None or not secrets.compare_digest(telecentre.checkin_token, token):
        return None
    return telecentre


def checkin_now(user: Any, telecentre: Telecentre, now: dt.datetime) -> list[Booking]:
    """The person's confirmed bookings at ``telecentre`` whose check-in window is open now
    (30 minutes before the start to the end), arrived or not."""
    return list(
        _bookings()
        .filter(
            member=user,
            resource__telecentre=telecentre,
            status=BookingStatus.CONFIRMED,
            starts_at__lte=now + CHECKIN_EARLY,
            ends_at__gt=now,
        )
        .order_by("starts_at", "pk")
    )


def next_booking_at(user: Any, telecentre: Telecentre, now: dt.datetime) -> Booking | None:
    return (
        _bookings()
        .filter(member=user, resource__telecentre=telecentre, status=BookingStatus.CONFIRMED, starts_at__gt=now)
        .order_by("starts_at", "pk")
        .first()
    )


def profile_by_calendar_token(token: str) -> MemberProfile | None:
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        return None
    # A closed account's feed stops with it (the address may have been shared with an agenda).
    return MemberProfile.objects.select_related("user").filter(calendar_token=token, user__is_active=True).first()


def feed_bookings(user_id: int, now: dt.datetime) -> list[Booking]:
    """What the member's calendar shows: confirmed bookings from 90 days ago onward, and the
    ones cancelled or released in the last 30 days (so that agenda apps remove them)."""
    since = now - dt.timedelta(days=FEED_PAST_DAYS)
    recent = now - dt.timedelta(days=FEED_CANCELLED_DAYS)
    return list(
        _bookings()
        .filter(member_id=user_id, ends_at__gte=since)
        .filter(
            Q(status=BookingStatus.CONFIRMED)
            | Q(status=BookingStatus.CANCELLED, cancelled_at__gte=recent)
            | Q(status=BookingStatus.RELEASED, released_at__gte=recent)
        )
        .order_by("starts_at", "pk")[:FEED_MAX_EVENTS]
    )


def checkin_now_anywhere(user: Any, now: dt.datetime) -> list[Booking]:
    """The person's confirmed bookings, in any telecentre, whose check-in window is open now."""
    return list(
        _bookings()
        .filter(member=user, status=BookingStatus.CONFIRMED, starts_at__lte=now + CHECKIN_EARLY, ends_at__gt=now)
        .order_by("starts_at", "pk")
    )


def feed_urls(token: str) -> dict[str, str]:
    """The secret address of a calendar feed, in https and in webcal (Apple, Outlook)."""
    https = absolute_url(reverse("telework:calendar_feed", args=[token]))
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}
