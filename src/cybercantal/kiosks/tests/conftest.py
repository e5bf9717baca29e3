"""Fixtures shared by the kiosks tests."""

from __future__ import annotations

import pytest

from cybercantal.accounts.models import Role
from cybercantal.places.models import PlaceKind, PlaceOffer
from cybercantal.places.tests.factories import PlaceFactory, UserFactory, give_totp, grant

from .factories import KioskFactory


@pytest.fixture
def murat_place(territory):
    """Communauté de communes Hautes Terres, at Murat (real geography), hosting a kiosk."""
    from cybercantal.territory.models import Commune

    murat = Commune.objects.current().get(name="Murat")
    return PlaceFactory(
        name="Communauté de communes Hautes Terres",
        kind=PlaceKind.CC_SIEGE,
        offers=[PlaceOffer.KIOSK],
        commune=murat,
        postal_code="15300",
        address="4 rue du Faubourg Notre-Dame",
        opening_hours="Mo-Fr 09:00-12:00,14:00-17:00; PH off",
    )


@pytest.fixture
def kiosk(murat_place):
    return KioskFactory(code="murat", place=murat_place, canton=murat_place.canton)


@pytest.fixture
def other_kiosk(territory):
    from cybercantal.territory.models import Commune

    maurs = Commune.objects.current().get(name="Maurs")
    place = PlaceFactory(
        name="Maison de services au public de Maurs",
        kind=PlaceKind.MSAP,
        offers=[PlaceOffer.KIOSK],
        commune=maurs,
        postal_code="15600",
        address="Place de la Mairie",
    )
    return KioskFactory(code="maurs", place=place, canton=place.canton)


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
def agent(staff, murat_place):
    """A kiosk agent at the Murat host place."""
    return staff(Role.KIOSK_AGENT, murat_place)


@pytest.fixture
def manager(staff):
    return staff(Role.PROGRAMME_MANAGER)
