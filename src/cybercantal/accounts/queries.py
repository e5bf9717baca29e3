"""Reads about people and their roles, shared by views, API and other apps."""

from __future__ import annotations

from typing import Any

from .models import STAFF_ROLES


def has_staff_role(user: Any) -> bool:
    if user.is_superuser or user.is_staff:
        return True
    return user.memberships.active().filter(role__in=STAFF_ROLES).exists()


def has_totp(user: Any) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def needs_mfa_setup(user: Any) -> bool:
    """A person with a staff role (or admin access) who has not activated TOTP yet."""
    return has_staff_role(user) and not has_totp(user)
