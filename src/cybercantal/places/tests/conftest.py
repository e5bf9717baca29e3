"""Fixtures of the places tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cybercantal.accounts.models import Role

from .factories import PlaceFactory, UserFactory, give_totp, grant

PARIS = ZoneInfo("Europe/Paris")
# A Monday in term time, 10:00 in Paris.
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)


@pytest.fixture
def small_cantal(territory):
    """The real Cantal (territory's data), with the communes and cantons the tests use by name."""
    from cybercantal.territory.models import Canton, Commune

    communes = {
        key: Commune.objects.current().get(name=name)
        for key, name in {
            "riom": "Riom-ès-Montagnes",
            "flour": "Saint-Flour",
            "aurillac": "Aurillac",
            "murat": "Murat",
        }.items()
    }
    cantons = {
        key: Canton.objects.get(slug=slug)
        for key, slug in {
            "riom": "riom-es-montagnes",
            "flour": "saint-flour-1",
            "aurillac": "aurillac-1",
            "murat": "murat",
        }.items()
    }
    return {"cantons": cantons, "communes": communes}


@pytest.fixture
def epn_riom(small_cantal):
    return PlaceFactory(
        name="EPN La Fontaine",
        commune=small_cantal["communes"]["riom"],
        postal_code="15400",
        address="2 rue du Marché",
        latitude=45.2830,
        longitude=2.6560,
    )


@pytest.fixture
def staff(db):
    """People with roles (TOTP set up), built on demand: ``staff(role, scope=None)``."""

    def make(role: str, scope=None):
        user = UserFactory()
        if role != Role.CITIZEN:
            give_totp(user)
        grant(user, role, scope)
        return user

    return make


@pytest.fixture
def cantal(territory):
    """The real Cantal geography (territory's fixture: imported once per session)."""
    return territory
