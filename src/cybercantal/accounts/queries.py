"""Reads about people and their roles, shared by views, API, permissions and other apps.

The active memberships of the signed-in person are read once per request (one query) and
kept on the user object: the header menu, the staff-TOTP middleware and every ``rules``
predicate use that same list.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from .models import STAFF_ROLES, Organisation, RoleMembership

_CACHE_ATTR = "_cybercantal_memberships"


@dataclass(frozen=True)
class ActiveMembership:
    """One active role of a person, reduced to what permission checks need."""

    role: str
    scope_type_id: int | None
    scope_id: int | None


def _is_signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "pk", None))


def active_memberships(user: Any, on: date | None = None) -> tuple[ActiveMembership, ...]:
    """The person's memberships valid today: one query, then cached on ``user`` for the request.

    A date other than today is never cached. Inactive or anonymous users have none.
    """
    if not _is_signed_in(user) or not user.is_active:
        return ()
    today = timezone.localdate()
    on = on or today
    if on == today:
        cached = getattr(user, _CACHE_ATTR, None)
        if cached is not None and cached[0] == today:
            return cached[1]
    rows = tuple(
        ActiveMembership(role, scope_type_id, scope_id)
        for role, scope_type_id, scope_id in RoleMembership.objects.filter(user_id=user.pk)
        .active(on)
        .values_list("role", "scope_type_id", "scope_id")
    )
    if on == today:
        setattr(user, _CACHE_ATTR, (today, rows))
    return rows


def forget_cached_roles(user: Any) -> None:
    """Drop the per-request cache (after a grant or an end in the same request or test)."""
    with contextlib.suppress(AttributeError):
        delattr(user, _CACHE_ATTR)


def active_roles(user: Any) -> frozenset[str]:
    """The roles the person holds today, whatever their scope (cached per request)."""
    return frozenset(m.role for m in active_memberships(user))


def has_staff_role(user: Any) -> bool:
    """Admin access, superuser or an active staff role (they must use TOTP)."""
    if not _is_signed_in(user):
        return False
    if user.is_superuser or user.is_staff:
        return True
    return bool(active_roles(user) & STAFF_ROLES)


def has_totp(user: Any) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def needs_mfa_setup(user: Any) -> bool:
    """A person with a staff role (or admin access) who has not activated TOTP yet."""
    return has_staff_role(user) and not has_totp(user)


def _content_type_id(model: type[models.Model] | models.Model) -> int:
    # ContentType.objects caches its lookups for the life of the process: no query after the first.
    return ContentType.objects.get_for_model(model, for_concrete_model=True).pk


def scoped_object_ids(user: Any, model: type[models.Model], roles: Iterable[str] | None = None) -> set[int]:
    """Ids of objects of ``model`` on which the person holds an active scoped membership.

    Only direct scopes count (a membership on an organisation does not reach its places:
    see ``objects_in_scope`` for that). ``roles`` restricts to some roles.
    """
    wanted = set(roles) if roles is not None else None
    type_id = _content_type_id(model)
    return {
        m.scope_id
        for m in active_memberships(user)
        if m.scope_type_id == type_id and m.scope_id is not None and (wanted is None or m.role in wanted)
    }


def objects_in_scope(user: Any, queryset: models.QuerySet, roles: Iterable[str] | None = None) -> models.QuerySet:
    """``queryset`` narrowed to the objects the person's scoped memberships reach.

    An object is reached when a membership is scoped to it, or to its ``organisation``
    (for models that have an ``organisation`` foreign key).
    """
    roles = list(roles) if roles is not None else None
    model = queryset.model
    condition = models.Q(pk__in=scoped_object_ids(user, model, roles))
    if any(f.name == "organisation" for f in model._meta.get_fields()):
        condition |= models.Q(organisation_id__in=scoped_object_ids(user, Organisation, roles))
    return queryset.filter(condition)


def holds_role_on(user: Any, roles: Iterable[str], obj: models.Model | None) -> bool:
    """An active membership with one of ``roles`` scoped to ``obj`` or to its organisation."""
    if obj is None or getattr(obj, "pk", None) is None:
        return False
    memberships = active_memberships(user)
    if not memberships:
        return False
    wanted = set(roles)
    targets = {(_content_type_id(obj), obj.pk)}
    organisation_id = getattr(obj, "organisation_id", None)
    if organisation_id is not None:
        targets.add((_content_type_id(Organisation), organisation_id))
    return any(m.role in wanted and (m.scope_type_id, m.scope_id) in targets for m in memberships)


def memberships_of(user: Any) -> models.QuerySet[RoleMembership]:
    """Every membership of a person, past and future included, for their pages and exports."""
    return (
        RoleMembership.objects.filter(user=user)
        .select_related("scope_type", "granted_by")
        .prefetch_related("scope")
        .order_by("-starts_on", "role")
    )


def organisations_of(user: Any) -> models.QuerySet[Organisation]:
    """Organisations a person belongs to through a membership (past or present)."""
    organisation_type = ContentType.objects.get_for_model(Organisation)
    ids = RoleMembership.objects.filter(user=user, scope_type=organisation_type).values("scope_id")
    return Organisation.objects.filter(pk__in=ids).select_related("commune")
