"""Fixtures shared by the telework tests."""

from __future__ import annotations

import pytest

from cybercantal.accounts.models import Role
from cybercantal.places.tests.factories import UserFactory, give_totp, grant

from ..models import ResourceKind
from .factories import MembershipFactory, ResourceFactory, TelecentreFactory, give_credits


@pytest.fixture
def staff(db):
    """``staff(role, scope=None)``: a person with that role (TOTP set up for staff roles)."""

    def make(role: str, scope=None):
        user = UserFactory()
        if role not in (Role.CITIZEN, Role.TELEWORKER, Role.PARENT, Role.STUDENT, Role.EMPLOYER_MANAGER):
            give_totp(user)
        grant(user, role, scope)
        return user

    return make


@pytest.fixture
def telecentre(db):
    """Open, every day 8 h – 19 h, free cancellation until 24 h before."""
    return TelecentreFactory()


@pytest.fixture
def pool(telecentre):
    """A seat pool of 4 seats, members only."""
    return ResourceFactory(telecentre=telecentre, name="Open space", kind=ResourceKind.SEAT_POOL, capacity=4)


@pytest.fixture
def office(telecentre):
    return ResourceFactory(
        telecentre=telecentre, name="Bureau 1", kind=ResourceKind.OFFICE, capacity=2, buffer_minutes=0
    )


@pytest.fixture
def room(telecentre):
    return ResourceFactory(telecentre=telecentre, name="Salle du Plomb", kind=ResourceKind.MEETING_ROOM, capacity=8)


@pytest.fixture
def member(telecentre):
    """A member on a 10-day carnet with 10 credits."""
    membership = MembershipFactory(telecentre=telecentre)
    give_credits(membership, "10")
    return membership.member


@pytest.fixture
def manager(staff, telecentre):
    """The telecentre's manager (role scoped to its place)."""
    return staff(Role.TELECENTRE_MANAGER, telecentre.place)


@pytest.fixture
def programme_manager(staff):
    return staff(Role.PROGRAMME_MANAGER)
