"""The places part of the JSON API, mounted at ``/api/lieux/``: list and search, nearest, detail.

Reads go through ``places.queries`` (the same ``directory()`` and ``nearest()`` as the web
pages); pagination, structured French errors (``{"code", "message", "field"}``) and the
anonymous rate limit come from ``cybercantal.api``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from cybercantal.api.errors import ApiError
from cybercantal.api.pagination import Page, PageParams, paginate
from cybercantal.territory.models import Canton, Commune

from . import queries, schema
from .models import Place, PlaceKind, PlaceStatus

router = Router(tags=["Lieux"])

MAX_NEAREST = 50

PlaceKindValue = Literal[tuple(PlaceKind.values)]  # type: ignore[valid-type]
ServiceValue = Literal[tuple(schema.Service.values)]  # type: ignore[valid-type]


# --- Schemas ---------------------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str = Field(..., description="Code de l'erreur (anglais, stable).")
    message: str = Field(..., description="Message en français.")
    field: str | None = Field(None, description="Paramètre en cause, s'il y en a un.")


class CommuneOut(Schema):
    code_insee: str
    nom: str


class CantonOut(Schema):
    code: str
    nom: str
    slug: str


class PlaceOut(Schema):
    slug: str = Field(..., description="Identifiant du lieu dans l'adresse de sa page.")
    nom: str
    type: str = Field(..., description="Type de lieu (code).")
    type_libelle: str = Field(..., description="Type de lieu (en français).")
    adresse: str
    code_postal: str
    commune: CommuneOut
    canton: CantonOut | None
    latitude: float | None
    longitude: float | None
    telephone: str
    services: list[str] = Field(..., description="Services, valeurs du schéma national LMN.")
    url: str = Field(..., description="Adresse de la page du lieu.")


class NearPlaceOut(PlaceOut):
    distance_km: float = Field(..., description="Distance à vol d'oiseau depuis le point demandé, en km.")


class PlaceDetailOut(PlaceOut):
    identifiant_lmn: str
    complement_adresse: str
    courriel: str
    site_web: str
    horaires: str = Field(..., description="Horaires au format OpenStreetMap opening_hours.")
    presentation_resume: str
    presentation_detail: str
    accessibilite: str
    typologie: list[str]
    publics_specifiquement_adresses: list[str]
    prise_en_charge_specifique: list[str]
    frais_a_charge: list[str]
    modalites_acces: list[str]
    modalites_accompagnement: list[str]
    dispositif_programmes_nationaux: list[str]
    formations_labels: list[str]
    itinerance: list[str]
    fiche_acces_libre: str
    prise_rdv: str
    date_maj: date | None = Field(..., description="Date de mise à jour des informations.")


class DirectoryParams(PageParams):
    q: str = Field("", max_length=200, description="Texte cherché, sans tenir compte des accents ni des majuscules.")
    type: PlaceKindValue | None = Field(None, description="Type de lieu.")  # type: ignore[valid-type]
    canton: str | None = Field(None, max_length=160, description="Canton : identifiant (slug) ou code.")
    commune: str | None = Field(
        None, pattern=r"^[0-9][0-9AB][0-9]{3}$", description="Code INSEE de la commune (par exemple 15162)."
    )
    service: ServiceValue | None = Field(None, description="Service (valeur du schéma national LMN).")  # type: ignore[valid-type]
    ouvert: bool = Field(False, description="`true` : seulement les lieux ouverts maintenant.")


class NearParams(Schema):
    lat: float = Field(..., ge=-90, le=90, description="Latitude en degrés décimaux (WGS 84).")
    lon: float = Field(..., ge=-180, le=180, description="Longitude en degrés décimaux (WGS 84).")
    limit: int = Field(10, ge=1, le=MAX_NEAREST, description=f"Nombre de lieux (au plus {MAX_NEAREST}).")


# --- Helpers -----------------------------------------------------------------------------------------


def _summary(request: HttpRequest, place: Place) -> dict[str, Any]:
    canton = place.canton
    return {
        "slug": place.slug,
        "nom": place.name,
        "type": place.kind,
        "type_libelle": str(PlaceKind(place.kind).label) if place.kind in PlaceKind.values else place.kind,
        "adresse": place.address,
        "code_postal": place.postal_code,
        "commune": {"code_insee": place.commune.insee_code, "nom": place.commune.name},
        "canton": {"code": canton.code, "nom": canton.name, "slug": canton.slug} if canton else None,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "telephone": place.phone,
        "services": list(place.services),
        "url": request.build_absolute_uri(place.get_absolute_url()),
    }


# What a slug or a code may look like: anything else (a NUL character, say, which PostgreSQL
# refuses in a query) cannot name a canton or a place, so it is not even looked up.
IDENTIFIER_RE = re.compile(r"[-\w]+", re.ASCII)


def _canton(value: str) -> Canton:
    canton = None
    if IDENTIFIER_RE.fullmatch(value):
        canton = Canton.objects.filter(slug=value).first() or Canton.objects.filter(code=value).first()
    if canton is None:
        raise ApiError(
            status=422, code="invalid_choice", message=_("Aucun canton ne porte ce nom ou ce code."), field="canton"
        )
    return canton


def _commune(code: str) -> Commune:
    commune = Commune.objects.current().filter(insee_code=code).first()
    if commune is None:
        raise ApiError(
            status=422, code="invalid_choice", message=_("Aucune commune n'a ce code INSEE."), field="commune"
        )
    return commune


# --- Operations -------------------------------------------------------------------------------------


@router.get(
    "/",
    response={200: Page[PlaceOut], 404: ErrorOut, 422: ErrorOut},
    summary="Lister et rechercher les lieux",
    description=(
        "Les lieux publiés, par ordre alphabétique, page par page. `q` cherche mot par mot, sans "
        "tenir compte des accents ni des majuscules, dans le nom, le type, la commune, le code "
        "postal et l'adresse (« riom es montagnes » trouve Riom-ès-Montagnes). Les filtres se "
        "combinent : `type`, `canton`, `commune` (code INSEE), `service` (valeur du schéma "
        "national des lieux de médiation numérique), `ouvert=true` (ouvert maintenant, d'après les "
        "horaires de la semaine)."
    ),
)
def list_places(request: HttpRequest, params: Query[DirectoryParams]) -> Any:
    found = queries.directory(
        text=params.q,
        kind=params.type,
        canton=_canton(params.canton) if params.canton else None,
        commune=_commune(params.commune) if params.commune else None,
        service=params.service,
        open_now=params.ouvert,
    )
    return paginate(request, found, params, transform=lambda place: _summary(request, place))


@router.get(
    "/proches",
    response={200: list[NearPlaceOut], 422: ErrorOut},
    summary="Les lieux les plus proches d'un point",
    description=(
        "Les `limit` lieux publiés les plus proches du point `lat`, `lon`, du plus proche au plus "
        "lointain, avec leur distance à vol d'oiseau en kilomètres."
    ),
)
def nearest_places(request: HttpRequest, params: Query[NearParams]) -> Any:
    places = queries.nearest(params.lat, params.lon, limit=params.limit)
    results = []
    for place in places:
        distance = getattr(place, "distance_km", None)  # set by queries.nearest()
        if distance is not None:
            results.append({**_summary(request, place), "distance_km": round(distance, 3)})
    return results


@router.get(
    "/{slug}",
    response={200: PlaceDetailOut, 404: ErrorOut},
    summary="Un lieu",
    description="Toutes les informations publiques d'un lieu publié, dont les champs du schéma national LMN.",
)
def place_detail(request: HttpRequest, slug: str) -> Any:
    try:
        place = queries.place_detail(slug) if IDENTIFIER_RE.fullmatch(slug) else None
    except Place.DoesNotExist:
        place = None
    if place is None or place.status != PlaceStatus.PUBLISHED:
        raise ApiError(
            status=404, code="not_found", message=_("Aucun lieu publié ne porte cet identifiant."), field="slug"
        )
    return {
        **_summary(request, place),
        "identifiant_lmn": place.lmn_id,
        "complement_adresse": place.address_complement,
        "courriel": place.email,
        "site_web": place.website,
        "horaires": place.opening_hours,
        "presentation_resume": place.presentation_summary,
        "presentation_detail": place.presentation_detail,
        "accessibilite": place.accessibility_details,
        "typologie": list(place.typologie),
        "publics_specifiquement_adresses": list(place.publics_specifiquement_adresses),
        "prise_en_charge_specifique": list(place.prise_en_charge_specifique),
        "frais_a_charge": list(place.frais_a_charge),
        "modalites_acces": list(place.modalites_acces),
        "modalites_accompagnement": list(place.modalites_accompagnement),
        "dispositif_programmes_nationaux": list(place.dispositif_programmes_nationaux),
        "formations_labels": list(place.formations_labels),
        "itinerance": list(place.itinerance),
        "fiche_acces_libre": place.fiche_acces_libre,
        "prise_rdv": place.prise_rdv,
        "date_maj": place.date_maj,
    }
