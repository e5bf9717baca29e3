"""Helpers of the part "schools" tests."""

from __future__ import annotations

from typing import Any

from cybercantal.accounts.models import Role
from cybercantal.places.models import PlaceKind, PlaceOffer
from cybercantal.places.tests.factories import PlaceFactory, give_totp, grant

from .factories import UserFactory


def programme_manager(**fields: Any) -> Any:
    user = UserFactory(**fields)
    grant(user, Role.PROGRAMME_MANAGER)
    give_totp(user)
    return user


def college_place(**fields: Any) -> Any:
    return PlaceFactory(kind=PlaceKind.COLLEGE, offers=[PlaceOffer.CYBER_ROOM], **fields)
