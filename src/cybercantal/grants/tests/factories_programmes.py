"""Helpers of the programmes tests: what the programme team's form posts, and dossiers that
commit money on an envelope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..models import GrantProgramme, Status
from .factories import ApplicationFactory

PREFIX = "categories"

# A second programme, with other figures than Auverdata (issue 7 §1: no code needed).
SECOND = {
    "name": "Connect'Artisans",
    "slug": "connect-artisans",
    "code": "CART",
    "funder": "Communauté de communes Hautes Terres",
    "summary": "Pour les artisans des Hautes Terres.",
    "rate_percent": "40",
    "cap_per_application": "8 000",
    "budget": "50000,00",
    "opens_on": "2026-01-01",
    "closes_on": "2030-12-31",
    "is_published": "on",
    "requires_active_siret": "on",
    "applicant_conditions": (
        "L'entreprise est inscrite au répertoire des métiers.\nLes locaux sont situés sur le territoire."
    ),
    "coverage_rule_enabled": "on",
    "coverage_threshold": "BHD8",
    "de_minimis_ceiling": "300000",
    "contact_email": "artisans@example.org",
}

SECOND_CATEGORIES = [
    {
        "label": "Antenne 4G/5G fixe",
        "code": "antenne",
        "description": "Antenne extérieure et routeur.",
        "position": "1",
    },
    {"label": "Pose par un professionnel", "code": "pose", "description": "", "position": "2"},
    {"label": "Forfait de données", "code": "forfait", "description": "Abonnement.", "position": "3", "excluded": True},
]


def category_rows(programme: GrantProgramme) -> list[dict[str, Any]]:
    """The rows the edit page shows for ``programme``'s categories, as posted back unchanged."""
    return [
        {
            "pk": str(category.pk),
            "label": category.label,
            "code": category.code,
            "description": category.description,
            "position": str(category.position),
            "excluded": not category.is_eligible,
        }
        for category in programme.categories.order_by("position", "label", "pk")
    ]


def form_data(
    fields: dict[str, Any], categories: list[dict[str, Any]] | None = None, *, initial: int = 0
) -> dict[str, Any]:
    """The POST body of the create/edit page: programme fields and the categories formset.
    A category row: pk, label, code, description, position, ``excluded`` and ``delete`` flags."""
    rows = categories or []
    data: dict[str, Any] = {
        **{key: value for key, value in fields.items() if value is not None},
        f"{PREFIX}-TOTAL_FORMS": str(len(rows)),
        f"{PREFIX}-INITIAL_FORMS": str(initial),
        f"{PREFIX}-MIN_NUM_FORMS": "0",
        f"{PREFIX}-MAX_NUM_FORMS": "30",
    }
    for index, row in enumerate(rows):
        for name in ("pk", "label", "code", "description", "position"):
            if row.get(name) is not None:
                data[f"{PREFIX}-{index}-{name}"] = row[name]
        if not row.get("excluded"):
            data[f"{PREFIX}-{index}-is_eligible"] = "on"
        if row.get("delete"):
            data[f"{PREFIX}-{index}-DELETE"] = "on"
    return data


def programme_fields(programme: GrantProgramme, **changes: Any) -> dict[str, Any]:
    """The programme fields as the edit page posts them back, with ``changes``."""
    fields: dict[str, Any] = {}
    for name in SECOND:
        value = getattr(programme, name)
        if isinstance(value, bool):
            if value:
                fields[name] = "on"
        elif value is None:
            fields[name] = ""
        else:
            fields[name] = str(value)
    fields.update(changes)
    return fields


def edit_data(programme: GrantProgramme, rows: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    """What the edit page posts: the programme with ``changes`` and the category ``rows``
    (by default its categories unchanged)."""
    if rows is None:
        rows = category_rows(programme)
    initial = sum(1 for row in rows if row.get("pk"))
    return form_data(programme_fields(programme, **changes), rows, initial=initial)


def commit(programme: GrantProgramme, amount: str, status: str = Status.ACCEPTED) -> Any:
    """A dossier of ``programme`` accepted for ``amount`` (it counts on the envelope)."""
    value = Decimal(amount)
    return ApplicationFactory(programme=programme, status=status, computed_aid=value, decided_amount=value)
