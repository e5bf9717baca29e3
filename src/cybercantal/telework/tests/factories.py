"""Factories of the telework tests. Shared by every part: add a part's own factories in
``factories_<part>.py``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from cybercantal.accounts.models import Organisation
from cybercantal.accounts.tests.factories import OrganisationFactory, UserFactory
from cybercantal.places.models import PlaceKind, PlaceOffer
from cybercantal.places.tests.factories import PlaceFactory

from ..models import (
    AgreementEmployee,
    AgreementStatus,
    CreditGrant,
    CreditUnit,
    EmployerAgreement,
    Membership,
    OperatorBilling,
    Plan,
    PlanKind,
    Resource,
    ResourceAccess,
    ResourceKind,
    Telecentre,
    TelecentreStatus,
)
from ..services import credits

# Open every day of the year (tests must not depend on the weekday they run).
ALWAYS_OPEN = "Mo-Su 08:00-19:00"

__all__ = [
    "ALWAYS_OPEN",
    "AgreementFactory",
    "EmployeeFactory",
    "MembershipFactory",
    "OperatorFactory",
    "PlanFactory",
    "ResourceFactory",
    "TelecentreFactory",
    "UserFactory",
    "give_credits",
    "next_weekday",
]


class OperatorFactory(OrganisationFactory):
    class Meta:
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"SCIC Tiers-lieux test {n}")
    kind = Organisation.Kind.TELECENTRE_OPERATOR

    @factory.post_generation
    def billing(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            OperatorBilling.objects.get_or_create(
                operator=self,
                defaults={
                    "legal_name": self.name,
                    "legal_form": "SCIC SARL au capital de 10 000 €",
                    "address": "1 avenue de la Gare\n15300 Murat",
                    "siret": "73282932000074",
                    "vat_number": "FR44732829320",
                    "invoice_prefix": "TC",
                },
            )


class TelecentreFactory(factory.django.DjangoModelFactory):
    """An open telecentre whose place is open every day 8 h – 19 h."""

    class Meta:
        model = Telecentre

    place = factory.SubFactory(
        PlaceFactory,
        kind=PlaceKind.TELECENTRE,
        offers=[PlaceOffer.TELECENTRE],
        opening_hours=ALWAYS_OPEN,
        name=factory.Sequence(lambda n: f"Télécentre test {n}"),
    )
    operator = factory.SubFactory(OperatorFactory)
    status = TelecentreStatus.OPEN
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=365))
    cancellation_notice_hours = 24
    no_show_release_minutes = 60


class ResourceFactory(factory.django.DjangoModelFactory):
    """A seat pool of 4 seats, open to members."""

    class Meta:
        model = Resource

    telecentre = factory.SubFactory(TelecentreFactory)
    name = factory.Sequence(lambda n: f"Espace {n}")
    kind = ResourceKind.SEAT_POOL
    capacity = 4
    access = ResourceAccess.MEMBERS
    min_minutes = 30
    max_minutes = 600
    step_minutes = 30


class PlanFactory(factory.django.DjangoModelFactory):
    """A carnet of 10 days (seats and offices), 150 € HT, valid a year; 18 € a day beyond."""

    class Meta:
        model = Plan

    telecentre = factory.SubFactory(TelecentreFactory)
    name = factory.Sequence(lambda n: f"Carnet {n}")
    kind = PlanKind.CARNET
    price_excl_tax = Decimal("150.00")
    vat_rate = Decimal("20.00")
    credit_days = Decimal("10")
    credit_hours = Decimal("0")
    eligible_kinds = factory.LazyFunction(lambda: [ResourceKind.SEAT_POOL, ResourceKind.OFFICE])
    credit_validity_days = 365
    usage_price_day = Decimal("18.00")
    usage_price_hour = Decimal("12.00")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    member = factory.SubFactory(UserFactory)
    telecentre = factory.SubFactory(TelecentreFactory)
    plan = factory.LazyAttribute(lambda o: PlanFactory(telecentre=o.telecentre))
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))


class AgreementFactory(factory.django.DjangoModelFactory):
    """An agreement in force: 2 days a week, 15 € HT a day."""

    class Meta:
        model = EmployerAgreement
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"CONV-TEST-{n:04d}")
    employer = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.EMPLOYER)
    status = AgreementStatus.ACTIVE
    signed_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=60))
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=60))
    days_per_week = 2
    day_price_excl_tax = Decimal("15.00")

    @factory.post_generation
    def telecentres(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.telecentres.set(extracted)


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementEmployee

    agreement = factory.SubFactory(AgreementFactory)
    first_name = "Claire"
    last_name = factory.Sequence(lambda n: f"Salariée{n}")
    email = factory.Sequence(lambda n: f"salariee{n}@example.org")


def give_credits(
    membership: Membership, amount: str | Decimal = "10", *, unit: str = CreditUnit.DAY, days: int = 365
) -> CreditGrant:
    today = timezone.localdate()
    return credits.credits_grant(
        actor=None,
        membership=membership,
        unit=unit,
        amount=Decimal(amount),
        granted_on=today - dt.timedelta(days=1),
        expires_on=today + dt.timedelta(days=days),
        reason=CreditGrant.Reason.PURCHASE,
    )


def next_weekday(weekday: int, *, weeks: int = 0) -> dt.date:
    """The next ``weekday`` (0 = Monday) strictly after today, ``weeks`` later."""
    today = timezone.localdate()
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + dt.timedelta(days=ahead + 7 * weeks)
