"""``{% load money %}`` then ``{{ amount|euros }}``: ``1 234,56 €`` (see ``core.money``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from cybercantal.core.money import format_euros

register = template.Library()


@register.filter
def euros(value: Any) -> str:
    """A Decimal, int or numeric string as euros; empty for ``None`` or junk."""
    if value is None or value == "":
        return ""
    try:
        return format_euros(Decimal(str(value)) if not isinstance(value, Decimal) else value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
