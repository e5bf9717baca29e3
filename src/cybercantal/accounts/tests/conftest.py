"""Fixtures of the accounts tests."""

from __future__ import annotations

from typing import Any

import pytest

from cybercantal.accounts.queries import forget_cached_roles

from .factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def make_user(db):
    def make(**kwargs: Any):
        return UserFactory(**kwargs)

    return make


@pytest.fixture
def grant(db):
    """grant(user, role, scope=None, **dates): a membership written directly (set-up only)."""

    def make(user, role, scope=None, **kwargs: Any):
        membership = MembershipFactory(user=user, role=role, scope=scope, **kwargs)
        forget_cached_roles(user)
        return membership

    return make


@pytest.fixture
def organisation(db):
    return OrganisationFactory()


@pytest.fixture
def administrator(make_user, grant):
    user = make_user(email="admin@exemple.test", is_staff=True)
    grant(user, "administrator")
    return user


@pytest.fixture
def programme_manager(make_user, grant):
    user = make_user(email="charge@exemple.test", is_staff=True)
    grant(user, "programme_manager")
    return user


@pytest.fixture
def totp_secret() -> str:
    return "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def give_totp(totp_secret):
    """give_totp(user): activate TOTP with a known secret, as allauth does."""
    from allauth.mfa.totp.internal.auth import TOTP

    def give(user):
        TOTP.activate(user, totp_secret)
        return totp_secret

    return give


@pytest.fixture
def signed_in(client, give_totp):
    """signed_in(user): a client whose session belongs to ``user`` (TOTP given to staff first)."""
    from cybercantal.accounts.queries import has_staff_role, has_totp

    def sign_in(user, *, with_totp: bool = True):
        if with_totp and has_staff_role(user) and not has_totp(user):
            give_totp(user)
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def make_place(db):
    """make_place(organisation=None): a real ``places.Place``."""
    from cybercantal.places.models import Place
    from cybercantal.territory.models import Commune, Departement, Region

    region, _ = Region.objects.get_or_create(code="84", defaults={"name": "Auvergne-Rhône-Alpes"})
    departement, _ = Departement.objects.get_or_create(code="15", defaults={"name": "Cantal", "region": region})
    # The territory fixture may have loaded the real Murat already (session-wide data).
    commune, _ = Commune.objects.get_or_create(
        insee_code="15138",
        kind=Commune.Kind.ACTUELLE,
        defaults={"slug": "murat-test", "name": "Murat", "departement": departement},
    )
    counter = iter(range(1, 10_000))

    def make(organisation=None, **fields: Any):
        n = next(counter)
        return Place.objects.create(
            slug=f"lieu-test-{n}",
            name=f"Lieu test {n}",
            kind=fields.pop("kind", "epn"),
            commune=commune,
            address="1 place de la Mairie",
            postal_code="15300",
            organisation=organisation,
            **fields,
        )

    return make
