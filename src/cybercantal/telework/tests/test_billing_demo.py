"""The billing demo: last month's invoices from the demo world, one credit note; a second run
adds nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ..demo import billing as demo
from ..models import Booking, Invoice, InvoiceKind, OperatorBilling
from .factories import (
    AgreementFactory,
    EmployeeFactory,
    MembershipFactory,
    OperatorFactory,
    PlanFactory,
    ResourceFactory,
    TelecentreFactory,
)
from .factories_billing import last_month

pytestmark = pytest.mark.django_db


def test_demo_issues_last_month_then_adds_nothing():
    from cybercantal.accounts.models import Organisation
    from cybercantal.accounts.tests.factories import OrganisationFactory

    year, month = last_month()
    long_ago = dt.date(year, month, 1) - dt.timedelta(days=90)
    operator = OrganisationFactory(name="SCIC Tiers-Lieux du Cantal", kind=Organisation.Kind.TELECENTRE_OPERATOR)
    telecentre = TelecentreFactory(operator=operator, opens_on=long_ago)
    ResourceFactory(telecentre=telecentre, name="Open space", capacity=6)
    plan = PlanFactory(telecentre=telecentre, usage_price_day=Decimal("18.00"))
    MembershipFactory(telecentre=telecentre, plan=plan, starts_on=long_ago)
    agreement = AgreementFactory(
        telecentres=[telecentre], starts_on=long_ago, signed_on=long_ago, day_price_excl_tax=Decimal("15.00")
    )
    employee = EmployeeFactory(agreement=agreement, added_on=long_ago)
    member = MembershipFactory(telecentre=telecentre, plan=None, agreement=agreement, starts_on=long_ago).member
    employee.user = member
    employee.save()
    already = TelecentreFactory(operator=OperatorFactory(), opens_on=long_ago)  # has its details
    assert OperatorBilling.objects.filter(operator=already.operator).exists()

    first = demo.load()
    assert first["mentions de facturation d'exploitants"] == 1
    details = OperatorBilling.objects.get(operator=operator)
    assert len(details.siret) == 14
    assert details.vat_number.startswith("FR")
    assert details.invoice_prefix == "STLC"
    assert first["réservations du mois dernier (démo facturation)"] > 0
    assert first["factures"] == 2  # the independent and the employer
    assert first["avoirs"] == 1
    employer_invoice = Invoice.objects.get(payer_organisation=agreement.employer)
    assert employer_invoice.total_excl_tax > 0
    assert employer_invoice.lines.filter(booking__isnull=False).exists()
    assert Booking.objects.filter(starts_at__year=year, starts_at__month=month, agreement=agreement).exists()

    second = demo.load()
    assert set(second.values()) == {0}
    assert Invoice.objects.filter(kind=InvoiceKind.INVOICE).count() == 2
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1
