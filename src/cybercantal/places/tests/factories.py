"""factory_boy factories for places (and the little geography and people they need).

``PlaceFactory`` creates through ``services.place_create`` so that the derived data
(canton, ``search_text``, opening slots) is right, exactly as in production.
Other apps may reuse these factories. People and organisations come from accounts'
factories (re-exported here for convenience).
"""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.contenttypes.models import ContentType

from cybercantal.accounts.models import RoleMembership, User
from cybercantal.accounts.tests.factories import OrganisationFactory, UserFactory
from cybercantal.places import services
from cybercantal.places.models import Place, PlaceKind, PlaceOffer, PlaceStatus
from cybercantal.territory.models import Canton, Commune, Departement, Region


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "84"
    name = "Auvergne-Rhône-Alpes"


class DepartementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Departement
        django_get_or_create = ("code",)

    code = "15"
    name = "Cantal"
    region = factory.SubFactory(RegionFactory)


class CantonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Canton
        django_get_or_create = ("code",)

    number = factory.Sequence(lambda n: 50 + n)
    # At most 5 characters (the column's length, which PostgreSQL enforces): a worker that has
    # made more than 950 cantons wraps around ("15000", "15001"...).
    code = factory.LazyAttribute(lambda o: f"15{o.number:02d}" if o.number < 1000 else f"15{o.number % 1000:03d}")
    name = factory.Sequence(lambda n: f"Canton test {n}")
    slug = factory.LazyAttribute(lambda o: _slug(o.name))
    departement = factory.SubFactory(DepartementFactory)


class CommuneFactory(factory.django.DjangoModelFactory):
    """A current commune with a centroid, in one canton (``canton=`` to choose it)."""

    class Meta:
        model = Commune
        django_get_or_create = ("insee_code", "kind")
        skip_postgeneration_save = True

    insee_code = factory.Sequence(lambda n: f"15{900 + n:03d}"[-5:])
    kind = Commune.Kind.ACTUELLE
    name = factory.Sequence(lambda n: f"Commune test {n}")
    slug = factory.LazyAttribute(lambda o: _slug(o.name))
    departement = factory.SubFactory(DepartementFactory)
    postal_codes = factory.LazyFunction(lambda: ["15000"])
    latitude = 45.0
    longitude = 2.6
    search_text = factory.LazyAttribute(lambda o: _normalise(o.name))

    @classmethod
    def _create(cls, model_class: type[Commune], *args: Any, **kwargs: Any) -> Commune:
        # Slugs are unique: a commune of that name already there (the real territory, loaded
        # by an earlier test of the same worker) is the one a test means.
        existing = model_class.objects.filter(slug=kwargs.get("slug")).first()
        if existing is not None:
            return existing
        return super()._create(model_class, *args, **kwargs)

    @factory.post_generation
    def canton(self, create: bool, extracted: Canton | None, **kwargs: Any) -> None:
        if not create:
            return
        if extracted is not None:
            self.cantons.add(extracted)
        elif not self.cantons.exists():
            self.cantons.add(CantonFactory())


def _slug(text: str) -> str:
    from django.utils.text import slugify

    return slugify(text)


def _normalise(text: str) -> str:
    from cybercantal.core.text import normalise

    return normalise(text)


class PlaceFactory(factory.django.DjangoModelFactory):
    """A published EPN, created through ``services.place_create``."""

    class Meta:
        model = Place

    name = factory.Sequence(lambda n: f"Espace test {n}")
    kind = PlaceKind.EPN
    status = PlaceStatus.PUBLISHED
    offers = factory.LazyFunction(lambda: [PlaceOffer.EPN])
    commune = factory.SubFactory(CommuneFactory)
    address = "1 place de la Mairie"
    postal_code = "15000"
    latitude = None
    longitude = None
    opening_hours = "Mo-Fr 09:00-12:00,14:00-17:30; PH off"

    @classmethod
    def _create(cls, model_class: type[Place], *args: Any, **kwargs: Any) -> Place:
        actor = kwargs.pop("actor", None)
        return services.place_create(actor=actor, allow_same_name=True, **kwargs)


def grant(user: User, role: str, scope: Any = None) -> RoleMembership:
    """Give ``user`` an active ``role`` (scoped to ``scope`` when given) and drop the role cache."""
    membership = RoleMembership.objects.create(
        user=user,
        role=role,
        scope_type=ContentType.objects.get_for_model(scope) if scope is not None else None,
        scope_id=scope.pk if scope is not None else None,
    )
    try:
        from cybercantal.accounts.queries import forget_cached_roles
    except ImportError:  # pragma: no cover
        pass
    else:
        forget_cached_roles(user)
    return membership


def give_totp(user: User) -> None:
    """Staff roles must have TOTP set up (middleware): give them an authenticator."""
    from allauth.mfa.models import Authenticator

    Authenticator.objects.get_or_create(user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "x"}})


__all__ = [
    "CantonFactory",
    "CommuneFactory",
    "DepartementFactory",
    "OrganisationFactory",
    "PlaceFactory",
    "RegionFactory",
    "UserFactory",
    "give_totp",
    "grant",
]
