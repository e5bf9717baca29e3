"""API of the programmes part, mounted at ``/api/aides/``: the published programmes.

- ``GET /api/aides/dispositifs/``: every published programme, open ones first;
- ``GET /api/aides/dispositifs/{slug}``: one of them (404 JSON error, in French, for an unknown
  or unpublished programme).

Money is a string with two decimals (``"1600.00"``), never a float; the rate too (``"50.00"``).
"""

# No ``from __future__ import annotations``: django-ninja reads the annotations at runtime.

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from cybercantal.api.errors import ApiError
from cybercantal.core.money import round_cents

from ..models import GrantProgramme, SpeedClass
from ..queries import programmes as queries
from ..queries.envelope import Envelope, envelope

router = Router(tags=["Aides aux entreprises"])


class ErrorOut(Schema):
    code: str = Field(..., description="Code de l'erreur (anglais, stable).")
    message: str = Field(..., description="Message en français.")
    field: str | None = Field(None, description="Paramètre en cause, s'il y en a un.")


class CategoryOut(Schema):
    code: str
    libelle: str
    description: str
    eligible: bool = Field(..., description="`false` : dépense exclue, non financée.")


class CoverageRuleOut(Schema):
    active: bool = Field(..., description="`false` : l'aide ne dépend pas du débit filaire des locaux.")
    seuil: str = Field(..., description="Classe de débit ARCEP : éligible si le meilleur débit filaire est inférieur.")
    seuil_libelle: str
    regle: str = Field(..., description="La règle en français.")


class ApplicantsOut(Schema):
    siret_actif_exige: bool
    conditions: list[str] = Field(..., description="Conditions que le demandeur certifie, une par élément.")
    plafond_de_minimis: str = Field(..., description="Euros, deux décimales.")


class EnvelopeOut(Schema):
    budget: str = Field(..., description="Enveloppe budgétaire en euros (chaîne, deux décimales).")
    engage: str = Field(..., description="Montant des aides accordées (dossiers acceptés et payés).")
    verse: str = Field(..., description="Montant déjà versé.")
    restant: str = Field(..., description="Enveloppe moins engagé.")


class ProgrammeOut(Schema):
    slug: str
    code: str = Field(..., description="Préfixe des numéros de dossier.")
    nom: str
    financeur: str
    presentation: str
    taux: str = Field(..., description="Taux de l'aide en pourcentage, par exemple « 50.00 ».")
    plafond_par_dossier: str | None = Field(..., description="Euros, deux décimales ; null : pas de plafond.")
    phrase: str = Field(..., description="Le taux et le plafond en une phrase.")
    ouverture: date
    cloture: date
    ouvert: bool = Field(..., description="`true` : les demandes sont ouvertes aujourd'hui.")
    etat: str = Field(..., description="« open », « upcoming » ou « closed ».")
    demandeurs: ApplicantsOut
    couverture: CoverageRuleOut
    categories: list[CategoryOut]
    enveloppe: EnvelopeOut
    contact: str
    url: str = Field(..., description="Page du dispositif.")
    url_eligibilite: str
    url_demande: str


def _money(value: Decimal) -> str:
    return str(round_cents(value))


def _out(request: HttpRequest, programme: GrantProgramme, figures: Envelope) -> dict[str, Any]:
    state = queries.programme_state(programme)
    threshold = programme.coverage_threshold
    return {
        "slug": programme.slug,
        "code": programme.code,
        "nom": programme.name,
        "financeur": programme.funder,
        "presentation": programme.summary,
        "taux": _money(programme.rate_percent),
        "plafond_par_dossier": None if programme.cap_per_application is None else _money(programme.cap_per_application),
        "phrase": queries.rate_sentence(programme),
        "ouverture": programme.opens_on,
        "cloture": programme.closes_on,
        "ouvert": state == queries.OPEN,
        "etat": state,
        "demandeurs": {
            "siret_actif_exige": programme.requires_active_siret,
            "conditions": programme.conditions,
            "plafond_de_minimis": _money(programme.de_minimis_ceiling),
        },
        "couverture": {
            "active": programme.coverage_rule_enabled,
            "seuil": threshold,
            "seuil_libelle": str(SpeedClass(threshold).label) if threshold in SpeedClass.values else threshold,
            "regle": queries.coverage_rule_sentence(programme),
        },
        "categories": [
            {
                "code": category.code,
                "libelle": category.label,
                "description": category.description,
                "eligible": category.is_eligible,
            }
            for category in programme.categories.all()
        ],
        "enveloppe": {
            "budget": _money(figures.budget),
            "engage": _money(figures.committed),
            "verse": _money(figures.paid),
            "restant": _money(figures.remaining),
        },
        "contact": programme.contact_email,
        "url": request.build_absolute_uri(queries.programme_url(programme)),
        "url_eligibilite": request.build_absolute_uri(queries.eligibility_url(programme)),
        "url_demande": request.build_absolute_uri(queries.apply_url(programme)),
    }


@router.get(
    "/dispositifs/",
    response={200: list[ProgrammeOut]},
    summary="Les dispositifs d'aide publiés",
    description=(
        "Chaque dispositif publié, ceux ouverts aux demandes d'abord : taux, plafond, dates, "
        "conditions, catégories de dépense, règle de couverture et enveloppe restante. Les montants "
        "sont des chaînes avec deux décimales (« 1600.00 »)."
    ),
)
def list_programmes(request: HttpRequest) -> Any:
    programmes = list(queries.published())
    figures = queries.envelopes(programmes)
    return [_out(request, programme, figures[programme.pk]) for programme in programmes]


@router.get(
    "/dispositifs/{slug}",
    response={200: ProgrammeOut, 404: ErrorOut},
    summary="Un dispositif d'aide",
    description="Toutes les informations publiques d'un dispositif publié.",
)
def programme_detail(request: HttpRequest, slug: str) -> Any:
    programme = queries.find(slug)
    if programme is None or not programme.is_published:
        raise ApiError(
            status=404,
            code="not_found",
            message=_("Aucun dispositif d'aide publié ne porte cet identifiant."),
            field="slug",
        )
    return _out(request, programme, envelope(programme))
