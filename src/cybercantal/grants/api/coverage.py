"""API of the coverage part: ``GET /api/aides/eligibilite?dispositif=&commune=&adresse=``.

The same answer as the page ``/aides/eligibilite/``: ``answer`` (eligible, not_eligible,
to_check), its French ``label`` and ``explanation``, the ``basis`` (building, commune, none,
rule_off), the ``edition`` of the ARCEP data and the ``data`` behind it. ``commune`` is an INSEE
code, a postal code or a name. Errors are the API's JSON ``{"code", "message", "field"}``.
"""

# No ``from __future__ import annotations``: django-ninja reads the annotations at runtime.

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from cybercantal.api.errors import ApiError

from ..queries import coverage as queries
from ..services.coverage import MAX_ADDRESS_LENGTH, eligibility_check

router = Router()


class ErrorOut(Schema):
    code: str = Field(..., description="Code de l'erreur (anglais, stable).")
    message: str = Field(..., description="Message en français.")
    field: str | None = Field(None, description="Paramètre en cause, s'il y en a un.")


class EligibilityParams(Schema):
    dispositif: str = Field(
        "", max_length=60, description="Identifiant du dispositif ; par défaut le seul dispositif ouvert."
    )
    commune: str = Field("", max_length=150, description="Code INSEE, code postal ou nom de la commune des locaux.")
    adresse: str = Field(
        "", max_length=MAX_ADDRESS_LENGTH, description="Adresse des locaux (facultatif) : « 3 Le Bousquet »."
    )


class CommuneOut(Schema):
    code_insee: str
    nom: str


class EligibilityOut(Schema):
    programme: str = Field(..., description="Identifiant du dispositif.")
    commune: CommuneOut
    address: str
    answer: str = Field(..., description="eligible, not_eligible ou to_check.")
    label: str = Field(..., description="La réponse en français.")
    explanation: str
    basis: str = Field(..., description="building, commune, none ou rule_off.")
    edition: str = Field(..., description="Édition des données de l'Arcep, par exemple 2026T2 ; vide sans données.")
    data: dict[str, Any]
    checked_at: str


@router.get(
    "/eligibilite",
    response={200: EligibilityOut, 404: ErrorOut, 422: ErrorOut},
    summary="Vérifier l'éligibilité de locaux",
    description=(
        "La réponse de la règle de couverture du dispositif pour des locaux : à l'immeuble quand l'adresse est "
        "trouvée dans les données de l'Arcep « Ma connexion internet », sinon d'après les statistiques de la "
        "commune. La même réponse que la page /aides/eligibilite/."
    ),
)
def eligibility(request: HttpRequest, params: Query[EligibilityParams]) -> Any:
    programmes = queries.checkable_programmes()
    if params.dispositif:
        programme = queries.programme_by_slug(params.dispositif)
        if programme is None:
            raise ApiError(
                status=404,
                code="not_found",
                message=_("Aucun dispositif publié ne porte cet identifiant."),
                field="dispositif",
            )
    else:
        programme = queries.default_programme(programmes)
        if programme is None:
            raise ApiError(
                status=422,
                code="required",
                message=_("Précisez le dispositif : %(slugs)s.")
                % {"slugs": ", ".join(p.slug for p in programmes) or "—"},
                field="dispositif",
            )
    lookup = queries.lookup_commune(params.commune)
    if lookup.commune is None:
        raise ApiError(status=422, code=lookup.code, message=_with_suggestions(lookup), field="commune")
    result = eligibility_check(programme=programme, commune=lookup.commune, address=params.adresse)
    return {
        "programme": programme.slug,
        "commune": {"code_insee": lookup.commune.insee_code, "nom": lookup.commune.name},
        "address": params.adresse,
        "label": result.label,
        **result.snapshot(),
    }


def _with_suggestions(lookup: queries.CommuneLookup) -> str:
    if not lookup.suggestions:
        return lookup.message
    names = ", ".join(f"{c.name} ({c.insee_code})" for c in lookup.suggestions[:8])
    return f"{lookup.message} {names}".replace(": :", ":")
