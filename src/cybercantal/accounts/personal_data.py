"""What the platform holds on a person: a registry of sections, for "Mes données".

Each app registers, once, the personal data it keeps (usually in its ``AppConfig.ready``)::

    from cybercantal.accounts import personal_data

    personal_data.register(
        "reservations",                       # key in the downloaded JSON
        export=lambda user: [...],            # -> JSON-able data (dates are fine)
        erase=bookings_anonymise,             # optional: called by user_anonymise
        title=_("Réservations"),
        description=_("Vos réservations de télécentre, pour les facturer."),
    )

``collect(user)`` builds the download; ``erase(user)`` runs every erase hook when an
administrator anonymises the person. Exports must never contain secrets (passwords, TOTP
keys, recovery codes, tokens).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    name: str
    export: Callable[[Any], Any]
    erase: Callable[[Any], None] | None
    title: Any
    description: Any


_registry: dict[str, Section] = {}


def register(
    section_name: str,
    export: Callable[[Any], Any],
    *,
    erase: Callable[[Any], None] | None = None,
    title: Any = "",
    description: Any = "",
) -> None:
    """Add a section. ``title`` and ``description`` (French, lazy) are shown on "Mes données".

    Registering the same name twice is a programming error.
    """
    if section_name in _registry:
        raise ValueError(f"Personal data section {section_name!r} is already registered.")
    _registry[section_name] = Section(section_name, export, erase, title or section_name, description)


def unregister(section_name: str) -> None:
    """For tests that register a temporary section."""
    _registry.pop(section_name, None)


def sections() -> list[Section]:
    return list(_registry.values())


def collect(user: Any) -> dict[str, Any]:
    """Every registered section for ``user`` (JSON-able with DjangoJSONEncoder)."""
    return {
        "plateforme": settings.PLATFORM_NAME,
        "genere_le": timezone.now(),
        "personne_id": user.pk,
        "sections": {section.name: section.export(user) for section in _registry.values()},
    }


def erase(user: Any) -> None:
    """Run every erase hook (inside the anonymisation transaction)."""
    for section in _registry.values():
        if section.erase is not None:
            section.erase(user)


# --- The sections of the accounts app ----------------------------------------------------------


def _profile(user: Any) -> dict[str, Any]:
    return {
        "adresse_electronique": user.email,
        "prenom": user.first_name,
        "nom": user.last_name,
        "telephone": user.phone,
        "inscription": user.date_joined,
        "derniere_connexion": user.last_login,
        "compte_actif": user.is_active,
        "acces_administration": user.is_staff,
        "suppression_demandee_le": user.deletion_requested_at,
    }


def _scope_type_label(membership: Any) -> str | None:
    model = membership.scope_type.model_class() if membership.scope_type else None
    return str(model._meta.verbose_name) if model is not None else None


def _memberships(user: Any) -> list[dict[str, Any]]:
    from .queries import memberships_of

    return [
        {
            "role": m.role,
            "libelle": str(m.get_role_display()),
            "perimetre_type": _scope_type_label(m),
            "perimetre_id": m.scope_id,
            "perimetre": str(m.scope) if m.scope_id and m.scope is not None else None,
            "debut": m.starts_on,
            "fin": m.ends_on,
            "attribue_le": m.created_at,
        }
        for m in memberships_of(user)
    ]


def _organisations(user: Any) -> list[dict[str, Any]]:
    from .queries import organisations_of

    return [
        {
            "id": o.pk,
            "nom": o.name,
            "type": str(o.get_kind_display()),
            "siret": o.siret,
            "commune": o.commune.name if o.commune else None,
        }
        for o in organisations_of(user)
    ]


def _journal(user: Any) -> list[dict[str, Any]]:
    from cybercantal.core.models import JournalEntry

    return [
        {
            "date": e.created_at,
            "action": e.action,
            "objet_type": e.target_type,
            "objet_id": e.target_id,
            "objet": e.target_repr,
            "details": e.data,
            "adresse_ip": e.ip_address,
        }
        for e in JournalEntry.objects.filter(actor_id=user.pk).order_by("created_at", "id")
    ]


def _email_addresses(user: Any) -> list[dict[str, Any]]:
    from allauth.account.models import EmailAddress

    return [
        {"adresse": a.email, "verifiee": a.verified, "principale": a.primary}
        for a in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
    ]


def _authenticators(user: Any) -> list[dict[str, Any]]:
    # Types and dates only: the secret and the recovery codes never leave the database.
    from allauth.mfa.models import Authenticator

    return [
        {
            "type": a.type,
            "libelle": str(a.get_type_display()),
            "cree_le": a.created_at,
            "derniere_utilisation": a.last_used_at,
        }
        for a in Authenticator.objects.filter(user=user)
        .only("type", "created_at", "last_used_at")
        .order_by("created_at")
    ]


register(
    "profil",
    _profile,
    title=_("Votre profil"),
    description=_("Votre identité et vos coordonnées, pour vous reconnaître et vous écrire."),
)
register(
    "roles",
    _memberships,
    title=_("Vos rôles"),
    description=_("Vos rôles (médiateur, enseignant…) et leurs dates : ils décident de ce que vous pouvez faire."),
)
register(
    "organisations",
    _organisations,
    title=_("Vos organisations"),
    description=_("Les organisations (commune, association, employeur…) auxquelles ces rôles vous rattachent."),
)
register(
    "journal",
    _journal,
    title=_("Vos opérations"),
    description=_("Ce que vous avez fait sur la plateforme et que le journal garde pour la traçabilité."),
)
register(
    "adresses_electroniques",
    _email_addresses,
    title=_("Vos adresses électroniques"),
    description=_("Vos adresses et leur vérification, pour vous connecter et recevoir nos messages."),
)
register(
    "double_authentification",
    _authenticators,
    title=_("Votre double authentification"),
    description=_("Le type et les dates de vos moyens de double authentification (jamais leurs secrets)."),
)
