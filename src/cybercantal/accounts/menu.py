"""Menu entries by role. Each programme adds its entries here as it is built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Role


@dataclass(frozen=True)
class MenuEntry:
    label: Any
    url: str


def active_roles(user: Any) -> set[str]:
    cached = getattr(user, "_active_roles", None)
    if cached is None:
        cached = set(user.memberships.active().values_list("role", flat=True))
        user._active_roles = cached
    return cached


def menu_for(user: Any) -> list[MenuEntry]:
    roles = active_roles(user)
    entries = [MenuEntry(_("Mes données"), reverse("accounts:my_data"))]
    if roles & {Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR, Role.MEDIATOR, Role.KIOSK_AGENT, Role.TELECENTRE_MANAGER}:
        entries.insert(0, MenuEntry(_("Mes lieux"), reverse("places:mine")))
    if roles & {Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR}:
        entries.append(MenuEntry(_("Import LMN"), reverse("places:import")))
    if user.is_staff:
        entries.append(MenuEntry(_("Administration"), reverse("admin:index")))
    return entries
