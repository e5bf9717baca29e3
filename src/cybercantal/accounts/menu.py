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
from .permissions import PLACE_EDITOR_ROLES, is_platform_manager
from .queries import active_roles


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
    # The same predicates as the permissions the pages check (no query: roles are cached).
    manager = is_platform_manager.test(user)
    roles = active_roles(user)
    wanted: list[tuple[Any, str]] = []
    # EPN network: the mediators' workspace, the activity report for kiosk agents too.
    if manager or Role.MEDIATOR in roles:
        wanted.append((_("Espace médiation"), "mediation:home"))
    if roles & {Role.MEDIATOR, Role.KIOSK_AGENT}:
        wanted.append((_("Nouvel accompagnement"), "mediation:accompaniment_create"))
    if manager:  # mediation.view_network_statistics
        wanted.append((_("Statistiques EPN"), "mediation:statistics"))
    # Public-service kiosks: the agents' screen, the fleet for the programme team.
    if Role.KIOSK_AGENT in roles:
        wanted.append((_("Demandes d'aide (bornes)"), "kiosks:agent_screen"))
    if manager:  # kiosks.view_fleet
        wanted.append((_("Bornes"), "kiosks:fleet"))
    # Grants: the business's dossiers; the queue and the dashboard for instructors and the team.
    if Role.BUSINESS_APPLICANT in roles:
        wanted.append((_("Mes demandes d'aide"), "grants:my_applications"))
    if manager or Role.GRANT_INSTRUCTOR in roles:  # grants.instruct, grants.view_dashboard
        wanted.append((_("Instruction des aides"), "grants:queue"))
        wanted.append((_("Tableau de bord des aides"), "grants:dashboard"))
        wanted.append((_("Paiements des aides"), "grants:payments"))  # grants.export_payments
    if manager:  # grants.manage_programmes
        wanted.append((_("Dispositifs d'aide"), "grants:programme_list_manage"))
    # Telecentres: the member's space and bookings, the employer's space, the managers' pages
    # (the management home links to agreements, invoices, occupancy and prospecting).
    if Role.TELEWORKER in roles:
        wanted.append((_("Mon espace télécentre"), "telework:my_space"))
        wanted.append((_("Mes réservations"), "telework:my_bookings"))
    if Role.EMPLOYER_MANAGER in roles:
        wanted.append((_("Espace employeur"), "telework:employer_home"))
    if manager or Role.TELECENTRE_MANAGER in roles:  # telework.manage_telecentre
        wanted.append((_("Gestion des télécentres"), "telework:manage_home"))
    if manager:  # telework.manage_prospects
        wanted.append((_("Prospection des entreprises"), "telework:prospects"))
    # Cartable électronique: pupils, parents, teachers and school staff; the programme team
    # opens the schools (what each sees inside is decided by ``learning.access``).
    if roles & {Role.STUDENT, Role.PARENT, Role.TEACHER, Role.SCHOOL_STAFF}:
        wanted.append((_("Cartable électronique"), "learning:home"))
    if Role.STUDENT in roles:  # the exercises given to the pupil's classes
        wanted.append((_("Mes exercices"), "learning:my_exercises"))
    if Role.TEACHER in roles:  # learning.use_question_bank; the essays of their assignments
        wanted.append((_("Copies à corriger"), "learning:to_grade"))
        wanted.append((_("Banque de questions"), "learning:questions"))
        wanted.append((_("Cours"), "learning:courses"))
        wanted.append((_("Mes documents"), "learning:documents"))
    if manager:  # learning.manage_schools
        wanted.append((_("Collèges (ENT)"), "learning:schools"))
    if manager or roles & set(PLACE_EDITOR_ROLES):
        wanted.append((_("Mes lieux"), "places:mine"))
    wanted.append((_("Mes données"), "accounts:my_data"))
    if manager:  # places.import_lmn
        wanted.append((_("Import LMN"), "places:import"))
    if user.is_staff:
        wanted.append((_("Administration"), "admin:index"))
    return [MenuEntry(label, url) for label, name in wanted if (url := _url(name)) is not None]
