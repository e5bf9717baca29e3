"""The territory router, mounted at /api/territoire/: communes, cantons, point lookup."""

from __future__ import annotations

import json
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from cybercantal.api.errors import ApiError
from cybercantal.api.pagination import Page, PageParams, paginate

from . import queries
from .schemas import CantonDetail, CantonOut, CommuneDetail, CommuneKind, CommuneOut, LookupOut

router = Router(tags=["territoire"])


class CommuneFilters(Schema):
    q: str = Field("", max_length=100, description="Nom ou code postal, sans souci des accents (« st flour »).")
    canton: str = Field("", max_length=10, description="Code du canton (ex. 15010).")
    kind: CommuneKind | None = Field(None, description="actuelle, deleguee ou associee.")


class CommuneOptions(Schema):
    boundary: bool = Field(False, description="Inclure le contour simplifié (GeoJSON).")


class PointQuery(Schema):
    lat: Annotated[float, Field(ge=-90, le=90, description="Latitude WGS 84, en degrés décimaux.")]
    lon: Annotated[float, Field(ge=-180, le=180, description="Longitude WGS 84, en degrés décimaux.")]


@router.get("/communes", response=Page[CommuneOut], summary="Communes (recherche, filtres, pagination)")
def list_communes(request: HttpRequest, filters: Query[CommuneFilters], paging: Query[PageParams]) -> dict:
    """Communes by name order; filters: text (name or postal code), canton code, kind."""
    canton = None
    if filters.canton:
        canton = queries.canton_by_code(filters.canton)
        if canton is None:
            raise ApiError(
                status=422,
                code="invalid_choice",
                message=_("Aucun canton n'a le code « %(code)s ».") % {"code": filters.canton},
                field="canton",
            )
    qs = queries.search_communes(text=filters.q, canton=canton, kind=filters.kind)
    return paginate(request, qs, paging)


@router.get("/communes/{insee_code}", response=CommuneDetail, summary="Une commune par son code INSEE")
def commune_detail(request: HttpRequest, insee_code: str, options: Query[CommuneOptions]) -> object:
    """The commune with this INSEE code (the current one when a delegated one shares the code)."""
    commune = queries.commune_by_code(insee_code)
    if commune is None:
        raise ApiError(
            status=404,
            code="not_found",
            message=_("Aucune commune n'a le code INSEE « %(code)s ».") % {"code": insee_code},
            field="insee_code",
        )
    if options.boundary and commune.boundary:
        commune.boundary_geojson = json.loads(commune.boundary)  # type: ignore[attr-defined]
    return commune


@router.get("/cantons", response=Page[CantonOut], summary="Cantons du département")
def list_cantons(request: HttpRequest, paging: Query[PageParams]) -> dict:
    """Cantons in number order, with their number of communes and population."""
    return paginate(request, queries.cantons_with_stats(), paging)


@router.get("/cantons/{code}", response=CantonDetail, summary="Un canton et ses communes")
def canton_detail(request: HttpRequest, code: str) -> object:
    """One canton by code (15010) or slug (riom-es-montagnes), with its current communes."""
    canton = queries.canton_with_communes(code)
    if canton is None:
        raise ApiError(
            status=404,
            code="not_found",
            message=_("Aucun canton n'a le code « %(code)s ».") % {"code": code},
            field="code",
        )
    return canton


@router.get("/localiser", response=LookupOut, summary="Commune et canton d'un point")
def locate(request: HttpRequest, point: Query[PointQuery]) -> dict:
    """The commune and canton containing a point (null outside the département)."""
    found = queries.lookup_point(point.lat, point.lon)
    return {"latitude": point.lat, "longitude": point.lon, "commune": found.commune, "canton": found.canton}
