"""Demo data of part "billing" (idempotent): last month's invoices of every operator, and one
credit note.

Runs after the booking and series demos. What it does, each step looked up by natural keys so
that a second run adds nothing:

1. the legal details every operator's invoices need (``OperatorBilling``), when the operator
   has none yet: its name, the address of its first telecentre, an invented SIRET with a valid
   Luhn key and the VAT number derived from it;
2. when a telecentre has no billable usage last month (the booking demo books from today on),
   a few past bookings written directly through the ORM — see ``_past_bookings``;
3. last month's invoices of every operator (``invoices_issue_month``: nothing twice);
4. one credit note: a day of usage given back on the first invoice that has one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from stdnum import luhn

from cybercantal.accounts.models import Organisation
from cybercantal.core.money import round_cents

from ..models import (
    MONTHLY_PLAN_KINDS,
    AgreementEmployee,
    AgreementStatus,
    Booking,
    BookingStatus,
    DayPart,
    Invoice,
    InvoiceKind,
    Membership,
    OperatorBilling,
    ResourceKind,
    Telecentre,
    TelecentreStatus,
)
from ..queries import availability
from ..services import billing, slots

DEMO_CREDIT_REASON = "Geste commercial : journée non facturée (coupure du réseau fibre au télécentre)"
DEMO_IBAN = "FR7630006000011234567890189"
# Days of the week teleworkers come (Tuesday, Thursday) and independents (Wednesday).
EMPLOYEE_WEEKDAYS = (1, 3)
INDEPENDENT_WEEKDAYS = (2,)


def _siret_for(operator: Organisation) -> str:
    if operator.siret:
        return operator.siret
    seed = int(hashlib.sha256(operator.slug.encode()).hexdigest(), 16)
    body = "8" + f"{seed % 10**12:012d}"
    return body + luhn.calc_check_digit(body)


def _vat_number(siret: str) -> str:
    siren = int(siret[:9])
    return f"FR{(12 + 3 * (siren % 97)) % 97:02d}{siret[:9]}"


def _prefix(operator: Organisation) -> str:
    words = [w for w in operator.name.replace("-", " ").split() if w[:1].isalpha() and len(w) > 2]
    initials = "".join(w[0] for w in words).upper()[:4]
    return initials or "FAC"


def _operator_billings() -> int:
    created = 0
    operators = Organisation.objects.filter(operated_telecentres__isnull=False).distinct().order_by("pk")
    for operator in operators:
        if OperatorBilling.objects.filter(operator=operator).exists():
            continue
        telecentre = (
            Telecentre.objects.filter(operator=operator).select_related("place__commune").order_by("pk").first()
        )
        place = telecentre.place if telecentre else None
        address = operator.name
        if place is not None:
            commune = place.commune.name if place.commune_id else ""
            address = f"{place.address}\n{place.postal_code} {commune}".strip()
        siret = _siret_for(operator)
        OperatorBilling.objects.create(
            operator=operator,
            legal_name=operator.name,
            legal_form="SCIC SAS à capital variable",
            address=address,
            siret=siret,
            vat_number=_vat_number(siret),
            invoice_prefix=_prefix(operator),
            payment_terms_days=30,
            iban=DEMO_IBAN,
        )
        created += 1
    return created


def _days(year: int, month: int, weekdays: tuple[int, ...]) -> list[dt.date]:
    start, end = billing.month_bounds(year, month)
    return [
        start + dt.timedelta(days=n)
        for n in range((end - start).days + 1)
        if (start + dt.timedelta(days=n)).weekday() in weekdays
    ]


def _past_bookings(year: int, month: int) -> int:
    """Past bookings for the demo invoices, written through the ORM.

    DEMO ONLY: the booking service refuses a past slot (rightly) and the clock cannot be frozen
    at load time, so these rows are written directly, with the booking's invariants: a seat
    pool of a telecentre open that day, the half-day or day bounds from its opening hours
    (``slots.pool_period``), no seat beyond the pool's capacity and no second seat for the
    person at the same time (``availability`` queries), ``blocked_until`` after the end, a
    membership valid that day, at most two days a week, and the price from the agreement (day
    price) or the plan (usage price of a day), never invented."""
    start, end = billing.month_bounds(year, month)
    created = 0
    telecentres = Telecentre.objects.filter(status=TelecentreStatus.OPEN, opens_on__lte=start).order_by("pk")
    for telecentre in telecentres:
        billable = Booking.objects.filter(
            billing.BILLABLE_BOOKING,
            resource__telecentre=telecentre,
            starts_at__gte=slots.local(start, 0),
            starts_at__lt=slots.local(end + dt.timedelta(days=1), 0),
            price_excl_tax__gt=0,
        )
        if billable.exists():
            continue
        pool = (
            telecentre.resources.filter(kind=ResourceKind.SEAT_POOL, is_active=True).order_by("position", "pk").first()
        )
        if pool is None:
            continue
        memberships = (
            Membership.objects.filter(telecentre=telecentre, starts_on__lte=start)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=end))
            .filter(
                Q(agreement__isnull=True, plan__usage_price_day__isnull=False)
                | Q(agreement__status=AgreementStatus.ACTIVE, agreement__starts_on__lte=start)
            )
            # A monthly plan's days are paid by its subscription and credits: not priced usage.
            .exclude(agreement__isnull=True, plan__kind__in=MONTHLY_PLAN_KINDS)
            .select_related("plan", "agreement", "member")
            .order_by("pk")[:6]
        )
        for index, membership in enumerate(memberships):
            agreement = membership.agreement
            if agreement is not None and not _still_covered(membership, telecentre, start):
                continue
            if agreement is not None:
                days = _days(year, month, EMPLOYEE_WEEKDAYS)[:6]
                price, vat = round_cents(agreement.day_price_excl_tax), agreement.vat_rate
            else:
                days = _days(year, month, INDEPENDENT_WEEKDAYS)[:2]
                plan = membership.plan
                if plan is None or plan.usage_price_day is None:
                    continue
                price, vat = round_cents(plan.usage_price_day), plan.vat_rate
            part = DayPart.DAY if index % 3 else DayPart.MORNING
            for day in days:
                period = slots.pool_period(pool, day, part)
                if period is None:
                    continue  # closed that day
                starts_at, ends_at = period
                if availability.seats_taken(pool, starts_at, ends_at) >= pool.capacity:
                    continue
                if availability.member_overlaps(membership.member_id, pool, starts_at, ends_at).exists():
                    continue
                half = part != DayPart.DAY
                Booking.objects.create(
                    resource=pool,
                    member=membership.member,
                    membership=membership,
                    agreement=agreement,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    blocked_until=ends_at + dt.timedelta(minutes=pool.buffer_minutes),
                    part=part,
                    exclusive=False,
                    status=BookingStatus.CONFIRMED,
                    price_excl_tax=round_cents(price / 2) if half else price,
                    vat_rate=vat,
                    days_counted=Decimal("0.5") if half else Decimal("1"),
                    checked_in_at=starts_at + dt.timedelta(minutes=20),
                    created_by=membership.member,
                )
                created += 1
    return created


def _still_covered(membership: Membership, telecentre: Telecentre, start: dt.date) -> bool:
    """The agreement covers the telecentre and still names the person (as the service checks)."""
    agreement = membership.agreement
    if agreement is None or not agreement.telecentres.filter(pk=telecentre.pk).exists():
        return False
    return AgreementEmployee.objects.filter(
        Q(removed_on__isnull=True) | Q(removed_on__gt=start), agreement=agreement, user_id=membership.member_id
    ).exists()


def _credit_note() -> int:
    if Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE, reason=DEMO_CREDIT_REASON).exists():
        return 0
    invoice = (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, lines__booking__isnull=False, lines__credited_by__isnull=True)
        .select_related("operator")
        .order_by("pk")
        .first()
    )
    if invoice is None:
        return 0
    line = invoice.lines.filter(booking__isnull=False, credited_by__isnull=True).order_by("position").first()
    if line is None:  # pragma: no cover - the invoice was chosen for such a line
        return 0
    billing.invoice_credit(actor=None, invoice=invoice, reason=DEMO_CREDIT_REASON, lines=[line])
    return 1


def load() -> dict[str, int]:
    year, month = billing.previous_month(timezone.localdate())
    with transaction.atomic():
        details = _operator_billings()
        bookings = _past_bookings(year, month)
    issued = 0
    for operator in billing.operators_to_bill():
        issued += len(billing.invoices_issue_month(actor=None, operator=operator, year=year, month=month).issued)
    credit_notes = _credit_note()
    return {
        "mentions de facturation d'exploitants": details,
        "réservations du mois dernier (démo facturation)": bookings,
        "factures": issued,
        "avoirs": credit_notes,
    }
