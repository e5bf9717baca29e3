"""Reads of the reference geography shared by views, the API, places and insights."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When

from cybercantal.core.text import normalise

from . import geometry
from .models import Canton, Commune, Departement

#: Abbreviations people type for the first word of a name ("st flour" -> "saint flour").
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


@dataclass(frozen=True)
class PointLookup:
    commune: Commune | None
    canton: Canton | None


def current_departement() -> Departement | None:
    """The département the platform serves (settings.DEPARTEMENT_CODE), if it is loaded."""
    return Departement.objects.select_related("region").filter(code=settings.DEPARTEMENT_CODE).first()


def lookup_point(lat: float, lon: float) -> PointLookup:
    """The current commune and the canton at a point (None for either where there is none).

    The 2018 polygon of 15141 stands in for five 2026 communes (Neussargues-Moissac, Celles,
    Chalinargues, Chavagnac, Sainte-Anastasie); a point inside it is given to
    Neussargues-Moissac, the commune whose own code the polygon carries.
    """
    for _attempt in range(2):
        commune_id, canton_id = geometry.locate(lat, lon)
        commune = Commune.objects.filter(pk=commune_id).first() if commune_id is not None else None
        canton = Canton.objects.filter(pk=canton_id).first() if canton_id is not None else None
        if (commune_id is None or commune is not None) and (canton_id is None or canton is not None):
            return PointLookup(commune=commune, canton=canton)
        geometry.invalidate()  # the shapes outlived their rows (data reloaded): rebuild once
    return PointLookup(commune=None, canton=None)


def expand_query(text: str) -> str:
    """Normalised query text with St/Ste abbreviations spelt out, without outer spaces."""
    words = [ABBREVIATIONS.get(word, word) for word in normalise(text).split()]
    return " ".join(words)


def communes_by_name(text: str, limit: int = 10, *, current_only: bool = False) -> list[Commune]:
    """Communes whose name (or postal code) matches what a person typed.

    Accent-, case- and punctuation-insensitive; "st"/"ste" stand for "saint"/"sainte".
    Names that start with the text come first, then names that contain it as a phrase,
    then names that contain all its words; current communes before delegated ones, then
    the most populated.
    """
    query = expand_query(text)
    if not query:
        return []
    words = query.split()
    condition = Q()
    for word in words:
        condition &= Q(search_text__contains=f" {word}")
    qs = Commune.objects.filter(condition)
    if current_only:
        qs = qs.current()
    return list(_ranked(qs.select_related("parent"), query)[:limit])


def search_communes(*, text: str = "", canton: Canton | None = None, kind: str | None = None) -> QuerySet[Commune]:
    """Communes filtered by name text, canton and kind (for lists and the API).

    Without text: name order. With text: the best matches first, as in :func:`communes_by_name`.
    """
    qs = Commune.objects.select_related("parent", "epci", "arrondissement").prefetch_related(
        Prefetch("cantons", queryset=Canton.objects.order_by("number"))
    )
    query = expand_query(text)
    for word in query.split():
        qs = qs.filter(search_text__contains=f" {word}")
    if canton is not None:
        qs = qs.filter(cantons=canton)
    if kind:
        qs = qs.filter(kind=kind)
    if query:
        return _ranked(qs, query)
    return qs.order_by("name", "insee_code")


def _ranked(qs: QuerySet[Commune], query: str) -> QuerySet[Commune]:
    """Best matches first: prefix, phrase, all words; current communes first; most populated."""
    return qs.annotate(
        match_rank=Case(
            When(search_text__startswith=f" {query}", then=Value(0)),
            When(search_text__contains=f" {query}", then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        kind_rank=Case(When(kind=Commune.Kind.ACTUELLE, then=Value(0)), default=Value(1), output_field=IntegerField()),
    ).order_by("match_rank", "kind_rank", "-population", "name", "insee_code")


def commune_by_code(insee_code: str) -> Commune | None:
    """The commune with this INSEE code: the current one when a delegated one shares it."""
    qs = (
        Commune.objects.filter(insee_code=insee_code)
        .select_related("parent", "epci", "arrondissement", "departement")
        .prefetch_related(
            Prefetch("cantons", queryset=Canton.objects.order_by("number")),
            Prefetch("children", queryset=Commune.objects.order_by("name")),
        )
        .annotate(
            kind_rank=Case(
                When(kind=Commune.Kind.ACTUELLE, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
    )
    return qs.order_by("kind_rank", "kind").first()


def cantons_with_stats() -> QuerySet[Canton]:
    """Cantons of the platform's département with the number and population of their communes.

    ``commune_count``: current communes with at least part of their territory in the canton;
    ``population``: their summed population (a commune split over several cantons, such as
    Aurillac, counts whole in each); ``shared_count``: how many of them are split.
    """
    current = Q(communes__kind=Commune.Kind.ACTUELLE)
    return (
        Canton.objects.filter(departement__code=settings.DEPARTEMENT_CODE)
        .annotate(
            commune_count=Count("communes", filter=current, distinct=True),
            population=Sum("communes__population", filter=current),
        )
        .order_by("number")
    )


def cantons_with_communes() -> QuerySet[Canton]:
    """Cantons in number order with their current communes prefetched (name order)."""
    return (
        Canton.objects.filter(departement__code=settings.DEPARTEMENT_CODE)
        .prefetch_related(
            Prefetch(
                "communes",
                queryset=Commune.objects.current().order_by("name"),
                to_attr="current_communes",
            )
        )
        .order_by("number")
    )


def canton_with_communes(code_or_slug: str) -> Canton | None:
    """One canton (by code or slug) with its statistics and its current communes prefetched."""
    qs = cantons_with_stats().prefetch_related(
        Prefetch("communes", queryset=Commune.objects.current().order_by("name"), to_attr="current_communes")
    )
    return qs.filter(Q(code=code_or_slug) | Q(slug=code_or_slug)).first()


def canton_by_slug(slug: str) -> Canton | None:
    return Canton.objects.select_related("departement").filter(slug=slug).first()


def canton_by_code(code: str) -> Canton | None:
    return Canton.objects.select_related("departement").filter(code=code).first()


def communes_of_canton(canton: Canton) -> QuerySet[Commune]:
    """Current communes of a canton in name order, with their EPCI and all their cantons."""
    return (
        canton.communes.current()
        .select_related("epci")
        .prefetch_related(Prefetch("cantons", queryset=Canton.objects.order_by("number")))
        .order_by("name")
    )


def shared_communes_by_canton() -> dict[int, list[str]]:
    """Canton pk -> names of its current communes that also lie in another canton."""
    through = Commune.cantons.through
    shared = (
        Commune.objects.current()
        .annotate(canton_count=Count("cantons"))
        .filter(canton_count__gt=1)
        .values_list("pk", flat=True)
    )
    result: dict[int, list[str]] = {}
    rows = (
        through.objects.filter(commune_id__in=shared)
        .order_by("commune__name")
        .values_list("canton_id", "commune__name")
    )
    for canton_id, name in rows:
        result.setdefault(canton_id, []).append(name)
    return result


def random_point_in_commune(commune: Commune, rng: random.Random) -> tuple[float, float]:
    """A random (lat, lon) inside the commune, for demo data and benchmarks.

    A delegated commune without a polygon of its own uses its parent's. The four communes
    whose polygon is the shared 2018 polygon of 15141 get a point somewhere in that polygon
    (so :func:`lookup_point` answers Neussargues-Moissac for it). Raises ValueError when the
    commune has no boundary at all.
    """
    geom = geometry.commune_shape(commune.pk)
    if geom is None and commune.parent_id:
        geom = geometry.commune_shape(commune.parent_id)
    if geom is None:
        raise ValueError(f"La commune {commune.insee_code} {commune.name} n'a pas de contour.")
    return geometry.random_point_in(geom, rng)
