"""Reads of part "series": a series with its occurrences, a person's waiting-list entries
with their position in line (one query for a page of entries)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import BookingSeries, BookingStatus, WaitlistEntry


def series_with_place() -> QuerySet[BookingSeries]:
    return BookingSeries.objects.select_related("resource__telecentre__place", "member")


def occurrences(series: BookingSeries) -> list[Any]:
    """Every booking of the series (cancelled ones too), in date order."""
    return list(series.bookings.order_by("starts_at"))


def counts(bookings: list[Any]) -> dict[str, int]:
    confirmed = sum(1 for b in bookings if b.status == BookingStatus.CONFIRMED)
    return {
        "total": len(bookings),
        "confirmed": confirmed,
        "cancelled": sum(1 for b in bookings if b.status == BookingStatus.CANCELLED),
        "released": sum(1 for b in bookings if b.status == BookingStatus.RELEASED),
    }


def my_waitlist(user: Any) -> QuerySet[WaitlistEntry]:
    """The person's entries, those still waiting for a future period first (soonest first),
    then the others (most recent first), each with ``position`` (1 = first in line; only
    meaningful while waiting) computed in the same query."""
    now = timezone.now()
    ahead = (
        WaitlistEntry.objects.filter(
            resource_id=OuterRef("resource_id"),
            status=WaitlistEntry.Status.WAITING,
            starts_at__lt=OuterRef("ends_at"),
            ends_at__gt=OuterRef("starts_at"),
        )
        .filter(Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lte=OuterRef("pk")))
        .order_by()
        .values("resource_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        WaitlistEntry.objects.filter(member=user)
        .select_related("resource__telecentre__place")
        .annotate(
            position=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)),
            upcoming=Case(
                When(status=WaitlistEntry.Status.WAITING, ends_at__gt=now, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("upcoming", Case(When(upcoming=0, then="starts_at")), "-starts_at", "-pk")
    )
