"""Fixtures shared by the mediation tests."""

from __future__ import annotations

import pytest

from cybercantal.accounts.models import Role
from cybercantal.places.tests.factories import PlaceFactory, UserFactory, give_totp, grant

from .factories import MediatorFactory


@pytest.fixture
def ydes(territory):
    from cybercantal.territory.models import Commune

    return Commune.objects.current().get(name="Ydes")


@pytest.fixture
def epn(ydes):
    """EPN du Pays Vert, in Ydes (real geography)."""
    return PlaceFactory(name="EPN du Pays Vert", commune=ydes, postal_code="15210", address="Place de la Mairie")


@pytest.fixture
def other_epn(territory):
    from cybercantal.territory.models import Commune

    murat = Commune.objects.current().get(name="Murat")
    return PlaceFactory(name="EPN du Lioran", commune=murat, postal_code="15300", address="Rue du Faubourg")


@pytest.fixture
def staff(db):
    """``staff(role, scope=None)``: a person with that role (TOTP set up for staff roles)."""

    def make(role: str, scope=None):
        user = UserFactory()
        if role not in (Role.CITIZEN, Role.TELEWORKER, Role.PARENT, Role.STUDENT):
            give_totp(user)
        grant(user, role, scope)
        return user

    return make


@pytest.fixture
def mediator(staff, epn):
    """A mediator working at ``epn`` (with a Mediator profile)."""
    user = staff(Role.MEDIATOR, epn)
    return MediatorFactory(user=user)


@pytest.fixture
def manager(staff):
    return staff(Role.PROGRAMME_MANAGER)
