"""Money is a Decimal in euros, rounded half-up to the cent once, shown the French way."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def round_cents(amount: Decimal | int | str) -> Decimal:
    if isinstance(amount, float):
        raise TypeError("Money is never a float.")
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def format_euros(amount: Decimal | int | str) -> str:
    """``1234.5`` -> ``1 234,50 €`` (narrow no-break space between thousands)."""
    value = round_cents(amount)
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    thousands = "\u202f".join(groups)
    return f"{sign}{thousands},{cents}\u00a0€"
