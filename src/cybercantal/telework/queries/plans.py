"""Reads of part "plans": plans in plain French with their prices, a member's memberships with
their live balance and ledger, a telecentre's members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cybercantal.core.money import format_euros, round_cents

from ..models import (
    MONTHLY_PLAN_KINDS,
    Booking,
    BookingStatus,
    CreditGrant,
    CreditMovement,
    CreditUnit,
    Membership,
    Plan,
    PlanKind,
    ResourceKind,
    Telecentre,
)
from ..services import credits
from ..services.booking import describe_period

ZERO = Decimal("0")
KIND_WORDS = {
    ResourceKind.SEAT_POOL: gettext_lazy("postes"),
    ResourceKind.OFFICE: gettext_lazy("bureaux"),
    ResourceKind.MEETING_ROOM: gettext_lazy("salles de réunion"),
}


# --- numbers in French ------------------------------------------------------------------------


def number(value: Decimal | int) -> str:
    """``Decimal("9.0")`` → « 9 », ``Decimal("0.5")`` → « 0,5 »."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.normalize():f}".replace(".", ",")


def days_text(value: Decimal | int) -> str:
    count = int(value) if Decimal(value) == Decimal(value).to_integral_value() else 2
    return ngettext("%(n)s jour", "%(n)s jours", count) % {"n": number(value)}


def hours_text(value: Decimal | int) -> str:
    count = int(value) if Decimal(value) == Decimal(value).to_integral_value() else 2
    return ngettext("%(n)s heure", "%(n)s heures", count) % {"n": number(value)}


def amount_text(value: Decimal, unit: str) -> str:
    return hours_text(value) if unit == CreditUnit.HOUR else days_text(value)


def join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s et %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


def validity_text(days: int) -> str:
    if days in (365, 366):
        return _("un an")
    if days in (730, 731):
        return _("deux ans")
    if days in (30, 31):
        return _("un mois")
    if days % 30 == 0 and days <= 360:
        return _("%(n)s mois") % {"n": days // 30}
    return ngettext("%(n)s jour", "%(n)s jours", days) % {"n": days}


# --- plans ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanCard:
    """A plan as people read it: price excl. and incl. tax, per what, what is included."""

    plan: Plan
    price_excl_tax: Decimal
    price_incl_tax: Decimal
    per: str
    included: list[str]
    billing: str

    @property
    def price_text(self) -> str:
        return _("%(ht)s HT %(per)s (%(ttc)s TTC)") % {
            "ht": format_euros(self.price_excl_tax),
            "per": self.per,
            "ttc": format_euros(self.price_incl_tax),
        }


def incl_tax(amount: Decimal, vat_rate: Decimal) -> Decimal:
    return round_cents(amount * (1 + vat_rate / Decimal(100)))


def price_per(plan: Plan) -> str:
    return {
        PlanKind.DAY_PASS: _("la journée"),
        PlanKind.CARNET: _("le carnet"),
        PlanKind.PART_TIME: _("par mois"),
        PlanKind.FULL_TIME: _("par mois"),
        PlanKind.MEETING_HOURS: _("le forfait"),
    }.get(PlanKind(plan.kind), "")


def included(plan: Plan) -> list[str]:
    """What the plan gives, in plain French: « 10 journées valables un an, postes et bureaux »."""
    kinds = [str(KIND_WORDS[ResourceKind(k)]) for k in ResourceKind.values if k in (plan.eligible_kinds or [])]
    day_kinds = join_words(
        [
            str(KIND_WORDS[ResourceKind(k)])
            for k in (ResourceKind.SEAT_POOL, ResourceKind.OFFICE)
            if k in (plan.eligible_kinds or [])
        ]
    ) or join_words(kinds)
    lines: list[str] = []
    days = plan.credit_days
    day_count = int(days) if days == days.to_integral_value() else 2
    if plan.kind == PlanKind.DAY_PASS:
        lines.append(
            _("Sans engagement : chaque journée utilisée est facturée %(day)s HT, la demi-journée %(half)s HT.")
            % {"day": format_euros(plan.price_excl_tax), "half": format_euros(round_cents(plan.price_excl_tax / 2))}
        )
    elif plan.kind in MONTHLY_PLAN_KINDS:
        if days > 0:
            lines.append(
                ngettext(
                    "%(n)s journée par mois, %(kinds)s",
                    "%(n)s journées par mois, %(kinds)s",
                    day_count,
                )
                % {"n": number(days), "kinds": day_kinds}
            )
        if plan.credit_hours > 0:
            lines.append(_("%(hours)s de salle de réunion par mois") % {"hours": hours_text(plan.credit_hours)})
        lines.append(_("Crédits renouvelés le 1er de chaque mois, valables jusqu'à la fin du mois"))
    else:
        validity = validity_text(plan.credit_validity_days)
        if days > 0:
            lines.append(
                ngettext(
                    "%(n)s journée valable %(validity)s, %(kinds)s",
                    "%(n)s journées valables %(validity)s, %(kinds)s",
                    day_count,
                )
                % {"n": number(days), "validity": validity, "kinds": day_kinds}
            )
        if plan.credit_hours > 0:
            lines.append(
                _("%(hours)s de salle de réunion, valables %(validity)s")
                % {"hours": hours_text(plan.credit_hours), "validity": validity}
            )
    if plan.days_per_week:
        lines.append(
            ngettext("%(n)s jour par semaine", "%(n)s jours par semaine", plan.days_per_week)
            % {"n": plan.days_per_week}
        )
    if plan.kind != PlanKind.DAY_PASS:
        if plan.usage_price_day is not None:
            lines.append(
                _("Au-delà des crédits : %(price)s HT la journée") % {"price": format_euros(plan.usage_price_day)}
            )
        if plan.usage_price_hour is not None:
            lines.append(
                _("Salle de réunion hors crédits : %(price)s HT l'heure")
                % {"price": format_euros(plan.usage_price_hour)}
            )
    elif plan.usage_price_hour is not None:
        lines.append(_("Salle de réunion : %(price)s HT l'heure") % {"price": format_euros(plan.usage_price_hour)})
    return lines


def billing_text(plan: Plan) -> str:
    """What happens on the invoice when one chooses the plan."""
    if plan.kind in (PlanKind.CARNET, PlanKind.MEETING_HOURS):
        return _("Payé une fois : il figure sur votre facture de ce mois-ci.")
    if plan.kind in MONTHLY_PLAN_KINDS:
        return _("Facturé chaque mois, à partir de ce mois-ci, jusqu'à ce que vous y mettiez fin.")
    return _("Rien à payer d'avance : les journées réservées sont facturées à la fin du mois.")


def plan_card(plan: Plan) -> PlanCard:
    return PlanCard(
        plan=plan,
        price_excl_tax=plan.price_excl_tax,
        price_incl_tax=incl_tax(plan.price_excl_tax, plan.vat_rate),
        per=price_per(plan),
        included=included(plan),
        billing=billing_text(plan),
    )


def public_plans(telecentre: Telecentre) -> list[PlanCard]:
    plans = Plan.objects.filter(telecentre=telecentre, is_active=True, is_public=True).order_by("price_excl_tax", "pk")
    order = list(PlanKind.values)
    return [plan_card(p) for p in sorted(plans, key=lambda p: (order.index(p.kind), p.price_excl_tax, p.pk))]


def managed_plans(telecentre: Telecentre) -> QuerySet[Plan]:
    """Every plan of the telecentre with its number of open memberships."""
    from django.db.models import Count

    today = timezone.localdate()
    return (
        Plan.objects.filter(telecentre=telecentre)
        .annotate(
            open_memberships=Count(
                "memberships",
                filter=Q(memberships__ends_on__isnull=True) | Q(memberships__ends_on__gte=today),
                distinct=True,
            ),
            all_memberships=Count("memberships", distinct=True),
        )
        .order_by("-is_active", "kind", "price_excl_tax", "pk")
    )


def telecentre_by_slug(slug: str) -> Telecentre | None:
    return Telecentre.objects.select_related("place__commune", "operator").filter(place__slug=slug).first()


def open_membership(member: Any, telecentre: Telecentre) -> Membership | None:
    if not getattr(member, "is_authenticated", False):
        return None
    return (
        Membership.objects.filter(member=member, telecentre=telecentre, ends_on__isnull=True)
        .select_related("plan", "agreement")
        .first()
    )


# --- balances and the ledger -------------------------------------------------------------------


@dataclass
class LedgerEntry:
    on: dt.date
    at: dt.datetime | None
    label: str
    change: Decimal
    unit: str
    detail: str = ""
    booking_url: str = ""
    sort_key: tuple = field(default_factory=tuple)

    @property
    def change_text(self) -> str:
        sign = "+" if self.change > 0 else "−"
        return f"{sign}{amount_text(abs(self.change), self.unit)}"

    @property
    def is_credit(self) -> bool:
        return self.change > 0


@dataclass
class MembershipView:
    membership: Membership
    days: Decimal
    hours: Decimal
    next_expiry: dt.date | None
    expiring: list[str]
    is_open: bool
    ledger: list[LedgerEntry]
    can_buy_again: bool
    purchases: int

    @property
    def days_text(self) -> str:
        return days_text(self.days)

    @property
    def hours_text(self) -> str:
        return hours_text(self.hours)

    @property
    def shows_days(self) -> bool:
        plan = self.membership.plan
        return self.days > 0 or plan is None or plan.credit_days > 0

    @property
    def shows_hours(self) -> bool:
        plan = self.membership.plan
        return self.hours > 0 or (plan is not None and plan.credit_hours > 0)


def expiring_soonest(membership: Membership, on: dt.date) -> list[str]:
    """« 3 jours expirent le 31 mars 2026 » for the first expiry date that has live credits."""
    live = CreditGrant.objects.filter(membership=membership, remaining__gt=0, granted_on__lte=on, expires_on__gte=on)
    first = live.order_by("expires_on").values_list("expires_on", flat=True).first()
    if first is None:
        return []
    rows = live.filter(expires_on=first).values("unit").annotate(total=Sum("remaining")).order_by("unit")
    out = []
    for row in rows:
        total = row["total"]
        template = _("%(amount)s expirent le %(date)s") if total > 1 else _("%(amount)s expire le %(date)s")
        out.append(template % {"amount": amount_text(total, row["unit"]), "date": date_format(first, "j F Y")})
    return out


def grant_label(grant: CreditGrant) -> str:
    reason = CreditGrant.Reason(grant.reason)
    plan = grant.membership.plan.name if grant.membership.plan else ""
    if reason == CreditGrant.Reason.RENEWAL and grant.period_start:
        return _("Crédits du mois de %(month)s") % {"month": date_format(grant.period_start, "F Y")}
    if reason == CreditGrant.Reason.PURCHASE:
        return _("Achat : %(plan)s") % {"plan": plan}
    return str(reason.label)


def ledger(membership: Membership, *, on: dt.date | None = None) -> list[LedgerEntry]:
    """Grants, movements (each debit and refund linked to its booking) and expiries, newest first."""
    on = on or timezone.localdate()
    grants = list(
        CreditGrant.objects.filter(membership=membership)
        .select_related("membership__plan")
        .order_by("granted_on", "pk")
    )
    movements = list(
        CreditMovement.objects.filter(grant__membership=membership)
        .select_related("grant", "booking__resource")
        .order_by("at", "pk")
    )
    entries: list[LedgerEntry] = []
    for grant in grants:
        detail = _("valables jusqu'au %(date)s") % {"date": date_format(grant.expires_on, "j F Y")}
        if grant.note:
            detail = f"{detail} — {grant.note}"
        entries.append(
            LedgerEntry(
                on=grant.granted_on,
                at=grant.created_at,
                label=grant_label(grant),
                change=grant.amount,
                unit=grant.unit,
                detail=detail,
                sort_key=(grant.granted_on, 0, grant.pk),
            )
        )
        if grant.expires_on < on and grant.remaining > 0:
            day = grant.expires_on + dt.timedelta(days=1)
            entries.append(
                LedgerEntry(
                    on=grant.expires_on,
                    at=None,
                    label=_("Crédits expirés"),
                    change=-grant.remaining,
                    unit=grant.unit,
                    detail=_("non utilisés au %(date)s") % {"date": date_format(grant.expires_on, "j F Y")},
                    sort_key=(day, 2, grant.pk),
                )
            )
    for movement in movements:
        booking = movement.booking
        local = timezone.localtime(movement.at)
        if movement.kind == CreditMovement.Kind.ADJUSTMENT:
            label = _("Reportés sur la nouvelle formule") if movement.amount < 0 else _("Ajustement")
        else:
            label = str(CreditMovement.Kind(movement.kind).label)
        detail = ""
        url = ""
        if booking is not None:
            detail = f"{booking.resource.name}, {describe_period(booking.starts_at, booking.ends_at, booking.part)}"
            url = reverse("telework:booking_detail", args=[booking.pk])
        entries.append(
            LedgerEntry(
                on=local.date(),
                at=movement.at,
                label=label,
                change=movement.amount,
                unit=movement.grant.unit,
                detail=detail,
                booking_url=url,
                sort_key=(local.date(), 1, movement.pk),
            )
        )
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    return entries


def membership_view(membership: Membership, *, on: dt.date | None = None, with_ledger: bool = True) -> MembershipView:
    on = on or timezone.localdate()
    balance = credits.balance(membership, on=on)
    plan = membership.plan
    is_open = membership.ends_on is None or membership.ends_on >= on
    purchases = CreditGrant.objects.filter(membership=membership, reason=CreditGrant.Reason.PURCHASE).count()
    return MembershipView(
        membership=membership,
        days=balance.days,
        hours=balance.hours,
        next_expiry=balance.next_expiry,
        expiring=expiring_soonest(membership, on),
        is_open=is_open,
        ledger=ledger(membership, on=on) if with_ledger else [],
        can_buy_again=bool(
            is_open and plan is not None and plan.is_active and plan.kind in (PlanKind.CARNET, PlanKind.MEETING_HOURS)
        ),
        purchases=purchases,
    )


def my_memberships(user: Any, *, on: dt.date | None = None) -> list[MembershipView]:
    """Open memberships first, then those ended that still hold live credits or ended within a year."""
    on = on or timezone.localdate()
    memberships = (
        Membership.objects.filter(member=user)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on - dt.timedelta(days=365)))
        .select_related("telecentre__place", "plan", "agreement__employer")
        .order_by("ends_on", "-starts_on")
    )
    views = [membership_view(m, on=on) for m in memberships]
    views.sort(key=lambda v: (not v.is_open, v.membership.telecentre.name))
    return views


def upcoming_bookings(user: Any, *, limit: int = 5) -> list[Booking]:
    return list(
        Booking.objects.filter(member=user, status=BookingStatus.CONFIRMED, ends_at__gte=timezone.now())
        .select_related("resource__telecentre__place")
        .order_by("starts_at")[:limit]
    )


def open_telecentres() -> QuerySet[Telecentre]:
    from ..models import TelecentreStatus

    return (
        Telecentre.objects.filter(status=TelecentreStatus.OPEN).select_related("place__commune").order_by("place__name")
    )


# --- the telecentre's members ---------------------------------------------------------------------


MEMBER_STATES = ("current", "ended", "all")


def _live_total(unit: str, on: dt.date) -> Any:
    total = (
        CreditGrant.objects.filter(
            membership=OuterRef("pk"), unit=unit, remaining__gt=0, granted_on__lte=on, expires_on__gte=on
        )
        .order_by()
        .values("membership")
        .annotate(total=Sum("remaining"))
        .values("total")
    )
    return Coalesce(
        Subquery(total, output_field=DecimalField(max_digits=8, decimal_places=1)),
        Value(ZERO),
        output_field=DecimalField(max_digits=8, decimal_places=1),
    )


def members(
    telecentre: Telecentre, *, text: str = "", plan_id: int | None = None, state: str = "current"
) -> QuerySet[Membership]:
    """The telecentre's memberships with the member, plan and live balance (one query)."""
    on = timezone.localdate()
    queryset = Membership.objects.filter(telecentre=telecentre).select_related("member", "plan", "agreement__employer")
    if state == "current":
        queryset = queryset.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
    elif state == "ended":
        queryset = queryset.filter(ends_on__lt=on)
    for term in text.split()[:6]:
        queryset = queryset.filter(
            Q(member__first_name__icontains=term)
            | Q(member__last_name__icontains=term)
            | Q(member__email__icontains=term)
        )
    if plan_id:
        queryset = queryset.filter(plan_id=plan_id)
    return queryset.annotate(
        balance_days=_live_total(CreditUnit.DAY, on), balance_hours=_live_total(CreditUnit.HOUR, on)
    ).order_by("member__last_name", "member__first_name", "pk")
