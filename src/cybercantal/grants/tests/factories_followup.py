"""Hand-built dossiers for the dashboard tests: a state, a commune (its canton follows), the
amounts and the dates, set directly (the dashboard only reads them)."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from cybercantal.territory.models import Commune

from ..models import Application, GrantProgramme, Payment, Status
from .factories import ApplicationFactory

PARIS = ZoneInfo("Europe/Paris")
_payment_numbers = itertools.count(1)


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """An aware datetime, Paris time."""
    return datetime(year, month, day, hour, tzinfo=PARIS)


def commune(name: str) -> Commune:
    return Commune.objects.current().get(name=name)


def dossier(
    programme: GrantProgramme,
    *,
    status: str = Status.SUBMITTED,
    commune_name: str | None = None,
    computed: str = "1000.00",
    decided: str | None = None,
    paid: str = "0.00",
    submitted: datetime | None = None,
    decided_at: datetime | None = None,
    payment_on: date | None = None,
    eligibility: str = "eligible",
    **fields: object,
) -> Application:
    """A dossier of ``programme`` as the other parts would have left it; with ``payment_on``, a
    payment order of ``paid`` on that day."""
    place = commune(commune_name) if commune_name else None
    application = ApplicationFactory(
        programme=programme,
        status=status,
        premises_commune=place,
        canton=place.cantons.order_by("number").first() if place else None,
        computed_aid=Decimal(computed),
        eligible_total=Decimal(computed) * 2,
        decided_amount=Decimal(decided) if decided is not None else None,
        paid_amount=Decimal(paid),
        first_submitted_at=submitted if status != Status.DRAFT else None,
        submitted_at=submitted if status != Status.DRAFT else None,
        decided_at=decided_at,
        eligibility=eligibility,
        **fields,
    )
    if payment_on is not None:
        Payment.objects.create(
            application=application,
            amount=Decimal(paid),
            paid_eligible_total=Decimal(paid) * 2,
            ordered_on=payment_on,
            reference=f"MANDAT-TEST-{next(_payment_numbers):05d}",
        )
    return application
