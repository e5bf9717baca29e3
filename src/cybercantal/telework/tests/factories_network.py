"""Helpers of the network tests: a confirmed booking, a place waiting to become a telecentre."""

from __future__ import annotations

import datetime as dt

from cybercantal.places.models import PlaceKind, PlaceOffer
from cybercantal.places.tests.factories import PlaceFactory

from ..models import Booking, DayPart, Resource
from ..services import booking as booking_service
from .factories import ALWAYS_OPEN, MembershipFactory, give_credits, next_weekday

VALID_SIRET = "73282932000074"  # a real-looking SIRET with a valid key (also used by OperatorFactory)


def telecentre_place(**kwargs):
    """A directory place of kind telecentre, not yet in the network."""
    defaults = {
        "kind": PlaceKind.TELECENTRE,
        "offers": [PlaceOffer.TELECENTRE],
        "opening_hours": ALWAYS_OPEN,
    }
    defaults.update(kwargs)
    return PlaceFactory(**defaults)


def book_pool(resource: Resource, *, day: dt.date | None = None, part: str = DayPart.DAY) -> Booking:
    """A new member with credits books ``resource`` (a seat pool) on ``day`` (next Tuesday)."""
    membership = MembershipFactory(telecentre=resource.telecentre)
    give_credits(membership, "10")
    return booking_service.booking_create(
        actor=membership.member,
        resource=resource,
        day=day or next_weekday(1),
        part=part,
        notify=False,
    )
