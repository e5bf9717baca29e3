"""The credits ledger: grants, debits for bookings (first-expiring grants first), refunds.

A grant's ``remaining`` is the balance of that grant; the database refuses it below zero or
above what was granted. Every change is a ``CreditMovement`` linked to the booking it served,
so a refund gives back to the very grants a booking used, even if others expire later.
The grants of a membership are read under a row lock, so two bookings of the same member at
once cannot spend the same credit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.core import journal
from cybercantal.core.db import lock_for_update

from ..models import Booking, CreditGrant, CreditMovement, CreditUnit, Membership, ResourceKind

ZERO = Decimal("0")


class CreditsError(ValueError):
    pass


@dataclass(frozen=True)
class Balance:
    days: Decimal
    hours: Decimal
    next_expiry: dt.date | None


def usable_grants(membership: Membership, *, unit: str, kind: str, on: dt.date) -> QuerySet[CreditGrant]:
    """Grants that can pay for a booking of a ``kind`` resource on ``on``, first-expiring first."""
    return CreditGrant.objects.filter(
        membership=membership,
        unit=unit,
        remaining__gt=0,
        granted_on__lte=on,
        expires_on__gte=on,
        eligible_kinds__has=kind,
    ).order_by("expires_on", "pk")


def available(membership: Membership, *, unit: str, kind: str, on: dt.date) -> Decimal:
    total = usable_grants(membership, unit=unit, kind=kind, on=on).aggregate(total=Sum("remaining"))["total"]
    return total or ZERO


def balance(membership: Membership, *, on: dt.date | None = None) -> Balance:
    """What a member can still spend today: the live balance shown on their page."""
    on = on or timezone.localdate()
    live = CreditGrant.objects.filter(membership=membership, remaining__gt=0, granted_on__lte=on, expires_on__gte=on)
    rows = {row["unit"]: row["total"] for row in live.values("unit").annotate(total=Sum("remaining"))}
    first = live.order_by("expires_on").values_list("expires_on", flat=True).first()
    return Balance(days=rows.get(CreditUnit.DAY, ZERO), hours=rows.get(CreditUnit.HOUR, ZERO), next_expiry=first)


@transaction.atomic
def credits_grant(
    *,
    actor: Any,
    membership: Membership,
    unit: str,
    amount: Decimal,
    granted_on: dt.date,
    expires_on: dt.date,
    reason: str,
    eligible_kinds: list[str] | None = None,
    period_start: dt.date | None = None,
) -> CreditGrant:
    """Add a dated grant. Renewals are idempotent per (membership, unit, period): a second
    call for the same month returns the existing grant."""
    amount = Decimal(amount)
    if amount <= 0:
        raise CreditsError(_("Le nombre de crédits doit être positif."))
    if expires_on < granted_on:
        raise CreditsError(_("La date de fin de validité précède la date d'attribution."))
    kinds: list[str]
    if eligible_kinds is not None:
        kinds = list(eligible_kinds)
    elif membership.plan is not None:
        kinds = list(membership.plan.eligible_kinds)
    else:
        kinds = [ResourceKind.SEAT_POOL, ResourceKind.OFFICE]
    if reason == CreditGrant.Reason.RENEWAL and period_start is not None:
        existing = CreditGrant.objects.filter(
            membership=membership, unit=unit, period_start=period_start, reason=reason
        ).first()
        if existing is not None:
            return existing
    grant = CreditGrant.objects.create(
        membership=membership,
        unit=unit,
        amount=amount,
        remaining=amount,
        eligible_kinds=kinds,  # type: ignore[misc]  # MultiChoiceField takes a list
        granted_on=granted_on,
        expires_on=expires_on,
        reason=reason,
        period_start=period_start,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    journal.record(
        actor=actor,
        action="telework.credits.granted",
        target=membership,
        data={"unit": unit, "amount": str(amount), "expires_on": expires_on.isoformat(), "reason": reason},
    )
    return grant


def debit(*, actor: Any, membership: Membership, booking: Booking, units: Decimal, unit: str) -> Decimal:
    """Spend ``units`` for ``booking``, first-expiring grants first. Returns what was spent:
    ``units`` when the grants cover it, else 0 and nothing is spent (the caller then bills the
    booking at the usage price). Runs inside the caller's transaction."""
    day = timezone.localtime(booking.starts_at).date()
    grants = list(lock_for_update(usable_grants(membership, unit=unit, kind=booking.resource.kind, on=day)))
    if sum((g.remaining for g in grants), ZERO) < units:
        return ZERO
    left = units
    for grant in grants:
        if left <= 0:
            break
        take = min(grant.remaining, left)
        CreditGrant.objects.filter(pk=grant.pk).update(remaining=F("remaining") - take)
        CreditMovement.objects.create(
            grant=grant, booking=booking, kind=CreditMovement.Kind.DEBIT, amount=-take, by=_user(actor)
        )
        left -= take
    return units


def refund(*, actor: Any, booking: Booking) -> Decimal:
    """Give back to each grant what ``booking`` took from it (even a grant now expired: the
    member keeps nothing from it, but the ledger stays exact). Returns the total refunded."""
    taken: dict[int, Decimal] = {}
    for movement in CreditMovement.objects.filter(booking=booking):
        taken[movement.grant_id] = taken.get(movement.grant_id, ZERO) - movement.amount
    total = ZERO
    grants = {g.pk: g for g in lock_for_update(CreditGrant.objects.filter(pk__in=list(taken)).order_by("pk"))}
    for grant_id, amount in sorted(taken.items()):
        if amount <= 0:
            continue
        grant = grants[grant_id]
        CreditGrant.objects.filter(pk=grant.pk).update(remaining=F("remaining") + amount)
        CreditMovement.objects.create(
            grant=grant, booking=booking, kind=CreditMovement.Kind.REFUND, amount=amount, by=_user(actor)
        )
        total += amount
    return total


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None
