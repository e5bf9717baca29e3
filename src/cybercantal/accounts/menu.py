"""Menu entries by role. Each programme adds its entries here as it is built.

``menu_for(user)`` reads the memberships cached for the request (``queries.active_roles``):
the whole header costs at most one query, shared with the TOTP middleware and the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import Role
from .queries import active_roles

PLACE_ROLES = frozenset(
    {Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR, Role.MEDIATOR, Role.KIOSK_AGENT, Role.TELECENTRE_MANAGER}
)
MANAGER_ROLES = frozenset({Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR})


@dataclass(frozen=True)
class MenuEntry:
    label: Any
    url: str


def _url(name: str) -> str | None:
    # A programme's URLs may not be mounted yet while it is being built: skip its entry.
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def menu_for(user: Any) -> list[MenuEntry]:
    roles = active_roles(user)
    is_superuser = bool(user.is_superuser)
    wanted: list[tuple[Any, str]] = []
    if is_superuser or roles & PLACE_ROLES:
        wanted.append((_("Mes lieux"), "places:mine"))
    wanted.append((_("Mes données"), "accounts:my_data"))
    if is_superuser or roles & MANAGER_ROLES:
        wanted.append((_("Import LMN"), "places:import"))
    if user.is_staff:
        wanted.append((_("Administration"), "admin:index"))
    return [MenuEntry(label, url) for label, name in wanted if (url := _url(name)) is not None]
