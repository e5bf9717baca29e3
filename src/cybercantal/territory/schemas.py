"""API schemas of the territory (what the JSON says; French descriptions for the docs)."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema

from .models import Canton, Commune

CommuneKind = Literal["actuelle", "deleguee", "associee"]


class CantonRef(Schema):
    code: str = Field(..., description="Code du canton (département + numéro).")
    number: int = Field(..., description="Numéro du canton dans le département.")
    name: str
    slug: str


class CommuneRef(Schema):
    insee_code: str = Field(..., description="Code INSEE (COG).")
    name: str
    kind: CommuneKind = Field(..., description="actuelle, deleguee ou associee.")
    slug: str


class CommuneOut(Schema):
    insee_code: str = Field(..., description="Code INSEE (COG).")
    name: str
    slug: str
    kind: CommuneKind = Field(..., description="actuelle, deleguee ou associee.")
    parent: CommuneRef | None = Field(None, description="Commune de rattachement d'une commune déléguée/associée.")
    postal_codes: list[str]
    population: int | None = Field(None, description="Population municipale (INSEE).")
    latitude: float | None = Field(None, description="Point représentatif, à l'intérieur du contour (WGS 84).")
    longitude: float | None = None
    cantons: list[CantonRef]

    @staticmethod
    def resolve_parent(obj: Commune) -> CommuneRef | None:
        return obj.parent if obj.parent_id else None  # type: ignore[return-value]

    @staticmethod
    def resolve_cantons(obj: Commune) -> list[Canton]:
        return list(obj.cantons.all())


class CommuneDetail(CommuneOut):
    siren: str
    epci: str | None = Field(None, description="Nom de l'intercommunalité (EPCI).")
    epci_siren: str | None = None
    arrondissement: str | None = None
    departement: str
    boundary_source: str = Field("", description="Vide si le contour est celui de la commune ; sinon, d'où il vient.")
    children: list[CommuneRef] = Field(default_factory=list, description="Communes déléguées ou associées.")
    boundary: dict | None = Field(None, description="Contour simplifié (géométrie GeoJSON), si demandé.")

    @staticmethod
    def resolve_epci(obj: Commune) -> str | None:
        return obj.epci.name if obj.epci else None

    @staticmethod
    def resolve_epci_siren(obj: Commune) -> str | None:
        return obj.epci.siren if obj.epci else None

    @staticmethod
    def resolve_arrondissement(obj: Commune) -> str | None:
        return obj.arrondissement.name if obj.arrondissement else None

    @staticmethod
    def resolve_departement(obj: Commune) -> str:
        return obj.departement.code

    @staticmethod
    def resolve_children(obj: Commune) -> list[Commune]:
        return list(obj.children.all())

    @staticmethod
    def resolve_boundary(obj: Commune) -> dict | None:
        return getattr(obj, "boundary_geojson", None)


class CantonOut(CantonRef):
    latitude: float | None = None
    longitude: float | None = None
    commune_count: int = Field(
        ..., description="Communes actuelles ayant une partie de leur territoire dans le canton."
    )
    population: int | None = Field(
        None, description="Population des communes du canton (une commune partagée compte en entier)."
    )


class CantonDetail(CantonOut):
    communes: list[CommuneRef]

    @staticmethod
    def resolve_communes(obj: Canton) -> list[Commune]:
        return list(getattr(obj, "current_communes", []))


class LookupOut(Schema):
    latitude: float
    longitude: float
    commune: CommuneRef | None = Field(None, description="Commune qui contient le point, ou null.")
    canton: CantonRef | None = Field(None, description="Canton qui contient le point, ou null.")
