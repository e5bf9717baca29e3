"""Template helpers about the signed-in person's roles."""

from __future__ import annotations

from typing import Any

from django import template

from cybercantal.accounts import queries

register = template.Library()


@register.filter
def has_staff_role(user: Any) -> bool:
    """``{% if user|has_staff_role %}``: admin access or an active staff role (TOTP required)."""
    return queries.has_staff_role(user)
