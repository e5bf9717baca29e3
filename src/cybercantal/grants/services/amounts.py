"""The aid of a dossier: rate x eligible total, capped, rounded half-up to the cent once.

An expense line counts when its category is eligible for the programme and the instructor
has not set it aside. ``compute`` is pure (used live by the form and the API);
``application_recompute`` stores the figures on the dossier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from cybercantal.core.money import round_cents

from ..models import ZERO, Application, ExpenseLine, GrantProgramme


@dataclass(frozen=True)
class AidFigures:
    requested_total: Decimal  # every line, excluding VAT
    eligible_total: Decimal  # lines of eligible categories not set aside
    excluded_total: Decimal
    uncapped_aid: Decimal  # rate x eligible total, rounded to the cent
    aid: Decimal  # after the cap
    capped: bool


def compute(programme: GrantProgramme, lines: Iterable[tuple[Decimal, bool]]) -> AidFigures:
    """``lines``: (amount excluding VAT, counts) pairs. Amounts are Decimals, never floats."""
    requested = ZERO
    eligible = ZERO
    for amount, counts in lines:
        if isinstance(amount, float):
            raise TypeError("Money is never a float.")
        requested += amount
        if counts:
            eligible += amount
    uncapped = round_cents(eligible * programme.rate_percent / Decimal(100))
    aid = uncapped
    capped = False
    if programme.cap_per_application is not None and aid > programme.cap_per_application:
        aid = programme.cap_per_application
        capped = True
    return AidFigures(
        requested_total=round_cents(requested),
        eligible_total=round_cents(eligible),
        excluded_total=round_cents(requested - eligible),
        uncapped_aid=uncapped,
        aid=round_cents(aid),
        capped=capped,
    )


def line_counts(line: ExpenseLine) -> bool:
    return bool(line.category.is_eligible and not line.is_ineligible)


def figures_for(application: Application) -> AidFigures:
    lines = application.lines.select_related("category")
    return compute(application.programme, ((line.amount, line_counts(line)) for line in lines))


def application_recompute(*, application: Application) -> AidFigures:
    """Store the eligible total and the computed aid on the dossier (inside the caller's
    transaction). A decided amount above the new computed aid is brought down to it: the
    database refuses a decision above the computation."""
    figures = figures_for(application)
    application.eligible_total = figures.eligible_total
    application.computed_aid = figures.aid
    fields = ["eligible_total", "computed_aid", "updated_at"]
    if application.decided_amount is not None and application.decided_amount > figures.aid:
        application.decided_amount = figures.aid
        fields.append("decided_amount")
    application.save(update_fields=fields)
    return figures
