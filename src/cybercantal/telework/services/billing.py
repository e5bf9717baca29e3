"""Monthly invoices and credit notes of the telecentres' operators (issue 3 §5).

What is billed, per operator (the telecentres' ``operator``) and calendar month:

- to a member (``payer_user``), for memberships without an employer agreement:
  - monthly plans (part-time, full-time): the plan price for each month the membership is
    active, prorated by days for a partial month (the line says so);
  - purchases: credit grants of reason PURCHASE granted that month (carnet, pack of hours),
    at the plan price;
  - usage: bookings with a price and no agreement, starting that month, confirmed, released
    (no-show) or cancelled late — one line per booking;
- to an employer (``payer_organisation``), per agreement: the monthly fee per employee covered
  during the month (when the agreement has one) and the usage of its employees at the prices
  stored on the bookings (they came from the agreement), one line per booking naming the
  employee (the name only: what billing needs).

Every amount comes from the database (plan, agreement, booking), never from a form. Each line
is rounded to the cent; VAT is computed per rate on the lines of that rate.

Numbers: ``{prefix}-{year}-{sequence:05d}``, chronological and without gaps per operator and
year. The ``InvoiceCounter`` row is locked and bumped in the same transaction as the invoice,
so a failure rolls the number back with the invoice. One invoice per payer, operator and month
(``invoice_once_per_*_month`` constraints): re-running a month issues nothing twice, and two
runs at once are serialised by the counter lock (the constraint catches what the lock cannot,
such as two runs dated in different years). An issued invoice never changes
(``Invoice.save``); corrections are credit notes, numbered in the same sequence.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cybercantal.accounts.models import Organisation
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.money import format_euros, round_cents
from cybercantal.core.text import normalise

from ..models import (
    MONTHLY_PLAN_KINDS,
    AgreementEmployee,
    AgreementStatus,
    Booking,
    BookingStatus,
    CreditGrant,
    CreditUnit,
    EmployerAgreement,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    MemberProfile,
    Membership,
    OperatorBilling,
    Plan,
    PlanKind,
    Telecentre,
)
from . import slots

ZERO = Decimal("0.00")
ONE = Decimal("1")
HUNDRED = Decimal("100")


class BillingError(ValidationError):
    """A billing action refused for a rule (French message). ``code`` says which rule."""

    def __init__(self, message: Any, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.code = code


# --- what is billed ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payer:
    """Who pays: a member (``kind == "user"``) or an employer organisation."""

    kind: str  # "user" | "organisation"
    pk: int

    @classmethod
    def of_invoice(cls, invoice: Invoice) -> Payer:
        if invoice.payer_user_id is not None:
            return cls("user", invoice.payer_user_id)
        return cls("organisation", int(invoice.payer_organisation_id or 0))


@dataclass
class DraftLine:
    description: str
    quantity: Decimal
    unit: str
    unit_price_excl_tax: Decimal
    vat_rate: Decimal
    booking_id: int | None = None
    membership_id: int | None = None
    credit_grant_id: int | None = None
    agreement_employee_id: int | None = None
    sort_key: tuple[Any, ...] = ()

    @property
    def total_excl_tax(self) -> Decimal:
        return round_cents(self.quantity * self.unit_price_excl_tax)


@dataclass
class Draft:
    """An invoice before it is issued: its payer and lines."""

    payer: Payer
    payer_name: str = ""
    payer_address: str = ""
    agreement_ids: set[int] = field(default_factory=set)
    lines: list[DraftLine] = field(default_factory=list)

    @property
    def totals(self) -> Totals:
        return totals_of((line.total_excl_tax, line.vat_rate) for line in self.lines)


@dataclass(frozen=True)
class VatRow:
    rate: Decimal
    base: Decimal  # excl. tax
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    excl_tax: Decimal
    vat: Decimal
    incl_tax: Decimal
    by_rate: tuple[VatRow, ...]


def totals_of(lines: Iterable[tuple[Decimal, Decimal]]) -> Totals:
    """HT, VAT per rate (rounded once per rate, on the sum of that rate's lines) and TTC."""
    bases: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for total, rate in lines:
        bases[Decimal(rate)] += Decimal(total)
    rows = tuple(
        VatRow(rate=rate, base=round_cents(base), vat=round_cents(base * rate / HUNDRED))
        for rate, base in sorted(bases.items())
    )
    excl = round_cents(sum((row.base for row in rows), ZERO))
    vat = round_cents(sum((row.vat for row in rows), ZERO))
    return Totals(excl_tax=excl, vat=vat, incl_tax=excl + vat, by_rate=rows)


def invoice_totals(invoice: Invoice) -> Totals:
    """The totals of an issued invoice, from its lines (``lines`` prefetched or not)."""
    return totals_of((line.total_excl_tax, line.vat_rate) for line in invoice.lines.all())


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1), dt.date(year, month, last)


def previous_month(today: dt.date) -> tuple[int, int]:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


def month_label(year: int, month: int) -> str:
    """« mars 2026 »."""
    return date_format(dt.date(year, month, 1), "F Y")


def _check_month(year: int, month: int) -> tuple[dt.date, dt.date]:
    if not (2000 <= int(year) <= 2100 and 1 <= int(month) <= 12):
        raise BillingError({"month": [_("Choisissez un mois valide.")]}, code="invalid_month")
    start, end = month_bounds(int(year), int(month))
    if end >= timezone.localdate():
        raise BillingError(
            {
                "month": [
                    _("Le mois de %(month)s n'est pas terminé : il se facture à partir du %(day)s.")
                    % {"month": month_label(year, month), "day": date_format(end + dt.timedelta(days=1), "j F Y")}
                ]
            },
            code="month_not_over",
        )
    return start, end


def _active_in(start: dt.date, end: dt.date, *, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_on__lte": end}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": start})
    )


BILLABLE_BOOKING = Q(status__in=[BookingStatus.CONFIRMED, BookingStatus.RELEASED]) | Q(
    status=BookingStatus.CANCELLED, late_cancellation=True
)


def describe_booking(booking: Booking, *, for_employer: bool = False) -> str:
    """« Open space, mardi 3 mars 2026, journée » or « Salle du Plomb, mardi 3 mars 2026, 14 h – 16 h »,
    with what happened when it was not used (late cancellation, no-show).

    ``for_employer``: what billing needs and no more — the day and how much of it, no times of
    day and no attendance (an employer's invoice must not become a way to watch employees)."""
    from cybercantal.places.hours import format_time

    start = timezone.localtime(booking.starts_at)
    day = date_format(start.date(), "l j F Y")
    if for_employer:
        if booking.part:
            amount = booking.get_part_display().lower()
        elif booking.days_counted:
            amount = _("journée") if booking.days_counted >= 1 else _("demi-journée")
        else:
            minutes = int((booking.ends_at - booking.starts_at).total_seconds() // 60)
            amount = _("%(hours)s h %(minutes)02d") % {"hours": minutes // 60, "minutes": minutes % 60}
        return f"{booking.resource.name}, {day}, {amount}"
    if booking.part:
        when = booking.get_part_display().lower()
    else:
        end = timezone.localtime(booking.ends_at)
        when = f"{format_time(start.time())} – {format_time(end.time())}"
    text = f"{booking.resource.name}, {day}, {when}"
    if booking.status == BookingStatus.CANCELLED:
        text += " " + _("(annulée hors délai)")
    elif booking.status == BookingStatus.RELEASED:
        text += " " + _("(absence, place libérée)")
    return text


def _person_name(user: Any) -> str:
    return (user.get_full_name() or "").strip() or user.email


def _bookings(operator: Organisation, start: dt.date, end: dt.date) -> Any:
    return (
        Booking.objects.filter(
            BILLABLE_BOOKING,
            resource__telecentre__operator=operator,
            starts_at__gte=slots.local(start, 0),
            starts_at__lt=slots.local(end + dt.timedelta(days=1), 0),
            price_excl_tax__gt=0,
        )
        .select_related("resource", "member")
        .order_by("starts_at", "pk")
    )


def _purchase_plan(grant: CreditGrant, plans: list[Plan]) -> Plan | None:
    """The plan a purchase was made on: the membership's own carnet or pack of hours, else the
    telecentre's carnet (days) or pack (hours) of that size."""
    wanted = PlanKind.MEETING_HOURS if grant.unit == CreditUnit.HOUR else PlanKind.CARNET
    own = grant.membership.plan
    if own is not None and own.kind == wanted:
        return own
    size = "credit_hours" if grant.unit == CreditUnit.HOUR else "credit_days"
    same_kind = [p for p in plans if p.telecentre_id == grant.membership.telecentre_id and p.kind == wanted]
    for plan in same_kind:
        if getattr(plan, size) == grant.amount:
            return plan
    return None


def _monthly_plan_line(membership: Membership, start: dt.date, end: dt.date) -> DraftLine | None:
    plan = membership.plan
    if plan is None:
        return None
    first = max(start, membership.starts_on)
    last = min(end, membership.ends_on) if membership.ends_on else end
    if last < first:
        return None
    days_in_month = (end - start).days + 1
    days = (last - first).days + 1
    period = month_label(start.year, start.month)
    head = _("%(plan)s « %(name)s », %(telecentre)s") % {
        "plan": plan.get_kind_display(),
        "name": plan.name,
        "telecentre": membership.telecentre.place.name,
    }
    if days == days_in_month:
        return DraftLine(
            description=f"{head} — {period}",
            quantity=ONE,
            unit=_("mois"),
            unit_price_excl_tax=plan.price_excl_tax,
            vat_rate=plan.vat_rate,
            membership_id=membership.pk,
            sort_key=(0, membership.pk),
        )
    amount = round_cents(plan.price_excl_tax * days / days_in_month)
    rule = _(
        "du %(first)s au %(last)s, au prorata des jours : %(days)s jours sur %(total)s × %(price)s HT par mois"
    ) % {
        "first": date_format(first, "j F Y"),
        "last": date_format(last, "j F Y"),
        "days": days,
        "total": days_in_month,
        "price": format_euros(plan.price_excl_tax),
    }
    return DraftLine(
        description=f"{head} — {rule}",
        quantity=ONE,
        unit=_("mois"),
        unit_price_excl_tax=amount,
        vat_rate=plan.vat_rate,
        membership_id=membership.pk,
        sort_key=(0, membership.pk),
    )


def _member_drafts(operator: Organisation, start: dt.date, end: dt.date, user_id: int | None) -> dict[Payer, Draft]:
    drafts: dict[Payer, Draft] = {}

    def draft_of(user_id: int) -> Draft:
        payer = Payer("user", user_id)
        if payer not in drafts:
            drafts[payer] = Draft(payer=payer)
        return drafts[payer]

    who = Q(member_id=user_id) if user_id is not None else Q()
    # Monthly plans.
    memberships = (
        Membership.objects.filter(
            who,
            _active_in(start, end),
            telecentre__operator=operator,
            agreement__isnull=True,
            plan__kind__in=MONTHLY_PLAN_KINDS,
        )
        .select_related("plan", "telecentre__place")
        .order_by("starts_on", "pk")
    )
    for membership in memberships:
        line = _monthly_plan_line(membership, start, end)
        if line is not None:
            draft_of(membership.member_id).lines.append(line)
    # Purchases (carnet, pack of hours).
    grants = list(
        CreditGrant.objects.filter(
            reason=CreditGrant.Reason.PURCHASE,
            granted_on__gte=start,
            granted_on__lte=end,
            membership__telecentre__operator=operator,
            membership__agreement__isnull=True,
        )
        .filter(Q(membership__member_id=user_id) if user_id is not None else Q())
        .select_related("membership__plan", "membership__telecentre__place")
        .order_by("granted_on", "pk")
    )
    plans = list(Plan.objects.filter(telecentre__operator=operator, kind__in=[PlanKind.CARNET, PlanKind.MEETING_HOURS]))
    for grant in grants:
        plan = _purchase_plan(grant, plans)
        if plan is None:
            continue  # a purchase no plan prices (reported by ``unpriced_purchases``)
        unit_label = _("heures") if grant.unit == CreditUnit.HOUR else _("jours")
        description = _("%(kind)s « %(name)s » (%(amount)s %(unit)s), %(telecentre)s — acheté le %(date)s") % {
            "kind": plan.get_kind_display(),
            "name": plan.name,
            "amount": f"{grant.amount.normalize():f}".replace(".", ","),
            "unit": unit_label,
            "telecentre": grant.membership.telecentre.place.name,
            "date": date_format(grant.granted_on, "j F Y"),
        }
        draft_of(grant.membership.member_id).lines.append(
            DraftLine(
                description=description,
                quantity=ONE,
                unit=_("forfait"),
                unit_price_excl_tax=plan.price_excl_tax,
                vat_rate=plan.vat_rate,
                membership_id=grant.membership_id,
                credit_grant_id=grant.pk,
                sort_key=(1, grant.granted_on, grant.pk),
            )
        )
    # Usage beyond credits.
    bookings = _bookings(operator, start, end).filter(agreement__isnull=True)
    if user_id is not None:
        bookings = bookings.filter(member_id=user_id)
    for booking in bookings:
        draft_of(booking.member_id).lines.append(
            DraftLine(
                description=describe_booking(booking),
                quantity=ONE,
                unit=_("réservation"),
                unit_price_excl_tax=booking.price_excl_tax,
                vat_rate=booking.vat_rate,
                booking_id=booking.pk,
                membership_id=booking.membership_id,
                sort_key=(2, booking.starts_at, booking.pk),
            )
        )
    # Names and addresses (a snapshot: the invoice says what was true when issued).
    if drafts:
        from cybercantal.accounts.models import User

        ids = [payer.pk for payer in drafts]
        users = {user.pk: user for user in User.objects.filter(pk__in=ids)}
        profiles = {profile.user_id: profile for profile in MemberProfile.objects.filter(user_id__in=ids)}
        for payer, draft in drafts.items():
            profile = profiles.get(payer.pk)
            user = users[payer.pk]
            draft.payer_name = (profile.billing_name if profile else "") or _person_name(user)
            draft.payer_address = profile.billing_address if profile else ""
    return drafts


def _agreements(operator: Organisation, start: dt.date, end: dt.date) -> list[EmployerAgreement]:
    return list(
        EmployerAgreement.objects.filter(
            _active_in(start, end),
            telecentres__operator=operator,
            status__in=[AgreementStatus.ACTIVE, AgreementStatus.ENDED],
        )
        .distinct()
        .select_related("employer")
        .prefetch_related(
            Prefetch("telecentres", queryset=Telecentre.objects.order_by("pk").only("pk", "operator_id")),
            Prefetch("employees", queryset=AgreementEmployee.objects.order_by("last_name", "first_name", "pk")),
        )
        .order_by("reference")
    )


def _fee_operator_of(
    agreement: EmployerAgreement, employee: AgreementEmployee, member_operators: dict[tuple[int, int], int]
) -> int | None:
    """Which operator bills an employee's monthly fee: the one of the telecentre where the
    employee is a member under the agreement, else the one of the agreement's first telecentre."""
    if employee.user_id is not None and (agreement.pk, employee.user_id) in member_operators:
        return member_operators[(agreement.pk, employee.user_id)]
    telecentres = list(agreement.telecentres.all())
    return telecentres[0].operator_id if telecentres else None


def _employer_drafts(
    operator: Organisation, start: dt.date, end: dt.date, organisation_id: int | None
) -> dict[Payer, Draft]:
    drafts: dict[Payer, Draft] = {}
    agreements = [a for a in _agreements(operator, start, end) if organisation_id in (None, a.employer_id)]
    if not agreements:
        return drafts
    member_operators = {
        (agreement_id, member_id): operator_id
        for agreement_id, member_id, operator_id in Membership.objects.filter(
            _active_in(start, end), agreement__in=agreements
        )
        .order_by("starts_on", "pk")
        .values_list("agreement_id", "member_id", "telecentre__operator_id")
    }
    by_agreement = {agreement.pk: agreement for agreement in agreements}

    def draft_of(agreement: EmployerAgreement) -> Draft:
        payer = Payer("organisation", agreement.employer_id)
        if payer not in drafts:
            drafts[payer] = Draft(payer=payer, payer_name=agreement.employer.name)
        draft = drafts[payer]
        draft.agreement_ids.add(agreement.pk)
        if not draft.payer_address and agreement.billing_address:
            draft.payer_address = agreement.billing_address
        return draft

    employee_names: dict[tuple[int, int], str] = {}
    for agreement in agreements:
        for employee in agreement.employees.all():
            if employee.user_id is not None:
                employee_names.setdefault((agreement.pk, employee.user_id), str(employee))
            if agreement.monthly_fee_excl_tax <= 0:
                continue
            covered = employee.added_on <= end and (employee.removed_on is None or employee.removed_on > start)
            if not covered or _fee_operator_of(agreement, employee, member_operators) != operator.pk:
                continue
            draft_of(agreement).lines.append(
                DraftLine(
                    description=_("Forfait mensuel de la convention %(reference)s — %(employee)s — %(month)s")
                    % {
                        "reference": agreement.reference,
                        "employee": str(employee),
                        "month": month_label(start.year, start.month),
                    },
                    quantity=ONE,
                    unit=_("mois"),
                    unit_price_excl_tax=agreement.monthly_fee_excl_tax,
                    vat_rate=agreement.vat_rate,
                    agreement_employee_id=employee.pk,
                    sort_key=(0, agreement.reference, employee.last_name, employee.first_name, employee.pk),
                )
            )
    bookings = _bookings(operator, start, end).filter(agreement_id__in=list(by_agreement))
    for booking in bookings:
        agreement = by_agreement[int(booking.agreement_id or 0)]
        name = employee_names.get((agreement.pk, booking.member_id)) or _person_name(booking.member)
        draft_of(agreement).lines.append(
            DraftLine(
                description=_("%(booking)s — %(employee)s (convention %(reference)s)")
                % {
                    "booking": describe_booking(booking, for_employer=True),
                    "employee": name,
                    "reference": agreement.reference,
                },
                quantity=ONE,
                unit=_("réservation"),
                unit_price_excl_tax=booking.price_excl_tax,
                vat_rate=booking.vat_rate,
                booking_id=booking.pk,
                sort_key=(1, agreement.reference, booking.starts_at, booking.pk),
            )
        )
    return drafts


def billable(
    *, operator: Organisation, year: int, month: int, payer: Payer | None = None, vat_exempt: bool | None = None
) -> list[Draft]:
    """What ``operator`` bills for the month, one draft per payer (those with something to pay),
    members first, then employers, each by name. Reads only: nothing is written."""
    start, end = month_bounds(year, month)
    drafts: dict[Payer, Draft] = {}
    if payer is None or payer.kind == "user":
        drafts.update(_member_drafts(operator, start, end, payer.pk if payer else None))
    if payer is None or payer.kind == "organisation":
        drafts.update(_employer_drafts(operator, start, end, payer.pk if payer else None))
    if vat_exempt is None:
        vat_exempt = OperatorBilling.objects.filter(operator=operator, vat_exempt=True).exists()
    result = []
    for draft in drafts.values():
        draft.lines = [line for line in draft.lines if line.total_excl_tax > 0]
        if not draft.lines:
            continue
        draft.lines.sort(key=lambda line: line.sort_key)
        if vat_exempt:
            for line in draft.lines:
                line.vat_rate = ZERO
        result.append(draft)
    result.sort(key=lambda d: (d.payer.kind != "user", d.payer_name.casefold(), d.payer.pk))
    return result


def unpriced_purchases(*, operator: Organisation, year: int, month: int) -> list[CreditGrant]:
    """Purchases of the month that no carnet or pack of hours prices (shown to the manager)."""
    start, end = month_bounds(year, month)
    grants = list(
        CreditGrant.objects.filter(
            reason=CreditGrant.Reason.PURCHASE,
            granted_on__gte=start,
            granted_on__lte=end,
            membership__telecentre__operator=operator,
            membership__agreement__isnull=True,
        ).select_related("membership__plan")
    )
    plans = list(Plan.objects.filter(telecentre__operator=operator, kind__in=[PlanKind.CARNET, PlanKind.MEETING_HOURS]))
    return [grant for grant in grants if _purchase_plan(grant, plans) is None]


# --- numbering -----------------------------------------------------------------------------------


def seller_snapshot(billing: OperatorBilling) -> dict[str, Any]:
    return {
        "legal_name": billing.legal_name,
        "legal_form": billing.legal_form,
        "address": billing.address,
        "siret": billing.siret,
        "vat_number": billing.vat_number,
        "vat_exempt": billing.vat_exempt,
        "payment_terms_days": billing.payment_terms_days,
        "late_penalty_rate": billing.late_penalty_rate,
        "iban": billing.iban,
    }


def _operator_billing(operator: Organisation) -> OperatorBilling:
    billing = OperatorBilling.objects.filter(operator=operator).first()
    if billing is None:
        raise BillingError(
            _(
                "Les mentions légales de facturation de « %(operator)s » (raison sociale, SIRET, adresse) ne sont "
                "pas renseignées : aucune facture ne peut être émise. Renseignez-les d'abord sur la page "
                "« Mentions des factures » de l'exploitant."
            )
            % {"operator": operator.name},
            code="no_billing_details",
        )
    return billing


def _lock_counter(operator: Organisation, year: int, issued_on: dt.date) -> InvoiceCounter:
    """Lock the operator's counter for ``year`` (created on first use). Every issue of the
    operator and year waits here, so numbers follow the order of issue."""
    counters = InvoiceCounter.objects.filter(operator=operator, year=year)
    counter = lock_for_update(counters).first()
    if counter is None:
        try:
            with transaction.atomic():
                InvoiceCounter.objects.create(operator=operator, year=year, last_number=0)
        except IntegrityError:
            pass  # created at the same moment by another run: wait for its lock below
        counter = lock_for_update(counters).get()
    last_issued = (
        Invoice.objects.filter(operator=operator, year=year).order_by("-sequence").values_list("issued_on", flat=True)
    ).first()
    if last_issued is not None and issued_on < last_issued:
        raise BillingError(
            {
                "issued_on": [
                    _(
                        "Les numéros suivent l'ordre des dates : la dernière facture de %(year)s est du %(date)s, "
                        "une nouvelle ne peut pas être datée d'avant."
                    )
                    % {"year": year, "date": date_format(last_issued, "j F Y")}
                ]
            },
            code="not_chronological",
        )
    return counter


def _take_number(counter: InvoiceCounter, billing: OperatorBilling) -> tuple[int, str]:
    """The next number of a locked counter. Call it in the same savepoint as the invoice's
    insert: if the invoice is not saved, the number is not used."""
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number, f"{billing.invoice_prefix}-{counter.year}-{counter.last_number:05d}"


def _write_lines(invoice: Invoice, lines: Sequence[DraftLine], *, sign: int = 1, corrects: Sequence[Any] = ()) -> None:
    rows = []
    for position, line in enumerate(lines, start=1):
        quantity = line.quantity * sign
        rows.append(
            InvoiceLine(
                invoice=invoice,
                position=position,
                description=line.description[:300],
                quantity=quantity,
                unit=line.unit[:20],
                unit_price_excl_tax=line.unit_price_excl_tax,
                vat_rate=line.vat_rate,
                total_excl_tax=round_cents(quantity * line.unit_price_excl_tax),
                booking_id=line.booking_id,
                membership_id=line.membership_id,
                credit_grant_id=line.credit_grant_id,
                agreement_employee_id=line.agreement_employee_id,
                corrects_line=corrects[position - 1] if corrects else None,
            )
        )
    InvoiceLine.objects.bulk_create(rows)


def invoice_attach_pdf(invoice: Invoice) -> Invoice:
    """Make the invoice's PDF from its saved rows and attach it (once: ``Invoice.save``)."""
    from .billing_pdf import invoice_pdf_bytes, pdf_filename

    content = invoice_pdf_bytes(invoice)
    digest = hashlib.sha256(content).hexdigest()[:16]
    invoice.pdf.save(f"{pdf_filename(invoice)[:-4]}-{digest}.pdf", ContentFile(content), save=False)
    invoice.save(update_fields=["pdf"])
    return invoice


# --- issuing -------------------------------------------------------------------------------------


def _already_issued(operator: Organisation, start: dt.date, payer: Payer) -> bool:
    who = Q(payer_user_id=payer.pk) if payer.kind == "user" else Q(payer_organisation_id=payer.pk)
    return Invoice.objects.filter(who, operator=operator, period_start=start, kind=InvoiceKind.INVOICE).exists()


def _check_may_issue(actor: Any, operator: Organisation) -> None:
    if actor is not None and not actor.has_perm("telework.issue_invoices", operator):
        raise BillingError(_("Vous ne pouvez pas émettre les factures de cet exploitant."), code="forbidden")


@transaction.atomic
def invoice_issue(
    *,
    actor: Any,
    operator: Organisation,
    year: int,
    month: int,
    payer: Payer,
    issued_on: dt.date | None = None,
) -> Invoice | None:
    """Issue ``payer``'s invoice of the month, or nothing (``None``) when it is already issued
    or there is nothing to bill. ``actor`` None: the monthly job."""
    _check_may_issue(actor, operator)
    start, end = _check_month(year, month)
    issued_on = issued_on or timezone.localdate()
    if issued_on <= end:
        raise BillingError(
            {"issued_on": [_("Une facture est datée au plus tôt du lendemain de la période facturée.")]},
            code="issued_too_early",
        )
    billing = _operator_billing(operator)
    counter = _lock_counter(operator, issued_on.year, issued_on)
    if _already_issued(operator, start, payer):
        return None
    drafts = billable(operator=operator, year=year, month=month, payer=payer, vat_exempt=billing.vat_exempt)
    if not drafts:
        return None
    draft = drafts[0]
    totals = draft.totals
    try:
        with transaction.atomic():
            sequence, number = _take_number(counter, billing)
            invoice = Invoice.objects.create(
                operator=operator,
                kind=InvoiceKind.INVOICE,
                number=number,
                year=issued_on.year,
                sequence=sequence,
                issued_on=issued_on,
                due_on=issued_on + dt.timedelta(days=billing.payment_terms_days),
                period_start=start,
                period_end=end,
                payer_user_id=payer.pk if payer.kind == "user" else None,
                payer_organisation_id=payer.pk if payer.kind == "organisation" else None,
                agreement_id=next(iter(draft.agreement_ids)) if len(draft.agreement_ids) == 1 else None,
                payer_name=draft.payer_name[:200],
                payer_address=draft.payer_address,
                search_text=normalise(f"{draft.payer_name} {number}")[:300],
                seller=seller_snapshot(billing),
                total_excl_tax=totals.excl_tax,
                total_vat=totals.vat,
                total_incl_tax=totals.incl_tax,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        # Issued at the same moment by a run the counter lock did not serialise (dated in
        # another year): nothing twice, and the number went back with the savepoint.
        counter.last_number -= 1
        return None
    _write_lines(invoice, draft.lines)
    invoice_attach_pdf(invoice)
    journal.record(
        actor=actor,
        action="telework.invoice.issued",
        target=invoice,
        data={
            "operator": operator.pk,
            "period": start.isoformat(),
            "payer": f"{payer.kind}:{payer.pk}",
            "total_excl_tax": str(totals.excl_tax),
            "total_incl_tax": str(totals.incl_tax),
            "lines": len(draft.lines),
        },
    )
    return invoice


@dataclass
class IssueResult:
    operator: Organisation
    year: int
    month: int
    issued: list[Invoice] = field(default_factory=list)
    already: int = 0  # payers whose invoice of the month was already issued

    @property
    def label(self) -> str:
        return month_label(self.year, self.month)

    @property
    def total_incl_tax(self) -> Decimal:
        return sum((invoice.total_incl_tax for invoice in self.issued), ZERO)


def invoices_issue_month(
    *, actor: Any, operator: Organisation, year: int, month: int, issued_on: dt.date | None = None
) -> IssueResult:
    """Issue the month's invoices of ``operator``, one per payer, each in its own transaction
    (a failure leaves the others issued and rolls its own number back). Idempotent: a payer
    already invoiced for the month gets nothing more."""
    _check_may_issue(actor, operator)
    start, _end = _check_month(year, month)
    _operator_billing(operator)
    result = IssueResult(operator=operator, year=year, month=month)
    for draft in billable(operator=operator, year=year, month=month):
        if _already_issued(operator, start, draft.payer):
            result.already += 1
            continue
        invoice = invoice_issue(
            actor=actor, operator=operator, year=year, month=month, payer=draft.payer, issued_on=issued_on
        )
        if invoice is None:
            result.already += 1
        else:
            result.issued.append(invoice)
    journal.record(
        actor=actor,
        action="telework.invoices.month_issued",
        target=operator,
        data={"period": start.isoformat(), "issued": len(result.issued), "already": result.already},
    )
    return result


def operators_to_bill() -> list[Organisation]:
    """Operators with telecentres and billing details."""
    return list(
        Organisation.objects.filter(operated_telecentres__isnull=False, telework_billing__isnull=False)
        .distinct()
        .order_by("name")
    )


def invoices_issue_previous_month(*, today: dt.date | None = None) -> int:
    """The monthly job: the previous month of every operator (idempotent)."""
    today = today or timezone.localdate()
    year, month = previous_month(today)
    issued = 0
    for operator in operators_to_bill():
        issued += len(invoices_issue_month(actor=None, operator=operator, year=year, month=month).issued)
    return issued


# --- credit notes --------------------------------------------------------------------------------


def uncredited_lines(invoice: Invoice) -> list[InvoiceLine]:
    """The invoice's lines no credit note has cancelled yet."""
    return list(invoice.lines.filter(credited_by__isnull=True).order_by("position"))


@transaction.atomic
def invoice_credit(*, actor: Any, invoice: Invoice, reason: str, lines: Iterable[InvoiceLine] | None = None) -> Invoice:
    """A credit note (avoir) cancelling ``lines`` of ``invoice`` (all its uncredited lines by
    default): negative amounts, numbered in the same sequence, its own PDF. A line is credited
    once at most, so an invoice is never credited beyond what it billed."""
    if actor is not None and not actor.has_perm("telework.credit_invoice", invoice):
        raise BillingError(_("Vous ne pouvez pas émettre d'avoir sur cette facture."), code="forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise BillingError({"reason": [_("Indiquez le motif de l'avoir.")]}, code="no_reason")
    if len(reason) > 300:
        raise BillingError({"reason": [_("Le motif tient en 300 caractères au plus.")]}, code="reason_too_long")
    if invoice.kind != InvoiceKind.INVOICE:
        raise BillingError(_("Un avoir ne se corrige pas par un autre avoir."), code="credit_of_credit")
    operator = invoice.operator
    issued_on = timezone.localdate()
    billing = _operator_billing(operator)
    counter = _lock_counter(operator, issued_on.year, issued_on)
    # Read the lines after the lock: a credit note issued meanwhile is seen.
    remaining = {line.pk: line for line in uncredited_lines(invoice)}
    if not remaining:
        raise BillingError(_("Cette facture est déjà entièrement annulée par des avoirs."), code="nothing_left")
    if lines is None:
        chosen = list(remaining.values())
    else:
        wanted = [line.pk for line in lines]
        if not wanted:
            raise BillingError({"lines": [_("Choisissez au moins une ligne à annuler.")]}, code="no_lines")
        if any(pk not in remaining for pk in wanted):
            raise BillingError(
                {"lines": [_("Une des lignes choisies est déjà annulée par un avoir ou n'est pas de cette facture.")]},
                code="already_credited",
            )
        chosen = [remaining[pk] for pk in sorted(set(wanted), key=lambda pk: remaining[pk].position)]
    drafts = [
        DraftLine(
            description=line.description,
            quantity=line.quantity,
            unit=line.unit,
            unit_price_excl_tax=line.unit_price_excl_tax,
            vat_rate=line.vat_rate,
            booking_id=line.booking_id,
            membership_id=line.membership_id,
            credit_grant_id=line.credit_grant_id,
            agreement_employee_id=line.agreement_employee_id,
        )
        for line in chosen
    ]
    totals = totals_of((-d.total_excl_tax, d.vat_rate) for d in drafts)
    try:
        with transaction.atomic():
            sequence, number = _take_number(counter, billing)
            note = Invoice.objects.create(
                operator=operator,
                kind=InvoiceKind.CREDIT_NOTE,
                number=number,
                year=issued_on.year,
                sequence=sequence,
                issued_on=issued_on,
                due_on=issued_on,
                period_start=invoice.period_start,
                period_end=invoice.period_end,
                payer_user_id=invoice.payer_user_id,
                payer_organisation_id=invoice.payer_organisation_id,
                agreement_id=invoice.agreement_id,
                payer_name=invoice.payer_name,
                payer_address=invoice.payer_address,
                search_text=normalise(f"{invoice.payer_name} {number} {invoice.number}")[:300],
                seller=seller_snapshot(billing),
                total_excl_tax=totals.excl_tax,
                total_vat=totals.vat,
                total_incl_tax=totals.incl_tax,
                corrects=invoice,
                reason=reason,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            _write_lines(note, drafts, sign=-1, corrects=chosen)
    except IntegrityError as exc:  # a line credited at the same moment (invoice_line_credited_once)
        counter.last_number -= 1
        raise BillingError(
            {"lines": [_("Une des lignes choisies vient d'être annulée par un autre avoir.")]},
            code="already_credited",
        ) from exc
    invoice_attach_pdf(note)
    journal.record(
        actor=actor,
        action="telework.invoice.credited",
        target=note,
        data={
            "invoice": invoice.number,
            "lines": [line.position for line in chosen],
            "total_excl_tax": str(totals.excl_tax),
            "reason": reason,
        },
    )
    return note


def credited_total(invoice: Invoice) -> Decimal:
    """What credit notes have taken off ``invoice`` (incl. tax, positive)."""
    total = sum((note.total_incl_tax for note in invoice.credit_notes.all()), ZERO)
    return -total
