"""Helpers of the billing tests: past months and bookings already made in them.

The booking service refuses a past slot (rightly), so the bookings of a past month are written
here through the ORM, with the booking's invariants: bounds from the opening hours
(``slots.pool_period``), ``blocked_until`` after the end, the price and VAT from the plan or the
agreement, the days counted, the membership and agreement copied as the service does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ..models import Booking, BookingStatus, DayPart, Membership, Resource
from ..services import slots


def last_month() -> tuple[int, int]:
    first = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


def day_of(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, day)


def past_booking(
    *,
    resource: Resource,
    member: Any,
    day: dt.date,
    part: str = DayPart.DAY,
    price: Decimal | str = "0",
    vat_rate: Decimal | str = "20.00",
    membership: Membership | None = None,
    agreement: Any = None,
    status: str = BookingStatus.CONFIRMED,
    late_cancellation: bool = False,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
) -> Booking:
    if starts_at is None or ends_at is None:
        period = slots.pool_period(resource, day, part)
        assert period is not None, "the telecentre is closed that day"
        starts_at, ends_at = period
    else:
        part = ""
    units = {DayPart.DAY: Decimal("1"), DayPart.MORNING: Decimal("0.5"), DayPart.AFTERNOON: Decimal("0.5")}
    return Booking.objects.create(
        resource=resource,
        member=member,
        membership=membership,
        agreement=agreement,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_until=ends_at + dt.timedelta(minutes=resource.buffer_minutes),
        part=part,
        exclusive=resource.is_exclusive,
        status=status,
        price_excl_tax=Decimal(price),
        vat_rate=Decimal(vat_rate),
        days_counted=units.get(part, Decimal("0")) if part else Decimal("0"),
        late_cancellation=late_cancellation,
        cancelled_at=starts_at - dt.timedelta(hours=2) if status == BookingStatus.CANCELLED else None,
        released_at=starts_at + dt.timedelta(hours=1) if status == BookingStatus.RELEASED else None,
    )


class Scenario:
    """A month of a telecentre to bill, last month:

    - Anne, on a part-time monthly plan (120 € HT) from the 11th: prorated;
    - Bruno, on a carnet (150 € HT) bought on the 5th, who also booked beyond his credits: a
      day at 18 € on the 3rd, a day cancelled late on the 4th, a morning released (no-show) at
      9 € on the 6th — and a day cancelled in time on the 7th and a day on credits on the 8th,
      neither billed;
    - the employer « Fromagerie du Lioran », agreement CONV-LIO (15 € HT a day, 40 € HT a month
      per employee): Claire Vidal covered, booking a day on the 3rd; Marc Rouby removed before
      the month (no fee);
    - another operator's telecentre, with a booking that is not this operator's.
    """

    def __init__(self) -> None:
        from cybercantal.accounts.models import Organisation
        from cybercantal.accounts.tests.factories import OrganisationFactory, UserFactory

        from ..models import CreditGrant, CreditUnit, PlanKind, ResourceKind
        from .factories import (
            AgreementFactory,
            EmployeeFactory,
            MembershipFactory,
            PlanFactory,
            ResourceFactory,
            TelecentreFactory,
        )

        self.year, self.month = last_month()
        y, m = self.year, self.month
        self.telecentre = TelecentreFactory(opens_on=dt.date(y, m, 1) - dt.timedelta(days=400))
        self.operator = self.telecentre.operator
        self.pool = ResourceFactory(telecentre=self.telecentre, name="Open space", kind=ResourceKind.SEAT_POOL)
        monthly = PlanFactory(
            telecentre=self.telecentre,
            name="Mi-temps",
            kind=PlanKind.PART_TIME,
            price_excl_tax=Decimal("120.00"),
            credit_days=Decimal("8"),
            days_per_week=2,
        )
        carnet = PlanFactory(telecentre=self.telecentre, name="Carnet 10 jours")
        self.anne = UserFactory(first_name="Anne", last_name="Mazet")
        self.anne_membership = MembershipFactory(
            member=self.anne, telecentre=self.telecentre, plan=monthly, starts_on=dt.date(y, m, 11)
        )
        self.bruno = UserFactory(first_name="Bruno", last_name="Teyssèdre")
        self.bruno_membership = MembershipFactory(
            member=self.bruno,
            telecentre=self.telecentre,
            plan=carnet,
            starts_on=dt.date(y, m, 1) - dt.timedelta(days=90),
        )
        CreditGrant.objects.create(
            membership=self.bruno_membership,
            unit=CreditUnit.DAY,
            amount=Decimal("10"),
            remaining=Decimal("9"),
            eligible_kinds=[ResourceKind.SEAT_POOL],
            granted_on=dt.date(y, m, 5),
            expires_on=dt.date(y, m, 5) + dt.timedelta(days=365),
            reason=CreditGrant.Reason.PURCHASE,
        )
        common = {"resource": self.pool, "member": self.bruno, "membership": self.bruno_membership}
        self.b_day = past_booking(**common, day=dt.date(y, m, 3), price="18.00")
        self.b_late = past_booking(
            **common, day=dt.date(y, m, 4), price="18.00", status=BookingStatus.CANCELLED, late_cancellation=True
        )
        self.b_released = past_booking(
            **common, day=dt.date(y, m, 6), part=DayPart.MORNING, price="9.00", status=BookingStatus.RELEASED
        )
        past_booking(**common, day=dt.date(y, m, 7), price="18.00", status=BookingStatus.CANCELLED)
        past_booking(**common, day=dt.date(y, m, 8), price="0")

        self.employer = OrganisationFactory(name="Fromagerie du Lioran", kind=Organisation.Kind.EMPLOYER)
        self.agreement = AgreementFactory(
            reference="CONV-LIO",
            employer=self.employer,
            telecentres=[self.telecentre],
            starts_on=dt.date(y, m, 1) - dt.timedelta(days=60),
            signed_on=dt.date(y, m, 1) - dt.timedelta(days=60),
            monthly_fee_excl_tax=Decimal("40.00"),
            billing_address="Service comptabilité\n15300 Laveissière",
        )
        self.claire = UserFactory(first_name="Claire", last_name="Vidal")
        EmployeeFactory(
            agreement=self.agreement,
            first_name="Claire",
            last_name="Vidal",
            email=self.claire.email,
            user=self.claire,
            added_on=dt.date(y, m, 1) - dt.timedelta(days=30),
        )
        EmployeeFactory(
            agreement=self.agreement,
            first_name="Marc",
            last_name="Rouby",
            added_on=dt.date(y, m, 1) - dt.timedelta(days=30),
            removed_on=dt.date(y, m, 1),
        )
        self.claire_membership = MembershipFactory(
            member=self.claire,
            telecentre=self.telecentre,
            plan=None,
            agreement=self.agreement,
            starts_on=dt.date(y, m, 1) - dt.timedelta(days=30),
        )
        self.c_day = past_booking(
            resource=self.pool,
            member=self.claire,
            membership=self.claire_membership,
            agreement=self.agreement,
            day=dt.date(y, m, 3),
            price="15.00",
        )

        other = TelecentreFactory(opens_on=self.telecentre.opens_on)
        other_pool = ResourceFactory(telecentre=other)
        self.other_operator = other.operator
        from ..models import OperatorBilling

        OperatorBilling.objects.filter(operator=other.operator).update(invoice_prefix="MA")
        other_membership = MembershipFactory(member=self.bruno, telecentre=other)
        past_booking(
            resource=other_pool, member=self.bruno, membership=other_membership, day=dt.date(y, m, 3), price="20.00"
        )
