"""factory_boy factories of the mediation app. Other parts of the app add theirs in their
own ``factories_<part>.py`` if they need more; these are shared."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from cybercantal.accounts.tests.factories import OrganisationFactory, UserFactory
from cybercantal.mediation import models as m
from cybercantal.places.tests.factories import PlaceFactory


class MediatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Mediator

    user = factory.SubFactory(UserFactory)
    employer = factory.SubFactory(OrganisationFactory)
    qualifications = factory.LazyFunction(lambda: [m.Qualification.CONSEILLER_NUMERIQUE])


class WorkshopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Workshop

    title = factory.Sequence(lambda n: f"Premiers pas avec le courriel {n}")
    slug = factory.Sequence(lambda n: f"premiers-pas-courriel-{n}")
    summary = "Créer une adresse, lire et envoyer un message, joindre une photo."
    themes = factory.LazyFunction(lambda: [m.DigitalTheme.EMAIL])
    level = m.Level.BEGINNER
    duration_minutes = 120
    publics = factory.LazyFunction(lambda: [m.Public.EVERYONE])


def _next_week_at(hour: int) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=7)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


class SessionFactory(factory.django.DjangoModelFactory):
    """A scheduled session next week (confirmed_count 0: register through the services)."""

    class Meta:
        model = m.Session

    workshop = factory.SubFactory(WorkshopFactory)
    place = factory.SubFactory(PlaceFactory)
    starts_at = factory.LazyFunction(lambda: _next_week_at(14))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=o.workshop.duration_minutes))
    capacity = 8


class EquipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Equipment

    kind = m.EquipmentKind.DESKTOP
    model_name = "Dell OptiPlex 7010"
    serial_number = factory.Sequence(lambda n: f"SN{n:08d}")
    bought_on = dt.date(2022, 9, 1)
    price = Decimal("749.00")
    warranty_ends_on = dt.date(2025, 9, 1)
    place = factory.SubFactory(PlaceFactory)


class PublicComputerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PublicComputer

    place = factory.SubFactory(PlaceFactory)
    label = factory.Sequence(lambda n: f"Poste {n + 1}")


__all__ = [
    "EquipmentFactory",
    "MediatorFactory",
    "OrganisationFactory",
    "PlaceFactory",
    "PublicComputerFactory",
    "SessionFactory",
    "UserFactory",
    "WorkshopFactory",
]
